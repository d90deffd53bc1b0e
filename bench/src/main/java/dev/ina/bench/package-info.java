/**
 * JMH benchmarks of INA's hot paths, each per codec ({@code @Param codec}) and, where it matters, per chunk size
 * ({@code @Param elements}: 256, 2235 and 16368 values, the FP32 chunks of a 1500-byte MTU, a 9000-byte jumbo
 * frame and a loopback datagram):
 * <ul>
 *     <li>{@link dev.ina.bench.HeaderBenchmark}: the frame header and JOIN flyweights, write and read;</li>
 *     <li>{@link dev.ina.bench.CodecBenchmark}: the worker's exponent proposal, quantisation and dequantisation
 *     of one chunk;</li>
 *     <li>{@link dev.ina.bench.AccumulateBenchmark}: the aggregator's store, add and result encode of one payload,
 *     with time per payload byte as a secondary result;</li>
 *     <li>{@link dev.ina.bench.AggregatorBenchmark}: the aggregation engine per contribution, frames in, results
 *     out to a sender that discards them;</li>
 *     <li>{@link dev.ina.bench.WorkerBenchmark}: the worker engine per chunk of an all-reduce call, against a
 *     stand-in aggregator that answers at once.</li>
 * </ul>
 * Build with {@code mvn -B package -DskipTests -pl bench -am}, then for example
 * {@code java -jar bench/target/benchmarks.jar -f 1 -wi 3 -i 5 -prof gc} (all: 124 runs, about 20 minutes) or
 * {@code java -jar bench/target/benchmarks.jar AggregatorBenchmark -p codec=FIXED32 -p elements=2235}. Each
 * benchmark forks with {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED}; a {@code -jvmArgsAppend} on
 * the command line replaces it, so repeat the flag there. {@code bench/smoke.sh} runs every benchmark briefly and
 * fails if any allocates a byte or more per operation.
 */
package dev.ina.bench;
