package dev.ina.spark.example;

/**
 * Multinomial logistic regression (softmax) on dense rows: cross-entropy loss and gradient summed over a block,
 * and predictions. Parameters are {@code classes x (features + 1)}, row-major per class, the intercept last.
 */
final class Softmax
{
    private Softmax()
    {
    }

    /**
     * Adds the block's summed loss and gradient to {@code out}: {@code out[0 .. P)} the gradient, {@code out[P]}
     * the loss, where {@code P = classes * (features + 1)}.
     *
     * @param x        rows, {@code count x features}, row-major.
     * @param labels   class of each row.
     * @param count    rows.
     * @param features values per row.
     * @param classes  classes.
     * @param weights  parameters (float copy of the optimiser's).
     * @param out      accumulates the gradient and loss; {@code P + 1} long.
     */
    static void lossAndGradient(
        final float[] x,
        final int[] labels,
        final int count,
        final int features,
        final int classes,
        final float[] weights,
        final float[] out)
    {
        final int stride = features + 1;
        final double[] logits = new double[classes];
        double loss = 0;
        for (int i = 0; i < count; i++)
        {
            final int row = i * features;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++)
            {
                logits[k] = dot(weights, k * stride, x, row, features) + weights[k * stride + features];
                max = Math.max(max, logits[k]);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++)
            {
                logits[k] = Math.exp(logits[k] - max);
                sum += logits[k];
            }
            final int label = labels[i];
            loss += Math.log(sum) - Math.log(logits[label]);
            for (int k = 0; k < classes; k++)
            {
                final float coefficient = (float)(logits[k] / sum - (k == label ? 1 : 0));
                final int base = k * stride;
                for (int d = 0; d < features; d++)
                {
                    out[base + d] += coefficient * x[row + d];
                }
                out[base + features] += coefficient;
            }
        }
        out[classes * stride] += (float)loss;
    }

    /**
     * The most likely class of a row of raw features under parameters in the raw feature space.
     *
     * @param weights  parameters, {@code classes x (features + 1)}.
     * @param pixels   the row, unsigned bytes scaled by {@code 1/255}.
     * @param features values per row.
     * @param classes  classes.
     * @return predicted class.
     */
    static int predict(final double[] weights, final byte[] pixels, final int features, final int classes)
    {
        final int stride = features + 1;
        int best = 0;
        double bestLogit = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++)
        {
            double logit = weights[k * stride + features];
            for (int d = 0; d < features; d++)
            {
                logit += weights[k * stride + d] * ((pixels[d] & 0xFF) / 255.0);
            }
            if (logit > bestLogit)
            {
                bestLogit = logit;
                best = k;
            }
        }
        return best;
    }

    /**
     * Share of images whose predicted class is their label.
     *
     * @param weights parameters in the raw feature space.
     * @param images  test images.
     * @return accuracy in [0, 1].
     */
    static double accuracy(final double[] weights, final FashionMnist.Image[] images)
    {
        int correct = 0;
        for (final FashionMnist.Image image : images)
        {
            if (predict(weights, image.pixels(), FashionMnist.PIXELS, FashionMnist.CLASSES) == image.label())
            {
                correct++;
            }
        }
        return (double)correct / images.length;
    }

    /**
     * Dot product with four independent sums, so the loop does not wait on one addition chain.
     */
    private static float dot(final float[] a, final int aOffset, final float[] b, final int bOffset, final int n)
    {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int d = 0;
        for (; d + 3 < n; d += 4)
        {
            s0 += a[aOffset + d] * b[bOffset + d];
            s1 += a[aOffset + d + 1] * b[bOffset + d + 1];
            s2 += a[aOffset + d + 2] * b[bOffset + d + 2];
            s3 += a[aOffset + d + 3] * b[bOffset + d + 3];
        }
        for (; d < n; d++)
        {
            s0 += a[aOffset + d] * b[bOffset + d];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
