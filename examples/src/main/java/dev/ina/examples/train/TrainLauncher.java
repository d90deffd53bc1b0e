package dev.ina.examples.train;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Data-parallel training on Fashion-MNIST through INA: starts an aggregator, then for each variant (FP32,
 * FIXED32, INT8 with error feedback, BOUNDED with loss and a straggler) N worker processes that train the same
 * model from the same seed; writes a markdown table, a per-epoch CSV and a PNG plot of test accuracy.
 */
@Command(name = "ina-train", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Trains softmax regression or an MLP on Fashion-MNIST with N ranks averaging gradients through " +
        "INA, once per variant, and compares accuracy, time and traffic.")
public final class TrainLauncher implements Callable<Integer>
{
    @Option(names = "--workers", description = "Ranks (default ${DEFAULT-VALUE}).")
    int workers = 4;
    @Option(names = "--variants", split = ",", description = "Comma-separated, run in order: " + Variant.NAMES +
        " (default: all).")
    List<String> variants = List.of("FP32", "FIXED32", "INT8_EF", "BOUNDED");
    @Option(names = "--threads", description = "Run the ranks as threads of this JVM instead of processes.")
    boolean threads;
    @Option(names = "--out", description = "Directory for training.md, training.csv, training.png and logs " +
        "(default ${DEFAULT-VALUE}).")
    Path out = Path.of("ina-train-out");
    @Option(names = "--timeout-minutes", description = "Most time per variant (default ${DEFAULT-VALUE}).")
    long timeoutMinutes = 30;
    @Mixin
    TrainOptions options;

    /**
     * Runs the comparison.
     *
     * @param args command line, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.setProperty("java.awt.headless", "true");
        System.exit(new CommandLine(new TrainLauncher()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        final List<Variant> runs = new ArrayList<>();
        variants.forEach(name -> runs.add(options.variant(name)));
        Files.createDirectories(out);
        final TrainSettings settings = options.settings();
        // Load once up front: fails fast with the install hint, and the threaded mode needs the data here.
        final Dataset train = options.train(0, 1);
        final Dataset test = options.test();
        final String title = String.format(Locale.ROOT, "Fashion-MNIST (%d train, %d test), %d %s, %s",
            train.count(), test.count(), workers, threads ? "threads" : "processes", settings.describe());
        System.out.println(title);
        final List<VariantResult> results = new ArrayList<>();
        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
        {
            for (int i = 0; i < runs.size(); i++)
            {
                final Variant variant = runs.get(i);
                System.out.println("== " + variant.describe());
                results.add(threads ?
                    ThreadedRun.run(settings, variant, train, test, workers, server.port(), i + 1,
                        record -> System.out.println(progress(variant, record))) :
                    ProcessRun.run(options, variant, workers, "127.0.0.1:" + server.port(), i + 1, out,
                        timeoutMinutes * 60_000));
            }
            System.out.println("aggregator: " + server.counters());
        }
        final String table = Report.markdown(title, results);
        System.out.println();
        System.out.println(table);
        Files.writeString(out.resolve("training.md"), table);
        Files.writeString(out.resolve("training.csv"), Report.csv(results));
        AccuracyPlot.write(out.resolve("training.png"), String.format(Locale.ROOT,
            "Fashion-MNIST, %s, %d ranks: test accuracy per epoch", settings.model(), workers), results);
        System.out.println("wrote " + out.resolve("training.md") + ", training.csv and training.png");
        return 0;
    }

    /**
     * One progress line.
     *
     * @param variant the variant.
     * @param record  an epoch's record.
     * @return the line.
     */
    static String progress(final Variant variant, final EpochRecord record)
    {
        return String.format(Locale.ROOT, "%s epoch %d: test accuracy %.2f %%, train loss %.4f, %.2f s " +
            "(%.2f ms/step, all-reduce %.2f ms), retransmits %d, partial %d, filled %d", variant.name(),
            record.epoch(), 100 * record.testAccuracy(), record.trainLoss(), record.epochNs() / 1e9,
            record.epochNs() / 1e6 / record.steps(), record.allReduceNs() / 1e6 / record.steps(),
            record.retransmits(), record.elementsPartial(), record.elementsFilled());
    }
}
