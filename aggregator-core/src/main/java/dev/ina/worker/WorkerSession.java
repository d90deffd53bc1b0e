package dev.ina.worker;

import dev.ina.api.CollectiveException;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.codec.FixedPoint;
import dev.ina.codec.ValueCodec;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.FrameHandler;
import dev.ina.transport.FrameSender;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;

import static dev.ina.protocol.FrameDescriptor.EXPONENT_ZERO;
import static dev.ina.protocol.FrameDescriptor.FLAG_LAST;
import static dev.ina.protocol.FrameDescriptor.FLAG_RETRANSMIT;
import static dev.ina.protocol.FrameDescriptor.FLAG_SHADOW_SET;
import static dev.ina.protocol.FrameDescriptor.HEADER_LENGTH;

/**
 * The worker's streaming engine for one rank of one job: the JOIN handshake, then all-reduce calls that stream
 * chunks through a window of slots, and LEAVE.
 * <p>
 * A call of {@code C} data chunks uses {@code H + C} consecutive sequence numbers. Scaled codecs first send
 * {@code H = min(window, C)} empty exponent-agreement chunks; every chunk {@code s} carries this rank's exponent
 * proposal for chunk {@code s + H}, and its result carries the agreed maximum, so each data chunk is quantised
 * with an exponent every rank agreed on before it is sent (SwitchML's piggy-back). Unscaled codecs use
 * {@code H = 0}. Sequence {@code s} is sent only once the result of {@code s - window} arrived (a sliding window
 * of at most {@code window} chunks), which is what lets the aggregator reuse slot sets safely; the window in use
 * shrinks by half on a timeout and grows by one per window of results, so the window paces rather than floods.
 * Lost chunks are retransmitted after an adaptive timeout (Jacobson's estimator, Karn's rule, exponential back-off);
 * a call with no progress for the configured timeout fails with a {@link CollectiveException} that says which
 * side went silent.
 * <p>
 * Pure and single-threaded: no sockets, no clocks, no threads. The owner calls {@link #onFrame} and
 * {@link #doWork} from one thread and passes the time.
 */
public final class WorkerSession implements FrameHandler
{
    /** Peer id of the aggregator in {@link FrameSender#send}. */
    public static final int AGGREGATOR_PEER = 0;

    private static final long JOIN_RETRY_MIN_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long JOIN_RETRY_MAX_NS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final int LEAVE_COPIES = 3;
    private static final int MAX_LISTED_RANKS = 16;
    private static final int FAST_RETRANSMIT_THRESHOLD = 3;
    private static final int GIVE_UP_RTOS = 4;
    private static final long MIN_BOUNDED_RTO_NS = TimeUnit.MICROSECONDS.toNanos(200);

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
    private final FrameSender sender;
    private final Counters counters;
    private final ValueCodec codec;
    private final boolean scaled;
    private final int window;
    private final int windowShift;
    private final int elementsPerPacket;
    private final int worldSize;
    private final int rank;
    private final int nonce;
    private final boolean bounded;
    private String aggregatorName;
    private int redirectPort;

    private final UnsafeBuffer ownFrameBuffer =
        new UnsafeBuffer(ByteBuffer.allocateDirect(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH));
    /** The frame being written: the sender's claimed memory (sent without a copy) or {@link #ownFrameBuffer}. */
    private MutableDirectBuffer frameBuffer = ownFrameBuffer;
    private final ControlFlyweight out = new ControlFlyweight();
    private final ControlFlyweight in = new ControlFlyweight();
    private final GradientView gradient;
    private final ReduceStats stats = new ReduceStats();

    // Per window entry, indexed by sequence & (window - 1): valid for sequences in [lowest, next).
    private final long[] sentNs;
    private final long[] firstSentNs;
    private final int[] retries;
    private final boolean[] received;
    private final boolean[] held;
    private final boolean[] fastRetransmitted;
    // Agreed exponents, indexed by sequence & (2 * window - 1), valid where agreedFor matches the sequence.
    private final int[] agreedFor;
    private final byte[] agreedExponent;
    // This rank's own proposals, the fallback exponent in bounded mode when the agreement's result never came.
    private final byte[] ownExponent;
    private final long[] pendingSeen;

    private State state = State.NEW;
    private CollectiveException failure;
    private int token;
    private int nextSequence;
    private int round;

