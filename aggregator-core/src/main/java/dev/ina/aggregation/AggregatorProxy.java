package dev.ina.aggregation;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.FrameSender;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

import static dev.ina.protocol.FrameDescriptor.FLAG_SHADOW_SET;
import static dev.ina.protocol.FrameDescriptor.HEADER_LENGTH;

/**
 * Writes every frame the aggregator sends, one method per message, in place into the transport's memory
 * ({@link FrameSender#claim()}) where it lends some, and counts what was sent. Control frames of a job protected by
 * a secret carry a {@link FrameProof}; replies to a JOIN are never longer than the JOIN, and control frames to a
 * member never longer than the JOIN it joined with. Owned by the aggregation engine's thread.
 */
final class AggregatorProxy
{
    private final FrameSender sender;
    private final Counters counters;
    private final ControlFlyweight out = new ControlFlyweight();
    private final UnsafeBuffer ownBuffer =
        new UnsafeBuffer(ByteBuffer.allocateDirect(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH));
    /** The frame being written: the sender's claimed memory (sent without a copy) or {@link #ownBuffer}. */
    private MutableDirectBuffer buffer = ownBuffer;
    private final int[] peers = new int[FrameDescriptor.MAX_WORLD_SIZE];
    private JobLookup jobs;

    AggregatorProxy(final FrameSender sender, final Counters counters)
    {
        this.sender = sender;
        this.counters = counters;
    }

    /**
     * RESULT of a finished set, to one peer or, with {@code peer < 0}, to every rank.
     */
    void result(final Job job, final int set, final int peer)
    {
        final SlotSets sets = job.sets;
        header(FrameDescriptor.TYPE_RESULT, job.spec.codec().id())
            .flags(sets.flags(set) | SlotSets.shadowOfSet(set) * FLAG_SHADOW_SET)
            .jobId(job.jobId)
            .sessionToken(job.token)
            .slot(SlotSets.slotOfSet(set))
            .round(sets.round(set))
            .sequence(sets.sequence(set))
            .count(sets.elements(set))
            .exponent(sets.exponent(set))
            .nextExponent(sets.nextExponent(set))
            .contributors(sets.contributors(set));
        final int length = HEADER_LENGTH + sets.encodeResult(set, job.jobId, buffer, HEADER_LENGTH);
        if (peer < 0)
        {
            counted(sender.send(buffer, 0, length, job.peers(), job.worldSize()), length, job.worldSize());
        }
        else
        {
            counted(sender.send(buffer, 0, length, peer), length, 1);
        }
    }

    /**
     * PENDING for a set still waiting (or done without this rank): the ranks it holds, and when the aggregator will
     * next say something about it (0: no promise).
     */
    void pending(final Job job, final int set, final int rank, final int peer, final long nextUpdateNs)
    {
        final SlotSets sets = job.sets;
        header(FrameDescriptor.TYPE_PENDING, job.spec.codec().id())
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank)
            .slot(SlotSets.slotOfSet(set))
            .round(sets.round(set))
            .sequence(sets.sequence(set))
            .contributors(micros(nextUpdateNs));
        out.rankBitmap(sets.seen(set));
        counted(sender.send(buffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.PENDING_SENT);
    }

    /**
     * PENDING for a set to every rank that has contributed to it: they are held and should wait, not retransmit
     * (sent when the missing ranks are NACKed), until the next word about it in {@code nextUpdateNs}.
     */
    void pendingToContributors(final Job job, final int set, final long nextUpdateNs)
    {
        final int n = contributorPeers(job, set);
        if (n == 0)
        {
            return;
        }
        final SlotSets sets = job.sets;
        header(FrameDescriptor.TYPE_PENDING, job.spec.codec().id())
            .jobId(job.jobId)
            .sessionToken(job.token)
            .slot(SlotSets.slotOfSet(set))
            .round(sets.round(set))
            .sequence(sets.sequence(set))
            .contributors(micros(nextUpdateNs));
        out.rankBitmap(sets.seen(set));
        counted(sender.send(buffer, 0, out.frameLength(), peers, n), out.frameLength(), n);
        counters.add(CounterDescriptor.PENDING_SENT, n);
    }

