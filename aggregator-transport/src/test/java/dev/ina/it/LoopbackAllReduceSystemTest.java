package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * All-reduce over loopback UDP through a real {@link AggregatorServer}, one {@link Collective} per rank, each on
 * its own thread. Sweeps sizes around the packet size (0, 1, chunk - 1, chunk, chunk + 1, many chunks), world
 * sizes 1 to 4 (and 8), both codecs, SUM and AVG, the three kinds of caller memory (array range, heap and direct
 * buffers) and queued async calls. Every rank must receive bit-identical results, within the codec's bound of the
 * double-precision reference ({@link TestData#check}), and memory outside the reduced range must stay untouched.
 */
class LoopbackAllReduceSystemTest
{
    private static final int PAD = 5;
    private static final float GUARD = -1234.5f;
    private static final int LARGE = 1_000_003;
    private static final long RANKS_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(50);
    private static final AtomicInteger JOB_IDS = new AtomicInteger(10_000);

    private static AggregatorServer server;

    /** How the caller hands its gradient to {@code allReduce}. */
    private enum Layout
    {
        ARRAY_RANGE,
        HEAP_BUFFER,
        DIRECT_BUFFER,
        DIRECT_BUFFER_BIG_ENDIAN
    }

    /** One call of a plan, made by every rank in the same order. */
    private record Call(int number, int count, ReduceOp op, Layout layout)
    {
    }

    @BeforeAll
    static void startAggregator()
    {
        server = AggregatorServer.start(AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build());
    }

    @AfterAll
    static void stopAggregator()
    {
        if (server != null)
        {
            server.close();
        }
    }

    static Stream<Arguments> sweeps()
    {
        // worldSize, codec, elementsPerPacket, window, largest size
        return Stream.of(
            Arguments.of(1, Codec.FP32, 256, 64, LARGE),
            Arguments.of(1, Codec.FIXED32, 1000, 64, LARGE),
            Arguments.of(2, Codec.FP32, 360, 64, LARGE),
            Arguments.of(2, Codec.FIXED32, 256, 64, LARGE),
            Arguments.of(3, Codec.FP32, 1024, 16, LARGE),
            Arguments.of(3, Codec.FIXED32, 360, 64, LARGE),
            Arguments.of(4, Codec.FP32, 256, 64, LARGE),
            Arguments.of(4, Codec.FIXED32, 2048, 32, LARGE),
            Arguments.of(2, Codec.FIXED32, 100, 1, 20_000),
            Arguments.of(3, Codec.FIXED32, 7, 4, 5_000),
            Arguments.of(3, Codec.INT8_NARROW, 4096, 64, LARGE));
    }

    @ParameterizedTest(name = "world {0}, {1}, {2} elements/packet, window {3}")
    @MethodSource("sweeps")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldGiveEveryRankTheSameBoundedSumWhenSweepingSizesOpsAndLayouts(
        final int worldSize, final Codec codec, final int elementsPerPacket, final int window, final int largest)
        throws Exception
    {
        final Set<Integer> sizes = new LinkedHashSet<>(List.of(
            0, 1, 255, 256, 257, 1000, elementsPerPacket - 1, elementsPerPacket, elementsPerPacket + 1, largest));
        final List<Call> plan = new ArrayList<>();
        for (final int size : sizes)
        {
            // Small sizes: SUM and AVG twice each; the large size once (it costs seconds with 4 ranks).
            final int repeats = size > 100_000 ? 1 : 2;
            final List<ReduceOp> ops = size > 100_000 ?
                List.of((worldSize + codec.ordinal()) % 2 == 0 ? ReduceOp.SUM : ReduceOp.AVG) :
                List.of(ReduceOp.values());
            for (final ReduceOp op : ops)
            {
                for (int rep = 0; rep < repeats; rep++)
                {
                    final int number = plan.size();
                    plan.add(new Call(number, size, op, Layout.values()[number % Layout.values().length]));
                }
            }
        }
        final WorkerConfig base = worker(JOB_IDS.incrementAndGet(), worldSize, codec, elementsPerPacket, window);
        runPlan("sweep", base, plan);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCompleteQueuedAsyncCallsInSubmissionOrderWhenManyAreOutstanding(final Codec codec) throws Exception
    {
        final int worldSize = 3;
        final int elementsPerPacket = 256;
        final int[] sizes = {1000, 0, 257, 70_001, 1, 4096, 255, 30_000};
        final WorkerConfig base = worker(JOB_IDS.incrementAndGet(), worldSize, codec, elementsPerPacket, 64);
        final List<float[][]> results = RankThreads.run("async", worldSize, RANKS_TIMEOUT_MS, rank ->
        {
            final float[][] out = new float[sizes.length][];
            try (Collective collective = Collective.join(base.toBuilder().rank(rank).build()))
            {
                final List<CompletableFuture<ReduceStats>> futures = new ArrayList<>();
                final List<Object> buffers = new ArrayList<>();
                for (int call = 0; call < sizes.length; call++)
                {
                    final ReduceOp op = call % 3 == 2 ? ReduceOp.AVG : ReduceOp.SUM;
                    if (call % 2 == 0)
                    {
                        final float[] data = new float[sizes[call]];
                        TestData.fill(data, rank, call);
                        buffers.add(data);
                        futures.add(collective.allReduceAsync(data, op));
                    }
                    else
                    {
                        final FloatBuffer data = ByteBuffer.allocateDirect(sizes[call] * Float.BYTES)
                            .order(ByteOrder.nativeOrder()).asFloatBuffer();
                        for (int i = 0; i < sizes[call]; i++)
                        {
                            data.put(i, TestData.value(rank, call, i));
                        }
                        buffers.add(data);
                        futures.add(collective.allReduceAsync(data, op));
                    }
                }
                // A blocking call queues behind the async ones: when it returns, they have all completed.
                final float[] last = new float[333];
                TestData.fill(last, rank, sizes.length);
                final ReduceStats lastStats = collective.allReduce(last, ReduceOp.SUM);
                assertEquals(sizes.length + 1, lastStats.round(), "the blocking call ran last");
                assertNull(TestData.check(last, worldSize, sizes.length, codec, elementsPerPacket, false),
                    "blocking call queued after async calls");
                int lastRound = 0;
                for (int call = 0; call < sizes.length; call++)
                {
                    assertTrue(futures.get(call).isDone(), "async call " + call + " done before the later call");
                    final ReduceStats stats = futures.get(call).get();
                    assertEquals(sizes[call], stats.elements(), "rank " + rank + " call " + call);
                    assertTrue(stats.round() > lastRound, "calls complete in submission order: " + stats);
                    assertTrue(stats.isComplete(worldSize), "complete: " + stats);
                    lastRound = stats.round();
                    if (buffers.get(call) instanceof float[])
                    {
                        out[call] = (float[])buffers.get(call);
                    }
                    else
                    {
                        out[call] = new float[sizes[call]];
                        ((FloatBuffer)buffers.get(call)).get(0, out[call]);
                    }
                }
            }
            return out;
        });
        final List<String> failures = new ArrayList<>();
        for (int call = 0; call < sizes.length; call++)
        {
            check(failures, "async call " + call + " of " + sizes[call], results, call, worldSize, call, codec,
                elementsPerPacket, call % 3 == 2);
        }
        assertTrue(failures.isEmpty(), failures.size() + " bad results:\n" + String.join("\n", failures));
        assertJobsEnded();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldReduceWhenEightRanksShareOneJob(final Codec codec) throws Exception
    {
        final int worldSize = 8;
        final int elementsPerPacket = 256;
        final List<Call> plan = List.of(
            new Call(0, 1000, ReduceOp.SUM, Layout.ARRAY_RANGE),
            new Call(1, 1, ReduceOp.AVG, Layout.DIRECT_BUFFER),
            new Call(2, 257, ReduceOp.SUM, Layout.HEAP_BUFFER),
            new Call(3, 1000, ReduceOp.AVG, Layout.ARRAY_RANGE));
        final WorkerConfig base = worker(JOB_IDS.incrementAndGet(), worldSize, codec, elementsPerPacket, 64);
        runPlan("eight", base, plan);
    }

    /**
     * Runs a plan of calls on every rank of a job, each rank on its own thread, then checks every call's results:
     * identical on all ranks and within the codec's bound; and that the job ended.
     */
    private void runPlan(final String name, final WorkerConfig base, final List<Call> plan) throws Exception
    {
        final int worldSize = base.worldSize();
        final List<float[][]> results = RankThreads.run(name, worldSize, RANKS_TIMEOUT_MS, rank ->
        {
            final float[][] out = new float[plan.size()][];
            try (Collective collective = Collective.join(base.toBuilder().rank(rank).build()))
            {
                assertEquals(rank, collective.rank());
                assertEquals(worldSize, collective.worldSize());
                for (final Call call : plan)
                {
                    out[call.number()] = reduce(collective, rank, call);
                }
            }
            return out;
        });
        final List<String> failures = new ArrayList<>();
        for (final Call call : plan)
        {
            check(failures, call.toString(), results, call.number(), worldSize, call.number(), base.codec(),
                base.elementsPerPacket(), call.op() == ReduceOp.AVG);
        }
        assertTrue(failures.isEmpty(), failures.size() + " bad results:\n" + String.join("\n", failures));
        assertJobsEnded();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldReduce64MiBWhenFourRanksUseFixed32AndLargestPackets() throws Exception
    {
        final int worldSize = 4;
        final int elementsPerPacket = 16_368;
        final int count = 16 * 1024 * 1024;
        final ReduceOp[] ops = {ReduceOp.SUM, ReduceOp.AVG};
        final WorkerConfig base = worker(JOB_IDS.incrementAndGet(), worldSize, Codec.FIXED32, elementsPerPacket, 64);
        final List<float[][]> results = RankThreads.run("64MiB", worldSize, 80_000, rank ->
        {
            final float[][] out = new float[ops.length][];
            try (Collective collective = Collective.join(base.toBuilder().rank(rank).build()))
            {
                for (int call = 0; call < ops.length; call++)
                {
                    final float[] data = new float[count];
                    TestData.fill(data, rank, call);
                    final ReduceStats stats = collective.allReduce(data, ops[call]);
                    assertEquals(count, stats.elements());
                    assertTrue(stats.isComplete(worldSize), stats::toString);
                    out[call] = data;
                }
            }
            return out;
        });
        final List<String> failures = new ArrayList<>();
        for (int call = 0; call < ops.length; call++)
        {
            check(failures, "64 MiB " + ops[call], results, call, worldSize, call, Codec.FIXED32, elementsPerPacket,
                ops[call] == ReduceOp.AVG);
        }
        assertTrue(failures.isEmpty(), failures.size() + " bad results:\n" + String.join("\n", failures));
        assertJobsEnded();
    }

    /**
     * Every rank left (closed its collective): the shared aggregator ends the job and returns its slots.
     */
    private static void assertJobsEnded() throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((server.jobCount() > 0 || server.poolBytesInUse() > 0) && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(10);
        }
        assertEquals(0, server.jobCount(), "jobs left on the aggregator");
        assertEquals(0, server.poolBytesInUse(), "slot pool bytes still held");
    }

    private static WorkerConfig worker(
        final int jobId, final int worldSize, final Codec codec, final int elementsPerPacket, final int window)
    {
        return WorkerConfig.builder()
            .aggregator("127.0.0.1", server.port())
            .jobId(jobId)
            .rank(0)
            .worldSize(worldSize)
            .codec(codec)
            .elementsPerPacket(elementsPerPacket)
            .window(window)
            .timeoutNs(TimeUnit.SECONDS.toNanos(20))
            .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .build();
    }

    /**
     * Makes one call with this rank's inputs in the call's layout, checks that the caller's memory outside the
     * range and the buffer's position and limit are untouched, and returns the reduced range.
     */
    private static float[] reduce(final Collective collective, final int rank, final Call call)
    {
        final int count = call.count();
        final String where = "rank " + rank + " " + call;
        final ReduceStats stats;
        final float[] result = new float[count];
        if (call.layout() == Layout.ARRAY_RANGE)
        {
            final float[] array = new float[PAD + count + PAD];
            Arrays.fill(array, GUARD);
            for (int i = 0; i < count; i++)
            {
                array[PAD + i] = TestData.value(rank, call.number(), i);
            }
            stats = collective.allReduce(array, PAD, count, call.op());
            for (int i = 0; i < PAD; i++)
            {
                assertEquals(GUARD, array[i], where + ": element before the range changed");
                assertEquals(GUARD, array[PAD + count + i], where + ": element after the range changed");
            }
            System.arraycopy(array, PAD, result, 0, count);
        }
        else
        {
            final FloatBuffer buffer = buffer(call.layout(), PAD + count + PAD);
            for (int i = 0; i < buffer.capacity(); i++)
            {
                buffer.put(i, i >= PAD && i < PAD + count ? TestData.value(rank, call.number(), i - PAD) : GUARD);
            }
            buffer.position(PAD).limit(PAD + count);
            stats = collective.allReduce(buffer, call.op());
            assertEquals(PAD, buffer.position(), where + ": position changed");
            assertEquals(PAD + count, buffer.limit(), where + ": limit changed");
            buffer.clear();
            for (int i = 0; i < PAD; i++)
            {
                assertEquals(GUARD, buffer.get(i), where + ": element before the range changed");
                assertEquals(GUARD, buffer.get(PAD + count + i), where + ": element after the range changed");
            }
            buffer.get(PAD, result);
        }
        assertEquals(count, stats.elements(), where + ": " + stats);
        assertEquals(call.number() + 1, stats.round(), where + ": " + stats);
        assertTrue(stats.isComplete(collective.worldSize()), where + ": " + stats);
        return result;
    }

    private static FloatBuffer buffer(final Layout layout, final int capacity)
    {
        switch (layout)
        {
            case HEAP_BUFFER:
                // A slice, so that the backing array offset is not 0.
                return FloatBuffer.wrap(new float[3 + capacity]).position(3).slice();
            case DIRECT_BUFFER:
                return ByteBuffer.allocateDirect(capacity * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            case DIRECT_BUFFER_BIG_ENDIAN:
                return ByteBuffer.allocateDirect(capacity * Float.BYTES).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
            default:
                throw new IllegalArgumentException(layout.toString());
        }
    }

    /**
     * Adds a failure if any rank's result of a call differs from rank 0's in any bit, or is outside the bound.
     */
    private static void check(
        final List<String> failures,
        final String what,
        final List<float[][]> results,
        final int index,
        final int worldSize,
        final int call,
        final Codec codec,
        final int elementsPerPacket,
        final boolean average)
    {
        final List<float[]> perRank = new ArrayList<>();
        for (final float[][] rankResults : results)
        {
            perRank.add(rankResults[index]);
        }
        final String bad = TestData.checkRanks(perRank, worldSize, call, codec, elementsPerPacket, average);
        if (bad != null)
        {
            failures.add(what + ": " + bad);
        }
    }
}
