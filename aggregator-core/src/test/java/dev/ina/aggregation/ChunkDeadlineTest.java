package dev.ina.aggregation;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChunkDeadlineTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long US = TimeUnit.MICROSECONDS.toNanos(1);

    @Test
    void shouldKeepTheConfiguredDeadlineWhenNotAdaptive()
    {
        final ChunkDeadline deadline = new ChunkDeadline(20 * MS, false);
        for (int i = 0; i < 10 * ChunkDeadline.SAMPLES; i++)
        {
            deadline.record(US);
        }
        assertEquals(20 * MS, deadline.deadlineNs());
    }

    @Test
    void shouldAdaptOnlyAfterAFullBatchOfSamples()
    {
        final ChunkDeadline deadline = new ChunkDeadline(20 * MS, true);
        for (int i = 0; i < ChunkDeadline.UPDATE_EVERY - 1; i++)
        {
            deadline.record(MS);
        }
        assertEquals(20 * MS, deadline.deadlineNs());
        deadline.record(MS);
        assertEquals(2 * MS, deadline.deadlineNs(), "twice the 95th percentile");
    }

    @Test
    void shouldFollowTheNinetyFifthPercentileNotTheMean()
    {
        final ChunkDeadline deadline = new ChunkDeadline(20 * MS, true);
        // 64 samples: 58 at 1 ms and 6 at 4 ms. The 95th percentile (index 60 of the sorted 64) is 4 ms.
        for (int i = 0; i < 58; i++)
        {
            deadline.record(MS);
        }
        for (int i = 0; i < 6; i++)
        {
            deadline.record(4 * MS);
        }
        assertEquals(8 * MS, deadline.deadlineNs());
    }

    @Test
    void shouldStayWithinTheFloorAndTheConfiguredCap()
    {
        final ChunkDeadline fast = new ChunkDeadline(20 * MS, true);
        for (int i = 0; i < ChunkDeadline.UPDATE_EVERY; i++)
        {
            fast.record(US);
        }
        assertEquals(ChunkDeadline.MIN_ADAPTIVE_DEADLINE_NS, fast.deadlineNs());

        final ChunkDeadline slow = new ChunkDeadline(20 * MS, true);
        for (int i = 0; i < ChunkDeadline.UPDATE_EVERY; i++)
        {
            slow.record(50 * MS);
        }
        assertEquals(20 * MS, slow.deadlineNs(), "never beyond the configured deadline");
    }

    @Test
    void shouldForgetSamplesOlderThanTheWindow()
    {
        final ChunkDeadline deadline = new ChunkDeadline(100 * MS, true);
        for (int i = 0; i < ChunkDeadline.SAMPLES; i++)
        {
            deadline.record(10 * MS);
        }
        assertEquals(20 * MS, deadline.deadlineNs());
        for (int i = 0; i < ChunkDeadline.SAMPLES; i++)
        {
            deadline.record(MS);
        }
        assertEquals(2 * MS, deadline.deadlineNs(), "the last " + ChunkDeadline.SAMPLES + " samples only");
    }
}
