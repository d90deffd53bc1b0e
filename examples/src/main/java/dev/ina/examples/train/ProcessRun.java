package dev.ina.examples.train;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one variant with every rank as its own JVM ({@link TrainWorker}), started with this JVM's java binary,
 * class path and flags. Rank 0 prints to this process's output; every rank logs to {@code <dir>/<variant>-rank<r>.log}.
 */
final class ProcessRun
{
    private static final String EXPORT_FLAG = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private ProcessRun()
    {
    }

    /**
     * Starts the ranks, waits for them and combines their records.
     *
     * @param options   options handed on to every rank.
     * @param variant   variant name.
     * @param workers   number of ranks.
     * @param aggregator aggregator address, {@code host:port}.
     * @param jobId     job id.
     * @param dir       directory for logs and result files.
     * @param timeoutMs most time to wait for all ranks.
     * @return the combined result.
     * @throws IOException if a rank fails (the message holds the end of its log) or does not finish in time.
     * @throws InterruptedException if interrupted; the ranks are then killed.
     */
    static VariantResult run(
        final TrainOptions options,
        final Variant variant,
        final int workers,
        final String aggregator,
        final int jobId,
        final Path dir,
        final long timeoutMs) throws IOException, InterruptedException
    {
        final List<Process> processes = new ArrayList<>();
        final List<Path> results = new ArrayList<>();
        final List<Path> logs = new ArrayList<>();
        try
        {
            for (int rank = 0; rank < workers; rank++)
            {
                final Path result = dir.resolve(variant.name() + "-rank" + rank + ".csv");
                final Path log = dir.resolve(variant.name() + "-rank" + rank + ".log");
                Files.deleteIfExists(result);
                final List<String> command = javaCommand();
                command.add(TrainWorker.class.getName());
                command.addAll(List.of("--aggregator", aggregator, "--job", Integer.toString(jobId), "--rank",
                    Integer.toString(rank), "--world-size", Integer.toString(workers), "--variant", variant.name(),
                    "--out", result.toString()));
                command.addAll(options.toArgs());
                final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
                builder.redirectOutput(rank == 0 ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.to(
                    log.toFile()));
                processes.add(builder.start());
                results.add(result);
                logs.add(log);
            }
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            final List<List<EpochRecord>> perRank = new ArrayList<>();
            int parameterCount = 0;
            for (int rank = 0; rank < workers; rank++)
            {
                final Process process = processes.get(rank);
                if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                {
                    throw new IOException(variant.name() + " rank " + rank + " did not finish within " + timeoutMs +
                        " ms" + tail(logs.get(rank)));
                }
                if (process.exitValue() != 0 || !Files.exists(results.get(rank)))
                {
                    throw new IOException(variant.name() + " rank " + rank + " exited with code " +
                        process.exitValue() + tail(logs.get(rank)));
                }
                final List<String> lines = Files.readAllLines(results.get(rank));
                parameterCount = Integer.parseInt(lines.get(0).substring(TrainWorker.PARAMETERS_PREFIX.length()));
                final List<EpochRecord> records = new ArrayList<>();
                lines.subList(2, lines.size()).forEach(line -> records.add(EpochRecord.fromCsv(line)));
                perRank.add(records);
            }
            return VariantResult.combine(variant, perRank, parameterCount);
        }
        finally
        {
            for (final Process process : processes)
            {
                process.destroyForcibly();
            }
        }
    }

    /**
     * This JVM's java binary, flags and class path: INA's {@code --add-exports} flag is added if this JVM was
     * started without it; debugger and agent flags are not handed on.
     *
     * @return the command so far, to which the main class and its arguments are added.
     */
    static List<String> javaCommand()
    {
        final List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        boolean exported = false;
        String previous = "";
        for (final String argument : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (argument.startsWith("-agentlib") || argument.startsWith("-javaagent") ||
                argument.startsWith("-Xrunjdwp"))
            {
                continue;
            }
            exported |= argument.equals(EXPORT_FLAG) ||
                "--add-exports".equals(previous) && argument.equals(EXPORT_FLAG.substring(14));
            command.add(argument);
            previous = argument;
        }
        if (!exported)
        {
            command.add(EXPORT_FLAG);
        }
        command.add("-Djava.awt.headless=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        return command;
    }

    private static String tail(final Path log)
    {
        try
        {
            if (!Files.exists(log))
            {
                return " (its output went to this console)";
            }
            final List<String> lines = Files.readAllLines(log);
            return "; end of " + log + ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 20),
                lines.size()));
        }
        catch (final IOException ex)
        {
            return "; cannot read " + log + ": " + ex.getMessage();
        }
    }
}
