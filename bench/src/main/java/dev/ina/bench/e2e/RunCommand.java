package dev.ina.bench.e2e;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.CollectiveException;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code run}: an aggregator and N workers on loopback, as threads of this JVM or ({@code --processes}) as JVMs of
 * their own running {@code aggregator} and {@code worker}; then the report on stdout as Markdown.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Runs an aggregator and N workers on loopback and reports each (codec, mode, size) case.")
final class RunCommand implements Callable<Integer>
{
    private static final long GRACE_MS = TimeUnit.SECONDS.toMillis(120);
    private static final long READY_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(60);

    @Option(names = "--workers", defaultValue = "4", description = "Ranks (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--processes",
        description = "Aggregator and each worker in a JVM of its own (default: threads of this JVM).")
    boolean processes;

    @Option(names = "--threads", defaultValue = "1",
        description = "Aggregator engine threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--job", defaultValue = "1", description = "Base job id (default ${DEFAULT-VALUE}).")
    int job;

    @Option(names = "--verbose", description = "Echo the worker processes' stdout (CPU lines) to stderr.")
    boolean verbose;

    @Mixin
    CaseOptions options;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception
    {
        final long startNs = System.nanoTime();
        final BenchPlan plan;
        try
        {
            options.validate();
            if (workers < 1 || threads < 1)
            {
                throw new IllegalArgumentException("--workers and --threads must be at least 1");
            }
            plan = BenchPlan.of(options, workers);
            plan.groups().forEach(group ->
                options.configure(WorkerConfig.builder().rank(0).worldSize(workers), group).build());
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("ina-bench run: " + ex.getMessage());
            return 2;
        }
        System.err.printf("[ina-bench] %d cases, %d workers as %s, aggregator threads %d, machine: %s%n",
            plan.caseCount(), workers, processes ? "processes" : "threads", threads, ReportWriter.machineInfo());
        final List<CaseResult> results = new CopyOnWriteArrayList<>();
        final int code = processes ? runProcesses(results) : runThreads(plan, results, startNs);
        if (!results.isEmpty())
        {
            System.out.print(new ReportWriter(output).markdown(results));
            System.out.flush();
        }
        return code;
    }

    private int runThreads(final BenchPlan plan, final List<CaseResult> results, final long startNs)
        throws InterruptedException
    {
        final ReportWriter writer = new ReportWriter(output);
        final AtomicReference<String> failure = new AtomicReference<>();
        final int[] codes = new int[workers];
        final Thread[] ranks = new Thread[workers];
        // Closed explicitly, also by a failing rank: closing it ends the other ranks' calls at once.
        final AggregatorServer server = AggregatorServer.start(AggregatorConfig.builder().bindAddress("127.0.0.1")
            .port(0).threads(threads).busyPoll(options.busyPoll).build());
        try
        {
            for (int r = 0; r < workers; r++)
            {
                final int rank = r;
                final WorkerConfig base = WorkerConfig.builder().aggregator("127.0.0.1", server.port()).jobId(job)
                    .rank(rank).worldSize(workers).timeoutNs(options.timeoutNs()).busyPoll(options.busyPoll)
                    .callerRuns(options.callerRuns).build();
                // The rank's Netty threads are named ina-worker-<rank>-<pool>-<n>; the caller is this rank's thread.
                final RankRunner runner = new RankRunner(options, plan, base,
                    CpuProbe.threads("ina-worker-" + rank + "-").plus(CpuProbe.currentThread()),
                    rank == 0 ? CpuProbe.threads("ina-aggregator-") : CpuProbe.NONE,
                    result ->
                    {
                        results.add(result);
                        writer.write(results);
                    },
                    output.label, verbose ? System.err : null, System.err, startNs);
                ranks[r] = new Thread(() ->
                {
                    try
                    {
                        codes[rank] = runner.run();
                    }
                    catch (final RuntimeException | Error ex)
                    {
                        codes[rank] = 1;
                        // The first failure is the cause; the others follow from closing the aggregator.
                        if (failure.compareAndSet(null, "rank " + rank + ": " + describe(ex)))
                        {
                            server.close();
                        }
                    }
                }, "bench-rank-" + rank);
                ranks[r].setDaemon(true);
                ranks[r].start();
            }
            return awaitRanks(ranks, codes, failure, server, startNs);
        }
        finally
        {
            server.close();
        }
    }

