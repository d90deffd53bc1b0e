package dev.ina.spark;

import dev.ina.config.WorkerConfig;

import java.io.Serializable;

/**
 * Sets a rank's worker configuration (codec, mode, window, timeouts, ...) on the executor. The builder it gets
 * starts from {@link WorkerConfig#fromEnvironment()} on the executor ({@code INA_*} variables from
 * {@code spark.executorEnv.*} apply); aggregator address, job id, rank and world size are set after it by
 * {@link InaSpark}, so values given for them here are ignored. Shipped to the executors: a lambda assigned to this
 * type is serialisable.
 * <pre>{@code
 * WorkerTemplate template = b -> b.codec(Codec.FIXED32).elementsPerPacket(2048);
 * }</pre>
 */
@FunctionalInterface
public interface WorkerTemplate extends Serializable
{
    /** Keeps the builder as it is: the defaults and the executor's {@code INA_*} environment. */
    WorkerTemplate DEFAULTS = builder -> builder;

    /**
     * Sets this template's values.
     *
     * @param builder to change.
     * @return the builder (usually the same).
     */
    WorkerConfig.Builder configure(WorkerConfig.Builder builder);
}
