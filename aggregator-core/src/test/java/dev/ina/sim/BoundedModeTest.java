package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.CounterDescriptor;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BOUNDED mode through the whole protocol on the simulated network: chunks finish at the deadline with the quorum,
 * results are rescaled by their contributor count, a silent rank stops being waited for, a straggler catches up on
 * kept results, and a worker that gets no result fills the chunk from its own values.
 */
class BoundedModeTest
{
    private static final int WORLD_SIZE = 4;
    private static final int WINDOW = 4;
    private static final int EPP = 16;
    private static final int ELEMENTS = 100;
    private static final long DEADLINE_NS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final int MAX_STEPS = 2_000_000;

    private static SimulatedNetwork network(final Codec codec)
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, WORLD_SIZE, codec, WINDOW, EPP)
                .mode(Mode.BOUNDED).deadlineNs(DEADLINE_NS).quorum(2).build())
            .seed(3).build();
        net.joinAll(MAX_STEPS);
        return net;
    }

    private static float[] input(final int rank, final int call)
    {
        final float[] data = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++)
        {
            data[i] = (i % 7) - 3 + rank * 10 + call;
        }
        return data;
    }

    @Test
    void shouldFinishAtTheDeadlineAndThenStopWaitingWhenARankIsSilent()
    {
        final SimulatedNetwork net = network(Codec.FP32);
        final int live = WORLD_SIZE - 1;
        long lastCallNs = 0;
        for (int call = 0; call < 12; call++)
        {
            final float[][] data = new float[live][];
            for (int r = 0; r < live; r++)
            {
                data[r] = input(r, call);
                net.startCall(r, data[r], ReduceOp.SUM);
            }
            final long startNs = net.nowNs();
            net.runUntil(net::noneInCall, MAX_STEPS);
            net.assertNoneFailed();
            lastCallNs = net.nowNs() - startNs;
            for (int r = 0; r < live; r++)
            {
                assertArrayEquals(data[0], data[r], "rank " + r + " call " + call);
                final ReduceStats stats = net.worker(r).stats();
                assertEquals(ELEMENTS, stats.elementsPartial(), stats.toString());
                assertEquals(0, stats.elementsExact());
                assertEquals(live, stats.minContributors());
            }
            for (int i = 0; i < ELEMENTS; i++)
            {
                float sum = 0;
                for (int r = 0; r < live; r++)
                {
                    sum += input(r, call)[i];
                }
                // A partial SUM is extrapolated to the world size: sum * n / contributors.
                assertEquals((float)(sum * ((double)WORLD_SIZE / live)), data[0][i], "element " + i);
            }
        }
        assertTrue(net.aggregatorCounters().get(CounterDescriptor.PARTIAL_COMPLETIONS) > 0);
        // Once the silent rank counts as absent (100 ms), chunks no longer wait for the deadline.
        assertTrue(lastCallNs < DEADLINE_NS, "last call took " + lastCallNs + " ns");
    }

    @Test
    void shouldDropAStragglersContributionsAndGiveItTheKeptResults()
    {
        final SimulatedNetwork net = network(Codec.FIXED32);
        final float[][] data = new float[WORLD_SIZE][];
        for (int r = 0; r < WORLD_SIZE - 1; r++)
        {
            data[r] = input(r, 0);
            net.startCall(r, data[r], ReduceOp.AVG);
        }
        net.runUntil(net::noneInCall, MAX_STEPS);
        final int straggler = WORLD_SIZE - 1;
        data[straggler] = input(straggler, 0);
        net.startCall(straggler, data[straggler], ReduceOp.AVG);
        net.runUntil(net::noneInCall, MAX_STEPS);
        net.assertNoneFailed();
        assertArrayEquals(data[0], data[straggler]);
        assertEquals(ELEMENTS, net.worker(straggler).stats().elementsPartial());
        assertTrue(net.aggregatorCounters().get(CounterDescriptor.DROP_LATE) > 0);
        for (int i = 0; i < ELEMENTS; i++)
        {
            final double avg = (input(0, 0)[i] + input(1, 0)[i] + input(2, 0)[i]) / 3.0;
            assertEquals(avg, data[0][i], 1e-5, "element " + i);
        }
    }

    @Test
    void shouldFillFromItsOwnValuesWhenNoResultComes()
    {
        final SimulatedNetwork net = network(Codec.INT8);
        final int victim = 1;
        net.filter((from, to, buffer, offset, length, nowNs) -> to == SimulatedNetwork.peerOf(victim) &&
            buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET) == FrameDescriptor.TYPE_RESULT);
        final float[][] data = new float[WORLD_SIZE][];
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            data[r] = input(r, 0);
            net.startCall(r, data[r], ReduceOp.AVG);
        }
        final long startNs = net.nowNs();
        net.runUntil(net::noneInCall, MAX_STEPS);
        net.assertNoneFailed();
        assertArrayEquals(input(victim, 0), data[victim], "AVG filled locally keeps the rank's own values");
        assertEquals(ELEMENTS, net.worker(victim).stats().elementsFilledLocally());
        assertTrue(net.worker(victim).stats().minContributors() <= 1);
        assertTrue(net.workerCounters(victim).get(CounterDescriptor.CHUNKS_FILLED_LOCALLY) > 0);
        assertArrayEquals(data[0], data[2]);
        assertTrue(net.nowNs() - startNs < TimeUnit.SECONDS.toNanos(1), "bounded call took too long");

        // The next call works again for everyone.
        net.filter(FrameFilter.NONE);
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            data[r] = input(r, 1);
            net.startCall(r, data[r], ReduceOp.AVG);
        }
        net.runUntil(net::noneInCall, MAX_STEPS);
        net.assertNoneFailed();
        for (int r = 1; r < WORLD_SIZE; r++)
        {
            assertArrayEquals(data[0], data[r], "rank " + r);
        }
        final ReduceStats stats = net.worker(victim).stats();
        assertEquals(ELEMENTS, stats.elementsExact() + stats.elementsPartial());
    }

    /**
     * INT8_NARROW with 5 ranks ({@code k = 3}, not a power of two): results that hold 4 contributions are rounded
     * with the world size's shift, a straggler gets the kept results bit for bit, and AVG and the extrapolated SUM
     * stay within the bound for 4 contributors: {@code (4 + 2^3)} steps, scaled as the result is.
     */
    @Test
    void shouldRoundPartialSumsWithTheWorldSizesShiftWhenCodecIsInt8Narrow()
    {
        final int n = 5;
        final int live = n - 1;
        final SimulatedNetwork net = SimulatedNetwork.builder(n)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, n, Codec.INT8_NARROW, WINDOW, EPP)
                .mode(Mode.BOUNDED).deadlineNs(DEADLINE_NS).quorum(2).build())
            .seed(5).build();
        net.joinAll(MAX_STEPS);
        for (int call = 0; call < 4; call++)
        {
            final ReduceOp op = call % 2 == 0 ? ReduceOp.AVG : ReduceOp.SUM;
            final float[][] inputs = ReferenceSums.gradients(40 + call, n, ELEMENTS);
            final float[][] data = ReferenceSums.copy(inputs);
            for (int r = 0; r < live; r++)
            {
                net.startCall(r, data[r], op);
            }
            net.runUntil(net::noneInCall, MAX_STEPS);
            // The last rank comes late: its chunks finished without it; it receives the kept results.
            net.startCall(live, data[live], op);
            net.runUntil(net::noneInCall, MAX_STEPS);
            net.assertNoneFailed();
            for (int r = 0; r < n; r++)
            {
                assertArrayEquals(data[0], data[r], "rank " + r + " call " + call);
                assertEquals(ELEMENTS, net.worker(r).stats().elementsPartial(), "rank " + r + " call " + call);
                assertEquals(live, net.worker(r).stats().minContributors());
            }
            final float[][] contributed = java.util.Arrays.copyOf(inputs, live);
            for (int i = 0; i < ELEMENTS; i++)
            {
                final int start = i / EPP * EPP;
                final int exponent = ReferenceSums.maxExponent(contributed, start, Math.min(ELEMENTS, start + EPP));
                double reference = 0;
                for (final float[] input : contributed)
                {
                    reference += input[i];
                }
                // AVG divides by the contributors; a partial SUM is extrapolated by n / contributors.
                final double scale = op == ReduceOp.AVG ? 1.0 / live : (double)n / live;
                final double bound = (live + 8) * Math.scalb(1.0d, exponent - 6) * scale + Math.ulp(data[0][i]);
                assertEquals(reference * scale, data[0][i], bound, op + " call " + call + " element " + i);
            }
        }
        assertTrue(net.aggregatorCounters().get(CounterDescriptor.DROP_LATE) > 0);
        assertTrue(net.aggregatorCounters().get(CounterDescriptor.PARTIAL_COMPLETIONS) > 0);
    }

    @Test
    void shouldKeepEveryRankReceivingResultsWhenLossAndAStragglerPersist()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, WORLD_SIZE, Codec.FIXED32, WINDOW, EPP)
                .mode(Mode.BOUNDED).deadlineNs(DEADLINE_NS).build())
            .links(LinkProfile.of(0.02, 0, 0), LinkProfile.of(0.02, 0, 0)).seed(9).build();
        net.joinAll(MAX_STEPS);
        final long[] filled = new long[WORLD_SIZE];
        final long[] received = new long[WORLD_SIZE];
        final int calls = 300;
        for (int call = 0; call < calls; call++)
        {
            final float[][] data = new float[WORLD_SIZE][];
            for (int r = 0; r < WORLD_SIZE - 1; r++)
            {
                data[r] = input(r, call);
                net.startCall(r, data[r], ReduceOp.AVG);
            }
            net.runFor(TimeUnit.MILLISECONDS.toNanos(3), MAX_STEPS);
            data[WORLD_SIZE - 1] = input(WORLD_SIZE - 1, call);
            net.startCall(WORLD_SIZE - 1, data[WORLD_SIZE - 1], ReduceOp.AVG);
            net.runUntil(net::noneInCall, MAX_STEPS);
            net.assertNoneFailed();
            for (int r = 0; r < WORLD_SIZE; r++)
            {
                filled[r] += net.worker(r).stats().elementsFilledLocally();
                received[r] += net.worker(r).stats().elementsExact() + net.worker(r).stats().elementsPartial();
            }
        }
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            assertTrue(filled[r] < (long)calls * ELEMENTS / 10, "rank " + r + " filled " + filled[r] + " of " +
                (long)calls * ELEMENTS + " elements locally, received " + received[r]);
        }
    }

    /**
     * A rank that starts 200 ms (tens of calls) after the others finds its chunks gone and fills them locally, but
     * its calls are then quicker than theirs, so it catches up and receives results again.
     */
    @Test
    void shouldCatchUpWhenARankStartsFarBehind()
    {
        final int n = 4;
        final int elements = 25 * 64;
        final SimulatedNetwork net = SimulatedNetwork.builder(n)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, n, Codec.FIXED32, 16, 64)
                .mode(Mode.BOUNDED).deadlineNs(TimeUnit.MILLISECONDS.toNanos(5))
                .retransmitTimeouts(TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.MILLISECONDS.toNanos(10),
                    TimeUnit.MILLISECONDS.toNanos(500))
                .build())
            .links(LinkProfile.of(0.02, 0, 0), LinkProfile.of(0.02, 0, 0)).seed(9).build();
        net.joinAll(2_000_000);
        final float[][] data = new float[n][elements];
        final long[] nextStartNs = new long[n];
        final int[] calls = new int[n];
        final long[] lateFilled = new long[n];
        nextStartNs[1] = net.nowNs() + TimeUnit.MILLISECONDS.toNanos(200);
        final long computeNs = TimeUnit.MILLISECONDS.toNanos(8);
        for (int steps = 0; steps < 50_000_000 && (calls[0] < 200 || calls[1] < 200); steps++)
        {
            for (int r = 0; r < n; r++)
            {
                if (net.worker(r).isReady() && net.nowNs() - nextStartNs[r] >= 0 && calls[r] < 200)
                {
                    if (calls[r] >= 150)
                    {
                        lateFilled[r] += net.worker(r).stats().elementsFilledLocally();
                    }
                    net.startCall(r, data[r], ReduceOp.AVG);
                    calls[r]++;
                    nextStartNs[r] = -1;
                }
                if (net.worker(r).isReady() && nextStartNs[r] == -1)
                {
                    nextStartNs[r] = net.nowNs() + computeNs;
                }
            }
            net.step();
        }
        for (int r = 0; r < n; r++)
        {
            assertEquals(0, lateFilled[r], "rank " + r + " still fills locally after 150 calls");
        }
        assertArrayEquals(data[0], data[1]);
    }
}
