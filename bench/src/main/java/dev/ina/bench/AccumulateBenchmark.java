package dev.ina.bench;

import dev.ina.api.Codec;
import dev.ina.codec.SumAccumulator;
import dev.ina.codec.ValueCodec;
import dev.ina.protocol.FrameDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The aggregator's summation kernel for every codec: {@link SumAccumulator#store} (first contribution of a chunk),
 * {@link SumAccumulator#add} (every further one) and {@link SumAccumulator#encode} (the result payload), over a
 * payload in a direct buffer as the transport delivers it. One operation is one payload of {@code elements}
 * values.
 * <p>
 * Besides ns/op, each benchmark reports a secondary result {@code :perByte}, counting the payload bytes moved (read
 * for store and add, written for encode). JMH prints it in the benchmark's mode, so in the default average-time
 * mode it is the time per payload byte: bytes/s = 1e9 / that value (0.1 ns/op = 10 GB/s). With
 * {@code -bm thrpt -tu s} JMH prints bytes/s directly (as "ops/s"). Run
 * {@code java -jar bench/target/benchmarks.jar AccumulateBenchmark -prof gc}; for the result cost of the int8 codecs
 * at INT8's largest chunk, {@code AccumulateBenchmark.encode -p codec=INT8,INT8_NARROW -p elements=32737}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class AccumulateBenchmark
{
    /** Codec under test: a {@link Codec} constant. */
    @Param({"FP32", "FIXED32", "INT16", "INT8", "INT8_NARROW"})
    public String codec;

    /** Elements per chunk. */
    @Param({"256", "2235", "16368"})
    public int elements;

    private UnsafeBuffer frame;
    private UnsafeBuffer result;
    private SumAccumulator accumulator;
    private int contributionLength;
    private int resultLength;
    private int noiseKey;

    /**
     * Payload bytes processed, reported by JMH as a secondary result next to ns/op.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes
    {
        /** Payload bytes processed in the current iteration; JMH reports time per byte under this name. */
        public long perByte;

        /**
         * Starts each iteration from zero.
         */
        @Setup(Level.Iteration)
        public void clean()
        {
            perByte = 0;
        }
    }

    /**
     * Creates a contribution payload in a direct frame and an accumulator of two sets, one of them holding a sum.
     */
    @Setup
    public void setup()
    {
        final Codec c = Fixtures.codec(codec);
        final float[] values = Fixtures.gradient(elements, 7);
        final ValueCodec valueCodec = ValueCodec.create(c, elements, Fixtures.WORLD_SIZE);
        frame = Fixtures.directBuffer(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
        result = Fixtures.directBuffer(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
        contributionLength = valueCodec.encode(values, 0, elements, valueCodec.exponentOf(values, 0, elements), 0,
            frame, FrameDescriptor.HEADER_LENGTH);
        accumulator = SumAccumulator.create(c, 2, elements, Fixtures.WORLD_SIZE);
        accumulator.store(frame, FrameDescriptor.HEADER_LENGTH, elements, 0);
        resultLength = accumulator.encode(0, elements, 0, result, FrameDescriptor.HEADER_LENGTH);
    }

    /**
     * A chunk's first contribution replaces the set's sum.
     *
     * @param counter payload bytes.
     */
    @Benchmark
    public void store(final Bytes counter)
    {
        accumulator.store(frame, FrameDescriptor.HEADER_LENGTH, elements, 1);
        counter.perByte += contributionLength;
    }

    /**
     * A further contribution is added to the set's sum. The sum keeps growing across operations; integer sums wrap
     * and float sums grow, neither of which changes the cost.
     *
     * @param counter payload bytes.
     */
    @Benchmark
    public void add(final Bytes counter)
    {
        accumulator.add(frame, FrameDescriptor.HEADER_LENGTH, elements, 0);
        counter.perByte += contributionLength;
    }

    /**
     * A finished set's sum is written as a result payload (INT8_NARROW rounds it to int8 here); the noise key
     * changes per result as the chunk sequence does.
     *
     * @param counter payload bytes.
     * @return payload length.
     */
    @Benchmark
    public int encode(final Bytes counter)
    {
        counter.perByte += resultLength;
        return accumulator.encode(1, elements, noiseKey++, result, FrameDescriptor.HEADER_LENGTH);
    }
}
