package dev.ina.worker;

/**
 * Round-trip time estimate and retransmission timeout of one worker, as TCP's (RFC 6298): Jacobson's smoothed
 * mean and mean deviation, {@code rto = srtt + 4 * rttvar} within [min, max], with the timeout doubled once per
 * loss episode and restored when the episode turns out spurious. Samples must follow Karn's rule (no sample from a
 * retransmitted chunk); that is the caller's job, since only it knows which transmission a result answers.
 * Single-threaded.
 */
final class RttEstimator
{
    private final long minRtoNs;
    private final long maxRtoNs;
    private long srttNs;
    private long minRttNs = Long.MAX_VALUE;
    private long rttVarNs;
    private long rtoNs;
    private long rtoBeforeBackOffNs;

    /**
     * @param initialRtoNs timeout before the first sample.
     * @param minRtoNs     lower bound of the timeout.
     * @param maxRtoNs     upper bound of the timeout, also after back-off.
     */
    RttEstimator(final long initialRtoNs, final long minRtoNs, final long maxRtoNs)
    {
        this.minRtoNs = minRtoNs;
        this.maxRtoNs = maxRtoNs;
        this.rtoNs = initialRtoNs;
    }

    long rtoNs()
    {
        return rtoNs;
    }

    long maxRtoNs()
    {
        return maxRtoNs;
    }

    /**
     * Smoothed round-trip time, 0 before the first sample.
     */
    long srttNs()
    {
        return srttNs;
    }

    /**
     * Smallest round trip seen: the network and the aggregator alone, without waiting for other ranks; 0 before
     * the first sample.
     */
    long minRttNs()
    {
        return minRttNs == Long.MAX_VALUE ? 0 : minRttNs;
    }

    /**
     * A round trip measured on a chunk sent once.
     */
    void sample(final long sampleNs)
    {
        minRttNs = Math.min(minRttNs, sampleNs);
        if (srttNs == 0)
        {
            srttNs = sampleNs;
            rttVarNs = sampleNs / 2;
        }
        else
        {
            rttVarNs += (Math.abs(srttNs - sampleNs) - rttVarNs) / 4;
            srttNs += (sampleNs - srttNs) / 8;
        }
        rtoNs = Math.max(minRtoNs, Math.min(maxRtoNs, srttNs + 4 * rttVarNs));
    }

    /**
     * A loss episode began with a timeout: double the timeout (as TCP), so that a starved CPU rather than a lost
     * packet is not answered with ever faster retransmissions, until a clean sample.
     */
    void backOff()
    {
        rtoBeforeBackOffNs = rtoNs;
        rtoNs = Math.min(maxRtoNs, rtoNs * 2);
    }

    /**
     * The timeout was spurious (a slow peer, not loss): take the back-off back.
     */
    void undoBackOff()
    {
        if (rtoBeforeBackOffNs > 0 && rtoNs > rtoBeforeBackOffNs)
        {
            rtoNs = rtoBeforeBackOffNs;
        }
    }

    /**
     * Timeout of a chunk retransmitted {@code retries} times: the RTO doubled per retry, at most the maximum.
     */
    long backedOffNs(final int retries)
    {
        return Math.min(maxRtoNs, rtoNs << Math.min(retries, 20));
    }
}
