package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.protocol.RankBitmap;
import dev.ina.protocol.HeaderFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Builds well-formed frames of one job by hand, with {@link HeaderFlyweight} and {@link ControlFlyweight}, for
 * tests that call an engine's {@code onFrame} directly. Each method returns a new buffer whose capacity is the
 * frame's length; wrap {@link #header} over it to corrupt a field.
 */
public final class Frames
{
    private final int jobId;
    private final Codec codec;
    private final int worldSize;
    private final int window;
    private final int elementsPerPacket;

    /**
     * Creates a builder for one job's parameters.
     *
     * @param jobId             job id.
     * @param codec             codec.
     * @param worldSize         ranks.
     * @param window            window, a power of two.
     * @param elementsPerPacket elements per chunk.
     */
    public Frames(final int jobId, final Codec codec, final int worldSize, final int window,
        final int elementsPerPacket)
    {
        this.jobId = jobId;
        this.codec = codec;
        this.worldSize = worldSize;
        this.window = window;
        this.elementsPerPacket = elementsPerPacket;
    }

    /**
     * A flyweight over a frame built here, to read or corrupt its header.
     *
     * @param frame a frame from this class.
     * @return a new flyweight wrapped over the whole buffer.
     */
    public static ControlFlyweight header(final UnsafeBuffer frame)
    {
        final ControlFlyweight flyweight = new ControlFlyweight();
        flyweight.wrap(frame, 0, frame.capacity());
        return flyweight;
    }

    /**
     * Slot of a sequence in this job: {@code sequence & (window - 1)}.
     *
     * @param sequence chunk sequence.
     * @return slot.
     */
    public int slotOf(final int sequence)
    {
        return sequence & (window - 1);
    }

    /**
     * Shadow-set flag of a sequence in this job.
     *
     * @param sequence chunk sequence.
     * @return {@link FrameDescriptor#FLAG_SHADOW_SET} or 0.
     */
    public int shadowFlagOf(final int sequence)
    {
        return ((sequence >>> Integer.numberOfTrailingZeros(window)) & 1) * FrameDescriptor.FLAG_SHADOW_SET;
    }

    /**
     * A JOIN with this job's parameters, padded to {@link ControlFlyweight#PADDED_JOIN_LENGTH} as workers send it.
     *
     * @param rank  rank.
     * @param nonce the worker's nonce.
     * @return the frame.
     */
    public UnsafeBuffer join(final int rank, final int nonce)
    {
        return join(rank, nonce, ControlFlyweight.PADDED_JOIN_LENGTH);
    }

