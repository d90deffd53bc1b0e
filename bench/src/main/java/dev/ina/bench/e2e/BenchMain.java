package dev.ina.bench.e2e;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The end-to-end all-reduce benchmark: {@code run} orchestrates an aggregator and N workers on this machine;
 * {@code aggregator} and {@code worker} run one role each, e.g. inside network namespaces. Launched by
 * {@code bench/bin/ina-bench}; see {@code bench/E2E.md}.
 * <p>
 * Exit codes: 0 every case ran and every checked result was right; 1 a wrong result or a failure (a call timed
 * out, a worker or the aggregator died); 2 a bad option; 3 stopped by {@code --max-seconds} (what was measured is
 * reported).
 */
@Command(name = "ina-bench", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = {RunCommand.class, AggregatorCommand.class, WorkerCommand.class, CommandLine.HelpCommand.class},
    description = "End-to-end INA all-reduce benchmark: latency (HdrHistogram), bandwidth, packet rate and CPU.")
public final class BenchMain implements Runnable
{
    @Spec
    CommandSpec spec;

    /**
     * Creates the top-level command; picocli fills it.
     */
    public BenchMain()
    {
    }

    /**
     * Runs a subcommand and exits with its code.
     *
     * @param args subcommand and options, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /**
     * Runs a subcommand without exiting the JVM.
     *
     * @param args subcommand and options.
     * @return exit code.
     */
    static int execute(final String... args)
    {
        return new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }

    /**
     * Without a subcommand: a usage error.
     */
    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: run, aggregator or worker");
    }
}
