package dev.ina.worker;

/**
 * The chunks a worker has in flight: sequences {@code [lowest, next)}, at most {@code window} of them, each with
 * when it was first and last sent, how often it was retransmitted, whether its result (or a local fill) is in,
 * and what the aggregator said about it. Results may arrive out of order; {@link #slide} moves {@code lowest}
 * past those that are in. Sequences compare wrap-around safe. Single-threaded.
 */
final class ChunkWindow
{
    private final int mask;
    private final long[] sentNs;
    private final long[] firstSentNs;
    private final int[] retries;
    private final boolean[] received;
    private final boolean[] held;
    private final boolean[] fastRetransmitted;
    private int lowest;
    private int next;
    private int receivedAhead;

    ChunkWindow(final int window)
    {
        mask = window - 1;
        sentNs = new long[window];
        firstSentNs = new long[window];
        retries = new int[window];
        received = new boolean[window];
        held = new boolean[window];
        fastRetransmitted = new boolean[window];
    }

    /**
     * A call starts at {@code base}: nothing in flight.
     */
    void reset(final int base)
    {
        lowest = base;
        next = base;
        receivedAhead = 0;
    }

    int lowest()
    {
        return lowest;
    }

    int next()
    {
        return next;
    }

    int inFlight()
    {
        return next - lowest;
    }

    /**
     * Whether a sequence is in flight.
     */
    boolean contains(final int sequence)
    {
        return sequence - lowest >= 0 && sequence - next < 0;
    }

    /**
     * Results in beyond the oldest chunk in flight.
     */
    int receivedAhead()
    {
        return receivedAhead;
    }

    /**
     * Takes the next sequence into flight, sent now.
     *
     * @return the sequence.
     */
    int open(final long nowNs)
    {
        final int sequence = next++;
        final int w = sequence & mask;
        sentNs[w] = nowNs;
        firstSentNs[w] = nowNs;
        retries[w] = 0;
        received[w] = false;
        held[w] = false;
        fastRetransmitted[w] = false;
        return sequence;
    }

    boolean isReceived(final int sequence)
    {
        return received[sequence & mask];
    }

    /**
     * The chunk's result is in (or it was filled locally).
     */
    void markReceived(final int sequence)
    {
        received[sequence & mask] = true;
        receivedAhead++;
    }

    /**
     * Moves {@code lowest} past every chunk whose result is in.
     *
     * @return chunks that left the window.
     */
    int slide()
    {
        int slid = 0;
        while (lowest - next < 0 && received[lowest & mask])
        {
            received[lowest & mask] = false;
            receivedAhead--;
            lowest++;
            slid++;
        }
        return slid;
    }

    long sentNs(final int sequence)
    {
        return sentNs[sequence & mask];
    }

    long firstSentNs(final int sequence)
    {
        return firstSentNs[sequence & mask];
    }

    int retries(final int sequence)
    {
        return retries[sequence & mask];
    }

    /**
     * A retransmission of the chunk leaves now.
     */
    void retransmitted(final int sequence, final long nowNs)
    {
        retries[sequence & mask]++;
        sentNs[sequence & mask] = nowNs;
    }

    /**
     * Whether the aggregator said (PENDING) that it holds this rank's contribution to the chunk.
     */
    boolean isHeld(final int sequence)
    {
        return held[sequence & mask];
    }

    void held(final int sequence, final boolean held)
    {
        this.held[sequence & mask] = held;
    }

    boolean isFastRetransmitted(final int sequence)
    {
        return fastRetransmitted[sequence & mask];
    }

    void fastRetransmitted(final int sequence)
    {
        fastRetransmitted[sequence & mask] = true;
    }
}
