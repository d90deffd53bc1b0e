package dev.ina.worker;

import dev.ina.api.CollectiveException;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.FrameProof;
import dev.ina.protocol.JobSpec;
import dev.ina.status.Counters;
import dev.ina.transport.FrameHandler;
import dev.ina.transport.FrameSender;
import org.agrona.MutableDirectBuffer;

import java.nio.FloatBuffer;


/**
 * The worker's engine for one rank of one job: the JOIN handshake, then all-reduce calls that stream chunks through
 * a window of slots, and LEAVE. This class is the session's state machine and dispatches frames; the parts each do
 * one job: {@link JoinHandshake} joins, {@link ChunkStream} runs a call's chunks with a {@link ChunkWindow},
 * {@link ExponentAgreement}, {@link RetransmitTimer} ({@link RttEstimator}) and {@link CongestionControl}
 * ({@link AimdWindow}); {@link WorkerProxy} writes every frame; {@link StallReport} explains a timeout. With a job
 * secret ({@link WorkerConfig#hasSecret()}) the session's control frames prove it and those it accepts from the
 * aggregator must prove it back (see {@link dev.ina.protocol.ControlFlyweight}).
 * <p>
 * A call of {@code C} data chunks uses {@code H + C} consecutive sequence numbers. Scaled codecs first send
 * {@code H = min(window, C)} empty exponent-agreement chunks; every chunk {@code s} carries this rank's exponent
 * proposal for chunk {@code s + H}, and its result carries the agreed maximum, so each data chunk is quantised
 * with an exponent every rank agreed on before it is sent (SwitchML's piggy-back). Unscaled codecs use
 * {@code H = 0}. Sequence {@code s} is sent only once the result of {@code s - window} arrived (a sliding window
 * of at most {@code window} chunks), which is what lets the aggregator reuse slot sets safely; the window in use
 * shrinks by half on a loss episode and grows by one per window of results, so the window paces rather than
 * floods. Lost chunks are retransmitted after an adaptive timeout (Jacobson's estimator, Karn's rule, exponential
 * back-off); a call with no progress for the configured timeout fails with a {@link CollectiveException} that says
 * which side went silent.
 * <p>
 * Pure and single-threaded: no sockets, no clocks, no threads. The owner calls {@link #onFrame} and
 * {@link #doWork} from one thread and passes the time.
 */
public final class WorkerSession implements FrameHandler
{
    /** Peer id of the aggregator in {@link FrameSender#send}. */
    public static final int AGGREGATOR_PEER = 0;

    private static final int LEAVE_COPIES = 3;

    /** Life cycle of a session. */
    public enum State
    {
        /** Created; {@link #startJoin} not called yet. */
        NEW,
        /** JOIN sent, waiting for every rank to join. */
        JOINING,
        /** Joined; no call in progress. */
        READY,
        /** An all-reduce call is in progress. */
        CALL,
        /** Failed; {@link #failure()} says why. No further calls. */
        FAILED,
        /** Left the job. */
        CLOSED
    }

    private final WorkerConfig config;
    private final WorkerProxy proxy;
    private final StallReport stall;
    private final JoinHandshake join;
    private final ChunkStream stream;
    private final WorkerAdapter adapter;
    private final ReduceStats stats = new ReduceStats();
    private State state = State.NEW;
    private CollectiveException failure;

    /**
     * Creates a session; nothing is sent until {@link #startJoin}.
     *
     * @param config   worker configuration.
     * @param sender   how frames reach the aggregator (peer {@link #AGGREGATOR_PEER}).
     * @param counters where drops and traffic are counted.
     * @param nonce    random per process start, so the aggregator can tell a restarted rank; not 0.
     */
    public WorkerSession(final WorkerConfig config, final FrameSender sender, final Counters counters, final int nonce)
    {
        this.config = config;
        final JobSpec spec = new JobSpec(config.codec(), config.worldSize(), config.window(),
            config.elementsPerPacket(), config.mode(), config.quorum(), config.deadlineNs(), config.adaptiveDeadline());
        final FrameProof proof = config.hasSecret() ? new FrameProof(config.secret()) : null;
        proxy = new WorkerProxy(sender, counters, stats, config.jobId(), config.rank(), spec, proof);
        stall = new StallReport(config.worldSize(), config.maxRtoNs(),
            config.aggregatorHost() + ':' + config.aggregatorPort());
        join = new JoinHandshake(proxy, spec, config.rank(), nonce, config.joinTimeoutNs(), stall,
            config.aggregatorHost(), proof);
        final RttEstimator rtt = new RttEstimator(config.initialRtoNs(), config.minRtoNs(), config.maxRtoNs());
        final boolean bounded = config.mode() == Mode.BOUNDED;
        stream = new ChunkStream(spec, config.jobId(), config.rank(), config.timeoutNs(),
            new RetransmitTimer(rtt, bounded, config.deadlineNs()), new AimdWindow(config.window()), proxy, stall,
            counters, stats);
        adapter = new WorkerAdapter(this, join, stream, stall, counters, config.jobId(), config.worldSize());
    }

