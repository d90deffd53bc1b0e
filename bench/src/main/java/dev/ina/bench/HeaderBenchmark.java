package dev.ina.bench;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The wire header's flyweights over a direct buffer: wrap and write every field of a CONTRIB header (as the worker
 * does per chunk), wrap and read every field (as both engines do per frame), and the same for a JOIN's control
 * fields. Run {@code java -jar bench/target/benchmarks.jar HeaderBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class HeaderBenchmark
{
    private final HeaderFlyweight header = new HeaderFlyweight();
    private final ControlFlyweight control = new ControlFlyweight();
    private UnsafeBuffer frame;
    private UnsafeBuffer joinFrame;
    private int sequence;

    /**
     * Creates the frames and writes one of each so that the read benchmarks read a well-formed frame.
     */
    @Setup
    public void setup()
    {
        frame = Fixtures.directBuffer(FrameDescriptor.HEADER_LENGTH + 1024);
        joinFrame = Fixtures.directBuffer(ControlFlyweight.JOIN_LENGTH);
        writeHeader();
        writeJoin();
    }

    /**
     * Wrap and write a full CONTRIB header; the sequence advances so that each write differs.
     *
     * @return the frame length, so the work is not eliminated.
     */
    @Benchmark
    public int writeHeader()
    {
        final int s = sequence++;
        return header.wrap(frame, 0, frame.capacity())
            .writeHeader(FrameDescriptor.TYPE_CONTRIB, FrameDescriptor.CODEC_FIXED32)
            .flags(FrameDescriptor.shadowSetOf(s, 3) * FrameDescriptor.FLAG_SHADOW_SET)
            .jobId(Fixtures.JOB_ID)
            .sessionToken(0x5EED)
            .rank(3)
            .slot(s & 7)
            .round(11)
            .sequence(s)
            .count(256)
            .exponent(-2)
            .nextExponent(-3)
            .contributors(0)
            .frameLength(FrameDescriptor.HEADER_LENGTH + 1024)
            .frameLength();
    }

    /**
     * Wrap and read every header field.
     *
     * @return a combination of the fields, so the reads are not eliminated.
     */
    @Benchmark
    public long readHeader()
    {
        final HeaderFlyweight h = header.wrap(frame, 0, frame.capacity());
        long acc = h.version();
        acc = acc * 31 + h.type();
        acc = acc * 31 + h.flags();
        acc = acc * 31 + h.codec();
        acc = acc * 31 + h.jobId();
        acc = acc * 31 + h.sessionToken();
        acc = acc * 31 + h.rank();
        acc = acc * 31 + h.slot();
        acc = acc * 31 + h.round();
        acc = acc * 31 + h.sequence();
        acc = acc * 31 + h.count();
        acc = acc * 31 + h.exponent();
        acc = acc * 31 + h.nextExponent();
        acc = acc * 31 + h.contributors();
        return acc * 31 + h.payloadLength();
    }

    /**
     * Wrap and write a JOIN: header and the job's parameters.
     *
     * @return the frame length.
     */
    @Benchmark
    public int writeJoin()
    {
        control.wrap(joinFrame, 0, ControlFlyweight.JOIN_LENGTH)
            .writeHeader(FrameDescriptor.TYPE_JOIN, FrameDescriptor.CODEC_FIXED32)
            .jobId(Fixtures.JOB_ID)
            .rank(3)
            .round(sequence++);
        return control.worldSize(Fixtures.WORLD_SIZE)
            .window(64)
            .elementsPerPacket(2235)
            .mode(0)
            .frameLength();
    }

    /**
     * Wrap and read a JOIN's fields, as the aggregator does.
     *
     * @return a combination of the fields.
     */
    @Benchmark
    public long readJoin()
    {
        final ControlFlyweight c = control;
        c.wrap(joinFrame, 0, ControlFlyweight.JOIN_LENGTH);
        long acc = c.version();
        acc = acc * 31 + c.type();
        acc = acc * 31 + c.codec();
        acc = acc * 31 + c.jobId();
        acc = acc * 31 + c.rank();
        acc = acc * 31 + c.round();
        acc = acc * 31 + c.worldSize();
        acc = acc * 31 + c.window();
        acc = acc * 31 + c.elementsPerPacket();
        return acc * 31 + c.mode();
    }
}
