/**
 * Data-parallel training for <a href="https://djl.ai">Deep Java Library</a> through INA:
 * {@link dev.ina.djl.InaTrainers#newTrainer} returns a {@link ai.djl.training.Trainer} whose {@code step()}
 * averages every parameter's gradient over all ranks of a {@link dev.ina.client.Collective} before the optimizer
 * runs, so an unchanged DJL training loop ({@code EasyTrain.fit} or hand-written) trains on N processes or hosts.
 */
package dev.ina.djl;
