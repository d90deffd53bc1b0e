package dev.ina.examples.train;

/**
 * The output layer shared by the models: softmax and cross-entropy over logits.
 */
final class Softmax
{
    private Softmax()
    {
    }

    /**
     * Turns logits into probabilities in place and returns the cross-entropy of the label.
     *
     * @param logits  values, overwritten with probabilities.
     * @param classes number of logits.
     * @param label   true class.
     * @return {@code -ln p[label]}.
     */
    static double crossEntropy(final float[] logits, final int classes, final int label)
    {
        final float labelLogit = logits[label];
        float max = logits[0];
        for (int m = 1; m < classes; m++)
        {
            max = Math.max(max, logits[m]);
        }
        double sum = 0;
        for (int m = 0; m < classes; m++)
        {
            final double e = Math.exp(logits[m] - max);
            logits[m] = (float)e;
            sum += e;
        }
        final double loss = Math.log(sum) - (labelLogit - max);
        final float inverse = (float)(1.0 / sum);
        for (int m = 0; m < classes; m++)
        {
            logits[m] *= inverse;
        }
        return loss;
    }

    /**
     * Index of the largest value.
     *
     * @param values  values.
     * @param classes number of values.
     * @return index, the first on ties.
     */
    static int argMax(final float[] values, final int classes)
    {
        int best = 0;
        for (int m = 1; m < classes; m++)
        {
            if (values[m] > values[best])
            {
                best = m;
            }
        }
        return best;
    }
}
