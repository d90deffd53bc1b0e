/**
 * The aggregation engine: a pure, single-threaded state machine that sums chunks in a fixed pool of slots per
 * job and returns the sums to every rank, as a programmable switch does in SwitchML.
 */
package dev.ina.aggregation;
