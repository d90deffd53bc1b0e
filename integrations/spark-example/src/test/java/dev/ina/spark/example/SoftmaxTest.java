package dev.ina.spark.example;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SoftmaxTest
{
    private static final int FEATURES = 5;
    private static final int CLASSES = 3;
    private static final int ROWS = 7;

    @Test
    void shouldMatchFiniteDifferencesOfTheLoss()
    {
        final SplittableRandom random = new SplittableRandom(42);
        final float[] x = new float[ROWS * FEATURES];
        final int[] labels = new int[ROWS];
        for (int i = 0; i < x.length; i++)
        {
            x[i] = (float)random.nextDouble(-1, 1);
        }
        for (int i = 0; i < ROWS; i++)
        {
            labels[i] = random.nextInt(CLASSES);
        }
        final int parameters = CLASSES * (FEATURES + 1);
        final float[] w = new float[parameters];
        for (int p = 0; p < parameters; p++)
        {
            w[p] = (float)random.nextDouble(-0.5, 0.5);
        }
        final float[] out = new float[parameters + 1];
        Softmax.lossAndGradient(x, labels, ROWS, FEATURES, CLASSES, w, out);

        final double h = 1e-2;
        for (int p = 0; p < parameters; p++)
        {
            final float saved = w[p];
            w[p] = (float)(saved + h);
            final double up = loss(x, labels, w);
            w[p] = (float)(saved - h);
            final double down = loss(x, labels, w);
            w[p] = saved;
            assertEquals((up - down) / (2 * h), out[p], 2e-3, "parameter " + p);
        }
        assertEquals(loss(x, labels, w), out[parameters], 1e-4);
    }

    @Test
    void shouldPredictTheClassWithTheLargestLogit()
    {
        final int features = 2;
        final double[] weights = {
            1, 0, 0,    // class 0: first pixel
            0, 1, 0,    // class 1: second pixel
            0, 0, 0.5,  // class 2: intercept only
        };
        assertEquals(0, Softmax.predict(weights, new byte[] {(byte)255, 0}, features, 3));
        assertEquals(1, Softmax.predict(weights, new byte[] {0, (byte)255}, features, 3));
        assertEquals(2, Softmax.predict(weights, new byte[] {0, 0}, features, 3));
    }

    /** Summed cross-entropy, independently in double precision. */
    private static double loss(final float[] x, final int[] labels, final float[] w)
    {
        double total = 0;
        for (int i = 0; i < ROWS; i++)
        {
            final double[] logits = new double[CLASSES];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < CLASSES; k++)
            {
                double z = w[k * (FEATURES + 1) + FEATURES];
                for (int d = 0; d < FEATURES; d++)
                {
                    z += (double)w[k * (FEATURES + 1) + d] * x[i * FEATURES + d];
                }
                logits[k] = z;
                max = Math.max(max, z);
            }
            double sum = 0;
            for (int k = 0; k < CLASSES; k++)
            {
                sum += Math.exp(logits[k] - max);
            }
            total += Math.log(sum) + max - logits[labels[i]];
        }
        return total;
    }
}
