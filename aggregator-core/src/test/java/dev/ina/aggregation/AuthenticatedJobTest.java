package dev.ina.aggregation;

import dev.ina.api.Codec;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.JobSecrets;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameProof;
import dev.ina.sim.CapturedFrame;
import dev.ina.sim.Frames;
import dev.ina.sim.RecordingFrameSender;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ina.protocol.FrameDescriptor.TYPE_ABORT;
import static dev.ina.protocol.FrameDescriptor.TYPE_CHALLENGE;
import static dev.ina.protocol.FrameDescriptor.TYPE_ERROR;
import static dev.ina.protocol.FrameDescriptor.TYPE_JOIN_ACK;
import static dev.ina.protocol.FrameDescriptor.TYPE_PENDING;
import static dev.ina.protocol.FrameDescriptor.TYPE_RESULT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The aggregation engine with jobs protected by a secret, driven by hand with a manual clock. The attacker knows
 * the job id and can send from any peer, a member's included (a spoofed source address), and can replay every
 * frame it captured, but does not know the secret.
 */
class AuthenticatedJobTest
{
    static final int JOB = 7;
    static final int WINDOW = 4;
    static final int EPP = 3;
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final byte[] WRONG = "not the secret, but just as long".getBytes(StandardCharsets.UTF_8);
    static final int ATTACKER = 666;
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    final RecordingFrameSender sender = new RecordingFrameSender();
    final Counters counters = new Counters("aggregator");
    final FrameProof proof = new FrameProof(SECRET);
    final Frames frames = new Frames(JOB, Codec.FIXED32, 2, WINDOW, EPP);
    long nowNs = 50 * SECOND;
    ChunkAggregator aggregator = new ChunkAggregator(config().build(), sender, counters, 42);

    static AggregatorConfig.Builder config()
    {
        return AggregatorConfig.builder().jobSecrets(JobSecrets.of(Map.of(JOB, SECRET)));
    }

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

    boolean isProven(final CapturedFrame frame)
    {
        final UnsafeBuffer buffer = frame.buffer();
        return proof.verify(buffer, 0, buffer.capacity());
    }

    /**
     * A rank's JOIN after its challenge: sends the first JOIN, checks the CHALLENGE, returns the JOIN with the
     * cookie (not yet delivered).
     */
    UnsafeBuffer challenged(final int rank, final int nonce, final int peer)
    {
        sender.clear();
        deliver(frames.provenJoin(rank, nonce, null, SECRET), peer);
        assertEquals(1, sender.frames().size(), "a JOIN without cookie gets exactly a CHALLENGE");
        final CapturedFrame challenge = sender.last();
        assertEquals(TYPE_CHALLENGE, challenge.type());
        assertEquals(peer, challenge.peer());
        assertEquals(ControlFlyweight.CHALLENGE_LENGTH, challenge.length());
        assertTrue(isProven(challenge), "a CHALLENGE proves the secret back");
        assertEquals(nonce, challenge.header().nonce());
        return frames.provenJoin(rank, nonce, Frames.cookieOf(challenge.buffer()), SECRET);
    }

    /**
     * Joins both ranks through challenge and response; returns the token.
     */
    int start()
    {
        deliver(challenged(0, nonce(0), peer(0)), peer(0));
        assertEquals(TYPE_PENDING, sender.last().type());
        sender.clear();
        deliver(challenged(1, nonce(1), peer(1)), peer(1));
        final List<CapturedFrame> acks = sender.ofType(TYPE_JOIN_ACK);
        assertEquals(2, acks.size(), "job did not start: " + sender.frames());
        for (final CapturedFrame ack : acks)
        {
            assertTrue(isProven(ack), "JOIN_ACK proves the secret back");
            assertEquals(ControlFlyweight.JOIN_LENGTH + FrameProof.LENGTH, ack.length());
        }
        sender.clear();
        return acks.get(0).header().sessionToken();
    }

