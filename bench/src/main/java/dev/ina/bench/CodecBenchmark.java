package dev.ina.bench;

import dev.ina.api.Codec;
import dev.ina.codec.FixedPoint;
import dev.ina.codec.SumAccumulator;
import dev.ina.codec.ValueCodec;
import dev.ina.protocol.FrameDescriptor;
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

import java.util.concurrent.TimeUnit;

/**
 * The worker's per-chunk codec work, for every codec: the exponent proposal ({@link FixedPoint#exponentOf}),
 * quantisation of a chunk into a direct frame payload, the quantisation error kept for error feedback, and
 * dequantisation of a result payload. One operation is
 * one chunk of {@code elements} values; divide by {@code elements} for the cost per value. Run
 * {@code java -jar bench/target/benchmarks.jar CodecBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class CodecBenchmark
{
    /** Codec under test: a {@link Codec} constant. */
    @Param({"FP32", "FIXED32", "INT16", "INT8", "INT8_NARROW"})
    public String codec;

    /** Elements per chunk: the FP32 chunks of a 1500-byte MTU, a 9000-byte jumbo frame and a loopback datagram. */
    @Param({"256", "2235", "16368"})
    public int elements;

    private float[] values;
    private float[] decoded;
    private float[] residual;
    private UnsafeBuffer frame;
    private UnsafeBuffer result;
    private ValueCodec valueCodec;
    private int exponent;
    private int noiseKey;

    /**
     * Creates the inputs, and a result payload as the aggregator would send it (the sum of
     * {@link Fixtures#WORLD_SIZE} contributions, in the codec's result format) for decode to read.
     */
    @Setup
    public void setup()
    {
        final Codec c = Fixtures.codec(codec);
        values = Fixtures.gradient(elements, 7);
        decoded = new float[elements];
        residual = new float[elements];
        frame = Fixtures.directBuffer(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
        result = Fixtures.directBuffer(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
        valueCodec = ValueCodec.create(c, elements, Fixtures.WORLD_SIZE);
        exponent = valueCodec.exponentOf(values, 0, elements);
        final SumAccumulator sums = SumAccumulator.create(c, 2, elements, Fixtures.WORLD_SIZE);
        for (int rank = 0; rank < Fixtures.WORLD_SIZE; rank++)
        {
            final float[] contribution = Fixtures.gradient(elements, rank);
            valueCodec.encode(contribution, 0, elements, exponent, rank, frame, FrameDescriptor.HEADER_LENGTH);
            if (rank == 0)
            {
                sums.store(frame, FrameDescriptor.HEADER_LENGTH, elements, 0);
            }
            else
            {
                sums.add(frame, FrameDescriptor.HEADER_LENGTH, elements, 0);
            }
        }
        sums.encode(0, elements, 0, result, FrameDescriptor.HEADER_LENGTH);
        valueCodec.encode(values, 0, elements, exponent, 0, frame, FrameDescriptor.HEADER_LENGTH);
    }

    /**
     * Exponent proposal of a chunk: the largest float exponent (a max-abs reduction).
     *
     * @return the exponent.
     */
    @Benchmark
    public int exponentOf()
    {
        return FixedPoint.exponentOf(values, 0, elements);
    }

    /**
     * Quantise a chunk into a frame payload; the noise key changes per chunk as the worker's sequence does.
     *
     * @return bytes written.
     */
    @Benchmark
    public int encode()
    {
        return valueCodec.encode(values, 0, elements, exponent, noiseKey++, frame, FrameDescriptor.HEADER_LENGTH);
    }

    /**
     * Error feedback: the quantisation error of the chunk last encoded, kept as the tensor's residual.
     *
     * @return a value, so the work is not eliminated.
     */
    @Benchmark
    public float quantisationError()
    {
        valueCodec.quantisationError(values, 0, elements, exponent, residual, 0);
        return residual[elements - 1];
    }

    /**
     * Dequantise a result payload (AVG over the world size, the costlier case: one more multiply).
     *
     * @return a value, so the work is not eliminated.
     */
    @Benchmark
    public float decode()
    {
        valueCodec.decode(
            result, FrameDescriptor.HEADER_LENGTH, elements, exponent, 1, Fixtures.WORLD_SIZE, decoded, 0);
        return decoded[elements - 1];
    }
}
