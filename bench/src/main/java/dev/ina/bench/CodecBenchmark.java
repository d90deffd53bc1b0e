package dev.ina.bench;

import dev.ina.api.Codec;
import dev.ina.codec.SumAccumulator;
import dev.ina.codec.ValueCodec;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Per-chunk hot paths of each codec: the worker's exponent proposal, quantisation and dequantisation, and the
 * aggregator's accumulate. Run {@code java -jar bench/target/benchmarks.jar CodecBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class CodecBenchmark
{
    /** Codec under test. */
    @Param({"FP32", "FIXED32"})
    public Codec codec;

    /** Elements per packet. */
    @Param({"256", "16368"})
    public int elements;

    private float[] values;
    private UnsafeBuffer frame;
    private ValueCodec valueCodec;
    private SumAccumulator accumulator;

    /**
     * Creates the inputs.
     */
    @Setup
    public void setup()
    {
        final SplittableRandom random = new SplittableRandom(7);
        values = new float[elements];
        for (int i = 0; i < elements; i++)
        {
            values[i] = (float)(random.nextDouble() - 0.5);
        }
        frame = new UnsafeBuffer(ByteBuffer.allocateDirect(elements * 4 + 64));
        valueCodec = ValueCodec.create(codec, elements, 4);
        accumulator = SumAccumulator.create(codec, 2, elements, 4);
        valueCodec.encode(values, 0, elements, valueCodec.exponentOf(values, 0, elements), 0, frame, 0);
    }

    /**
     * Exponent proposal of a chunk.
     *
     * @return the exponent.
     */
    @Benchmark
    public int exponentOf()
    {
        return valueCodec.exponentOf(values, 0, elements);
    }

    /**
     * Quantise a chunk into a frame payload.
     *
     * @return bytes written.
     */
    @Benchmark
    public int encode()
    {
        return valueCodec.encode(values, 0, elements, -1, 0, frame, 0);
    }

    /**
     * Dequantise a result payload.
     *
     * @return a value, so the work is not eliminated.
     */
    @Benchmark
    public float decode()
    {
        valueCodec.decode(frame, 0, elements, -1, 1, 1, values, 0);
        return values[0];
    }

    /**
     * Add a contribution into a slot set at the aggregator.
     */
    @Benchmark
    public void accumulate()
    {
        accumulator.add(frame, 0, elements, 1);
    }
}
