package dev.ina.spark.example;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.client.Collective;
import dev.ina.spark.InaSpark;
import org.apache.spark.api.java.JavaRDD;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Logistic regression in one Spark barrier stage: each rank holds its partition as a dense float matrix,
 * standardises the features with means and deviations all-reduced once, and runs L-BFGS whose every function
 * evaluation is one pass over its rows plus one INA all-reduce of the summed gradient and loss. The all-reduced
 * values are bit-identical on every rank, so every rank takes the same steps and no parameters are exchanged.
 */
final class InaLogisticRegression
{
    private static final int FEATURES = FashionMnist.PIXELS;
    private static final int CLASSES = FashionMnist.CLASSES;
    private static final int PARAMETERS = CLASSES * (FEATURES + 1);
    private static final int LBFGS_MEMORY = 10;

    /** One rank's result. */
    record RankOutcome(int rank, double[] weights, int iterations, int evaluations, double finalLoss, long loopNs,
        long allReduceNs, boolean epoll) implements Serializable
    {
    }

    private InaLogisticRegression()
    {
    }

    static Outcome train(final JavaRDD<FashionMnist.Image> data, final int iterations, final Codec codec)
    {
        final long startNs = System.nanoTime();
        final List<RankOutcome> ranks = InaSpark.barrierCollect(data, b -> b.codec(codec),
            (rows, collective) -> trainRank(rows, collective, iterations));
        final long trainNs = System.nanoTime() - startNs;
        final RankOutcome first = ranks.get(0);
        boolean agree = true;
        long slowestLoopNs = 0;
        for (final RankOutcome rank : ranks)
        {
            agree &= Arrays.equals(first.weights(), rank.weights());
            slowestLoopNs = Math.max(slowestLoopNs, rank.loopNs());
        }
        return new Outcome("INA all-reduce in a barrier stage (" + codec + ", " + ranks.size() + " ranks)",
            first.weights(), first.iterations(), first.evaluations(), first.finalLoss(), trainNs, slowestLoopNs,
            first.loopNs() - first.allReduceNs(), first.allReduceNs(), agree, first.epoll() ? "native epoll" : "NIO");
    }

    private static RankOutcome trainRank(
        final Iterator<FashionMnist.Image> rows, final Collective collective, final int iterations)
    {
        final List<FashionMnist.Image> images = new ArrayList<>();
        rows.forEachRemaining(images::add);
        final int count = images.size();
        final float[] x = new float[count * FEATURES];
        final int[] labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            final byte[] pixels = images.get(i).pixels();
            for (int d = 0; d < FEATURES; d++)
            {
                x[i * FEATURES + d] = (pixels[d] & 0xFF) / 255f;
            }
            labels[i] = images.get(i).label();
        }

        // Feature means and deviations over every rank's rows, then standardise (MLlib trains scaled too).
        final float[] moments = new float[2 * FEATURES + 1];
        for (int i = 0; i < count; i++)
        {
            for (int d = 0; d < FEATURES; d++)
            {
                final float v = x[i * FEATURES + d];
                moments[d] += v;
                moments[FEATURES + d] += v * v;
            }
        }
        moments[2 * FEATURES] = count;
        collective.allReduce(moments, ReduceOp.SUM);
        final double total = moments[2 * FEATURES];
        final double[] mean = new double[FEATURES];
        final double[] scale = new double[FEATURES];
        for (int d = 0; d < FEATURES; d++)
        {
            mean[d] = moments[d] / total;
            final double variance = Math.max(0, moments[FEATURES + d] / total - mean[d] * mean[d]);
            scale[d] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 0;
        }
        for (int i = 0; i < count; i++)
        {
            for (int d = 0; d < FEATURES; d++)
            {
                x[i * FEATURES + d] = (float)((x[i * FEATURES + d] - mean[d]) * scale[d]);
            }
        }

        final float[] weights32 = new float[PARAMETERS];
        final float[] sums = new float[PARAMETERS + 1];
        final long[] allReduceNs = new long[1];
        final Lbfgs.Objective objective = (w, gradient) ->
        {
            for (int p = 0; p < PARAMETERS; p++)
            {
                weights32[p] = (float)w[p];
            }
            Arrays.fill(sums, 0);
            Softmax.lossAndGradient(x, labels, count, FEATURES, CLASSES, weights32, sums);
            final long callNs = System.nanoTime();
            collective.allReduce(sums, ReduceOp.SUM);
            allReduceNs[0] += System.nanoTime() - callNs;
            for (int p = 0; p < PARAMETERS; p++)
            {
                gradient[p] = sums[p] / total;
            }
            return sums[PARAMETERS] / total;
        };
        final double[] w = new double[PARAMETERS];
        final int[] evaluations = new int[1];
        final double[] loss = new double[1];
        final long loopStartNs = System.nanoTime();
        final int made = new Lbfgs(LBFGS_MEMORY).minimize(objective, w, iterations, (iteration, value, evals) ->
        {
            evaluations[0] = evals;
            loss[0] = value;
        });
        final long loopNs = System.nanoTime() - loopStartNs;
        return new RankOutcome(collective.rank(), toRawSpace(w, mean, scale), made, evaluations[0], loss[0],
            loopNs, allReduceNs[0], collective.isEpoll());
    }

    /**
     * Parameters for raw features: {@code w'(x - m) s + b = (w' s) x + (b - sum w' s m)}.
     */
    private static double[] toRawSpace(final double[] w, final double[] mean, final double[] scale)
    {
        final int stride = FEATURES + 1;
        final double[] raw = new double[PARAMETERS];
        for (int k = 0; k < CLASSES; k++)
        {
            double intercept = w[k * stride + FEATURES];
            for (int d = 0; d < FEATURES; d++)
            {
                raw[k * stride + d] = w[k * stride + d] * scale[d];
                intercept -= w[k * stride + d] * scale[d] * mean[d];
            }
            raw[k * stride + FEATURES] = intercept;
        }
        return raw;
    }
}
