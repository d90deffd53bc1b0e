package dev.ina.it;

import dev.ina.api.Codec;
import dev.ina.internal.netty.UdpOffload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * UDP GSO and GRO on real sockets between network namespaces: an aggregator host and a host of three workers, each
 * with an {@code eth0} at MTU 1500 whose veth peer is a port of a bridge in a "switch" namespace. The hosts' links
 * cut GSO sends into datagrams in software ({@code tx-udp-segmentation off}, as a NIC does in hardware) and
 * coalesce what they receive ({@code gro on}), so between the hosts every datagram travels on its own, and
 * nftables in the switch drops datagrams both ways: at random, and runs of 8 consecutive datagrams
 * ({@code numgen inc}), which fall inside GSO bursts. FP32 and FIXED32 sums must be bit-identical on every rank and
 * within the codec's bound of the double reference, and with GSO and GRO turned off the FIXED32 bits must be the
 * same. Each host's {@code /proc/net/snmp} proves the offloads: {@code OutDatagrams} counts send calls (a GSO send
 * once) and {@code InDatagrams} receive calls (a GRO read once), against the datagrams the switch forwarded. A route
 * whose MTU is too small for the frames makes every GSO send fail with EINVAL: the transports fall back once, and
 * the sums stay exact. {@code PathMtu} is checked on the 1500 route and on a direct veth at MTU 9000.
 * <p>
 * Needs root, {@code ip}, {@code nft} and {@code ethtool}; skipped otherwise. Every namespace this test creates
 * starts with {@value #PREFIX}; leftovers with that prefix are deleted before and after.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public final class UdpOffloadSystemTest
{
    private static final String PREFIX = "inagso-";
    private static final String SWITCH_NS = PREFIX + "sw";
    private static final String AGGREGATOR_NS = PREFIX + "agg";
    private static final String WORKER_NS = PREFIX + "wk";
    private static final String AGGREGATOR_IP = "10.234.0.1";
    private static final String WORKER_IP = "10.234.0.2";
    private static final String AGGREGATOR_JUMBO_IP = "10.235.0.1";
    private static final String WORKER_JUMBO_IP = "10.235.0.2";
    private static final String[] HOSTS = {AGGREGATOR_NS, WORKER_NS};
    private static final int PORT = 47200;
    private static final int WORKERS = 3;
    private static final int ELEMENTS = 1 << 18;
    private static final int CALLS = 2;
    private static final int ELEMENTS_PER_PACKET = 360;
    private static final int WINDOW = 32;
    private static final String CODECS = Codec.FP32 + "," + Codec.FIXED32;
    private static final long COMMAND_TIMEOUT_MS = 10_000;
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+) bytes (\\d+)");
    private static final String FALLBACK_LOG = "UDP GSO send of";

    private static byte[] fixed32WithOffloads;
    private static int jobBase = 100;

    /** Datagrams the switch saw one way: dropped at random, dropped in runs, forwarded. */
    private record Direction(long random, long run, long forwarded)
    {
        long total()
        {
            return random + run + forwarded;
        }
    }

    /** What a round of all-reduces left behind. */
    private record Round(
        Map<Codec, List<Path>> results, Direction up, Direction down, Map<String, Long> workerUdp,
        Map<String, Long> aggregatorUdp, List<String> outputs)
    {
    }

    @BeforeAll
    static void createNetwork() throws Exception
    {
        for (final String tool : List.of("ip", "nft", "ethtool"))
        {
            assumeTrue(isOnPath(tool), "UdpOffloadSystemTest skipped: '" + tool + "' is not on the PATH; install " +
                "it with: apt-get install iproute2 nftables ethtool");
        }
        assumeTrue("0".equals(run("id", "-u").trim()), "UdpOffloadSystemTest skipped: network namespaces need root");
        deleteNamespaces();
        run("ip", "netns", "add", SWITCH_NS);
        run("ip", "-n", SWITCH_NS, "link", "set", "lo", "up");
        run("ip", "-n", SWITCH_NS, "link", "add", "br0", "type", "bridge");
        run("ip", "-n", SWITCH_NS, "link", "set", "br0", "up");
        final String[] addresses = {AGGREGATOR_IP, WORKER_IP};
        for (int i = 0; i < HOSTS.length; i++)
        {
            final String host = HOSTS[i];
            final String port = "p" + host.substring(PREFIX.length());
            run("ip", "netns", "add", host);
            run("ip", "-n", host, "link", "set", "lo", "up");
            run("ip", "-n", SWITCH_NS, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host);
            run("ip", "-n", SWITCH_NS, "link", "set", port, "master", "br0");
            run("ip", "-n", SWITCH_NS, "link", "set", port, "up");
            // A switch port that does not offer TSO lets the host's veth take its packets through NAPI, and so GRO.
            run("ip", "netns", "exec", SWITCH_NS, "ethtool", "-K", port, "tso", "off");
            run("ip", "-n", host, "addr", "add", addresses[i] + "/24", "dev", "eth0");
            run("ip", "-n", host, "link", "set", "eth0", "up");
            // GSO sends are cut into datagrams as they leave the host; arriving datagrams are coalesced (GRO).
            run("ip", "netns", "exec", host, "ethtool", "-K", "eth0", "tx-udp-segmentation", "off", "gro", "on");
        }
        // A direct link at MTU 9000 between the two hosts, for PathMtu only.
        run("ip", "-n", WORKER_NS, "link", "add", "jumbo", "mtu", "9000", "type", "veth", "peer", "name", "jumbo",
            "mtu", "9000", "netns", AGGREGATOR_NS);
        run("ip", "-n", WORKER_NS, "addr", "add", WORKER_JUMBO_IP + "/24", "dev", "jumbo");
        run("ip", "-n", AGGREGATOR_NS, "addr", "add", AGGREGATOR_JUMBO_IP + "/24", "dev", "jumbo");
        run("ip", "-n", WORKER_NS, "link", "set", "jumbo", "up");
        run("ip", "-n", AGGREGATOR_NS, "link", "set", "jumbo", "up");
        checkConnectivity();
    }

    @AfterAll
    static void deleteNetwork() throws Exception
    {
        if (isOnPath("ip"))
        {
            deleteNamespaces();
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldReduceExactlyThroughGsoAndGroWhenTheSwitchDropsDatagramsAtRandomAndInRuns() throws Exception
    {
        final Round round = reduce("offload-on", List.of(), true, false);
        final long sends = round.workerUdp.get("OutDatagrams");
        final long reads = round.aggregatorUdp.get("InDatagrams");
        final long resultSends = round.aggregatorUdp.get("OutDatagrams");
        final long resultReads = round.workerUdp.get("InDatagrams");
        System.out.println("offloads on: up " + round.up + " in " + sends + " sends and " + reads + " reads; down " +
            round.down + " in " + resultSends + " sends and " + resultReads + " reads");
        assertTrue(round.up.run > 0 && round.down.run > 0, "runs of datagrams must have been dropped both ways");
        assertTrue(round.up.random > 0 && round.down.random > 0, "datagrams must have been dropped at random");
        assertTrue(round.up.total() >= 2 * sends, "GSO: the workers' send calls (" + sends + ") must carry at " +
            "least 2 datagrams each on average (" + round.up.total() + " left their host)");
        assertTrue(round.down.total() >= 2 * resultSends, "GSO: the aggregator's send calls (" + resultSends +
            ") must carry at least 2 datagrams each on average (" + round.down.total() + " left its host)");
        assertTrue(round.up.forwarded >= 2 * reads, "GRO: the aggregator's reads (" + reads + ") must return at " +
            "least 2 datagrams each on average (" + round.up.forwarded + " arrived)");
        assertTrue(round.down.forwarded >= 2 * resultReads, "GRO: the workers' reads (" + resultReads + ") must " +
            "return at least 2 datagrams each on average (" + round.down.forwarded + " arrived)");
        fixed32WithOffloads = Files.readAllBytes(round.results.get(Codec.FIXED32).get(0));
        deleteResults(round);
    }

    @Test
    @Order(2)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldGiveTheSameBitsWithGsoAndGroTurnedOff() throws Exception
    {
        if (fixed32WithOffloads == null)
        {
            final Round on = reduce("offload-on", List.of(), false, false);
            fixed32WithOffloads = Files.readAllBytes(on.results.get(Codec.FIXED32).get(0));
            deleteResults(on);
        }
        final Round off = reduce("offload-off",
            List.of("-D" + UdpOffload.GSO_PROP_NAME + "=false", "-D" + UdpOffload.GRO_PROP_NAME + "=false"), true,
            false);
        final long sends = off.workerUdp.get("OutDatagrams");
        final long reads = off.aggregatorUdp.get("InDatagrams");
        System.out.println("offloads off: up " + off.up + " in " + sends + " sends and " + reads + " reads");
        assertTrue(sends >= off.up.total(), "without GSO every datagram is a send of its own");
        assertTrue(reads >= off.up.forwarded, "without GRO every datagram is a read of its own");
        assertArrayEquals(fixed32WithOffloads, Files.readAllBytes(off.results.get(Codec.FIXED32).get(0)),
            "FIXED32 sums are order-independent: the same bits with and without offloads");
        deleteResults(off);
    }

    @Test
    @Order(3)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldFallBackOnceToPlainDatagramsWhenTheRouteRefusesGso() throws Exception
    {
        // 1472-byte frames do not fit a 1400-byte MTU: a GSO send fails with EINVAL; plain datagrams are fragmented.
        setMtu(1400);
        try
        {
            final Round round = reduce("offload-fallback", List.of(), false, true);
            for (final String output : round.outputs)
            {
                assertEquals(1, occurrences(output, FALLBACK_LOG), "each process falls back exactly once:\n" +
                    output);
            }
            deleteResults(round);
        }
        finally
        {
            setMtu(1500);
        }
    }

    @Test
    @Order(4)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldTakeTheMtuOfEachRoute() throws Exception
    {
        try (JvmProcess process = JvmProcess.start("path-mtu", WORKER_NS, JvmProcess.inaJvmFlags(),
            PathMtuMain.class, AGGREGATOR_IP, AGGREGATOR_JUMBO_IP, "127.0.0.1"))
        {
            assertEquals(0, process.waitFor(30_000), process.output());
            final String output = process.output();
            assertTrue(output.contains("MTU " + AGGREGATOR_IP + " 1500 1472\n"), output);
            assertTrue(output.contains("MTU " + AGGREGATOR_JUMBO_IP + " 9000 8972\n"), output);
            assertTrue(output.contains("MTU 127.0.0.1 65536 65507\n"), output);
        }
    }

    /**
     * Starts an aggregator and the workers with the given JVM flags, all-reduces FP32 and FIXED32, checks the sums,
     * and returns what the switch and the hosts counted.
     */
    private static Round reduce(
        final String label, final List<String> flags, final boolean drops, final boolean expectFallback)
        throws Exception
    {
        final List<String> jvmFlags = new ArrayList<>(JvmProcess.inaJvmFlags());
        jvmFlags.addAll(flags);
        final List<JvmProcess> processes = new ArrayList<>();
        final Map<Codec, List<Path>> results = new HashMap<>();
        final int job = jobBase;
        jobBase += 10;
        setRules(drops);
        final Map<String, Long> workerBefore = udpCounters(WORKER_NS);
        final Map<String, Long> aggregatorBefore = udpCounters(AGGREGATOR_NS);
        try
        {
            final JvmProcess aggregator = JvmProcess.start(label + "-aggregator", AGGREGATOR_NS, jvmFlags,
                TestAggregatorMain.class, AGGREGATOR_IP, Integer.toString(PORT));
            processes.add(aggregator);
            aggregator.awaitOutput("LISTENING " + PORT, 30_000);
            for (int rank = 0; rank < WORKERS; rank++)
            {
                final Path prefix = Files.createTempFile("ina-" + label + "-rank" + rank + "-", "");
                Files.delete(prefix);
                for (final String codec : CODECS.split(","))
                {
                    results.computeIfAbsent(Codec.valueOf(codec), c -> new ArrayList<>())
                        .add(Path.of(prefix + "-" + codec + ".bin"));
                }
                processes.add(JvmProcess.start(label + "-worker" + rank, WORKER_NS, jvmFlags, OffloadWorkerMain.class,
                    AGGREGATOR_IP + ':' + PORT, Integer.toString(job), Integer.toString(rank),
                    Integer.toString(WORKERS), CODECS, Integer.toString(ELEMENTS), Integer.toString(CALLS),
                    Integer.toString(ELEMENTS_PER_PACKET), Integer.toString(WINDOW), "30000", prefix.toString()));
            }
            final List<String> outputs = new ArrayList<>();
            for (int rank = 0; rank < WORKERS; rank++)
            {
                final JvmProcess worker = processes.get(1 + rank);
                final int status = worker.waitFor(100_000);
                final String output = worker.output();
                assertEquals(0, status, "worker " + rank + " failed:\n" + output + "\naggregator:\n" +
                    aggregator.output());
                assertTrue(output.contains("DONE"), output);
                assertEquals(expectFallback ? 1 : 0, occurrences(output, FALLBACK_LOG), output);
                outputs.add(output);
            }
            final Map<String, Long> workerUdp = delta(workerBefore, udpCounters(WORKER_NS));
            final Map<String, Long> aggregatorUdp = delta(aggregatorBefore, udpCounters(AGGREGATOR_NS));
            final String ruleset = nft(SWITCH_NS, "list", "table", "bridge", "inagso");
            aggregator.close();
            outputs.add(aggregator.output());
            for (final Codec codec : List.of(Codec.FP32, Codec.FIXED32))
            {
                assertResultsExact(results.get(codec), codec);
            }
            return new Round(results, direction(ruleset, "up"), direction(ruleset, "down"), workerUdp,
                aggregatorUdp, outputs);
        }
        finally
        {
            for (final JvmProcess process : processes)
            {
                process.close();
            }
        }
    }

    private static void assertResultsExact(final List<Path> results, final Codec codec) throws IOException
    {
        final byte[] first = Files.readAllBytes(results.get(0));
        assertEquals(ELEMENTS * Float.BYTES, first.length, codec + " result file of rank 0");
        for (int rank = 1; rank < WORKERS; rank++)
        {
            assertArrayEquals(first, Files.readAllBytes(results.get(rank)),
                codec + ": rank " + rank + "'s result must be bit-identical to rank 0's");
        }
        final float[] sum = new float[ELEMENTS];
        ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(sum);
        assertNull(TestData.check(sum, WORKERS, CALLS - 1, codec, ELEMENTS_PER_PACKET, false), codec.name());
    }

    private static void deleteResults(final Round round) throws IOException
    {
        for (final List<Path> paths : round.results.values())
        {
            for (final Path path : paths)
            {
                Files.deleteIfExists(path);
            }
        }
    }

    /**
     * The switch's rules, both ways (up: to the aggregator's port, down: from it): drop 0.5 % at random, then drop
     * 8 consecutive datagrams of every 256 that pass, then count what is forwarded.
     */
    private static void setRules(final boolean drops) throws Exception
    {
        final String ruleset = run("ip", "netns", "exec", SWITCH_NS, "nft", "list", "tables");
        if (ruleset.contains("inagso"))
        {
            nft(SWITCH_NS, "delete", "table", "bridge", "inagso");
        }
        nft(SWITCH_NS, "add", "table", "bridge", "inagso");
        nft(SWITCH_NS, "add", "chain", "bridge", "inagso", "relay", "{ type filter hook forward priority 0; }");
        final String port = Integer.toString(PORT);
        final String[][] ways = {{"up", "ip", "daddr", AGGREGATOR_IP, "udp", "dport", port},
            {"down", "ip", "saddr", AGGREGATOR_IP, "udp", "sport", port}};
        for (final String[] way : ways)
        {
            final List<String> match = List.of(way).subList(1, way.length);
            rule(match, drops ? List.of("numgen", "random", "mod", "1000", "<", "5") : List.of("ip", "length", "0"),
                "drop", "comment", "\"" + way[0] + " random\"");
            rule(match, drops ? List.of("numgen", "inc", "mod", "256", "{", "100-107", "}") :
                List.of("ip", "length", "0"), "drop", "comment", "\"" + way[0] + " run\"");
            rule(match, List.of(), "comment", "\"" + way[0] + " forwarded\"");
        }
    }

    private static void rule(final List<String> match, final List<String> condition, final String... action)
        throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("add", "rule", "bridge", "inagso", "relay"));
        args.addAll(match);
        args.addAll(condition);
        args.add("counter");
        args.addAll(List.of(action));
        nft(SWITCH_NS, args.toArray(new String[0]));
    }

    private static Direction direction(final String ruleset, final String way)
    {
        return new Direction(
            counted(ruleset, way + " random"), counted(ruleset, way + " run"), counted(ruleset, way + " forwarded"));
    }

    private static long counted(final String ruleset, final String comment)
    {
        for (final String line : ruleset.split("\n"))
        {
            final Matcher matcher = COUNTER.matcher(line);
            if (line.contains("comment \"" + comment + "\"") && matcher.find())
            {
                return Long.parseLong(matcher.group(1));
            }
        }
        throw new AssertionError("no counter for '" + comment + "' in:\n" + ruleset);
    }

    private static void setMtu(final int mtu) throws Exception
    {
        for (final String host : HOSTS)
        {
            run("ip", "-n", host, "link", "set", "eth0", "mtu", Integer.toString(mtu));
            run("ip", "-n", SWITCH_NS, "link", "set", "p" + host.substring(PREFIX.length()), "mtu",
                Integer.toString(mtu));
        }
    }

    /**
     * The {@code Udp:} line of a namespace's {@code /proc/net/snmp}: send calls, receive calls, drops.
     */
    private static Map<String, Long> udpCounters(final String namespace) throws Exception
    {
        final String[] lines = run("ip", "netns", "exec", namespace, "cat", "/proc/net/snmp").split("\n");
        for (int i = 0; i + 1 < lines.length; i++)
        {
            if (lines[i].startsWith("Udp:") && lines[i + 1].startsWith("Udp:"))
            {
                final String[] names = lines[i].trim().split("\\s+");
                final String[] values = lines[i + 1].trim().split("\\s+");
                final Map<String, Long> counters = new HashMap<>();
                for (int j = 1; j < names.length; j++)
                {
                    counters.put(names[j], Long.parseLong(values[j]));
                }
                return counters;
            }
        }
        throw new AssertionError("no Udp counters in /proc/net/snmp of " + namespace);
    }

    private static Map<String, Long> delta(final Map<String, Long> before, final Map<String, Long> after)
    {
        final Map<String, Long> delta = new HashMap<>();
        after.forEach((name, value) -> delta.put(name, value - before.getOrDefault(name, 0L)));
        return delta;
    }

    /**
     * Sends UDP probes from the workers' host to a closed port of the aggregator's until its {@code NoPorts}
     * counter moves: proves the bridge passes traffic both ways (ARP) and IP from worker to aggregator.
     */
    private static void checkConnectivity() throws Exception
    {
        final long before = udpCounters(AGGREGATOR_NS).get("NoPorts");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (udpCounters(AGGREGATOR_NS).get("NoPorts") == before)
        {
            assertTrue(System.nanoTime() - deadline < 0, "no connectivity from " + WORKER_NS + " to " +
                AGGREGATOR_IP + ":\n" + run("ip", "-n", SWITCH_NS, "link", "show"));
            run("ip", "netns", "exec", WORKER_NS, "bash", "-c", "echo probe > /dev/udp/" + AGGREGATOR_IP + "/9");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static int occurrences(final String text, final String part)
    {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1))
        {
            count++;
        }
        return count;
    }

    private static String nft(final String namespace, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace, "nft"));
        command.addAll(List.of(args));
        return run(command.toArray(new String[0]));
    }

    private static void deleteNamespaces() throws Exception
    {
        for (final String line : run("ip", "netns", "list").split("\n"))
        {
            final String name = line.trim().split("\\s+")[0];
            if (name.startsWith(PREFIX))
            {
                run("ip", "netns", "delete", name);
            }
        }
    }

    private static boolean isOnPath(final String tool)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return false;
        }
        for (final String dir : path.split(File.pathSeparator))
        {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs a command, returning its output.
     *
     * @throws AssertionError with the output if it fails or does not finish in time.
     */
    private static String run(final String... command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final byte[][] output = new byte[1][];
        final Thread reader = new Thread(() ->
        {
            try
            {
                output[0] = process.getInputStream().readAllBytes();
            }
            catch (final IOException ex)
            {
                output[0] = ex.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!process.waitFor(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError("'" + String.join(" ", command) + "' did not finish within " +
                COMMAND_TIMEOUT_MS + " ms");
        }
        reader.join(COMMAND_TIMEOUT_MS);
        final String text = output[0] == null ? "" : new String(output[0], StandardCharsets.UTF_8);
        if (process.exitValue() != 0)
        {
            throw new AssertionError("'" + String.join(" ", command) + "' failed with status " +
                process.exitValue() + ": " + text);
        }
        return text;
    }
}
