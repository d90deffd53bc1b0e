package dev.ina.protocol;

import org.agrona.MutableDirectBuffer;

import static dev.ina.protocol.FrameDescriptor.CODEC_OFFSET;
import static dev.ina.protocol.FrameDescriptor.CONTRIBUTORS_OFFSET;
import static dev.ina.protocol.FrameDescriptor.COUNT_OFFSET;
import static dev.ina.protocol.FrameDescriptor.EXPONENT_OFFSET;
import static dev.ina.protocol.FrameDescriptor.FLAGS_OFFSET;
import static dev.ina.protocol.FrameDescriptor.HEADER_LENGTH;
import static dev.ina.protocol.FrameDescriptor.JOB_ID_OFFSET;
import static dev.ina.protocol.FrameDescriptor.NEXT_EXPONENT_OFFSET;
import static dev.ina.protocol.FrameDescriptor.RANK_OFFSET;
import static dev.ina.protocol.FrameDescriptor.ROUND_OFFSET;
import static dev.ina.protocol.FrameDescriptor.SEQUENCE_OFFSET;
import static dev.ina.protocol.FrameDescriptor.SESSION_TOKEN_OFFSET;
import static dev.ina.protocol.FrameDescriptor.SLOT_OFFSET;
import static dev.ina.protocol.FrameDescriptor.TYPE_OFFSET;
import static dev.ina.protocol.FrameDescriptor.VERSION;
import static dev.ina.protocol.FrameDescriptor.VERSION_OFFSET;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Flyweight over the 32-byte header that starts every INA frame. All fields are little-endian.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+---------------+---------------+
 *  |    Version    |     Type      |     Flags     |     Codec     |  0
 *  +---------------+---------------+---------------+---------------+
 *  |                            Job Id                             |  4
 *  +---------------------------------------------------------------+
 *  |                         Session Token                         |  8
 *  +-------------------------------+-------------------------------+
 *  |             Rank              |             Slot              | 12
 *  +-------------------------------+-------------------------------+
 *  |                  Round (all-reduce call number)               | 16
 *  +---------------------------------------------------------------+
 *  |          Sequence (chunk number, runs on across rounds)       | 20
 *  +-------------------------------+---------------+---------------+
 *  |        Count (elements)       |   Exponent    | Next Exponent | 24
 *  +-------------------------------+---------------+---------------+
 *  |            Contributors (RESULT) / Error Code (ERROR, ABORT)  | 28
 *  +---------------------------------------------------------------+
 *  |                        Payload ...                           ...
 * </pre>
 * A flyweight holds no data of its own: owners create one, then {@link #wrap} it over each frame. Not thread safe.
 */
public class HeaderFlyweight
{
    /** The buffer the flyweight is wrapped over. */
    protected MutableDirectBuffer buffer;
    /** Offset of the frame's first byte in {@link #buffer}. */
    protected int offset;
    /** Length in bytes of the frame (header and payload). */
    protected int length;

    /**
     * Wraps the flyweight over a frame.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's first byte.
     * @param length of the frame in bytes, header included.
     * @return this for a fluent API.
     */
    public HeaderFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /**
     * The wrapped buffer.
     *
     * @return the buffer given to the last {@link #wrap}.
     */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Offset of the frame in the buffer.
     *
     * @return offset of the frame's first byte.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * Length of the wrapped frame.
     *
     * @return length in bytes, header included.
     */
    public int frameLength()
    {
        return length;
    }

    /**
     * Sets the frame length, e.g. after writing a payload.
     *
     * @param length in bytes, header included.
     * @return this for a fluent API.
     */
    public HeaderFlyweight frameLength(final int length)
    {
        this.length = length;
        return this;
    }

    /**
     * Offset in the buffer of the payload's first byte.
     *
     * @return {@code offset() + HEADER_LENGTH}.
     */
    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /**
     * Payload length of the wrapped frame.
     *
     * @return {@code frameLength() - HEADER_LENGTH}, negative for a short frame.
     */
    public int payloadLength()
    {
        return length - HEADER_LENGTH;
    }

    /**
     * Writes a header with version, type and codec and zeroes every other header field.
     *
     * @param type  frame type.
     * @param codec codec id, {@link FrameDescriptor#CODEC_NONE} for control frames.
     * @return this for a fluent API.
     */
    public HeaderFlyweight writeHeader(final byte type, final byte codec)
    {
        buffer.setMemory(offset, HEADER_LENGTH, (byte)0);
        buffer.putByte(offset + VERSION_OFFSET, VERSION);
        buffer.putByte(offset + TYPE_OFFSET, type);
        buffer.putByte(offset + CODEC_OFFSET, codec);
        return this;
    }

    /**
     * Version byte.
     *
     * @return the protocol version the frame claims.
     */
    public byte version()
    {
        return buffer.getByte(offset + VERSION_OFFSET);
    }

    /**
     * Frame type.
     *
     * @return one of the {@code FrameDescriptor.TYPE_*} values, or anything a foreign sender wrote.
     */
    public byte type()
    {
        return buffer.getByte(offset + TYPE_OFFSET);
    }

    /**
     * Flags.
     *
     * @return the flags byte, see {@code FrameDescriptor.FLAG_*}.
     */
    public byte flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET);
    }

    /**
     * Sets the flags.
     *
     * @param flags bits of {@code FrameDescriptor.FLAG_*}.
     * @return this for a fluent API.
     */
    public HeaderFlyweight flags(final int flags)
    {
        buffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    /**
     * Whether a flag is set.
     *
     * @param flag one bit of {@code FrameDescriptor.FLAG_*}.
     * @return true when the bit is set.
     */
    public boolean hasFlag(final int flag)
    {
        return (flags() & flag) != 0;
    }

    /**
     * Codec id.
     *
     * @return one of the {@code FrameDescriptor.CODEC_*} values.
     */
    public byte codec()
    {
        return buffer.getByte(offset + CODEC_OFFSET);
    }

    /**
     * Job id.
     *
     * @return the job (tenant) the frame belongs to.
     */
    public int jobId()
    {
        return buffer.getInt(offset + JOB_ID_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Sets the job id.
     *
     * @param jobId the job (tenant).
     * @return this for a fluent API.
     */
    public HeaderFlyweight jobId(final int jobId)
    {
        buffer.putInt(offset + JOB_ID_OFFSET, jobId, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Session token.
     *
     * @return the token of the job session, 0 before JOIN_ACK.
     */
    public int sessionToken()
    {
        return buffer.getInt(offset + SESSION_TOKEN_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Sets the session token.
     *
     * @param token of the job session.
     * @return this for a fluent API.
     */
    public HeaderFlyweight sessionToken(final int token)
    {
        buffer.putInt(offset + SESSION_TOKEN_OFFSET, token, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Rank of the worker that sent the frame or that it is addressed to.
     *
     * @return rank, unsigned 16 bits.
     */
    public int rank()
    {
        return buffer.getShort(offset + RANK_OFFSET, LITTLE_ENDIAN) & 0xFFFF;
    }

    /**
     * Sets the rank.
     *
     * @param rank unsigned 16 bits.
     * @return this for a fluent API.
     */
    public HeaderFlyweight rank(final int rank)
    {
        buffer.putShort(offset + RANK_OFFSET, (short)rank, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Slot index in the job's pool.
     *
     * @return slot, unsigned 16 bits.
     */
    public int slot()
    {
        return buffer.getShort(offset + SLOT_OFFSET, LITTLE_ENDIAN) & 0xFFFF;
    }

    /**
     * Sets the slot index.
     *
     * @param slot unsigned 16 bits.
     * @return this for a fluent API.
     */
    public HeaderFlyweight slot(final int slot)
    {
        buffer.putShort(offset + SLOT_OFFSET, (short)slot, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Round: the all-reduce call number (JOIN and JOIN_ACK carry the worker's nonce here).
     *
     * @return round.
     */
    public int round()
    {
        return buffer.getInt(offset + ROUND_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Sets the round.
     *
     * @param round all-reduce call number, or the JOIN nonce.
     * @return this for a fluent API.
     */
    public HeaderFlyweight round(final int round)
    {
        buffer.putInt(offset + ROUND_OFFSET, round, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Chunk sequence number, running on across rounds within a job session.
     *
     * @return sequence; compare with {@link FrameDescriptor#compareSequence}.
     */
    public int sequence()
    {
        return buffer.getInt(offset + SEQUENCE_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Sets the chunk sequence number.
     *
     * @param sequence chunk sequence.
     * @return this for a fluent API.
     */
    public HeaderFlyweight sequence(final int sequence)
    {
        buffer.putInt(offset + SEQUENCE_OFFSET, sequence, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Element count of the payload.
     *
     * @return count, unsigned 16 bits.
     */
    public int count()
    {
        return buffer.getShort(offset + COUNT_OFFSET, LITTLE_ENDIAN) & 0xFFFF;
    }

    /**
     * Sets the element count.
     *
     * @param count elements, unsigned 16 bits.
     * @return this for a fluent API.
     */
    public HeaderFlyweight count(final int count)
    {
        buffer.putShort(offset + COUNT_OFFSET, (short)count, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Exponent the payload is scaled with (FIXED32 and narrower codecs).
     *
     * @return signed exponent, {@link FrameDescriptor#EXPONENT_ZERO} for an all-zero chunk.
     */
    public int exponent()
    {
        return buffer.getByte(offset + EXPONENT_OFFSET);
    }

    /**
     * Sets the exponent.
     *
     * @param exponent signed 8 bits.
     * @return this for a fluent API.
     */
    public HeaderFlyweight exponent(final int exponent)
    {
        buffer.putByte(offset + EXPONENT_OFFSET, (byte)exponent);
        return this;
    }

    /**
     * In CONTRIB: this rank's exponent proposal for the chunk one piggy-back distance ahead. In RESULT: the agreed
     * exponent (maximum over ranks) for that chunk.
     *
     * @return signed exponent.
     */
    public int nextExponent()
    {
        return buffer.getByte(offset + NEXT_EXPONENT_OFFSET);
    }

    /**
     * Sets the next exponent.
     *
     * @param exponent signed 8 bits.
     * @return this for a fluent API.
     */
    public HeaderFlyweight nextExponent(final int exponent)
    {
        buffer.putByte(offset + NEXT_EXPONENT_OFFSET, (byte)exponent);
        return this;
    }

    /**
     * In RESULT: how many ranks the sum holds. In ERROR and ABORT: the error code.
     *
     * @return contributors or error code.
     */
    public int contributors()
    {
        return buffer.getInt(offset + CONTRIBUTORS_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Sets contributors or the error code.
     *
     * @param contributors count, or an error code.
     * @return this for a fluent API.
     */
    public HeaderFlyweight contributors(final int contributors)
    {
        buffer.putInt(offset + CONTRIBUTORS_OFFSET, contributors, LITTLE_ENDIAN);
        return this;
    }
}
