package dev.ina.api;

/**
 * Statistics of one all-reduce call.
 * <p>
 * The blocking {@code allReduce} returns the collective's own instance, overwritten by the next call; use
 * {@link #copy()} to keep one. Written by the engine's thread before the call completes, read after.
 */
public final class ReduceStats
{
    private int round;
    private Codec codec;
    private long elements;
    private int chunks;
    private long packetsSent;
    private long retransmits;
    private long queries;
    private long bytesUp;
    private long bytesDown;
    private long elementsExact;
    private long elementsPartial;
    private long elementsFilledLocally;
    private long pendingReplies;
    private int minContributors;
    private long durationNs;

    /**
     * Clears the statistics at the start of a call. For the engine.
     *
     * @param round    call number.
     * @param codec    codec of the job.
     * @param elements elements reduced.
     * @param chunks   packets each way, including exponent-agreement chunks.
     */
    public void reset(final int round, final Codec codec, final long elements, final int chunks)
    {
        this.round = round;
        this.codec = codec;
        this.elements = elements;
        this.chunks = chunks;
        packetsSent = 0;
        retransmits = 0;
        queries = 0;
        bytesUp = 0;
        bytesDown = 0;
        elementsExact = 0;
        elementsPartial = 0;
        elementsFilledLocally = 0;
        pendingReplies = 0;
        minContributors = Integer.MAX_VALUE;
        durationNs = 0;
    }

    /**
     * Records a packet sent. For the engine.
     *
     * @param bytes      datagram length.
     * @param retransmit whether it was a retransmission.
     */
    public void onSent(final int bytes, final boolean retransmit)
    {
        packetsSent++;
        bytesUp += bytes;
        if (retransmit)
        {
            retransmits++;
        }
    }

    /**
     * Records a header-only query (RESEND) sent: is the chunk held, is its result ready? For the engine.
     *
     * @param bytes datagram length.
     */
    public void onQuery(final int bytes)
    {
        packetsSent++;
        bytesUp += bytes;
        queries++;
    }

    /**
     * Records a result received. For the engine.
     *
     * @param bytes        datagram length.
     * @param contributors ranks the sum holds.
     * @param elements     elements of the chunk (0 for an exponent-agreement chunk).
     * @param worldSize    ranks in the job.
     */
    public void onResult(final int bytes, final int contributors, final int elements, final int worldSize)
    {
        bytesDown += bytes;
        minContributors = Math.min(minContributors, contributors);
        if (contributors >= worldSize)
        {
            elementsExact += elements;
        }
        else
        {
            elementsPartial += elements;
        }
    }

    /**
     * Records a chunk filled from this rank's own values because no result came. For the engine.
     *
     * @param elements elements of the chunk.
     */
    public void onFilledLocally(final int elements)
    {
        elementsFilledLocally += elements;
        minContributors = Math.min(minContributors, 1);
    }

    /**
     * Records a PENDING reply. For the engine.
     */
    public void onPending()
    {
        pendingReplies++;
    }

    /**
     * Records the call's duration. For the engine.
     *
     * @param durationNs from start to last result.
     */
    public void complete(final long durationNs)
    {
        this.durationNs = durationNs;
        if (minContributors == Integer.MAX_VALUE)
        {
            minContributors = 0;
        }
    }

    /**
     * Call number, from 1.
     *
     * @return round.
     */
    public int round()
    {
        return round;
    }

    /**
     * Codec used.
     *
     * @return codec.
     */
    public Codec codec()
    {
        return codec;
    }

    /**
     * Elements reduced.
     *
     * @return count.
     */
    public long elements()
    {
        return elements;
    }

    /**
     * Chunks (packets each way without retransmissions), including exponent-agreement chunks.
     *
     * @return count.
     */
    public int chunks()
    {
        return chunks;
    }

    /**
     * Datagrams sent, retransmissions included.
     *
     * @return count.
     */
    public long packetsSent()
    {
        return packetsSent;
    }

    /**
     * Chunks sent again with their payload: the aggregator said it lacks them (NACK, or PENDING without this rank),
     * or it went silent.
     *
     * @return count.
     */
    public long retransmits()
    {
        return retransmits;
    }

    /**
     * Header-only queries sent (RESEND: is the chunk held, is its result ready?), after a timeout or when later
     * results arrived first; cheap, and answered by the result, PENDING or a NACK.
     *
     * @return count.
     */
    public long queries()
    {
        return queries;
    }

    /**
     * Bytes sent to the aggregator (UDP payload, headers and retransmissions included).
     *
     * @return bytes.
     */
    public long bytesUp()
    {
        return bytesUp;
    }

    /**
     * Bytes of results received from the aggregator (UDP payload, headers included).
     *
     * @return bytes.
     */
    public long bytesDown()
    {
        return bytesDown;
    }

    /**
     * Elements whose result holds every rank's contribution.
     *
     * @return elements.
     */
    public long elementsExact()
    {
        return elementsExact;
    }

    /**
     * Bounded mode: elements whose result holds fewer ranks than the world size (rescaled: SUM extrapolated to the
     * world size, AVG over the contributors).
     *
     * @return elements.
     */
    public long elementsPartial()
    {
        return elementsPartial;
    }

    /**
     * Bounded mode: elements for which no result came after the retries; they hold this rank's own value (SUM:
     * times the world size).
     *
     * @return elements.
     */
    public long elementsFilledLocally()
    {
        return elementsFilledLocally;
    }

    /**
     * PENDING replies: retransmissions that found their chunk still waiting for other ranks.
     *
     * @return count.
     */
    public long pendingReplies()
    {
        return pendingReplies;
    }

    /**
     * Fewest contributors of any chunk; equal to the world size when the sum is complete.
     *
     * @return ranks.
     */
    public int minContributors()
    {
        return minContributors;
    }

    /**
     * Whether every chunk holds every rank's contribution.
     *
     * @param worldSize ranks in the job.
     * @return true if the result is exact for its codec.
     */
    public boolean isComplete(final int worldSize)
    {
        return minContributors >= worldSize || elements == 0;
    }

    /**
     * Time from the call's start to its last result.
     *
     * @return nanoseconds.
     */
    public long durationNs()
    {
        return durationNs;
    }

    /**
     * A copy that later calls do not overwrite.
     *
     * @return a new instance.
     */
    public ReduceStats copy()
    {
        final ReduceStats c = new ReduceStats();
        c.round = round;
        c.codec = codec;
        c.elements = elements;
        c.chunks = chunks;
        c.packetsSent = packetsSent;
        c.retransmits = retransmits;
        c.queries = queries;
        c.bytesUp = bytesUp;
        c.bytesDown = bytesDown;
        c.elementsExact = elementsExact;
        c.elementsPartial = elementsPartial;
        c.elementsFilledLocally = elementsFilledLocally;
        c.pendingReplies = pendingReplies;
        c.minContributors = minContributors;
        c.durationNs = durationNs;
        return c;
    }

    @Override
    public String toString()
    {
        return "ReduceStats{round=" + round + ", codec=" + codec + ", elements=" + elements + ", chunks=" + chunks +
            ", packetsSent=" + packetsSent + ", retransmits=" + retransmits + ", queries=" + queries +
            ", bytesUp=" + bytesUp + ", bytesDown=" + bytesDown + ", elementsExact=" + elementsExact +
            ", elementsPartial=" + elementsPartial + ", elementsFilledLocally=" + elementsFilledLocally +
            ", pendingReplies=" + pendingReplies + ", minContributors=" + minContributors +
            ", durationUs=" + durationNs / 1000 + '}';
    }
}
