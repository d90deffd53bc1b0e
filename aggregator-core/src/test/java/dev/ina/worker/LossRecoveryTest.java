package dev.ina.worker;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.sim.CapturedFrame;
import dev.ina.sim.Frames;
import dev.ina.sim.RecordingFrameSender;
import dev.ina.sim.SimulatedNetwork;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's loss recovery through its session: fast retransmit, what a retransmission carries, and how loss
 * episodes move the congestion window and the retransmission timeout.
 */
class LossRecoveryTest
{
    private static final int TOKEN = 0x0BAD_CAFE;
    private static final int NONCE = 41;
    private static final int WORLD_SIZE = 2;
    private static final int WINDOW = 8;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final RecordingFrameSender sender = new RecordingFrameSender();
    private final Counters counters = new Counters("worker");
    private final WorkerConfig config = SimulatedNetwork.workerConfig(0, WORLD_SIZE, Codec.FP32, WINDOW, 1)
        .retransmitTimeouts(10 * MS, MS, 500 * MS).timeoutNs(TimeUnit.SECONDS.toNanos(30)).build();
    private final WorkerSession session = new WorkerSession(config, sender, counters, NONCE);
    private final Frames frames = new Frames(config.jobId(), Codec.FP32, WORLD_SIZE, WINDOW, 1);
    private final float[] data = new float[WINDOW];
    private long nowNs = TimeUnit.SECONDS.toNanos(7);

    @Test
    void shouldRetransmitTheOldestChunkOnceWhenThreeLaterResultsArrive()
    {
        startCall();
        deliver(frames.result(TOKEN, 1, 1, WORLD_SIZE, 1));
        deliver(frames.result(TOKEN, 1, 2, WORLD_SIZE, 2));
        assertEquals(0, retransmissions().size(), "two later results are reordering, not loss");
        deliver(frames.result(TOKEN, 1, 3, WORLD_SIZE, 3));
        final List<CapturedFrame> retransmitted = retransmissions();
        assertEquals(1, retransmitted.size());
        assertEquals(FrameDescriptor.TYPE_CONTRIB, retransmitted.get(0).type());
        assertEquals(0, retransmitted.get(0).header().sequence());
        assertEquals(WINDOW / 2, session.congestionWindow(), "a loss episode halves the window");

        deliver(frames.result(TOKEN, 1, 4, WORLD_SIZE, 4));
        deliver(frames.result(TOKEN, 1, 5, WORLD_SIZE, 5));
        assertEquals(1, retransmissions().size(), "once per transmission");
        assertEquals(1, counters.get(CounterDescriptor.RETRANSMITS));
        assertEquals(1, session.stats().retransmits());
    }

    @Test
    void shouldAskForTheResultWithoutPayloadWhenTheAggregatorHoldsTheChunk()
    {
        startCall();
        deliver(frames.pending(TOKEN, 0, 1, 0, 0));
        deliver(frames.result(TOKEN, 1, 1, WORLD_SIZE, 1));
        deliver(frames.result(TOKEN, 1, 2, WORLD_SIZE, 2));
        deliver(frames.result(TOKEN, 1, 3, WORLD_SIZE, 3));
        final List<CapturedFrame> retransmitted = retransmissions();
        assertEquals(1, retransmitted.size());
        assertEquals(FrameDescriptor.TYPE_RESEND, retransmitted.get(0).type());
        assertEquals(FrameDescriptor.HEADER_LENGTH, retransmitted.get(0).length(), "no payload");
    }

    @Test
    void shouldBackOffOnceOnATimeoutEpisodeAndUndoItWhenPendingShowsASlowPeer()
    {
        startCall();
        final long rto = session.rtoNs();
        nowNs += rto;
        session.doWork(nowNs);
        assertEquals(1, retransmissions().size(), "the oldest chunk times out first and starts the episode");
        assertEquals(WINDOW / 2, session.congestionWindow(), "a loss episode halves the window");
        assertEquals(2 * rto, session.rtoNs(), "and backs the timeout off for every chunk in flight");
        nowNs += rto;
        session.doWork(nowNs);
        assertEquals(WINDOW, retransmissions().size(), "the others go at the backed-off timeout");
        assertEquals(WINDOW / 2, session.congestionWindow(), "halved once for the whole flight");
        assertEquals(2 * rto, session.rtoNs(), "backed off once per episode");

        deliver(frames.pending(TOKEN, 0, 1, 0, 0));
        assertEquals(WINDOW, session.congestionWindow(), "PENDING with this rank's bit: the timeout was spurious");
        assertEquals(rto, session.rtoNs());
    }

    @Test
    void shouldNotUndoWhenPendingShowsTheContributionWasLost()
    {
        startCall();
        nowNs += session.rtoNs();
        session.doWork(nowNs);
        final long backedOff = session.rtoNs();
        assertEquals(WINDOW / 2, session.congestionWindow());
        deliver(frames.pending(TOKEN, 0, 1, 0, 1));
        assertEquals(WINDOW / 2, session.congestionWindow(), "rank 0 missing: a real loss");
        assertEquals(backedOff, session.rtoNs());
    }

    @Test
    void shouldCompleteWithTheResultsOfRetransmittedChunks()
    {
        startCall();
        final long rto = session.rtoNs();
        for (int i = 0; i < 2; i++)
        {
            nowNs += rto;
            session.doWork(nowNs);
        }
        assertEquals(WINDOW, retransmissions().size(), "every chunk sent twice");
        for (int s = 0; s < WINDOW; s++)
        {
            deliver(frames.result(TOKEN, 1, s, WORLD_SIZE, 10 + s));
        }
        assertEquals(WorkerSession.State.READY, session.state());
        for (int s = 0; s < WINDOW; s++)
        {
            assertEquals(10 + s, data[s]);
        }
    }

    private void startCall()
    {
        session.startJoin(nowNs);
        deliver(frames.joinAck(TOKEN, 0, NONCE));
        assertEquals(WorkerSession.State.READY, session.state());
        session.startCall(data, 0, WINDOW, ReduceOp.SUM, nowNs);
        assertEquals(WINDOW, sender.ofType(FrameDescriptor.TYPE_CONTRIB).size(), "a full window leaves at once");
        sender.clear();
    }

    private List<CapturedFrame> retransmissions()
    {
        final List<CapturedFrame> all = sender.frames();
        for (final CapturedFrame frame : all)
        {
            final ControlFlyweight header = frame.header();
            assertTrue(header.hasFlag(FrameDescriptor.FLAG_RETRANSMIT), "only retransmissions: " + frame);
        }
        return all;
    }

    private void deliver(final UnsafeBuffer frame)
    {
        session.onFrame(frame, 0, frame.capacity(), WorkerSession.AGGREGATOR_PEER, nowNs);
    }
}
