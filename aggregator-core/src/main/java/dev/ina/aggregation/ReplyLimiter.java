package dev.ina.aggregation;

import java.util.concurrent.TimeUnit;

/**
 * Token buckets that bound the replies to senders that proved nothing (ERROR and CHALLENGE to such JOINs): one for
 * the engine thread, at the configured rate with a burst of one second's worth, and one per source, at
 * {@value #PER_SOURCE_RATE} per second with a burst of as many. Sources map onto {@value #SOURCE_BUCKETS} buckets
 * by peer id (peers that share a bucket share its budget, which only makes the limit stricter). Credit is kept in
 * nanoseconds of refill time, so the arithmetic is integer only. Owned by the aggregation engine's thread; time
 * arrives as an argument.
 */
final class ReplyLimiter
{
    /** Replies per second one source may receive. */
    static final int PER_SOURCE_RATE = 10;
    static final int SOURCE_BUCKETS = 4096;

    private static final long NS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final long globalCostNs;
    private final long globalCapacityNs;
    private final long sourceCostNs;
    private final long sourceCapacityNs;
    private final long[] sourceCreditNs = new long[SOURCE_BUCKETS];
    private final long[] sourceLastNs = new long[SOURCE_BUCKETS];
    private final boolean[] sourceUsed = new boolean[SOURCE_BUCKETS];
    private long globalCreditNs;
    private long globalLastNs;
    private boolean globalUsed;

    /**
     * @param repliesPerSecond rate and burst of the engine thread's bucket.
     */
    ReplyLimiter(final int repliesPerSecond)
    {
        globalCostNs = NS_PER_SECOND / repliesPerSecond;
        globalCapacityNs = globalCostNs * repliesPerSecond;
        final int perSource = Math.min(PER_SOURCE_RATE, repliesPerSecond);
        sourceCostNs = NS_PER_SECOND / perSource;
        sourceCapacityNs = sourceCostNs * perSource;
    }

    /**
     * Takes one reply from the source's bucket and the engine's, if both have one.
     *
     * @param peer  the source's peer id (any int; unknown peers share a bucket).
     * @param nowNs current time.
     * @return true if the reply may be sent.
     */
    boolean tryAcquire(final int peer, final long nowNs)
    {
        final int bucket = peer & (SOURCE_BUCKETS - 1);
        if (!globalUsed)
        {
            globalUsed = true;
            globalLastNs = nowNs;
            globalCreditNs = globalCapacityNs;
        }
        if (!sourceUsed[bucket])
        {
            sourceUsed[bucket] = true;
            sourceLastNs[bucket] = nowNs;
            sourceCreditNs[bucket] = sourceCapacityNs;
        }
        globalCreditNs = refill(globalCreditNs, nowNs - globalLastNs, globalCapacityNs);
        globalLastNs = nowNs;
        final long sourceCredit = refill(sourceCreditNs[bucket], nowNs - sourceLastNs[bucket], sourceCapacityNs);
        sourceLastNs[bucket] = nowNs;
        if (globalCreditNs < globalCostNs || sourceCredit < sourceCostNs)
        {
            sourceCreditNs[bucket] = sourceCredit;
            return false;
        }
        globalCreditNs -= globalCostNs;
        sourceCreditNs[bucket] = sourceCredit - sourceCostNs;
        return true;
    }

    private static long refill(final long creditNs, final long elapsedNs, final long capacityNs)
    {
        // A clock that went backwards adds nothing; a long pause fills the bucket, never beyond it.
        return elapsedNs <= 0 ? creditNs : Math.min(capacityNs, creditNs + Math.min(elapsedNs, capacityNs));
    }
}
