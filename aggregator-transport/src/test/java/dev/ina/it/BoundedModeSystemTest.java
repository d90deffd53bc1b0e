package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.status.CounterDescriptor;
import dev.ina.transport.LossGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BOUNDED mode over real UDP sockets: a worker delayed past the deadline, 10 % loss both ways, and a rank process
 * killed mid-job. The live ranks' calls finish without the straggler or the dead rank (the engine's statistics and
 * counters say so: partial chunks, late drops), statistics add up, and every rank that received a chunk's result
 * holds the same values for it.
 */
class BoundedModeSystemTest
{
    private static final int WORLD_SIZE = 4;
    private static final int ELEMENTS = 8 * 4096;
    private static final int EPP = 4096;
    private static final int WINDOW = 8;
    private static final long DEADLINE_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long STRAGGLER_DELAY_MS = 600;
    private static final int CALLS_BEFORE_CHECK = 20;

    private static WorkerConfig.Builder config(final int port, final int job, final int rank)
    {
        return WorkerConfig.builder()
            .aggregator("127.0.0.1", port).jobId(job).rank(rank).worldSize(WORLD_SIZE).codec(Codec.FIXED32)
            .window(WINDOW).elementsPerPacket(EPP)
            .mode(Mode.BOUNDED).deadlineNs(DEADLINE_NS).quorum(2)
            .retransmitTimeouts(TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.MILLISECONDS.toNanos(2),
                TimeUnit.MILLISECONDS.toNanos(50))
            .timeoutNs(TimeUnit.SECONDS.toNanos(10)).joinTimeoutNs(TimeUnit.SECONDS.toNanos(30));
    }

