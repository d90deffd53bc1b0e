package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.LossGenerator;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An aggregator that requires a secret for every job, a real three-rank FIXED32 job that has it, and an attacker
 * on other loopback addresses (127.0.0.2 to 127.0.0.5) that knows the job id and the aggregator's address and sees
 * the job's traffic (a tap on the ranks' sockets hands it every JOIN and a session token), but not the secret. It
 * forges JOINs (none, a wrong proof, a new nonce), replays the captured JOINs, sends LEAVEs with the real token and
 * withdrawals, tries to fill the job table, and floods junk JOIN-shaped datagrams. The job must reduce exactly, the
 * attacker must never join nor receive anything but ERROR and CHALLENGE, never more bytes than it sent, and the
 * counters must show each refusal.
 */
public final class AuthenticationSystemTest
{
    private static final String SECRET = "3c1f0a9d6b2e47f58a0c9e1d2b3f4a5c";
    private static final String WRONG_SECRET = "not the secret, but just as long";
    private static final int JOB = 71;
    private static final int WORLD_SIZE = 3;
    private static final int ELEMENTS = 50_000;
    private static final int ELEMENTS_PER_PACKET = 1024;
    private static final int MAX_CALLS = 200;
    private static final int ATTACK_ROUNDS = 120;
    private static final int JUNK_PER_ROUND = 300;
    private static final int ATTACKER_HOSTS = 4;
    private static final long SEED = 0xA77AC4L;

    private final List<Path> files = new ArrayList<>();

    @AfterEach
    void deleteFiles() throws IOException
    {
        for (final Path file : files)
        {
            Files.deleteIfExists(file);
        }
    }

