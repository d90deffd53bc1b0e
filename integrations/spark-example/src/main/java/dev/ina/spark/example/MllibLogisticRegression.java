package dev.ina.spark.example;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The baseline: Spark MLlib's multinomial {@code LogisticRegression} (L-BFGS, gradients summed with
 * {@code treeAggregate} every evaluation), no regularisation, tolerance 0 so that it runs the same number of
 * iterations, on the same cached rows.
 */
final class MllibLogisticRegression
{
    private MllibLogisticRegression()
    {
    }

    static Outcome train(final SparkSession spark, final JavaRDD<FashionMnist.Image> data, final int iterations)
    {
        final JavaRDD<Row> rows = data.map(image ->
        {
            final byte[] pixels = image.pixels();
            final double[] features = new double[pixels.length];
            for (int d = 0; d < pixels.length; d++)
            {
                features[d] = (pixels[d] & 0xFF) / 255.0;
            }
            return RowFactory.create((double)image.label(), Vectors.dense(features));
        });
        final StructType schema = new StructType()
            .add("label", DataTypes.DoubleType)
            .add("features", SQLDataTypes.VectorType());
        final Dataset<Row> frame = spark.createDataFrame(rows, schema);
        final LogisticRegression regression = new LogisticRegression()
            .setFamily("multinomial")
            .setMaxIter(iterations)
            .setRegParam(0)
            .setElasticNetParam(0)
            .setTol(0)
            .setStandardization(true);

        final String group = "mllib-logistic-regression";
        final JobTimes lossJobs = new JobTimes(group, "RDDLossFunction");
        spark.sparkContext().addSparkListener(lossJobs);
        spark.sparkContext().setJobGroup(group, "MLlib LogisticRegression.fit", false);
        final long startNs = System.nanoTime();
        final LogisticRegressionModel model = regression.fit(frame);
        final long trainNs = System.nanoTime() - startNs;
        spark.sparkContext().clearJobGroup();
        final int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(group).length;
        // Listener events arrive asynchronously: wait (at most 10 s) until every job's end was seen.
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lossJobs.jobsEnded() < jobs && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        spark.sparkContext().removeSparkListener(lossJobs);

        final int features = FashionMnist.PIXELS;
        final int classes = FashionMnist.CLASSES;
        final Matrix coefficients = model.coefficientMatrix();
        final Vector intercepts = model.interceptVector();
        final double[] weights = new double[classes * (features + 1)];
        for (int k = 0; k < classes; k++)
        {
            for (int d = 0; d < features; d++)
            {
                weights[k * (features + 1) + d] = coefficients.apply(k, d);
            }
            weights[k * (features + 1) + features] = intercepts.apply(k);
        }
        final double[] history = model.summary().objectiveHistory();
        return new Outcome("Spark MLlib LogisticRegression (L-BFGS, treeAggregate)", weights,
            model.summary().totalIterations(), lossJobs.matchingJobs(), history[history.length - 1], trainNs,
            TimeUnit.MILLISECONDS.toNanos(lossJobs.matchingMs()),
            TimeUnit.MILLISECONDS.toNanos(lossJobs.longestTasksMs()), 0, true,
            jobs + " Spark jobs in the fit, " + lossJobs.matchingJobs() + " of them loss evaluations " +
            "(treeAggregate), aggregationDepth " +
            regression.getAggregationDepth());
    }
}
