package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After warm-up, a blocking {@code allReduce(float[], SUM)} allocates nothing on the calling thread, measured with
 * {@link com.sun.management.ThreadMXBean#getThreadAllocatedBytes(long)} around windows of consecutive calls.
 * <p>
 * Checked as "some window of {@value #WINDOW_CALLS} consecutive calls allocates exactly 0 bytes, and all windows
 * together less than a byte per call", not "every call after the first 200", because the JVM allocates on the
 * calling thread once, at no fixed call, when C2 compiles the call path (seen with JFR and {@code -XX:-UseTLAB}):
 * <ul>
 * <li>300 to 700 bytes 2000 to 4000 calls in: C2's code for {@code Collective.submitBlocking}/{@code CallRequest.set}
 * hits an "unloaded class" uncommon trap and resolves a class through {@code ClassLoader.loadClass}: it loads
 * {@code java.nio.FloatBuffer} (368 bytes) in a JVM that has not used one yet, else resolves
 * {@code dev.ina.api.ReduceOp};</li>
 * <li>in some runs, 144 to 856 bytes 3000 to 6000 calls in: String and byte[] pairs created by the VM while the
 * caller is in the compiled {@code MpscUnboundedArrayQueue.offer} of Netty's task queue, when C2 compiles the
 * queue's producer slow path (taken once per 1024 offers, where the producer wraps around its buffer; no new
 * buffer is allocated as long as the event loop keeps up).</li>
 * </ul>
 * Neither repeats. A per-call allocation leaves no window clean; one per 1024 task-queue offers (a new queue chunk)
 * leaves no window clean either, as a window is longer; rarer repeated ones exceed a byte per call.
 */
class ZeroAllocationSystemTest
{
    private static final int WARM_UP_CALLS = 200;
    private static final int WINDOW_CALLS = 1_100;
    private static final int WINDOWS = 4;
    private static final int ELEMENTS = 1_000;

    static Stream<Arguments> cases()
    {
        // ranks, codec
        return Stream.of(
            Arguments.of(1, Codec.FP32),
            Arguments.of(2, Codec.FIXED32),
            Arguments.of(3, Codec.INT8_NARROW));
    }

    @ParameterizedTest(name = "{0} rank(s), {1}")
    @MethodSource("cases")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNotAllocateOnTheCallingThreadWhenWarm(final int worldSize, final Codec codec) throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
            "this JVM must measure per-thread allocation");
        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
        {
            final List<long[]> bytes = RankThreads.run("alloc", worldSize, 55_000, rank ->
            {
                final WorkerConfig config = WorkerConfig.builder()
                    .aggregator("127.0.0.1", server.port())
                    .jobId(1)
                    .rank(rank)
                    .worldSize(worldSize)
                    .codec(codec)
                    .build();
                final float[] input = new float[ELEMENTS];
                TestData.fill(input, rank, 0);
                final float[] data = new float[ELEMENTS];
                final long[] windows = new long[WINDOWS];
                try (Collective collective = Collective.join(config))
                {
                    for (int call = 0; call < WARM_UP_CALLS; call++)
                    {
                        System.arraycopy(input, 0, data, 0, ELEMENTS);
                        collective.allReduce(data, ReduceOp.SUM);
                    }
                    assertNull(TestData.check(data, worldSize, 0, codec, config.elementsPerPacket(), false),
                        "warm-up result");
                    final long thread = Thread.currentThread().getId();
                    // The first calls of the MXBean allocate (JNI strings); keep them out of the first window.
                    for (int i = 0; i < 3; i++)
                    {
                        threads.getThreadAllocatedBytes(thread);
                    }
                    // Every rank makes the same calls: the windows are measured on all ranks, none stops early.
                    for (int w = 0; w < WINDOWS; w++)
                    {
                        final long before = threads.getThreadAllocatedBytes(thread);
                        for (int call = 0; call < WINDOW_CALLS; call++)
                        {
                            System.arraycopy(input, 0, data, 0, ELEMENTS);
                            collective.allReduce(data, ReduceOp.SUM);
                        }
                        windows[w] = threads.getThreadAllocatedBytes(thread) - before;
                    }
                    assertNull(TestData.check(data, worldSize, 0, codec, config.elementsPerPacket(), false),
                        "last result");
                }
                return windows;
            });
            for (int rank = 0; rank < worldSize; rank++)
            {
                final long[] windows = bytes.get(rank);
                final String measured = "rank " + rank + " of " + worldSize + " " + codec + ": bytes allocated in " +
                    "windows of " + WINDOW_CALLS + " calls after " + WARM_UP_CALLS + " warm-up calls: " +
                    Arrays.toString(windows);
                System.out.println(measured);
                boolean clean = false;
                long total = 0;
                for (final long window : windows)
                {
                    clean |= window == 0;
                    total += window;
                }
                assertTrue(clean, "no window without allocation; " + measured);
                // An allocation repeated less often than once per window (e.g. per 2048 calls) still shows here.
                assertTrue(total < (long)WINDOWS * WINDOW_CALLS, "1 byte per call or more on average; " + measured);
            }
        }
    }
}
