package dev.ina.aggregation;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Bounded mode: how long after its first contribution a chunk may finish with the quorum. Fixed at the configured
 * deadline, or adaptive: twice the 95th percentile of recent complete chunks' spread (first to last
 * contribution, or to a straggler's late one, so that a consistently slow rank raises the deadline), recomputed
 * every {@value #UPDATE_EVERY} samples over the last {@value #SAMPLES}, within
 * [{@link #MIN_ADAPTIVE_DEADLINE_NS}, configured deadline]. Owned by the aggregation engine's thread.
 */
final class ChunkDeadline
{
    static final long MIN_ADAPTIVE_DEADLINE_NS = TimeUnit.MICROSECONDS.toNanos(200);
    static final int SAMPLES = 256;
    static final int UPDATE_EVERY = 64;

    private final long configuredNs;
    private final long[] samples;
    private final long[] sortScratch;
    private int sampleCount;
    private long deadlineNs;

    ChunkDeadline(final long configuredNs, final boolean adaptive)
    {
        this.configuredNs = configuredNs;
        this.deadlineNs = configuredNs;
        samples = new long[adaptive ? SAMPLES : 0];
        sortScratch = new long[samples.length];
    }

    /**
     * The deadline in force.
     *
     * @return nanoseconds from a chunk's first contribution.
     */
    long deadlineNs()
    {
        return deadlineNs;
    }

    /**
     * Records how long a chunk needed to include every rank; ignored unless adaptive.
     *
     * @param spreadNs first to last contribution.
     */
    void record(final long spreadNs)
    {
        if (samples.length == 0)
        {
            return;
        }
        samples[sampleCount++ & (SAMPLES - 1)] = spreadNs;
        if ((sampleCount & (UPDATE_EVERY - 1)) == 0)
        {
            final int n = Math.min(sampleCount, SAMPLES);
            System.arraycopy(samples, 0, sortScratch, 0, n);
            Arrays.sort(sortScratch, 0, n);
            final long p95 = sortScratch[Math.min(n - 1, (int)(n * 0.95))];
            deadlineNs = Math.max(MIN_ADAPTIVE_DEADLINE_NS, Math.min(configuredNs, 2 * p95));
        }
    }
}
