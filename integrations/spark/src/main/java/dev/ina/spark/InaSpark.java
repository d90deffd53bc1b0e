package dev.ina.spark;

import dev.ina.config.WorkerConfig;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaSparkContext$;
import org.apache.spark.rdd.RDD;
import scala.Tuple2;

import java.util.List;
import java.util.Objects;

/**
 * Runs INA jobs as Spark barrier stages. Every partition of the input becomes one rank: rank = partition id,
 * world size = number of partitions, all started together by Spark's barrier scheduling.
 * <pre>{@code
 * List<float[]> sums = InaSpark.barrierCollect(rdd, b -> b.codec(Codec.FIXED32), (rows, collective) ->
 * {
 *     float[] gradient = computeGradient(rows);
 *     collective.allReduce(gradient, ReduceOp.SUM);
 *     return gradient;
 * });
 * }</pre>
 * For each stage attempt, rank 0 starts an aggregator on its executor (or the ranks use an external one, see
 * {@link BarrierOptions}) and draws a fresh random job id; {@code BarrierTaskContext.allGather} gives both to the
 * other ranks, which then join. When a rank fails, Spark fails the stage attempt and kills the other ranks; INA
 * closes their collectives at once (a blocked call throws {@code CLOSED}) and Spark retries the whole stage, up to
 * {@code spark.stage.maxConsecutiveAttempts} times, with a new job id. The barrier stage is made a shuffle map
 * stage (a barrier result stage is never retried): results travel through a small shuffle keyed by rank.
 * <p>
 * Before it defines the stage the driver checks that the cluster has one task slot per partition, and fails at
 * once with a message saying what to change instead of letting Spark retry the submission for ten minutes. Every
 * JVM (executors, and the driver with a local master) needs INA's JVM flag
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}: put it in {@code spark.executor.extraJavaOptions}.
 */
public final class InaSpark
{
    private InaSpark()
    {
    }

    /**
     * Defines a barrier stage that runs {@code function} on every partition with a joined collective; lazy, like
     * any transformation. Each evaluation of the returned RDD's lineage runs the stage again with a new job id,
     * but the stage's results are kept in Spark's shuffle files, so further actions on the same RDD reuse them.
     *
     * @param rdd      input, one partition per rank.
     * @param template the ranks' worker settings, e.g. {@code b -> b.codec(Codec.FIXED32)}.
     * @param function what each rank runs.
     * @param <T>      row type.
     * @param <R>      result type, serialisable by Spark.
     * @return one result per rank; partition r holds rank r's.
     * @throws IllegalArgumentException if the template gives an invalid worker configuration for this world size.
     * @throws IllegalStateException    if the cluster cannot run every partition at once.
     */
    public static <T, R> JavaRDD<R> barrier(
        final JavaRDD<T> rdd, final WorkerTemplate template, final BarrierFunction<T, R> function)
    {
        return barrier(rdd, BarrierOptions.of(template), function);
    }

    /**
     * Defines a barrier stage that runs {@code function} on every partition with a joined collective, with
     * options (aggregator placement, slot wait). See {@link #barrier(JavaRDD, WorkerTemplate, BarrierFunction)}.
     *
     * @param rdd      input, one partition per rank.
     * @param options  worker template, aggregator placement and slot wait.
     * @param function what each rank runs.
     * @param <T>      row type.
     * @param <R>      result type, serialisable by Spark.
     * @return one result per rank; partition r holds rank r's.
     * @throws IllegalArgumentException if the template gives an invalid worker configuration for this world size.
     * @throws IllegalStateException    if the cluster cannot run every partition at once.
     */
    public static <T, R> JavaRDD<R> barrier(
        final JavaRDD<T> rdd, final BarrierOptions options, final BarrierFunction<T, R> function)
    {
        Objects.requireNonNull(rdd, "rdd");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(function, "function");
        final int partitions = rdd.getNumPartitions();
        final SparkContext context = rdd.context();
        if (partitions == 0)
        {
            return JavaSparkContext.fromSparkContext(context).emptyRDD();
        }
        checkTemplate(options, partitions);
        SlotCheck.check(context, rdd.getResourceProfile(), partitions, options.slotWaitNs(context.isLocal()));

        final JavaSparkContext$ tags = JavaSparkContext$.MODULE$;
        final RDD<Tuple2<Integer, R>> ranked = rdd.rdd().barrier().mapPartitions(
            new PartitionFunction<>(new BarrierTask<>(options, function)), false, tags.fakeClassTag());
        // The shuffle makes the barrier stage a shuffle map stage, which Spark retries whole when a rank fails.
        return JavaPairRDD.fromRDD(ranked, tags.<Integer>fakeClassTag(), tags.<R>fakeClassTag())
            .partitionBy(new HashPartitioner(partitions))
            .values();
    }

    /**
     * Runs a barrier stage now and returns the ranks' results in rank order.
     *
     * @param rdd      input, one partition per rank.
     * @param template the ranks' worker settings.
     * @param function what each rank runs.
     * @param <T>      row type.
     * @param <R>      result type, serialisable by Spark.
     * @return the results, element r from rank r.
     * @throws IllegalArgumentException if the template gives an invalid worker configuration for this world size.
     * @throws IllegalStateException    if the cluster cannot run every partition at once.
     */
    public static <T, R> List<R> barrierCollect(
        final JavaRDD<T> rdd, final WorkerTemplate template, final BarrierFunction<T, R> function)
    {
        return barrier(rdd, template, function).collect();
    }

    /**
     * Runs a barrier stage now, with options, and returns the ranks' results in rank order.
     *
     * @param rdd      input, one partition per rank.
     * @param options  worker template, aggregator placement and slot wait.
     * @param function what each rank runs.
     * @param <T>      row type.
     * @param <R>      result type, serialisable by Spark.
     * @return the results, element r from rank r.
     * @throws IllegalArgumentException if the template gives an invalid worker configuration for this world size.
     * @throws IllegalStateException    if the cluster cannot run every partition at once.
     */
    public static <T, R> List<R> barrierCollect(
        final JavaRDD<T> rdd, final BarrierOptions options, final BarrierFunction<T, R> function)
    {
        return barrier(rdd, options, function).collect();
    }

    /**
     * Builds the worker configuration once on the driver, so that a bad template fails before any task runs.
     */
    private static void checkTemplate(final BarrierOptions options, final int partitions)
    {
        final WorkerConfig.Builder builder = options.worker().configure(WorkerConfig.fromEnvironment());
        if (options.externalAggregator() != null)
        {
            builder.aggregator(options.externalAggregator());
        }
        try
        {
            builder.jobId(1).rank(0).worldSize(partitions).build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("INA worker template for " + partitions + " ranks (one per " +
                "partition): " + ex.getMessage(), ex);
        }
    }
}
