package dev.ina.spark.example;

import dev.ina.internal.netty.JvmFlags;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Trains softmax regression on Fashion-MNIST twice on the same cached RDD, with INA's all-reduce in a barrier
 * stage and with Spark MLlib, and prints a Markdown comparison (time per iteration, test accuracy).
 */
public final class LrComparison
{
    private LrComparison()
    {
    }

    /**
     * The training images as a cached RDD of {@code partitions} slices. The images travel once, as a broadcast:
     * an RDD made by {@code parallelize(images)} would carry its slice inside every task of every stage that
     * reads it, which would charge MLlib's many stages for shipping the data again and again.
     */
    private static JavaRDD<FashionMnist.Image> partitioned(
        final JavaSparkContext context, final FashionMnist.Image[] images, final int partitions)
    {
        final Broadcast<FashionMnist.Image[]> shared = context.broadcast(images);
        final List<Integer> slices = new ArrayList<>();
        for (int p = 0; p < partitions; p++)
        {
            slices.add(p);
        }
        return context.parallelize(slices, partitions)
            .flatMap(slice ->
            {
                final FashionMnist.Image[] all = shared.value();
                final int from = (int)((long)all.length * slice / partitions);
                final int to = (int)((long)all.length * (slice + 1) / partitions);
                return Arrays.asList(all).subList(from, to).iterator();
            })
            .persist(StorageLevel.MEMORY_ONLY());
    }

    /**
     * Runs the comparison.
     *
     * @param args see {@code --help}.
     * @throws Exception if the data cannot be read or a job fails.
     */
    public static void main(final String[] args) throws Exception
    {
        final LrOptions options;
        try
        {
            options = LrOptions.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println(ex.getMessage());
            System.exit(2);
            return;
        }
        final FashionMnist.Image[] all = FashionMnist.read(options.data, "train");
        final FashionMnist.Image[] train = Arrays.copyOf(all, Math.min(all.length, options.trainLimit));
        final FashionMnist.Image[] test = FashionMnist.read(options.data, "t10k");

        try (SparkSession spark = SparkSession.builder()
            .master(options.master)
            .appName("ina-spark-lr")
            .config("spark.ui.enabled", "false")
            .config("spark.log.level", "WARN")
            .config("spark.executor.extraJavaOptions", JvmFlags.AGRONA_FLAG)
            .getOrCreate())
        {
            spark.sparkContext().setLogLevel("WARN");
            final JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
            final JavaRDD<FashionMnist.Image> data = partitioned(context, train, options.partitions);
            System.out.println("cached " + data.count() + " training images in " + options.partitions + " partitions");

            final List<Outcome> outcomes = new ArrayList<>();
            outcomes.add(InaLogisticRegression.train(data, options.iterations, options.codec));
            if (!options.skipMllib)
            {
                outcomes.add(MllibLogisticRegression.train(spark, data, options.iterations));
            }
            final List<Double> accuracies = new ArrayList<>();
            for (final Outcome outcome : outcomes)
            {
                accuracies.add(Softmax.accuracy(outcome.weights(), test));
            }
            final String report = Report.markdown(options, train.length, test.length, outcomes, accuracies);
            System.out.println(report);
            if (options.out != null)
            {
                Files.writeString(options.out, report);
            }
        }
    }
}
