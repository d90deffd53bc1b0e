package dev.ina.bench;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.codec.SumAccumulator;
import dev.ina.codec.ValueCodec;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.Counters;
import dev.ina.worker.WorkerSession;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The worker's streaming engine per chunk: a {@link WorkerSession} runs whole all-reduce calls (AVG) of
 * {@value #CHUNKS} chunks against an {@link EchoAggregator} that answers every CONTRIB at once with a pre-built
 * RESULT. Each operation is one data chunk: its share of the call, i.e. building and sending the CONTRIB (exponent
 * proposal, quantisation) and taking its RESULT (checks, window bookkeeping, dequantisation in place). Scaled
 * codecs also send {@code min(window, chunks)} = {@value #WINDOW} empty exponent-agreement chunks per call, which
 * this per-chunk figure includes. {@link #allReduceErrorFeedback} adds the error-feedback work that
 * {@code Collective.register} tensors do. No transport, no clock: a fake time advances by 1 µs per result. Run
 * {@code java -jar bench/target/benchmarks.jar WorkerBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class WorkerBenchmark
{
    private static final int WINDOW = 8;
    private static final int CHUNKS = 64;
    private static final long STEP_NS = 1_000;

    /** Codec of the job: a {@link Codec} constant. */
    @Param({"FP32", "FIXED32", "INT16", "INT8", "INT8_NARROW"})
    public String codec;

    /** Elements per chunk. */
    @Param({"256", "2235", "16368"})
    public int elements;

    private EchoAggregator aggregator;
    private WorkerSession session;
    private float[] data;
    private float[] residual;
    private long nowNs;

    /**
     * Joins the stand-in aggregator, builds the gradient (the same chunk repeated, so every chunk has the same
     * exponent) and the one RESULT payload (the sum of {@link Fixtures#WORLD_SIZE} contributions), and checks that
     * a call completes. AVG of that sum decodes to about the chunk itself, so the gradient stays the same from call
     * to call.
     */
    @Setup
    public void setup()
    {
        final Codec c = Fixtures.codec(codec);
        final WorkerConfig config = WorkerConfig.builder()
            .aggregator("127.0.0.1", 47_100)
            .jobId(Fixtures.JOB_ID)
            .rank(0)
            .worldSize(Fixtures.WORLD_SIZE)
            .codec(c)
            .window(WINDOW)
            .elementsPerPacket(elements)
            .build();
        aggregator = new EchoAggregator(c.id(), Fixtures.JOB_ID, Fixtures.WORLD_SIZE, WINDOW, elements);
        session = new WorkerSession(config, aggregator, new Counters("bench-worker"), 1);
        session.startJoin(nowNs);
        aggregator.acceptJoin(session, 0, nowNs);
        if (session.state() != WorkerSession.State.READY)
        {
            throw new IllegalStateException("the session did not join: " + session.state());
        }

        final float[] chunk = Fixtures.gradient(elements, 7);
        data = new float[CHUNKS * elements];
        residual = new float[CHUNKS * elements];
        for (int i = 0; i < CHUNKS; i++)
        {
            System.arraycopy(chunk, 0, data, i * elements, elements);
        }
        final ValueCodec valueCodec = ValueCodec.create(c, elements, Fixtures.WORLD_SIZE);
        final int exponent = valueCodec.exponentOf(chunk, 0, elements);
        final UnsafeBuffer scratch = Fixtures.directBuffer(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
        valueCodec.encode(chunk, 0, elements, exponent, 0, scratch, 0);
        final SumAccumulator sums = SumAccumulator.create(c, 2, elements, Fixtures.WORLD_SIZE);
        sums.store(scratch, 0, elements, 0);
        for (int r = 1; r < Fixtures.WORLD_SIZE; r++)
        {
            sums.add(scratch, 0, elements, 0);
        }
        aggregator.resultPayload(exponent,
            sums.encode(0, elements, 0, aggregator.resultFrame(), FrameDescriptor.HEADER_LENGTH));

        allReduce();
        allReduceErrorFeedback();
    }

    /**
     * One all-reduce call of {@value #CHUNKS} chunks, reported per chunk.
     *
     * @return results delivered, so the work is not eliminated.
     */
    @Benchmark
    @OperationsPerInvocation(CHUNKS)
    public int allReduce()
    {
        session.startCall(data, 0, data.length, ReduceOp.AVG, nowNs);
        return finishCall();
    }

    /**
     * One all-reduce call of {@value #CHUNKS} chunks with error feedback (a tensor's residual added before
     * quantising and the new error kept), reported per chunk. FP32 keeps no residual, so it equals
     * {@link #allReduce} there.
     *
     * @return results delivered, so the work is not eliminated.
     */
    @Benchmark
    @OperationsPerInvocation(CHUNKS)
    public int allReduceErrorFeedback()
    {
        session.startCall(data, 0, data.length, ReduceOp.AVG, residual, nowNs);
        return finishCall();
    }

    private int finishCall()
    {
        final int delivered = aggregator.deliver(session, nowNs, STEP_NS);
        nowNs += delivered * STEP_NS;
        if (!session.isReady())
        {
            throw new IllegalStateException("the call did not complete: " + session.state(), session.failure());
        }
        return delivered;
    }
}