    /**
     * One chunk summed by both ranks: proves the job serves.
     */
    void assertJobServes(final int token, final int sequence)
    {
        sender.clear();
        deliver(frames.scaledContribution(token, 0, 1, sequence, 0, 0, 1, 2, 3), peer(0));
        deliver(frames.scaledContribution(token, 1, 1, sequence, 0, 0, 10, 20, 30), peer(1));
        final List<CapturedFrame> results = sender.ofType(TYPE_RESULT);
        assertEquals(2, results.size(), "the job must still serve: " + sender.frames() + " " + counters);
    }

    // ------------------------------------------------------------------------------------------------ joining

    @Test
    void shouldStartAProtectedJobThroughChallengeAndResponseAndProveItsReplies()
    {
        final int token = start();
        assertNotEquals(0, token);
        assertEquals(2, counters.get(CounterDescriptor.CHALLENGES_SENT));
        assertEquals(2, counters.get(CounterDescriptor.JOINS_PROVEN));
        assertEquals(1, counters.get(CounterDescriptor.JOBS_STARTED));
        assertEquals(0, counters.totalDropped());
        assertJobServes(token, 0);
    }

    @Test
    void shouldRefuseJoinsWithoutOrWithAWrongSecretAlikeWhetherOrNotTheJobExists()
    {
        final List<byte[]> before = refusals();
        start();
        final List<byte[]> after = refusals();
        for (int i = 0; i < before.size(); i++)
        {
            assertArrayEquals(before.get(i), after.get(i), "refusal " + i + " must not tell that the job exists");
        }
        final ControlFlyweight noProof = new CapturedFrame(ATTACKER, before.get(0)).header();
        assertEquals(ControlFlyweight.ERROR_SECRET_REQUIRED, noProof.errorCode());
        assertTrue(noProof.message().contains("INA_SECRET or INA_SECRET_FILE"), noProof.message());
        final ControlFlyweight wrong = new CapturedFrame(ATTACKER, before.get(1)).header();
        assertEquals(ControlFlyweight.ERROR_PROOF_FAILED, wrong.errorCode());
        assertTrue(wrong.message().contains("INA_SECRET or INA_SECRET_FILE must hold the secret"), wrong.message());
        assertEquals(1, aggregator.jobCount(), "refused JOINs create no job");
        assertEquals(4, counters.get(CounterDescriptor.DROP_PROOF));
    }

    private List<byte[]> refusals()
    {
        final List<byte[]> replies = new ArrayList<>();
        final UnsafeBuffer[] joins = {
            frames.join(1, 4242),
            Frames.prove(frames.join(1, 4242, ControlFlyweight.PADDED_JOIN_LENGTH - FrameProof.LENGTH), WRONG),
        };
        for (final UnsafeBuffer join : joins)
        {
            sender.clear();
            deliver(join, ATTACKER);
            assertEquals(1, sender.frames().size());
            assertEquals(TYPE_ERROR, sender.last().type());
            assertEquals(ATTACKER, sender.last().peer());
            assertTrue(sender.last().length() <= join.capacity());
            replies.add(sender.last().buffer().byteArray());
        }
        nowNs += SECOND;
        return replies;
    }

    @Test
    void shouldRefuseAProofForAnOpenJobAndEveryUnlistedJobWhenASecretIsRequired()
    {
        final Frames open = new Frames(8, Codec.FP32, 1, WINDOW, EPP);
        deliver(open.provenJoin(0, 1, null, SECRET), peer(0));
        assertEquals(ControlFlyweight.ERROR_NO_SECRET, sender.last().header().errorCode());
        assertTrue(sender.last().header().message().contains("add a line '8 <secret>'"),
            sender.last().header().message());
        deliver(open.join(0, 1), peer(0));
        assertEquals(TYPE_JOIN_ACK, sender.last().type(), "without a proof, an unlisted job is open by default");
        assertFalse(isProven(sender.last()));

        aggregator = new ChunkAggregator(config().requireSecret(true).maxJobs(2).build(), sender, counters, 42);
        sender.clear();
        for (int job = 100; job < 200; job++)
        {
            final Frames other = new Frames(job, Codec.FP32, 1, WINDOW, EPP);
            deliver(other.join(0, job), ATTACKER + job);
            deliver(other.provenJoin(0, job, null, WRONG), ATTACKER + job);
        }
        assertEquals(0, aggregator.jobCount(), "nobody without a secret can fill the job table");
        assertEquals(100, sender.ofType(TYPE_ERROR).stream()
            .filter(f -> f.header().errorCode() == ControlFlyweight.ERROR_SECRET_REQUIRED).count());
        assertEquals(100, sender.ofType(TYPE_ERROR).stream()
            .filter(f -> f.header().errorCode() == ControlFlyweight.ERROR_PROOF_FAILED).count());
        assertJobServes(start(), 0);
    }

