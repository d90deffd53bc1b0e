package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.CollectiveException;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.LossGenerator;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures a job must survive with a clear exception within its timeout, never a hang: the aggregator killed or
 * shut down mid-round, a rank that never joins or dies mid-round, no aggregator at all, and ranks that disagree
 * on the job's settings.
 */
public final class FailureSystemTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long MARGIN_NS = TimeUnit.SECONDS.toNanos(3);
    private static final int LARGE = 1 << 20;
    private static final int LOOPBACK_ELEMENTS_PER_PACKET = 4096;
    private static final Pattern LISTENING = Pattern.compile("LISTENING (\\d+)");
    private static final Pattern WAITING_FOR = Pattern.compile("still waiting for rank\\(s\\) \\[([0-9, ]+)\\]");

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldTimeOutEveryRankWhenTheAggregatorProcessIsKilledMidRound() throws Exception
    {
        try (JvmProcess aggregator = JvmProcess.start("aggregator-kill", null, JvmProcess.inaJvmFlags(),
            TestAggregatorMain.class, "127.0.0.1", "0"))
        {
            final int port = listeningPort(aggregator);
            final List<RankLoop> ranks = startRanks(port, 11, 3, TIMEOUT_NS);
            awaitCalls(ranks, 2);
            final long killNs = System.nanoTime();
            aggregator.kill();
            for (final RankLoop rank : ranks)
            {
                final CollectiveException failure = rank.awaitFailure();
                final long elapsedNs = rank.failedNs - killNs;
                log(failure, elapsedNs);
                assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason(), failure.getMessage());
                assertTrue(elapsedNs < TIMEOUT_NS + MARGIN_NS, "rank " + rank.rank + " failed " +
                    TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms after the kill: " + failure.getMessage());
                assertTrue(failure.getMessage().contains("no answer from the aggregator at 127.0.0.1:" + port),
                    failure.getMessage());
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldAbortEveryRankFastWhenTheAggregatorShutsDownMidRound() throws Exception
    {
        final long longTimeoutNs = TimeUnit.SECONDS.toNanos(20);
        final AggregatorServer server = AggregatorServer.start(localAggregator());
        final List<RankLoop> ranks;
        final long closeNs;
        try
        {
            ranks = startRanks(server.port(), 12, 3, longTimeoutNs);
            awaitCalls(ranks, 2);
            closeNs = System.nanoTime();
        }
        finally
        {
            server.close();
        }
        for (final RankLoop rank : ranks)
        {
            final CollectiveException failure = rank.awaitFailure();
            final long elapsedNs = rank.failedNs - closeNs;
            log(failure, elapsedNs);
            assertEquals(CollectiveException.Reason.ABORTED, failure.reason(), "rank " + rank.rank + ": " +
                failure.getMessage());
            assertTrue(failure.getMessage().contains("shut down"), failure.getMessage());
            assertTrue(elapsedNs < TimeUnit.SECONDS.toNanos(3), "rank " + rank.rank + " failed " +
                TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms after close(): " + failure.getMessage());
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldTimeOutJoinNamingTheMissingRankWhenARankNeverJoins() throws Exception
    {
        try (AggregatorServer server = AggregatorServer.start(localAggregator()))
        {
            final List<Joiner> joiners = new ArrayList<>();
            final long startNs = System.nanoTime();
            for (int rank = 0; rank < 2; rank++)
            {
                joiners.add(new Joiner(config(server.port(), 13, rank, 3).build()));
            }
            for (final Joiner joiner : joiners)
            {
                final CollectiveException failure = joiner.awaitFailure();
                final long elapsedNs = joiner.failedNs - startNs;
                log(failure, elapsedNs);
                assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason(), failure.getMessage());
                assertTrue(elapsedNs < TIMEOUT_NS + MARGIN_NS, TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms");
                assertTrue(failure.getMessage().contains("rank(s) [2] have not joined"), failure.getMessage());
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldTimeOutNamingTheSilentRankWhenARankStopsCalling() throws Exception
    {
        try (AggregatorServer server = AggregatorServer.start(localAggregator()))
        {
            final List<RankLoop> ranks = new ArrayList<>();
            for (int rank = 0; rank < 3; rank++)
            {
                final WorkerConfig config = config(server.port(), 14, rank, 3)
                    .elementsPerPacket(LOOPBACK_ELEMENTS_PER_PACKET).joinTimeoutNs(TimeUnit.SECONDS.toNanos(20))
                    .build();
                ranks.add(new RankLoop(config, LARGE, rank == 2 ? 3 : Integer.MAX_VALUE));
            }
            final RankLoop silent = ranks.get(2);
            awaitCalls(List.of(silent), 3);
            final long stoppedNs = silent.lastCallNs;
            for (final RankLoop rank : ranks.subList(0, 2))
            {
                final CollectiveException failure = rank.awaitFailure();
                final long elapsedNs = rank.failedNs - stoppedNs;
                log(failure, elapsedNs);
                assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason(), failure.getMessage());
                assertTrue(elapsedNs < TIMEOUT_NS + MARGIN_NS, TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms");
                assertTrue(waitedFor(failure).contains(2), failure.getMessage());
            }
            assertNull(silent.failure, "the silent rank itself did not fail");
            silent.release.countDown();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldTimeOutNamingTheDeadRankWhenARankProcessIsKilledMidRound() throws Exception
    {
        final int elements = 300_000;
        try (AggregatorServer server = AggregatorServer.start(localAggregator()))
        {
            final Path result = Files.createTempFile("ina-killed-rank-", ".bin");
            final List<RankLoop> ranks = new ArrayList<>();
            for (int rank = 0; rank < 2; rank++)
            {
                final WorkerConfig config = config(server.port(), 15, rank, 3)
                    .elementsPerPacket(LOOPBACK_ELEMENTS_PER_PACKET).joinTimeoutNs(TimeUnit.SECONDS.toNanos(30))
                    .build();
                ranks.add(new RankLoop(config, elements, Integer.MAX_VALUE));
            }
            final long killNs;
            try (JvmProcess worker = JvmProcess.start("worker-kill", null, JvmProcess.inaJvmFlags(),
                TestWorkerMain.class, "127.0.0.1:" + server.port(), "15", "2", "3", "FIXED32",
                Integer.toString(elements), "100000", Integer.toString(LOOPBACK_ELEMENTS_PER_PACKET),
                Long.toString(TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS)), result.toString()))
            {
                worker.awaitOutput("CALL 1 ", 30_000);
                killNs = System.nanoTime();
                worker.kill();
            }
            finally
            {
                Files.deleteIfExists(result);
            }
            for (final RankLoop rank : ranks)
            {
                final CollectiveException failure = rank.awaitFailure();
                final long elapsedNs = rank.failedNs - killNs;
                log(failure, elapsedNs);
                assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason(), failure.getMessage());
                assertTrue(elapsedNs < TIMEOUT_NS + MARGIN_NS, TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms");
                assertTrue(waitedFor(failure).contains(2), failure.getMessage());
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNameOnlyTheSilentRankWhenALiveRankLagsBehindInItsWindow() throws Exception
    {
        // Rank 0 loses one first transmission in its first call: its congestion window halves and stays below
        // rank 1's for the next call (rank 1 retransmits only after a second, so it never halves), so when rank 2
        // goes silent rank 0 has sent fewer chunks of that call than rank 1. Rank 0 is alive and calling; only
        // rank 2 holds the job up, and the oldest chunk (the one that blocks progress) lacks rank 2 alone.
        final LossGenerator dropOnce = new LossGenerator()
        {
            private boolean dropped;

            @Override
            public boolean shouldDrop(final DirectBuffer buffer, final int offset, final int length)
            {
                if (!dropped && buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET) == FrameDescriptor.TYPE_CONTRIB &&
                    (buffer.getByte(offset + FrameDescriptor.FLAGS_OFFSET) & FrameDescriptor.FLAG_RETRANSMIT) == 0 &&
                    buffer.getInt(offset + FrameDescriptor.ROUND_OFFSET, ByteOrder.LITTLE_ENDIAN) == 1 &&
                    buffer.getInt(offset + FrameDescriptor.SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN) == 100)
                {
                    dropped = true;
                    return true;
                }
                return false;
            }
        };
        try (AggregatorServer server = AggregatorServer.start(localAggregator()))
        {
            final List<RankLoop> ranks = new ArrayList<>();
            for (int rank = 0; rank < 3; rank++)
            {
                final WorkerConfig.Builder config = config(server.port(), 18, rank, 3).window(64)
                    .elementsPerPacket(256).joinTimeoutNs(TimeUnit.SECONDS.toNanos(20));
                if (rank == 0)
                {
                    config.loss(dropOnce, LossGenerator.NONE);
                }
                else
                {
                    final long oneSecondNs = TimeUnit.SECONDS.toNanos(1);
                    config.retransmitTimeouts(oneSecondNs, oneSecondNs, oneSecondNs);
                }
                ranks.add(new RankLoop(config.build(), 128 * 256, rank == 2 ? 1 : Integer.MAX_VALUE));
            }
            final List<String> messages = new ArrayList<>();
            final List<List<Integer>> named = new ArrayList<>();
            for (final RankLoop rank : ranks.subList(0, 2))
            {
                final CollectiveException failure = rank.awaitFailure();
                assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason(), failure.getMessage());
                messages.add(failure.getMessage());
                named.add(waitedFor(failure));
            }
            ranks.get(2).release.countDown();
            assertEquals(List.of(List.of(2), List.of(2)), named, "ranks 0 and 1 must name only the silent rank 2 " +
                "(the live ranks are blocked by it, not missing): " + messages);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldTimeOutJoinWhenNothingListensOnThePort() throws Exception
    {
        final int port;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)))
        {
            port = probe.getLocalPort();
        }
        assertJoinFindsNoAggregator(port);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldTimeOutJoinWhenThePortSwallowsEverything() throws Exception
    {
        try (DatagramSocket blackHole = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)))
        {
            blackHole.setSoTimeout(100);
            final AtomicBoolean running = new AtomicBoolean(true);
            final int[] swallowed = new int[1];
            final Thread reader = new Thread(() ->
            {
                final DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
                while (running.get())
                {
                    try
                    {
                        blackHole.receive(packet);
                        swallowed[0]++;
                    }
                    catch (final SocketTimeoutException ex)
                    {
                        // Check whether to stop.
                    }
                    catch (final IOException ex)
                    {
                        return;
                    }
                }
            });
            reader.start();
            assertJoinFindsNoAggregator(blackHole.getLocalPort());
            running.set(false);
            reader.join(5_000);
            assertTrue(swallowed[0] > 1, "JOIN must be retried: " + swallowed[0]);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRefuseARankWhoseSettingsDifferFromTheJob() throws Exception
    {
        try (AggregatorServer server = AggregatorServer.start(localAggregator()))
        {
            final int job = 16;
            final Joiner rank0 = new Joiner(config(server.port(), job, 0, 3)
                .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20)).build());
            awaitCondition(() -> server.jobCount() == 1, "the job to appear at the aggregator");

            final Object[][] mismatches = {
                {config(server.port(), job, 1, 2), "worldSize=2", "worldSize=3"},
                {config(server.port(), job, 1, 3).codec(Codec.FP32), "codec=FP32", "codec=FIXED32"},
                {config(server.port(), job, 1, 3).elementsPerPacket(128), "elementsPerPacket=128",
                    "elementsPerPacket=256"},
                {config(server.port(), job, 1, 3).window(32), "window=32", "window=64"},
            };
            for (final Object[] mismatch : mismatches)
            {
                final WorkerConfig wrong = ((WorkerConfig.Builder)mismatch[0]).build();
                final long startNs = System.nanoTime();
                final CollectiveException failure = assertThrows(CollectiveException.class,
                    () -> Collective.join(wrong).close());
                final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                assertEquals(CollectiveException.Reason.REFUSED, failure.reason(), failure.getMessage());
                assertTrue(elapsedMs < 1_000, "refused after " + elapsedMs + " ms");
                for (int i = 1; i < mismatch.length; i++)
                {
                    assertTrue(failure.getMessage().contains((String)mismatch[i]), "'" + mismatch[i] +
                        "' missing in: " + failure.getMessage());
                }
            }

            // The refused ranks did not harm the forming job: the right ranks join and reduce exactly.
            final Joiner rank1 = new Joiner(config(server.port(), job, 1, 3).build());
            final Joiner rank2 = new Joiner(config(server.port(), job, 2, 3).build());
            for (final Joiner joiner : List.of(rank0, rank1, rank2))
            {
                joiner.join(20_000);
                assertNull(joiner.failure, () -> "rank could not join: " + joiner.failure);
            }
            reduceOnce(List.of(rank0.collective, rank1.collective, rank2.collective));
        }
    }

    /**
     * The ranks a TIMEOUT message says the aggregator is still waiting for.
     */
    private static List<Integer> waitedFor(final CollectiveException failure)
    {
        final Matcher matcher = WAITING_FOR.matcher(failure.getMessage());
        assertTrue(matcher.find(), "the message must say which ranks the aggregator waits for: " +
            failure.getMessage());
        final List<Integer> ranks = new ArrayList<>();
        for (final String rank : matcher.group(1).split(",\\s*"))
        {
            ranks.add(Integer.parseInt(rank.trim()));
        }
        return ranks;
    }

    private static void reduceOnce(final List<Collective> collectives) throws Exception
    {
        final List<Thread> threads = new ArrayList<>();
        final float[][] results = new float[collectives.size()][1000];
        final Throwable[] failures = new Throwable[collectives.size()];
        for (int rank = 0; rank < collectives.size(); rank++)
        {
            final int r = rank;
            final Thread thread = new Thread(() ->
            {
                try (Collective collective = collectives.get(r))
                {
                    TestData.fill(results[r], r, 0);
                    collective.allReduce(results[r], ReduceOp.SUM);
                }
                catch (final Throwable t)
                {
                    failures[r] = t;
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (final Thread thread : threads)
        {
            thread.join(20_000);
        }
        for (int rank = 0; rank < collectives.size(); rank++)
        {
            assertNull(failures[rank], "rank " + rank);
            assertNull(TestData.check(results[rank], collectives.size(), 0, Codec.FIXED32, 256, false));
            assertTrue(Arrays.equals(results[0], results[rank]), "rank " + rank + " differs from rank 0");
        }
    }

    private static void assertJoinFindsNoAggregator(final int port) throws Exception
    {
        final long startNs = System.nanoTime();
        final CollectiveException failure = assertThrows(CollectiveException.class,
            () -> Collective.join(config(port, 17, 0, 2).build()).close());
        final long elapsedNs = System.nanoTime() - startNs;
        log(failure, elapsedNs);
        assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason(), failure.getMessage());
        assertTrue(elapsedNs < TIMEOUT_NS + MARGIN_NS, TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms");
        assertTrue(failure.getMessage().contains("no answer from the aggregator at 127.0.0.1:" + port),
            failure.getMessage());
    }

    private static void log(final CollectiveException failure, final long elapsedNs)
    {
        System.out.println("failed after " + TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms: " + failure.reason() +
            ": " + failure.getMessage());
    }

    private static AggregatorConfig localAggregator()
    {
        return AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build();
    }

    private static WorkerConfig.Builder config(final int port, final int job, final int rank, final int worldSize)
    {
        return WorkerConfig.builder()
            .aggregator("127.0.0.1", port).jobId(job).rank(rank).worldSize(worldSize).codec(Codec.FIXED32)
            .timeoutNs(TIMEOUT_NS).joinTimeoutNs(TIMEOUT_NS);
    }

    private static int listeningPort(final JvmProcess aggregator) throws InterruptedException
    {
        final Matcher matcher = LISTENING.matcher(aggregator.awaitOutput("LISTENING ", 20_000));
        assertTrue(matcher.find());
        return Integer.parseInt(matcher.group(1));
    }

    private static List<RankLoop> startRanks(final int port, final int job, final int worldSize, final long timeoutNs)
    {
        final List<RankLoop> ranks = new ArrayList<>();
        for (int rank = 0; rank < worldSize; rank++)
        {
            ranks.add(new RankLoop(config(port, job, rank, worldSize).timeoutNs(timeoutNs)
                .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20)).elementsPerPacket(LOOPBACK_ELEMENTS_PER_PACKET).build(),
                LARGE, Integer.MAX_VALUE));
        }
        return ranks;
    }

    private static void awaitCalls(final List<RankLoop> ranks, final int calls)
    {
        awaitCondition(() -> ranks.stream().allMatch(r -> r.calls >= calls || r.failure != null),
            "every rank to finish " + calls + " calls");
        for (final RankLoop rank : ranks)
        {
            assertNull(rank.failure, () -> "rank " + rank.rank + " failed before the fault: " + rank.failure);
        }
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * A rank on its own thread: joins, then all-reduces in a loop until a call fails or it made {@code stopAfter}
     * calls, after which it stays joined but silent until released.
     */
    private static final class RankLoop extends Thread
    {
        private final WorkerConfig config;
        private final int elements;
        private final int rank;
        private final CountDownLatch release = new CountDownLatch(1);
        private final int stopAfter;
        private volatile int calls;
        private volatile long lastCallNs;
        private volatile Throwable failure;
        private volatile long failedNs;

        RankLoop(final WorkerConfig config, final int elements, final int stopAfter)
        {
            super("rank-" + config.jobId() + "-" + config.rank());
            this.config = config;
            this.elements = elements;
            this.rank = config.rank();
            this.stopAfter = stopAfter;
            setDaemon(true);
            start();
        }

        @Override
        public void run()
        {
            try (Collective collective = Collective.join(config))
            {
                final float[] data = new float[elements];
                while (calls < stopAfter)
                {
                    Arrays.fill(data, 0.25f * (rank + 1));
                    collective.allReduce(data, ReduceOp.SUM);
                    lastCallNs = System.nanoTime();
                    calls++;
                }
                release.await(60, TimeUnit.SECONDS);
            }
            catch (final Throwable t)
            {
                failedNs = System.nanoTime();
                failure = t;
            }
        }

        CollectiveException awaitFailure() throws InterruptedException
        {
            join(TimeUnit.NANOSECONDS.toMillis(Math.max(config.timeoutNs(), config.joinTimeoutNs()) + MARGIN_NS) +
                5_000);
            assertTrue(!isAlive(), "rank " + rank + " still running after " + calls + " calls: it hangs");
            return assertInstanceOf(CollectiveException.class, failure, "rank " + rank);
        }
    }

    /**
     * Joins a job on its own thread and keeps the collective (or the failure).
     */
    private static final class Joiner extends Thread
    {
        private final WorkerConfig config;
        private volatile Collective collective;
        private volatile Throwable failure;
        private volatile long failedNs;

        Joiner(final WorkerConfig config)
        {
            super("join-" + config.jobId() + "-" + config.rank());
            this.config = config;
            setDaemon(true);
            start();
        }

        @Override
        public void run()
        {
            try
            {
                collective = Collective.join(config);
            }
            catch (final Throwable t)
            {
                failedNs = System.nanoTime();
                failure = t;
            }
        }

        CollectiveException awaitFailure() throws InterruptedException
        {
            join(TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS + MARGIN_NS) + 10_000);
            assertTrue(!isAlive(), "join still running: it hangs");
            if (collective != null)
            {
                collective.close();
            }
            return assertInstanceOf(CollectiveException.class, failure);
        }
    }
}
