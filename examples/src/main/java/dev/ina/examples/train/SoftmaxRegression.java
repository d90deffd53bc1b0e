package dev.ina.examples.train;

import java.util.Arrays;

/**
 * Multinomial logistic regression. Parameters: weights {@code W[j * classes + m]} for input j and class m, then
 * biases {@code b[m]}. Inputs that are zero (the background pixels) are skipped.
 */
final class SoftmaxRegression implements Model
{
    private final int dimension;
    private final int classes;
    private final int biasOffset;
    private final float[] logits;

    SoftmaxRegression(final int dimension, final int classes)
    {
        this.dimension = dimension;
        this.classes = classes;
        this.biasOffset = dimension * classes;
        this.logits = new float[classes];
    }

    @Override
    public String name()
    {
        return "softmax";
    }

    @Override
    public int parameterCount()
    {
        return biasOffset + classes;
    }

    @Override
    public void initialise(final float[] params, final long seed)
    {
        Arrays.fill(params, 0, parameterCount(), 0.0f);
    }

    @Override
    public double addGradient(
        final float[] params, final Dataset data, final int[] order, final int from, final int count,
        final float[] gradient)
    {
        final float[] x = data.features();
        final float scale = 1.0f / count;
        double loss = 0;
        for (int n = from; n < from + count; n++)
        {
            final int example = order[n];
            final int xo = example * dimension;
            loss += forward(params, x, xo, data.label(example));
            logits[data.label(example)] -= 1.0f;
            for (int m = 0; m < classes; m++)
            {
                logits[m] *= scale;
                gradient[biasOffset + m] += logits[m];
            }
            for (int j = 0; j < dimension; j++)
            {
                final float xj = x[xo + j];
                if (xj != 0.0f)
                {
                    final int row = j * classes;
                    for (int m = 0; m < classes; m++)
                    {
                        gradient[row + m] += xj * logits[m];
                    }
                }
            }
        }
        return loss / count;
    }

    @Override
    public double loss(final float[] params, final Dataset data, final int[] order, final int from, final int count)
    {
        double loss = 0;
        for (int n = from; n < from + count; n++)
        {
            final int example = order[n];
            loss += forward(params, data.features(), example * dimension, data.label(example));
        }
        return loss / count;
    }

    @Override
    public int predict(final float[] params, final Dataset data, final int example)
    {
        logits(params, data.features(), example * dimension);
        return Softmax.argMax(logits, classes);
    }

    private double forward(final float[] params, final float[] x, final int xo, final int label)
    {
        logits(params, x, xo);
        return Softmax.crossEntropy(logits, classes, label);
    }

    private void logits(final float[] params, final float[] x, final int xo)
    {
        System.arraycopy(params, biasOffset, logits, 0, classes);
        for (int j = 0; j < dimension; j++)
        {
            final float xj = x[xo + j];
            if (xj != 0.0f)
            {
                final int row = j * classes;
                for (int m = 0; m < classes; m++)
                {
                    logits[m] += xj * params[row + m];
                }
            }
        }
    }
}
