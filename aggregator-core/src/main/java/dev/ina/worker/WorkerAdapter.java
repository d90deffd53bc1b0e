package dev.ina.worker;

import dev.ina.api.CollectiveException;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.MutableDirectBuffer;

import static dev.ina.protocol.FrameDescriptor.HEADER_LENGTH;

/**
 * Decodes the frames a worker receives and dispatches them to the part of the session they are for: results,
 * PENDING, NACK and GONE to the {@link ChunkStream}, JOIN_ACK and a join's PENDING or redirect to the
 * {@link JoinHandshake}, ERROR and ABORT to the session. What is malformed, foreign or stale is dropped and counted
 * by reason. With a job secret, a JOIN_ACK or CHALLENGE must prove it, and so must an ERROR or ABORT once the job
 * started (while joining, an ERROR without a proof is taken: the aggregator cannot prove anything to a rank whose
 * secret it does not share, and the rank must learn why it was refused). Single-threaded.
 */
final class WorkerAdapter
{
    private final WorkerSession session;
    private final JoinHandshake join;
    private final ChunkStream stream;
    private final StallReport stall;
    private final Counters counters;
    private final int jobId;
    private final int worldSize;
    private final ControlFlyweight in = new ControlFlyweight();

    WorkerAdapter(
        final WorkerSession session,
        final JoinHandshake join,
        final ChunkStream stream,
        final StallReport stall,
        final Counters counters,
        final int jobId,
        final int worldSize)
    {
        this.session = session;
        this.join = join;
        this.stream = stream;
        this.stall = stall;
        this.counters = counters;
        this.jobId = jobId;
        this.worldSize = worldSize;
    }

    void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int peer, final long nowNs)
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
        if (in.jobId() != jobId)
        {
            counters.increment(CounterDescriptor.DROP_UNKNOWN_JOB);
            return;
        }
        switch (in.type())
        {
            case FrameDescriptor.TYPE_RESULT:
                stream.onResult(in, length, nowNs);
                session.afterStream();
                break;
            case FrameDescriptor.TYPE_PENDING:
                onPending(nowNs);
                break;
            case FrameDescriptor.TYPE_GONE:
                stream.onGone(in, nowNs);
                session.afterStream();
                break;
            case FrameDescriptor.TYPE_NACK:
                if (session.state() == WorkerSession.State.CALL || session.state() == WorkerSession.State.READY)
                {
                    stream.onNack(in, nowNs);
                    session.afterStream();
                }
                else
                {
                    counters.increment(CounterDescriptor.DROP_STALE);
                }
                break;
            case FrameDescriptor.TYPE_JOIN_ACK:
                onJoinAck(length, nowNs);
                break;
            case FrameDescriptor.TYPE_CHALLENGE:
                onChallenge(length, nowNs);
                break;
            case FrameDescriptor.TYPE_ABORT:
            case FrameDescriptor.TYPE_ERROR:
                onError(length, nowNs);
                break;
            default:
                counters.increment(CounterDescriptor.DROP_TYPE);
        }
    }

    private void onJoinAck(final int length, final long nowNs)
    {
        final int check = session.state() == WorkerSession.State.JOINING ? join.check(in, length) : -1;
        if (check != 0)
        {
            counters.increment(check < 0 ? CounterDescriptor.DROP_STALE :
                check == 2 ? CounterDescriptor.DROP_PROOF : CounterDescriptor.DROP_CONTROL);
            return;
        }
        session.onJoined(in.sessionToken(), in.firstSequence(), nowNs);
    }

    private void onChallenge(final int length, final long nowNs)
    {
        final int taken = session.state() == WorkerSession.State.JOINING && join.hasSecret() ?
            join.onChallenge(in, length, nowNs) : -1;
        if (taken != 0)
        {
            counters.increment(taken < 0 ? CounterDescriptor.DROP_STALE : CounterDescriptor.DROP_PROOF);
            return;
        }
        stall.heard(nowNs);
    }

    private void onPending(final long nowNs)
    {
        if (!in.hasRankBitmap(worldSize))
        {
            counters.increment(CounterDescriptor.DROP_LENGTH);
            return;
        }
        final WorkerSession.State state = session.state();
        if (state == WorkerSession.State.JOINING && join.isForThisJoin(in))
        {
            stall.onPending(in, -1, nowNs);
        }
        else if (state == WorkerSession.State.CALL && stream.isForThisCall(in))
        {
            stream.onPending(in, nowNs);
        }
        else
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        stall.heard(nowNs);
    }

    private void onError(final int length, final long nowNs)
    {
        final WorkerSession.State state = session.state();
        final int token = stream.token();
        final boolean forUs = token != 0 ? in.sessionToken() == token : join.isForThisJoin(in);
        if (!forUs || state == WorkerSession.State.CLOSED || state == WorkerSession.State.FAILED ||
            state == WorkerSession.State.NEW)
        {
            counters.increment(CounterDescriptor.DROP_STALE);
            return;
        }
        if (join.hasSecret() && (token != 0 || in.hasFlag(FrameDescriptor.FLAG_PROOF)) && !join.isProven(in, length))
        {
            // A joined rank of a protected job takes only proven ends; a frame that claims a proof must have one.
            join.onUnprovenReply();
            counters.increment(CounterDescriptor.DROP_PROOF);
            return;
        }
        stall.heard(nowNs);
        if (state == WorkerSession.State.JOINING && in.type() == FrameDescriptor.TYPE_ERROR &&
            in.errorCode() == ControlFlyweight.ERROR_REDIRECT && join.onRedirect(in.redirectPort()))
        {
            return;
        }
        final boolean abort = in.type() == FrameDescriptor.TYPE_ABORT;
        session.fail(abort ? CollectiveException.Reason.ABORTED : CollectiveException.Reason.REFUSED,
            (abort ? "the aggregator ended the job: " : "the aggregator refused: ") + in.message());
    }
}
