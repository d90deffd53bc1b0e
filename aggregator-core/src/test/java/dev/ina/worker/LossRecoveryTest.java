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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    void shouldQueryTheOldestChunkOnceWhenThreeLaterResultsArrive()
    {
        startCall();
        deliver(frames.result(TOKEN, 1, 1, WORLD_SIZE, 1));
        deliver(frames.result(TOKEN, 1, 2, WORLD_SIZE, 2));
        assertEquals(0, resent().size(), "two later results are reordering, not loss");
        deliver(frames.result(TOKEN, 1, 3, WORLD_SIZE, 3));
        assertEquals(0, resent().size(), "a repair by another rank may be under way: a round trip's grace");
        nowNs += MS;
        session.doWork(nowNs);
        final List<CapturedFrame> resent = resent();
        assertEquals(1, resent.size());
        assertEquals(FrameDescriptor.TYPE_RESEND, resent.get(0).type(), "a header-only query, not the payload");
        assertEquals(FrameDescriptor.HEADER_LENGTH, resent.get(0).length());
        assertEquals(0, resent.get(0).header().sequence());
        assertEquals(WINDOW, session.congestionWindow(), "a query is no loss");

        deliver(frames.result(TOKEN, 1, 4, WORLD_SIZE, 4));
        deliver(frames.result(TOKEN, 1, 5, WORLD_SIZE, 5));
        assertEquals(1, resent().size(), "once per transmission");
        assertEquals(1, counters.get(CounterDescriptor.QUERIES));
        assertEquals(1, session.stats().queries());
        assertEquals(0, session.stats().retransmits());
    }

    @Test
    void shouldWaitForAHeldChunkInsteadOfAskingWhenLaterResultsArrive()
    {
        startCall();
        deliver(frames.pending(TOKEN, 0, 1, 0, 0));
        deliver(frames.result(TOKEN, 1, 1, WORLD_SIZE, 1));
        deliver(frames.result(TOKEN, 1, 2, WORLD_SIZE, 2));
        deliver(frames.result(TOKEN, 1, 3, WORLD_SIZE, 3));
        assertEquals(0, resent().size(), "the aggregator holds chunk 0: it waits for a slower rank");
    }

    @Test
    void shouldSendThePayloadAgainAtOnceWhenTheAggregatorNacksIt()
    {
        startCall();
        nowNs += MS;
        deliver(frames.nack(TOKEN, 0, 1, 2, 1, 0));
        final List<CapturedFrame> resent = resent();
        assertEquals(1, resent.size());
        assertEquals(FrameDescriptor.TYPE_CONTRIB, resent.get(0).type());
        assertEquals(2, resent.get(0).header().sequence());
        assertArrayEquals(new float[] {data[2]}, resent.get(0).payloadFloats());
        assertEquals(WINDOW, session.congestionWindow(), "an isolated loss is random loss, not congestion");
        assertEquals(1, session.stats().retransmits());

        deliver(frames.nack(TOKEN, 0, 1, 2, 1, 0));
        assertEquals(1, resent().size(), "a duplicated NACK does not send it twice");
    }

    @Test
    void shouldTakeARunOfLostChunksAsCongestion()
    {
        startCall();
        nowNs += MS;
        deliver(frames.nack(TOKEN, 0, 1, 3, 3, 0));
        assertEquals(3, resent().size());
        assertEquals(WINDOW / 2, session.congestionWindow(), "consecutive losses: a queue overflowed");
    }

    @Test
    void shouldDeferTheRetransmissionWhenTheNackSaysWhen()
    {
        startCall();
        nowNs += MS;
        deliver(frames.nack(TOKEN, 0, 1, 4, 1, 3_000));
        assertEquals(0, resent().size(), "the aggregator's set is busy for 3 ms");
        for (int i = 0; i < 25; i++)
        {
            nowNs += 100_000;
            session.doWork(nowNs);
        }
        assertEquals(0, resent().size(), "not before 3 ms");
        for (int i = 0; i < 10; i++)
        {
            nowNs += 100_000;
            session.doWork(nowNs);
        }
        assertEquals(1, resent().size());
        assertEquals(FrameDescriptor.TYPE_CONTRIB, resent().get(0).type(), "known missing: the payload");
    }

    @Test
    void shouldSendThePayloadAgainWhenPendingShowsItMissing()
    {
        startCall();
        nowNs += MS;
        deliver(frames.pending(TOKEN, 0, 1, 5, 1));
        assertEquals(1, resent().size());
        assertEquals(FrameDescriptor.TYPE_CONTRIB, resent().get(0).type());
        assertEquals(5, resent().get(0).header().sequence());
    }

    @Test
    void shouldBackOffOnASilentTimeoutAndUndoItWhenTheQuerysAnswerShowsASlowPeer()
    {
        startCall();
        final long rto = session.rtoNs();
        nowNs += rto;
        session.doWork(nowNs);
        assertEquals(1, resent().size(), "the oldest chunk times out first");
        assertEquals(FrameDescriptor.TYPE_RESEND, resent().get(0).type());
        assertEquals(WINDOW / 2, session.congestionWindow(), "nothing heard since it left: the window halves");
        assertEquals(2 * rto, session.rtoNs(), "and the timeout backs off for every chunk in flight");

        deliver(frames.pending(TOKEN, 0, 1, 0, 0));
        assertEquals(WINDOW, session.congestionWindow(), "the query's answer holds this rank: the peer was slow");
        assertEquals(rto, session.rtoNs());
    }

    @Test
    void shouldNotTakeATimeoutAsLossWhileTheAggregatorTalks()
    {
        startCall();
        final long rto = session.rtoNs();
        nowNs += rto / 2;
        deliver(frames.pending(TOKEN, 0, 1, 7, 0));
        nowNs += rto / 2;
        session.doWork(nowNs);
        assertTrue(resent().size() > 0, "unanswered chunks are asked about");
        assertEquals(WINDOW, session.congestionWindow(), "but the aggregator answered since: no congestion");
        assertEquals(rto, session.rtoNs());
    }

    @Test
    void shouldCompleteWithTheResultsOfChunksSentAgain()
    {
        startCall();
        nowNs += MS;
        deliver(frames.nack(TOKEN, 0, 1, 0, 2, 0));
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
        for (int s = 0; s < WINDOW; s++)
        {
            data[s] = 100 + s;
        }
        session.startJoin(nowNs);
        deliver(frames.joinAck(TOKEN, 0, NONCE));
        assertEquals(WorkerSession.State.READY, session.state());
        session.startCall(data, 0, WINDOW, ReduceOp.SUM, nowNs);
        assertEquals(WINDOW, sender.ofType(FrameDescriptor.TYPE_CONTRIB).size(), "a full window leaves at once");
        sender.clear();
    }

    private List<CapturedFrame> resent()
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
