/**
 * The worker node: one rank as its own process, joined from {@code INA_*} environment variables in the style of
 * torchrun, all-reducing a synthetic tensor that it checks against a double-precision reference.
 */
package dev.ina.examples.worker;
