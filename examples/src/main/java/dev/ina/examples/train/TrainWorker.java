package dev.ina.examples.train;

import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One rank of a training run as its own process (started by {@link TrainLauncher}): loads its shard of
 * Fashion-MNIST, joins the job, trains, and writes its per-epoch records to a CSV file for the launcher.
 */
@Command(name = "ina-train-worker", mixinStandardHelpOptions = true, sortOptions = false,
    description = "One rank of the data-parallel training example (normally started by ina-train).")
public final class TrainWorker implements Callable<Integer>
{
    /** First line of the result file, followed by the parameter count. */
    static final String PARAMETERS_PREFIX = "# parameters ";

    @Option(names = "--aggregator", required = true, paramLabel = "HOST:PORT", description = "Aggregator address.")
    String aggregator;
    @Option(names = "--job", required = true, description = "Job id.")
    int job;
    @Option(names = "--rank", required = true, description = "This rank.")
    int rank;
    @Option(names = "--world-size", required = true, description = "Number of ranks.")
    int worldSize;
    @Option(names = "--variant", required = true, description = "One of " + Variant.NAMES + ".")
    String variant;
    @Option(names = "--out", required = true, description = "CSV file to write the per-epoch records to.")
    Path out;
    @Mixin
    TrainOptions options;

    /**
     * Runs one rank.
     *
     * @param args command line, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new TrainWorker()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        final Variant v = options.variant(variant);
        final TrainSettings settings = options.settings();
        // In BOUNDED mode every rank evaluates, so that no rank pauses alone between calls: a rank that falls a
        // whole call behind the others finds its chunks gone and fills them locally (README, BOUNDED mode).
        final Trainer trainer = new Trainer(settings, v, options.train(rank, worldSize),
            rank == 0 || v.bounded() ? options.test() : null, rank, worldSize);
        final WorkerConfig config = v.configure(WorkerConfig.builder(), rank, settings.seed()).aggregator(aggregator)
            .jobId(job).rank(rank).worldSize(worldSize).elementsPerPacket(settings.elementsPerPacket())
            .window(settings.window()).build();
        final List<EpochRecord> records;
        try (Collective collective = Collective.join(config))
        {
            records = trainer.run(collective, record -> System.out.println(TrainLauncher.progress(v, record)));
        }
        final List<String> lines = new ArrayList<>();
        lines.add(PARAMETERS_PREFIX + trainer.parameterCount());
        lines.add(EpochRecord.CSV_HEADER);
        records.forEach(record -> lines.add(record.toCsv()));
        Files.write(out, lines);
        return 0;
    }
}
