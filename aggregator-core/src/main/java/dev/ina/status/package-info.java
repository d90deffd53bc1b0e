/**
 * Counters of the aggregator and workers, backed by Agrona atomic counters: drops by reason, frames, bytes.
 */
package dev.ina.status;
