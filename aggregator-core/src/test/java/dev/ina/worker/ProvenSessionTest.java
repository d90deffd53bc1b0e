package dev.ina.worker;

import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.sim.CapturedFrame;
import dev.ina.sim.Frames;
import dev.ina.sim.RecordingFrameSender;
import dev.ina.sim.SimulatedNetwork;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static dev.ina.protocol.FrameDescriptor.TYPE_JOIN;
import static dev.ina.protocol.FrameDescriptor.TYPE_LEAVE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker session of a job with a secret: its JOIN, LEAVE and withdraw prove the secret, it answers a proven
 * CHALLENGE with the cookie, and it takes a JOIN_ACK, CHALLENGE, ERROR or ABORT only when it proves the secret
 * back (an ERROR while joining excepted).
 */
class ProvenSessionTest
{
    static final String SECRET_TEXT = "0123456789abcdef0123456789abcdef";
    static final byte[] SECRET = SECRET_TEXT.getBytes(StandardCharsets.UTF_8);
    static final byte[] WRONG = "not the secret, but just as long".getBytes(StandardCharsets.UTF_8);
    static final int NONCE = 77;
    static final int TOKEN = 0x1234_5678;
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    final RecordingFrameSender sender = new RecordingFrameSender();
    final Counters counters = new Counters("worker");
    final FrameProof proof = new FrameProof(SECRET);
    final WorkerConfig config = SimulatedNetwork.workerConfig(1, 2, Codec.FP32, 4, 3).secret(SECRET_TEXT).build();
    final WorkerSession session = new WorkerSession(config, sender, counters, NONCE);
    final Frames frames = new Frames(config.jobId(), Codec.FP32, 2, 4, 3);
    long nowNs = TimeUnit.SECONDS.toNanos(5);

    void deliver(final UnsafeBuffer frame)
    {
        session.onFrame(frame, 0, frame.capacity(), WorkerSession.AGGREGATOR_PEER, nowNs);
    }

    boolean isProven(final CapturedFrame frame)
    {
        return proof.verify(frame.buffer(), 0, frame.length());
    }

    static byte[] cookie(final int seed)
    {
        final byte[] cookie = new byte[ControlFlyweight.COOKIE_LENGTH];
        Arrays.fill(cookie, (byte)seed);
        return cookie;
    }

    void joined()
    {
        session.startJoin(nowNs);
        deliver(Frames.prove(frames.joinAck(TOKEN, 1, NONCE), SECRET));
        assertEquals(WorkerSession.State.READY, session.state());
        sender.clear();
    }

    @Test
    void shouldProveEveryJoinAndSendTheChallengesCookieAtOnce()
    {
        session.startJoin(nowNs);
        final CapturedFrame first = sender.last();
        assertEquals(TYPE_JOIN, first.type());
        assertEquals(ControlFlyweight.PADDED_JOIN_LENGTH, first.length());
        assertTrue(isProven(first));
        assertFalse(new FrameProof(WRONG).verify(first.buffer(), 0, first.length()));
        assertArrayEquals(new byte[ControlFlyweight.COOKIE_LENGTH], cookieOfJoin(first),
            "no cookie before a CHALLENGE");

        nowNs += 20 * MS;
        sender.clear();
        deliver(frames.challenge(1, NONCE, cookie(5), SECRET));
        assertEquals(1, sender.frames().size(), "a new cookie is sent at once");
        assertTrue(isProven(sender.last()));
        assertArrayEquals(cookie(5), cookieOfJoin(sender.last()));

        sender.clear();
        deliver(frames.challenge(1, NONCE, cookie(5), SECRET));
        deliver(frames.challenge(1, NONCE, cookie(6), WRONG));
        deliver(frames.challenge(1, NONCE + 1, cookie(7), SECRET));
        assertTrue(sender.frames().isEmpty(), "the same cookie again, a forged or a foreign CHALLENGE: no JOIN");
        assertEquals(1, counters.get(CounterDescriptor.DROP_PROOF));
        assertEquals(2, counters.get(CounterDescriptor.DROP_STALE));

        nowNs += 500 * MS;
        session.doWork(nowNs);
        assertArrayEquals(cookie(5), cookieOfJoin(sender.last()), "retries keep the cookie");
    }

