package dev.ina.protocol;

import java.nio.charset.StandardCharsets;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Flyweight over control frames: JOIN, CHALLENGE, JOIN_ACK, PENDING, ABORT, LEAVE and ERROR. The header is
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
 *  |        JOIN only: Cookie (16 bytes, zero until challenged)   ...  48
 *  +---------------------------------------------------------------+
 *  |        JOIN only: zero padding up to the proof or the end    ...  64
 *  +---------------------------------------------------------------+
 *  |        Proof (16 bytes) when the flags have FLAG_PROOF        |  JOIN: 1040, JOIN_ACK: 48
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
 * <h2>Replies are never longer than the JOIN</h2>
 * Anyone can send a JOIN with anyone's source address, so the aggregator never answers a JOIN with more bytes
 * than the JOIN had: an ERROR's message is cut to fit, a PENDING that does not fit is not sent. Workers therefore
 * pad every JOIN to {@link #PADDED_JOIN_LENGTH} bytes, which every reply fits (1024 ranks' bitmap, a whole
 * message); a plain {@link #JOIN_LENGTH}-byte JOIN still works, with shorter messages. ERROR and CHALLENGE
 * replies to JOINs that proved nothing are also rate limited, globally and per source.
 * <h2>Jobs protected by a secret</h2>
 * When the aggregator holds a secret for a job (or requires one for every job), the job's control frames carry a
 * {@link FrameProof} trailer (flag {@link FrameDescriptor#FLAG_PROOF}) and its JOIN proves freshness with a cookie,
 * in a stateless challenge and response:
 * <pre>
 *  worker                                                    aggregator
 *    JOIN(nonce, spec, cookie 0, proof)            ---&gt;      proof wrong: ERROR PROOF_FAILED (rate limited)
 *                                                  &lt;---      CHALLENGE(nonce, cookie, proof)
 *    JOIN(nonce, spec, cookie, proof)              ---&gt;      cookie from this address, under 20 s old: member
 *                                                  &lt;---      PENDING(joined ranks) ... JOIN_ACK(token, proof)
 *    LEAVE(token, proof) or withdraw LEAVE(nonce, proof)  ---&gt;
 *                                                  &lt;---      ERROR, ABORT(code, message, proof)
 * </pre>
 * CHALLENGE is a header (job id, rank, nonce in the round field) and the {@value #COOKIE_LENGTH}-byte cookie at
 * {@link #CHALLENGE_COOKIE_OFFSET}, then the proof: {@link #CHALLENGE_LENGTH} bytes. The cookie is the
 * aggregator's 32-bit time epoch (little-endian) and 12 bytes of an HMAC under a key only the aggregator process
 * knows, over the epoch, the sender's address, the job id, the rank and the nonce; it expires after one or two
 * epochs, so a JOIN captured and sent again later, or from another address, is challenged again and cannot be
 * completed without the secret. A JOIN whose nonce belonged to an earlier process of that rank or to an ended
 * session is refused as a replay. JOIN_ACK's proof covers the session token and the worker's nonce, so a worker
 * cannot be fooled by a forged acknowledgement; LEAVE, withdraw, ERROR and ABORT of a protected job are only
 * acted on with a valid proof. Codes {@link #ERROR_SECRET_REQUIRED}, {@link #ERROR_PROOF_FAILED} and
 * {@link #ERROR_NO_SECRET} say why a JOIN was refused without telling whether the job exists.
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
    /** Length of a JOIN or JOIN_ACK frame without cookie, padding or proof: the shortest JOIN accepted. */
    public static final int JOIN_LENGTH = DEADLINE_OFFSET + 4;
    /** Offset of a JOIN's cookie (zero until the aggregator challenged the JOIN). */
    public static final int COOKIE_OFFSET = JOIN_LENGTH;
    /** Length of a cookie: a 32-bit epoch and a 12-byte tag. */
    public static final int COOKIE_LENGTH = 16;
    /** Shortest JOIN that can carry a proof: parameters, cookie and the proof trailer. */
    public static final int MIN_PROVEN_JOIN_LENGTH = COOKIE_OFFSET + COOKIE_LENGTH + FrameProof.LENGTH;
    /** Longest message carried by ERROR or ABORT, in bytes. */
    public static final int MAX_MESSAGE_LENGTH = 1024;
    /** Length workers pad every JOIN to (proof included), so that any reply fits in as many bytes. */
    public static final int PADDED_JOIN_LENGTH = FrameDescriptor.HEADER_LENGTH + MAX_MESSAGE_LENGTH;
    /** Longest JOIN accepted; a longer one is dropped ({@code DROP_LENGTH}). */
    public static final int MAX_JOIN_LENGTH = 1472;
    /** Offset of the cookie in a CHALLENGE. */
    public static final int CHALLENGE_COOKIE_OFFSET = FrameDescriptor.HEADER_LENGTH;
    /** Length of a CHALLENGE: header, cookie and proof. */
    public static final int CHALLENGE_LENGTH = CHALLENGE_COOKIE_OFFSET + COOKIE_LENGTH + FrameProof.LENGTH;
    /** Mode flag: the deadline adapts to recent chunk completion times, up to the configured one. */
    public static final int MODE_FLAG_ADAPTIVE_DEADLINE = 0x01;

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
    /** Error code: the job needs a proof of its secret (the aggregator holds one for it, or requires one for every
     * job) and the JOIN carried none: set {@code INA_SECRET} or {@code INA_SECRET_FILE} on every rank. */
    public static final int ERROR_SECRET_REQUIRED = 9;
    /** Error code: the JOIN's proof does not verify: the worker's secret is not the one the aggregator holds for
     * the job, or (when every job needs one) the aggregator holds none for it. */
    public static final int ERROR_PROOF_FAILED = 10;
    /** Error code: the JOIN carries a proof, but the aggregator holds no secret for the job, which is open to
     * anyone; the worker refuses to run a job the aggregator cannot prove itself in. */
    public static final int ERROR_NO_SECRET = 11;

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
        return message(message, MAX_MESSAGE_LENGTH);
    }

    /**
     * Writes an ERROR or ABORT message of at most {@code maxLength} bytes as payload, cut at a character boundary,
     * and sets the frame length. Control path only: allocates.
     *
     * @param message   text.
     * @param maxLength most bytes to write; at most {@link #MAX_MESSAGE_LENGTH} are written in any case.
     * @return this for a fluent API.
     */
    public ControlFlyweight message(final String message, final int maxLength)
    {
        final byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        int n = Math.max(0, Math.min(bytes.length, Math.min(maxLength, MAX_MESSAGE_LENGTH)));
        // Never end inside a multi-byte character: back off over its continuation bytes and its lead byte.
        if (n < bytes.length)
        {
            while (n > 0 && (bytes[n] & 0xC0) == 0x80)
            {
                n--;
            }
        }
        buffer.putBytes(payloadOffset(), bytes, 0, n);
        length = FrameDescriptor.HEADER_LENGTH + n;
        return this;
    }

    /**
     * Reads an ERROR or ABORT message, without the proof trailer if the frame has one. Control path only:
     * allocates.
     *
     * @return the payload as UTF-8 text, at most {@link #MAX_MESSAGE_LENGTH} bytes of it.
     */
    public String message()
    {
        final int proof = hasFlag(FrameDescriptor.FLAG_PROOF) ? FrameProof.LENGTH : 0;
        final int n = Math.max(0, Math.min(payloadLength() - proof, MAX_MESSAGE_LENGTH));
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
