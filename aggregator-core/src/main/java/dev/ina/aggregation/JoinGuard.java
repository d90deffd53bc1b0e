package dev.ina.aggregation;

import dev.ina.config.AggregatorConfig;
import dev.ina.config.JobSecrets;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.Arrays;
import java.util.Random;

/**
 * Decides whether a JOIN proves its job's secret and is fresh (see {@link ControlFlyweight}): which jobs need a
 * secret (those the aggregator holds one for, or all), whether the JOIN's {@link FrameProof} verifies, whether its
 * cookie was made by this engine for this sender within its lifetime ({@link JoinCookies}), and whether its nonce
 * was retired (a replay, {@link RetiredNonces}). It also holds the rate limit on replies to JOINs that prove
 * nothing ({@link ReplyLimiter}). The proof is checked before anything that depends on the job table, so a refusal
 * does not tell whether the job exists; with every job requiring a secret, a JOIN for a job without one is
 * checked against a random key, so its answer and its timing match a wrong secret's. Owned by the aggregation
 * engine's thread.
 */
final class JoinGuard
{
    /** The job has no secret and none is required: anyone may join. */
    static final int OPEN = 0;
    /** The proof and the cookie verified and the nonce is not retired. */
    static final int PROVEN = 1;
    /** The job needs a proof and the JOIN has none. */
    static final int NO_PROOF = 2;
    /** The proof does not verify (or the job has no secret while every job needs one). */
    static final int BAD_PROOF = 3;
    /** The JOIN has a proof, but the job is open: the worker expects a secret the aggregator does not hold. */
    static final int NO_SECRET = 4;
    /** The proof verified, but the cookie is missing or expired: challenge. */
    static final int NEEDS_COOKIE = 5;
    /** The proof verified, but the cookie was not made for this sender, job, rank and nonce: challenge. */
    static final int FOREIGN_COOKIE = 6;
    /** The proof and the cookie verified, but the nonce was retired: a replay. */
    static final int REPLAY = 7;

    private static final int DECOY_KEY_LENGTH = 32;

    private final boolean requireSecret;
    private final JoinCookies cookies;
    private final ReplyLimiter limiter;
    private final RetiredNonces retired = new RetiredNonces(JoinCookies.LIFETIME_NS);
    private final FrameProof decoy;
    private final Int2ObjectHashMap<FrameProof> proofs = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<byte[]> secretsInUse = new Int2ObjectHashMap<>();
    private JobSecrets secrets;

    JoinGuard(final AggregatorConfig config, final Random random)
    {
        requireSecret = config.requireSecret();
        secrets = config.jobSecrets();
        cookies = new JoinCookies(random);
        limiter = new ReplyLimiter(config.unprovenReplyRate());
        final byte[] decoyKey = new byte[DECOY_KEY_LENGTH];
        random.nextBytes(decoyKey);
        decoy = new FrameProof(decoyKey);
    }

    JoinCookies cookies()
    {
        return cookies;
    }

    /**
     * Checks a JOIN whose parameters are valid.
     *
     * @return one of the verdicts {@link #OPEN} ... {@link #REPLAY}.
     */
    int verify(final ControlFlyweight join, final int length, final int peer, final long nowNs)
    {
        final int jobId = join.jobId();
        final FrameProof proof = proofOf(jobId);
        final boolean claimsProof = join.hasFlag(FrameDescriptor.FLAG_PROOF);
        if (proof == null)
        {
            if (!requireSecret)
            {
                return claimsProof ? NO_SECRET : OPEN;
            }
            if (claimsProof)
            {
                // Same work and answer as a listed job with a wrong secret: a refusal tells nothing about listing.
                decoy.verify(join.buffer(), join.offset(), length);
                return BAD_PROOF;
            }
            return NO_PROOF;
        }
        if (!claimsProof)
        {
            return NO_PROOF;
        }
        if (length < ControlFlyweight.MIN_PROVEN_JOIN_LENGTH || !proof.verify(join.buffer(), join.offset(), length))
        {
            return BAD_PROOF;
        }
        final int cookie = cookies.check(join.buffer(), join.offset() + ControlFlyweight.COOKIE_OFFSET, peer,
            jobId, join.rank(), join.nonce(), nowNs);
        if (cookie == JoinCookies.FORGED)
        {
            return FOREIGN_COOKIE;
        }
        if (cookie != JoinCookies.VALID)
        {
            return NEEDS_COOKIE;
        }
        return retired.isRetired(jobId, join.rank(), join.nonce(), nowNs) ? REPLAY : PROVEN;
    }

    /**
     * The prover of a job's current secret.
     *
     * @return the prover, or null if the job has no secret.
     */
    FrameProof proofOf(final int jobId)
    {
        FrameProof proof = proofs.get(jobId);
        if (proof == null)
        {
            final byte[] secret = secrets.secretOf(jobId);
            if (secret == null)
            {
                return null;
            }
            proof = new FrameProof(secret);
            proofs.put(jobId, proof);
            secretsInUse.put(jobId, secret);
        }
        return proof;
    }

    /**
     * Takes a reply to a JOIN that proved nothing from the rate limits.
     *
     * @return true if the reply may be sent.
     */
    boolean mayReply(final int peer, final long nowNs)
    {
        return limiter.tryAcquire(peer, nowNs);
    }

    /**
     * A rank's nonce no longer stands (replaced, withdrawn, or its session ended): a JOIN with it is a replay.
     */
    void retire(final int jobId, final int rank, final int nonce, final long nowNs)
    {
        retired.retire(jobId, rank, nonce, nowNs);
    }

    /**
     * Housekeeping: forgets retired nonces older than any cookie.
     */
    void expire(final long nowNs)
    {
        retired.expire(nowNs);
    }

    /**
     * New secrets (the file changed): provers of unchanged secrets are kept, so that a job formed before keeps
     * matching its JOINs; those of changed or removed secrets are dropped.
     */
    void secrets(final JobSecrets newSecrets)
    {
        secrets = newSecrets;
        final Int2ObjectHashMap<byte[]>.KeyIterator ids = secretsInUse.keySet().iterator();
        while (ids.hasNext())
        {
            final int jobId = ids.nextInt();
            if (!Arrays.equals(secretsInUse.get(jobId), newSecrets.secretOf(jobId)))
            {
                ids.remove();
                proofs.remove(jobId);
            }
        }
    }
}
