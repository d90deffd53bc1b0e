package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Floods a running aggregator with 100 000 malformed, foreign and mutated datagrams from a plain
 * {@link DatagramSocket} while two real jobs (FIXED32 and FP32, three ranks each) all-reduce through it, and checks
 * that the sums stay exact, the floods are dropped and counted by reason, and the aggregator keeps serving.
 * <p>
 * The fuzzer does not know the real jobs' session tokens. To reach the checks behind the token (slot, sequence,
 * count, codec, rank) it also joins a third job as a legitimate rank and then sends that job mutated
 * contributions carrying the right token.
 */
public final class FuzzSystemTest
{
    private static final int FUZZ_DATAGRAMS = 100_000;
    private static final long FUZZ_MAX_NS = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_IN_FLIGHT = 1024;
    private static final int WORLD_SIZE = 3;
    private static final int ELEMENTS = 40_000;
    private static final int ELEMENTS_PER_PACKET = 1024;
    private static final int WINDOW = 64;
    private static final int FIXED_JOB = 0x1F00D;
    private static final int FP32_JOB = 0x2F00D;
    private static final int FUZZ_JOB = 0x3F00D;
    private static final int AFTER_JOB = 0x4F00D;
    private static final int FUZZ_JOB_WINDOW = 8;
    private static final int FUZZ_JOB_ELEMENTS_PER_PACKET = 64;
    private static final long SEED = 0x5EEDF022L;
    /** One above the largest codec id: JOINs with this id or a larger one name no codec and are refused. */
    private static final int FIRST_UNKNOWN_CODEC_ID =
        java.util.Arrays.stream(Codec.values()).mapToInt(Codec::id).max().getAsInt() + 1;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldKeepSumsExactAndCountDropsWhenFloodedWithMalformedDatagrams() throws Exception
    {
        final AggregatorConfig config = AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build();
        try (AggregatorServer server = AggregatorServer.start(config);
            DatagramSocket fuzzSocket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)))
        {
            final AtomicBoolean stop = new AtomicBoolean();
            final RealJob fixed = new RealJob(server.port(), FIXED_JOB, Codec.FIXED32, stop);
            final RealJob fp32 = new RealJob(server.port(), FP32_JOB, Codec.FP32, stop);
            fixed.start();
            fp32.start();
            fixed.awaitJoined();
            fp32.awaitJoined();

            // The fuzzer's own job: one real rank, the fuzzer is the other and learns the token.
            final WorkerConfig fuzzJobRank0 = WorkerConfig.builder()
                .aggregator("127.0.0.1", server.port()).jobId(FUZZ_JOB).rank(0).worldSize(2)
                .codec(Codec.FIXED32).window(FUZZ_JOB_WINDOW).elementsPerPacket(FUZZ_JOB_ELEMENTS_PER_PACKET)
                .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20)).build();
            final ConcurrentLinkedQueue<Collective> fuzzJobCollective = new ConcurrentLinkedQueue<>();
            final Thread fuzzJobJoiner = new Thread(() -> fuzzJobCollective.add(Collective.join(fuzzJobRank0)));
            fuzzJobJoiner.start();
            final Fuzzer fuzzer = new Fuzzer(fuzzSocket, server, new SplittableRandom(SEED));
            final int fuzzToken = fuzzer.joinFuzzJob();
            fuzzJobJoiner.join(20_000);
            assertEquals(1, fuzzJobCollective.size(), "rank 0 of the fuzzer's job did not join");

            final Counters counters = server.counters();
            final long dropsBefore = counters.totalDropped();
            final Map<String, Long> before = counters.snapshot();
            final long rcvbufErrorsBefore = udpRcvbufErrors();
            final long startNs = System.nanoTime();
            fuzzer.flood(fuzzToken);
            final long floodMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            stop.set(true);
            fixed.awaitDone();
            fp32.awaitDone();
            fuzzer.stopDrain();
            final long dropped = counters.totalDropped() - dropsBefore;
            final String report = "fuzz seed " + SEED + ", " + fuzzer.sent + " datagrams (" + fuzzer.expectedDrops +
                " expected drops, " + fuzzer.zeroLength + " empty) in " + floodMs + " ms; dropped " + dropped +
                "; error replies " + fuzzer.errorReplies.get() + "; kernel UDP receive buffer errors " +
                (udpRcvbufErrors() - rcvbufErrorsBefore) + "; counters before " + before + "; after " +
                counters + "; calls fixed=" + fixed.calls + " fp32=" + fp32.calls;
            System.out.println(report);

            fixed.assertExact();
            fp32.assertExact();
            assertTrue(fixed.calls >= 2 && fp32.calls >= 2, "the jobs must run during the flood: " + report);
            assertEquals(FUZZ_DATAGRAMS, fuzzer.sent, report);
            assertEquals(0, counters.get(CounterDescriptor.HANDLER_ERRORS), "no datagram may make the engine throw: " +
                report);
            assertTrue(dropped >= fuzzer.expectedDrops * 9 / 10, "drop counters must move by roughly the " +
                "number of bad datagrams: " + report);
            // Tighter: every bad datagram the kernel delivered is counted (up to 2 * window valid first copies).
            assertTrue(dropped >= fuzzer.expectedDrops - Math.max(0, udpRcvbufErrors() - rcvbufErrorsBefore) -
                2 * FUZZ_JOB_WINDOW, "a delivered bad datagram was not counted as a drop: " + report);
            for (final CounterDescriptor reason : new CounterDescriptor[] {
                CounterDescriptor.DROP_SHORT, CounterDescriptor.DROP_VERSION, CounterDescriptor.DROP_TYPE,
                CounterDescriptor.DROP_UNKNOWN_JOB, CounterDescriptor.DROP_TOKEN, CounterDescriptor.DROP_RANK,
                CounterDescriptor.DROP_CODEC, CounterDescriptor.DROP_SLOT, CounterDescriptor.DROP_LENGTH,
                CounterDescriptor.DROP_SEQUENCE, CounterDescriptor.DROP_STALE, CounterDescriptor.DROP_DUPLICATE,
                CounterDescriptor.DROP_CONTROL})
            {
                assertTrue(counters.get(reason) > 0, reason + " must have counted fuzz datagrams: " + report);
            }
            assertTrue(fuzzer.errorReplies.get() > 0, "bad JOINs must be answered with ERROR: " + report);

            // Still serving: the real jobs' LEAVEs end them, the fuzzer's job remains, a new job forms and reduces.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.jobCount() != 1 && System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
            assertEquals(1, server.jobCount(), "jobs after the flood: " + report);
            fuzzJobCollective.poll().close();
            final RealJob after = new RealJob(server.port(), AFTER_JOB, Codec.FIXED32, new AtomicBoolean(true));
            after.start();
            after.awaitDone();
            after.assertExact();
            assertEquals(1, after.calls);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldAnswerJoinWithErrorWhenParametersAreGarbage() throws Exception
    {
        final AggregatorConfig config = AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build();
        try (AggregatorServer server = AggregatorServer.start(config);
            DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)))
        {
            socket.setSoTimeout(5_000);
            final InetSocketAddress aggregator = new InetSocketAddress("127.0.0.1", server.port());
            final Object[][] cases = {
                // codec, rank, worldSize, window, elementsPerPacket, mode, text the message must contain
                {(int)FrameDescriptor.CODEC_FIXED32, 0, 0, 64, 256, 0, "worldSize must be within"},
                {(int)FrameDescriptor.CODEC_FIXED32, 0, 65535, 64, 256, 0, "worldSize must be within"},
                {(int)FrameDescriptor.CODEC_FIXED32, 7, 3, 64, 256, 0, "rank must be below worldSize 3"},
                {(int)FrameDescriptor.CODEC_FIXED32, 0, 3, 3, 256, 0, "window must be a power of two"},
                {(int)FrameDescriptor.CODEC_FIXED32, 0, 3, 0, 256, 0, "window must be a power of two"},
                {(int)FrameDescriptor.CODEC_FIXED32, 0, 3, 64, 0, 0, "elementsPerPacket must be within"},
                {(int)FrameDescriptor.CODEC_FIXED32, 0, 3, 64, 65535, 0, "elementsPerPacket must be within"},
                {(int)FrameDescriptor.CODEC_FIXED32, 0, 3, 64, 256, 9, "unsupported mode 9"},
                {0xEE, 0, 3, 64, 256, 0, "unknown codec id"},
            };
            // Padded as workers pad them: a reply is never longer than its JOIN, and the messages must fit whole.
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ControlFlyweight.PADDED_JOIN_LENGTH]);
            final ControlFlyweight join = new ControlFlyweight();
            for (int i = 0; i < cases.length; i++)
            {
                final Object[] c = cases[i];
                join.wrap(buffer, 0, ControlFlyweight.JOIN_LENGTH);
                join.writeHeader(FrameDescriptor.TYPE_JOIN, (byte)(int)c[0]).jobId(500 + i).rank((int)c[1])
                    .round(0x1234 + i);
                join.worldSize((int)c[2]).window((int)c[3]).elementsPerPacket((int)c[4]).mode((int)c[5]);
                socket.send(new DatagramPacket(buffer.byteArray(), ControlFlyweight.PADDED_JOIN_LENGTH, aggregator));

                final byte[] reply = new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH];
                final DatagramPacket packet = new DatagramPacket(reply, reply.length);
                socket.receive(packet);
                final ControlFlyweight error = new ControlFlyweight();
                error.wrap(new UnsafeBuffer(reply), 0, packet.getLength());
                final String message = error.message();
                assertEquals(FrameDescriptor.TYPE_ERROR, error.type(), "case " + i + ": " + message);
                assertEquals(ControlFlyweight.ERROR_INVALID_REQUEST, error.contributors(), "case " + i);
                assertEquals(500 + i, error.jobId(), "case " + i);
                assertEquals(0x1234 + i, error.round(), "the ERROR must echo the nonce, case " + i);
                assertTrue(message.contains((String)c[6]), "case " + i + ": " + message);
            }

            // A JOIN too short to hold its parameters is dropped silently.
            join.wrap(buffer, 0, ControlFlyweight.JOIN_LENGTH);
            join.writeHeader(FrameDescriptor.TYPE_JOIN, FrameDescriptor.CODEC_FIXED32).jobId(600).round(1);
            final long shortBefore = server.counters().get(CounterDescriptor.DROP_SHORT);
            socket.send(new DatagramPacket(buffer.byteArray(), ControlFlyweight.JOIN_LENGTH - 1, aggregator));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.counters().get(CounterDescriptor.DROP_SHORT) == shortBefore &&
                System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
            assertEquals(shortBefore + 1, server.counters().get(CounterDescriptor.DROP_SHORT));
            assertEquals(cases.length, server.counters().get(CounterDescriptor.DROP_CONTROL));
            assertEquals(0, server.jobCount(), "no garbage JOIN may create a job");
        }
    }

    /**
     * UDP receive buffer overflows counted by the kernel (all sockets of this network namespace).
     */
    private static long udpRcvbufErrors() throws IOException
    {
        final List<String> lines = Files.readAllLines(Path.of("/proc/net/snmp"));
        for (int i = 0; i + 1 < lines.size(); i++)
        {
            if (lines.get(i).startsWith("Udp:") && lines.get(i + 1).startsWith("Udp:"))
            {
                final List<String> names = List.of(lines.get(i).trim().split("\\s+"));
                final String[] values = lines.get(i + 1).trim().split("\\s+");
                final int index = names.indexOf("RcvbufErrors");
                return index < 0 ? -1 : Long.parseLong(values[index]);
            }
        }
        return -1;
    }

    /**
     * One real job of three Collective ranks, each on its own thread: all-reduces repeatedly until told to stop,
     * then once more; every rank records a digest of each result and checks it against the reference.
     */
    private static final class RealJob
    {
        private final int port;
        private final int jobId;
        private final Codec codec;
        private final AtomicBoolean stop;
        private final CountDownLatch joined = new CountDownLatch(WORLD_SIZE);
        private final CyclicBarrier barrier;
        private final Map<Integer, long[]> digests = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean keepGoing = true;
        private volatile int calls;

        RealJob(final int port, final int jobId, final Codec codec, final AtomicBoolean stop)
        {
            this.port = port;
            this.jobId = jobId;
            this.codec = codec;
            this.stop = stop;
            this.barrier = new CyclicBarrier(WORLD_SIZE, () -> keepGoing = !stop.get());
        }

        void start()
        {
            for (int rank = 0; rank < WORLD_SIZE; rank++)
            {
                final int r = rank;
                final Thread thread = new Thread(() -> run(r), "job-" + jobId + "-rank-" + r);
                threads.add(thread);
                thread.start();
            }
        }

        void awaitJoined() throws InterruptedException
        {
            if (!joined.await(30, TimeUnit.SECONDS))
            {
                fail("job " + jobId + " did not form: " + failures);
            }
        }

        void awaitDone() throws InterruptedException
        {
            for (final Thread thread : threads)
            {
                thread.join(60_000);
                assertTrue(!thread.isAlive(), thread.getName() + " did not finish: " + failures);
            }
        }

        private void run(final int rank)
        {
            final WorkerConfig config = WorkerConfig.builder()
                .aggregator("127.0.0.1", port).jobId(jobId).rank(rank).worldSize(WORLD_SIZE).codec(codec)
                .window(WINDOW).elementsPerPacket(ELEMENTS_PER_PACKET)
                .timeoutNs(TimeUnit.SECONDS.toNanos(30)).joinTimeoutNs(TimeUnit.SECONDS.toNanos(30)).build();
            try (Collective collective = Collective.join(config))
            {
                joined.countDown();
                final float[] data = new float[ELEMENTS];
                int call = 0;
                while (true)
                {
                    barrier.await(60, TimeUnit.SECONDS);
                    if (!keepGoing)
                    {
                        break;
                    }
                    reduceAndCheck(collective, data, rank, call++);
                }
                // After the flood: one more call must still succeed.
                reduceAndCheck(collective, data, rank, call++);
                if (rank == 0)
                {
                    calls = call;
                }
            }
            catch (final Throwable t)
            {
                failures.add(new AssertionError("job " + jobId + " rank " + rank + " failed", t));
                barrier.reset();
            }
        }

        private void reduceAndCheck(final Collective collective, final float[] data, final int rank, final int call)
        {
            TestData.fill(data, rank, call);
            final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM);
            assertTrue(stats.isComplete(WORLD_SIZE), "call " + call + ": " + stats);
            final String error = TestData.check(data, WORLD_SIZE, call, codec, ELEMENTS_PER_PACKET, false);
            assertNull(error, () -> "job " + jobId + " rank " + rank + " call " + call + ": " + error);
            digests.computeIfAbsent(call, k -> new long[WORLD_SIZE])[rank] = digest(data);
        }

        void assertExact()
        {
            if (!failures.isEmpty())
            {
                final AssertionError error = new AssertionError("job " + jobId + " (" + codec + ") failed: " +
                    failures.peek());
                failures.forEach(error::addSuppressed);
                throw error;
            }
            assertEquals(calls, digests.size(), "job " + jobId + ": calls recorded");
            digests.forEach((call, byRank) ->
            {
                for (int r = 1; r < WORLD_SIZE; r++)
                {
                    assertEquals(byRank[0], byRank[r], "job " + jobId + " call " + call + ": rank " + r +
                        " result differs from rank 0's (not bit-identical)");
                }
            });
        }

        private static long digest(final float[] data)
        {
            long h = 0x9E3779B97F4A7C15L;
            for (final float value : data)
            {
                h = (h ^ Float.floatToRawIntBits(value)) * 0x100000001B3L;
                h ^= h >>> 29;
            }
            return h;
        }
    }

    /**
     * Builds and sends the fuzz datagrams from one unconnected socket, pacing itself on the aggregator's drop and
     * error counters so that the kernel's receive buffer does not overflow, and drains the replies.
     */
    private static final class Fuzzer
    {
        private final DatagramSocket socket;
        private final AggregatorServer server;
        private final InetSocketAddress aggregator;
        private final SplittableRandom random;
        private final byte[] bytes = new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH];
        private final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        private final ControlFlyweight frame = new ControlFlyweight();
        private final AtomicLong errorReplies = new AtomicLong();
        private final AtomicBoolean draining = new AtomicBoolean(true);
        private final int nonce = 0x0F0F0F0F;
        private Thread drain;
        private int fuzzToken;
        private int sent;
        private long expectedDrops;
        private int zeroLength;

        Fuzzer(final DatagramSocket socket, final AggregatorServer server, final SplittableRandom random)
        {
            this.socket = socket;
            this.server = server;
            this.aggregator = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
            this.random = random;
        }

        /**
         * Joins the fuzzer's job as rank 1 and returns the session token from the JOIN_ACK.
         */
        int joinFuzzJob() throws IOException
        {
            socket.setSoTimeout(200);
            final byte[] reply = new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH];
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() - deadline < 0)
            {
                join(FUZZ_JOB, 1, 2, FUZZ_JOB_WINDOW, FUZZ_JOB_ELEMENTS_PER_PACKET, FrameDescriptor.CODEC_FIXED32);
                socket.send(new DatagramPacket(bytes, ControlFlyweight.JOIN_LENGTH, aggregator));
                try
                {
                    final DatagramPacket packet = new DatagramPacket(reply, reply.length);
                    socket.receive(packet);
                    final ControlFlyweight ack = new ControlFlyweight();
                    ack.wrap(new UnsafeBuffer(reply), 0, packet.getLength());
                    if (ack.type() == FrameDescriptor.TYPE_JOIN_ACK && ack.jobId() == FUZZ_JOB)
                    {
                        return ack.sessionToken();
                    }
                }
                catch (final SocketTimeoutException ignore)
                {
                    // Rank 0 has not joined yet: JOIN again.
                }
            }
            throw new AssertionError("the fuzzer's job did not form");
        }

        void flood(final int token) throws Exception
        {
            fuzzToken = token;
            drain = new Thread(this::drainReplies, "fuzz-drain");
            drain.start();
            final long startNs = System.nanoTime();
            final Counters counters = server.counters();
            final long accountedBase = accounted(counters);
            while (sent < FUZZ_DATAGRAMS && System.nanoTime() - startNs < FUZZ_MAX_NS)
            {
                final int length = next();
                socket.send(new DatagramPacket(bytes, 0, length, aggregator));
                sent++;
                if (length == 0)
                {
                    zeroLength++;
                }
                if ((sent & 31) == 0)
                {
                    // Bounded pacing: wait until the aggregator has read most of what was sent.
                    final long waitUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                    while (sent - (accounted(counters) - accountedBase) > MAX_IN_FLIGHT &&
                        System.nanoTime() - waitUntil < 0)
                    {
                        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                    }
                }
            }
        }

        /**
         * Fuzz datagrams the aggregator has handled: drops, plus JOINs refused without a drop (a config mismatch),
         * whose ERROR was sent or held back by the limit on replies to unproven JOINs, plus queries about chunks the
         * fuzzer's job never started, answered with a NACK (the real jobs' few NACKs only make the pacing looser).
         */
        private static long accounted(final Counters counters)
        {
            return counters.totalDropped() + counters.get(CounterDescriptor.ERRORS_SENT) +
                counters.get(CounterDescriptor.REPLIES_LIMITED) - counters.get(CounterDescriptor.DROP_CONTROL) +
                counters.get(CounterDescriptor.NACKS_SENT);
        }

        void stopDrain() throws InterruptedException
        {
            draining.set(false);
            drain.join(5_000);
        }

        private void drainReplies()
        {
            final byte[] reply = new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH];
            final DatagramPacket packet = new DatagramPacket(reply, reply.length);
            while (draining.get())
            {
                try
                {
                    packet.setLength(reply.length);
                    socket.receive(packet);
                    if (packet.getLength() >= FrameDescriptor.HEADER_LENGTH &&
                        reply[FrameDescriptor.TYPE_OFFSET] == FrameDescriptor.TYPE_ERROR)
                    {
                        errorReplies.incrementAndGet();
                    }
                }
                catch (final IOException ignore)
                {
                    // Timeout: check whether to stop.
                }
            }
        }

        /**
         * Writes the next fuzz datagram into {@link #bytes}.
         *
         * @return its length.
         */
        private int next()
        {
            final int kind = random.nextInt(100);
            if (kind < 20)
            {
                return randomBytes();
            }
            if (kind < 28)
            {
                return randomHeader();
            }
            if (kind < 45)
            {
                return foreignContribution();
            }
            if (kind < 50)
            {
                return foreignLeave();
            }
            if (kind < 60)
            {
                return badJoin();
            }
            if (kind < 72)
            {
                return bitFlips(foreignContributionTemplate());
            }
            return authenticatedContribution();
        }

        private int randomBytes()
        {
            final int length = random.nextInt(100) == 0 ?
                random.nextInt(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH + 1) : random.nextInt(1501);
            fill(0, length);
            if (length > 0)
            {
                expectedDrops++;
            }
            return length;
        }

        private int randomHeader()
        {
            final int length = FrameDescriptor.HEADER_LENGTH + random.nextInt(1500 - FrameDescriptor.HEADER_LENGTH);
            fill(0, length);
            bytes[FrameDescriptor.VERSION_OFFSET] = FrameDescriptor.VERSION;
            // Mostly types the aggregator never accepts (RESULT, ACKs, unknown ids), some CONTRIB and LEAVE.
            final int[] types = {0, 2, 4, 5, 6, 8, 9, 0x7F, 0x80, 0xFF, 3, 7};
            bytes[FrameDescriptor.TYPE_OFFSET] = (byte)types[random.nextInt(types.length)];
            expectedDrops++;
            return length;
        }

        private int foreignContribution()
        {
            final int length = foreignContributionTemplate();
            expectedDrops++;
            switch (random.nextInt(9))
            {
                case 0:
                    bytes[FrameDescriptor.VERSION_OFFSET] = (byte)(2 + random.nextInt(254));
                    return length;
                case 7:
                    // A header-only RESEND for a real job: still needs the token.
                    bytes[FrameDescriptor.TYPE_OFFSET] = FrameDescriptor.TYPE_RESEND;
                    return FrameDescriptor.HEADER_LENGTH;
                case 1:
                    bytes[FrameDescriptor.TYPE_OFFSET] = (byte)(9 + random.nextInt(200));
                    return length;
                case 2:
                    frame.slot(random.nextInt(65536));
                    return length;
                case 3:
                    frame.sequence(random.nextInt());
                    return length;
                case 4:
                    frame.count(random.nextInt(65536));
                    return length;
                case 5:
                    return random.nextInt(FrameDescriptor.HEADER_LENGTH);
                case 6:
                    frame.jobId(random.nextInt());
                    return length;
                default:
                    return FrameDescriptor.HEADER_LENGTH + random.nextInt(length - FrameDescriptor.HEADER_LENGTH);
            }
        }

        /**
         * A well-formed CONTRIB for one of the real jobs with a random (wrong) token.
         */
        private int foreignContributionTemplate()
        {
            final boolean fixedJob = random.nextBoolean();
            final int count = 1 + random.nextInt(ELEMENTS_PER_PACKET);
            final int length = FrameDescriptor.HEADER_LENGTH + count * Integer.BYTES;
            fill(FrameDescriptor.HEADER_LENGTH, length);
            // Payload starts with world size 0xFFFF: even a type flipped to JOIN stays an invalid JOIN.
            bytes[ControlFlyweight.WORLD_SIZE_OFFSET] = (byte)0xFF;
            bytes[ControlFlyweight.WORLD_SIZE_OFFSET + 1] = (byte)0xFF;
            final int sequence = random.nextInt(1 << 20);
            frame.wrap(buffer, 0, length);
            frame.writeHeader(FrameDescriptor.TYPE_CONTRIB, fixedJob ? FrameDescriptor.CODEC_FIXED32 :
                FrameDescriptor.CODEC_FP32);
            frame.flags(((sequence / WINDOW) & 1) * FrameDescriptor.FLAG_SHADOW_SET)
                .jobId(fixedJob ? FIXED_JOB : FP32_JOB).sessionToken(randomNonZero()).rank(random.nextInt(WORLD_SIZE))
                .slot(sequence & (WINDOW - 1)).round(1 + random.nextInt(100)).sequence(sequence).count(count)
                .exponent(random.nextInt(256)).nextExponent(random.nextInt(256));
            return length;
        }

        private int foreignLeave()
        {
            frame.wrap(buffer, 0, FrameDescriptor.HEADER_LENGTH);
            frame.writeHeader(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE);
            frame.jobId(random.nextBoolean() ? FIXED_JOB : FP32_JOB).sessionToken(randomNonZero())
                .rank(random.nextInt(WORLD_SIZE)).round(random.nextInt(100));
            expectedDrops++;
            return FrameDescriptor.HEADER_LENGTH;
        }

        /**
         * JOINs that must not harm any job: invalid parameters (ERROR, counted as a control drop), a world size that
         * differs from the real job's (ERROR, not a drop) or too short to hold parameters (dropped as short).
         */
        private int badJoin()
        {
            final int jobId = random.nextInt(4) == 0 ? FUZZ_JOB + 1 + random.nextInt(1000) :
                random.nextBoolean() ? FIXED_JOB : FP32_JOB;
            final byte codec = random.nextBoolean() ? FrameDescriptor.CODEC_FIXED32 : FrameDescriptor.CODEC_FP32;
            switch (random.nextInt(9))
            {
                case 0:
                    join(jobId, 0, 0, WINDOW, ELEMENTS_PER_PACKET, codec);
                    break;
                case 1:
                    join(jobId, 0, 1025 + random.nextInt(64000), WINDOW, ELEMENTS_PER_PACKET, codec);
                    break;
                case 2:
                    join(jobId, 5 + random.nextInt(60000), 4, WINDOW, ELEMENTS_PER_PACKET, codec);
                    break;
                case 3:
                    join(jobId, 0, 2, 3 + 2 * random.nextInt(1000), ELEMENTS_PER_PACKET, codec);
                    break;
                case 4:
                    join(jobId, 0, 2, WINDOW, random.nextBoolean() ? 0 : 20_000 + random.nextInt(40_000), codec);
                    break;
                case 5:
                    join(jobId, 0, 2, WINDOW, ELEMENTS_PER_PACKET, codec);
                    frame.mode(1 + random.nextInt(255));
                    break;
                case 6:
                    join(jobId, 0, 2, WINDOW, ELEMENTS_PER_PACKET,
                        (byte)(FIRST_UNKNOWN_CODEC_ID + random.nextInt(200)));
                    break;
                case 7:
                    // Valid on its own but not the job's world size: refused as a mismatch, not counted as a drop.
                    join(random.nextBoolean() ? FIXED_JOB : FP32_JOB, random.nextInt(2), 2, WINDOW,
                        ELEMENTS_PER_PACKET, codec);
                    return ControlFlyweight.JOIN_LENGTH;
                default:
                    join(jobId, 0, WORLD_SIZE, WINDOW, ELEMENTS_PER_PACKET, codec);
                    expectedDrops++;
                    return FrameDescriptor.HEADER_LENGTH + random.nextInt(8);
            }
            expectedDrops++;
            return ControlFlyweight.JOIN_LENGTH;
        }

        private void join(
            final int jobId, final int rank, final int worldSize, final int window, final int elementsPerPacket,
            final byte codec)
        {
            frame.wrap(buffer, 0, ControlFlyweight.JOIN_LENGTH);
            frame.writeHeader(FrameDescriptor.TYPE_JOIN, codec);
            frame.jobId(jobId).rank(rank).round(nonce);
            frame.worldSize(worldSize).window(window).elementsPerPacket(elementsPerPacket).mode(0);
        }

        private int bitFlips(final int length)
        {
            final int flips = 1 + random.nextInt(4);
            for (int i = 0; i < flips; i++)
            {
                // Mostly in the header, where the checks are.
                final int bit = random.nextInt(4) == 0 ? random.nextInt(length * 8) :
                    random.nextInt(FrameDescriptor.HEADER_LENGTH * 8);
                bytes[bit >>> 3] ^= (byte)(1 << (bit & 7));
            }
            expectedDrops++;
            return length;
        }

        /**
         * CONTRIBs for the fuzzer's own job with the right token and sender: each carries one defect, or is a
         * valid first contribution that opens a set (later copies are duplicates).
         */
        private int authenticatedContribution()
        {
            if (random.nextInt(5) == 0)
            {
                return authenticatedResend();
            }
            final int window = FUZZ_JOB_WINDOW;
            int sequence = random.nextInt(2 * window);
            int count = 1 + random.nextInt(FUZZ_JOB_ELEMENTS_PER_PACKET);
            final int defect = random.nextInt(10);
            if (defect == 5)
            {
                sequence += 2 * window * (1 + random.nextInt(1000));
            }
            else if (defect == 6)
            {
                sequence -= 2 * window * (1 + random.nextInt(1000));
            }
            final int length = FrameDescriptor.HEADER_LENGTH + count * Integer.BYTES;
            fill(FrameDescriptor.HEADER_LENGTH, length);
            frame.wrap(buffer, 0, length);
            frame.writeHeader(FrameDescriptor.TYPE_CONTRIB, FrameDescriptor.CODEC_FIXED32);
            frame.flags(((sequence / window) & 1) * FrameDescriptor.FLAG_SHADOW_SET)
                .jobId(FUZZ_JOB).sessionToken(fuzzToken).rank(1).slot(sequence & (window - 1)).round(1)
                .sequence(sequence).count(count).exponent(0).nextExponent(0);
            expectedDrops++;
            switch (defect)
            {
                case 0:
                    frame.slot(window + random.nextInt(65536 - window));
                    return length;
                case 1:
                    frame.flags(frame.flags() ^ FrameDescriptor.FLAG_SHADOW_SET);
                    return length;
                case 2:
                    frame.count(FUZZ_JOB_ELEMENTS_PER_PACKET + 1 + random.nextInt(1000));
                    return length;
                case 3:
                    return length - 1 - random.nextInt(3);
                case 4:
                    bytes[FrameDescriptor.CODEC_OFFSET] = FrameDescriptor.CODEC_FP32;
                    return length;
                case 7:
                    frame.rank(random.nextBoolean() ? 0 : 2 + random.nextInt(65534));
                    return length;
                case 8:
                case 9:
                    // Valid: the first copy per sequence opens its set, later copies are duplicates.
                    count = FUZZ_JOB_ELEMENTS_PER_PACKET;
                    frame.count(count);
                    return FrameDescriptor.HEADER_LENGTH + count * Integer.BYTES;
                default:
                    return length;
            }
        }

        /**
         * RESENDs for the fuzzer's own job with the right token: wrong slot or shadow set, a payload, a sequence the
         * set does not hold, a foreign rank, or a plain one (answered with PENDING, or stale if the set is empty).
         */
        private int authenticatedResend()
        {
            final int window = FUZZ_JOB_WINDOW;
            final int defect = random.nextInt(6);
            final int sequence = random.nextInt(2 * window) + (defect == 3 ? 2 * window * (1 + random.nextInt(9)) : 0);
            final int length = defect == 2 ? FrameDescriptor.HEADER_LENGTH + 1 + random.nextInt(64) :
                FrameDescriptor.HEADER_LENGTH;
            frame.wrap(buffer, 0, length);
            frame.writeHeader(FrameDescriptor.TYPE_RESEND, FrameDescriptor.CODEC_FIXED32);
            frame.flags(((sequence / window) & 1) * FrameDescriptor.FLAG_SHADOW_SET)
                .jobId(FUZZ_JOB).sessionToken(fuzzToken).rank(1).slot(sequence & (window - 1)).round(1)
                .sequence(sequence);
            switch (defect)
            {
                case 0:
                    frame.slot(window + random.nextInt(65536 - window));
                    break;
                case 1:
                    frame.flags(frame.flags() ^ FrameDescriptor.FLAG_SHADOW_SET);
                    break;
                case 4:
                    frame.rank(random.nextBoolean() ? 0 : 2 + random.nextInt(65534));
                    break;
                case 5:
                    return length;
                default:
                    break;
            }
            expectedDrops++;
            return length;
        }

        private int randomNonZero()
        {
            int token;
            do
            {
                token = random.nextInt();
            }
            while (token == 0);
            return token;
        }

        private void fill(final int from, final int to)
        {
            for (int i = from; i < to; i += 8)
            {
                final long value = random.nextLong();
                for (int j = 0; j < 8 && i + j < to; j++)
                {
                    bytes[i + j] = (byte)(value >>> (8 * j));
                }
            }
        }
    }
}
