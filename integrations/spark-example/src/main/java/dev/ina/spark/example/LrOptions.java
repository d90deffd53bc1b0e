package dev.ina.spark.example;

import dev.ina.api.Codec;
import dev.ina.config.WorkerConfig;

import java.nio.file.Path;

/**
 * Command line of {@link LrComparison}.
 */
final class LrOptions
{
    static final String USAGE = String.join(System.lineSeparator(),
        "usage: ina-spark-lr.sh [--partitions N] [--iterations N] [--codec FIXED32|FP32|...] [--data DIR]",
        "                       [--master URL] [--train-limit N] [--skip-mllib] [--out FILE]",
        "  --partitions N    ranks = partitions of the training data (default 4); the master must offer N slots",
        "  --iterations N    L-BFGS iterations for both methods (default 50)",
        "  --codec C         INA codec for the gradient all-reduce (default FIXED32)",
        "  --data DIR        Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)",
        "  --master URL      Spark master (default local[N])",
        "  --train-limit N   use the first N training images only (default all 60000)",
        "  --skip-mllib      train with INA only",
        "  --out FILE        also write the report (Markdown) to FILE");

    int partitions = 4;
    int iterations = 50;
    Codec codec = Codec.FIXED32;
    Path data = Path.of("/usr/share/datasets/fashion-mnist");
    String master;
    int trainLimit = Integer.MAX_VALUE;
    boolean skipMllib;
    Path out;

    static LrOptions parse(final String[] args)
    {
        final LrOptions options = new LrOptions();
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            switch (arg)
            {
                case "--partitions" -> options.partitions = positive(arg, value(args, ++i, arg));
                case "--iterations" -> options.iterations = positive(arg, value(args, ++i, arg));
                case "--codec" -> options.codec = WorkerConfig.parseCodec(value(args, ++i, arg));
                case "--data" -> options.data = Path.of(value(args, ++i, arg));
                case "--master" -> options.master = value(args, ++i, arg);
                case "--train-limit" -> options.trainLimit = positive(arg, value(args, ++i, arg));
                case "--skip-mllib" -> options.skipMllib = true;
                case "--out" -> options.out = Path.of(value(args, ++i, arg));
                case "--help", "-h" -> throw new IllegalArgumentException(USAGE);
                default -> throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
            }
        }
        if (options.master == null)
        {
            options.master = "local[" + options.partitions + "]";
        }
        return options;
    }

    private static String value(final String[] args, final int index, final String option)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
        }
        return args[index];
    }

    private static int positive(final String option, final String value)
    {
        final int parsed;
        try
        {
            parsed = Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(option + " must be a positive integer, got '" + value + "'");
        }
        if (parsed < 1)
        {
            throw new IllegalArgumentException(option + " must be a positive integer, got " + parsed);
        }
        return parsed;
    }
}
