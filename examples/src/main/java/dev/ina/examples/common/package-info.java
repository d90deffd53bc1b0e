/**
 * Helpers shared by the examples: deterministic gradients every rank can recompute, so results are checked
 * without extra traffic.
 */
package dev.ina.examples.common;