    private static AggregatorServer server()
    {
        return AggregatorServer.start(AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build());
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldReturnWithinTheDeadlineWhenAWorkerIsDelayedAndTenPercentOfPacketsAreLost() throws Exception
    {
        final int calls = 8;
        try (AggregatorServer server = server())
        {
            final List<float[][]> results = RankThreads.run("bounded-straggler", WORLD_SIZE, 80_000, rank ->
            {
                final WorkerConfig config = config(server.port(), 31, rank)
                    .loss(LossGenerator.random(0.10, 17 + rank), LossGenerator.random(0.10, 71 + rank)).build();
                final float[][] out = new float[calls][];
                try (Collective collective = Collective.join(config))
                {
                    for (int call = 0; call < calls; call++)
                    {
                        if (rank == WORLD_SIZE - 1)
                        {
                            Thread.sleep(STRAGGLER_DELAY_MS);
                        }
                        final float[] data = new float[ELEMENTS];
                        TestData.fill(data, rank, call);
                        final ReduceStats stats = collective.allReduce(data, ReduceOp.AVG).copy();
                        System.out.println("rank " + rank + " " + stats);
                        assertEquals(ELEMENTS, stats.elementsExact() + stats.elementsPartial() +
                            stats.elementsFilledLocally(), stats.toString());
                        if (rank < WORLD_SIZE - 1 && call == 0)
                        {
                            // The straggler sleeps before its first call for 30 deadlines: the others' first call
                            // did not wait for it, it finished without it.
                            assertTrue(stats.minContributors() < WORLD_SIZE, "rank " + rank + ": " + stats);
                            assertEquals(0, stats.elementsExact(), "rank " + rank + ": " + stats);
                        }
                        out[call] = data;
                    }
                }
                return out;
            });
            for (int call = 0; call < calls; call++)
            {
                assertSameWhereReceived(results, call, call, WORLD_SIZE, ReduceOp.AVG);
            }
            final long partial = server.counters().get(CounterDescriptor.PARTIAL_COMPLETIONS);
            final long late = server.counters().get(CounterDescriptor.DROP_LATE);
            System.out.println("aggregator: " + server.counters());
            assertTrue(partial > 0, "partial completions " + partial);
            assertTrue(late + server.counters().get(CounterDescriptor.GONE_SENT) > 0, "late drops " + late);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldGoOnWithTheOthersWhenARankProcessIsKilled() throws Exception
    {
        final int callsAfterKill = 10;
        try (AggregatorServer server = server())
        {
            final Path result = Files.createTempFile("ina-bounded-killed-", ".bin");
            final CountDownLatch killed = new CountDownLatch(1);
            final int dead = WORLD_SIZE - 1;
            try (JvmProcess worker = JvmProcess.start("bounded-kill", null, JvmProcess.inaJvmFlags(),
                TestWorkerMain.class, "127.0.0.1:" + server.port(), "32", Integer.toString(dead),
                Integer.toString(WORLD_SIZE), "FIXED32", Integer.toString(ELEMENTS), "100000", Integer.toString(EPP),
                "10000", result.toString(), "BOUNDED:" + TimeUnit.NANOSECONDS.toMillis(DEADLINE_NS) + ":2"))
            {
                final Thread killer = new Thread(() ->
                {
                    try
                    {
                        worker.awaitOutput("CALL 3 ", 60_000);
                        worker.kill();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                    }
                    killed.countDown();
                }, "killer");
                killer.start();
                final List<float[][]> results = RankThreads.run("bounded-kill", WORLD_SIZE - 1, 80_000, rank ->
                {
                    final float[][] out = new float[callsAfterKill][];
                    // The worker process runs TestWorkerMain's defaults: window 64.
                    try (Collective collective = Collective.join(config(server.port(), 32, rank).window(64).build()))
                    {
                        int call = 0;
                        // Every rank makes the same calls; the process is killed during the first few.
                        for (; call < CALLS_BEFORE_CHECK; call++)
                        {
                            if (call == CALLS_BEFORE_CHECK - 1)
                            {
                                assertTrue(killed.await(60, TimeUnit.SECONDS));
                            }
                            final float[] data = new float[ELEMENTS];
                            TestData.fill(data, rank, call);
                            collective.allReduce(data, ReduceOp.SUM);
                        }
                        for (int i = 0; i < callsAfterKill; i++, call++)
                        {
                            final float[] data = new float[ELEMENTS];
                            TestData.fill(data, rank, call);
                            final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM).copy();
                            System.out.println("rank " + rank + " after kill: " + stats);
                            assertEquals(ELEMENTS, stats.elementsExact() + stats.elementsPartial() +
                                stats.elementsFilledLocally(), stats.toString());
                            out[i] = data;
                            if (i == callsAfterKill - 1)
                            {
                                assertEquals(WORLD_SIZE - 1, stats.minContributors(), stats.toString());
                                assertEquals(ELEMENTS, stats.elementsPartial(), stats.toString());
                            }
                        }
                    }
                    return out;
                });
                for (int i = 0; i < callsAfterKill; i++)
                {
                    assertSameWhereReceived(results, i, CALLS_BEFORE_CHECK + i, WORLD_SIZE - 1, ReduceOp.SUM);
                }
                // The last call holds the three live ranks, extrapolated to four (SUM).
                final float[] last = results.get(0)[callsAfterKill - 1];
                assertTrue(server.counters().get(CounterDescriptor.PARTIAL_COMPLETIONS) > 0);
                for (int i = 0; i < ELEMENTS; i += 997)
                {
                    assertTrue(Float.isFinite(last[i]));
                }
                killer.join();
            }
            finally
            {
                Files.deleteIfExists(result);
            }
        }
    }

    /**
     * Every chunk a rank received a result for holds the same values on every such rank. A rank that filled a chunk
     * locally holds its own values there (AVG), or its own values times the world size (SUM), and is left out.
     */
    private static void assertSameWhereReceived(
        final List<float[][]> results, final int index, final int call, final int ranks, final ReduceOp op)
    {
        for (int chunk = 0; chunk * EPP < ELEMENTS; chunk++)
        {
            final int from = chunk * EPP;
            final int to = Math.min(ELEMENTS, from + EPP);
            float[] received = null;
            for (int r = 0; r < ranks; r++)
            {
                final float[] values = Arrays.copyOfRange(results.get(r)[index], from, to);
                final float[] own = new float[to - from];
                for (int i = from; i < to; i++)
                {
                    final float v = TestData.value(r, call, i);
                    own[i - from] = op == ReduceOp.AVG ? v : v * WORLD_SIZE;
                }
                if (Arrays.equals(values, own))
                {
                    continue;
                }
                if (received == null)
                {
                    received = values;
                }
                else
                {
                    assertArrayEquals(received, values, "call " + call + " chunk " + chunk + " rank " + r);
                }
            }
        }
    }
}