    private static String describe(final Throwable ex)
    {
        return ex instanceof CollectiveException ?
            "collective failed (" + ((CollectiveException)ex).reason() + "): " + ex.getMessage() :
            ex instanceof IllegalStateException ? ex.getMessage() : ex.toString();
    }

    private int awaitRanks(
        final Thread[] ranks,
        final int[] codes,
        final AtomicReference<String> failure,
        final AggregatorServer server,
        final long startNs) throws InterruptedException
    {
        final long deadlineNs = startNs + (long)(options.maxSeconds * 1e9) + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
        for (final Thread rank : ranks)
        {
            rank.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())));
            if (rank.isAlive())
            {
                failure.compareAndSet(null, rank.getName() + " did not finish within --max-seconds + " +
                    GRACE_MS / 1000 + " s");
                server.close();
                rank.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
        if (failure.get() != null)
        {
            System.err.println("ina-bench run: FAILED: " + failure.get());
            return 1;
        }
        int code = 0;
        for (final int c : codes)
        {
            code = Math.max(code, c);
        }
        return code;
    }

    private int runProcesses(final List<CaseResult> results) throws IOException, InterruptedException
    {
        final PrintStream err = System.err;
        final List<ChildProcess> children = new ArrayList<>();
        final Path csv = output.csv != null ? output.csv : Files.createTempFile("ina-bench-", ".csv");
        try
        {
            final List<String> aggregatorArgs = new ArrayList<>(List.of("aggregator", "--bind", "127.0.0.1",
                "--port", "0", "--threads", Integer.toString(threads)));
            if (options.busyPoll)
            {
                aggregatorArgs.add("--busy-poll");
            }
            final ChildProcess aggregator = ChildProcess.start("aggregator", aggregatorArgs, false, err);
            children.add(aggregator);
            final String port = aggregator.awaitLine("ready ", READY_TIMEOUT_MS).substring("ready ".length()).trim();
            for (int r = 0; r < workers; r++)
            {
                final List<String> args = new ArrayList<>(List.of("worker", "--aggregator", "127.0.0.1:" + port,
                    "--rank", Integer.toString(r), "--world", Integer.toString(workers), "--job",
                    Integer.toString(job), "--aggregator-pid", Long.toString(aggregator.pid())));
                args.addAll(options.toArgs());
                if (r == 0)
                {
                    args.addAll(output.toArgs(csv));
                }
                children.add(ChildProcess.start("rank " + r, args, verbose, err));
            }
            final int code = awaitWorkers(aggregator, children.subList(1, children.size()));
            aggregator.closeStdin();
            final String exit = aggregator.awaitLine("{", TimeUnit.SECONDS.toMillis(10));
            err.println("[ina-bench] aggregator at exit: " + exit);
            if (Files.exists(csv) && Files.size(csv) > 0)
            {
                results.addAll(ReportWriter.readCsv(csv));
            }
            return code;
        }
        catch (final IllegalStateException ex)
        {
            err.println("ina-bench run: FAILED: " + ex.getMessage());
            return 1;
        }
        finally
        {
            children.forEach(ChildProcess::close);
            if (output.csv == null)
            {
                Files.deleteIfExists(csv);
            }
        }
    }

    private int awaitWorkers(final ChildProcess aggregator, final List<ChildProcess> workerProcesses)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + (long)(options.maxSeconds * 1e9) +
            TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
        int code = 0;
        while (true)
        {
            boolean running = false;
            for (final ChildProcess worker : workerProcesses)
            {
                if (worker.isAlive())
                {
                    running = true;
                }
                else if (worker.exitValue() != 0 && worker.exitValue() != RankRunner.STOPPED)
                {
                    // Without this rank the others could only time out: end them now.
                    throw new IllegalStateException(worker.name() + " exited with code " + worker.exitValue());
                }
                else
                {
                    code = Math.max(code, worker.exitValue());
                }
            }
            if (!running)
            {
                return code;
            }
            if (!aggregator.isAlive())
            {
                throw new IllegalStateException("the aggregator exited with code " + aggregator.exitValue());
            }
            if (System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException("workers did not finish within --max-seconds + " + GRACE_MS / 1000 +
                    " s");
            }
            workerProcesses.get(0).waitFor(100);
        }
    }
}