    // ------------------------------------------------------------------------------------------------ replays

    @Test
    void shouldChallengeAJoinReplayedFromAnotherAddressAndNeverAdmitIt()
    {
        final UnsafeBuffer captured = challenged(0, nonce(0), peer(0));
        deliver(captured, peer(0));
        sender.clear();
        deliver(captured, ATTACKER);
        assertEquals(1, counters.get(CounterDescriptor.DROP_REPLAY));
        assertEquals(TYPE_CHALLENGE, sender.last().type(), "challenged: only a holder of the secret can answer");
        assertEquals(ATTACKER, sender.last().peer());
        // The attacker answers the challenge with the captured JOIN and the new cookie: its proof no longer fits.
        final UnsafeBuffer forged = new UnsafeBuffer(captured.byteArray().clone());
        forged.putBytes(ControlFlyweight.COOKIE_OFFSET, Frames.cookieOf(sender.last().buffer()), 0,
            ControlFlyweight.COOKIE_LENGTH);
        deliver(forged, ATTACKER);
        assertEquals(ControlFlyweight.ERROR_PROOF_FAILED, sender.last().header().errorCode());
        sender.clear();
        deliver(challenged(1, nonce(1), peer(1)), peer(1));
        final List<CapturedFrame> acks = sender.ofType(TYPE_JOIN_ACK);
        assertEquals(List.of(peer(0), peer(1)), acks.stream().map(CapturedFrame::peer).toList(),
            "rank 0 keeps its own address");
    }

    @Test
    void shouldRefuseTheReplayOfARestartedRanksOldJoinAndOfAnEndedSessionsJoins()
    {
        final UnsafeBuffer oldJoin = challenged(0, nonce(0), peer(0));
        deliver(oldJoin, peer(0));
        // Rank 0 restarts (a new nonce) while the job forms: its old JOIN, replayed from its address, is refused.
        deliver(challenged(0, 5000, peer(0)), peer(0));
        sender.clear();
        deliver(oldJoin, peer(0));
        assertEquals(1, counters.get(CounterDescriptor.DROP_REPLAY));
        assertTrue(sender.frames().isEmpty(), "a replay gets no answer");

        final UnsafeBuffer rank1 = challenged(1, nonce(1), peer(1));
        deliver(rank1, peer(1));
        final int token = sender.ofType(TYPE_JOIN_ACK).get(0).header().sessionToken();
        final UnsafeBuffer rank0 = challenged(0, 5000, peer(0));
        // Both ranks leave with proven LEAVEs: the job ends. Their JOINs, replayed within the cookie's life,
        // must not form a new job.
        deliver(Frames.prove(frames.leave(token, 0), SECRET), peer(0));
        deliver(Frames.prove(frames.leave(token, 1), SECRET), peer(1));
        assertEquals(0, aggregator.jobCount());
        sender.clear();
        deliver(rank0, peer(0));
        deliver(rank1, peer(1));
        assertEquals(3, counters.get(CounterDescriptor.DROP_REPLAY));
        assertEquals(0, aggregator.jobCount());
        assertTrue(sender.frames().isEmpty(), sender.frames().toString());

        // Once the cookie expired, a replay is only challenged again.
        nowNs += 2 * JoinCookies.EPOCH_NS + 1;
        deliver(rank0, peer(0));
        assertEquals(TYPE_CHALLENGE, sender.last().type());
        assertEquals(0, aggregator.jobCount());
    }

    // ------------------------------------------------------------------------------------------------ ending

