/**
 * JMH benchmarks of INA's hot paths.
 */
package dev.ina.bench;
