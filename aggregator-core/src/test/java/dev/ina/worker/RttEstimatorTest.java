package dev.ina.worker;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RttEstimatorTest
{
    private static final long US = 1_000;
    private static final long MIN = 100 * US;
    private static final long MAX = 50_000 * US;

    @Test
    void shouldUseTheInitialTimeoutUntilTheFirstSample()
    {
        final RttEstimator rtt = new RttEstimator(20_000 * US, MIN, MAX);
        assertEquals(20_000 * US, rtt.rtoNs());
        assertEquals(0, rtt.srttNs());
    }

    @Test
    void shouldSetMeanAndHalfDeviationFromTheFirstSample()
    {
        final RttEstimator rtt = new RttEstimator(20_000 * US, MIN, MAX);
        rtt.sample(800 * US);
        assertEquals(800 * US, rtt.srttNs());
        assertEquals(800 * US + 4 * 400 * US, rtt.rtoNs(), "srtt + 4 * rttvar with rttvar = sample / 2");
    }

    @Test
    void shouldSmoothLaterSamplesAsRfc6298()
    {
        final RttEstimator rtt = new RttEstimator(20_000 * US, MIN, MAX);
        rtt.sample(800 * US);
        rtt.sample(1600 * US);
        // rttvar = 400 + (|800 - 1600| - 400) / 4 = 500; srtt = 800 + (1600 - 800) / 8 = 900.
        assertEquals(900 * US, rtt.srttNs());
        assertEquals(900 * US + 4 * 500 * US, rtt.rtoNs());
    }

    @Test
    void shouldKeepTheTimeoutWithinItsBoundsWhenSamplesAreExtreme()
    {
        final RttEstimator rtt = new RttEstimator(20_000 * US, MIN, MAX);
        for (int i = 0; i < 50; i++)
        {
            rtt.sample(1 * US);
        }
        assertEquals(MIN, rtt.rtoNs());
        rtt.sample(10_000_000 * US);
        assertEquals(MAX, rtt.rtoNs());
    }

    @Test
    void shouldDoubleOnBackOffAndRestoreWhenTheLossWasSpurious()
    {
        final RttEstimator rtt = new RttEstimator(20_000 * US, MIN, MAX);
        rtt.sample(1_000 * US);
        final long before = rtt.rtoNs();
        rtt.backOff();
        assertEquals(2 * before, rtt.rtoNs());
        rtt.undoBackOff();
        assertEquals(before, rtt.rtoNs());
        rtt.undoBackOff();
        assertEquals(before, rtt.rtoNs(), "undo twice changes nothing");
    }

    @Test
    void shouldCapTheBackOffAtTheMaximum()
    {
        final RttEstimator rtt = new RttEstimator(40_000 * US, MIN, MAX);
        rtt.backOff();
        assertEquals(MAX, rtt.rtoNs());
        assertEquals(MAX, rtt.backedOffNs(30), "per-retry doubling stops at the maximum, without overflow");
    }

    @Test
    void shouldDoubleThePerChunkTimeoutWithEachRetry()
    {
        final RttEstimator rtt = new RttEstimator(1_000 * US, MIN, MAX);
        assertEquals(1_000 * US, rtt.backedOffNs(0));
        assertEquals(2_000 * US, rtt.backedOffNs(1));
        assertEquals(8_000 * US, rtt.backedOffNs(3));
    }
}