    @Test
    void shouldKeepAProtectedJobWhenLeaveWithdrawOrRejoinAreForgedFromAMembersAddress()
    {
        final UnsafeBuffer join0 = challenged(0, nonce(0), peer(0));
        deliver(join0, peer(0));
        deliver(frames.withdraw(0, nonce(0)), peer(0));
        deliver(Frames.prove(frames.withdraw(0, nonce(0)), WRONG), peer(0));
        assertEquals(2, counters.get(CounterDescriptor.DROP_PROOF));
        final int token = finishStart();

        deliver(frames.leave(token, 0), peer(0));
        deliver(Frames.prove(frames.leave(token, 1), WRONG), peer(1));
        deliver(frames.join(0, 9999), peer(0));
        deliver(Frames.prove(frames.join(1, 9999, ControlFlyweight.PADDED_JOIN_LENGTH - FrameProof.LENGTH), WRONG),
            peer(1));
        assertEquals(6, counters.get(CounterDescriptor.DROP_PROOF));
        assertEquals(0, counters.get(CounterDescriptor.JOBS_ENDED));
        assertTrue(sender.ofType(TYPE_ABORT).isEmpty());
        assertJobServes(token, 0);

        deliver(Frames.prove(frames.leave(token, 0), SECRET), peer(0));
        deliver(Frames.prove(frames.leave(token, 1), SECRET), peer(1));
        assertEquals(1, counters.get(CounterDescriptor.JOBS_ENDED), "proven LEAVEs end the job");
    }

    private int finishStart()
    {
        sender.clear();
        deliver(challenged(1, nonce(1), peer(1)), peer(1));
        final List<CapturedFrame> acks = sender.ofType(TYPE_JOIN_ACK);
        assertEquals(2, acks.size(), "the forged withdrawals must not have removed rank 0: " + sender.frames());
        return acks.get(0).header().sessionToken();
    }

    @Test
    void shouldProveAbortsOfAProtectedJobAndFitThemIntoTheJoin()
    {
        aggregator = new ChunkAggregator(config().jobTimeouts(SECOND, 10 * SECOND).build(), sender, counters, 42);
        deliver(challenged(0, nonce(0), peer(0)), peer(0));
        sender.clear();
        nowNs += 2 * SECOND;
        aggregator.doWork(nowNs);
        final CapturedFrame abort = sender.last();
        assertEquals(TYPE_ABORT, abort.type());
        assertEquals(ControlFlyweight.ERROR_JOB_EXPIRED, abort.header().errorCode());
        assertTrue(isProven(abort));
        assertTrue(abort.length() <= ControlFlyweight.PADDED_JOIN_LENGTH);
        assertTrue(abort.header().message().contains("did not form"), abort.header().message());
    }

    @Test
    void shouldRefuseAJoinWhoseJobWasFormedWithAnotherSecretAfterAReload()
    {
        final int token = start();
        final byte[] newSecret = "a new secret for job seven, long".getBytes(StandardCharsets.UTF_8);
        aggregator.jobSecrets(JobSecrets.of(Map.of(JOB, newSecret)));
        assertJobServes(token, 0);
        sender.clear();
        deliver(frames.provenJoin(1, 77, null, SECRET), peer(1));
        assertEquals(ControlFlyweight.ERROR_PROOF_FAILED, sender.last().header().errorCode(),
            "the old secret no longer proves anything");
        deliver(frames.provenJoin(1, 77, null, newSecret), peer(1));
        final UnsafeBuffer cookie = Frames.cookieOf(sender.last().buffer());
        deliver(frames.provenJoin(1, 77, cookie, newSecret), peer(1));
        assertEquals(ControlFlyweight.ERROR_CONFIG_MISMATCH, sender.last().header().errorCode());
        assertTrue(sender.last().header().message().contains("with another secret"), sender.last().header().message());
        assertTrue(new FrameProof(newSecret).verify(sender.last().buffer(), 0, sender.last().length()));
        assertJobServes(token, 1);
    }

    // ------------------------------------------------------------------------------------------------ reflection

