package dev.ina.examples.worker;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code mpirun -n 4 bin/ina-worker.sh}: Open MPI starts four example workers that take their rank, world size and
 * job from Open MPI's variables alone, all-reduce against an aggregator on loopback and check every sum. Needs
 * the examples' jar (built in {@code package}, before failsafe runs) and {@code mpirun} (Debian's
 * {@code openmpi-bin}); skipped, saying so, without it.
 */
class MpirunSystemTest
{
    private static final int RANKS = 4;
    private static final long WAIT_S = 150;
    private static final Pattern JOINED = Pattern.compile("rank (\\d+)/(\\d+) joined job (-?\\d+) at ");
    private static final Pattern SUMMARY = Pattern.compile(
        "rank (\\d+) summary: .*sums all ok, last result's hash ([0-9a-f]{8})");
    private static final Pattern DETECTED = Pattern.compile("launcher: Open MPI detected; rank (\\d+) from " +
        "OMPI_COMM_WORLD_RANK, world size 4 from OMPI_COMM_WORLD_SIZE, job (\\d+) from PMIX_NAMESPACE");

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldAllReduceExactlyWhenOpenMpiStartsTheWorkers() throws Exception
    {
        final Path mpirun = onPath("mpirun");
        assumeTrue(mpirun != null, "mpirun is not on PATH: install Open MPI (Debian: openmpi-bin) to run this test");
        final Path script = Path.of("bin", "ina-worker.sh").toAbsolutePath();
        assertTrue(Files.isExecutable(script), script + " must exist and be executable");
        assertTrue(Files.isRegularFile(Path.of("target", "ina-examples.jar")), "the examples' jar must be built");

        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
        {
            final Map<Integer, String> outputs = runMpirun(mpirun, script, server.port());
            assertEquals(Set.of(0, 1, 2, 3), outputs.keySet(), "an output per rank: " + outputs);
            final Set<Integer> jobs = new HashSet<>();
            final Set<String> hashes = new HashSet<>();
            for (final Map.Entry<Integer, String> rank : outputs.entrySet())
            {
                final String output = rank.getValue();
                final Matcher detected = DETECTED.matcher(output);
                assertTrue(detected.find(), "rank " + rank.getKey() + " logs the launcher:\n" + output);
                assertEquals(rank.getKey(), Integer.valueOf(detected.group(1)), output);
                final String loggedJob = detected.group(2);
                assertFalse(detected.find(), "logged once:\n" + output);
                final Matcher joined = JOINED.matcher(output);
                assertTrue(joined.find(), output);
                assertEquals(rank.getKey(), Integer.valueOf(joined.group(1)), output);
                assertEquals(RANKS, Integer.parseInt(joined.group(2)), output);
                assertEquals(loggedJob, joined.group(3), "the logged job is the joined one:\n" + output);
                jobs.add(Integer.parseInt(joined.group(3)));
                final Matcher summary = SUMMARY.matcher(output);
                assertTrue(summary.find(), "rank " + rank.getKey() + " checked every sum:\n" + output);
                hashes.add(summary.group(2));
            }
            assertEquals(1, jobs.size(), "one job id, from PMIX_NAMESPACE, on every rank: " + outputs);
            assertEquals(1, hashes.size(), "FIXED32 results are the same bits on every rank: " + outputs);
        }
    }

    private static Map<Integer, String> runMpirun(final Path mpirun, final Path script, final int port)
        throws IOException, InterruptedException
    {
        final Path outputs = Files.createTempDirectory("ina-mpirun-");
        final ProcessBuilder builder = new ProcessBuilder(List.of(mpirun.toString(), "--oversubscribe",
            "--output-filename", outputs.toString(), "-n", Integer.toString(RANKS), script.toString(),
            "--aggregator", "127.0.0.1:" + port, "--codec", "FIXED32", "--mib", "1", "--iterations", "2"));
        final Map<String, String> env = builder.environment();
        // Only Open MPI's variables give rank, world size and job: no INA_* or other launcher's from this shell.
        env.keySet().removeIf(name -> name.startsWith("INA_") || name.startsWith("SLURM_") ||
            List.of("RANK", "WORLD_SIZE", "TORCHELASTIC_RUN_ID", "JOB_COMPLETION_INDEX").contains(name));
        // Open MPI refuses to start as root unless told twice (CI runs as root); harmless for other users.
        env.put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        env.put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("INA_JAVA_MAJOR", Integer.toString(Runtime.version().feature()));
        env.put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        env.put("INA_ELEMENTS_PER_PACKET", "16368");
        env.put("INA_WINDOW", "8");
        env.put("INA_TIMEOUT_MS", "30000");
        env.put("INA_JOIN_TIMEOUT_MS", "60000");
        final Path log = outputs.resolve("mpirun.log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        final Process process = builder.start();
        try
        {
            final boolean exited = process.waitFor(WAIT_S, TimeUnit.SECONDS);
            final String output = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(exited, "mpirun did not finish within " + WAIT_S + " s:\n" + output);
            assertEquals(0, process.exitValue(), "mpirun's exit code (a worker's 1 = wrong sum, 2 = bad " +
                "setting, 3 = failed collective):\n" + output + readRanks(outputs));
            return readRanks(outputs);
        }
        finally
        {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try (Stream<Path> files = Files.walk(outputs))
            {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /**
     * Each rank's stdout and stderr, which {@code --output-filename DIR} writes to {@code DIR/<job>/rank.<N>/}.
     */
    private static Map<Integer, String> readRanks(final Path outputs) throws IOException
    {
        final Map<Integer, String> ranks = new TreeMap<>();
        try (Stream<Path> files = Files.walk(outputs, 3))
        {
            for (final Path directory : (Iterable<Path>)files.filter(Files::isDirectory)
                .filter(path -> path.getFileName().toString().startsWith("rank."))::iterator)
            {
                final StringBuilder text = new StringBuilder();
                for (final String stream : new String[] {"stdout", "stderr"})
                {
                    final Path file = directory.resolve(stream);
                    if (Files.exists(file))
                    {
                        text.append(Files.readString(file, StandardCharsets.UTF_8));
                    }
                }
                ranks.put(Integer.valueOf(directory.getFileName().toString().substring(5)), text.toString());
            }
        }
        return ranks;
    }

    private static Path onPath(final String command)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return null;
        }
        for (final String directory : path.split(File.pathSeparator))
        {
            final Path candidate = Path.of(directory, command);
            if (Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