    /**
     * Current state.
     *
     * @return state.
     */
    public State state()
    {
        return state;
    }

    /**
     * Why the session failed, or null.
     *
     * @return the failure.
     */
    public CollectiveException failure()
    {
        return failure;
    }

    /**
     * Statistics of the current or last call; overwritten by the next call.
     *
     * @return stats.
     */
    public ReduceStats stats()
    {
        return stats;
    }

    /**
     * Window in use after congestion control.
     *
     * @return chunks in flight allowed.
     */
    public int congestionWindow()
    {
        return stream.congestionWindow();
    }

    /**
     * Current retransmission timeout.
     *
     * @return nanoseconds.
     */
    public long rtoNs()
    {
        return stream.rtoNs();
    }

    /**
     * Sends JOIN; repeated by {@link #doWork} until every rank joined or the join timeout passes.
     *
     * @param nowNs current time.
     */
    public void startJoin(final long nowNs)
    {
        requireState(State.NEW, "startJoin");
        state = State.JOINING;
        join.start(nowNs);
    }

    /**
     * The aggregator port this session was redirected to while joining (the job is served by another of the
     * aggregator's engine threads), or 0. The owner reconnects to it and calls {@link #redirected}.
     *
     * @return port or 0.
     */
    public int redirectPort()
    {
        return join.redirectPort();
    }

    /**
     * The owner now sends to the redirect port: join there at once, within the original join deadline.
     *
     * @param nowNs current time.
     */
    public void redirected(final long nowNs)
    {
        if (state == State.JOINING && join.redirectPort() != 0)
        {
            join.redirected(nowNs);
        }
    }

    /**
     * Starts an all-reduce of a float[] range, in place.
     *
     * @param data   values; overwritten with the result when the call completes.
     * @param offset first element.
     * @param count  elements.
     * @param op     reduction.
     * @param nowNs  current time.
     */
    public void startCall(final float[] data, final int offset, final int count, final ReduceOp op, final long nowNs)
    {
        startCall(data, offset, count, op, null, nowNs);
    }

    /**
     * Starts an all-reduce of a float[] range, in place, with error feedback: before a chunk is quantised, the
     * residual of the previous call is added to it, and the new quantisation error is kept in {@code residual}
     * (used by scaled codecs; FP32 leaves it unchanged).
     *
     * @param data     values; overwritten with the result when the call completes.
     * @param offset   first element.
     * @param count    elements.
     * @param op       reduction.
     * @param residual error feedback state of this tensor, at least {@code count} long, or null for none.
     * @param nowNs    current time.
     */
    public void startCall(
        final float[] data, final int offset, final int count, final ReduceOp op, final float[] residual,
        final long nowNs)
    {
        if (offset < 0 || count < 0 || offset > data.length - count)
        {
            throw new IndexOutOfBoundsException(
                "offset=" + offset + " count=" + count + " length=" + data.length);
        }
        checkResidual(residual, count);
        requireState(State.READY, "allReduce");
        state = State.CALL;
        stream.begin(data, offset, count, op, residual, nowNs);
        afterStream();
    }

    /**
     * Starts an all-reduce of a FloatBuffer range (heap or direct), in place; the buffer's position and limit are
     * not changed.
     *
     * @param data  values; overwritten with the result when the call completes.
     * @param index first element (absolute index); {@code index + count} must not exceed the buffer's limit.
     * @param count elements.
     * @param op    reduction.
     * @param nowNs current time.
     */
    public void startCall(final FloatBuffer data, final int index, final int count, final ReduceOp op, final long nowNs)
    {
        startCall(data, index, count, op, null, nowNs);
    }

