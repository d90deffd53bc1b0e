package dev.ina.examples.train;

import java.util.SplittableRandom;

/**
 * One hidden layer with ReLU, then softmax. Parameters, flat: {@code W1[j * hidden + k]} (input j to unit k),
 * {@code b1[k]}, {@code W2[k * classes + m]} (unit k to class m), {@code b2[m]}. The inner loops run over
 * contiguous rows ({@code z += x_j * W1[j, :]}), which C2 vectorises; zero inputs and inactive units are skipped.
 */
final class Mlp implements Model
{
    private final int dimension;
    private final int hidden;
    private final int classes;
    private final int b1;
    private final int w2;
    private final int b2;
    private final float[] z1;
    private final float[] a1;
    private final float[] dz1;
    private final float[] out;

    Mlp(final int dimension, final int hidden, final int classes)
    {
        this.dimension = dimension;
        this.hidden = hidden;
        this.classes = classes;
        this.b1 = dimension * hidden;
        this.w2 = b1 + hidden;
        this.b2 = w2 + hidden * classes;
        this.z1 = new float[hidden];
        this.a1 = new float[hidden];
        this.dz1 = new float[hidden];
        this.out = new float[classes];
    }

    @Override
    public String name()
    {
        return "mlp" + hidden;
    }

    @Override
    public int parameterCount()
    {
        return b2 + classes;
    }

    @Override
    public void initialise(final float[] params, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final double heScale = Math.sqrt(2.0 / dimension);
        for (int i = 0; i < b1; i++)
        {
            params[i] = (float)(random.nextGaussian() * heScale);
        }
        final double xavierScale = Math.sqrt(1.0 / hidden);
        for (int i = w2; i < b2; i++)
        {
            params[i] = (float)(random.nextGaussian() * xavierScale);
        }
        for (int k = 0; k < hidden; k++)
        {
            params[b1 + k] = 0.0f;
        }
        for (int m = 0; m < classes; m++)
        {
            params[b2 + m] = 0.0f;
        }
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
            final int label = data.label(example);
            loss += forward(params, x, xo, label);
            out[label] -= 1.0f;
            for (int m = 0; m < classes; m++)
            {
                out[m] *= scale;
                gradient[b2 + m] += out[m];
            }
            backwardHidden(params, gradient);
            for (int j = 0; j < dimension; j++)
            {
                final float xj = x[xo + j];
                if (xj != 0.0f)
                {
                    final int row = j * hidden;
                    for (int k = 0; k < hidden; k++)
                    {
                        gradient[row + k] += xj * dz1[k];
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
        return Softmax.argMax(out, classes);
    }

    private double forward(final float[] params, final float[] x, final int xo, final int label)
    {
        logits(params, x, xo);
        return Softmax.crossEntropy(out, classes, label);
    }

    /**
     * From the output delta in {@code out}: adds the W2 and b1 gradients and leaves the hidden delta in dz1.
     */
    private void backwardHidden(final float[] params, final float[] gradient)
    {
        for (int k = 0; k < hidden; k++)
        {
            if (a1[k] > 0.0f)
            {
                final int row = w2 + k * classes;
                float sum = 0.0f;
                for (int m = 0; m < classes; m++)
                {
                    gradient[row + m] += a1[k] * out[m];
                    sum += params[row + m] * out[m];
                }
                dz1[k] = sum;
                gradient[b1 + k] += sum;
            }
            else
            {
                dz1[k] = 0.0f;
            }
        }
    }

    private void logits(final float[] params, final float[] x, final int xo)
    {
        System.arraycopy(params, b1, z1, 0, hidden);
        for (int j = 0; j < dimension; j++)
        {
            final float xj = x[xo + j];
            if (xj != 0.0f)
            {
                final int row = j * hidden;
                for (int k = 0; k < hidden; k++)
                {
                    z1[k] += xj * params[row + k];
                }
            }
        }
        System.arraycopy(params, b2, out, 0, classes);
        for (int k = 0; k < hidden; k++)
        {
            final float a = Math.max(z1[k], 0.0f);
            a1[k] = a;
            if (a > 0.0f)
            {
                final int row = w2 + k * classes;
                for (int m = 0; m < classes; m++)
                {
                    out[m] += a * params[row + m];
                }
            }
        }
    }
}
