package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.status.CounterDescriptor;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several jobs served at once by one aggregator, each in its own slots: their sums never mix, and the slot pool
 * is returned when they leave.
 */
class MultiJobSystemTest
{
    private static final int CALLS = 5;

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldKeepConcurrentJobsIsolatedWhenTheyShareOneAggregator(final int threads) throws Exception
    {
        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).threads(threads).build()))
        {
            assertEquals(threads, server.ports().length);
            // Same window and packet size, so both jobs use identical slot and sequence numbers.
            final Job a = new Job(101, 3, Codec.FIXED32, 50_000);
            final Job b = new Job(102, 2, Codec.FP32, 70_001);
            final List<CompletableFuture<float[]>> results = new ArrayList<>();
            for (final Job job : List.of(a, b))
            {
                for (int rank = 0; rank < job.worldSize; rank++)
                {
                    final WorkerConfig config = WorkerConfig.builder()
                        .aggregator("127.0.0.1", server.port())
                        .jobId(job.id).rank(rank).worldSize(job.worldSize).codec(job.codec)
                        .elementsPerPacket(1024).window(16)
                        .timeoutNs(TimeUnit.SECONDS.toNanos(20))
                        .build();
                    results.add(CompletableFuture.supplyAsync(() -> run(config, job.elements)));
                }
            }
            final List<float[]> all = new ArrayList<>();
            for (final CompletableFuture<float[]> f : results)
            {
                all.add(f.get(100, TimeUnit.SECONDS));
            }
            check(a, all.subList(0, a.worldSize));
            check(b, all.subList(a.worldSize, a.worldSize + b.worldSize));

            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.jobCount() > 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            assertEquals(0, server.jobCount(), "jobs end when all their ranks left");
            assertEquals(0, server.poolBytesInUse(), "slot pool returned");
            // Every rank joins on the first port; with two threads job 101 (odd) is redirected to the second.
            final long redirects = server.counters().get(CounterDescriptor.REDIRECTS);
            if (threads == 1)
            {
                assertEquals(0, redirects, server.counters().toString());
            }
            else
            {
                assertTrue(redirects >= a.worldSize, "every rank of job 101 redirected: " + server.counters());
            }
        }
    }

    private static float[] run(final WorkerConfig config, final int elements)
    {
        final float[] data = new float[elements];
        try (Collective collective = Collective.join(config))
        {
            for (int call = 0; call < CALLS; call++)
            {
                TestData.fill(data, config.rank(), call);
                collective.allReduce(data, ReduceOp.SUM);
            }
        }
        return data;
    }

    private static void check(final Job job, final List<float[]> results)
    {
        for (int r = 1; r < results.size(); r++)
        {
            assertArrayEquals(results.get(0), results.get(r), "job " + job.id + ": rank " + r + " differs from 0");
        }
        assertNull(TestData.check(results.get(0), job.worldSize, CALLS - 1, job.codec, 1024, false),
            "job " + job.id + " " + Arrays.toString(Arrays.copyOf(results.get(0), 4)));
    }

    private static final class Job
    {
        final int id;
        final int worldSize;
        final Codec codec;
        final int elements;

        Job(final int id, final int worldSize, final Codec codec, final int elements)
        {
            this.id = id;
            this.worldSize = worldSize;
            this.codec = codec;
            this.elements = elements;
        }
    }
}
