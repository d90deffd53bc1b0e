package dev.ina.worker;

import dev.ina.api.ReduceStats;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.protocol.JobSpec;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.FrameSender;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

import static dev.ina.protocol.FrameDescriptor.FLAG_RETRANSMIT;
import static dev.ina.protocol.FrameDescriptor.FLAG_SHADOW_SET;
import static dev.ina.protocol.FrameDescriptor.HEADER_LENGTH;

/**
 * Writes every frame a worker sends, one method per message, in place into the transport's memory
 * ({@link FrameSender#claim()}) where it lends some, and counts what was sent (chunk traffic also in the call's
 * {@link ReduceStats}). A CONTRIB is written in two steps: {@link #contribution} writes its header and returns the
 * buffer for the payload, {@link #sendContribution} sends it. JOINs are padded to
 * {@link ControlFlyweight#PADDED_JOIN_LENGTH}, so that the aggregator's replies fit; with a job secret, JOIN, LEAVE
 * and withdraw carry a {@link FrameProof}. Single-threaded.
 */
final class WorkerProxy
{
    private final FrameSender sender;
    private final Counters counters;
    private final ReduceStats stats;
    private final int jobId;
    private final int rank;
    private final byte codec;
    private final int window;
    private final int windowShift;
    private final FrameProof proof;
    private final ControlFlyweight out = new ControlFlyweight();
    private final UnsafeBuffer ownBuffer =
        new UnsafeBuffer(ByteBuffer.allocateDirect(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH));
    /** The frame being written: the sender's claimed memory (sent without a copy) or {@link #ownBuffer}. */
    private MutableDirectBuffer buffer = ownBuffer;
    private boolean retransmit;

    /**
     * @param proof the job secret's prover, or null for a job without a secret.
     */
    WorkerProxy(
        final FrameSender sender, final Counters counters, final ReduceStats stats, final int jobId, final int rank,
        final JobSpec spec, final FrameProof proof)
    {
        this.proof = proof;
        this.sender = sender;
        this.counters = counters;
        this.stats = stats;
        this.jobId = jobId;
        this.rank = rank;
        this.codec = spec.codec().id();
        this.window = spec.window();
        this.windowShift = spec.windowShift();
    }

    /**
     * JOIN: asks to join the job with this process's nonce and the job's spec, padded to
     * {@link ControlFlyweight#PADDED_JOIN_LENGTH}; with a secret, it carries the cookie of the last CHALLENGE and a
     * proof.
     *
     * @param cookie {@link ControlFlyweight#COOKIE_LENGTH} bytes at offset 0, all zero before a CHALLENGE.
     */
    void join(final JobSpec spec, final int nonce, final DirectBuffer cookie)
    {
        header(FrameDescriptor.TYPE_JOIN, codec, 0).nonce(nonce);
        spec.writeTo(out);
        final int end = ControlFlyweight.PADDED_JOIN_LENGTH - (proof == null ? 0 : FrameProof.LENGTH);
        buffer.setMemory(ControlFlyweight.COOKIE_OFFSET, end - ControlFlyweight.COOKIE_OFFSET, (byte)0);
        if (proof != null)
        {
            buffer.putBytes(ControlFlyweight.COOKIE_OFFSET, cookie, 0, ControlFlyweight.COOKIE_LENGTH);
        }
        send(proven(end));
    }

    /**
     * LEAVE of a joined rank: the job ends once every rank left.
     */
    void leave(final int token, final int round)
    {
        header(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE, 0).sessionToken(token).round(round);
        send(proven(HEADER_LENGTH));
    }

    /**
     * LEAVE without a token: withdraws the JOIN of this nonce from a job still forming.
     */
    void withdraw(final int nonce)
    {
        header(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE, 0).nonce(nonce);
        send(proven(HEADER_LENGTH));
    }

    /**
     * Appends the proof to the control frame written at offset 0, if the job has a secret.
     *
     * @return the frame's length.
     */
    private int proven(final int length)
    {
        return proof == null ? length : proof.sign(buffer, 0, length);
    }

    /**
     * Writes a CONTRIB header; the caller writes the payload at {@link #payloadOffset()} of the returned buffer,
     * then calls {@link #sendContribution}.
     *
     * @return the buffer the frame is written in.
     */
    MutableDirectBuffer contribution(
        final int token,
        final int round,
        final int sequence,
        final int flags,
        final int count,
        final int exponent,
        final int proposal)
    {
        retransmit = (flags & FLAG_RETRANSMIT) != 0;
        chunkHeader(FrameDescriptor.TYPE_CONTRIB, token, round, sequence, flags)
            .count(count)
            .exponent(exponent)
            .nextExponent(proposal);
        return buffer;
    }

    /**
     * Offset of a CONTRIB's payload in the buffer {@link #contribution} returned.
     */
    static int payloadOffset()
    {
        return HEADER_LENGTH;
    }

    /**
     * Sends the CONTRIB written by {@link #contribution}.
     *
     * @param payloadLength bytes of payload written.
     */
    void sendContribution(final int payloadLength)
    {
        final int length = HEADER_LENGTH + payloadLength;
        send(length);
        stats.onSent(length, retransmit);
    }

    /**
     * Bounded mode, GONE to the aggregator: this rank gave the chunk up and will not contribute to it.
     */
    void giveUp(final int token, final int round, final int sequence)
    {
        chunkHeader(FrameDescriptor.TYPE_GONE, token, round, sequence, 0);
        send(HEADER_LENGTH);
    }

    /**
     * RESEND, a header-only query: the aggregator answers with the chunk's result, PENDING (the ranks it holds) or
     * a NACK (it lacks this rank's contribution).
     */
    void resend(final int token, final int round, final int sequence)
    {
        chunkHeader(FrameDescriptor.TYPE_RESEND, token, round, sequence, FLAG_RETRANSMIT);
        send(HEADER_LENGTH);
        stats.onQuery(HEADER_LENGTH);
    }

    /**
     * Header of a frame about one chunk: its slot and shadow set, the call's round and the session token.
     */
    private ControlFlyweight chunkHeader(
        final byte type, final int token, final int round, final int sequence, final int flags)
    {
        header(type, codec, FrameDescriptor.shadowSetOf(sequence, windowShift) * FLAG_SHADOW_SET | flags)
            .sessionToken(token)
            .slot(sequence & (window - 1))
            .round(round)
            .sequence(sequence);
        return out;
    }

    private ControlFlyweight header(final byte type, final byte codecId, final int flags)
    {
        final MutableDirectBuffer claimed = sender.claim();
        buffer = claimed != null ? claimed : ownBuffer;
        out.wrap(buffer, 0, buffer.capacity());
        out.writeHeader(type, codecId);
        out.flags(flags).jobId(jobId).rank(rank);
        return out;
    }

    private void send(final int length)
    {
        if (sender.send(buffer, 0, length, WorkerSession.AGGREGATOR_PEER) == FrameSender.OK)
        {
            counters.increment(CounterDescriptor.FRAMES_SENT);
            counters.add(CounterDescriptor.BYTES_SENT, length);
        }
        else
        {
            counters.increment(CounterDescriptor.SEND_FAILURES);
        }
    }
}
