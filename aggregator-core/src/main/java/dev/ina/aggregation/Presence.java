package dev.ina.aggregation;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Bounded mode: which ranks of a job are alive. A rank is present while it is heard from; once it has left, or
 * been silent for {@code max(4 * deadline, 100 ms)}, chunks stop waiting for it, so a dead rank costs one
 * deadline and the job goes on without it. Owned by the aggregation engine's thread.
 */
final class Presence
{
    static final long MIN_ABSENT_AFTER_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final long absentAfterNs;
    private final long[] heardNs;
    private final boolean[] present;
    private int presentCount;

    Presence(final int worldSize, final long deadlineNs)
    {
        absentAfterNs = Math.max(4 * deadlineNs, MIN_ABSENT_AFTER_NS);
        heardNs = new long[worldSize];
        present = new boolean[worldSize];
    }

    /**
     * Every rank present as of now: at start, so that no rank counts as absent before it had a chance to send.
     */
    void markAllPresent(final long nowNs)
    {
        Arrays.fill(heardNs, nowNs);
        Arrays.fill(present, true);
        presentCount = present.length;
    }

    /**
     * A frame from a rank proves it is alive, unless it has left.
     */
    void heard(final int rank, final boolean hasLeft, final long nowNs)
    {
        heardNs[rank] = nowNs;
        if (!present[rank] && !hasLeft)
        {
            present[rank] = true;
            presentCount++;
        }
    }

    /**
     * Ranks that left or were silent too long are no longer waited for.
     *
     * @param members the job's membership, for who left.
     */
    void update(final Job members, final long nowNs)
    {
        for (int r = 0; r < present.length; r++)
        {
            if (present[r] && (nowNs - heardNs[r] > absentAfterNs || members.hasLeft(r)))
            {
                present[r] = false;
                presentCount--;
            }
        }
    }

    int presentCount()
    {
        return presentCount;
    }

    boolean isPresent(final int rank)
    {
        return present[rank];
    }
}
