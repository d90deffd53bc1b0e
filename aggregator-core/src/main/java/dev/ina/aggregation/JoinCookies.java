package dev.ina.aggregation;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameProof;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Stateless cookies that prove a JOIN is fresh and comes from the address it claims: the epoch
 * ({@code floor(nowNs / 10 s)}, 32 bits little-endian) and the first {@value #TAG_LENGTH} bytes of an HMAC-SHA256,
 * under a key drawn when the engine starts and never sent, over the epoch, the sender's peer id, the job id, the
 * rank and the nonce. A cookie made in epoch {@code e} is accepted in epochs {@code e} and {@code e + 1}: for 10 to
 * 20 s ({@link #LIFETIME_NS} at most). The aggregator keeps no state per cookie; a replayed JOIN needs a cookie
 * made for its sender within that time, and a new one needs the job's secret to be tagged. Owned by the
 * aggregation engine's thread.
 */
final class JoinCookies
{
    static final long EPOCH_NS = TimeUnit.SECONDS.toNanos(10);
    /** The longest a cookie is accepted after it was made. */
    static final long LIFETIME_NS = 2 * EPOCH_NS;
    static final int TAG_LENGTH = ControlFlyweight.COOKIE_LENGTH - Integer.BYTES;

    /** The cookie was made for this sender, job, rank and nonce within its lifetime. */
    static final int VALID = 0;
    /** The JOIN carries no cookie (all zero): its first. */
    static final int MISSING = 1;
    /** The cookie was made for this JOIN, but too long ago. */
    static final int EXPIRED = 2;
    /** The cookie was not made by this engine for this sender, job, rank and nonce. */
    static final int FORGED = 3;

    private static final int KEY_LENGTH = 32;
    private static final int INPUT_LENGTH = 5 * Integer.BYTES;

    private final FrameProof mac;
    private final UnsafeBuffer input = new UnsafeBuffer(new byte[INPUT_LENGTH]);
    private final UnsafeBuffer tag = new UnsafeBuffer(new byte[FrameProof.LENGTH]);

    JoinCookies(final Random random)
    {
        final byte[] key = new byte[KEY_LENGTH];
        random.nextBytes(key);
        mac = new FrameProof(key);
    }

    static int epochOf(final long nowNs)
    {
        return (int)Math.floorDiv(nowNs, EPOCH_NS);
    }

    /**
     * Writes a fresh cookie for a JOIN.
     */
    void write(
        final MutableDirectBuffer dst, final int offset, final int peer, final int jobId, final int rank,
        final int nonce, final long nowNs)
    {
        final int epoch = epochOf(nowNs);
        dst.putInt(offset, epoch, LITTLE_ENDIAN);
        input(epoch, peer, jobId, rank, nonce);
        mac.tag(input, 0, INPUT_LENGTH, tag, 0);
        dst.putBytes(offset + Integer.BYTES, tag, 0, TAG_LENGTH);
    }

    /**
     * Checks the cookie a JOIN carries.
     *
     * @return {@link #VALID}, {@link #MISSING}, {@link #EXPIRED} or {@link #FORGED}.
     */
    int check(
        final DirectBuffer src, final int offset, final int peer, final int jobId, final int rank, final int nonce,
        final long nowNs)
    {
        boolean zero = true;
        for (int i = 0; i < ControlFlyweight.COOKIE_LENGTH && zero; i++)
        {
            zero = src.getByte(offset + i) == 0;
        }
        if (zero)
        {
            return MISSING;
        }
        final int epoch = src.getInt(offset, LITTLE_ENDIAN);
        input(epoch, peer, jobId, rank, nonce);
        if (!mac.matches(input, 0, INPUT_LENGTH, src, offset + Integer.BYTES, TAG_LENGTH))
        {
            return FORGED;
        }
        final int age = epochOf(nowNs) - epoch;
        return age == 0 || age == 1 ? VALID : EXPIRED;
    }

    private void input(final int epoch, final int peer, final int jobId, final int rank, final int nonce)
    {
        input.putInt(0, epoch, LITTLE_ENDIAN);
        input.putInt(4, peer, LITTLE_ENDIAN);
        input.putInt(8, jobId, LITTLE_ENDIAN);
        input.putInt(12, rank, LITTLE_ENDIAN);
        input.putInt(16, nonce, LITTLE_ENDIAN);
    }
}
