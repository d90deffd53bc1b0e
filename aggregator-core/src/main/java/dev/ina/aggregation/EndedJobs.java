package dev.ina.aggregation;

/**
 * The (job id, session token) of the last {@value #KEPT} jobs that ended, oldest overwritten first, so that a
 * frame that outlived its job (an extra LEAVE copy, a retransmission that crossed the last result) is counted as
 * expected rather than as misdirected traffic.
 */
final class EndedJobs
{
    static final int KEPT = 16;

    private final long[] keys = new long[KEPT];
    private int next;
    private int kept;

    void add(final int jobId, final int token)
    {
        keys[next] = key(jobId, token);
        next = (next + 1) % KEPT;
        kept = Math.min(kept + 1, KEPT);
    }

    boolean contains(final int jobId, final int token)
    {
        // Only the entries written so far: an unused one (0) would otherwise match a frame of job 0 with token 0.
        final long key = key(jobId, token);
        for (int i = 0; i < kept; i++)
        {
            if (keys[i] == key)
            {
                return true;
            }
        }
        return false;
    }

    private static long key(final int jobId, final int token)
    {
        return ((long)jobId << 32) | (token & 0xFFFF_FFFFL);
    }
}
