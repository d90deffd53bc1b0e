/**
 * Spark barrier stages as INA's launcher: {@link dev.ina.spark.InaSpark#barrier} runs a function on every
 * partition of a barrier stage with a joined {@link dev.ina.client.Collective} (rank = partition id, world = number
 * of partitions), the aggregator started by rank 0 (or an external one) and its address shared through
 * {@code BarrierTaskContext.allGather}.
 */
package dev.ina.spark;
