package dev.ina.examples.train;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks every partial derivative of both models against central finite differences of the loss.
 */
class ModelGradientTest
{
    private static final int DIMENSION = 6;
    private static final int CLASSES = 4;
    private static final int HIDDEN = 5;
    private static final int BATCH = 8;
    private static final float EPSILON = 1e-3f;

    @ParameterizedTest
    @ValueSource(strings = {"softmax", "mlp"})
    void shouldMatchFiniteDifferencesWhenGradientIsComputed(final String name)
    {
        final Model model = Model.create(name, DIMENSION, CLASSES, HIDDEN);
        final Dataset data = Dataset.blobs(BATCH, DIMENSION, CLASSES, 1.0, 1, 2);
        final int[] order = {7, 6, 5, 4, 3, 2, 1, 0};
        final float[] params = new float[model.parameterCount()];
        final SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < params.length; i++)
        {
            params[i] = (float)(random.nextGaussian() * 0.5);
        }
        final float[] gradient = new float[params.length];
        final double loss = model.addGradient(params, data, order, 0, BATCH, gradient);
        assertEquals(model.loss(params, data, order, 0, BATCH), loss, 1e-6);

        double largest = 0;
        for (int i = 0; i < params.length; i++)
        {
            final float saved = params[i];
            params[i] = saved + EPSILON;
            final double up = model.loss(params, data, order, 0, BATCH);
            params[i] = saved - EPSILON;
            final double down = model.loss(params, data, order, 0, BATCH);
            params[i] = saved;
            final double numeric = (up - down) / (2 * EPSILON);
            largest = Math.max(largest, Math.abs(numeric));
            assertEquals(numeric, gradient[i], 2e-3 + 2e-2 * Math.abs(numeric), name + " parameter " + i);
        }
        assertTrue(largest > 0.01, "the check must see non-trivial gradients, largest " + largest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"softmax", "mlp"})
    void shouldAddToGradientWhenCalledTwice(final String name)
    {
        final Model model = Model.create(name, DIMENSION, CLASSES, HIDDEN);
        final Dataset data = Dataset.blobs(BATCH, DIMENSION, CLASSES, 1.0, 1, 2);
        final int[] order = {0, 1, 2, 3, 4, 5, 6, 7};
        final float[] params = new float[model.parameterCount()];
        model.initialise(params, 5);
        final float[] once = new float[params.length];
        final float[] twice = new float[params.length];
        model.addGradient(params, data, order, 0, BATCH, once);
        model.addGradient(params, data, order, 0, BATCH, twice);
        model.addGradient(params, data, order, 0, BATCH, twice);
        for (int i = 0; i < params.length; i++)
        {
            assertEquals(2 * once[i], twice[i], 1e-6f + 1e-5f * Math.abs(once[i]));
        }
    }
}