    @Test
    void shouldNeverReplyToAnUnprovenJoinWithMoreBytesThanItHadAndLimitRepliesPerSource()
    {
        aggregator = new ChunkAggregator(AggregatorConfig.builder().unprovenReplyRate(50).build(), sender, counters,
            42);
        final UnsafeBuffer junk = new Frames(JOB, Codec.FP32, 0, WINDOW, EPP).join(0, 1, ControlFlyweight.JOIN_LENGTH);
        for (int i = 0; i < 100; i++)
        {
            deliver(junk, ATTACKER);
        }
        assertEquals(ReplyLimiter.PER_SOURCE_RATE, sender.frames().size(), "one source gets its burst only");
        for (final CapturedFrame error : sender.frames())
        {
            assertEquals(TYPE_ERROR, error.type());
            assertEquals(ControlFlyweight.JOIN_LENGTH, error.length(), "the message is cut to the JOIN's length");
            assertTrue(error.header().message().startsWith("job 7 rank 0: wo"), error.header().message());
        }
        sender.clear();
        for (int source = 0; source < 100; source++)
        {
            deliver(junk, 1000 + source);
        }
        assertEquals(50 - ReplyLimiter.PER_SOURCE_RATE, sender.frames().size(), "the engine's burst is shared");
        nowNs += SECOND;
        sender.clear();
        deliver(junk, 5000);
        assertEquals(1, sender.frames().size(), "the buckets refill");

        // A JOIN too short for the PENDING of 200 ranks gets none.
        final Frames large = new Frames(JOB, Codec.FP32, 200, WINDOW, EPP);
        sender.clear();
        deliver(large.join(0, 1, ControlFlyweight.JOIN_LENGTH), peer(0));
        assertTrue(sender.frames().isEmpty());
        deliver(large.join(0, 1), peer(0));
        assertEquals(TYPE_PENDING, sender.last().type(), "a padded JOIN gets the whole bitmap");
        assertEquals(90 + 60 + 1, counters.get(CounterDescriptor.REPLIES_LIMITED),
            "limited: 90 JOINs of one source, 60 of the 100 others, and the PENDING that did not fit");
        assertTrue(counters.get(CounterDescriptor.UNPROVEN_BYTES_SENT) <=
            counters.get(CounterDescriptor.UNPROVEN_BYTES_RECEIVED), counters.toString());
    }

    @Test
    void shouldSendNoMoreToUnprovenSendersThanTheySentWhateverTheyJoin()
    {
        aggregator = new ChunkAggregator(config().build(), sender, counters, 42);
        final int[] lengths = {ControlFlyweight.JOIN_LENGTH, ControlFlyweight.MIN_PROVEN_JOIN_LENGTH, 200,
            ControlFlyweight.PADDED_JOIN_LENGTH};
        int source = 0;
        for (final int length : lengths)
        {
            for (final Frames job : new Frames[] {frames, new Frames(8, Codec.FP32, 3, WINDOW, EPP),
                new Frames(9, Codec.FP32, 1, WINDOW, EPP), new Frames(JOB, Codec.FP32, 0, WINDOW, EPP)})
            {
                final List<UnsafeBuffer> joins = new ArrayList<>();
                joins.add(job.join(0, 3, length));
                if (length - FrameProof.LENGTH >= ControlFlyweight.JOIN_LENGTH)
                {
                    joins.add(Frames.prove(job.join(0, 3, length - FrameProof.LENGTH), WRONG));
                }
                joins.add(frames.provenJoin(0, 3, null, SECRET));
                for (final UnsafeBuffer join : joins)
                {
                    sender.clear();
                    deliver(join, 10_000 + source++);
                    for (final CapturedFrame reply : sender.frames())
                    {
                        assertTrue(reply.length() <= join.capacity(), reply.length() + " > " + join.capacity());
                    }
                }
            }
        }
        assertTrue(counters.get(CounterDescriptor.UNPROVEN_BYTES_RECEIVED) > 0);
        assertTrue(counters.get(CounterDescriptor.UNPROVEN_BYTES_SENT) <=
            counters.get(CounterDescriptor.UNPROVEN_BYTES_RECEIVED), counters.toString());
        assertEquals(0, counters.get(CounterDescriptor.JOINS_PROVEN));
    }
}
