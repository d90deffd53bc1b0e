package dev.ina.it;

import dev.ina.api.Codec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * An aggregator and three workers on four emulated hosts: one Linux network namespace each, every host's
 * {@code eth0} a veth pair whose other end is a port of a bridge in a fifth "switch" namespace, all on
 * 10.231.0.0/24, so the host's own network is untouched. nftables in the aggregator's namespace drops 2 % of the
 * UDP datagrams to and from the aggregator port at random. The FIXED32 sums must still be bit-identical on every
 * worker and within the codec's bound, and the nftables counters must show that datagrams were really dropped.
 * <p>
 * Needs root, {@code ip} (iproute2) and {@code nft} (nftables); skipped otherwise. Every namespace this test
 * creates starts with {@value #PREFIX}; leftovers with that prefix are deleted before and after.
 */
public final class MultiHostSystemTest
{
    private static final String PREFIX = "inamh-";
    private static final String SWITCH_NS = PREFIX + "sw";
    private static final String AGGREGATOR_NS = PREFIX + "agg";
    private static final String BRIDGE = "br0";
    private static final String SUBNET = "10.231.0.";
    private static final String AGGREGATOR_IP = SUBNET + "1";
    private static final int PORT = 47100;
    private static final int WORKERS = 3;
    private static final int LOSS_PERCENT = 2;
    private static final int JOB = 42;
    private static final int ELEMENTS = 1 << 19;
    private static final int CALLS = 3;
    private static final int ELEMENTS_PER_PACKET = 256;
    private static final long COMMAND_TIMEOUT_MS = 10_000;
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+) bytes (\\d+)");
    private static final Pattern RETRANSMITS = Pattern.compile("retransmits=(\\d+)");

    @BeforeAll
    static void requireRootAndTools() throws Exception
    {
        assumeTrue(isOnPath("ip"), "MultiHostSystemTest skipped: 'ip' (iproute2) is not on the PATH");
        assumeTrue(isOnPath("nft"), "MultiHostSystemTest skipped: 'nft' (nftables) is not on the PATH; " +
            "install it with: apt-get install nftables");
        assumeTrue("0".equals(run("id", "-u").trim()), "MultiHostSystemTest skipped: creating network namespaces " +
            "needs root");
        deleteNamespaces();
    }

    @AfterAll
    static void deleteLeftovers() throws Exception
    {
        if (isOnPath("ip"))
        {
            deleteNamespaces();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldReduceExactlyAcrossHostsWhenTheNetworkDropsPackets() throws Exception
    {
        final List<JvmProcess> processes = new ArrayList<>();
        final List<Path> results = new ArrayList<>();
        try
        {
            createNetwork();
            checkConnectivity();
            addLoss();

            final JvmProcess aggregator = JvmProcess.start("mh-aggregator", AGGREGATOR_NS, JvmProcess.inaJvmFlags(),
                TestAggregatorMain.class, AGGREGATOR_IP, Integer.toString(PORT));
            processes.add(aggregator);
            aggregator.awaitOutput("LISTENING " + PORT, 30_000);

            for (int rank = 0; rank < WORKERS; rank++)
            {
                final Path result = Files.createTempFile("ina-multihost-rank" + rank + "-", ".bin");
                results.add(result);
                processes.add(JvmProcess.start("mh-worker" + rank, workerNamespace(rank), JvmProcess.inaJvmFlags(),
                    TestWorkerMain.class, AGGREGATOR_IP + ':' + PORT, Integer.toString(JOB), Integer.toString(rank),
                    Integer.toString(WORKERS), Codec.FIXED32.name(), Integer.toString(ELEMENTS),
                    Integer.toString(CALLS), Integer.toString(ELEMENTS_PER_PACKET), "30000", result.toString()));
            }
            long retransmits = 0;
            final StringBuilder calls = new StringBuilder();
            for (int rank = 0; rank < WORKERS; rank++)
            {
                final JvmProcess worker = processes.get(1 + rank);
                final int status = worker.waitFor(90_000);
                final String output = worker.output();
                assertEquals(0, status, "worker " + rank + " failed:\n" + output + "\naggregator:\n" +
                    aggregator.output());
                assertTrue(output.contains("DONE"), output);
                for (final String line : output.split("\n"))
                {
                    if (line.startsWith("CALL "))
                    {
                        calls.append("\n  rank ").append(rank).append(' ').append(line);
                    }
                }
                final Matcher matcher = RETRANSMITS.matcher(output);
                while (matcher.find())
                {
                    retransmits += Long.parseLong(matcher.group(1));
                }
            }

            final String ruleset = run("ip", "netns", "exec", AGGREGATOR_NS, "nft", "list", "table", "inet",
                "inaloss");
            final long[] dropped = droppedPackets(ruleset);
            System.out.println("multi-host: nft dropped " + dropped[0] + " datagrams to and " + dropped[1] +
                " from the aggregator; workers retransmitted " + retransmits + calls + "\n" + ruleset);
            assertTrue(dropped[0] > 0 && dropped[1] > 0, "nftables must have dropped datagrams both ways:\n" +
                ruleset);
            assertTrue(retransmits > 0, "the workers must have recovered lost datagrams by retransmission");
            assertResultsExact(results);
        }
        finally
        {
            for (final JvmProcess process : processes)
            {
                process.close();
            }
            for (final Path result : results)
            {
                Files.deleteIfExists(result);
            }
            deleteNamespaces();
        }
    }

    private static void assertResultsExact(final List<Path> results) throws IOException
    {
        final byte[] first = Files.readAllBytes(results.get(0));
        assertEquals(ELEMENTS * Float.BYTES, first.length, "result file of rank 0");
        for (int rank = 1; rank < WORKERS; rank++)
        {
            assertArrayEquals(first, Files.readAllBytes(results.get(rank)),
                "rank " + rank + "'s result must be bit-identical to rank 0's");
        }
        final float[] sum = new float[ELEMENTS];
        ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(sum);
        assertNull(TestData.check(sum, WORKERS, CALLS - 1, Codec.FIXED32, ELEMENTS_PER_PACKET, false));
    }

    /**
     * Packets counted by the drop rules: {@code [input, output]}.
     */
    private static long[] droppedPackets(final String ruleset)
    {
        final long[] dropped = new long[2];
        int chain = -1;
        for (final String line : ruleset.split("\n"))
        {
            if (line.contains("chain in "))
            {
                chain = 0;
            }
            else if (line.contains("chain out "))
            {
                chain = 1;
            }
            final Matcher matcher = COUNTER.matcher(line);
            if (chain >= 0 && line.contains("drop") && matcher.find())
            {
                dropped[chain] += Long.parseLong(matcher.group(1));
            }
        }
        return dropped;
    }

    private static String workerNamespace(final int rank)
    {
        return PREFIX + "w" + rank;
    }

    private static String workerAddress(final int rank)
    {
        return SUBNET + (11 + rank);
    }

    private static void createNetwork() throws Exception
    {
        final List<String> hosts = new ArrayList<>();
        final List<String> addresses = new ArrayList<>();
        hosts.add(AGGREGATOR_NS);
        addresses.add(AGGREGATOR_IP);
        for (int rank = 0; rank < WORKERS; rank++)
        {
            hosts.add(workerNamespace(rank));
            addresses.add(workerAddress(rank));
        }
        run("ip", "netns", "add", SWITCH_NS);
        run("ip", "-n", SWITCH_NS, "link", "set", "lo", "up");
        run("ip", "-n", SWITCH_NS, "link", "add", BRIDGE, "type", "bridge");
        run("ip", "-n", SWITCH_NS, "link", "set", BRIDGE, "up");
        for (int i = 0; i < hosts.size(); i++)
        {
            final String host = hosts.get(i);
            final String port = "p" + host.substring(PREFIX.length());
            run("ip", "netns", "add", host);
            run("ip", "-n", host, "link", "set", "lo", "up");
            // Created in the switch namespace with its peer directly in the host's: nothing touches the root one.
            run("ip", "-n", SWITCH_NS, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host);
            run("ip", "-n", SWITCH_NS, "link", "set", port, "master", BRIDGE);
            run("ip", "-n", SWITCH_NS, "link", "set", port, "up");
            run("ip", "-n", host, "addr", "add", addresses.get(i) + "/24", "dev", "eth0");
            run("ip", "-n", host, "link", "set", "eth0", "up");
        }
    }

    /**
     * Sends a UDP probe from each worker to the aggregator (port 9, nothing listens) until an nftables counter in
     * the aggregator's namespace sees it: proves ARP across the bridge both ways and IP from worker to aggregator.
     */
    private static void checkConnectivity() throws Exception
    {
        nft(AGGREGATOR_NS, "add", "table", "inet", "inaprobe");
        nft(AGGREGATOR_NS, "add", "chain", "inet", "inaprobe", "in", "{ type filter hook input priority 0; }");
        for (int rank = 0; rank < WORKERS; rank++)
        {
            nft(AGGREGATOR_NS, "add", "rule", "inet", "inaprobe", "in", "ip", "saddr", workerAddress(rank), "udp",
                "dport", "9", "counter");
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean[] reached = new boolean[WORKERS];
        while (true)
        {
            for (int rank = 0; rank < WORKERS; rank++)
            {
                if (!reached[rank])
                {
                    run("ip", "netns", "exec", workerNamespace(rank), "bash", "-c",
                        "echo probe > /dev/udp/" + AGGREGATOR_IP + "/9");
                }
            }
            final String ruleset = nft(AGGREGATOR_NS, "list", "table", "inet", "inaprobe");
            reached = probesSeen(ruleset);
            boolean all = true;
            for (final boolean seen : reached)
            {
                all &= seen;
            }
            if (all)
            {
                break;
            }
            assertTrue(System.nanoTime() - deadline < 0, "no connectivity from every worker namespace to " +
                AGGREGATOR_IP + ": " + Arrays.toString(reached) + "\n" + ruleset + "\n" +
                run("ip", "-n", SWITCH_NS, "link", "show"));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        nft(AGGREGATOR_NS, "delete", "table", "inet", "inaprobe");
    }

    private static boolean[] probesSeen(final String ruleset)
    {
        final boolean[] seen = new boolean[WORKERS];
        for (final String line : ruleset.split("\n"))
        {
            for (int rank = 0; rank < WORKERS; rank++)
            {
                final Matcher matcher = COUNTER.matcher(line);
                if (line.contains("saddr " + workerAddress(rank) + " ") && matcher.find())
                {
                    seen[rank] = Long.parseLong(matcher.group(1)) > 0;
                }
            }
        }
        return seen;
    }

    private static void addLoss() throws Exception
    {
        final String rate = Integer.toString(LOSS_PERCENT);
        final String port = Integer.toString(PORT);
        nft(AGGREGATOR_NS, "add", "table", "inet", "inaloss");
        nft(AGGREGATOR_NS, "add", "chain", "inet", "inaloss", "in", "{ type filter hook input priority 0; }");
        nft(AGGREGATOR_NS, "add", "chain", "inet", "inaloss", "out", "{ type filter hook output priority 0; }");
        nft(AGGREGATOR_NS, "add", "rule", "inet", "inaloss", "in", "udp", "dport", port, "numgen", "random", "mod",
            "100", "<", rate, "counter", "drop");
        nft(AGGREGATOR_NS, "add", "rule", "inet", "inaloss", "out", "udp", "sport", port, "numgen", "random", "mod",
            "100", "<", rate, "counter", "drop");
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
