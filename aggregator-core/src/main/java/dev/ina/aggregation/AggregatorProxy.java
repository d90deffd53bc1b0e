package dev.ina.aggregation;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
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
 * ({@link FrameSender#claim()}) where it lends some, and counts what was sent. Owned by the aggregation engine's
 * thread.
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
     * JOIN_ACK to a rank of a started job: the token, the first sequence and the job's spec.
     */
    void joinAck(final Job job, final int rank)
    {
        header(FrameDescriptor.TYPE_JOIN_ACK, job.spec.codec().id())
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank);
        out.nonce(job.nonceOf(rank)).firstSequence(0);
        job.spec.writeTo(out);
        counted(sender.send(buffer, 0, out.frameLength(), job.peerOf(rank)), out.frameLength(), 1);
    }

    /**
     * PENDING to a JOIN while the job is forming: the ranks that joined so far.
     */
    void joinPending(final Job job, final int rank, final int nonce, final int peer)
    {
        header(FrameDescriptor.TYPE_PENDING, FrameDescriptor.CODEC_NONE)
            .jobId(job.jobId)
            .rank(rank)
            .sequence(-1);
        out.nonce(nonce);
        out.rankBitmap(job.joined());
        counted(sender.send(buffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.PENDING_SENT);
    }

    /**
     * ERROR {@link ControlFlyweight#ERROR_REDIRECT}: the job is served on another engine thread's port.
     */
    void redirect(final int jobId, final int rank, final int nonce, final int port, final int peer)
    {
        header(FrameDescriptor.TYPE_ERROR, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .rank(rank);
        out.nonce(nonce).redirectPort(port).errorCode(ControlFlyweight.ERROR_REDIRECT);
        out.message("job " + jobId + " is served on port " + port);
        counted(sender.send(buffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.REDIRECTS);
    }

    /**
     * ERROR (to a request) or ABORT (a job ended abnormally) with a code and a message that says what to change.
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
        header(type, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .sessionToken(token)
            .rank(rank)
            .round(round);
        out.errorCode(code);
        out.message(message);
        counted(sender.send(buffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.ERRORS_SENT);
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
