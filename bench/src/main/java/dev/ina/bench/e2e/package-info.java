/**
 * The end-to-end all-reduce benchmark ({@code bench/bin/ina-bench}): an aggregator and N workers (threads or
 * processes) all-reduce float32 tensors of several sizes per codec and mode; latency goes to HdrHistogram and the
 * report (CSV, JSON, Markdown) gives p50/p99, algbw, busbw, packet rate, CPU seconds and retransmits per case.
 */
package dev.ina.bench.e2e;
