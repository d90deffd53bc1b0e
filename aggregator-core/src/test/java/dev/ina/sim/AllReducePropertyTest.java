package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.status.CounterDescriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property tests of the whole protocol: one aggregator and N workers on a simulated network that loses, duplicates
 * and reorders frames. Every call must give every rank the same bits, within the codec's bound of an independent
 * double-precision reference; FIXED32 must not depend on arrival order.
 */
class AllReducePropertyTest
{
    static final int[] WINDOWS = {1, 2, 4, 8, 16, 32, 64};
    static final int[] ELEMENTS_PER_PACKET = {1, 3, 8, 17, 64};
    static final LinkProfile LOSSY = LinkProfile.of(0.05, 0.03, 0.2);
    static final int MAX_STEPS = 2_000_000;

    static Stream<Arguments> worldSizesAndCodecs()
    {
        return IntStream.rangeClosed(1, 16).boxed()
            .flatMap(n -> Stream.of(Codec.values()).map(codec -> Arguments.of(n, codec)));
    }

    @ParameterizedTest(name = "worldSize={0} {1}")
    @MethodSource("worldSizesAndCodecs")
    void shouldGiveEveryRankTheSameBoundedResultWhenSizesSweepAndLinksAreLossy(final int worldSize, final Codec codec)
    {
        final int window = WINDOWS[worldSize % WINDOWS.length];
        final int epp = ELEMENTS_PER_PACKET[worldSize % ELEMENTS_PER_PACKET.length];
        final SimulatedNetwork net = SimulatedNetwork.builder(worldSize).workers(codec, window, epp)
            .links(LOSSY, LOSSY).seed(worldSize * 31L + codec.ordinal()).build();
        net.joinAll(MAX_STEPS);
        final int[] sizes = {0, 1, epp - 1, epp, epp + 1, (2 * window + 3) * epp + 1, 7};
        runCalls(net, codec, epp, worldSize * 1000L, sizes);
    }