    /**
     * Starts an all-reduce of a FloatBuffer range (heap or direct), in place, with error feedback (see
     * {@link #startCall(float[], int, int, ReduceOp, float[], long)}); the buffer's position and limit are not
     * changed.
     *
     * @param data     values; overwritten with the result when the call completes.
     * @param index    first element (absolute index); {@code index + count} must not exceed the buffer's limit.
     * @param count    elements.
     * @param op       reduction.
     * @param residual error feedback state of this tensor, at least {@code count} long, or null for none.
     * @param nowNs    current time.
     */
    public void startCall(
        final FloatBuffer data, final int index, final int count, final ReduceOp op, final float[] residual,
        final long nowNs)
    {
        // Absolute bulk get and put stop at the limit: check here so that a bad range fails now, not mid-call.
        if (index < 0 || count < 0 || index > data.limit() - count)
        {
            throw new IndexOutOfBoundsException(
                "index=" + index + " count=" + count + " limit=" + data.limit());
        }
        if (data.isReadOnly())
        {
            throw new IllegalArgumentException("allReduce needs a writable buffer: the result is written in place");
        }
        checkResidual(residual, count);
        requireState(State.READY, "allReduce");
        state = State.CALL;
        stream.begin(data, index, count, op, residual, nowNs);
        afterStream();
    }

    /**
     * Whether the last call completed (state back to READY).
     *
     * @return true when no call is in progress and the session has not failed.
     */
    public boolean isReady()
    {
        return state == State.READY;
    }

    /**
     * Leaves the job: sends LEAVE (several copies, best effort) and closes the session. A call in progress fails.
     *
     * @param nowNs current time.
     */
    public void leave(final long nowNs)
    {
        if (state == State.CALL)
        {
            fail(CollectiveException.Reason.CLOSED, "the collective was closed during allReduce round " +
                stream.round());
        }
        final int token = stream.token();
        if (token != 0 && (state == State.READY || state == State.FAILED))
        {
            for (int i = 0; i < LEAVE_COPIES; i++)
            {
                proxy.leave(token, stream.round());
            }
        }
        else if (token == 0 && state != State.NEW && state != State.CLOSED)
        {
            // Never joined (timed out or closed while waiting): withdraw the JOIN so that the job cannot start
            // later counting this rank as present.
            join.withdraw(LEAVE_COPIES);
        }
        if (state != State.FAILED)
        {
            state = State.CLOSED;
        }
        stream.release();
    }

    /**
     * Drives timers: JOIN retries, retransmissions, timeouts.
     *
     * @param nowNs current time.
     * @return amount of work done (frames sent or state changes).
     */
    public int doWork(final long nowNs)
    {
        if (state == State.JOINING)
        {
            final int work = join.doWork(nowNs);
            if (work < 0)
            {
                fail(CollectiveException.Reason.TIMEOUT, join.describeTimeout());
                return 1;
            }
            return work;
        }
        if (state == State.CALL)
        {
            final int work = stream.doWork(nowNs);
            afterStream();
            return work;
        }
        return 0;
    }

    @Override
    public void onFrame(
        final MutableDirectBuffer buffer, final int offset, final int length, final int peer, final long nowNs)
    {
        adapter.onFrame(buffer, offset, length, peer, nowNs);
    }

    /**
     * The aggregator acknowledged the JOIN: every rank joined.
     */
    void onJoined(final int token, final int firstSequence, final long nowNs)
    {
        stream.joined(token, firstSequence);
        stall.heard(nowNs);
        state = State.READY;
    }

    /**
     * After the stream handled a frame or a timer: a completed call makes the session ready, a failed one fails it.
     */
    void afterStream()
    {
        if (state != State.CALL)
        {
            return;
        }
        final int outcome = stream.outcome();
        if (outcome == ChunkStream.COMPLETE)
        {
            state = State.READY;
        }
        else if (outcome == ChunkStream.FAILED)
        {
            fail(stream.failureReason(), stream.failureMessage());
        }
    }

    private static void checkResidual(final float[] residual, final int count)
    {
        if (residual != null && residual.length < count)
        {
            throw new IllegalArgumentException("residual holds " + residual.length + " elements, the call " + count);
        }
    }

    private void requireState(final State expected, final String operation)
    {
        if (state != expected)
        {
            if (state == State.FAILED)
            {
                throw new CollectiveException(failure.reason(),
                    operation + " after the collective failed: " + failure.getMessage(), failure);
            }
            if (state == State.CLOSED)
            {
                throw new CollectiveException(CollectiveException.Reason.CLOSED, operation + " after close");
            }
            throw new IllegalStateException(operation + " needs state " + expected + " but the session is " + state);
        }
    }

    void fail(final CollectiveException.Reason reason, final String message)
    {
        if (state != State.FAILED)
        {
            failure = new CollectiveException(reason,
                "job " + config.jobId() + " rank " + config.rank() + "/" + config.worldSize() + ": " + message);
            state = State.FAILED;
            stream.release();
        }
    }
}
