package dev.ina.worker;

import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.codec.FixedPoint;
import dev.ina.codec.ValueCodec;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.protocol.JobSpec;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.MutableDirectBuffer;

import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;

import static dev.ina.protocol.FrameDescriptor.FLAG_LAST;
import static dev.ina.protocol.FrameDescriptor.FLAG_RETRANSMIT;

/**
 * One rank's all-reduce calls, chunk by chunk: sends what the window allows (self-clocked: each result releases
 * the next chunk), quantises with the agreed exponents, decodes results in place, retransmits lost chunks (after
 * the {@link RetransmitTimer}'s timeout, or at once when {@value #FAST_RETRANSMIT_THRESHOLD} later results are in,
 * as TCP's fast retransmit) and, in bounded mode, fills chunks locally that the aggregator gave up (GONE) or never
 * answered. Sequence numbers run on across calls, so a late frame of an earlier call cannot touch the next one.
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

    private static final int FAST_RETRANSMIT_THRESHOLD = 3;

    private final int jobId;
    private final int rank;
    private final int worldSize;
    private final Codec codecKind;
    private final byte codecId;
    private final int bytesDown;
    private final boolean scaled;
    private final boolean bounded;
    private final long timeoutNs;
    private final ValueCodec codec;
    private final Counters counters;
    private final ReduceStats stats;
    private final WorkerProxy proxy;
    private final StallReport stall;
    private final GradientView gradient;
    private final ChunkPlan plan;
    private final ChunkWindow window;
    private final ExponentAgreement exponents;
    private final CongestionControl congestion;
    private final RetransmitTimer timer;
    private final RttEstimator rtt;

    private int token;
    private int nextSequence;
    private int round;
    private ReduceOp op;
    private float[] residual;
    private long callStartNs;
    private long lastProgressNs;
    private long silentCarryNs;
    private long nextTimerCheckNs;
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
        this.jobId = jobId;
        this.rank = rank;
        this.worldSize = spec.worldSize();
        this.codecKind = spec.codec();
        this.codecId = spec.codec().id();
        this.bytesDown = spec.codec().bytesDown(worldSize);
        this.scaled = spec.codec().isScaled();
        this.bounded = spec.isBounded();
        this.timeoutNs = timeoutNs;
        this.codec = ValueCodec.create(spec.codec(), spec.elementsPerPacket(), worldSize);
        this.timer = timer;
        this.rtt = timer.rtt();
        this.congestion = congestion;
        this.proxy = proxy;
        this.stall = stall;
        this.counters = counters;
        this.stats = stats;
        this.gradient = new GradientView(spec.elementsPerPacket());
        this.plan = new ChunkPlan(spec.elementsPerPacket(), spec.window(), scaled);
        this.window = new ChunkWindow(spec.window());
        this.exponents = new ExponentAgreement(spec.window());
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
     * The call ends without completing (closed or failed): let go of the caller's gradient.
     */
    void release()
    {
        residual = null;
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
        if (in.codec() != codecId || in.count() != expected || in.payloadLength() != expected * bytesDown)
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
        if (window.retries(sequence) == 0)
        {
            // Karn: a retransmitted chunk's result does not say which transmission it answers.
            rtt.sample(nowNs - window.sentNs(sequence));
        }
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
            gradient.decode(codec, in.buffer(), in.payloadOffset(), plan.firstElement(chunk), expected,
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
        final boolean held = in.hasRank(rank);
        if (window.contains(sequence))
        {
            // If the aggregator holds this rank's contribution, later retries only ask for the result (RESEND)
            // instead of sending the payload again.
            window.held(sequence, held);
        }
        if (held)
        {
            // The timeout was another rank being slow, not loss: undo the window and timeout back-off (spurious
            // timeout, as in TCP's Eifel detection).
            congestion.onSpuriousLoss();
            rtt.undoBackOff();
        }
        // Only the oldest outstanding chunk names the missing ranks: every live rank has sent it, whereas a later
        // chunk may simply not have left a live rank with a smaller window yet.
        if (sequence == window.lowest())
        {
            stall.onPending(in, sequence, nowNs);
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

    // ---------------------------------------------------------------- timers

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
        if (nowNs - nextTimerCheckNs < 0)
        {
            return 0;
        }
        int work = 0;
        boolean filled = false;
        long earliestNs = nowNs + timer.maxTimeoutNs();
        for (int sequence = window.lowest(); sequence - window.next() < 0; sequence++)
        {
            if (window.isReceived(sequence))
            {
                continue;
            }
            if (bounded)
            {
                // Give up only on a chunk the aggregator does not hold: if a PENDING said it holds this rank's
                // values, the chunk finishes at its deadline once the quorum is in (or GONE arrives), and waiting
                // for that keeps a rank that runs ahead in step with the others instead of filling every chunk.
                final long giveUpNs = timer.giveUpAtNs(window.firstSentNs(sequence));
                if (window.retries(sequence) > 0 && !window.isHeld(sequence) && nowNs - giveUpNs >= 0)
                {
                    fillLocally(sequence, nowNs);
                    filled = true;
                    continue;
                }
                earliestNs = Math.min(earliestNs, giveUpNs);
            }
            final long dueNs = window.sentNs(sequence) + timer.timeoutNs(window.retries(sequence));
            if (nowNs - dueNs >= 0)
            {
                // One loss event per window of data (as TCP's recovery): react once, then not again for chunks that
                // were already in flight.
                if (congestion.onLoss(sequence, window.next()))
                {
                    rtt.backOff();
                }
                if (!retransmit(sequence, nowNs))
                {
                    return work + 1;
                }
                work++;
                earliestNs = Math.min(earliestNs, nowNs + timer.timeoutNs(window.retries(sequence)));
            }
            else
            {
                earliestNs = Math.min(earliestNs, dueNs);
            }
        }
        nextTimerCheckNs = earliestNs;
        if (filled)
        {
            slide(nowNs);
            return work + 1;
        }
        return work;
    }

    // ---------------------------------------------------------------- internals

    private void begin(final int count, final ReduceOp op, final float[] residual, final long nowNs)
    {
        this.op = op;
        this.residual = scaled ? residual : null;
        plan.plan(nextSequence, count);
        nextSequence = plan.end();
        window.reset(plan.base());
        congestion.onCallStart(plan.base());
        exponents.reset(plan.base());
        stall.onCallStart();
        round++;
        stats.reset(round, codecKind, count, plan.totalChunks());
        callStartNs = nowNs;
        lastProgressNs = nowNs;
        nextTimerCheckNs = nowNs + timer.firstTimeoutNs();
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
            if (!sendChunk(sequence, false))
            {
                return;
            }
        }
        nextTimerCheckNs = Math.min(nextTimerCheckNs, nowNs + timer.firstTimeoutNs());
    }

    /**
     * Sends a chunk; false if the call failed while preparing it (a value the codec cannot carry).
     */
    private boolean sendChunk(final int sequence, final boolean retransmit)
    {
        final boolean data = plan.isData(sequence);
        final int chunk = plan.dataChunk(sequence);
        final int count = data ? plan.count(chunk) : 0;
        final int exponent = data && scaled ? exponents.agreed(sequence) : 0;
        final int proposalChunk = plan.proposalChunk(sequence);
        final boolean proposes = scaled && proposalChunk < plan.dataChunks();
        int proposal = FrameDescriptor.EXPONENT_ZERO;
        if (proposes)
        {
            final int first = plan.firstElement(proposalChunk);
            final int proposalCount = plan.count(proposalChunk);
            if (residual != null && !retransmit)
            {
                // Error feedback: the chunk's values become gradient plus residual, in place and once, before this
                // rank proposes their exponent. Retransmissions re-read the same values.
                gradient.addResidual(residual, first, proposalCount);
            }
            proposal = gradient.exponentOf(codec, first, proposalCount);
            if (proposal == FixedPoint.NON_FINITE)
            {
                fail(CollectiveException.Reason.INVALID_INPUT, "allReduce round " + round + ": a value in elements [" +
                    first + ", " + (first + proposalCount) + ") is NaN or infinite, which " +
                    codecKind + " cannot carry; use FP32 or fix the gradient");
                return false;
            }
            exponents.propose(sequence + plan.headerChunks(), proposal);
        }
        final int flags = (plan.isLast(sequence) ? FLAG_LAST : 0) | (retransmit ? FLAG_RETRANSMIT : 0);
        final MutableDirectBuffer frame = proxy.contribution(token, round, sequence, flags, count, exponent, proposal);
        int payloadLength = 0;
        if (count > 0)
        {
            final int first = plan.firstElement(chunk);
            final int noiseKey = ValueCodec.noiseKey(jobId, rank, sequence);
            payloadLength =
                gradient.encode(codec, first, count, exponent, noiseKey, frame, WorkerProxy.payloadOffset());
            if (residual != null && !retransmit)
            {
                gradient.quantisationError(codec, first, count, exponent, residual);
            }
        }
        proxy.sendContribution(payloadLength);
        return true;
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
        fastRetransmit(nowNs);
        if (outcome == IN_PROGRESS)
        {
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
        final int sequence = window.lowest();
        if (window.receivedAhead() >= FAST_RETRANSMIT_THRESHOLD && !window.isReceived(sequence) &&
            !window.isFastRetransmitted(sequence))
        {
            window.fastRetransmitted(sequence);
            congestion.onLoss(sequence, window.next());
            retransmit(sequence, nowNs);
        }
    }

    private boolean retransmit(final int sequence, final long nowNs)
    {
        window.retransmitted(sequence, nowNs);
        counters.increment(CounterDescriptor.RETRANSMITS);
        if (window.isHeld(sequence))
        {
            proxy.resend(token, round, sequence);
            return true;
        }
        return sendChunk(sequence, true);
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
