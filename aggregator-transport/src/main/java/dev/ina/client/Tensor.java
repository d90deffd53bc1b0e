package dev.ina.client;

import java.util.Arrays;

/**
 * A registered tensor ({@link Collective#register}): a named gradient of fixed size and its error feedback
 * residual, the part of the last step's gradient that quantisation did not carry. Used by one call at a time.
 */
public final class Tensor
{
    private final String name;
    private final float[] residual;

    Tensor(final String name, final int elements)
    {
        this.name = name;
        this.residual = new float[elements];
    }

    /**
     * Name given at registration.
     *
     * @return name.
     */
    public String name()
    {
        return name;
    }

    /**
     * Elements of the tensor's gradient.
     *
     * @return count.
     */
    public int elements()
    {
        return residual.length;
    }

    /**
     * Euclidean norm of the residual carried to the next step, to watch error feedback.
     *
     * @return the norm.
     */
    public double residualNorm()
    {
        double sum = 0.0d;
        for (final float r : residual)
        {
            sum += (double)r * r;
        }
        return Math.sqrt(sum);
    }

    /**
     * Forgets the residual (e.g. after the model was reloaded).
     */
    public void clearResidual()
    {
        Arrays.fill(residual, 0.0f);
    }

    float[] residual()
    {
        return residual;
    }

    void check(final int length)
    {
        if (length != residual.length)
        {
            throw new IllegalArgumentException("tensor '" + name + "' has " + residual.length +
                " elements but the gradient passed has " + length);
        }
    }

    @Override
    public String toString()
    {
        return "Tensor{" + name + ", elements=" + residual.length + '}';
    }
}