    private long joinDeadlineNs;
    private long nextJoinSendNs;
    private long joinRetryNs;
    private boolean joinPendingHeard;

    private int base;
    private int headerChunks;
    private int dataChunks;
    private int totalChunks;
    private int elementCount;
    private ReduceOp op;
    private float[] residual;
    private long silentCarryNs;
    private int lowest;
    private int next;
    private long callStartNs;
    private long lastProgressNs;
    private long lastHeardNs;
    private long lastPendingNs;
    private boolean callPendingHeard;
    private int pendingSequence;
    private long nextTimerCheckNs;

    private int congestionWindow;
    private int congestionCredit;
    private int receivedAhead;
    private int windowBeforeLoss;
    private long rtoBeforeLoss;
    private int recoverySequence;
    private long srttNs;
    private long rttVarNs;
    private long rtoNs;

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
        this.sender = sender;
        this.counters = counters;
        this.codec = ValueCodec.create(config.codec(), config.elementsPerPacket(), config.worldSize());
        this.scaled = config.codec().isScaled();
        this.window = config.window();
        this.windowShift = Integer.numberOfTrailingZeros(window);
        this.elementsPerPacket = config.elementsPerPacket();
        this.worldSize = config.worldSize();
        this.rank = config.rank();
        this.nonce = nonce;
        this.bounded = config.mode() == Mode.BOUNDED;
        this.aggregatorName = config.aggregatorHost() + ':' + config.aggregatorPort();
        this.gradient = new GradientView(elementsPerPacket);
        sentNs = new long[window];
        firstSentNs = new long[window];
        retries = new int[window];
        received = new boolean[window];
        held = new boolean[window];
        fastRetransmitted = new boolean[window];
        agreedFor = new int[2 * window];
        agreedExponent = new byte[2 * window];
        ownExponent = new byte[2 * window];
        pendingSeen = new long[ControlFlyweight.wordsFor(worldSize)];
        congestionWindow = window;
        rtoNs = config.initialRtoNs();
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
        return congestionWindow;
    }

    /**
     * Current retransmission timeout.
     *
     * @return nanoseconds.
     */
    public long rtoNs()
    {
        return rtoNs;
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
        joinDeadlineNs = nowNs + config.joinTimeoutNs();
        joinRetryNs = JOIN_RETRY_MIN_NS;
        sendJoin(nowNs);
    }

    /**
     * The aggregator port this session was redirected to while joining (the job is served by another of the
     * aggregator's engine threads), or 0. The owner reconnects to it and calls {@link #redirected}.
     *
     * @return port or 0.
     */
    public int redirectPort()
    {
        return redirectPort;
    }

    /**
     * The owner now sends to the redirect port: join there at once, within the original join deadline.
     *
     * @param nowNs current time.
     */
    public void redirected(final long nowNs)
    {
        if (state == State.JOINING && redirectPort != 0)
        {
            aggregatorName = config.aggregatorHost() + ':' + redirectPort;
            redirectPort = 0;
            joinRetryNs = JOIN_RETRY_MIN_NS;
            sendJoin(nowNs);
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
        if (residual != null && residual.length < count)
        {
            throw new IllegalArgumentException("residual holds " + residual.length + " elements, the call " + count);
        }
        requireState(State.READY, "allReduce");
        gradient.wrap(data, offset);
        this.residual = scaled ? residual : null;
        beginCall(count, op, nowNs);
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
        if (residual != null && residual.length < count)
        {
            throw new IllegalArgumentException("residual holds " + residual.length + " elements, the call " + count);
        }
        requireState(State.READY, "allReduce");
        gradient.wrap(data, index);
        this.residual = scaled ? residual : null;
        beginCall(count, op, nowNs);
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
            fail(CollectiveException.Reason.CLOSED, "the collective was closed during allReduce round " + round);
        }
        if (token != 0 && (state == State.READY || state == State.FAILED))
        {
            for (int i = 0; i < LEAVE_COPIES; i++)
            {
                header(FrameDescriptor.TYPE_LEAVE, 0).sessionToken(token).round(round);
                send(HEADER_LENGTH, false);
            }
        }
        else if (token == 0 && state != State.NEW && state != State.CLOSED)
        {
            // Never joined (timed out or closed while waiting): withdraw the JOIN so that the job cannot start
            // later counting this rank as present.
            for (int i = 0; i < LEAVE_COPIES; i++)
            {
                header(FrameDescriptor.TYPE_LEAVE, 0).round(nonce);
                send(HEADER_LENGTH, false);
            }
        }
        if (state != State.FAILED)
        {
            state = State.CLOSED;
        }
        gradient.release();
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
            return joinWork(nowNs);
        }
        if (state == State.CALL)
        {
            return callWork(nowNs);
        }
        return 0;
    }

    @Override
    public void onFrame(
        final MutableDirectBuffer buffer, final int offset, final int length, final int peer, final long nowNs)
    {
        counters.increment(CounterDescriptor.FRAMES_RECEIVED);
        counters.add(CounterDescriptor.BYTES_RECEIVED, length);
        if (length < HEADER_LENGTH)
        {
            counters.increment(CounterDescriptor.DROP_SHORT);
            return;
        }
        in.wrap(buffer, offset, length);
        if (in.version() != FrameDescriptor.VERSION)
        {
            counters.increment(CounterDescriptor.DROP_VERSION);
            return;
        }
        if (in.jobId() != config.jobId())
        {
            counters.increment(CounterDescriptor.DROP_UNKNOWN_JOB);
            return;
        }
        switch (in.type())
        {
            case FrameDescriptor.TYPE_RESULT:
                onResult(length, nowNs);
                break;
            case FrameDescriptor.TYPE_PENDING:
                onPending(nowNs);
                break;
            case FrameDescriptor.TYPE_GONE:
                onGone(nowNs);
                break;
            case FrameDescriptor.TYPE_JOIN_ACK:
                onJoinAck(length, nowNs);
                break;
            case FrameDescriptor.TYPE_ABORT:
            case FrameDescriptor.TYPE_ERROR:
                onError(nowNs);
                break;
            default:
                counters.increment(CounterDescriptor.DROP_TYPE);
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

    private void fail(final CollectiveException.Reason reason, final String message)
    {
        if (state != State.FAILED)
        {
            failure = new CollectiveException(reason,
                "job " + config.jobId() + " rank " + rank + "/" + worldSize + ": " + message);
            state = State.FAILED;
            gradient.release();
        }
    }

    // ---------------------------------------------------------------- join

    private void sendJoin(final long nowNs)
    {
        header(FrameDescriptor.TYPE_JOIN, 0).round(nonce);
        out.worldSize(worldSize).window(window).elementsPerPacket(elementsPerPacket).mode(config.mode().id())
            .modeFlags(config.adaptiveDeadline() ? ControlFlyweight.MODE_FLAG_ADAPTIVE_DEADLINE : 0)
            .quorum(config.quorum())
            .deadlineUs(TimeUnit.NANOSECONDS.toMicros(config.deadlineNs()));
        send(ControlFlyweight.JOIN_LENGTH, false);
        nextJoinSendNs = nowNs + joinRetryNs;
        joinRetryNs = Math.min(JOIN_RETRY_MAX_NS, joinRetryNs * 2);
    }

    private int joinWork(final long nowNs)
    {
        if (nowNs - joinDeadlineNs >= 0)
        {
            final String detail = joinPendingHeard ?
                "the aggregator at " + aggregatorName + " answers, but rank(s) " + listMissing() +
                " have not joined: start them with the same job id, world size and aggregator" :
                "no answer from the aggregator at " + aggregatorName + ": is it running and reachable " +
                "(address, port, firewall)?";
            fail(CollectiveException.Reason.TIMEOUT, "not every rank joined within " +
                TimeUnit.NANOSECONDS.toMillis(config.joinTimeoutNs()) + " ms; " + detail);
            return 1;
        }
        if (nowNs - nextJoinSendNs >= 0)
        {
            sendJoin(nowNs);
            return 1;
        }
        return 0;
    }

    private void onJoinAck(final int length, final long nowNs)
    {
        if (state != State.JOINING || length < ControlFlyweight.JOIN_LENGTH || in.round() != nonce ||
            in.rank() != rank || in.sessionToken() == 0)
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        if (in.worldSize() != worldSize || in.window() != window || in.elementsPerPacket() != elementsPerPacket ||
            in.codec() != config.codec().id() || in.mode() != config.mode().id())
        {
            counters.increment(CounterDescriptor.DROP_CONTROL);
            return;
        }
        token = in.sessionToken();
        nextSequence = in.sequence();
        lastHeardNs = nowNs;
        state = State.READY;
    }

    private void onPending(final long nowNs)
    {
        final int words = pendingSeen.length;
        if (in.count() != worldSize || in.payloadLength() < words * Long.BYTES)
        {
            counters.increment(CounterDescriptor.DROP_LENGTH);
            return;
        }
        final boolean recordBitmap;
        if (state == State.JOINING && in.round() == nonce && in.rank() == rank)
        {
            joinPendingHeard = true;
            recordBitmap = true;
        }
        else if (state == State.CALL && in.sessionToken() == token && in.round() == round)
        {
            stats.onPending();
            final int sequence = in.sequence();
            if (sequence - lowest >= 0 && sequence - next < 0)
            {
                // Whether the aggregator holds this rank's contribution: if so, later retries only ask for the
                // result (RESEND) instead of sending the payload again.
                held[sequence & (window - 1)] = in.hasRank(rank);
            }
            if (in.hasRank(rank))
            {
                // The timeout was another rank being slow, not loss: undo the window and timeout back-off
                // (spurious timeout, as in TCP's Eifel detection).
                congestionWindow = Math.max(congestionWindow, windowBeforeLoss);
                if (rtoBeforeLoss > 0 && rtoNs > rtoBeforeLoss)
                {
                    rtoNs = rtoBeforeLoss;
                }
            }
            // Only the oldest outstanding chunk names the missing ranks: every live rank has sent it, whereas a
            // later chunk may simply not have left a live rank with a smaller window yet.
            recordBitmap = sequence == lowest;
            if (recordBitmap)
            {
                lastPendingNs = nowNs;
                callPendingHeard = true;
                pendingSequence = sequence;
            }
        }
        else
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        lastHeardNs = nowNs;
        if (recordBitmap)
        {
            for (int i = 0; i < words; i++)
            {
                pendingSeen[i] = in.buffer().getLong(
                    in.payloadOffset() + i * Long.BYTES, java.nio.ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    private void onError(final long nowNs)
    {
        final boolean forUs = token != 0 ? in.sessionToken() == token : in.round() == nonce && in.rank() == rank;
        if (!forUs || state == State.CLOSED || state == State.FAILED || state == State.NEW)
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        lastHeardNs = nowNs;
        if (state == State.JOINING && in.type() == FrameDescriptor.TYPE_ERROR &&
            in.contributors() == ControlFlyweight.ERROR_REDIRECT)
        {
            final int port = in.sequence();
            if (port > 0 && port < 65536)
            {
                redirectPort = port;
                return;
            }
        }
        final boolean abort = in.type() == FrameDescriptor.TYPE_ABORT;
        fail(abort ? CollectiveException.Reason.ABORTED : CollectiveException.Reason.REFUSED,
            (abort ? "the aggregator ended the job: " : "the aggregator refused: ") + in.message());
    }

    private String listMissing()
    {
        final StringBuilder sb = new StringBuilder("[");
        int listed = 0;
        for (int r = 0; r < worldSize && listed < MAX_LISTED_RANKS; r++)
        {
            if ((pendingSeen[r >>> 6] & (1L << r)) == 0)
            {
                sb.append(listed++ == 0 ? "" : ", ").append(r);
            }
        }
        return sb.append(']').toString();
    }

    // ---------------------------------------------------------------- calls

    private void beginCall(final int count, final ReduceOp op, final long nowNs)
    {
        this.op = op;
        elementCount = count;
        dataChunks = (int)(((long)count + elementsPerPacket - 1) / elementsPerPacket);
        headerChunks = scaled ? Math.min(window, dataChunks) : 0;
        totalChunks = headerChunks + dataChunks;
        base = nextSequence;
        nextSequence += totalChunks;
        lowest = base;
        next = base;
        recoverySequence = base;
        receivedAhead = 0;
        round++;
        stats.reset(round, config.codec(), count, totalChunks);
        callStartNs = nowNs;
        lastProgressNs = nowNs;
        callPendingHeard = false;
        nextTimerCheckNs = nowNs + firstTimeoutNs();
        for (int i = 0; i < agreedFor.length; i++)
        {
            agreedFor[i] = base - 1;
        }
        if (totalChunks == 0)
        {
            completeCall(nowNs);
            return;
        }
        state = State.CALL;
        sendReady(nowNs);
    }

    private void completeCall(final long nowNs)
    {
        // Silence carries over calls that completed only by local fills, so a dead aggregator still ends in TIMEOUT.
        silentCarryNs = lastHeardNs - callStartNs < 0 ? silentCarryNs + (nowNs - callStartNs) : 0;
        residual = null;
        stats.complete(nowNs - callStartNs);
        gradient.release();
        state = State.READY;
    }

    private void sendReady(final long nowNs)
    {
        final int end = base + totalChunks;
        while (next - end < 0 && next - lowest < congestionWindow)
        {
            final int sequence = next;
            if (isData(sequence) && scaled && agreedFor[sequence & (2 * window - 1)] != sequence)
            {
                break;
            }
            final int w = sequence & (window - 1);
            sentNs[w] = nowNs;
            firstSentNs[w] = nowNs;
            retries[w] = 0;
            received[w] = false;
            held[w] = false;
            fastRetransmitted[w] = false;
            next++;
            if (!sendChunk(sequence, false))
            {
                return;
            }
        }
        nextTimerCheckNs = Math.min(nextTimerCheckNs, nowNs + firstTimeoutNs());
    }

    private boolean isData(final int sequence)
    {
        return sequence - base >= headerChunks;
    }

    /**
     * Sends a chunk; false if the call failed while preparing it (a value the codec cannot carry).
     */
    private boolean sendChunk(final int sequence, final boolean retransmit)
    {
        final int index = sequence - base;
        int count = 0;
        int exponent = 0;
        int proposalChunk = index;
        if (index >= headerChunks)
        {
            final int chunk = index - headerChunks;
            count = chunkCount(chunk);
            if (scaled)
            {
                exponent = agreedExponent[sequence & (2 * window - 1)];
            }
            proposalChunk = chunk + headerChunks;
        }
        int proposal = EXPONENT_ZERO;
        if (scaled && proposalChunk < dataChunks)
        {
            if (residual != null && !retransmit)
            {
                // Error feedback: the chunk's values become gradient plus residual, in place and once, before this
                // rank proposes their exponent. Retransmissions re-read the same values.
                gradient.addResidual(residual, proposalChunk * elementsPerPacket, chunkCount(proposalChunk));
            }
            proposal = gradient.exponentOf(codec, proposalChunk * elementsPerPacket, chunkCount(proposalChunk));
            if (proposal == FixedPoint.NON_FINITE)
            {
                fail(CollectiveException.Reason.INVALID_INPUT, "allReduce round " + round + ": a value in elements [" +
                    (long)proposalChunk * elementsPerPacket + ", " +
                    ((long)proposalChunk * elementsPerPacket + chunkCount(proposalChunk)) + ") is NaN or infinite, " +
                    "which " + config.codec() + " cannot carry; use FP32 or fix the gradient");
                return false;
            }
        }
        chunkHeader(FrameDescriptor.TYPE_CONTRIB, sequence,
            (index == totalChunks - 1 ? FLAG_LAST : 0) | (retransmit ? FLAG_RETRANSMIT : 0))
            .count(count)
            .exponent(exponent)
            .nextExponent(proposal);
        if (scaled && proposalChunk < dataChunks)
        {
            ownExponent[(sequence + headerChunks) & (2 * window - 1)] = (byte)proposal;
        }
        int length = HEADER_LENGTH;
        if (count > 0)
        {
            final int elementIndex = (index - headerChunks) * elementsPerPacket;
            final int noiseKey = ValueCodec.noiseKey(config.jobId(), rank, sequence);
            length += gradient.encode(codec, elementIndex, count, exponent, noiseKey, frameBuffer, HEADER_LENGTH);
            if (residual != null && !retransmit)
            {
                gradient.quantisationError(codec, elementIndex, count, exponent, residual);
            }
        }
        send(length, retransmit);
        return true;
    }

    private void sendResend(final int sequence)
    {
        chunkHeader(FrameDescriptor.TYPE_RESEND, sequence, FLAG_RETRANSMIT);
        send(HEADER_LENGTH, true);
    }

    /**
     * Header of a frame about one chunk: its slot and shadow set, this call's round and the session token.
     */
    private ControlFlyweight chunkHeader(final byte type, final int sequence, final int flags)
    {
        header(type, FrameDescriptor.shadowSetOf(sequence, windowShift) * FLAG_SHADOW_SET | flags)
            .sessionToken(token)
            .slot(sequence & (window - 1))
            .round(round)
            .sequence(sequence);
        return out;
    }

    private int chunkCount(final int chunk)
    {
        return Math.min(elementsPerPacket, elementCount - chunk * elementsPerPacket);
    }

    private void onResult(final int length, final long nowNs)
    {
        final int sequence = in.sequence();
        if (state != State.CALL || in.sessionToken() != token || in.round() != round ||
            sequence - lowest < 0 || sequence - next >= 0)
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        final int w = sequence & (window - 1);
        if (received[w])
        {
            counters.increment(CounterDescriptor.DROP_DUPLICATE);
            return;
        }
        final int index = sequence - base;
        final boolean data = index >= headerChunks;
        final int expected = data ? chunkCount(index - headerChunks) : 0;
        final int contributors = in.contributors();
        if (in.codec() != config.codec().id() || in.count() != expected ||
            in.payloadLength() != expected * config.codec().bytesDown(worldSize))
        {
            counters.increment(CounterDescriptor.DROP_LENGTH);
            return;
        }
        if (bounded ? contributors < 1 || contributors > worldSize : contributors != worldSize)
        {
            counters.increment(CounterDescriptor.DROP_CONTROL);
            return;
        }

        received[w] = true;
        lastProgressNs = nowNs;
        lastHeardNs = nowNs;
        stats.onResult(length, contributors, expected, worldSize);
        if (retries[w] == 0)
        {
            sampleRtt(nowNs - sentNs[w]);
        }
        if (scaled && index + headerChunks < totalChunks)
        {
            final int target = sequence + headerChunks;
            agreedFor[target & (2 * window - 1)] = target;
            agreedExponent[target & (2 * window - 1)] = (byte)in.nextExponent();
        }
        if (data && expected > 0)
        {
            // AVG over the ranks summed; a partial SUM is extrapolated to the world size.
            final boolean avg = op == ReduceOp.AVG;
            final int numerator = avg || contributors == worldSize ? 1 : worldSize;
            final int divisor = avg || contributors != worldSize ? contributors : 1;
            gradient.decode(codec, in.buffer(), in.payloadOffset(), (index - headerChunks) * elementsPerPacket,
                expected, in.exponent(), numerator, divisor);
        }
        advance(nowNs);
    }

    /**
     * Bounded mode: the aggregator no longer has this chunk (its set moved on after a partial result).
     */
    private void onGone(final long nowNs)
    {
        final int sequence = in.sequence();
        if (!bounded || state != State.CALL || in.sessionToken() != token || in.round() != round ||
            sequence - lowest < 0 || sequence - next >= 0 || received[sequence & (window - 1)])
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        lastHeardNs = nowNs;
        fillLocally(sequence, nowNs);
        advance(nowNs);
    }

    /**
     * Bounded mode: no result for a chunk after the retries (or GONE): keep this rank's own values, which are the
     * best estimate of the average (times the world size for SUM), and use this rank's own exponent proposal for
     * the chunk whose agreement this one carried.
     */
    private void fillLocally(final int sequence, final long nowNs)
    {
        final int w = sequence & (window - 1);
        received[w] = true;
        lastProgressNs = nowNs;
        final int index = sequence - base;
        if (index >= headerChunks)
        {
            final int count = chunkCount(index - headerChunks);
            if (op == ReduceOp.SUM && worldSize > 1)
            {
                gradient.scale((index - headerChunks) * elementsPerPacket, count, worldSize);
            }
            stats.onFilledLocally(count);
        }
        if (scaled && index + headerChunks < totalChunks)
        {
            final int target = sequence + headerChunks;
            agreedFor[target & (2 * window - 1)] = target;
            agreedExponent[target & (2 * window - 1)] = ownExponent[target & (2 * window - 1)];
        }
        counters.increment(CounterDescriptor.CHUNKS_FILLED_LOCALLY);
    }

    /**
     * Slides the window past received chunks, then completes the call or sends what the window allows.
     */
    private void advance(final long nowNs)
    {
        receivedAhead++;
        slide(nowNs);
    }

    private void slide(final long nowNs)
    {
        while (lowest - next < 0 && received[lowest & (window - 1)])
        {
            received[lowest & (window - 1)] = false;
            receivedAhead--;
            lowest++;
            if (congestionWindow < window && ++congestionCredit >= congestionWindow)
            {
                congestionCredit = 0;
                congestionWindow++;
            }
        }
        if (lowest - (base + totalChunks) == 0)
        {
            completeCall(nowNs);
        }
        else
        {
            fastRetransmit(nowNs);
            sendReady(nowNs);
        }
    }

    /**
     * Fast retransmit (as TCP's three duplicate ACKs): when {@link #FAST_RETRANSMIT_THRESHOLD} later chunks have
     * their results but the oldest has not, it was most likely lost; resend it now instead of waiting for the
     * timeout. Once per transmission of a chunk.
     */
    private void fastRetransmit(final long nowNs)
    {
        final int w = lowest & (window - 1);
        if (receivedAhead >= FAST_RETRANSMIT_THRESHOLD && !received[w] && !fastRetransmitted[w] &&
            state == State.CALL)
        {
            fastRetransmitted[w] = true;
            if (lowest - recoverySequence >= 0)
            {
                windowBeforeLoss = congestionWindow;
                congestionWindow = Math.max(1, congestionWindow / 2);
                congestionCredit = 0;
                recoverySequence = next;
            }
            retransmit(lowest, w, nowNs);
        }
    }

    private boolean retransmit(final int sequence, final int w, final long nowNs)
    {
        retries[w]++;
        sentNs[w] = nowNs;
        counters.increment(CounterDescriptor.RETRANSMITS);
        if (held[w])
        {
            sendResend(sequence);
            return true;
        }
        return sendChunk(sequence, true);
    }

    private void sampleRtt(final long sampleNs)
    {
        if (srttNs == 0)
        {
            srttNs = sampleNs;
            rttVarNs = sampleNs / 2;
        }
        else
        {
            rttVarNs += (Math.abs(srttNs - sampleNs) - rttVarNs) / 4;
            srttNs += (sampleNs - srttNs) / 8;
        }
        rtoNs = Math.max(config.minRtoNs(), Math.min(config.maxRtoNs(), srttNs + 4 * rttVarNs));
    }

    private int callWork(final long nowNs)
    {
        final long silentNs = nowNs - (lastHeardNs - callStartNs > 0 ? lastHeardNs : callStartNs) + silentCarryNs;
        if (nowNs - lastProgressNs > config.timeoutNs() || bounded && silentNs > config.timeoutNs())
        {
            fail(CollectiveException.Reason.TIMEOUT, describeStall(nowNs));
            return 1;
        }
        if (nowNs - nextTimerCheckNs < 0)
        {
            return 0;
        }
        int work = 0;
        boolean filled = false;
        long earliest = nowNs + config.maxRtoNs();
        for (int sequence = lowest; sequence - next < 0; sequence++)
        {
            final int w = sequence & (window - 1);
            if (received[w])
            {
                continue;
            }
            // Give up only on a chunk the aggregator does not hold: if a PENDING said it holds this rank's values,
            // the chunk finishes at its deadline once the quorum is in (or GONE arrives), and waiting for that
            // keeps a rank that runs ahead in step with the others instead of filling every chunk locally.
            if (bounded && retries[w] > 0 && !held[w] &&
                nowNs - firstSentNs[w] - config.deadlineNs() - GIVE_UP_RTOS * boundedRtoNs() >= 0)
            {
                fillLocally(sequence, nowNs);
                receivedAhead++;
                filled = true;
                continue;
            }
            if (bounded)
            {
                earliest = Math.min(earliest, firstSentNs[w] + config.deadlineNs() + GIVE_UP_RTOS * boundedRtoNs());
            }
            final long deadline = sentNs[w] + chunkTimeoutNs(w);
            if (nowNs - deadline >= 0)
            {
                if (sequence - recoverySequence >= 0)
                {
                    // One loss event per window of data (as TCP's recovery): halve once, then not again for
                    // chunks that were already in flight.
                    windowBeforeLoss = congestionWindow;
                    congestionWindow = Math.max(1, congestionWindow / 2);
                    congestionCredit = 0;
                    recoverySequence = next;
                    // Back the timeout off for every chunk until a clean round-trip sample (as TCP): if the
                    // cause is a starved CPU rather than loss, retransmitting sooner only adds load.
                    rtoBeforeLoss = rtoNs;
                    rtoNs = Math.min(config.maxRtoNs(), rtoNs * 2);
                }
                if (!retransmit(sequence, w, nowNs))
                {
                    return work + 1;
                }
                work++;
                earliest = Math.min(earliest, nowNs + chunkTimeoutNs(w));
            }
            else
            {
                earliest = Math.min(earliest, deadline);
            }
        }
        nextTimerCheckNs = earliest;
        if (filled)
        {
            slide(nowNs);
            return work + 1;
        }
        return work;
    }

    /**
     * Retransmission timeout of a chunk: the RTO backed off per retry, capped by the maximum RTO; in bounded mode
     * also by {@link #boundedRtoNs()}, so that a lost packet is repaired while its chunk's deadline runs.
     */
    private long chunkTimeoutNs(final int w)
    {
        final long backedOff = Math.min(config.maxRtoNs(), rtoNs << Math.min(retries[w], 20));
        return bounded ? Math.min(backedOff, boundedRtoNs()) : backedOff;
    }

    /**
     * Timeout of a chunk's first transmission: the RTO, or in bounded mode {@link #boundedRtoNs()}.
     */
    private long firstTimeoutNs()
    {
        return bounded ? boundedRtoNs() : rtoNs;
    }

    /**
     * Bounded mode: at most half the deadline (at least 200 µs). Waiting for a deadline inflates the round-trip
     * estimate, and a timeout longer than the deadline would find the chunk finished and its set reused (GONE).
     */
    private long boundedRtoNs()
    {
        return Math.min(rtoNs, Math.max(config.deadlineNs() / 2, MIN_BOUNDED_RTO_NS));
    }

    private String describeStall(final long nowNs)
    {
        final int w = lowest & (window - 1);
        final StringBuilder sb = new StringBuilder()
            .append("allReduce round ").append(round).append(" made no progress for ")
            .append(TimeUnit.NANOSECONDS.toMillis(nowNs - lastProgressNs)).append(" ms (timeout ")
            .append(TimeUnit.NANOSECONDS.toMillis(config.timeoutNs())).append(" ms): ")
            .append(lowest - base).append(" of ").append(totalChunks).append(" chunks done, sequence ")
            .append(lowest).append(" retried ").append(retries[w]).append(" times; ");
        if (callPendingHeard && pendingSequence == lowest &&
            nowNs - lastPendingNs <= 2 * config.maxRtoNs() + TimeUnit.MILLISECONDS.toNanos(100))
        {
            sb.append("the aggregator at ").append(aggregatorName).append(" answers but is still waiting for rank(s) ")
                .append(listMissing()).append(" (sequence ").append(pendingSequence)
                .append("): is that rank alive and calling allReduce with the same sizes?");
        }
        else
        {
            sb.append("no answer from the aggregator at ").append(aggregatorName).append(" for ")
                .append(TimeUnit.NANOSECONDS.toMillis(nowNs - lastHeardNs))
                .append(" ms: is it running and reachable?");
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- sending

    private ControlFlyweight header(final byte type, final int flags)
    {
        final MutableDirectBuffer claimed = sender.claim();
        frameBuffer = claimed != null ? claimed : ownFrameBuffer;
        out.wrap(frameBuffer, 0, frameBuffer.capacity());
        out.writeHeader(type, type == FrameDescriptor.TYPE_LEAVE ? FrameDescriptor.CODEC_NONE : config.codec().id());
        out.flags(flags).jobId(config.jobId()).rank(rank);
        return out;
    }

    private void send(final int length, final boolean retransmit)
    {
        final int result = sender.send(frameBuffer, 0, length, AGGREGATOR_PEER);
        if (result == FrameSender.OK)
        {
            counters.increment(CounterDescriptor.FRAMES_SENT);
            counters.add(CounterDescriptor.BYTES_SENT, length);
        }
        else
        {
            counters.increment(CounterDescriptor.SEND_FAILURES);
        }
        if (state == State.CALL)
        {
            stats.onSent(length, retransmit);
        }
    }
}
