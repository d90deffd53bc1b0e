package dev.ina.protocol;

import java.nio.charset.StandardCharsets;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Flyweight over control frames: JOIN, JOIN_ACK, PENDING, ABORT, LEAVE and ERROR. The header is
 * {@link HeaderFlyweight}'s; JOIN and JOIN_ACK carry the nonce in the round field and the job's parameters in
 * the payload:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                      Header (32 bytes) ...                   ...
 *  +-------------------------------+-------------------------------+
 *  |          World Size           |            Window             | 32
 *  +-------------------------------+---------------+---------------+
 *  |      Elements Per Packet      |     Mode      | Mode Flags    | 36
 *  +-------------------------------+---------------+---------------+
 *  |            Quorum             |           Reserved            | 40
 *  +-------------------------------+-------------------------------+
 *  |                       Deadline (microseconds)                 | 44
 *  +---------------------------------------------------------------+
 * </pre>
 * Mode 0 is exact, 1 bounded; in bounded mode, quorum and deadline say when a chunk may finish without every
 * rank, and mode flag {@link #MODE_FLAG_ADAPTIVE_DEADLINE} lets the aggregator shorten the deadline to what recent
 * chunks needed.
 * PENDING carries the ranks seen as a {@link RankBitmap} (bit {@code r % 64} of little-endian word
 * {@code r / 64}) with the count field holding the world size. ERROR and ABORT carry an error code in the
 * contributors field ({@link #errorCode()}) and a UTF-8 message as payload. LEAVE has no payload. JOIN, JOIN_ACK
 * and the replies to a JOIN carry the joining process's nonce in the round field ({@link #nonce()}); in the
 * sequence field JOIN_ACK carries the first sequence ({@link #firstSequence()}), a redirect its port
 * ({@link #redirectPort()}).
 */
public final class ControlFlyweight extends HeaderFlyweight
{
    /** Offset of the uint16 world size in a JOIN or JOIN_ACK. */
    public static final int WORLD_SIZE_OFFSET = FrameDescriptor.HEADER_LENGTH;
    /** Offset of the uint16 window in a JOIN or JOIN_ACK. */
    public static final int WINDOW_OFFSET = WORLD_SIZE_OFFSET + 2;
    /** Offset of the uint16 elements per packet in a JOIN or JOIN_ACK. */
    public static final int ELEMENTS_PER_PACKET_OFFSET = WINDOW_OFFSET + 2;
    /** Offset of the uint8 mode in a JOIN or JOIN_ACK. */
    public static final int MODE_OFFSET = ELEMENTS_PER_PACKET_OFFSET + 2;
    /** Offset of the uint8 mode flags in a JOIN or JOIN_ACK. */
    public static final int MODE_FLAGS_OFFSET = MODE_OFFSET + 1;
    /** Offset of the uint16 quorum in a JOIN or JOIN_ACK. */
    public static final int QUORUM_OFFSET = MODE_FLAGS_OFFSET + 1;
    /** Offset of the uint32 deadline in microseconds in a JOIN or JOIN_ACK. */
    public static final int DEADLINE_OFFSET = QUORUM_OFFSET + 4;
    /** Length of a JOIN or JOIN_ACK frame. */
    public static final int JOIN_LENGTH = DEADLINE_OFFSET + 4;
    /** Mode flag: the deadline adapts to recent chunk completion times, up to the configured one. */
    public static final int MODE_FLAG_ADAPTIVE_DEADLINE = 0x01;
    /** Longest message carried by ERROR or ABORT, in bytes. */
    public static final int MAX_MESSAGE_LENGTH = 1024;

    /** Error code: the request does not match the job's configuration. */
    public static final int ERROR_CONFIG_MISMATCH = 1;
    /** Error code: the aggregator's slot pool or job table cannot hold the job. */
    public static final int ERROR_POOL_EXHAUSTED = 2;
    /** Error code: the request is invalid on its own (rank out of range, window not a power of two, ...). */
    public static final int ERROR_INVALID_REQUEST = 3;
    /** Error code: a rank left the job, so the all-reduce cannot complete. */
    public static final int ERROR_RANK_LEFT = 4;
    /** Error code: a rank joined again with a new nonce (restarted), which ends the old session. */
    public static final int ERROR_RANK_REJOINED = 5;
    /** Error code: the job was idle or incomplete for longer than the aggregator allows. */
    public static final int ERROR_JOB_EXPIRED = 6;
    /** Error code: the aggregator is shutting down. */
    public static final int ERROR_SHUTDOWN = 7;
    /** Error code: the job is served by another engine thread of the aggregator, on the UDP port carried in the
     * sequence field; the worker rejoins there. */
    public static final int ERROR_REDIRECT = 8;

    /**
     * World size of a JOIN or JOIN_ACK.
     *
     * @return number of ranks, unsigned 16 bits.
     */
    public int worldSize()
    {
        return buffer.getShort(offset + WORLD_SIZE_OFFSET, LITTLE_ENDIAN) & 0xFFFF;
    }

    /**
     * Sets the world size.
     *
     * @param worldSize number of ranks.
     * @return this for a fluent API.
     */
    public ControlFlyweight worldSize(final int worldSize)
    {
        buffer.putShort(offset + WORLD_SIZE_OFFSET, (short)worldSize, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Window (slots) of a JOIN or JOIN_ACK.
     *
     * @return window, unsigned 16 bits.
     */
    public int window()
    {
        return buffer.getShort(offset + WINDOW_OFFSET, LITTLE_ENDIAN) & 0xFFFF;
    }

    /**
     * Sets the window.
     *
     * @param window slots, a power of two.
     * @return this for a fluent API.
     */
    public ControlFlyweight window(final int window)
    {
        buffer.putShort(offset + WINDOW_OFFSET, (short)window, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Elements per packet of a JOIN or JOIN_ACK.
     *
     * @return elements, unsigned 16 bits.
     */
    public int elementsPerPacket()
    {
        return buffer.getShort(offset + ELEMENTS_PER_PACKET_OFFSET, LITTLE_ENDIAN) & 0xFFFF;
    }

    /**
     * Sets the elements per packet.
     *
     * @param elementsPerPacket elements in a full chunk.
     * @return this for a fluent API.
     */
    public ControlFlyweight elementsPerPacket(final int elementsPerPacket)
    {
        buffer.putShort(offset + ELEMENTS_PER_PACKET_OFFSET, (short)elementsPerPacket, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Mode of a JOIN or JOIN_ACK (0 = exact).
     *
     * @return mode byte.
     */
    public int mode()
    {
        return buffer.getByte(offset + MODE_OFFSET) & 0xFF;
    }

    /**
     * Sets the mode.
     *
     * @param mode mode byte (0 = exact).
     * @return this for a fluent API.
     */
    public ControlFlyweight mode(final int mode)
    {
        buffer.putByte(offset + MODE_OFFSET, (byte)mode);
        return this;
    }

    /**
     * Mode flags of a JOIN or JOIN_ACK.
     *
     * @return flags byte.
     */
    public int modeFlags()
    {
        return buffer.getByte(offset + MODE_FLAGS_OFFSET) & 0xFF;
    }

    /**
     * Sets the mode flags.
     *
     * @param flags e.g. {@link #MODE_FLAG_ADAPTIVE_DEADLINE}.
     * @return this for a fluent API.
     */
    public ControlFlyweight modeFlags(final int flags)
    {
        buffer.putByte(offset + MODE_FLAGS_OFFSET, (byte)flags);
        return this;
    }

    /**
     * Quorum of a JOIN or JOIN_ACK: fewest contributions a chunk may finish with in bounded mode.
     *
     * @return ranks.
     */
    public int quorum()
    {
        return buffer.getShort(offset + QUORUM_OFFSET, LITTLE_ENDIAN) & 0xFFFF;
    }

    /**
     * Sets the quorum and clears the reserved field after it.
     *
     * @param quorum ranks.
     * @return this for a fluent API.
     */
    public ControlFlyweight quorum(final int quorum)
    {
        buffer.putShort(offset + QUORUM_OFFSET, (short)quorum, LITTLE_ENDIAN);
        buffer.putShort(offset + QUORUM_OFFSET + 2, (short)0, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Deadline of a JOIN or JOIN_ACK in bounded mode, from a chunk's first contribution.
     *
     * @return microseconds, unsigned 32-bit.
     */
    public long deadlineUs()
    {
        return buffer.getInt(offset + DEADLINE_OFFSET, LITTLE_ENDIAN) & 0xFFFF_FFFFL;
    }

    /**
     * Sets the deadline.
     *
     * @param deadlineUs microseconds, at most {@code 2^32 - 1}.
     * @return this for a fluent API.
     */
    public ControlFlyweight deadlineUs(final long deadlineUs)
    {
        buffer.putInt(offset + DEADLINE_OFFSET, (int)deadlineUs, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Writes an ERROR or ABORT message as payload and sets the frame length. Control path only: allocates.
     *
     * @param message text; truncated to {@link #MAX_MESSAGE_LENGTH} bytes.
     * @return this for a fluent API.
     */
    public ControlFlyweight message(final String message)
    {
        final byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(bytes.length, MAX_MESSAGE_LENGTH);
        buffer.putBytes(payloadOffset(), bytes, 0, n);
        length = FrameDescriptor.HEADER_LENGTH + n;
        return this;
    }

    /**
     * Reads an ERROR or ABORT message. Control path only: allocates.
     *
     * @return the payload as UTF-8 text, at most {@link #MAX_MESSAGE_LENGTH} bytes of it.
     */
    public String message()
    {
        final int n = Math.max(0, Math.min(payloadLength(), MAX_MESSAGE_LENGTH));
        final byte[] bytes = new byte[n];
        buffer.getBytes(payloadOffset(), bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Writes a set of ranks as PENDING payload and sets the count (world size) and frame length.
     *
     * @param ranks the ranks seen.
     * @return this for a fluent API.
     */
    public ControlFlyweight rankBitmap(final RankBitmap ranks)
    {
        final int bytes = ranks.writeTo(buffer, payloadOffset());
        count(ranks.worldSize());
        length = FrameDescriptor.HEADER_LENGTH + bytes;
        return this;
    }

    /**
     * Whether a PENDING frame carries a whole bitmap for a world size.
     *
     * @param worldSize ranks of the job.
     * @return true if the count is the world size and the payload holds its bitmap.
     */
    public boolean hasRankBitmap(final int worldSize)
    {
        return count() == worldSize && payloadLength() >= RankBitmap.lengthFor(worldSize);
    }

    /**
     * Reads a PENDING frame's bitmap, which {@link #hasRankBitmap} checked.
     *
     * @param ranks replaced by the ranks seen.
     */
    public void readRankBitmap(final RankBitmap ranks)
    {
        ranks.readFrom(buffer, payloadOffset());
    }

    /**
     * Whether a PENDING frame's bitmap has a rank's bit set.
     *
     * @param rank rank to test.
     * @return true if the rank was seen; false if not or if the bitmap is too short.
     */
    public boolean hasRank(final int rank)
    {
        final int word = rank >>> 6;
        if ((word + 1) * Long.BYTES > payloadLength())
        {
            return false;
        }
        return (buffer.getLong(payloadOffset() + word * Long.BYTES, LITTLE_ENDIAN) & (1L << rank)) != 0;
    }

    // Control frames reuse header fields that data frames give other meanings; these name them.

    /**
     * JOIN, its JOIN_ACK, a JOIN's PENDING or ERROR, and a withdrawing LEAVE: the joining process's nonce, random
     * per process start (the round field), which tells a restarted rank from a retry.
     *
     * @return nonce.
     */
    public int nonce()
    {
        return round();
    }

    /**
     * Sets the nonce (the round field).
     *
     * @param nonce random per process start, not 0.
     * @return this for a fluent API.
     */
    public ControlFlyweight nonce(final int nonce)
    {
        round(nonce);
        return this;
    }

    /**
     * JOIN_ACK: the first chunk sequence of the job's first call (the sequence field).
     *
     * @return sequence.
     */
    public int firstSequence()
    {
        return sequence();
    }

    /**
     * Sets the first chunk sequence of a JOIN_ACK (the sequence field).
     *
     * @param sequence first sequence.
     * @return this for a fluent API.
     */
    public ControlFlyweight firstSequence(final int sequence)
    {
        sequence(sequence);
        return this;
    }

    /**
     * ERROR and ABORT: the error code (the contributors field), e.g. {@link #ERROR_REDIRECT}.
     *
     * @return code.
     */
    public int errorCode()
    {
        return contributors();
    }

    /**
     * Sets the error code (the contributors field).
     *
     * @param code error code.
     * @return this for a fluent API.
     */
    public ControlFlyweight errorCode(final int code)
    {
        contributors(code);
        return this;
    }

    /**
     * ERROR {@link #ERROR_REDIRECT}: the UDP port of the engine thread that serves the job (the sequence field).
     *
     * @return port.
     */
    public int redirectPort()
    {
        return sequence();
    }

    /**
     * Sets the redirect port (the sequence field).
     *
     * @param port UDP port.
     * @return this for a fluent API.
     */
    public ControlFlyweight redirectPort(final int port)
    {
        sequence(port);
        return this;
    }
}
