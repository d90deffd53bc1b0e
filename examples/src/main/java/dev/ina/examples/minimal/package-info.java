/**
 * The smallest aggregator and worker, about 30 lines each: where to start reading.
 */
package dev.ina.examples.minimal;