    private static byte[] cookieOfJoin(final CapturedFrame join)
    {
        final byte[] cookie = new byte[ControlFlyweight.COOKIE_LENGTH];
        join.buffer().getBytes(ControlFlyweight.COOKIE_OFFSET, cookie);
        return cookie;
    }

    @Test
    void shouldIgnoreAnAcknowledgementThatDoesNotProveTheSecretAndSayWhyTheJoinTimedOut()
    {
        session.startJoin(nowNs);
        deliver(frames.joinAck(TOKEN, 1, NONCE));
        deliver(Frames.prove(frames.joinAck(TOKEN, 1, NONCE), WRONG));
        assertEquals(WorkerSession.State.JOINING, session.state(), "a forged JOIN_ACK must not start the session");
        assertEquals(2, counters.get(CounterDescriptor.DROP_PROOF));

        while (session.state() == WorkerSession.State.JOINING && nowNs < TimeUnit.SECONDS.toNanos(20))
        {
            nowNs += 10 * MS;
            session.doWork(nowNs);
        }
        assertEquals(CollectiveException.Reason.TIMEOUT, session.failure().reason());
        assertTrue(session.failure().getMessage().contains("2 replies that claimed to come from the aggregator " +
            "did not prove the job's secret"), session.failure().getMessage());
    }

    @Test
    void shouldFailAtOnceWithTheAggregatorsReasonWhenItRefusesTheJoin()
    {
        session.startJoin(nowNs);
        deliver(frames.error(FrameDescriptor.TYPE_ERROR, 0, 1, NONCE, ControlFlyweight.ERROR_PROOF_FAILED,
            "job 1 rank 1: the JOIN's proof does not verify: INA_SECRET or INA_SECRET_FILE must hold the secret"));
        assertEquals(WorkerSession.State.FAILED, session.state());
        assertEquals(CollectiveException.Reason.REFUSED, session.failure().reason());
        assertTrue(session.failure().getMessage().contains("INA_SECRET or INA_SECRET_FILE"),
            session.failure().getMessage());
    }

    @Test
    void shouldTakeOnlyProvenAbortsOnceJoined()
    {
        joined();
        final UnsafeBuffer abort = frames.error(FrameDescriptor.TYPE_ABORT, TOKEN, 1, 0,
            ControlFlyweight.ERROR_RANK_LEFT, "rank 0 left");
        deliver(abort);
        deliver(Frames.prove(abort, WRONG));
        deliver(frames.error(FrameDescriptor.TYPE_ERROR, TOKEN, 1, 0, ControlFlyweight.ERROR_SHUTDOWN, "bye"));
        assertEquals(WorkerSession.State.READY, session.state(), "forged ends must be ignored");
        assertEquals(3, counters.get(CounterDescriptor.DROP_PROOF));

        deliver(Frames.prove(abort, SECRET));
        assertEquals(CollectiveException.Reason.ABORTED, session.failure().reason());
        assertTrue(session.failure().getMessage().endsWith("the aggregator ended the job: rank 0 left"),
            session.failure().getMessage());
    }

    @Test
    void shouldProveLeaveAndWithdraw()
    {
        joined();
        session.leave(nowNs);
        assertEquals(3, sender.ofType(TYPE_LEAVE).size());
        for (final CapturedFrame leave : sender.ofType(TYPE_LEAVE))
        {
            assertEquals(TOKEN, leave.header().sessionToken());
            assertEquals(FrameDescriptor.HEADER_LENGTH + FrameProof.LENGTH, leave.length());
            assertTrue(isProven(leave));
        }

        final RecordingFrameSender other = new RecordingFrameSender();
        final WorkerSession waiting = new WorkerSession(config, other, new Counters("w"), NONCE + 1);
        waiting.startJoin(nowNs);
        other.clear();
        waiting.leave(nowNs);
        for (final CapturedFrame withdraw : other.ofType(TYPE_LEAVE))
        {
            assertEquals(0, withdraw.header().sessionToken());
            assertEquals(NONCE + 1, withdraw.header().nonce());
            assertTrue(proof.verify(withdraw.buffer(), 0, withdraw.length()));
        }
        assertEquals(3, other.ofType(TYPE_LEAVE).size());
    }
}
