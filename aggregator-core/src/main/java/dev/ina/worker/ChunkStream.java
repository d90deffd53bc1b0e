package dev.ina.worker;

import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.codec.ValueCodec;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.protocol.JobSpec;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;

import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;

/**
 * One rank's all-reduce calls, chunk by chunk: sends what the window allows (self-clocked: each result releases
 * the next chunk, once its exponent is agreed), decodes results in place and, in bounded mode, fills chunks
 * locally that the aggregator gave up (GONE) or, after a long silence about them, never answered.
 * {@link ChunkSender} writes the chunks and {@link LossRecovery} decides what to send again. Sequence numbers run
 * on across calls, so a late frame of an earlier call cannot touch the next one.
 * <p>
 * The stream never changes the session's state itself: after each call into it, {@link #outcome()} says whether
 * the call is still running, complete or failed (with {@link #failureReason()} and {@link #failureMessage()}).
 * Single-threaded; allocates nothing unless a call fails.
 */
final class ChunkStream
{
    /** The call is running. */
    static final int IN_PROGRESS = 0;
    /** The call completed: the gradient holds the result. */
    static final int COMPLETE = 1;
    /** The call failed. */
    static final int FAILED = 2;

    private final int rank;
    private final int worldSize;
    private final Codec codec;
    private final int bytesDown;
    private final boolean scaled;
    private final boolean bounded;
    private final long timeoutNs;
    private final ValueCodec values;
    private final Counters counters;
    private final ReduceStats stats;
    private final StallReport stall;
    private final GradientView gradient;
    private final ChunkPlan plan;
    private final ChunkWindow window;
    private final ExponentAgreement exponents;
    private final CongestionControl congestion;
    private final RttEstimator rtt;
    private final ChunkSender sender;
    private final LossRecovery recovery;
    private final WorkerProxy proxy;

    private int token;
    private int nextSequence;
    private int round;
    private ReduceOp op;
    private long callStartNs;
    private long lastProgressNs;
    private long silentCarryNs;
    private int outcome = COMPLETE;
    private CollectiveException.Reason failureReason;
    private String failureMessage;

    ChunkStream(
        final JobSpec spec,
        final int jobId,
        final int rank,
        final long timeoutNs,
        final RetransmitTimer timer,
        final CongestionControl congestion,
        final WorkerProxy proxy,
        final StallReport stall,
        final Counters counters,
        final ReduceStats stats)
    {
        this.rank = rank;
        this.worldSize = spec.worldSize();
        this.codec = spec.codec();
        this.bytesDown = codec.bytesDown(worldSize);
        this.scaled = codec.isScaled();
        this.bounded = spec.isBounded();
        this.timeoutNs = timeoutNs;
        this.values = ValueCodec.create(codec, spec.elementsPerPacket(), worldSize);
        this.rtt = timer.rtt();
        this.congestion = congestion;
        this.stall = stall;
        this.counters = counters;
        this.stats = stats;
        this.gradient = new GradientView(spec.elementsPerPacket());
        this.plan = new ChunkPlan(spec.elementsPerPacket(), spec.window(), scaled);
        this.window = new ChunkWindow(spec.window());
        this.exponents = new ExponentAgreement(spec.window());
        this.sender = new ChunkSender(jobId, rank, codec, values, plan, window, exponents, gradient, proxy, counters);
        this.proxy = proxy;
        this.recovery = new LossRecovery(window, timer, congestion, sender, stall, bounded, spec.window());
    }

    /**
     * The job started: the session token, and the sequence its first call starts at.
     */
    void joined(final int token, final int firstSequence)
    {
        this.token = token;
        this.nextSequence = firstSequence;
    }

    int token()
    {
        return token;
    }

    /**
     * Number of the current or last call, from 1; 0 before the first.
     */
    int round()
    {
        return round;
    }

    int outcome()
    {
        return outcome;
    }

    CollectiveException.Reason failureReason()
    {
        return failureReason;
    }

    String failureMessage()
    {
        return failureMessage;
    }

    int congestionWindow()
    {
        return congestion.window();
    }

    long rtoNs()
    {
        return rtt.rtoNs();
    }

    /**
     * Starts a call over a float[] range; {@code residual} (scaled codecs only) carries error feedback.
     */
    void begin(
        final float[] data, final int offset, final int count, final ReduceOp op, final float[] residual,
        final long nowNs)
    {
        gradient.wrap(data, offset);
        begin(count, op, residual, nowNs);
    }

    /**
     * Starts a call over a FloatBuffer range; {@code residual} (scaled codecs only) carries error feedback.
     */
    void begin(
        final FloatBuffer data, final int index, final int count, final ReduceOp op, final float[] residual,
        final long nowNs)
    {
        gradient.wrap(data, index);
        begin(count, op, residual, nowNs);
    }

