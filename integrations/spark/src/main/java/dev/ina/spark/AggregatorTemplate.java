package dev.ina.spark;

import dev.ina.config.AggregatorConfig;

import java.io.Serializable;

/**
 * Sets the configuration of the aggregator that rank 0 starts for a stage attempt (port, slot pool, bind address,
 * ...). The builder starts from {@link AggregatorConfig#fromEnvironment()} on rank 0's executor with port 0 (any
 * free port). A bind address other than the wildcard is also the address the other ranks are given; with the
 * wildcard they get rank 0's executor host as Spark knows it. A lambda assigned to this type is serialisable.
 */
@FunctionalInterface
public interface AggregatorTemplate extends Serializable
{
    /** Any free port on every interface, the rest from the executor's environment. */
    AggregatorTemplate DEFAULTS = builder -> builder;

    /**
     * Sets this template's values.
     *
     * @param builder to change.
     * @return the builder (usually the same).
     */
    AggregatorConfig.Builder configure(AggregatorConfig.Builder builder);
}