    @ParameterizedTest(name = "window={0}")
    @ValueSource(ints = {1, 2, 4, 8, 16, 32, 64})
    void shouldReuseSetsSafelyAcrossCallsWhenTheWindowVaries(final int window)
    {
        for (final Codec codec : Codec.values())
        {
            final SimulatedNetwork net = SimulatedNetwork.builder(4).workers(codec, window, 5)
                .links(LOSSY, LOSSY).seed(window).build();
            net.joinAll(MAX_STEPS);
            // Each call spans more than two windows, so sets are reused within and across calls.
            final int many = (4 * window + 1) * 5 + 2;
            runCalls(net, codec, 5, window, new int[]{many, 3, many, window * 5});
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void shouldHoldThePropertiesWhenConfigurationsAndFaultsAreRandom(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int worldSize = random.nextInt(1, 17);
        final int window = WINDOWS[random.nextInt(WINDOWS.length)];
        final int epp = random.nextBoolean() ? random.nextInt(1, 9) : random.nextInt(1, 300);
        final Codec codec = random.nextBoolean() ? Codec.FP32 : Codec.FIXED32;
        final LinkProfile up = LinkProfile.of(random.nextDouble(0.15), random.nextDouble(0.1), random.nextDouble(0.5));
        final LinkProfile down =
            LinkProfile.of(random.nextDouble(0.15), random.nextDouble(0.1), random.nextDouble(0.5))
                .withReorderDelayNs(random.nextLong(1, 500_000));
        final SimulatedNetwork net = SimulatedNetwork.builder(worldSize).workers(codec, window, epp)
            .links(up, down).seed(seed).delayNs(random.nextLong(1, 50_000)).build();
        net.joinAll(MAX_STEPS);
        final int[] special = {0, 1, epp - 1, epp, epp + 1};
        final int[] sizes = new int[random.nextInt(2, 5)];
        for (int i = 0; i < sizes.length; i++)
        {
            sizes[i] = random.nextBoolean() ? special[random.nextInt(special.length)] :
                random.nextInt(1, 40 * epp + 2);
        }
        runCalls(net, codec, epp, seed * 7919, sizes);
    }

    @ParameterizedTest(name = "worldSize={0}")
    @ValueSource(ints = {2, 3, 8, 13, 16})
    void shouldGiveIdenticalFixed32BitsWhenOnlyTheArrivalOrderDiffers(final int worldSize)
    {
        final int epp = 7;
        final int count = 40 * epp + 3;
        final float[][] inputs = ReferenceSums.gradients(worldSize, worldSize, count);
        final LinkProfile reordering = LinkProfile.of(0.03, 0.05, 0.5).withReorderDelayNs(200_000);
        final float[][][] results = new float[2][][];
        final long[] heldBack = new long[2];
        for (int run = 0; run < 2; run++)
        {
            final SimulatedNetwork net = SimulatedNetwork.builder(worldSize).workers(Codec.FIXED32, 8, epp)
                .links(reordering, reordering).seed(100 + run).build();
            net.joinAll(MAX_STEPS);
            results[run] = ReferenceSums.copy(inputs);
            net.allReduce(results[run], ReduceOp.SUM, MAX_STEPS);
            assertSameBits(results[run], "run " + run);
            heldBack[run] = net.framesHeldBack();
        }
        assertTrue(heldBack[0] > 0 && heldBack[0] != heldBack[1], "the two runs must order frames differently");
        assertSameBits(new float[][]{results[0][0], results[1][0]}, "seeds 100 and 101");
        assertNull(ReferenceSums.check(inputs, results[0][0], epp, Codec.FIXED32, ReduceOp.SUM));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"FP32", "FIXED32", "INT8_NARROW"})
    void shouldStayWithinBoundWhenTheWorldIsLargerThanOneBitmapWord(final String codecName)
    {
        final Codec codec = Codec.valueOf(codecName);
        final int worldSize = 100;
        final SimulatedNetwork net = SimulatedNetwork.builder(worldSize).workers(codec, 4, 8)
            .links(LOSSY, LOSSY).seed(worldSize).build();
        net.joinAll(MAX_STEPS);
        runCalls(net, codec, 8, 77, new int[]{50, 9});
    }

    /**
     * Runs consecutive calls on a joined network, alternating SUM and AVG, and checks every property of each.
     */
    static void runCalls(final SimulatedNetwork net, final Codec codec, final int epp, final long seed,
        final int[] sizes)
    {
        final int n = net.worldSize();
        long chunks = 0;
        final List<String> log = new ArrayList<>();
        for (int call = 0; call < sizes.length; call++)
        {
            final ReduceOp op = call % 2 == 0 ? ReduceOp.SUM : ReduceOp.AVG;
            final float[][] inputs = ReferenceSums.gradients(seed + call, n, sizes[call]);
            final float[][] data = ReferenceSums.copy(inputs);
            log.add(op + "[" + sizes[call] + "]");
            final String context = codec + " n=" + n + " epp=" + epp + " window=" + net.workerConfig(0).window() +
                " calls " + log;
            try
            {
                net.allReduce(data, op, MAX_STEPS);
            }
            catch (final AssertionError ex)
            {
                fail(context + ": " + ex.getMessage(), ex);
            }
            assertSameBits(data, context);
            final String error = ReferenceSums.check(inputs, data[0], epp, codec, op);
            assertNull(error, context);
            for (int r = 0; r < n; r++)
            {
                assertEquals(call + 1, net.worker(r).stats().round(), context);
                assertTrue(net.worker(r).stats().isComplete(n), context);
            }
            chunks += net.worker(0).stats().chunks();
            assertEquals(chunks, net.aggregatorCounters().get(CounterDescriptor.CHUNKS_COMPLETED),
                context + ": every chunk completes exactly once");
        }
    }

    static void assertSameBits(final float[][] data, final String context)
    {
        for (int r = 1; r < data.length; r++)
        {
            for (int i = 0; i < data[0].length; i++)
            {
                if (Float.floatToRawIntBits(data[r][i]) != Float.floatToRawIntBits(data[0][i]))
                {
                    fail(context + ": rank " + r + " element " + i + " is " + data[r][i] + ", rank 0 has " +
                        data[0][i]);
                }
            }
        }
    }
}
