package dev.ina.aggregation;

import org.agrona.collections.Long2LongHashMap;

/**
 * The (job, rank, nonce) of JOINs that no longer stand: the rank's process was replaced by one with a new nonce,
 * withdrew, or its session ended. A proven JOIN with one of them is a replay of a captured JOIN, and refused. An
 * entry is kept as long as a cookie lives, since a replay with an older cookie is challenged anyway; at most
 * {@value #CAPACITY} are kept (only proven JOINs add entries, so only the jobs' own churn fills it). Owned by the
 * aggregation engine's thread.
 */
final class RetiredNonces
{
    static final int CAPACITY = 1 << 16;

    private static final long MISSING = Long.MIN_VALUE;

    private final long keepNs;
    private final Long2LongHashMap retiredAtNs = new Long2LongHashMap(MISSING);

    /**
     * @param keepNs how long an entry is remembered: at least the longest a cookie is accepted.
     */
    RetiredNonces(final long keepNs)
    {
        this.keepNs = keepNs;
    }

    void retire(final int jobId, final int rank, final int nonce, final long nowNs)
    {
        if (retiredAtNs.size() < CAPACITY)
        {
            retiredAtNs.put(key(jobId, rank, nonce), nowNs);
        }
    }

    boolean isRetired(final int jobId, final int rank, final int nonce, final long nowNs)
    {
        final long at = retiredAtNs.get(key(jobId, rank, nonce));
        return at != MISSING && nowNs - at <= keepNs;
    }

    int size()
    {
        return retiredAtNs.size();
    }

    /**
     * Forgets entries older than a cookie can be.
     */
    void expire(final long nowNs)
    {
        if (retiredAtNs.isEmpty())
        {
            return;
        }
        final Long2LongHashMap.EntryIterator entries = retiredAtNs.entrySet().iterator();
        while (entries.hasNext())
        {
            entries.next();
            if (nowNs - entries.getLongValue() > keepNs)
            {
                entries.remove();
            }
        }
    }

    private static long key(final int jobId, final int rank, final int nonce)
    {
        return (((long)jobId << 32) | (nonce & 0xFFFF_FFFFL)) ^ ((rank + 1L) * 0x9E37_79B9_7F4A_7C15L);
    }
}
