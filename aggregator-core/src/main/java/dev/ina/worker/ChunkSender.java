package dev.ina.worker;

import dev.ina.api.Codec;
import dev.ina.codec.FixedPoint;
import dev.ina.codec.ValueCodec;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.MutableDirectBuffer;

import static dev.ina.protocol.FrameDescriptor.FLAG_LAST;
import static dev.ina.protocol.FrameDescriptor.FLAG_RETRANSMIT;

/**
 * Writes a call's chunks: each CONTRIB quantised with its agreed exponent, carrying this rank's exponent proposal
 * for the chunk a window ahead, with error feedback (the residual of the last call added once before the
 * proposal, the new quantisation error kept); and the header-only queries about a chunk. Single-threaded;
 * allocates nothing unless a value cannot be carried.
 */
final class ChunkSender
{
    private final int jobId;
    private final int rank;
    private final Codec codec;
    private final boolean scaled;
    private final ValueCodec values;
    private final ChunkPlan plan;
    private final ChunkWindow window;
    private final ExponentAgreement exponents;
    private final GradientView gradient;
    private final WorkerProxy proxy;
    private final Counters counters;
    private int token;
    private int round;
    private float[] residual;
    private String invalidInput;

    ChunkSender(
        final int jobId,
        final int rank,
        final Codec codec,
        final ValueCodec values,
        final ChunkPlan plan,
        final ChunkWindow window,
        final ExponentAgreement exponents,
        final GradientView gradient,
        final WorkerProxy proxy,
        final Counters counters)
    {
        this.jobId = jobId;
        this.rank = rank;
        this.codec = codec;
        this.scaled = codec.isScaled();
        this.values = values;
        this.plan = plan;
        this.window = window;
        this.exponents = exponents;
        this.gradient = gradient;
        this.proxy = proxy;
        this.counters = counters;
    }

    /**
     * A call starts: the session token, its round and its error feedback state (null for none).
     */
    void onCallStart(final int token, final int round, final float[] residual)
    {
        this.token = token;
        this.round = round;
        this.residual = scaled ? residual : null;
        this.invalidInput = null;
    }

    /**
     * The call ended: let go of the residual.
     */
    void onCallEnd()
    {
        residual = null;
    }

    /**
     * Why the last {@link #send} failed: a value the codec cannot carry.
     */
    String invalidInput()
    {
        return invalidInput;
    }

    /**
     * Sends a chunk's payload again (the aggregator lacks it).
     *
     * @return false if the call failed while preparing it.
     */
    boolean resend(final int sequence, final long nowNs)
    {
        window.resent(sequence, nowNs);
        counters.increment(CounterDescriptor.RETRANSMITS);
        return send(sequence, true);
    }

    /**
     * Asks the aggregator about a chunk with a header-only RESEND: it answers with the result, PENDING (the ranks
     * it holds) or a NACK (it lacks this rank's contribution).
     */
    void query(final int sequence, final long nowNs)
    {
        window.resent(sequence, nowNs);
        counters.increment(CounterDescriptor.QUERIES);
        proxy.resend(token, round, sequence);
    }

    /**
     * Sends a chunk's CONTRIB.
     *
     * @return false if the call failed while preparing it (a value the codec cannot carry, see
     *         {@link #invalidInput()}).
     */
    boolean send(final int sequence, final boolean retransmit)
    {
        final boolean data = plan.isData(sequence);
        final int chunk = plan.dataChunk(sequence);
        final int count = data ? plan.count(chunk) : 0;
        final int exponent = data && scaled ? exponents.agreed(sequence) : 0;
        final int proposalChunk = plan.proposalChunk(sequence);
        int proposal = FrameDescriptor.EXPONENT_ZERO;
        if (scaled && proposalChunk < plan.dataChunks())
        {
            final int first = plan.firstElement(proposalChunk);
            final int proposalCount = plan.count(proposalChunk);
            if (residual != null && !retransmit)
            {
                // Error feedback: the chunk's values become gradient plus residual, in place and once, before this
                // rank proposes their exponent. Retransmissions re-read the same values.
                gradient.addResidual(residual, first, proposalCount);
            }
            proposal = gradient.exponentOf(values, first, proposalCount);
            if (proposal == FixedPoint.NON_FINITE)
            {
                invalidInput = "allReduce round " + round + ": a value in elements [" + first + ", " +
                    (first + proposalCount) + ") is NaN or infinite, which " + codec +
                    " cannot carry; use FP32 or fix the gradient";
                return false;
            }
            exponents.propose(sequence + plan.headerChunks(), proposal);
        }
        final int flags = (plan.isLast(sequence) ? FLAG_LAST : 0) | (retransmit ? FLAG_RETRANSMIT : 0);
        final MutableDirectBuffer frame = proxy.contribution(token, round, sequence, flags, count, exponent, proposal);
        int payloadLength = 0;
        if (count > 0)
        {
            final int first = plan.firstElement(chunk);
            final int noiseKey = ValueCodec.noiseKey(jobId, rank, sequence);
            payloadLength =
                gradient.encode(values, first, count, exponent, noiseKey, frame, WorkerProxy.payloadOffset());
            if (residual != null && !retransmit)
            {
                gradient.quantisationError(values, first, count, exponent, residual);
            }
        }
        proxy.sendContribution(payloadLength);
        return true;
    }
}
