package dev.ina.bench;

import dev.ina.aggregation.ChunkAggregator;
import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.codec.FixedPoint;
import dev.ina.codec.ValueCodec;
import dev.ina.config.AggregatorConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The aggregation engine end to end, per contribution: {@link ChunkAggregator#onFrame} fed CONTRIB frames of a
 * started job of {@code ranks} ranks, round-robin over the ranks and then on to the next sequence, as a lossless
 * network delivers them. Every {@code ranks}-th contribution finishes a chunk, so one operation averages
 * authentication, dedup, the sum (store or add) and 1/ranks of writing the RESULT and sending it to every rank
 * through a {@link CountingFrameSender} that discards it. Sequence numbers advance forever and reuse the job's
 * slot sets, so the state does not grow. Each operation rewrites the frame's sequence, slot and shadow flag (three
 * stores) before handing it over. Run {@code java -jar bench/target/benchmarks.jar AggregatorBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class AggregatorBenchmark
{
    private static final int WINDOW = 8;
    private static final int WINDOW_SHIFT = Integer.numberOfTrailingZeros(WINDOW);

    /** Codec of the job: a {@link Codec} constant. */
    @Param({"FP32", "FIXED32", "INT16", "INT8", "INT8_NARROW"})
    public String codec;

    /** Elements per chunk. */
    @Param({"256", "2235", "16368"})
    public int elements;

    /** Ranks in the job. */
    @Param({"4"})
    public int ranks;

    private final HeaderFlyweight header = new HeaderFlyweight();
    private CountingFrameSender sender;
    private Counters counters;
    private ChunkAggregator aggregator;
    private UnsafeBuffer[] frames;
    private int frameLength;
    private int rank;
    private int sequence;
    private long nowNs;

    /**
     * Starts a job (every rank joins), builds one CONTRIB frame per rank, and checks that chunks complete without
     * a single drop, so that the benchmark measures the accepting path.
     */
    @Setup
    public void setup()
    {
        final Codec c = Fixtures.codec(codec);
        sender = new CountingFrameSender();
        counters = new Counters("bench-aggregator");
        aggregator = new ChunkAggregator(AggregatorConfig.builder().build(), sender, counters, 42L);
        final UnsafeBuffer join = Fixtures.directBuffer(ControlFlyweight.JOIN_LENGTH);
        final ControlFlyweight control = new ControlFlyweight();
        for (int r = 0; r < ranks; r++)
        {
            control.wrap(join, 0, ControlFlyweight.JOIN_LENGTH)
                .writeHeader(FrameDescriptor.TYPE_JOIN, c.id())
                .jobId(Fixtures.JOB_ID)
                .rank(r)
                .round(r + 1);
            control.worldSize(ranks).window(WINDOW).elementsPerPacket(elements).mode(Mode.EXACT.id());
            aggregator.onFrame(join, 0, ControlFlyweight.JOIN_LENGTH, r, nowNs);
        }
        final int token = sender.joinAckToken();
        if (token == 0)
        {
            throw new IllegalStateException("the job did not start: " + counters);
        }

        final ValueCodec valueCodec = ValueCodec.create(c, elements, ranks);
        final float[][] values = new float[ranks][];
        int exponent = FrameDescriptor.EXPONENT_ZERO;
        for (int r = 0; r < ranks; r++)
        {
            values[r] = Fixtures.gradient(elements, r);
            exponent = Math.max(exponent, FixedPoint.exponentOf(values[r], 0, elements));
        }
        frames = new UnsafeBuffer[ranks];
        for (int r = 0; r < ranks; r++)
        {
            frames[r] = Fixtures.directBuffer(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
            header.wrap(frames[r], 0, frames[r].capacity())
                .writeHeader(FrameDescriptor.TYPE_CONTRIB, c.id())
                .jobId(Fixtures.JOB_ID)
                .sessionToken(token)
                .rank(r)
                .round(1)
                .count(elements)
                .exponent(c.isScaled() ? exponent : 0)
                .nextExponent(c.isScaled() ? exponent : 0);
            frameLength = FrameDescriptor.HEADER_LENGTH +
                valueCodec.encode(values[r], 0, elements, exponent, r, frames[r], FrameDescriptor.HEADER_LENGTH);
        }

        final long completed = counters.get(CounterDescriptor.CHUNKS_COMPLETED);
        for (int i = 0; i < 4 * WINDOW * ranks; i++)
        {
            contribute();
        }
        if (counters.totalDropped() != 0 || counters.get(CounterDescriptor.CHUNKS_COMPLETED) - completed != 4 * WINDOW)
        {
            throw new IllegalStateException("contributions were not accepted: " + counters);
        }
    }

    /**
     * One contribution: the next rank's CONTRIB for the current sequence.
     *
     * @return bytes sent so far, so the work is not eliminated.
     */
    @Benchmark
    public long contribute()
    {
        final int r = rank;
        final int s = sequence;
        final UnsafeBuffer frame = frames[r];
        header.wrap(frame, 0, frameLength)
            .flags(FrameDescriptor.shadowSetOf(s, WINDOW_SHIFT) * FrameDescriptor.FLAG_SHADOW_SET)
            .slot(s & (WINDOW - 1))
            .sequence(s);
        aggregator.onFrame(frame, 0, frameLength, r, nowNs);
        if (++rank == ranks)
        {
            rank = 0;
            sequence++;
            nowNs += 1_000;
        }
        return sender.bytes();
    }

    /**
     * Fails the run if any contribution was dropped during it.
     */
    @TearDown
    public void check()
    {
        if (counters.totalDropped() != 0)
        {
            throw new IllegalStateException("contributions were dropped: " + counters);
        }
    }
}
