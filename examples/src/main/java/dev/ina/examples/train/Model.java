package dev.ina.examples.train;

/**
 * A classifier whose parameters are one flat {@code float[]}, so that one all-reduce carries the whole gradient.
 * Instances hold scratch buffers: one instance per thread.
 */
interface Model
{
    /**
     * Short name for reports.
     *
     * @return name.
     */
    String name();

    /**
     * Length of the parameter (and gradient) array.
     *
     * @return count.
     */
    int parameterCount();

    /**
     * Sets the initial parameters, deterministic in the seed.
     *
     * @param params array of {@link #parameterCount()} values to overwrite.
     * @param seed   random seed.
     */
    void initialise(float[] params, long seed);

    /**
     * Adds the gradient of the mean cross-entropy over a batch to {@code gradient}.
     *
     * @param params   parameters.
     * @param data     examples.
     * @param order    example indices; the batch is {@code order[from .. from + count)}.
     * @param from     first position in {@code order}.
     * @param count    batch size, at least 1.
     * @param gradient array of {@link #parameterCount()} values to add to (usually zeroed by the caller).
     * @return mean cross-entropy of the batch (natural log).
     */
    double addGradient(float[] params, Dataset data, int[] order, int from, int count, float[] gradient);

    /**
     * Mean cross-entropy over a batch, without a gradient.
     *
     * @param params parameters.
     * @param data   examples.
     * @param order  example indices.
     * @param from   first position in {@code order}.
     * @param count  batch size, at least 1.
     * @return mean cross-entropy.
     */
    double loss(float[] params, Dataset data, int[] order, int from, int count);

    /**
     * Most likely class of an example.
     *
     * @param params  parameters.
     * @param data    examples.
     * @param example index.
     * @return class.
     */
    int predict(float[] params, Dataset data, int example);

    /**
     * Fraction of a data set classified correctly.
     *
     * @param params parameters.
     * @param data   examples.
     * @return accuracy in [0, 1], 0 for an empty set.
     */
    default double accuracy(final float[] params, final Dataset data)
    {
        int correct = 0;
        for (int i = 0; i < data.count(); i++)
        {
            if (predict(params, data, i) == data.label(i))
            {
                correct++;
            }
        }
        return data.count() == 0 ? 0 : correct / (double)data.count();
    }

    /**
     * Creates a model by name.
     *
     * @param name      {@code softmax} or {@code mlp}.
     * @param dimension input features.
     * @param classes   output classes.
     * @param hidden    hidden units of the MLP.
     * @return the model.
     * @throws IllegalArgumentException for an unknown name.
     */
    static Model create(final String name, final int dimension, final int classes, final int hidden)
    {
        switch (name)
        {
            case "softmax":
                return new SoftmaxRegression(dimension, classes);
            case "mlp":
                return new Mlp(dimension, hidden, classes);
            default:
                throw new IllegalArgumentException("unknown model '" + name + "': softmax or mlp");
        }
    }
}
