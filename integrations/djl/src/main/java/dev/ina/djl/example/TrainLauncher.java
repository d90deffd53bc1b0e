package dev.ina.djl.example;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Trains the Fashion-MNIST MLP on N worker processes of this host: starts an aggregator in this JVM on a loopback
 * port, then N {@link TrainWorker} JVMs (this JVM's java, flags and class path) configured through the
 * {@code INA_*} environment, waits for them and prints what they measured. Rank 0 prints to this console, the
 * others to log files in a temporary directory (shown on failure).
 */
public final class TrainLauncher
{
    /** Header of the rows {@code --csv} appends. */
    static final String CSV_HEADER = "label,codec,mode,workers,epochs,batch,steps,step_ms,allreduce_ms," +
        "bytes_up_per_step,bytes_down_per_step,retransmits_per_step,test_accuracy,train_loss,ranks_identical," +
        "accuracy_per_epoch";

    private static final String EXPORT_FLAG = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private TrainLauncher()
    {
    }

    /**
     * Runs the example.
     *
     * @param args options, see {@link TrainOptions#USAGE}.
     * @throws Exception if the aggregator cannot start or a worker fails.
     */
    public static void main(final String[] args) throws Exception
    {
        if (List.of(args).contains("--help") || List.of(args).contains("-h"))
        {
            System.out.println("usage: ina-djl-train.sh [options]\n" + TrainOptions.USAGE);
            return;
        }
        final TrainOptions options;
        try
        {
            options = TrainOptions.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("ina-djl-train: " + ex.getMessage());
            System.exit(2);
            return;
        }
        final Path dir = Files.createTempDirectory("ina-djl-train");
        final List<RankReport> reports;
        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).busyPoll(options.busyPoll()).build()))
        {
            System.out.printf(Locale.ROOT, "aggregator on 127.0.0.1:%d; %d workers, %s %s, %d epochs, " +
                "batch %d per rank%n", server.port(), options.workers(), options.codec(), options.mode(),
                options.epochs(), options.batch());
            reports = runWorkers(options, server.port(), dir);
        }
        final Summary summary = Summary.of(reports);
        System.out.print(summary.describe(options));
        if (options.csv() != null)
        {
            final boolean fresh = !Files.exists(options.csv()) || Files.size(options.csv()) == 0;
            Files.writeString(options.csv(), (fresh ? CSV_HEADER + "\n" : "") + summary.csvRow(options) + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        if (!summary.ranksIdentical() && options.mode() == dev.ina.api.Mode.EXACT)
        {
            System.err.println("ina-djl-train: the ranks' final parameters differ (see the hashes above)");
            System.exit(1);
        }
    }

    private static List<RankReport> runWorkers(final TrainOptions options, final int port, final Path dir)
        throws IOException, InterruptedException
    {
        final List<Process> processes = new ArrayList<>();
        final List<Path> logs = new ArrayList<>();
        try
        {
            for (int rank = 0; rank < options.workers(); rank++)
            {
                final List<String> command = javaCommand();
                command.add(TrainWorker.class.getName());
                command.addAll(options.workerArgs(dir.resolve("rank-" + rank + ".properties")));
                final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
                final Path log = dir.resolve("rank-" + rank + ".log");
                builder.redirectOutput(rank == 0 ? ProcessBuilder.Redirect.INHERIT :
                    ProcessBuilder.Redirect.to(log.toFile()));
                environment(builder.environment(), options, port, rank);
                processes.add(builder.start());
                logs.add(log);
            }
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(options.timeoutMinutes());
            final List<RankReport> reports = new ArrayList<>();
            for (int rank = 0; rank < processes.size(); rank++)
            {
                final Process process = processes.get(rank);
                if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                {
                    throw new IOException("rank " + rank + " did not finish within " + options.timeoutMinutes() +
                        " minutes" + tail(logs.get(rank)));
                }
                final Path result = dir.resolve("rank-" + rank + ".properties");
                if (process.exitValue() != 0 || !Files.exists(result))
                {
                    throw new IOException("rank " + rank + " exited with code " + process.exitValue() +
                        tail(logs.get(rank)));
                }
                reports.add(RankReport.read(result));
            }
            return reports;
        }
        finally
        {
            processes.forEach(Process::destroyForcibly);
        }
    }

    private static void environment(
        final Map<String, String> env, final TrainOptions options, final int port, final int rank)
    {
        env.put("INA_AGGREGATOR", "127.0.0.1:" + port);
        env.put("INA_JOB", "1");
        env.put("INA_RANK", Integer.toString(rank));
        env.put("INA_WORLD_SIZE", Integer.toString(options.workers()));
        env.put("INA_CODEC", options.codec().name());
        env.put("INA_MODE", options.mode().name());
        env.put("INA_DEADLINE_MS", Double.toString(options.deadlineMs()));
        env.put("INA_ELEMENTS_PER_PACKET", Integer.toString(options.elementsPerPacket()));
        env.put("INA_WINDOW", Integer.toString(options.window()));
        env.put("INA_CALLER_RUNS", Boolean.toString(options.callerRuns()));
        env.put("INA_BUSY_POLL", Boolean.toString(options.busyPoll()));
    }

    /** This JVM's java binary, flags (agents left out, INA's export added if missing) and class path. */
    private static List<String> javaCommand()
    {
        final List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        boolean exported = false;
        for (final String argument : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (argument.startsWith("-agentlib") || argument.startsWith("-javaagent") ||
                argument.startsWith("-Xrunjdwp"))
            {
                continue;
            }
            exported |= argument.equals(EXPORT_FLAG);
            command.add(argument);
        }
        if (!exported)
        {
            command.add(EXPORT_FLAG);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        return command;
    }

    private static String tail(final Path log)
    {
        try
        {
            final List<String> lines = Files.readAllLines(log);
            return "; end of " + log + ":\n    " +
                String.join("\n    ", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        }
        catch (final IOException ex)
        {
            return " (see the console above)";
        }
    }
}
