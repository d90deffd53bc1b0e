/**
 * Types of the public API shared by the aggregator and the workers: codecs, reduction operators, statistics and
 * the exception every failed collective raises.
 */
package dev.ina.api;