    private Path secretsFile(final String content) throws IOException
    {
        final Path file = Files.createTempFile("ina-secrets-", ".txt",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        files.add(file);
        Files.writeString(file, content);
        return file;
    }

    private static WorkerConfig.Builder worker(final int port, final int jobId, final int rank, final int worldSize)
    {
        return WorkerConfig.builder().aggregator("127.0.0.1", port).jobId(jobId).rank(rank).worldSize(worldSize)
            .codec(Codec.FIXED32).window(16).elementsPerPacket(ELEMENTS_PER_PACKET)
            .timeoutNs(TimeUnit.SECONDS.toNanos(30)).joinTimeoutNs(TimeUnit.SECONDS.toNanos(20));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldReduceExactlyAndNeverAdmitTheAttackerWhenItForgesReplaysAndFloods() throws Exception
    {
        final AggregatorConfig config = AggregatorConfig.builder().bindAddress("127.0.0.1").port(0)
            .secretsFile(secretsFile("# the cluster's jobs\n" + JOB + " " + SECRET + "\n").toString())
            .requireSecret(true).maxJobs(4).build();
        try (AggregatorServer server = AggregatorServer.start(config))
        {
            final Tap tap = new Tap();
            final RealJob job = new RealJob(server.port(), tap);
            job.start();
            job.awaitJoined();
            final Counters counters = server.counters();
            final Attacker attacker = new Attacker(server.port(), tap);
            final long startNs = System.nanoTime();
            final int callsBefore = job.calls.get();
            attacker.run();
            final int callsDuring = job.calls.get() - callsBefore;
            final long attackMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            job.stop.set(true);
            job.awaitDone();
            attacker.drainUntilQuiet(counters);
            final String report = "attack " + attackMs + " ms: " + attacker + "; calls " + job.calls.get() + " (" +
                callsDuring + " during the attack); counters " + counters;
            System.out.println(report);

            job.assertExact();
            assertTrue(callsDuring >= 1, "calls must complete during the attack: " + report);
            attacker.assertOnlyRefused(report);
            assertEquals(1, counters.get(CounterDescriptor.JOBS_STARTED), "only the real job: " + report);
            assertEquals(0, counters.get(CounterDescriptor.HANDLER_ERRORS), report);
            assertTrue(counters.get(CounterDescriptor.JOINS_PROVEN) >= WORLD_SIZE, report);
            for (final CounterDescriptor refusal : new CounterDescriptor[] {
                CounterDescriptor.DROP_PROOF, CounterDescriptor.DROP_REPLAY, CounterDescriptor.DROP_RANK,
                CounterDescriptor.DROP_TOKEN, CounterDescriptor.DROP_CONTROL, CounterDescriptor.DROP_LENGTH,
                CounterDescriptor.REPLIES_LIMITED})
            {
                assertTrue(counters.get(refusal) > 0, refusal + " must count the attack: " + report);
            }
            final long received = counters.get(CounterDescriptor.UNPROVEN_BYTES_RECEIVED);
            final long sent = counters.get(CounterDescriptor.UNPROVEN_BYTES_SENT);
            assertTrue(sent <= received && received >= attacker.joinBytesSent.get() / 2,
                "unproven bytes sent " + sent + " must not exceed those received " + received + ": " + report);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRefuseRanksWithoutTheSecretAtOnceAndAdmitANewJobOnceTheSecretsFileNamesIt() throws Exception
    {
        final Path file = secretsFile(JOB + " " + SECRET + "\n");
        // Two engine threads: job 71 is served by thread 1, so its ranks are redirected there, secret and all.
        final AggregatorConfig config = AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).threads(2)
            .secretsFile(file.toString()).requireSecret(true).build();
        try (AggregatorServer server = AggregatorServer.start(config))
        {
            try (Collective redirected = Collective.join(worker(server.port(), JOB, 0, 1).secret(SECRET).build()))
            {
                final float[] data = new float[1000];
                TestData.fill(data, 0, 0);
                redirected.allReduce(data, ReduceOp.SUM);
                assertNull(TestData.check(data, 1, 0, Codec.FIXED32, ELEMENTS_PER_PACKET, false));
            }
            assertTrue(server.counters().get(CounterDescriptor.REDIRECTS) >= 1, "job 71 must have been redirected");
            final CollectiveException none = assertThrows(CollectiveException.class,
                () -> Collective.join(worker(server.port(), JOB, 0, 1).build()));
            assertEquals(CollectiveException.Reason.REFUSED, none.reason());
            assertTrue(none.getMessage().contains("job 71 needs its secret: set INA_SECRET or INA_SECRET_FILE"),
                none.getMessage());

            final CollectiveException wrong = assertThrows(CollectiveException.class,
                () -> Collective.join(worker(server.port(), JOB, 0, 1).secret(WRONG_SECRET).build()));
            assertTrue(wrong.getMessage().contains("the JOIN's proof does not verify"), wrong.getMessage());

            // Job 72 is not listed yet: refused as a wrong secret would be. The scheduler then adds it.
            final WorkerConfig newJob = worker(server.port(), 72, 0, 1).secret(WRONG_SECRET).build();
            assertThrows(CollectiveException.class, () -> Collective.join(newJob));
            final Path next = secretsFile(JOB + " " + SECRET + "\n72 " + WRONG_SECRET.replace(' ', '_') + "\n");
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            final WorkerConfig listed = worker(server.port(), 72, 0, 1).secret(WRONG_SECRET.replace(' ', '_'))
                .build();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Collective collective = null;
            while (collective == null)
            {
                try
                {
                    collective = Collective.join(listed);
                }
                catch (final CollectiveException ex)
                {
                    assertTrue(System.nanoTime() - deadline < 0, "the reloaded secrets file must admit job 72: " +
                        ex.getMessage());
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
                }
            }
            try (Collective c = collective)
            {
                final float[] data = new float[1000];
                TestData.fill(data, 0, 0);
                c.allReduce(data, ReduceOp.SUM);
                assertNull(TestData.check(data, 1, 0, Codec.FIXED32, ELEMENTS_PER_PACKET, false));
            }
        }
    }

    /**
     * What an attacker on the path sees: every JOIN the ranks send, and a session token from their CONTRIBs.
     */
    private static final class Tap
    {
        final ConcurrentLinkedQueue<byte[]> joins = new ConcurrentLinkedQueue<>();
        final AtomicInteger token = new AtomicInteger();

        LossGenerator hook()
        {
            return (buffer, offset, length) ->
            {
                final byte type = buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET);
                if (type == FrameDescriptor.TYPE_JOIN && joins.size() < 256)
                {
                    final byte[] copy = new byte[length];
                    buffer.getBytes(offset, copy);
                    joins.add(copy);
                }
                else if (type == FrameDescriptor.TYPE_CONTRIB)
                {
                    token.set(buffer.getInt(offset + FrameDescriptor.SESSION_TOKEN_OFFSET, ByteOrder.LITTLE_ENDIAN));
                }
                return false;
            };
        }
    }

    /**
     * The real job: three ranks on their own threads, all-reducing until told to stop (then once more), each
     * result checked against the reference and across ranks.
     */
    private static final class RealJob
    {
        final int port;
        final Tap tap;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger calls = new AtomicInteger();
        final java.util.concurrent.CountDownLatch joined = new java.util.concurrent.CountDownLatch(WORLD_SIZE);
        final CyclicBarrier barrier;
        final Map<Integer, long[]> digests = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();
        volatile boolean keepGoing = true;

        RealJob(final int port, final Tap tap)
        {
            this.port = port;
            this.tap = tap;
            this.barrier = new CyclicBarrier(WORLD_SIZE, () -> keepGoing = !stop.get() && calls.get() < MAX_CALLS);
        }

        void start()
        {
            for (int rank = 0; rank < WORLD_SIZE; rank++)
            {
                final int r = rank;
                final Thread thread = new Thread(() -> run(r), "auth-rank-" + r);
                threads.add(thread);
                thread.start();
            }
        }

        void awaitJoined() throws InterruptedException
        {
            if (!joined.await(30, TimeUnit.SECONDS))
            {
                fail("the real job did not form: " + failures);
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
            final WorkerConfig config = worker(port, JOB, rank, WORLD_SIZE).secret(SECRET)
                .loss(tap.hook(), LossGenerator.NONE).build();
            try (Collective collective = Collective.join(config))
            {
                joined.countDown();
                final float[] data = new float[ELEMENTS];
                int call = 0;
                while (true)
                {
                    barrier.await(60, TimeUnit.SECONDS);
                    final boolean last = !keepGoing;
                    TestData.fill(data, rank, call);
                    final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM);
                    assertTrue(stats.isComplete(WORLD_SIZE), stats.toString());
                    final String error = TestData.check(data, WORLD_SIZE, call, Codec.FIXED32, ELEMENTS_PER_PACKET,
                        false);
                    assertNull(error, "rank " + rank + " call " + call);
                    digests.computeIfAbsent(call, k -> new long[WORLD_SIZE])[rank] = digest(data);
                    call++;
                    if (rank == 0)
                    {
                        calls.set(call);
                    }
                    if (last)
                    {
                        break;
                    }
                }
            }
            catch (final Throwable t)
            {
                failures.add(new AssertionError("rank " + rank + " failed", t));
                barrier.reset();
            }
        }

        void assertExact()
        {
            if (!failures.isEmpty())
            {
                final AssertionError error = new AssertionError("the real job failed: " + failures.peek());
                failures.forEach(error::addSuppressed);
                throw error;
            }
            assertEquals(calls.get(), digests.size());
            digests.forEach((call, byRank) ->
            {
                for (int r = 1; r < WORLD_SIZE; r++)
                {
                    assertEquals(byRank[0], byRank[r], "call " + call + ": rank " + r + " differs from rank 0");
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
     * The attacker: one socket on each of four other loopback addresses, a drain thread per socket that counts
     * what comes back, and the script of forgeries, replays and junk.
     */
    private static final class Attacker
    {
        final InetSocketAddress aggregator;
        final Tap tap;
        final SplittableRandom random = new SplittableRandom(SEED);
        final DatagramSocket[] sockets = new DatagramSocket[ATTACKER_HOSTS];
        final AtomicLong[] sentBytes = new AtomicLong[ATTACKER_HOSTS];
        final AtomicLong[] receivedBytes = new AtomicLong[ATTACKER_HOSTS];
        final ConcurrentHashMap<String, AtomicLong> receivedTypes = new ConcurrentHashMap<>();
        final AtomicLong joinBytesSent = new AtomicLong();
        final AtomicBoolean draining = new AtomicBoolean(true);
        final List<Thread> drains = new ArrayList<>();
        final byte[] bytes = new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final ControlFlyweight frame = new ControlFlyweight();
        final FrameProof wrongProof = new FrameProof(WRONG_SECRET.getBytes(StandardCharsets.UTF_8));
        long datagrams;

        Attacker(final int port, final Tap tap) throws IOException
        {
            this.aggregator = new InetSocketAddress("127.0.0.1", port);
            this.tap = tap;
            for (int i = 0; i < ATTACKER_HOSTS; i++)
            {
                sockets[i] = new DatagramSocket(new InetSocketAddress("127.0.0." + (2 + i), 0));
                sockets[i].setSoTimeout(100);
                sentBytes[i] = new AtomicLong();
                receivedBytes[i] = new AtomicLong();
                final int host = i;
                final Thread drain = new Thread(() -> drain(host), "attacker-drain-" + i);
                drain.setDaemon(true);
                drains.add(drain);
                drain.start();
            }
        }

        void run() throws IOException
        {
            final long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while ((tap.token.get() == 0 || tap.joins.size() < WORLD_SIZE) && System.nanoTime() - waitUntil < 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            assertTrue(tap.token.get() != 0, "the tap saw no session token");
            final List<byte[]> captured = new ArrayList<>(tap.joins);
            for (int round = 0; round < ATTACK_ROUNDS; round++)
            {
                for (int rank = 0; rank < WORLD_SIZE; rank++)
                {
                    // JOINs as rank `rank`: without a proof, with a wrong one, as a restarted process.
                    sendJoin(host(), rank, JOB, 0x5000 + round, false, WORLD_SIZE, ControlFlyweight.PADDED_JOIN_LENGTH);
                    sendJoin(host(), rank, JOB, 0x6000 + round, true, WORLD_SIZE, ControlFlyweight.PADDED_JOIN_LENGTH);
                    // A LEAVE with the real token (from another address), one with a guessed token, a withdrawal.
                    sendLeave(host(), rank, tap.token.get(), round);
                    sendLeave(host(), rank, random.nextInt() | 1, round);
                    sendLeave(host(), rank, 0, 0x5000 + round);
                }
                for (final byte[] join : captured)
                {
                    send(host(), join, join.length);
                }
                // Filling the job table: other job ids, with and without a (wrong) proof.
                sendJoin(host(), 0, 1000 + round, 1, false, 1, ControlFlyweight.PADDED_JOIN_LENGTH);
                sendJoin(host(), 0, 2000 + round, 1, true, 1, ControlFlyweight.PADDED_JOIN_LENGTH);
                for (int i = 0; i < JUNK_PER_ROUND; i++)
                {
                    junk(host());
                }
                // Paced so that the kernel's buffers keep up: the point is the aggregator's answers, not loss.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }

        private int host()
        {
            return random.nextInt(ATTACKER_HOSTS);
        }

        private void sendJoin(
            final int host, final int rank, final int jobId, final int nonce, final boolean proven, final int worldSize,
            final int length) throws IOException
        {
            final int body = proven ? length - FrameProof.LENGTH : length;
            buffer.setMemory(0, body, (byte)0);
            frame.wrap(buffer, 0, body);
            frame.writeHeader(FrameDescriptor.TYPE_JOIN, FrameDescriptor.CODEC_FIXED32).jobId(jobId).rank(rank);
            frame.nonce(nonce);
            frame.worldSize(worldSize).window(16).elementsPerPacket(ELEMENTS_PER_PACKET).mode(0);
            send(host, bytes, proven ? wrongProof.sign(buffer, 0, body) : body);
        }

        private void sendLeave(final int host, final int rank, final int token, final int round) throws IOException
        {
            frame.wrap(buffer, 0, FrameDescriptor.HEADER_LENGTH);
            frame.writeHeader(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE).jobId(JOB).rank(rank)
                .sessionToken(token).round(round);
            send(host, bytes, FrameDescriptor.HEADER_LENGTH);
        }

        /**
         * A JOIN-shaped datagram with random parameters, flags, cookie, length and job.
         */
        private void junk(final int host) throws IOException
        {
            final int length = ControlFlyweight.JOIN_LENGTH + random.nextInt(1600);
            for (int i = 0; i < length; i += 8)
            {
                final long value = random.nextLong();
                for (int j = 0; j < 8 && i + j < length; j++)
                {
                    bytes[i + j] = (byte)(value >>> (8 * j));
                }
            }
            bytes[FrameDescriptor.VERSION_OFFSET] = FrameDescriptor.VERSION;
            bytes[FrameDescriptor.TYPE_OFFSET] = FrameDescriptor.TYPE_JOIN;
            if (random.nextBoolean())
            {
                buffer.putInt(FrameDescriptor.JOB_ID_OFFSET, random.nextBoolean() ? JOB : random.nextInt(8),
                    ByteOrder.LITTLE_ENDIAN);
            }
            send(host, bytes, length);
        }

        private void send(final int host, final byte[] data, final int length) throws IOException
        {
            sockets[host].send(new DatagramPacket(data, length, aggregator));
            sentBytes[host].addAndGet(length);
            if (data[FrameDescriptor.TYPE_OFFSET] == FrameDescriptor.TYPE_JOIN)
            {
                joinBytesSent.addAndGet(length);
            }
            datagrams++;
        }

        private void drain(final int host)
        {
            final byte[] reply = new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH];
            final DatagramPacket packet = new DatagramPacket(reply, reply.length);
            while (draining.get())
            {
                try
                {
                    packet.setLength(reply.length);
                    sockets[host].receive(packet);
                    receivedBytes[host].addAndGet(packet.getLength());
                    final String type = packet.getLength() > FrameDescriptor.TYPE_OFFSET ?
                        FrameDescriptor.typeName(reply[FrameDescriptor.TYPE_OFFSET]) : "EMPTY";
                    receivedTypes.computeIfAbsent(type, k -> new AtomicLong()).incrementAndGet();
                }
                catch (final SocketTimeoutException ignore)
                {
                    // Check whether to stop.
                }
                catch (final IOException ex)
                {
                    return;
                }
            }
        }

        /**
         * Waits until the aggregator has handled what was sent (its received-frames counter stops moving) and the
         * replies are read, then closes the sockets.
         */
        void drainUntilQuiet(final Counters counters) throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            long frames = -1;
            long bytesIn = -1;
            while (System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                final long nowFrames = counters.get(CounterDescriptor.FRAMES_RECEIVED);
                final long nowBytes = totalReceived();
                if (nowFrames == frames && nowBytes == bytesIn)
                {
                    break;
                }
                frames = nowFrames;
                bytesIn = nowBytes;
            }
            draining.set(false);
            for (final Thread drain : drains)
            {
                drain.join(2_000);
            }
            for (final DatagramSocket socket : sockets)
            {
                socket.close();
            }
        }

        private long totalReceived()
        {
            long total = 0;
            for (final AtomicLong received : receivedBytes)
            {
                total += received.get();
            }
            return total;
        }

        void assertOnlyRefused(final String report)
        {
            for (final String type : receivedTypes.keySet())
            {
                assertTrue(type.equals("ERROR") || type.equals("CHALLENGE"),
                    "the attacker received a " + type + ": " + report);
            }
            assertTrue(receivedTypes.containsKey("ERROR") && receivedTypes.containsKey("CHALLENGE"), report);
            for (int i = 0; i < ATTACKER_HOSTS; i++)
            {
                assertTrue(receivedBytes[i].get() <= sentBytes[i].get(), "127.0.0." + (2 + i) + " received " +
                    receivedBytes[i].get() + " bytes for " + sentBytes[i].get() + " sent: " + report);
            }
        }

        @Override
        public String toString()
        {
            final StringBuilder sb = new StringBuilder().append(datagrams).append(" datagrams sent; per host sent/" +
                "received bytes");
            for (int i = 0; i < ATTACKER_HOSTS; i++)
            {
                sb.append(' ').append(sentBytes[i].get()).append('/').append(receivedBytes[i].get());
            }
            return sb.append("; replies by type ").append(receivedTypes).toString();
        }
    }
}
