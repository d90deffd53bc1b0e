package dev.ina.djl;

import ai.djl.Model;
import ai.djl.training.TrainingConfig;
import dev.ina.client.Collective;

/**
 * Entry point: data-parallel DJL training through INA. Replace {@code model.newTrainer(config)} with
 * {@code InaTrainers.newTrainer(model, config, collective)} and keep the training loop:
 * <pre>{@code
 * try (Collective collective = Collective.join(WorkerConfig.fromEnvironment().build());
 *      Model model = Model.newInstance("mlp");
 *      Trainer trainer = InaTrainers.newTrainer(model, config, collective))   // the one changed line
 * {
 *     trainer.initialize(new Shape(batch, 784));     // broadcasts rank 0's initial parameters
 *     EasyTrain.fit(trainer, epochs, myShardOfTheData, validation);
 * }
 * }</pre>
 * Each rank trains on its own part of the data; every step averages the gradients of all ranks, so the learning
 * rate means what it means for one process with the per-rank batch, and every rank applies the same update.
 */
public final class InaTrainers
{
    private InaTrainers()
    {
    }

    /**
     * Creates a trainer whose {@code step()} all-reduces (averages) every parameter's gradient through the
     * collective before the optimizer runs, and whose {@code initialize(...)} copies rank 0's parameters to every
     * rank. The codec, mode and error feedback follow the collective's {@link dev.ina.config.WorkerConfig}.
     *
     * @param model      the model, the same block on every rank.
     * @param config     the training configuration; exactly one device (one rank per device).
     * @param collective this rank's membership of the job; stays open and owned by the caller, and must outlive
     *                   the trainer.
     * @return the trainer.
     * @throws IllegalArgumentException if the configuration has more than one device.
     */
    public static InaTrainer newTrainer(final Model model, final TrainingConfig config, final Collective collective)
    {
        return new InaTrainer(model, config, collective, false);
    }
}