    /**
     * The call ends, whether it completed or not: let go of the caller's gradient and residual.
     */
    void release()
    {
        sender.onCallEnd();
        gradient.release();
    }

    // ---------------------------------------------------------------- frames

    /**
     * Whether a frame is about the current call: this session's token and this call's round.
     */
    boolean isForThisCall(final HeaderFlyweight in)
    {
        return outcome == IN_PROGRESS && in.sessionToken() == token && in.round() == round;
    }

    /**
     * A RESULT: checked against the chunk it answers, decoded in place, and the window slides.
     */
    void onResult(final HeaderFlyweight in, final int length, final long nowNs)
    {
        final int sequence = in.sequence();
        if (!isForThisCall(in) || !window.contains(sequence))
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        if (window.isReceived(sequence))
        {
            counters.increment(CounterDescriptor.DROP_DUPLICATE);
            return;
        }
        final boolean data = plan.isData(sequence);
        final int chunk = plan.dataChunk(sequence);
        final int expected = data ? plan.count(chunk) : 0;
        final int contributors = in.contributors();
        if (in.codec() != codec.id() || in.count() != expected || in.payloadLength() != expected * bytesDown)
        {
            counters.increment(CounterDescriptor.DROP_LENGTH);
            return;
        }
        if (bounded ? contributors < 1 || contributors > worldSize : contributors != worldSize)
        {
            counters.increment(CounterDescriptor.DROP_CONTROL);
            return;
        }

        window.markReceived(sequence);
        lastProgressNs = nowNs;
        stall.heard(nowNs);
        stats.onResult(length, contributors, expected, worldSize);
        recovery.onResult(sequence, nowNs);
        if (scaled && plan.proposalChunk(sequence) < plan.dataChunks())
        {
            exponents.agree(sequence + plan.headerChunks(), in.nextExponent());
        }
        if (data && expected > 0)
        {
            // AVG over the ranks summed; a partial SUM is extrapolated to the world size.
            final boolean avg = op == ReduceOp.AVG;
            final int numerator = avg || contributors == worldSize ? 1 : worldSize;
            final int divisor = avg || contributors != worldSize ? contributors : 1;
            gradient.decode(values, in.buffer(), in.payloadOffset(), plan.firstElement(chunk), expected,
                in.exponent(), numerator, divisor);
        }
        slide(nowNs);
    }

    /**
     * A PENDING for this call (checked by the caller): whether the aggregator holds this rank's contribution, and
     * for the oldest chunk, which ranks it still waits for.
     */
    void onPending(final ControlFlyweight in, final long nowNs)
    {
        stats.onPending();
        final int sequence = in.sequence();
        // Only the oldest outstanding chunk names the missing ranks: every live rank has sent it, whereas a later
        // chunk may simply not have left a live rank with a smaller window yet.
        if (sequence == window.lowest())
        {
            stall.onPending(in, sequence, nowNs);
        }
        final long nextUpdateNs = TimeUnit.MICROSECONDS.toNanos(in.contributors() & 0xFFFF_FFFFL);
        if (!recovery.onPending(sequence, in.hasRank(rank), nextUpdateNs, nowNs))
        {
            fail(CollectiveException.Reason.INVALID_INPUT, sender.invalidInput());
        }
    }

    /**
     * A NACK for this call: the aggregator lacks this rank's contributions to a run of chunks.
     */
    void onNack(final HeaderFlyweight in, final long nowNs)
    {
        final int sequence = in.sequence();
        if (bounded && in.sessionToken() == token && sequence - window.lowest() < 0 &&
            window.lowest() - sequence <= 2 * plan.window())
        {
            // Asked for a chunk this rank has completed without a result (it gave it up): say so again, or the
            // chunk waits for it in vain.
            stall.heard(nowNs);
            proxy.giveUp(token, in.round(), sequence);
            return;
        }
        if (!isForThisCall(in))
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        stall.heard(nowNs);
        final long retryAfterNs = TimeUnit.MICROSECONDS.toNanos(in.contributors() & 0xFFFF_FFFFL);
        if (!recovery.onNack(in.sequence(), Math.max(1, in.count()), retryAfterNs, nowNs))
        {
            fail(CollectiveException.Reason.INVALID_INPUT, sender.invalidInput());
        }
    }

    /**
     * Bounded mode: GONE, the aggregator no longer has this chunk (its set moved on after a partial result).
     */
    void onGone(final HeaderFlyweight in, final long nowNs)
    {
        final int sequence = in.sequence();
        if (!bounded || !isForThisCall(in) || !window.contains(sequence) || window.isReceived(sequence))
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        stall.heard(nowNs);
        fillLocally(sequence, nowNs);
        slide(nowNs);
    }

