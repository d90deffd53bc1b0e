package dev.ina.bench.e2e;

import dev.ina.api.CollectiveException;
import dev.ina.config.WorkerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code worker}: one rank against a remote aggregator, running the same plan as every other rank. Rank 0 writes
 * the report; every rank prints a JSON line with its CPU seconds per case and one at exit.
 */
@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Runs one rank of the benchmark against an aggregator; rank 0 writes the report.")
final class WorkerCommand implements Callable<Integer>
{
    @Option(names = "--aggregator", required = true, paramLabel = "HOST:PORT", description = "Aggregator address.")
    String aggregator;

    @Option(names = "--rank", required = true, description = "This rank, 0 to world - 1.")
    int rank;

    @Option(names = "--world", required = true, description = "Number of ranks.")
    int world;

    @Option(names = "--job", defaultValue = "1",
        description = "Job id; the plan's groups use job + 1, job + 2, ... (default ${DEFAULT-VALUE}).")
    int job;

    @Option(names = "--aggregator-pid", paramLabel = "PID",
        description = "Aggregator process on this host whose CPU rank 0 reports (agg_cpu_s is empty without it).")
    Long aggregatorPid;

    @Mixin
    CaseOptions options;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call()
    {
        final long startNs = System.nanoTime();
        final BenchPlan plan;
        final WorkerConfig base;
        try
        {
            options.validate();
            plan = BenchPlan.of(options, world);
            base = WorkerConfig.builder().aggregator(aggregator).jobId(job).rank(rank).worldSize(world)
                .timeoutNs(options.timeoutNs()).busyPoll(options.busyPoll)
                .callerRuns(options.callerRuns).build();
            plan.groups().forEach(group -> options.configure(base.toBuilder(), group).build());
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("ina-bench worker: " + ex.getMessage());
            return 2;
        }
        final List<CaseResult> results = new ArrayList<>();
        final ReportWriter writer = new ReportWriter(output);
        final RankRunner runner = new RankRunner(options, plan, base,
            CpuProbe.process(ProcessHandle.current().pid()),
            aggregatorPid == null ? CpuProbe.NONE : CpuProbe.process(aggregatorPid),
            result ->
            {
                results.add(result);
                writer.write(results);
            },
            output.label, System.out, System.err, startNs);
        try
        {
            return runner.run();
        }
        catch (final CollectiveException ex)
        {
            System.err.printf("ina-bench worker rank %d: collective failed (%s): %s%n", rank, ex.reason(),
                ex.getMessage());
            return 1;
        }
        catch (final IllegalStateException | UncheckedIOException ex)
        {
            System.err.printf("ina-bench worker rank %d: %s%n", rank, ex.getMessage());
            return 1;
        }
        finally
        {
            System.out.printf("{\"event\": \"exit\", \"rank\": %d, \"cpu_s\": %s}%n", rank,
                AggregatorCommand.jsonNumber(CpuProbe.processTotalSeconds()));
            System.out.flush();
        }
    }
}