    /**
     * A JOIN with this job's parameters, of a given length (zero padding after the parameters).
     *
     * @param rank   rank.
     * @param nonce  the worker's nonce.
     * @param length at least {@link ControlFlyweight#JOIN_LENGTH}.
     * @return the frame.
     */
    public UnsafeBuffer join(final int rank, final int nonce, final int length)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[length]);
        final ControlFlyweight f = header(frame);
        f.writeHeader(FrameDescriptor.TYPE_JOIN, codec.id()).jobId(jobId).rank(rank).round(nonce);
        f.worldSize(worldSize).window(window).elementsPerPacket(elementsPerPacket).mode(0);
        return frame;
    }

    /**
     * A JOIN that proves a secret, as a worker with one sends it: padded to
     * {@link ControlFlyweight#PADDED_JOIN_LENGTH} with the proof at the end.
     *
     * @param rank   rank.
     * @param nonce  the worker's nonce.
     * @param cookie a CHALLENGE's cookie ({@link ControlFlyweight#COOKIE_LENGTH} bytes at offset 0), or null for
     *               none (zeros).
     * @param secret the job's secret.
     * @return the frame.
     */
    public UnsafeBuffer provenJoin(final int rank, final int nonce, final DirectBuffer cookie, final byte[] secret)
    {
        final UnsafeBuffer join = join(rank, nonce, ControlFlyweight.PADDED_JOIN_LENGTH - FrameProof.LENGTH);
        if (cookie != null)
        {
            join.putBytes(ControlFlyweight.COOKIE_OFFSET, cookie, 0, ControlFlyweight.COOKIE_LENGTH);
        }
        return prove(join, secret);
    }

    /**
     * A copy of a frame with a proof of a secret appended (and {@link FrameDescriptor#FLAG_PROOF} set).
     *
     * @param frame  the frame, its capacity its length.
     * @param secret the secret.
     * @return a new buffer, {@link FrameProof#LENGTH} bytes longer.
     */
    public static UnsafeBuffer prove(final UnsafeBuffer frame, final byte[] secret)
    {
        final UnsafeBuffer proven = new UnsafeBuffer(new byte[frame.capacity() + FrameProof.LENGTH]);
        proven.putBytes(0, frame, 0, frame.capacity());
        new FrameProof(secret).sign(proven, 0, frame.capacity());
        return proven;
    }

    /**
     * The cookie a CHALLENGE carries.
     *
     * @param challenge the CHALLENGE frame.
     * @return a new buffer of {@link ControlFlyweight#COOKIE_LENGTH} bytes.
     */
    public static UnsafeBuffer cookieOf(final UnsafeBuffer challenge)
    {
        final UnsafeBuffer cookie = new UnsafeBuffer(new byte[ControlFlyweight.COOKIE_LENGTH]);
        cookie.putBytes(0, challenge, ControlFlyweight.CHALLENGE_COOKIE_OFFSET, ControlFlyweight.COOKIE_LENGTH);
        return cookie;
    }

    /**
     * A JOIN_ACK as the aggregator sends it.
     *
     * @param token session token.
     * @param rank  rank addressed.
     * @param nonce that rank's nonce.
     * @return the frame.
     */
    public UnsafeBuffer joinAck(final int token, final int rank, final int nonce)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[ControlFlyweight.JOIN_LENGTH]);
        final ControlFlyweight f = header(frame);
        f.writeHeader(FrameDescriptor.TYPE_JOIN_ACK, codec.id()).jobId(jobId).sessionToken(token).rank(rank)
            .round(nonce).sequence(0);
        f.worldSize(worldSize).window(window).elementsPerPacket(elementsPerPacket).mode(0);
        return frame;
    }

    /**
     * A CONTRIB with an FP32 payload (for a FIXED32 job use {@link #scaledContribution}).
     *
     * @param token    session token.
     * @param rank     sender rank.
     * @param round    call number.
     * @param sequence chunk sequence; slot and shadow flag follow from it.
     * @param values   payload.
     * @return the frame.
     */
    public UnsafeBuffer contribution(
        final int token, final int rank, final int round, final int sequence, final float... values)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH + values.length * 4]);
        dataHeader(frame, FrameDescriptor.TYPE_CONTRIB, token, rank, round, sequence, values.length);
        for (int i = 0; i < values.length; i++)
        {
            frame.putFloat(FrameDescriptor.HEADER_LENGTH + i * 4, values[i], ByteOrder.LITTLE_ENDIAN);
        }
        return frame;
    }

    /**
     * A CONTRIB of a scaled codec, values at the job codec's width up: int32 for FIXED32, int16 or int8 for the
     * stochastic codecs (each value narrowed to that width).
     *
     * @param token        session token.
     * @param rank         sender rank.
     * @param round        call number.
     * @param sequence     chunk sequence.
     * @param exponent     exponent the payload is scaled with.
     * @param nextExponent exponent proposal carried along.
     * @param values       payload.
     * @return the frame.
     */
    public UnsafeBuffer scaledContribution(
        final int token,
        final int rank,
        final int round,
        final int sequence,
        final int exponent,
        final int nextExponent,
        final int... values)
    {
        final int width = codec.bytesUp();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH + values.length * width]);
        dataHeader(frame, FrameDescriptor.TYPE_CONTRIB, token, rank, round, sequence, values.length)
            .exponent(exponent)
            .nextExponent(nextExponent);
        for (int i = 0; i < values.length; i++)
        {
            final int offset = FrameDescriptor.HEADER_LENGTH + i * width;
            if (width == Byte.BYTES)
            {
                frame.putByte(offset, (byte)values[i]);
            }
            else if (width == Short.BYTES)
            {
                frame.putShort(offset, (short)values[i], ByteOrder.LITTLE_ENDIAN);
            }
            else
            {
                frame.putInt(offset, values[i], ByteOrder.LITTLE_ENDIAN);
            }
        }
        return frame;
    }

    /**
     * A RESULT with an FP32 payload.
     *
     * @param token        session token.
     * @param round        call number.
     * @param sequence     chunk sequence.
     * @param contributors ranks summed.
     * @param values       payload.
     * @return the frame.
     */
    public UnsafeBuffer result(
        final int token, final int round, final int sequence, final int contributors, final float... values)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH + values.length * 4]);
        dataHeader(frame, FrameDescriptor.TYPE_RESULT, token, 0, round, sequence, values.length)
            .contributors(contributors);
        for (int i = 0; i < values.length; i++)
        {
            frame.putFloat(FrameDescriptor.HEADER_LENGTH + i * 4, values[i], ByteOrder.LITTLE_ENDIAN);
        }
        return frame;
    }

    /**
     * A RESULT with an int32 payload, as a FIXED32 aggregator sends it.
     *
     * @param token        session token.
     * @param round        call number.
     * @param sequence     chunk sequence.
     * @param contributors ranks summed.
     * @param exponent     exponent of the sum.
     * @param nextExponent agreed exponent for the chunk one piggy-back distance ahead.
     * @param values       payload.
     * @return the frame.
     */
    public UnsafeBuffer fixedResult(
        final int token,
        final int round,
        final int sequence,
        final int contributors,
        final int exponent,
        final int nextExponent,
        final int... values)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH + values.length * 4]);
        dataHeader(frame, FrameDescriptor.TYPE_RESULT, token, 0, round, sequence, values.length)
            .exponent(exponent)
            .nextExponent(nextExponent)
            .contributors(contributors);
        putInts(frame, values);
        return frame;
    }

    /**
     * A PENDING with a bitmap of the ranks seen.
     *
     * @param token    session token (0 while joining).
     * @param rank     rank addressed.
     * @param round    call number, or the nonce while joining.
     * @param sequence chunk sequence, -1 while joining.
     * @param seen     ranks seen.
     * @return the frame.
     */
    public UnsafeBuffer pending(final int token, final int rank, final int round, final int sequence,
        final int... seen)
    {
        final RankBitmap ranks = new RankBitmap(worldSize);
        for (final int r : seen)
        {
            ranks.add(r);
        }
        final UnsafeBuffer frame =
            new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH + RankBitmap.lengthFor(worldSize)]);
        final ControlFlyweight f = header(frame);
        f.writeHeader(FrameDescriptor.TYPE_PENDING, codec.id()).jobId(jobId).sessionToken(token).rank(rank)
            .round(round).sequence(sequence);
        f.rankBitmap(ranks);
        return frame;
    }

    /**
     * An ERROR or ABORT with a code and a message.
     *
     * @param type    {@link FrameDescriptor#TYPE_ERROR} or {@link FrameDescriptor#TYPE_ABORT}.
     * @param token   session token (0 before JOIN_ACK).
     * @param rank    rank addressed.
     * @param round   the rank's nonce or call number.
     * @param code    error code.
     * @param message text.
     * @return the frame.
     */
    public UnsafeBuffer error(final byte type, final int token, final int rank, final int round, final int code,
        final String message)
    {
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH]);
        final ControlFlyweight f = new ControlFlyweight();
        f.wrap(scratch, 0, scratch.capacity());
        f.writeHeader(type, FrameDescriptor.CODEC_NONE).jobId(jobId).sessionToken(token).rank(rank).round(round)
            .contributors(code);
        f.message(message);
        final byte[] bytes = new byte[f.frameLength()];
        scratch.getBytes(0, bytes);
        return new UnsafeBuffer(bytes);
    }

    /**
     * A RESEND: a header-only query about a chunk (its result if done, else PENDING or a NACK).
     *
     * @param token    session token.
     * @param rank     sender rank.
     * @param round    call number.
     * @param sequence chunk sequence; slot and shadow flag follow from it.
     * @return the frame.
     */
    public UnsafeBuffer resend(final int token, final int rank, final int round, final int sequence)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH]);
        dataHeader(frame, FrameDescriptor.TYPE_RESEND, token, rank, round, sequence, 0)
            .flags(shadowFlagOf(sequence) | FrameDescriptor.FLAG_RETRANSMIT);
        return frame;
    }

    /**
     * A NACK: the aggregator lacks a rank's contributions to {@code count} chunks from {@code sequence}.
     *
     * @param token          session token.
     * @param rank           the rank asked.
     * @param round          call number.
     * @param sequence       first chunk sequence.
     * @param count          consecutive chunks.
     * @param retryAfterUs   not before this many microseconds (0: at once).
     * @return the frame.
     */
    public UnsafeBuffer nack(
        final int token, final int rank, final int round, final int sequence, final int count, final int retryAfterUs)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH]);
        dataHeader(frame, FrameDescriptor.TYPE_NACK, token, rank, round, sequence, count).contributors(retryAfterUs);
        return frame;
    }

    /**
     * A CHALLENGE as the aggregator sends it (proven with a secret).
     *
     * @param rank   rank addressed.
     * @param nonce  that rank's nonce.
     * @param cookie any {@link ControlFlyweight#COOKIE_LENGTH} bytes.
     * @param secret the job's secret.
     * @return the frame.
     */
    public UnsafeBuffer challenge(final int rank, final int nonce, final byte[] cookie, final byte[] secret)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[ControlFlyweight.CHALLENGE_LENGTH - FrameProof.LENGTH]);
        header(frame).writeHeader(FrameDescriptor.TYPE_CHALLENGE, FrameDescriptor.CODEC_NONE).jobId(jobId)
            .rank(rank).round(nonce);
        frame.putBytes(ControlFlyweight.CHALLENGE_COOKIE_OFFSET, cookie);
        return prove(frame, secret);
    }

    /**
     * A LEAVE without a token: withdraws a JOIN.
     *
     * @param rank  rank withdrawing.
     * @param nonce the nonce it joined with.
     * @return the frame.
     */
    public UnsafeBuffer withdraw(final int rank, final int nonce)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH]);
        header(frame).writeHeader(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE).jobId(jobId).rank(rank)
            .round(nonce);
        return frame;
    }

    /**
     * A LEAVE.
     *
     * @param token session token.
     * @param rank  rank leaving.
     * @return the frame.
     */
    public UnsafeBuffer leave(final int token, final int rank)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH]);
        header(frame).writeHeader(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE).jobId(jobId)
            .sessionToken(token).rank(rank);
        return frame;
    }

    private HeaderFlyweight dataHeader(
        final UnsafeBuffer frame,
        final byte type,
        final int token,
        final int rank,
        final int round,
        final int sequence,
        final int count)
    {
        return header(frame).writeHeader(type, codec.id())
            .flags(shadowFlagOf(sequence))
            .jobId(jobId)
            .sessionToken(token)
            .rank(rank)
            .slot(slotOf(sequence))
            .round(round)
            .sequence(sequence)
            .count(count);
    }

    private static void putInts(final UnsafeBuffer frame, final int[] values)
    {
        for (int i = 0; i < values.length; i++)
        {
            frame.putInt(FrameDescriptor.HEADER_LENGTH + i * 4, values[i], ByteOrder.LITTLE_ENDIAN);
        }
    }
}
