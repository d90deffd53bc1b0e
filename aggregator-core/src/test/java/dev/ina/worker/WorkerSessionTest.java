package dev.ina.worker;

import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
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

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ina.protocol.FrameDescriptor.TYPE_CONTRIB;
import static dev.ina.protocol.FrameDescriptor.TYPE_JOIN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerSessionTest
{
    static final int NONCE = 77;
    static final int TOKEN = 0x1234_5678;
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    final RecordingFrameSender sender = new RecordingFrameSender();
    final Counters counters = new Counters("worker");
    long nowNs = TimeUnit.SECONDS.toNanos(5);
    WorkerSession session;
    Frames frames;
    WorkerConfig config;

    void create(final WorkerConfig config)
    {
        this.config = config;
        session = new WorkerSession(config, sender, counters, NONCE);
        frames = new Frames(config.jobId(), config.codec(), config.worldSize(), config.window(),
            config.elementsPerPacket());
    }

    void create(final int rank, final int worldSize, final Codec codec, final int window, final int epp)
    {
        create(SimulatedNetwork.workerConfig(rank, worldSize, codec, window, epp).build());
    }

    void deliver(final UnsafeBuffer frame)
    {
        session.onFrame(frame, 0, frame.capacity(), WorkerSession.AGGREGATOR_PEER, nowNs);
    }

    void join()
    {
        session.startJoin(nowNs);
        deliver(frames.joinAck(TOKEN, config.rank(), NONCE));
        assertEquals(WorkerSession.State.READY, session.state());
        sender.clear();
    }

    /**
     * Advances the clock in steps, calling doWork, until the session leaves a state or the time is up.
     */
    void runWhile(final WorkerSession.State state, final long stepNs, final long maxNs)
    {
        final long endNs = nowNs + maxNs;
        while (session.state() == state && nowNs - endNs < 0)
        {
            nowNs += stepNs;
            session.doWork(nowNs);
        }
    }

    static void addFlag(final UnsafeBuffer frame, final int flag)
    {
        Frames.header(frame).flags(Frames.header(frame).flags() | flag);
    }

    // ------------------------------------------------------------------------------------------------ join

    @Test
    void shouldSendJoinAndRetryWithBackoffWhenUnanswered()
    {
        create(SimulatedNetwork.workerConfig(2, 4, Codec.FIXED32, 8, 5).jobId(9).build());
        final long t0 = nowNs;
        session.startJoin(nowNs);
        final ControlFlyweight join = sender.last().header();
        assertEquals(TYPE_JOIN, join.type());
        assertEquals(9, join.jobId());
        assertEquals(2, join.rank());
        assertEquals(NONCE, join.round());
        assertEquals(4, join.worldSize());
        assertEquals(8, join.window());
        assertEquals(5, join.elementsPerPacket());
        assertEquals(0, join.mode());
        assertEquals(Codec.FIXED32.id(), join.codec());
        assertEquals(ControlFlyweight.PADDED_JOIN_LENGTH, sender.last().length(), "a JOIN is padded so that every " +
            "reply fits in as many bytes");

        final List<Long> sendTimes = new ArrayList<>();
        sendTimes.add(t0);
        while (nowNs - t0 < 1300 * MS)
        {
            nowNs += MS;
            final int before = sender.frames().size();
            session.doWork(nowNs);
            if (sender.frames().size() > before)
            {
                sendTimes.add(nowNs);
            }
        }
        final long[] expectedIntervalsMs = {10, 20, 40, 80, 160, 250, 250, 250};
        for (int i = 0; i < expectedIntervalsMs.length; i++)
        {
            assertEquals(expectedIntervalsMs[i] * MS, sendTimes.get(i + 1) - sendTimes.get(i), "retry " + i);
        }
        assertEquals(WorkerSession.State.JOINING, session.state());
    }

    @Test
    void shouldFailSayingNoAnswerWhenNothingIsHeardWhileJoining()
    {
        create(SimulatedNetwork.workerConfig(0, 2, Codec.FP32, 4, 8).joinTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .build());
        final long t0 = nowNs;
        session.startJoin(nowNs);
        runWhile(WorkerSession.State.JOINING, MS, TimeUnit.SECONDS.toNanos(5));
        assertEquals(WorkerSession.State.FAILED, session.state());
        assertEquals(1000 * MS, nowNs - t0);
        final CollectiveException failure = session.failure();
        assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason());
        assertTrue(failure.getMessage().contains("no answer from the aggregator at 127.0.0.1:47100"),
            failure.getMessage());
        assertTrue(failure.getMessage().contains("within 1000 ms"), failure.getMessage());
        final CollectiveException thrown = assertThrows(CollectiveException.class,
            () -> session.startCall(new float[1], 0, 1, ReduceOp.SUM, nowNs));
        assertEquals(CollectiveException.Reason.TIMEOUT, thrown.reason());
    }

    @Test
    void shouldRejoinOnTheGivenPortWhenTheAggregatorRedirects()
    {
        create(SimulatedNetwork.workerConfig(1, 2, Codec.FP32, 4, 8).build());
        session.startJoin(nowNs);
        final UnsafeBuffer redirect = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH + 8]);
        final ControlFlyweight error = new ControlFlyweight();
        error.wrap(redirect, 0, redirect.capacity());
        error.writeHeader(FrameDescriptor.TYPE_ERROR, FrameDescriptor.CODEC_NONE).jobId(config.jobId()).rank(1)
            .round(NONCE).sequence(47101).contributors(ControlFlyweight.ERROR_REDIRECT);
        deliver(redirect);
        assertEquals(WorkerSession.State.JOINING, session.state());
        assertEquals(47101, session.redirectPort());
        sender.clear();

        session.redirected(nowNs);
        assertEquals(0, session.redirectPort());
        assertEquals(TYPE_JOIN, sender.last().type(), "joins at once on the new port");
        deliver(frames.joinAck(TOKEN, 1, NONCE));
        assertEquals(WorkerSession.State.READY, session.state());
    }

    @Test
    void shouldWithdrawTheJoinWithItsNonceWhenLeavingBeforeTheJobStarted()
    {
        create(SimulatedNetwork.workerConfig(1, 3, Codec.FP32, 4, 8).joinTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .build());
        session.startJoin(nowNs);
        runWhile(WorkerSession.State.JOINING, MS, TimeUnit.SECONDS.toNanos(5));
        assertEquals(WorkerSession.State.FAILED, session.state());
        sender.clear();

        session.leave(nowNs);
        assertEquals(3, sender.frames().size(), "best effort: a few copies");
        final ControlFlyweight withdraw = sender.last().header();
        assertEquals(FrameDescriptor.TYPE_LEAVE, withdraw.type());
        assertEquals(0, withdraw.sessionToken());
        assertEquals(NONCE, withdraw.round());
        assertEquals(1, withdraw.rank());
    }

    @Test
    void shouldFailNamingTheMissingRanksWhenPendingWasHeardWhileJoining()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(4)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, 4, Codec.FP32, 4, 8)
                .joinTimeoutNs(TimeUnit.SECONDS.toNanos(2)).build())
            .build();
        net.startJoin(0);
        net.startJoin(1);
        net.startJoin(3);
        net.runUntil(() -> net.worker(0).state() == WorkerSession.State.FAILED, 100_000);
        net.runUntil(net::noneJoining, 100);
        for (final int r : new int[]{0, 1, 3})
        {
            final CollectiveException failure = net.worker(r).failure();
            assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason());
            assertTrue(failure.getMessage().contains("rank(s) [2] have not joined"), failure.getMessage());
            assertTrue(failure.getMessage().contains("the aggregator at 127.0.0.1:47100 answers"),
                failure.getMessage());
        }
        assertEquals(WorkerSession.State.NEW, net.worker(2).state());
    }

    @Test
    void shouldDropJoinAckWhenItBelongsToAnotherSessionOrDoesNotMatch()
    {
        create(1, 2, Codec.FP32, 4, 8);
        session.startJoin(nowNs);
        deliver(frames.joinAck(TOKEN, 1, NONCE + 1));
        deliver(frames.joinAck(TOKEN, 0, NONCE));
        deliver(frames.joinAck(0, 1, NONCE));
        final UnsafeBuffer shortAck = frames.joinAck(TOKEN, 1, NONCE);
        session.onFrame(shortAck, 0, ControlFlyweight.JOIN_LENGTH - 1, 0, nowNs);
        assertEquals(4, counters.get(CounterDescriptor.DROP_STALE));
        deliver(new Frames(config.jobId(), Codec.FP32, 2, 8, 8).joinAck(TOKEN, 1, NONCE));
        deliver(new Frames(config.jobId(), Codec.FIXED32, 2, 4, 8).joinAck(TOKEN, 1, NONCE));
        assertEquals(2, counters.get(CounterDescriptor.DROP_CONTROL));
        deliver(new Frames(config.jobId() + 1, Codec.FP32, 2, 4, 8).joinAck(TOKEN, 1, NONCE));
        assertEquals(1, counters.get(CounterDescriptor.DROP_UNKNOWN_JOB));
        assertEquals(WorkerSession.State.JOINING, session.state());

        deliver(frames.joinAck(TOKEN, 1, NONCE));
        assertEquals(WorkerSession.State.READY, session.state());
        deliver(frames.joinAck(TOKEN, 1, NONCE));
        assertEquals(5, counters.get(CounterDescriptor.DROP_STALE), "a repeated JOIN_ACK");
    }

    @Test
    void shouldFailAsRefusedWhenTheAggregatorRefusesTheJoin()
    {
        create(0, 2, Codec.FP32, 4, 8);
        session.startJoin(nowNs);
        deliver(frames.error(FrameDescriptor.TYPE_ERROR, 0, 0, NONCE + 1, ControlFlyweight.ERROR_CONFIG_MISMATCH,
            "not you"));
        assertEquals(1, counters.get(CounterDescriptor.DROP_STALE));
        assertEquals(WorkerSession.State.JOINING, session.state());
        deliver(frames.error(FrameDescriptor.TYPE_ERROR, 0, 0, NONCE, ControlFlyweight.ERROR_CONFIG_MISMATCH,
            "job 1 already exists"));
        assertEquals(WorkerSession.State.FAILED, session.state());
        assertEquals(CollectiveException.Reason.REFUSED, session.failure().reason());
        assertTrue(session.failure().getMessage().endsWith("the aggregator refused: job 1 already exists"),
            session.failure().getMessage());
        assertTrue(session.failure().getMessage().startsWith("job 1 rank 0/2: "), session.failure().getMessage());
    }

    // ------------------------------------------------------------------------------------------------ calls

    @Test
    void shouldStreamAWindowOfChunksAndCompleteWhenResultsArrive()
    {
        create(1, 2, Codec.FP32, 2, 2);
        join();
        final float[] data = {1, 2, 3, 4, 5};
        session.startCall(data, 0, 5, ReduceOp.SUM, nowNs);
        assertEquals(WorkerSession.State.CALL, session.state());
        assertEquals(2, sender.frames().size(), "one window");
        for (int s = 0; s < 2; s++)
        {
            final ControlFlyweight chunk = sender.frames().get(s).header();
            assertEquals(TYPE_CONTRIB, chunk.type());
            assertEquals(TOKEN, chunk.sessionToken());
            assertEquals(1, chunk.rank());
            assertEquals(s, chunk.sequence());
            assertEquals(s, chunk.slot());
            assertEquals(1, chunk.round());
            assertEquals(2, chunk.count());
            assertEquals(0, chunk.flags());
        }
        assertArrayEquals(new float[]{3, 4}, sender.frames().get(1).payloadFloats());

        deliver(frames.result(TOKEN, 1, 0, 2, 10, 20));
        final ControlFlyweight last = sender.last().header();
        assertEquals(2, last.sequence());
        assertEquals(0, last.slot());
        assertEquals(FrameDescriptor.FLAG_SHADOW_SET | FrameDescriptor.FLAG_LAST, last.flags());
        assertEquals(1, last.count());
        assertArrayEquals(new float[]{5}, sender.last().payloadFloats());

        deliver(frames.result(TOKEN, 1, 2, 2, 50));
        assertEquals(WorkerSession.State.CALL, session.state());
        deliver(frames.result(TOKEN, 1, 1, 2, 30, 40));
        assertEquals(WorkerSession.State.READY, session.state());
        assertArrayEquals(new float[]{10, 20, 30, 40, 50}, data);
        assertEquals(1, session.stats().round());
        assertEquals(3, session.stats().chunks());
        assertEquals(3, session.stats().packetsSent());
        assertEquals(0, session.stats().retransmits());
        assertEquals(2, session.stats().minContributors());
        assertTrue(session.stats().isComplete(2));
    }

    @Test
    void shouldDivideByContributorsWhenOpIsAvg()
    {
        create(0, 4, Codec.FP32, 2, 2);
        join();
        final float[] data = {1, 2};
        session.startCall(data, 0, 2, ReduceOp.AVG, nowNs);
        deliver(frames.result(TOKEN, 1, 0, 4, 10, -6));
        assertArrayEquals(new float[]{2.5f, -1.5f}, data);
    }

    @Test
    void shouldDropResultsThatDoNotFitTheCall()
    {
        create(0, 2, Codec.FP32, 2, 2);
        join();
        final float[] data = {1, 2, 3};
        session.startCall(data, 0, 3, ReduceOp.SUM, nowNs);

        deliver(frames.result(TOKEN, 1, 0, 2, 10));
        deliver(frames.result(TOKEN, 1, 1, 2, 10, 20));
        final UnsafeBuffer truncated = frames.result(TOKEN, 1, 0, 2, 10, 20);
        session.onFrame(truncated, 0, truncated.capacity() - 1, 0, nowNs);
        deliver(withCodec(frames.result(TOKEN, 1, 0, 2, 10, 20), FrameDescriptor.CODEC_FIXED32));
        assertEquals(4, counters.get(CounterDescriptor.DROP_LENGTH));
        deliver(frames.result(TOKEN, 1, 0, 1, 10, 20));
        assertEquals(1, counters.get(CounterDescriptor.DROP_CONTROL), "fewer contributors than ranks");
        deliver(frames.result(TOKEN, 1, 2, 2, 10));
        deliver(frames.result(TOKEN + 1, 1, 0, 2, 10, 20));
        deliver(frames.result(TOKEN, 2, 0, 2, 10, 20));
        assertEquals(3, counters.get(CounterDescriptor.DROP_STALE));
        final UnsafeBuffer noType = frames.result(TOKEN, 1, 0, 2, 10, 20);
        noType.putByte(FrameDescriptor.TYPE_OFFSET, FrameDescriptor.TYPE_CONTRIB);
        deliver(noType);
        assertEquals(1, counters.get(CounterDescriptor.DROP_TYPE));
        final UnsafeBuffer v2 = frames.result(TOKEN, 1, 0, 2, 10, 20);
        v2.putByte(FrameDescriptor.VERSION_OFFSET, (byte)2);
        deliver(v2);
        assertEquals(1, counters.get(CounterDescriptor.DROP_VERSION));
        session.onFrame(v2, 0, 5, 0, nowNs);
        assertEquals(1, counters.get(CounterDescriptor.DROP_SHORT));
        assertArrayEquals(new float[]{1, 2, 3}, data, "a dropped result was written");

        deliver(frames.result(TOKEN, 1, 1, 2, 30));
        deliver(frames.result(TOKEN, 1, 1, 2, 99));
        assertEquals(1, counters.get(CounterDescriptor.DROP_DUPLICATE));
        deliver(frames.result(TOKEN, 1, 0, 2, 10, 20));
        assertEquals(WorkerSession.State.READY, session.state());
        assertArrayEquals(new float[]{10, 20, 30}, data);
    }

    static UnsafeBuffer withCodec(final UnsafeBuffer frame, final byte codec)
    {
        frame.putByte(FrameDescriptor.CODEC_OFFSET, codec);
        return frame;
    }

    @Test
    void shouldQuantiseWithTheAgreedExponentWhenCodecIsFixed32()
    {
        create(0, 1, Codec.FIXED32, 2, 2);
        join();
        final float[] data = {1.0f, 2.0f, 0.5f, 0.25f};
        session.startCall(data, 0, 4, ReduceOp.SUM, nowNs);
        assertEquals(2, sender.frames().size(), "two exponent-agreement chunks");
        final ControlFlyweight first = sender.frames().get(0).header();
        assertEquals(0, first.count());
        assertEquals(1, first.nextExponent(), "proposal for data chunk 0");
        assertEquals(-1, sender.frames().get(1).header().nextExponent(), "proposal for data chunk 1");

        // Another rank proposed 3 for chunk 0: the agreed maximum comes back in the result's next exponent.
        deliver(frames.fixedResult(TOKEN, 1, 0, 1, 0, 3));
        final CapturedFrame chunk0 = sender.last();
        assertEquals(2, chunk0.header().sequence());
        assertEquals(3, chunk0.header().exponent());
        assertEquals(FrameDescriptor.EXPONENT_ZERO, chunk0.header().nextExponent(), "no chunk 2 to propose for");
        assertArrayEquals(new int[]{1 << 26, 1 << 27}, chunk0.payloadInts());

        deliver(frames.fixedResult(TOKEN, 1, 1, 1, 0, -1));
        assertArrayEquals(new int[]{1 << 29, 1 << 28}, sender.last().payloadInts());
        deliver(frames.fixedResult(TOKEN, 1, 2, 1, 3, 0, 3 << 26, -(1 << 26)));
        deliver(frames.fixedResult(TOKEN, 1, 3, 1, -1, 0, 1 << 29, 0));
        assertEquals(WorkerSession.State.READY, session.state());
        assertArrayEquals(new float[]{3.0f, -1.0f, 0.5f, 0.0f}, data);
    }

    @Test
    void shouldRetransmitWithExponentialBackoffWhenResultsDoNotArrive()
    {
        final long rto = 10 * MS;
        final long maxRto = 80 * MS;
        create(SimulatedNetwork.workerConfig(0, 2, Codec.FP32, 2, 2)
            .retransmitTimeouts(rto, MS, maxRto).timeoutNs(TimeUnit.SECONDS.toNanos(10)).build());
        join();
        final float[] data = {1, 2, 3, 4};
        final long t0 = nowNs;
        session.startCall(data, 0, 4, ReduceOp.SUM, nowNs);
        final List<Long> retransmitTimes = new ArrayList<>();
        while (nowNs - t0 < 800 * MS)
        {
            nowNs += MS;
            final int before = sender.frames().size();
            session.doWork(nowNs);
            for (int i = before; i < sender.frames().size(); i++)
            {
                final ControlFlyweight frame = sender.frames().get(i).header();
                assertEquals(FrameDescriptor.TYPE_RESEND, frame.type(), "a silent aggregator is asked, not sent data");
                assertEquals(FrameDescriptor.HEADER_LENGTH, sender.frames().get(i).length());
                assertTrue(frame.hasFlag(FrameDescriptor.FLAG_RETRANSMIT));
                assertEquals(0, frame.sequence(), "only the oldest chunk is timed, as TCP's oldest segment");
                if (frame.sequence() == 0)
                {
                    retransmitTimes.add(nowNs);
                }
            }
        }
        assertTrue(retransmitTimes.size() >= 5, retransmitTimes.toString());
        assertEquals(t0 + rto, retransmitTimes.get(0), "the first retry waits the initial RTO");
        long previous = rto;
        for (int i = 1; i < retransmitTimes.size(); i++)
        {
            final long interval = retransmitTimes.get(i) - retransmitTimes.get(i - 1);
            assertTrue(interval >= Math.min(maxRto, 2 * previous), "retry " + i + " after " + interval + " ns");
            assertTrue(interval <= maxRto, "retry " + i + " after " + interval + " ns, beyond the maximum RTO");
            previous = interval;
        }
        assertEquals(maxRto, previous, "the back-off reaches the maximum RTO");

        final int queries = sender.frames().size() - 2;
        assertEquals(retransmitTimes.size(), queries);
        assertEquals(queries, session.stats().queries());
        assertEquals(queries, counters.get(CounterDescriptor.QUERIES));
        assertEquals(0, session.stats().retransmits(), "no payload goes again until the aggregator says it lacks it");
        assertEquals(queries + 2, session.stats().packetsSent());
        assertEquals(1, session.congestionWindow(), "silence halves the window");

        deliver(frames.result(TOKEN, 1, 0, 2, 10, 20));
        deliver(frames.result(TOKEN, 1, 1, 2, 30, 40));
        assertEquals(WorkerSession.State.READY, session.state());
        assertArrayEquals(new float[]{10, 20, 30, 40}, data);
        assertTrue(session.rtoNs() >= rto, "Karn: no RTT sample from a retransmitted chunk");

        sender.clear();
        session.startCall(data, 0, 2, ReduceOp.SUM, nowNs);
        nowNs += 100_000;
        deliver(frames.result(TOKEN, 2, 2, 2, 1, 1));
        assertEquals(MS, session.rtoNs(), "a fast clean sample brings the RTO down to its minimum");
    }

    @Test
    void shouldAskForTheResultWithoutPayloadWhenPendingShowsTheAggregatorHoldsTheContribution()
    {
        create(SimulatedNetwork.workerConfig(1, 3, Codec.FP32, 2, 2)
            .retransmitTimeouts(10 * MS, MS, 80 * MS).build());
        join();
        final float[] data = {1, 2, 3, 4};
        session.startCall(data, 0, 4, ReduceOp.SUM, nowNs);
        runWhile(WorkerSession.State.CALL, MS, 10 * MS);
        assertTrue(sender.frames().size() > 2, "a loss was detected: " + sender.frames());
        assertEquals(1, session.congestionWindow());
        deliver(frames.pending(TOKEN, 1, 1, 0, 0, 1));
        deliver(frames.pending(TOKEN, 1, 1, 1, 0));
        assertEquals(2, session.stats().pendingReplies());
        assertEquals(2, session.congestionWindow(), "a PENDING that holds this rank undoes the window halving");
        sender.clear();
        runWhile(WorkerSession.State.CALL, MS, 100 * MS);

        final List<CapturedFrame> resends = sender.ofType(FrameDescriptor.TYPE_RESEND);
        assertFalse(resends.isEmpty());
        for (final CapturedFrame resend : resends)
        {
            final ControlFlyweight header = resend.header();
            assertEquals(0, header.sequence());
            assertEquals(FrameDescriptor.HEADER_LENGTH, resend.length());
            assertEquals(TOKEN, header.sessionToken());
            assertEquals(1, header.rank());
            assertEquals(1, header.round());
            assertTrue(header.hasFlag(FrameDescriptor.FLAG_RETRANSMIT));
        }
        for (final CapturedFrame contrib : sender.ofType(TYPE_CONTRIB))
        {
            assertEquals(1, contrib.header().sequence(), "only the chunk the aggregator lacks is sent again");
            assertArrayEquals(new float[]{3, 4}, contrib.payloadFloats());
        }
        assertEquals(sender.frames().size(), resends.size() + sender.ofType(TYPE_CONTRIB).size());
    }

    @Test
    void shouldDropALateResultOfAPreviousRoundWhenTheNextCallRuns()
    {
        create(0, 1, Codec.FP32, 2, 2);
        join();
        final float[] data = {1, 2};
        session.startCall(data, 0, 2, ReduceOp.SUM, nowNs);
        final UnsafeBuffer round1 = frames.result(TOKEN, 1, 0, 1, 10, 20);
        deliver(round1);
        assertArrayEquals(new float[]{10, 20}, data);
        deliver(round1);
        assertEquals(1, counters.get(CounterDescriptor.DROP_STALE), "a duplicate after the call");

        final float[] next = {3, 4};
        session.startCall(next, 0, 2, ReduceOp.SUM, nowNs);
        assertEquals(1, sender.last().header().sequence(), "sequence numbers carry across calls");
        assertEquals(2, sender.last().header().round());
        deliver(round1);
        deliver(frames.result(TOKEN, 1, 1, 1, 66, 66));
        assertEquals(3, counters.get(CounterDescriptor.DROP_STALE));
        assertEquals(WorkerSession.State.CALL, session.state());
        assertArrayEquals(new float[]{3, 4}, next);
        deliver(frames.result(TOKEN, 2, 1, 1, 30, 40));
        assertEquals(WorkerSession.State.READY, session.state());
        assertArrayEquals(new float[]{30, 40}, next);
    }

    @Test
    void shouldFailAsAbortedWhenTheAggregatorAborts()
    {
        create(0, 2, Codec.FP32, 2, 2);
        join();
        session.startCall(new float[]{1, 2}, 0, 2, ReduceOp.SUM, nowNs);
        deliver(frames.error(FrameDescriptor.TYPE_ABORT, TOKEN + 1, 0, 1, ControlFlyweight.ERROR_RANK_LEFT, "x"));
        assertEquals(1, counters.get(CounterDescriptor.DROP_STALE));
        assertEquals(WorkerSession.State.CALL, session.state());
        deliver(frames.error(FrameDescriptor.TYPE_ABORT, TOKEN, 0, 1, ControlFlyweight.ERROR_RANK_LEFT,
            "rank(s) [1] left the job"));
        assertEquals(WorkerSession.State.FAILED, session.state());
        assertEquals(CollectiveException.Reason.ABORTED, session.failure().reason());
        assertTrue(session.failure().getMessage().contains("the aggregator ended the job: rank(s) [1] left the job"),
            session.failure().getMessage());
        final CollectiveException thrown = assertThrows(CollectiveException.class,
            () -> session.startCall(new float[1], 0, 1, ReduceOp.SUM, nowNs));
        assertEquals(CollectiveException.Reason.ABORTED, thrown.reason());
        assertNotNull(thrown.getCause());
    }

    @Test
    void shouldFailAsAbortedWhenAnotherRankLeftBeforeTheCall()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(2).workers(Codec.FP32, 4, 4).build();
        net.joinAll(100_000);
        net.worker(1).leave(net.nowNs());
        assertEquals(WorkerSession.State.CLOSED, net.worker(1).state());
        net.runUntil(() -> net.inFlight() == 0, 100);
        net.startCall(0, new float[10], ReduceOp.SUM);
        net.runUntil(net::noneInCall, 100_000);
        final CollectiveException failure = net.worker(0).failure();
        assertEquals(CollectiveException.Reason.ABORTED, failure.reason());
        assertTrue(failure.getMessage().contains("rank(s) [1] left the job"), failure.getMessage());
    }

    @Test
    void shouldFailAsAbortedWhenAnotherRankRestarts()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(2).workers(Codec.FP32, 4, 4).build();
        net.joinAll(100_000);
        net.restartWorker(1).startJoin(net.nowNs());
        net.runUntil(() -> net.worker(0).state() == WorkerSession.State.FAILED, 100_000);
        assertEquals(CollectiveException.Reason.ABORTED, net.worker(0).failure().reason());
        assertTrue(net.worker(0).failure().getMessage().contains("rank 1 joined again"),
            net.worker(0).failure().getMessage());
        assertEquals(WorkerSession.State.JOINING, net.worker(1).state());
    }

    @Test
    void shouldFailAsInvalidInputWhenAValueIsNaNAndCodecIsFixed32()
    {
        for (final float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
        {
            sender.clear();
            create(0, 1, Codec.FIXED32, 2, 4);
            join();
            final float[] data = {1, 2, 3, 4, 5, bad, 7, 8};
            session.startCall(data, 0, 8, ReduceOp.SUM, nowNs);
            assertEquals(WorkerSession.State.FAILED, session.state());
            final CollectiveException failure = session.failure();
            assertEquals(CollectiveException.Reason.INVALID_INPUT, failure.reason());
            assertTrue(failure.getMessage().contains("elements [4, 8) is NaN or infinite"), failure.getMessage());
            assertEquals(1, sender.frames().size(), "nothing sent for the bad chunk: " + sender.frames());
        }
    }

    @Test
    void shouldFailAsInvalidInputWhenANaNSitsBeyondTheFirstWindow()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(2).workers(Codec.FIXED32, 2, 4).build();
        net.joinAll(100_000);
        final float[] data = new float[40];
        java.util.Arrays.fill(data, 1.0f);
        data[37] = Float.NaN;
        net.startCall(0, data, ReduceOp.SUM);
        net.startCall(1, new float[40], ReduceOp.SUM);
        net.runUntil(() -> net.worker(0).state() == WorkerSession.State.FAILED, 100_000);
        assertEquals(CollectiveException.Reason.INVALID_INPUT, net.worker(0).failure().reason());
        assertTrue(net.worker(0).failure().getMessage().contains("elements [36, 40)"),
            net.worker(0).failure().getMessage());
    }

    @Test
    void shouldCarryNaNThroughWhenCodecIsFp32()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(2).workers(Codec.FP32, 2, 4).build();
        net.joinAll(100_000);
        final float[][] data = {{1, Float.NaN, 3}, {1, 1, Float.POSITIVE_INFINITY}};
        net.allReduce(data, ReduceOp.SUM, 100_000);
        assertArrayEquals(new float[]{2, Float.NaN, Float.POSITIVE_INFINITY}, data[0]);
        assertArrayEquals(data[0], data[1]);
    }

    @Test
    void shouldFailSayingNoAnswerWhenTheAggregatorGoesSilentDuringACall()
    {
        final long timeoutNs = 200 * MS;
        final SimulatedNetwork net = SimulatedNetwork.builder(2)
            .workerConfigs(r -> WorkerConfig.builder().rank(r).worldSize(2).codec(Codec.FP32).window(4)
                .elementsPerPacket(4).timeoutNs(timeoutNs).build())
            .tickNs(MS)
            .build();
        net.joinAll(100_000);
        net.filter((from, to, buffer, offset, length, t) -> true);
        final long t0 = net.nowNs();
        net.startCall(0, new float[20], ReduceOp.SUM);
        net.startCall(1, new float[20], ReduceOp.SUM);
        net.runUntil(net::noneInCall, 100_000);
        assertTrue(net.nowNs() - t0 > timeoutNs && net.nowNs() - t0 <= timeoutNs + 2 * MS,
            "failed after " + (net.nowNs() - t0) + " ns");
        for (int r = 0; r < 2; r++)
        {
            final CollectiveException failure = net.worker(r).failure();
            assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason());
            assertTrue(failure.getMessage().contains("no answer from the aggregator at 127.0.0.1:47100"),
                failure.getMessage());
            assertFalse(failure.getMessage().contains("waiting for"), failure.getMessage());
            assertTrue(net.worker(r).stats().queries() > 0);
        }
    }

    @Test
    void shouldFailNamingTheRankWhenARankNeverContributes()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(3)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, 3, Codec.FIXED32, 4, 4)
                .timeoutNs(TimeUnit.SECONDS.toNanos(1)).build())
            .tickNs(MS)
            .build();
        net.joinAll(100_000);
        net.startCall(0, new float[30], ReduceOp.SUM);
        net.startCall(1, new float[30], ReduceOp.SUM);
        net.runUntil(net::noneInCall, 100_000);
        for (int r = 0; r < 2; r++)
        {
            final CollectiveException failure = net.worker(r).failure();
            assertEquals(CollectiveException.Reason.TIMEOUT, failure.reason());
            assertTrue(failure.getMessage().contains("still waiting for rank(s) [2]"), failure.getMessage());
            assertTrue(net.worker(r).stats().pendingReplies() > 0);
        }
        assertEquals(WorkerSession.State.READY, net.worker(2).state());
    }

    @Test
    void shouldNotLetALateResultCorruptTheNextCallWhenReplayedThroughTheNetwork()
    {
        final List<UnsafeBuffer> captured = new ArrayList<>();
        final SimulatedNetwork net = SimulatedNetwork.builder(2).workers(Codec.FIXED32, 2, 3)
            .filter((from, to, buffer, offset, length, t) ->
            {
                if (to == SimulatedNetwork.peerOf(0) && buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET) ==
                    FrameDescriptor.TYPE_RESULT)
                {
                    final UnsafeBuffer copy = new UnsafeBuffer(new byte[length]);
                    copy.putBytes(0, buffer, offset, length);
                    captured.add(copy);
                }
                return false;
            })
            .build();
        net.joinAll(100_000);
        final float[][] first = {{1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1}};
        net.allReduce(first, ReduceOp.SUM, 100_000);
        final List<UnsafeBuffer> round1 = new ArrayList<>(captured);

        final float[][] second = {{10, 20, 30, 40, 50, 60, 70}, {1, 1, 1, 1, 1, 1, 1}};
        net.startCall(0, second[0], ReduceOp.SUM);
        net.startCall(1, second[1], ReduceOp.SUM);
        for (final UnsafeBuffer frame : round1)
        {
            net.inject(SimulatedNetwork.AGGREGATOR_NODE, SimulatedNetwork.peerOf(0), frame, 0, frame.capacity());
        }
        net.runUntil(net::noneInCall, 100_000);
        net.assertNoneFailed();
        assertEquals(round1.size(), net.workerCounters(0).get(CounterDescriptor.DROP_STALE));
        assertArrayEquals(new float[]{11, 21, 31, 41, 51, 61, 71}, second[0]);
        assertArrayEquals(second[0], second[1]);
    }

    // ------------------------------------------------------------------------------------------------ inputs

    @Test
    void shouldGiveTheSameBitsWhenInputIsAHeapOrDirectFloatBuffer()
    {
        for (final Codec codec : Codec.values())
        {
            final int count = 53;
            final float[][] inputs = dev.ina.sim.ReferenceSums.gradients(11, 4, count);
            final float[][] arrays = dev.ina.sim.ReferenceSums.copy(inputs);
            final SimulatedNetwork reference = SimulatedNetwork.builder(4).workers(codec, 4, 8).seed(3).build();
            reference.joinAll(100_000);
            reference.allReduce(arrays, ReduceOp.AVG, 1_000_000);

            final SimulatedNetwork net = SimulatedNetwork.builder(4).workers(codec, 4, 8).seed(3).build();
            net.joinAll(100_000);
            final FloatBuffer heap = FloatBuffer.allocate(count + 10);
            heap.put(3, inputs[0], 0, count);
            heap.position(5).limit(count + 4);
            final FloatBuffer direct = ByteBuffer.allocateDirect((count + 1) * 4)
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
            direct.put(1, inputs[1], 0, count);
            final FloatBuffer bigEndian = ByteBuffer.allocateDirect(count * 4)
                .order(java.nio.ByteOrder.BIG_ENDIAN).asFloatBuffer();
            bigEndian.put(0, inputs[2], 0, count);
            final float[] array = inputs[3].clone();
            net.startCall(0, heap, 3, count, ReduceOp.AVG);
            net.startCall(1, direct, 1, count, ReduceOp.AVG);
            net.startCall(2, bigEndian, 0, count, ReduceOp.AVG);
            net.startCall(3, array, ReduceOp.AVG);
            net.runUntil(net::noneInCall, 1_000_000);
            net.assertNoneFailed();

            final float[] out = new float[count];
            heap.get(3, out, 0, count);
            assertArrayEquals(arrays[0], out, codec + " heap");
            assertEquals(5, heap.position());
            assertEquals(count + 4, heap.limit());
            assertEquals(0.0f, heap.get(2));
            assertEquals(0.0f, heap.get(count + 3));
            direct.get(1, out, 0, count);
            assertArrayEquals(arrays[0], out, codec + " direct");
            assertEquals(0.0f, direct.get(0));
            bigEndian.get(0, out, 0, count);
            assertArrayEquals(arrays[0], out, codec + " big-endian direct");
            assertArrayEquals(arrays[0], array, codec + " array");
        }
    }

    @Test
    void shouldRejectACallWhenArgumentsOrStateAreWrong()
    {
        create(0, 1, Codec.FP32, 2, 2);
        assertThrows(IllegalStateException.class, () -> session.startCall(new float[2], 0, 2, ReduceOp.SUM, nowNs));
        join();
        assertThrows(IndexOutOfBoundsException.class,
            () -> session.startCall(new float[2], 1, 2, ReduceOp.SUM, nowNs));
        assertThrows(IndexOutOfBoundsException.class,
            () -> session.startCall(new float[2], -1, 1, ReduceOp.SUM, nowNs));
        assertThrows(IndexOutOfBoundsException.class,
            () -> session.startCall(FloatBuffer.allocate(4), 2, 3, ReduceOp.SUM, nowNs));
        assertThrows(IllegalArgumentException.class,
            () -> session.startCall(FloatBuffer.allocate(4).asReadOnlyBuffer(), 0, 4, ReduceOp.SUM, nowNs));
        // Absolute bulk get and put of a FloatBuffer stop at its limit: a range past it must fail here, not later
        // inside onFrame or doWork.
        assertThrows(IndexOutOfBoundsException.class,
            () -> session.startCall(FloatBuffer.allocate(8).limit(4), 2, 3, ReduceOp.SUM, nowNs));
        assertEquals(WorkerSession.State.READY, session.state());
        assertTrue(sender.frames().isEmpty());

        session.startCall(new float[2], 0, 2, ReduceOp.SUM, nowNs);
        assertThrows(IllegalStateException.class, () -> session.startCall(new float[2], 0, 2, ReduceOp.SUM, nowNs));
    }

    @Test
    void shouldCompleteAtOnceWithoutSendingWhenCountIsZero()
    {
        create(0, 2, Codec.FIXED32, 2, 2);
        join();
        session.startCall(new float[3], 3, 0, ReduceOp.SUM, nowNs);
        assertEquals(WorkerSession.State.READY, session.state());
        assertTrue(sender.frames().isEmpty());
        assertEquals(1, session.stats().round());
        assertEquals(0, session.stats().chunks());
        session.startCall(new float[1], 0, 1, ReduceOp.SUM, nowNs);
        assertEquals(2, sender.last().header().round());
        assertEquals(0, sender.last().header().sequence());
    }

    @Test
    void shouldFailTheCallAndSendLeaveWhenLeavingDuringACall()
    {
        create(0, 2, Codec.FP32, 2, 2);
        join();
        session.startCall(new float[2], 0, 2, ReduceOp.SUM, nowNs);
        sender.clear();
        session.leave(nowNs);
        assertEquals(WorkerSession.State.FAILED, session.state());
        assertEquals(CollectiveException.Reason.CLOSED, session.failure().reason());
        assertEquals(3, sender.ofType(FrameDescriptor.TYPE_LEAVE).size());
        assertEquals(TOKEN, sender.last().header().sessionToken());
        assertEquals(0, session.doWork(nowNs + TimeUnit.SECONDS.toNanos(100)));
    }

    @Test
    void shouldCloseAndRefuseCallsWhenLeftWhileReady()
    {
        create(0, 2, Codec.FP32, 2, 2);
        join();
        session.leave(nowNs);
        assertEquals(WorkerSession.State.CLOSED, session.state());
        assertEquals(3, sender.frames().size());
        final CollectiveException thrown = assertThrows(CollectiveException.class,
            () -> session.startCall(new float[1], 0, 1, ReduceOp.SUM, nowNs));
        assertEquals(CollectiveException.Reason.CLOSED, thrown.reason());
    }

    @Test
    void shouldDropPendingThatDoesNotFitTheCall()
    {
        create(0, 3, Codec.FP32, 2, 2);
        join();
        session.startCall(new float[2], 0, 2, ReduceOp.SUM, nowNs);
        final UnsafeBuffer shortBitmap = frames.pending(TOKEN, 0, 1, 0, 0);
        session.onFrame(shortBitmap, 0, FrameDescriptor.HEADER_LENGTH + 4, 0, nowNs);
        assertEquals(1, counters.get(CounterDescriptor.DROP_LENGTH));
        deliver(frames.pending(TOKEN, 0, 7, 0, 0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_STALE));
        deliver(frames.pending(TOKEN, 0, 1, 0, 0, 1));
        assertEquals(1, session.stats().pendingReplies());
    }
}