    /**
     * NACK: the aggregator lacks a rank's contributions to {@code count} consecutive chunks from {@code sequence};
     * the rank sends them again, not before {@code retryAfterNs} (0: at once).
     */
    void nack(
        final Job job,
        final int sequence,
        final int count,
        final int round,
        final long retryAfterNs,
        final int rank,
        final int peer)
    {
        header(FrameDescriptor.TYPE_NACK, job.spec.codec().id())
            .flags(job.sets.shadowOf(sequence) * FLAG_SHADOW_SET)
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank)
            .slot(job.sets.slotOf(sequence))
            .round(round)
            .sequence(sequence)
            .count(count)
            .contributors(micros(retryAfterNs));
        counted(sender.send(buffer, 0, HEADER_LENGTH, peer), HEADER_LENGTH, 1);
        counters.increment(CounterDescriptor.NACKS_SENT);
    }

    /**
     * Bounded mode: GONE for a given-up set to every rank that contributed to it.
     */
    void goneToContributors(final Job job, final int set)
    {
        final int n = contributorPeers(job, set);
        if (n == 0)
        {
            return;
        }
        final int sequence = job.sets.sequence(set);
        header(FrameDescriptor.TYPE_GONE, job.spec.codec().id())
            .flags(job.sets.shadowOf(sequence) * FLAG_SHADOW_SET)
            .jobId(job.jobId)
            .sessionToken(job.token)
            .slot(job.sets.slotOf(sequence))
            .round(job.sets.round(set))
            .sequence(sequence);
        counted(sender.send(buffer, 0, HEADER_LENGTH, peers, n), HEADER_LENGTH, n);
        counters.add(CounterDescriptor.GONE_SENT, n);
    }

    /**
     * Bounded mode: GONE, the chunk a rank asked about was replaced in its set.
     */
    void gone(final Job job, final int sequence, final int round, final int rank, final int peer)
    {
        header(FrameDescriptor.TYPE_GONE, job.spec.codec().id())
            .flags(job.sets.shadowOf(sequence) * FLAG_SHADOW_SET)
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank)
            .slot(job.sets.slotOf(sequence))
            .round(round)
            .sequence(sequence);
        counted(sender.send(buffer, 0, HEADER_LENGTH, peer), HEADER_LENGTH, 1);
        counters.increment(CounterDescriptor.GONE_SENT);
    }

    /**
     * JOIN_ACK to a rank of a started job: the token, the first sequence and the job's spec, proven with the job's
     * secret if it has one. At most {@link ControlFlyweight#JOIN_LENGTH} + {@link FrameProof#LENGTH} bytes, no
     * more than any JOIN that could have made the rank a member.
     *
     * @return bytes sent, 0 if the transport refused.
     */
    int joinAck(final Job job, final int rank)
    {
        header(FrameDescriptor.TYPE_JOIN_ACK, job.spec.codec().id())
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank);
        out.nonce(job.nonceOf(rank)).firstSequence(0);
        job.spec.writeTo(out);
        return send(job.proof, out.frameLength(), job.peerOf(rank));
    }

    /**
     * PENDING to a JOIN while the job is forming: the ranks that joined so far; not sent if longer than
     * {@code limit}.
     *
     * @return bytes sent; 0 if the transport refused; -1 if it did not fit.
     */
    int joinPending(final Job job, final int rank, final int nonce, final int peer, final int limit)
    {
        header(FrameDescriptor.TYPE_PENDING, FrameDescriptor.CODEC_NONE)
            .jobId(job.jobId)
            .rank(rank)
            .sequence(-1);
        out.nonce(nonce);
        out.rankBitmap(job.joined());
        if (out.frameLength() > limit)
        {
            return -1;
        }
        final int sent = send(null, out.frameLength(), peer);
        counters.increment(CounterDescriptor.PENDING_SENT);
        return sent;
    }

    /**
     * ERROR {@link ControlFlyweight#ERROR_REDIRECT}: the job is served on another engine thread's port. The
     * message is cut to fit {@code limit} bytes.
     *
     * @return bytes sent, 0 if the transport refused.
     */
    int redirect(final int jobId, final int rank, final int nonce, final int port, final int peer, final int limit)
    {
        header(FrameDescriptor.TYPE_ERROR, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .rank(rank);
        out.nonce(nonce).redirectPort(port).errorCode(ControlFlyweight.ERROR_REDIRECT);
        out.message("job " + jobId + " is served on port " + port, limit - HEADER_LENGTH);
        counters.increment(CounterDescriptor.REDIRECTS);
        return send(null, out.frameLength(), peer);
    }

    /**
     * CHALLENGE to a JOIN that proved the job's secret without a valid cookie: a fresh cookie for this sender,
     * proven with the secret ({@link ControlFlyweight#CHALLENGE_LENGTH} bytes).
     *
     * @return bytes sent, 0 if the transport refused.
     */
    int challenge(
        final int jobId, final int rank, final int nonce, final JoinCookies cookies, final FrameProof proof,
        final int peer, final long nowNs)
    {
        header(FrameDescriptor.TYPE_CHALLENGE, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .rank(rank);
        out.nonce(nonce);
        cookies.write(buffer, ControlFlyweight.CHALLENGE_COOKIE_OFFSET, peer, jobId, rank, nonce, nowNs);
        counters.increment(CounterDescriptor.CHALLENGES_SENT);
        return send(proof, ControlFlyweight.CHALLENGE_COOKIE_OFFSET + ControlFlyweight.COOKIE_LENGTH, peer);
    }

    /**
     * ERROR to a JOIN, with a code and a message cut so that the frame (and its proof, if {@code proof} is not
     * null) fits {@code limit} bytes: never more than the JOIN had.
     *
     * @param proof the job's secret's prover when the JOIN proved it, else null.
     * @return bytes sent, 0 if the transport refused.
     */
    int joinError(
        final int jobId,
        final int rank,
        final int nonce,
        final int code,
        final String message,
        final FrameProof proof,
        final int limit,
        final int peer)
    {
        header(FrameDescriptor.TYPE_ERROR, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .rank(rank)
            .round(nonce);
        out.errorCode(code);
        out.message(message, limit - HEADER_LENGTH - (proof == null ? 0 : FrameProof.LENGTH));
        counters.increment(CounterDescriptor.ERRORS_SENT);
        return send(proof, out.frameLength(), peer);
    }

    /**
     * ERROR or ABORT to a member of a job (a job that ends, a rank told its job cannot complete): proven with the
     * job's secret if it has one, the message cut to fit the length of the rank's JOIN.
     *
     * @param token the job's token once started, else 0.
     * @param round the rank's nonce while the job forms, else the round.
     */
    void memberError(
        final Job job, final byte type, final int token, final int rank, final int round, final int code,
        final String message)
    {
        header(type, FrameDescriptor.CODEC_NONE)
            .jobId(job.jobId)
            .sessionToken(token)
            .rank(rank)
            .round(round);
        out.errorCode(code);
        out.message(message,
            job.joinLengthOf(rank) - HEADER_LENGTH - (job.proof == null ? 0 : FrameProof.LENGTH));
        counters.increment(CounterDescriptor.ERRORS_SENT);
        send(job.proof, out.frameLength(), job.peerOf(rank));
    }

    /**
     * ERROR (to a request) or ABORT (a job ended abnormally) with a code and a message that says what to change,
     * to a rank of a started job: as {@link #memberError} when the token is the job's.
     *
     * @param round the nonce for a rank that has not joined a started job, else the round.
     */
    void error(
        final byte type,
        final int jobId,
        final int token,
        final int rank,
        final int round,
        final int code,
        final String message,
        final int peer)
    {
        final Job job = jobs == null ? null : jobs.jobOf(jobId);
        if (job != null && token == job.token && rank < job.worldSize() && job.peerOf(rank) == peer)
        {
            memberError(job, type, token, rank, round, code, message);
            return;
        }
        header(type, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .sessionToken(token)
            .rank(rank)
            .round(round);
        out.errorCode(code);
        out.message(message);
        counters.increment(CounterDescriptor.ERRORS_SENT);
        send(null, out.frameLength(), peer);
    }

    /**
     * Sets where {@link #error} finds the job a frame is about, to prove it and bound its length.
     */
    void jobLookup(final JobLookup lookup)
    {
        this.jobs = lookup;
    }

    /**
     * The jobs by id, as the control plane holds them.
     */
    interface JobLookup
    {
        /**
         * @return the job with this id, or null.
         */
        Job jobOf(int jobId);
    }

    /**
     * Starts a frame: {@link #out} on the sender's claimed memory (sent without a copy) or on our own buffer.
     */
    private ControlFlyweight header(final byte type, final byte codec)
    {
        final MutableDirectBuffer claimed = sender.claim();
        buffer = claimed != null ? claimed : ownBuffer;
        out.wrap(buffer, 0, buffer.capacity());
        out.writeHeader(type, codec);
        return out;
    }

    /**
     * Fills {@link #peers} with the peer ids of the ranks that contributed to a set.
     */
    private int contributorPeers(final Job job, final int set)
    {
        int n = 0;
        for (int r = 0, worldSize = job.worldSize(); r < worldSize; r++)
        {
            if (job.sets.hasContributed(set, r))
            {
                peers[n++] = job.peerOf(r);
            }
        }
        return n;
    }

    private static int micros(final long ns)
    {
        return (int)Math.max(0, Math.min(Integer.MAX_VALUE, (ns + 999) / 1000));
    }

    /**
     * Proves the frame written at offset 0 if {@code proof} is not null, and sends it.
     *
     * @return bytes sent, 0 if the transport refused.
     */
    private int send(final FrameProof proof, final int length, final int peer)
    {
        final int total = proof == null ? length : proof.sign(buffer, 0, length);
        final int result = sender.send(buffer, 0, total, peer);
        counted(result, total, 1);
        return result == FrameSender.OK ? total : 0;
    }

    private void counted(final int result, final int length, final int destinations)
    {
        if (result == FrameSender.OK)
        {
            counters.add(CounterDescriptor.FRAMES_SENT, destinations);
            counters.add(CounterDescriptor.BYTES_SENT, (long)length * destinations);
        }
        else
        {
            counters.increment(CounterDescriptor.SEND_FAILURES);
        }
    }
}