    /**
     * Timers of the call in progress: the progress timeout, retransmissions, and in bounded mode giving chunks up.
     *
     * @return work done.
     */
    int doWork(final long nowNs)
    {
        final long lastHeardNs = stall.lastHeardNs();
        final long silentNs = nowNs - (lastHeardNs - callStartNs > 0 ? lastHeardNs : callStartNs) + silentCarryNs;
        if (nowNs - lastProgressNs > timeoutNs || bounded && silentNs > timeoutNs)
        {
            fail(CollectiveException.Reason.TIMEOUT, describeStall(nowNs));
            return 1;
        }
        final int work = recovery.checkTimeouts(nowNs);
        if (work < 0)
        {
            fail(CollectiveException.Reason.INVALID_INPUT, sender.invalidInput());
            return 1;
        }
        final int givenUp = recovery.givenUpCount();
        if (givenUp == 0)
        {
            return work;
        }
        for (int i = 0; i < givenUp; i++)
        {
            final int sequence = recovery.givenUp(i);
            fillLocally(sequence, nowNs);
            // The aggregator must not wait for this rank's contribution to it any more.
            proxy.giveUp(token, round, sequence);
        }
        slide(nowNs);
        return work + 1;
    }

    // ---------------------------------------------------------------- internals

    private void begin(final int count, final ReduceOp op, final float[] residual, final long nowNs)
    {
        this.op = op;
        plan.plan(nextSequence, count);
        nextSequence = plan.end();
        round++;
        window.reset(plan.base());
        exponents.reset(plan.base());
        recovery.onCallStart(plan.base(), nowNs);
        sender.onCallStart(token, round, residual);
        stall.onCallStart();
        stats.reset(round, codec, count, plan.totalChunks());
        callStartNs = nowNs;
        lastProgressNs = nowNs;
        outcome = IN_PROGRESS;
        failureReason = null;
        failureMessage = null;
        if (plan.totalChunks() == 0)
        {
            complete(nowNs);
            return;
        }
        sendReady(nowNs);
    }

    private void complete(final long nowNs)
    {
        // Silence carries over calls that completed only by local fills, so a dead aggregator still ends in TIMEOUT.
        silentCarryNs = stall.lastHeardNs() - callStartNs < 0 ? silentCarryNs + (nowNs - callStartNs) : 0;
        stats.complete(nowNs - callStartNs);
        release();
        outcome = COMPLETE;
    }

    private void fail(final CollectiveException.Reason reason, final String message)
    {
        failureReason = reason;
        failureMessage = message;
        outcome = FAILED;
        release();
    }

    /**
     * Sends every chunk the window allows whose exponent (scaled codecs) is agreed.
     */
    private void sendReady(final long nowNs)
    {
        final int end = plan.end();
        while (window.next() - end < 0 && window.inFlight() < congestion.window())
        {
            final int sequence = window.next();
            if (scaled && plan.isData(sequence) && !exponents.isAgreed(sequence))
            {
                break;
            }
            window.open(nowNs);
            if (!sender.send(sequence, false))
            {
                fail(CollectiveException.Reason.INVALID_INPUT, sender.invalidInput());
                return;
            }
        }
        recovery.onSent(nowNs);
    }

    /**
     * Bounded mode: no result for a chunk after the retries (or GONE): keep this rank's own values, which are the
     * best estimate of the average (times the world size for SUM), and use this rank's own exponent proposal for
     * the chunk whose agreement this one carried.
     */
    private void fillLocally(final int sequence, final long nowNs)
    {
        window.markReceived(sequence);
        lastProgressNs = nowNs;
        if (plan.isData(sequence))
        {
            final int chunk = plan.dataChunk(sequence);
            final int count = plan.count(chunk);
            if (op == ReduceOp.SUM && worldSize > 1)
            {
                gradient.scale(plan.firstElement(chunk), count, worldSize);
            }
            stats.onFilledLocally(count);
        }
        if (scaled && plan.proposalChunk(sequence) < plan.dataChunks())
        {
            exponents.agreeOwn(sequence + plan.headerChunks());
        }
        counters.increment(CounterDescriptor.CHUNKS_FILLED_LOCALLY);
    }

    /**
     * Slides the window past completed chunks, then completes the call or sends what the window allows.
     */
    private void slide(final long nowNs)
    {
        for (int slid = window.slide(); slid > 0; slid--)
        {
            congestion.onChunkCompleted();
        }
        if (window.lowest() - plan.end() == 0)
        {
            complete(nowNs);
            return;
        }
        recovery.afterProgress(nowNs);
        sendReady(nowNs);
    }

    private String describeStall(final long nowNs)
    {
        final int lowest = window.lowest();
        return "allReduce round " + round + " made no progress for " +
            TimeUnit.NANOSECONDS.toMillis(nowNs - lastProgressNs) + " ms (timeout " +
            TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms): " + (lowest - plan.base()) + " of " +
            plan.totalChunks() + " chunks done, sequence " + lowest + " retried " + window.retries(lowest) +
            " times; " + stall.describeCallStall(lowest, nowNs);
    }
}
