package dev.ina.aggregation;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.codec.SumAccumulator;
import dev.ina.config.AggregatorConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.JobSpec;
import dev.ina.sim.CapturedFrame;
import dev.ina.sim.Frames;
import dev.ina.sim.RecordingFrameSender;
import dev.ina.sim.ReferenceSums;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.FrameSender;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.ina.protocol.FrameDescriptor.TYPE_ABORT;
import static dev.ina.protocol.FrameDescriptor.TYPE_ERROR;
import static dev.ina.protocol.FrameDescriptor.TYPE_JOIN_ACK;
import static dev.ina.protocol.FrameDescriptor.TYPE_PENDING;
import static dev.ina.protocol.FrameDescriptor.TYPE_RESULT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkAggregatorTest
{
    static final int JOB = 7;
    static final int WINDOW = 4;
    static final int EPP = 3;

    final RecordingFrameSender sender = new RecordingFrameSender();
    final Counters counters = new Counters("aggregator");
    long nowNs = TimeUnit.SECONDS.toNanos(50);
    ChunkAggregator aggregator = new ChunkAggregator(AggregatorConfig.builder().build(), sender, counters, 42);

    static int peer(final int rank)
    {
        return 100 + rank;
    }

    static int nonce(final int rank)
    {
        return 1000 + rank;
    }

    void deliver(final UnsafeBuffer frame, final int peer)
    {
        aggregator.onFrame(frame, 0, frame.capacity(), peer, nowNs);
    }

    /**
     * Joins every rank of a job from peer {@code 100 + rank} with nonce {@code 1000 + rank}; returns the token.
     */
    int start(final Frames frames, final int worldSize)
    {
        for (int r = 0; r < worldSize; r++)
        {
            deliver(frames.join(r, nonce(r)), peer(r));
        }
        final CapturedFrame ack = sender.last();
        assertEquals(TYPE_JOIN_ACK, ack.type(), "job did not start: " + sender.frames());
        sender.clear();
        return ack.header().sessionToken();
    }

    List<CapturedFrame> results()
    {
        return sender.ofType(TYPE_RESULT);
    }

    // ------------------------------------------------------------------------------------------------ join barrier

    @Test
    void shouldReplyPendingWithBitmapAndNoJoinAckWhenNotEveryRankJoined()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 3, WINDOW, EPP);
        deliver(frames.join(0, nonce(0)), peer(0));
        assertEquals(1, sender.frames().size());
        ControlFlyweight pending = sender.last().header();
        assertEquals(TYPE_PENDING, pending.type());
        assertEquals(peer(0), sender.last().peer());
        assertEquals(JOB, pending.jobId());
        assertEquals(0, pending.rank());
        assertEquals(nonce(0), pending.round());
        assertEquals(3, pending.count());
        assertTrue(pending.hasRank(0));
        assertFalse(pending.hasRank(1));

        deliver(frames.join(2, nonce(2)), peer(2));
        pending = sender.last().header();
        assertEquals(peer(2), sender.last().peer());
        assertTrue(pending.hasRank(0) && pending.hasRank(2) && !pending.hasRank(1));
        assertTrue(sender.ofType(TYPE_JOIN_ACK).isEmpty());
        assertEquals(0, counters.get(CounterDescriptor.JOBS_STARTED));
        assertEquals(1, aggregator.jobCount());
        assertEquals(2, counters.get(CounterDescriptor.PENDING_SENT));

        deliver(frames.join(0, nonce(0)), peer(0));
        assertEquals(TYPE_PENDING, sender.last().type(), "a repeated JOIN while forming gets PENDING again");
    }

    @Test
    void shouldSendJoinAckToEveryRankWhenTheLastRankJoins()
    {
        final Frames frames = new Frames(JOB, Codec.FIXED32, 3, WINDOW, EPP);
        deliver(frames.join(1, nonce(1)), peer(1));
        deliver(frames.join(0, nonce(0)), peer(0));
        sender.clear();
        deliver(frames.join(2, nonce(2)), peer(2));

        final List<CapturedFrame> acks = sender.ofType(TYPE_JOIN_ACK);
        assertEquals(3, acks.size());
        assertEquals(3, sender.frames().size());
        final int token = acks.get(0).header().sessionToken();
        assertNotEquals(0, token);
        for (int r = 0; r < 3; r++)
        {
            final ControlFlyweight ack = acks.get(r).header();
            assertEquals(peer(r), acks.get(r).peer());
            assertEquals(r, ack.rank());
            assertEquals(nonce(r), ack.round());
            assertEquals(token, ack.sessionToken());
            assertEquals(0, ack.sequence());
            assertEquals(3, ack.worldSize());
            assertEquals(WINDOW, ack.window());
            assertEquals(EPP, ack.elementsPerPacket());
            assertEquals(Codec.FIXED32.id(), ack.codec());
            assertEquals(ControlFlyweight.JOIN_LENGTH, acks.get(r).length());
        }
        assertEquals(1, counters.get(CounterDescriptor.JOBS_STARTED));
    }

    @Test
    void shouldResendJoinAckToThatRankOnlyWhenJoinIsRepeatedAfterStart()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        deliver(frames.join(1, nonce(1)), peer(1));
        assertEquals(1, sender.frames().size());
        assertEquals(TYPE_JOIN_ACK, sender.last().type());
        assertEquals(peer(1), sender.last().peer());
        assertEquals(token, sender.last().header().sessionToken());
        assertEquals(1, counters.get(CounterDescriptor.JOBS_STARTED));
    }

    @Test
    void shouldRefuseWithConfigMismatchWhenAJoinDiffersFromTheJob()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        deliver(frames.join(0, nonce(0)), peer(0));
        final Frames[] variants = {
            new Frames(JOB, Codec.FP32, 2, WINDOW * 2, EPP),
            new Frames(JOB, Codec.FIXED32, 2, WINDOW, EPP),
            new Frames(JOB, Codec.FP32, 2, WINDOW, EPP + 1),
            new Frames(JOB, Codec.FP32, 3, WINDOW, EPP),
        };
        for (final Frames variant : variants)
        {
            sender.clear();
            deliver(variant.join(1, nonce(1)), peer(1));
            assertEquals(1, sender.frames().size());
            final ControlFlyweight error = sender.last().header();
            assertEquals(TYPE_ERROR, error.type());
            assertEquals(peer(1), sender.last().peer());
            assertEquals(ControlFlyweight.ERROR_CONFIG_MISMATCH, error.contributors());
            assertEquals(nonce(1), error.round());
            assertEquals(1, error.rank());
            assertEquals(0, error.sessionToken());
            assertTrue(error.message().contains("give every rank the same settings"), error.message());
        }
        sender.clear();
        deliver(frames.join(1, nonce(1)), peer(1));
        assertEquals(2, sender.ofType(TYPE_JOIN_ACK).size(), "the refused joins must not have changed the job");
    }

    @Test
    void shouldRefuseWithPoolExhaustedWhenTheJobDoesNotFitThePool()
    {
        aggregator = new ChunkAggregator(
            AggregatorConfig.builder().poolBytes(64 * 1024).build(), sender, counters, 42);
        final Frames big = new Frames(JOB, Codec.FP32, 2, 64, 256);
        deliver(big.join(0, nonce(0)), peer(0));
        final ControlFlyweight error = sender.last().header();
        assertEquals(TYPE_ERROR, error.type());
        assertEquals(ControlFlyweight.ERROR_POOL_EXHAUSTED, error.contributors());
        assertEquals(nonce(0), error.round());
        assertTrue(error.message().contains("slot pool"), error.message());
        assertEquals(0, aggregator.jobCount());
        assertEquals(0, aggregator.poolBytesInUse());

        final Frames small = new Frames(JOB, Codec.FP32, 1, 4, 256);
        deliver(small.join(0, nonce(0)), peer(0));
        assertEquals(TYPE_JOIN_ACK, sender.last().type());
        assertEquals(poolBytes(Codec.FP32, 4, 256, 1), aggregator.poolBytesInUse());
    }

    @Test
    void shouldRefuseWithPoolExhaustedWhenEveryJobIsTaken()
    {
        aggregator = new ChunkAggregator(AggregatorConfig.builder().maxJobs(1).build(), sender, counters, 42);
        deliver(new Frames(1, Codec.FP32, 2, WINDOW, EPP).join(0, nonce(0)), peer(0));
        deliver(new Frames(2, Codec.FP32, 2, WINDOW, EPP).join(0, nonce(0)), peer(5));
        final ControlFlyweight error = sender.last().header();
        assertEquals(TYPE_ERROR, error.type());
        assertEquals(ControlFlyweight.ERROR_POOL_EXHAUSTED, error.contributors());
        assertEquals(peer(5), sender.last().peer());
        assertEquals(1, aggregator.jobCount());
    }

    @Test
    void shouldRefuseAndCountWhenJoinParametersAreInvalid()
    {
        final UnsafeBuffer[] invalid = {
            new Frames(JOB, Codec.FP32, 2, 3, EPP).join(0, 1),
            new Frames(JOB, Codec.FP32, 2, 8192, EPP).join(0, 1),
            new Frames(JOB, Codec.FP32, 2, WINDOW, EPP).join(2, 1),
            new Frames(JOB, Codec.FP32, 0, WINDOW, EPP).join(0, 1),
            new Frames(JOB, Codec.FP32, 1025, WINDOW, EPP).join(0, 1),
            new Frames(JOB, Codec.FP32, 2, WINDOW, 0).join(0, 1),
            new Frames(JOB, Codec.FP32, 2, WINDOW, FrameDescriptor.MAX_ELEMENTS_PER_PACKET + 1).join(0, 1),
            withMode(new Frames(JOB, Codec.FP32, 2, WINDOW, EPP).join(0, 1), 7),
            withCodec(new Frames(JOB, Codec.FP32, 2, WINDOW, EPP).join(0, 1), (byte)9),
            new Frames(JOB, Codec.INT8_NARROW, 2, WINDOW, FrameDescriptor.MAX_PAYLOAD_LENGTH + 1).join(0, 1),
        };
        for (int i = 0; i < invalid.length; i++)
        {
            sender.clear();
            deliver(invalid[i], peer(0));
            assertEquals(1, sender.frames().size(), "case " + i);
            final ControlFlyweight error = sender.last().header();
            assertEquals(TYPE_ERROR, error.type(), "case " + i);
            assertEquals(ControlFlyweight.ERROR_INVALID_REQUEST, error.contributors(), "case " + i);
            assertEquals(i + 1, counters.get(CounterDescriptor.DROP_CONTROL));
        }
        assertEquals(0, aggregator.jobCount());
    }

    static UnsafeBuffer withMode(final UnsafeBuffer join, final int mode)
    {
        Frames.header(join).mode(mode);
        return join;
    }

    static UnsafeBuffer withCodec(final UnsafeBuffer frame, final byte codec)
    {
        frame.putByte(FrameDescriptor.CODEC_OFFSET, codec);
        return frame;
    }

    @Test
    void shouldDropAndCountWhenJoinIsShort()
    {
        final UnsafeBuffer join = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP).join(0, 1);
        aggregator.onFrame(join, 0, ControlFlyweight.JOIN_LENGTH - 1, peer(0), nowNs);
        assertEquals(1, counters.get(CounterDescriptor.DROP_SHORT));
        assertTrue(sender.frames().isEmpty());
        assertEquals(0, aggregator.jobCount());
    }

    // ------------------------------------------------------------------------------------------------ summing

    @Test
    void shouldSendTheSumToEveryRankWhenAllRanksContributed()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 3, WINDOW, EPP);
        final int token = start(frames, 3);
        final long sentBefore = counters.get(CounterDescriptor.FRAMES_SENT);
        deliver(frames.contribution(token, 1, 1, 0, 10, 20, 30), peer(1));
        deliver(frames.contribution(token, 0, 1, 0, 1, 2, 3), peer(0));
        assertTrue(sender.frames().isEmpty());
        deliver(frames.contribution(token, 2, 1, 0, 100, 200, 300), peer(2));
        assertEquals(3, results().size());
        for (int r = 0; r < 3; r++)
        {
            final CapturedFrame result = results().get(r);
            assertEquals(peer(r), result.peer());
            assertArrayEquals(new float[]{111, 222, 333}, result.payloadFloats());
            assertEquals(3, result.header().contributors());
            assertEquals(0, result.header().sequence());
            assertEquals(1, result.header().round());
            assertEquals(token, result.header().sessionToken());
        }
        assertEquals(3, counters.get(CounterDescriptor.CONTRIBUTIONS));
        assertEquals(1, counters.get(CounterDescriptor.CHUNKS_COMPLETED));
        assertEquals(sentBefore + 3, counters.get(CounterDescriptor.FRAMES_SENT));
    }

    @Test
    void shouldAddOnceWhenARankContributesTwice()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        deliver(frames.contribution(token, 0, 1, 0, 1, 2, 3), peer(0));
        deliver(frames.contribution(token, 0, 1, 0, 1, 2, 3), peer(0));
        deliver(frames.contribution(token, 0, 1, 0, 5, 5, 5), peer(0));
        assertEquals(2, counters.get(CounterDescriptor.DROP_DUPLICATE));
        assertTrue(sender.frames().isEmpty());
        deliver(frames.contribution(token, 1, 1, 0, 10, 20, 30), peer(1));
        assertArrayEquals(new float[]{11, 22, 33}, results().get(0).payloadFloats());
        assertEquals(2, results().get(0).header().contributors());
        assertEquals(2, counters.get(CounterDescriptor.CONTRIBUTIONS));
    }

    @Test
    void shouldReplyPendingWithBitmapWhenARankRetransmitsToAnUnfinishedSet()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 3, WINDOW, EPP);
        final int token = start(frames, 3);
        deliver(frames.contribution(token, 0, 1, 5, 1, 2, 3), peer(0));
        deliver(frames.contribution(token, 2, 1, 5, 1, 2, 3), peer(2));
        final UnsafeBuffer retransmit = frames.contribution(token, 0, 1, 5, 1, 2, 3);
        Frames.header(retransmit).flags(Frames.header(retransmit).flags() | FrameDescriptor.FLAG_RETRANSMIT);
        deliver(retransmit, peer(0));

        assertEquals(1, sender.frames().size());
        final ControlFlyweight pending = sender.last().header();
        assertEquals(TYPE_PENDING, pending.type());
        assertEquals(peer(0), sender.last().peer());
        assertEquals(token, pending.sessionToken());
        assertEquals(5, pending.sequence());
        assertEquals(1, pending.round());
        assertEquals(0, pending.rank());
        assertEquals(3, pending.count());
        assertTrue(pending.hasRank(0) && pending.hasRank(2) && !pending.hasRank(1));
        assertEquals(2, counters.get(CounterDescriptor.CONTRIBUTIONS));

        deliver(frames.contribution(token, 1, 1, 5, 1, 2, 3), peer(1));
        assertArrayEquals(new float[]{3, 6, 9}, results().get(0).payloadFloats());
    }

    @Test
    void shouldResendTheKeptResultToThatRankOnlyWhenItRetransmitsAfterCompletion()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        deliver(frames.contribution(token, 0, 1, 2, 1, 2), peer(0));
        deliver(frames.contribution(token, 1, 1, 2, 3, 4), peer(1));
        final float[] sum = results().get(0).payloadFloats();
        assertArrayEquals(new float[]{4, 6}, sum);
        sender.clear();

        final UnsafeBuffer retransmit = frames.contribution(token, 1, 1, 2, 3, 4);
        Frames.header(retransmit).flags(Frames.header(retransmit).flags() | FrameDescriptor.FLAG_RETRANSMIT);
        deliver(retransmit, peer(1));
        assertEquals(1, sender.frames().size());
        assertEquals(TYPE_RESULT, sender.last().type());
        assertEquals(peer(1), sender.last().peer());
        assertArrayEquals(sum, sender.last().payloadFloats());
        assertEquals(2, sender.last().header().contributors());
        assertEquals(1, counters.get(CounterDescriptor.RESULTS_RESENT));
        assertEquals(2, counters.get(CounterDescriptor.CONTRIBUTIONS));
        assertEquals(1, counters.get(CounterDescriptor.CHUNKS_COMPLETED));
    }

    @Test
    void shouldAnswerAResendWithTheKeptResultOrPendingWhenARankAsksForAChunk()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        deliver(frames.contribution(token, 0, 1, 6, 1, 2), peer(0));
        deliver(frames.resend(token, 0, 1, 6), peer(0));
        assertEquals(1, sender.frames().size());
        final ControlFlyweight pending = sender.last().header();
        assertEquals(TYPE_PENDING, pending.type());
        assertEquals(peer(0), sender.last().peer());
        assertEquals(6, pending.sequence());
        assertTrue(pending.hasRank(0) && !pending.hasRank(1));

        deliver(frames.contribution(token, 1, 1, 6, 3, 4), peer(1));
        sender.clear();
        deliver(frames.resend(token, 1, 1, 6), peer(1));
        assertEquals(1, sender.frames().size());
        assertEquals(TYPE_RESULT, sender.last().type());
        assertEquals(peer(1), sender.last().peer());
        assertArrayEquals(new float[]{4, 6}, sender.last().payloadFloats());
        assertEquals(1, counters.get(CounterDescriptor.RESULTS_RESENT));
        assertEquals(2, counters.get(CounterDescriptor.CONTRIBUTIONS));
        assertEquals(0, counters.totalDropped());
    }

    @Test
    void shouldDropAndCountAResendThatDoesNotFit()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        deliver(frames.contribution(token, 0, 1, 1, 1), peer(0));

        final UnsafeBuffer withPayload = new UnsafeBuffer(new byte[FrameDescriptor.HEADER_LENGTH + 4]);
        withPayload.putBytes(0, frames.resend(token, 0, 1, 1), 0, FrameDescriptor.HEADER_LENGTH);
        deliver(withPayload, peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_LENGTH));
        final UnsafeBuffer badSlot = frames.resend(token, 0, 1, 1);
        Frames.header(badSlot).slot(2);
        deliver(badSlot, peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_SLOT));
        deliver(frames.resend(token, 0, 1, 1 - 2 * WINDOW), peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_STALE), "older than the set");
        deliver(frames.resend(token + 1, 0, 1, 1), peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_TOKEN));
        deliver(frames.resend(token, 0, 1, 1), peer(1));
        assertEquals(1, counters.get(CounterDescriptor.DROP_RANK));
        assertTrue(sender.frames().isEmpty(), sender.frames().toString());
        // A query about a chunk the aggregator has not seen: the rank's contribution was lost; it is asked for.
        deliver(frames.resend(token, 0, 1, 2), peer(0));
        assertEquals(FrameDescriptor.TYPE_NACK, sender.last().type());
        assertEquals(2, sender.last().header().sequence());
        assertEquals(1, sender.last().header().count());
        assertEquals(peer(0), sender.last().peer());
        sender.clear();

        deliver(frames.leave(token, 1), peer(1));
        deliver(frames.resend(token, 0, 1, 1), peer(0));
        assertEquals(TYPE_ABORT, sender.last().type());
        assertEquals(ControlFlyweight.ERROR_RANK_LEFT, sender.last().header().contributors());
    }

    @Test
    void shouldReuseASetOnlyForSequencePlusTwoWindowsOnceFinished()
    {
        final int window = 2;
        final Frames frames = new Frames(JOB, Codec.FP32, 2, window, 1);
        final int token = start(frames, 2);
        // Sequences 0, 4, 8 share slot 0, set 0; sequence 2 is slot 0's shadow set.
        deliver(frames.contribution(token, 0, 1, 0, 1), peer(0));
        deliver(frames.contribution(token, 0, 1, 4, 7), peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_SEQUENCE), "reset of an open set");
        deliver(frames.contribution(token, 1, 1, 0, 2), peer(1));
        assertArrayEquals(new float[]{3}, results().get(0).payloadFloats());

        deliver(frames.contribution(token, 0, 1, 8, 7), peer(0));
        assertEquals(2, counters.get(CounterDescriptor.DROP_SEQUENCE), "four windows ahead");
        deliver(frames.contribution(token, 0, 1, 2, 5), peer(0));
        deliver(frames.contribution(token, 1, 1, 2, 5), peer(1));
        assertArrayEquals(new float[]{10}, results().get(2).payloadFloats(), "the shadow set is separate");

        deliver(frames.contribution(token, 0, 2, 4, 40), peer(0));
        deliver(frames.contribution(token, 1, 2, 4, 2), peer(1));
        assertArrayEquals(new float[]{42}, results().get(4).payloadFloats(), "the reset set kept an old sum");
        assertEquals(4, results().get(4).header().sequence());
        assertEquals(2, results().get(4).header().round());

        deliver(frames.contribution(token, 1, 1, 0, 2), peer(1));
        deliver(frames.contribution(token, 1, 1, -4, 2), peer(1));
        assertEquals(2, counters.get(CounterDescriptor.DROP_STALE));
        assertEquals(6, results().size());
        assertEquals(4, counters.totalDropped());
    }

    @Test
    void shouldDropAndCountWhenACountDiffersFromTheSetsFirstContribution()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        deliver(frames.contribution(token, 0, 1, 0, 1, 2, 3), peer(0));
        deliver(frames.contribution(token, 1, 1, 0, 1, 2), peer(1));
        assertEquals(1, counters.get(CounterDescriptor.DROP_LENGTH));
        deliver(frames.contribution(token, 1, 1, 0, 1, 1, 1), peer(1));
        assertArrayEquals(new float[]{2, 3, 4}, results().get(0).payloadFloats());
    }

    @Test
    void shouldAgreeOnTheLargestProposalAndDropOtherExponentsWhenCodecIsFixed32()
    {
        final Frames frames = new Frames(JOB, Codec.FIXED32, 3, WINDOW, EPP);
        final int token = start(frames, 3);
        deliver(frames.scaledContribution(token, 0, 1, 0, 3, -5, 100, -200, 300), peer(0));
        deliver(frames.scaledContribution(token, 1, 1, 0, 4, 9, 1, 1, 1), peer(1));
        assertEquals(1, counters.get(CounterDescriptor.DROP_EXPONENT));
        deliver(frames.scaledContribution(token, 1, 1, 0, 3, 9, 1, 2, 3), peer(1));
        deliver(frames.scaledContribution(token, 2, 1, 0, 3, FrameDescriptor.EXPONENT_ZERO, 10, 20, 30), peer(2));
        final CapturedFrame result = results().get(0);
        assertArrayEquals(new int[]{111, -178, 333}, result.payloadInts());
        assertEquals(3, result.header().exponent());
        assertEquals(9, result.header().nextExponent());
        assertEquals(Codec.FIXED32.id(), result.header().codec());
    }

    @Test
    void shouldClampAContributionWhenItExceedsTheMagnitudeLimit()
    {
        final Frames frames = new Frames(JOB, Codec.FIXED32, 2, WINDOW, 2);
        final int token = start(frames, 2);
        deliver(frames.scaledContribution(token, 0, 1, 0, 0, 0, Integer.MAX_VALUE, Integer.MIN_VALUE), peer(0));
        deliver(frames.scaledContribution(token, 1, 1, 0, 0, 0, Integer.MAX_VALUE, -5), peer(1));
        final int limit = 1 << 29;
        assertArrayEquals(new int[]{2 * limit, -limit - 5}, results().get(0).payloadInts());
    }

    @Test
    void shouldCarryLastFlagAndShadowSetWhenSendingAResult()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 1, WINDOW, EPP);
        final int token = start(frames, 1);
        final UnsafeBuffer last = frames.contribution(token, 0, 1, WINDOW + 1, 1);
        Frames.header(last).flags(Frames.header(last).flags() | FrameDescriptor.FLAG_LAST);
        deliver(last, peer(0));
        final ControlFlyweight result = results().get(0).header();
        assertTrue(result.hasFlag(FrameDescriptor.FLAG_LAST));
        assertTrue(result.hasFlag(FrameDescriptor.FLAG_SHADOW_SET));
        assertEquals(1, result.slot());
    }

    @Test
    void shouldCountSendFailuresWhenTheTransportIsBackPressured()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        sender.result(FrameSender.BACK_PRESSURED);
        deliver(frames.contribution(token, 0, 1, 0, 1), peer(0));
        deliver(frames.contribution(token, 1, 1, 0, 1), peer(1));
        assertEquals(1, counters.get(CounterDescriptor.SEND_FAILURES));
        final long sent = counters.get(CounterDescriptor.FRAMES_SENT);
        sender.result(FrameSender.OK);
        final UnsafeBuffer retransmit = frames.contribution(token, 1, 1, 0, 1);
        Frames.header(retransmit).flags(FrameDescriptor.FLAG_RETRANSMIT);
        deliver(retransmit, peer(1));
        assertEquals(sent + 1, counters.get(CounterDescriptor.FRAMES_SENT));
        assertArrayEquals(new float[]{2}, sender.last().payloadFloats());
    }

    @Test
    void shouldRoundSumsToInt8AndResendTheSameBytesWhenCodecIsInt8Narrow()
    {
        final int n = 3;
        final int k = 2; // ceil(log2 3)
        final Frames frames = new Frames(JOB, Codec.INT8_NARROW, n, WINDOW, EPP);
        final int token = start(frames, n);
        final int sequence = WINDOW + 1;
        deliver(frames.scaledContribution(token, 0, 1, sequence, -3, 5, 127, -128, 1), peer(0));
        deliver(frames.scaledContribution(token, 1, 1, sequence, -3, 6, 127, -127, 0), peer(1));
        assertTrue(results().isEmpty());
        deliver(frames.scaledContribution(token, 2, 1, sequence, -3, 4, 127, -127, 2), peer(2));

        final List<CapturedFrame> sent = results();
        assertEquals(n, sent.size(), "one result per rank");
        final ControlFlyweight header = sent.get(0).header();
        assertEquals(Codec.INT8_NARROW.id(), header.codec());
        assertEquals(FrameDescriptor.HEADER_LENGTH + EPP, sent.get(0).length(), "one byte per element");
        assertEquals(-3, header.exponent(), "the contributions' exponent; workers add k themselves");
        assertEquals(6, header.nextExponent());
        assertEquals(n, header.contributors());
        final long[] sums = {3 * 127, -3 * 127, 3}; // -128 saturates to -127
        final int key = SumAccumulator.resultNoiseKey(JOB, sequence);
        final byte[] payload = sent.get(0).payloadBytes();
        for (int i = 0; i < EPP; i++)
        {
            assertEquals(ReferenceSums.narrowedResult(sums[i], key, i, k), payload[i], "element " + i);
        }
        assertTrue(payload[0] == 95 || payload[0] == 96, "381 / 4 = 95.25 rounds to 95 or 96: " + payload[0]);

        // A repeated contribution and a RESEND are answered with the kept result: the same bytes.
        deliver(frames.scaledContribution(token, 1, 1, sequence, -3, 6, 127, -127, 0), peer(1));
        deliver(frames.resend(token, 2, 1, sequence), peer(2));
        final List<CapturedFrame> all = results();
        assertEquals(n + 2, all.size());
        assertEquals(peer(1), all.get(n).peer());
        assertEquals(peer(2), all.get(n + 1).peer());
        for (final CapturedFrame frame : all)
        {
            assertArrayEquals(sent.get(0).buffer().byteArray(), frame.buffer().byteArray(), frame.toString());
        }
        assertEquals(2, counters.get(CounterDescriptor.RESULTS_RESENT));
        assertEquals(0, counters.totalDropped());
    }

    @Test
    void shouldDropAndCountWhenAnInt8NarrowPayloadHasTheWrongLength()
    {
        final Frames frames = new Frames(JOB, Codec.INT8_NARROW, 2, WINDOW, EPP);
        final Frames wide = new Frames(JOB, Codec.INT16, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        // Two bytes per element (as INT16 would send) under INT8_NARROW's codec id.
        deliver(withCodec(wide.scaledContribution(token, 0, 1, 0, 0, 0, 1, 2, 3), Codec.INT8_NARROW.id()), peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_LENGTH));
        // INT8's id in an INT8_NARROW job.
        deliver(withCodec(frames.scaledContribution(token, 0, 1, 0, 0, 0, 1, 2, 3), Codec.INT8.id()), peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_CODEC));
        assertTrue(results().isEmpty());
    }

    // ------------------------------------------------------------------------------------------------ isolation

    @Test
    void shouldNeverMixSumsWhenTwoJobsUseTheSameSlots()
    {
        final Frames a = new Frames(1, Codec.FP32, 2, WINDOW, EPP);
        final Frames b = new Frames(2, Codec.FP32, 2, WINDOW, EPP);
        deliver(a.join(0, 1), 100);
        deliver(b.join(0, 1), 200);
        deliver(a.join(1, 2), 101);
        final int tokenA = sender.last().header().sessionToken();
        deliver(b.join(1, 2), 201);
        final int tokenB = sender.last().header().sessionToken();
        assertNotEquals(tokenA, tokenB);
        sender.clear();

        deliver(a.contribution(tokenA, 0, 1, 0, 1, 1, 1), 100);
        deliver(b.contribution(tokenB, 0, 1, 0, 1000, 1000, 1000), 200);
        // Job A's id with job B's token, and job B's id from job A's peer: neither may touch a sum.
        deliver(a.contribution(tokenB, 1, 1, 0, 5e6f, 5e6f, 5e6f), 101);
        assertEquals(1, counters.get(CounterDescriptor.DROP_TOKEN));
        deliver(b.contribution(tokenB, 1, 1, 0, 5e6f, 5e6f, 5e6f), 101);
        assertEquals(1, counters.get(CounterDescriptor.DROP_RANK));
        assertTrue(sender.frames().isEmpty());

        deliver(b.contribution(tokenB, 1, 1, 0, 2000, 2000, 2000), 201);
        deliver(a.contribution(tokenA, 1, 1, 0, 2, 2, 2), 101);
        final List<CapturedFrame> results = results();
        assertEquals(4, results.size());
        assertEquals(200, results.get(0).peer());
        assertEquals(2, results.get(0).header().jobId());
        assertArrayEquals(new float[]{3000, 3000, 3000}, results.get(0).payloadFloats());
        assertEquals(201, results.get(1).peer());
        assertEquals(100, results.get(2).peer());
        assertEquals(1, results.get(2).header().jobId());
        assertEquals(tokenA, results.get(2).header().sessionToken());
        assertArrayEquals(new float[]{3, 3, 3}, results.get(2).payloadFloats());
        assertEquals(101, results.get(3).peer());
    }

    @Test
    void shouldDropAndCountEachMalformedOrForeignFrameWhenContributing()
    {
        for (final Corruption corruption : Corruption.values())
        {
            sender.clear();
            final Counters fresh = new Counters("aggregator");
            aggregator = new ChunkAggregator(AggregatorConfig.builder().build(), sender, fresh, 42);
            final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
            final int token = start(frames, 2);
            final long dropsBefore = fresh.totalDropped();

            final UnsafeBuffer frame = frames.contribution(token, 0, 1, 0, 1e9f, 1e9f, 1e9f);
            final int[] lengthAndPeer = {frame.capacity(), peer(0)};
            corruption.apply(frame, lengthAndPeer);
            aggregator.onFrame(frame, 0, lengthAndPeer[0], lengthAndPeer[1], nowNs);

            final String name = corruption.name();
            assertEquals(1, fresh.get(corruption.counter), name);
            assertEquals(dropsBefore + 1, fresh.totalDropped(), name + ": " + fresh);
            assertEquals(0, fresh.get(CounterDescriptor.CONTRIBUTIONS), name);
            assertTrue(sender.frames().isEmpty(), name + " was answered: " + sender.frames());

            deliver(frames.contribution(token, 0, 1, 0, 1, 2, 3), peer(0));
            deliver(frames.contribution(token, 1, 1, 0, 4, 5, 6), peer(1));
            assertEquals(2, results().size(), name);
            assertArrayEquals(new float[]{5, 7, 9}, results().get(0).payloadFloats(), name + " corrupted the sum");
        }
    }

    /**
     * One way to spoil a valid contribution of rank 0, sequence 0, and the counter that must count its drop.
     */
    enum Corruption
    {
        SHORT(CounterDescriptor.DROP_SHORT)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                lengthAndPeer[0] = FrameDescriptor.HEADER_LENGTH - 1;
            }
        },
        OTHER_VERSION(CounterDescriptor.DROP_VERSION)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                frame.putByte(FrameDescriptor.VERSION_OFFSET, (byte)2);
            }
        },
        UNKNOWN_TYPE(CounterDescriptor.DROP_TYPE)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                frame.putByte(FrameDescriptor.TYPE_OFFSET, (byte)99);
            }
        },
        RESULT_TYPE(CounterDescriptor.DROP_TYPE)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                frame.putByte(FrameDescriptor.TYPE_OFFSET, TYPE_RESULT);
            }
        },
        UNKNOWN_JOB(CounterDescriptor.DROP_UNKNOWN_JOB)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).jobId(JOB + 1);
            }
        },
        WRONG_TOKEN(CounterDescriptor.DROP_TOKEN)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).sessionToken(Frames.header(frame).sessionToken() + 1);
            }
        },
        WRONG_PEER(CounterDescriptor.DROP_RANK)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                lengthAndPeer[1] = peer(1);
            }
        },
        RANK_OUT_OF_RANGE(CounterDescriptor.DROP_RANK)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).rank(2);
            }
        },
        RANK_65535(CounterDescriptor.DROP_RANK)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).rank(65535);
            }
        },
        BAD_SLOT(CounterDescriptor.DROP_SLOT)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).slot(WINDOW - 1);
            }
        },
        SLOT_65535(CounterDescriptor.DROP_SLOT)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).slot(65535);
            }
        },
        WRONG_SHADOW_SET(CounterDescriptor.DROP_SLOT)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).flags(FrameDescriptor.FLAG_SHADOW_SET);
            }
        },
        OTHER_CODEC(CounterDescriptor.DROP_CODEC)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                frame.putByte(FrameDescriptor.CODEC_OFFSET, FrameDescriptor.CODEC_FIXED32);
            }
        },
        COUNT_BEYOND_PAYLOAD(CounterDescriptor.DROP_LENGTH)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                lengthAndPeer[0] -= Float.BYTES;
            }
        },
        COUNT_BEYOND_PACKET(CounterDescriptor.DROP_LENGTH)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).count(65535);
            }
        },
        SEQUENCE_AHEAD(CounterDescriptor.DROP_SEQUENCE)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).sequence(4 * WINDOW);
            }
        },
        SEQUENCE_STALE(CounterDescriptor.DROP_STALE)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).sequence(-2 * WINDOW);
            }
        },
        LEAVE_WITH_WRONG_TOKEN(CounterDescriptor.DROP_TOKEN)
        {
            void apply(final UnsafeBuffer frame, final int[] lengthAndPeer)
            {
                Frames.header(frame).writeHeader(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE).jobId(JOB);
                lengthAndPeer[0] = FrameDescriptor.HEADER_LENGTH;
            }
        };

        final CounterDescriptor counter;

        Corruption(final CounterDescriptor counter)
        {
            this.counter = counter;
        }

        abstract void apply(UnsafeBuffer frame, int[] lengthAndPeer);
    }

    // ------------------------------------------------------------------------------------------------ sessions

    @Test
    void shouldAbortWhenARankLeftAndAnotherRankContributes()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 3, WINDOW, EPP);
        final int token = start(frames, 3);
        deliver(frames.contribution(token, 0, 1, 1, 1), peer(0));
        deliver(frames.leave(token, 1), peer(1));
        deliver(frames.leave(token, 1), peer(1));
        assertTrue(sender.frames().isEmpty());
        assertEquals(1, aggregator.jobCount());

        deliver(frames.contribution(token, 2, 1, 0, 1), peer(2));
        assertEquals(1, sender.frames().size());
        final ControlFlyweight abort = sender.last().header();
        assertEquals(TYPE_ABORT, abort.type());
        assertEquals(peer(2), sender.last().peer());
        assertEquals(ControlFlyweight.ERROR_RANK_LEFT, abort.contributors());
        assertEquals(token, abort.sessionToken());
        assertTrue(abort.message().contains("rank(s) [1] left"), abort.message());

        final UnsafeBuffer retransmit = frames.contribution(token, 0, 1, 1, 1);
        Frames.header(retransmit).flags(FrameDescriptor.FLAG_RETRANSMIT);
        deliver(retransmit, peer(0));
        assertEquals(TYPE_ABORT, sender.last().type());
        assertEquals(peer(0), sender.last().peer());
    }

    @Test
    void shouldEndTheJobAndFreeItsPoolWhenEveryRankLeft()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        assertTrue(aggregator.poolBytesInUse() > 0);
        deliver(frames.leave(token, 0), peer(0));
        deliver(frames.leave(token, 1), peer(1));
        assertEquals(0, aggregator.jobCount());
        assertEquals(0, aggregator.poolBytesInUse());
        assertEquals(1, counters.get(CounterDescriptor.JOBS_ENDED));
        deliver(frames.leave(token, 1), peer(1));
        assertEquals(1, counters.get(CounterDescriptor.DROP_ENDED_JOB), "an extra LEAVE copy after a clean end");
        assertEquals(0, counters.get(CounterDescriptor.DROP_UNKNOWN_JOB));
        deliver(frames.leave(token + 1, 1), peer(1));
        deliver(new Frames(JOB + 1, Codec.FP32, 2, WINDOW, EPP).leave(token, 1), peer(1));
        assertEquals(2, counters.get(CounterDescriptor.DROP_UNKNOWN_JOB), "another token, another job: unknown");
        assertEquals(1, counters.get(CounterDescriptor.DROP_ENDED_JOB));
        assertTrue(sender.frames().isEmpty());
    }

    @Test
    void shouldCountAFrameOfJobZeroTokenZeroAsUnknownWhenNoJobHasEnded()
    {
        // The ended-jobs ring starts empty: its unused entries must not match the all-zero (job 0, token 0) key.
        deliver(new Frames(0, Codec.FP32, 2, WINDOW, EPP).resend(0, 1, 0, 0), peer(1));
        assertEquals(1, counters.get(CounterDescriptor.DROP_UNKNOWN_JOB));
        assertEquals(0, counters.get(CounterDescriptor.DROP_ENDED_JOB));
        assertTrue(sender.frames().isEmpty());
    }

    @Test
    void shouldRedirectAJoinToTheShardThatServesTheJobWhenThereAreSeveralThreads()
    {
        aggregator = new ChunkAggregator(AggregatorConfig.builder().threads(2).build(), sender, counters,
            new Random(42), 0, new int[] {5000, 5001});
        final Frames odd = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        deliver(odd.join(1, nonce(1)), peer(1));
        final ControlFlyweight redirect = sender.last().header();
        assertEquals(TYPE_ERROR, redirect.type());
        assertEquals(ControlFlyweight.ERROR_REDIRECT, redirect.contributors());
        assertEquals(5001, redirect.sequence());
        assertEquals(nonce(1), redirect.round());
        assertEquals(1, redirect.rank());
        assertEquals(peer(1), sender.last().peer());
        assertEquals(0, aggregator.jobCount(), "the redirecting shard keeps no state for the job");
        assertEquals(1, counters.get(CounterDescriptor.REDIRECTS));

        final Frames even = new Frames(JOB + 1, Codec.FP32, 2, WINDOW, EPP);
        deliver(even.join(0, nonce(0)), peer(0));
        assertEquals(TYPE_PENDING, sender.last().type(), "job 8 belongs to shard 0");
        assertEquals(1, aggregator.jobCount());
    }

    @Test
    void shouldForgetAJoinWhenTheRankWithdrawsBeforeTheJobStarts()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 3, WINDOW, EPP);
        deliver(frames.join(0, nonce(0)), peer(0));
        deliver(frames.join(1, nonce(1)), peer(1));

        final UnsafeBuffer wrongNonce = frames.leave(0, 1);
        Frames.header(wrongNonce).round(nonce(1) + 1);
        deliver(wrongNonce, peer(1));
        assertEquals(1, counters.get(CounterDescriptor.DROP_RANK), "only the nonce the rank joined with counts");

        final UnsafeBuffer withdraw = frames.leave(0, 1);
        Frames.header(withdraw).round(nonce(1));
        deliver(withdraw, peer(1));
        sender.clear();
        deliver(frames.join(2, nonce(2)), peer(2));
        assertTrue(sender.ofType(TYPE_JOIN_ACK).isEmpty(), "rank 1 withdrew: the job must not start without it");
        final ControlFlyweight pending = sender.last().header();
        assertTrue(pending.hasRank(0) && !pending.hasRank(1) && pending.hasRank(2));

        deliver(frames.join(1, nonce(1)), peer(1));
        assertEquals(3, sender.ofType(TYPE_JOIN_ACK).size(), "the job starts once rank 1 is back");
    }

    @Test
    void shouldEndAFormingJobWhenItsOnlyRankWithdraws()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        deliver(frames.join(0, nonce(0)), peer(0));
        final UnsafeBuffer withdraw = frames.leave(0, 0);
        Frames.header(withdraw).round(nonce(0));
        deliver(withdraw, peer(0));
        assertEquals(0, aggregator.jobCount());
        assertEquals(0, aggregator.poolBytesInUse());
    }

    @Test
    void shouldAbortTheOldSessionWhenARankRejoinsWithANewNonce()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        deliver(frames.contribution(token, 0, 1, 0, 1), peer(0));
        deliver(frames.join(1, 5555), peer(1));

        final List<CapturedFrame> aborts = sender.ofType(TYPE_ABORT);
        assertEquals(2, aborts.size());
        for (int r = 0; r < 2; r++)
        {
            final ControlFlyweight abort = aborts.get(r).header();
            assertEquals(peer(r), aborts.get(r).peer());
            assertEquals(ControlFlyweight.ERROR_RANK_REJOINED, abort.contributors());
            assertEquals(token, abort.sessionToken());
            assertEquals(nonce(r), abort.round());
            assertTrue(abort.message().contains("rank 1 joined again"), abort.message());
        }
        final ControlFlyweight pending = sender.last().header();
        assertEquals(TYPE_PENDING, pending.type(), "the restarted rank forms a new session");
        assertEquals(5555, pending.round());
        assertTrue(pending.hasRank(1) && !pending.hasRank(0));
        assertEquals(1, aggregator.jobCount());
        assertEquals(poolBytes(Codec.FP32, WINDOW, EPP, 2), aggregator.poolBytesInUse());

        deliver(frames.contribution(token, 0, 1, 0, 1), peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_ENDED_JOB), "the old session's frames");

        sender.clear();
        deliver(frames.join(0, 6666), peer(0));
        assertEquals(2, sender.ofType(TYPE_JOIN_ACK).size());
        assertNotEquals(token, sender.last().header().sessionToken());
    }

    @Test
    void shouldTakeTheNewAddressWhenARankRejoinsBeforeTheJobStarted()
    {
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        deliver(frames.join(0, nonce(0)), peer(0));
        deliver(frames.join(0, 4444), peer(9));
        assertEquals(peer(9), sender.last().peer());
        assertTrue(sender.ofType(TYPE_ABORT).isEmpty());
        deliver(frames.join(1, nonce(1)), peer(1));
        final List<CapturedFrame> acks = sender.ofType(TYPE_JOIN_ACK);
        assertEquals(peer(9), acks.get(0).peer());
        assertEquals(4444, acks.get(0).header().round());
    }

    @Test
    void shouldExpireAJobThatNeverFormsAndFreeItsPoolBytes()
    {
        final AggregatorConfig config = AggregatorConfig.builder()
            .jobTimeouts(TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(60)).build();
        aggregator = new ChunkAggregator(config, sender, counters, 42);
        final Frames frames = new Frames(JOB, Codec.FP32, 3, WINDOW, EPP);
        final long t0 = nowNs;
        deliver(frames.join(0, nonce(0)), peer(0));
        deliver(frames.join(1, nonce(1)), peer(1));
        assertTrue(aggregator.poolBytesInUse() > 0);
        sender.clear();

        for (long t = t0; t <= t0 + TimeUnit.SECONDS.toNanos(2); t += TimeUnit.MILLISECONDS.toNanos(50))
        {
            assertEquals(0, aggregator.doWork(t));
        }
        assertEquals(1, aggregator.jobCount());
        int ended = 0;
        for (long t = t0 + TimeUnit.SECONDS.toNanos(2); ended == 0 && t < t0 + TimeUnit.SECONDS.toNanos(3);
            t += TimeUnit.MILLISECONDS.toNanos(50))
        {
            ended = aggregator.doWork(t);
        }
        assertEquals(1, ended);
        assertEquals(0, aggregator.jobCount());
        assertEquals(0, aggregator.poolBytesInUse());
        assertEquals(1, counters.get(CounterDescriptor.JOBS_ENDED));
        final List<CapturedFrame> aborts = sender.ofType(TYPE_ABORT);
        assertEquals(2, aborts.size());
        for (int r = 0; r < 2; r++)
        {
            final ControlFlyweight abort = aborts.get(r).header();
            assertEquals(peer(r), aborts.get(r).peer());
            assertEquals(ControlFlyweight.ERROR_JOB_EXPIRED, abort.contributors());
            assertEquals(nonce(r), abort.round());
            assertEquals(0, abort.sessionToken());
            assertTrue(abort.message().contains("missing [2]"), abort.message());
        }
    }

    @Test
    void shouldExpireAStartedJobWhenItIsIdleForTooLong()
    {
        final AggregatorConfig config = AggregatorConfig.builder()
            .jobTimeouts(TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(10)).build();
        aggregator = new ChunkAggregator(config, sender, counters, 42);
        final Frames frames = new Frames(JOB, Codec.FP32, 2, WINDOW, EPP);
        final int token = start(frames, 2);
        nowNs += TimeUnit.SECONDS.toNanos(9);
        deliver(frames.contribution(token, 0, 1, 0, 1), peer(0));
        aggregator.doWork(nowNs + TimeUnit.SECONDS.toNanos(9));
        assertEquals(1, aggregator.jobCount(), "active 9 s ago: not idle yet");
        assertEquals(0, sender.ofType(TYPE_ABORT).size());
        aggregator.doWork(nowNs + TimeUnit.SECONDS.toNanos(11));
        assertEquals(0, aggregator.jobCount());
        assertEquals(2, sender.ofType(TYPE_ABORT).size());
        assertEquals(token, sender.last().header().sessionToken());
        assertTrue(sender.last().header().message().contains("idle"), sender.last().header().message());
        assertEquals(0, aggregator.poolBytesInUse());
    }

    @Test
    void shouldExpireAJobWhenTheClockIsNegative()
    {
        final AggregatorConfig config = AggregatorConfig.builder()
            .jobTimeouts(TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(60)).build();
        aggregator = new ChunkAggregator(config, sender, counters, 42);
        // System.nanoTime() may be negative: its origin is arbitrary.
        nowNs = -TimeUnit.DAYS.toNanos(365);
        final long t0 = nowNs;
        deliver(new Frames(JOB, Codec.FP32, 2, WINDOW, EPP).join(0, nonce(0)), peer(0));
        int ended = 0;
        for (long t = t0; t < t0 + TimeUnit.SECONDS.toNanos(3); t += TimeUnit.MILLISECONDS.toNanos(100))
        {
            ended += aggregator.doWork(t);
        }
        assertEquals(1, ended);
        assertEquals(0, aggregator.jobCount());
    }

    @Test
    void shouldAbortEveryJobWhenClosed()
    {
        final Frames a = new Frames(1, Codec.FP32, 2, WINDOW, EPP);
        final Frames b = new Frames(2, Codec.FP32, 2, WINDOW, EPP);
        deliver(a.join(0, 1), 100);
        deliver(a.join(1, 2), 101);
        deliver(b.join(0, 3), 200);
        sender.clear();
        aggregator.close();
        final List<CapturedFrame> aborts = sender.ofType(TYPE_ABORT);
        assertEquals(3, aborts.size());
        for (final CapturedFrame abort : aborts)
        {
            assertEquals(ControlFlyweight.ERROR_SHUTDOWN, abort.header().contributors());
        }
        assertEquals(0, aggregator.jobCount());
        assertEquals(0, aggregator.poolBytesInUse());
    }

    private static long poolBytes(final Codec codec, final int window, final int elementsPerPacket, final int worldSize)
    {
        return SlotSets.sizeOf(new JobSpec(codec, worldSize, window, elementsPerPacket, Mode.EXACT, 1, 0, false));
    }
}
