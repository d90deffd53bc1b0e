package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.status.CounterDescriptor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Caller-runs I/O ({@link WorkerConfig.Builder#callerRuns(boolean)}) over loopback UDP through a real
 * {@link AggregatorServer}: ranks that drive their own socket, blocking or busy-polling, in one job with ranks that
 * have a network thread; results bit-identical on every rank and within the codec's bound of the double-precision
 * reference. The owner rule (only the joining thread may call), async calls that complete before they return, a
 * close from another thread that ends the owner's blocked call at once, and a gone aggregator that fails the call
 * within the configured timeout instead of hanging.
 */
class CallerRunsSystemTest
{
    private static final int WORLD = 4;
    private static final int ELEMENTS_PER_PACKET = 512;
    private static final int[] SIZES = {0, 1, 511, 512, 513, 4096, 100_003};
    private static final long RANKS_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(50);
    private static final AtomicInteger JOB_IDS = new AtomicInteger(20_000);

    private static AggregatorServer server;

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

    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldGiveEveryRankTheSameBoundedSumWhenSomeRanksDriveTheirOwnSocket(final Codec codec) throws Exception
    {
        final WorkerConfig base = worker(JOB_IDS.incrementAndGet(), WORLD, codec, TimeUnit.SECONDS.toNanos(20));
        final List<float[][]> results = RankThreads.run("caller-runs", WORLD, RANKS_TIMEOUT_MS, rank ->
        {
            // Rank 0 blocks in epoll_wait, rank 1 busy-polls, rank 2 busy-polls its network thread, rank 3 default.
            final WorkerConfig config = base.toBuilder().rank(rank)
                .callerRuns(rank <= 1).busyPoll(rank == 1 || rank == 2).build();
            final float[][] out = new float[SIZES.length + 1][];
            try (Collective collective = Collective.join(config))
            {
                for (int call = 0; call < SIZES.length; call++)
                {
                    out[call] = new float[SIZES[call]];
                    TestData.fill(out[call], rank, call);
                    final ReduceStats stats = collective.allReduce(out[call], call % 2 == 0 ? ReduceOp.SUM :
                        ReduceOp.AVG);
                    assertEquals(call + 1, stats.round(), "rank " + rank + ": " + stats);
                    assertTrue(stats.isComplete(WORLD), "rank " + rank + ": " + stats);
                }
                final int call = SIZES.length;
                out[call] = new float[3000];
                TestData.fill(out[call], rank, call);
                final CompletableFuture<ReduceStats> future = collective.allReduceAsync(out[call], ReduceOp.SUM);
                if (config.callerRuns())
                {
                    assertTrue(future.isDone(), "with callerRuns an async call has run when it returns");
                }
                assertEquals(call + 1, future.get(20, TimeUnit.SECONDS).round());
            }
            return out;
        });
        final List<String> failures = new ArrayList<>();
        for (int call = 0; call <= SIZES.length; call++)
        {
            final List<float[]> perRank = new ArrayList<>();
            for (final float[][] rankResults : results)
            {
                perRank.add(rankResults[call]);
            }
            final boolean average = call < SIZES.length && call % 2 == 1;
            final String bad = TestData.checkRanks(perRank, WORLD, call, codec, ELEMENTS_PER_PACKET, average);
            if (bad != null)
            {
                failures.add("call " + call + ": " + bad);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " bad results:\n" + String.join("\n", failures));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRefuseCallsFromAnotherThreadNamingTheThreadThatJoined() throws Exception
    {
        final WorkerConfig config = worker(JOB_IDS.incrementAndGet(), 1, Codec.FIXED32, TimeUnit.SECONDS.toNanos(5))
            .toBuilder().callerRuns(true).build();
        try (Collective collective = Collective.join(config))
        {
            final float[] data = new float[1000];
            final AtomicReference<Throwable> blocking = new AtomicReference<>();
            final AtomicReference<Throwable> async = new AtomicReference<>();
            final Thread other = new Thread(() ->
            {
                blocking.set(assertThrows(IllegalStateException.class,
                    () -> collective.allReduce(data, ReduceOp.SUM)));
                async.set(assertThrows(IllegalStateException.class,
                    () -> collective.allReduceAsync(data, ReduceOp.SUM)));
            }, "not-the-owner");
            other.start();
            other.join(10_000);
            final String owner = Thread.currentThread().getName();
            assertTrue(blocking.get().getMessage().contains("'not-the-owner'") &&
                blocking.get().getMessage().contains("'" + owner + "'"), blocking.get().getMessage());
            assertTrue(async.get() instanceof IllegalStateException, String.valueOf(async.get()));

            // The refused calls left the collective usable by its owner.
            TestData.fill(data, 0, 0);
            final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM);
            assertEquals(1, stats.round(), stats.toString());
            assertNull(TestData.check(data, 1, 0, Codec.FIXED32, ELEMENTS_PER_PACKET, false));
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    @SuppressWarnings("try") // closed on purpose inside its try block
    void shouldEndTheOwnersBlockedCallAtOnceWhenAnotherThreadCloses() throws Exception
    {
        final long timeoutNs = TimeUnit.SECONDS.toNanos(20);
        final WorkerConfig base = worker(JOB_IDS.incrementAndGet(), 2, Codec.FP32, timeoutNs);
        final CompletableFuture<Collective> silent = new CompletableFuture<>();
        final Thread rank1 = new Thread(() ->
        {
            try
            {
                silent.complete(Collective.join(base.toBuilder().rank(1).build()));
            }
            catch (final RuntimeException ex)
            {
                silent.completeExceptionally(ex);
            }
        }, "silent-rank-1");
        rank1.start();
        try (Collective collective = Collective.join(base.toBuilder().rank(0).callerRuns(true).build()))
        {
            silent.get(20, TimeUnit.SECONDS);
            // The closer waits until the call is in flight (its first chunks have left), so the close can only
            // meet a call that is blocked, never one that has not started.
            final long sentBeforeCall = collective.counters().get(CounterDescriptor.FRAMES_SENT);
            final Thread closer = new Thread(() ->
            {
                final long giveUpNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (collective.counters().get(CounterDescriptor.FRAMES_SENT) == sentBeforeCall &&
                    System.nanoTime() - giveUpNs < 0)
                {
                    Thread.onSpinWait();
                }
                collective.close();
            }, "closer");
            closer.start();
            // Rank 1 never calls, so this call can only end by the close (or by the 20 s timeout: TIMEOUT).
            final CollectiveException failure = assertThrows(CollectiveException.class,
                () -> collective.allReduce(new float[1000], ReduceOp.SUM));
            assertEquals(CollectiveException.Reason.CLOSED, failure.reason(), failure.toString());
            assertTrue(failure.getMessage().contains("closed during allReduce"),
                "the close met the call in flight: " + failure.getMessage());
            final CollectiveException after = assertThrows(CollectiveException.class,
                () -> collective.allReduce(new float[10], ReduceOp.SUM));
            assertEquals(CollectiveException.Reason.CLOSED, after.reason());
            closer.join(5_000);
        }
        finally
        {
            silent.get(20, TimeUnit.SECONDS).close();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    @SuppressWarnings("try") // closed on purpose inside its try block
    void shouldFailWithinTheTimeoutWhenTheAggregatorIsGone() throws Exception
    {
        final long timeoutNs = TimeUnit.SECONDS.toNanos(2);
        try (AggregatorServer own = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
        {
            final WorkerConfig config = WorkerConfig.builder().aggregator("127.0.0.1", own.port()).jobId(7)
                .rank(0).worldSize(1).codec(Codec.FIXED32).elementsPerPacket(ELEMENTS_PER_PACKET)
                .timeoutNs(timeoutNs).callerRuns(true).build();
            try (Collective collective = Collective.join(config))
            {
                final float[] data = new float[10_000];
                TestData.fill(data, 0, 0);
                collective.allReduce(data, ReduceOp.SUM);
                own.close();
                final long startNs = System.nanoTime();
                final CollectiveException failure = assertThrows(CollectiveException.class,
                    () -> collective.allReduce(data, ReduceOp.SUM));
                final long elapsedNs = System.nanoTime() - startNs;
                assertTrue(elapsedNs < timeoutNs + TimeUnit.SECONDS.toNanos(3),
                    "failed after " + TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms: " + failure);
            }
        }
    }

    private static WorkerConfig worker(final int jobId, final int worldSize, final Codec codec, final long timeoutNs)
    {
        return WorkerConfig.builder()
            .aggregator("127.0.0.1", server.port())
            .jobId(jobId)
            .rank(0)
            .worldSize(worldSize)
            .codec(codec)
            .elementsPerPacket(ELEMENTS_PER_PACKET)
            .window(16)
            .timeoutNs(timeoutNs)
            .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .build();
    }
}
