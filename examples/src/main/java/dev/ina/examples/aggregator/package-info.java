/**
 * The aggregator node: an {@link dev.ina.aggregator.AggregatorServer} as its own process, configured from
 * {@code INA_*} environment variables, {@code -Dina.*} properties and command-line options.
 */
package dev.ina.examples.aggregator;
