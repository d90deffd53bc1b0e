/**
 * The aggregator process: {@link dev.ina.aggregator.AggregatorServer} binds a UDP port and runs the aggregation
 * engine on one event loop thread.
 */
package dev.ina.aggregator;
