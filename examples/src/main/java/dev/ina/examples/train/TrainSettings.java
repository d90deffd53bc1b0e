package dev.ina.examples.train;

import java.util.Locale;

/**
 * Hyper-parameters and transport sizes shared by every rank and variant of a run.
 *
 * @param model             {@code softmax} or {@code mlp}.
 * @param hidden            hidden units of the MLP.
 * @param epochs            passes over the training set.
 * @param batch             examples per rank per step (the global batch is {@code batch * worldSize}).
 * @param learningRate      SGD step size.
 * @param momentum          heavy-ball momentum, 0 for plain SGD.
 * @param seed              seed of the initial parameters and the shuffles.
 * @param elementsPerPacket gradient elements per datagram.
 * @param window            chunks in flight per rank.
 */
record TrainSettings(
    String model,
    int hidden,
    int epochs,
    int batch,
    double learningRate,
    double momentum,
    long seed,
    int elementsPerPacket,
    int window)
{
    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException naming the bad value.
     */
    TrainSettings
    {
        if (epochs < 1 || batch < 1 || hidden < 1 || learningRate <= 0 || momentum < 0 || momentum >= 1)
        {
            throw new IllegalArgumentException("need epochs >= 1, batch >= 1, hidden >= 1, learning rate > 0 and " +
                "momentum in [0, 1): " + this);
        }
    }

    /**
     * One line for logs and reports.
     *
     * @return description.
     */
    String describe()
    {
        return String.format(Locale.ROOT, "model %s%s, %d epochs, batch %d per rank, lr %s, momentum %s, seed %d",
            model, "mlp".equals(model) ? " (" + hidden + " hidden)" : "", epochs, batch, learningRate, momentum, seed);
    }
}
