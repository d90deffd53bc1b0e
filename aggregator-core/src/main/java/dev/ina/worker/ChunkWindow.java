package dev.ina.worker;

/**
 * The chunks a worker has in flight: sequences {@code [lowest, next)}, at most {@code window} of them, each with
 * when it was first and last sent, how often it was sent again, whether its result (or a local fill) is in, and
 * what the aggregator last said about it (it holds this rank's contribution, or lacks it, and when). Results may
 * arrive out of order; {@link #slide} moves {@code lowest} past those that are in. Sequences compare wrap-around
 * safe. Single-threaded.
 */
final class ChunkWindow
{
    /** Nothing heard about this rank's contribution. */
    static final byte UNKNOWN = 0;
    /** The aggregator holds this rank's contribution (PENDING with its bit). */
    static final byte HELD = 1;
    /** The aggregator lacks this rank's contribution (NACK, or PENDING without its bit). */
    static final byte MISSING = 2;

    private final int mask;
    private final long[] sentNs;
    private final long[] firstSentNs;
    private final int[] retries;
    private final boolean[] received;
    private final byte[] state;
    private final long[] heardNs;
    private final long[] notBeforeNs;
    private final boolean[] queried;
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
        state = new byte[window];
        heardNs = new long[window];
        notBeforeNs = new long[window];
        queried = new boolean[window];
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
        state[w] = UNKNOWN;
        heardNs[w] = nowNs;
        notBeforeNs[w] = nowNs;
        queried[w] = false;
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
     * The chunk was sent again (payload or query) now.
     */
    void resent(final int sequence, final long nowNs)
    {
        retries[sequence & mask]++;
        sentNs[sequence & mask] = nowNs;
        queried[sequence & mask] = false;
    }

    /**
     * What the aggregator last said about this rank's contribution: {@link #UNKNOWN}, {@link #HELD} or
     * {@link #MISSING}.
     */
    byte state(final int sequence)
    {
        return state[sequence & mask];
    }

    /**
     * The aggregator said something about the chunk now.
     */
    void heard(final int sequence, final byte state, final long nowNs)
    {
        this.state[sequence & mask] = state;
        heardNs[sequence & mask] = nowNs;
    }

    /**
     * When the aggregator last said something about the chunk (or when it was first sent).
     */
    long heardNs(final int sequence)
    {
        return heardNs[sequence & mask];
    }

    /**
     * The chunk must not be sent again before this time (the aggregator's set is still busy).
     */
    long notBeforeNs(final int sequence)
    {
        return notBeforeNs[sequence & mask];
    }

    void notBefore(final int sequence, final long timeNs)
    {
        notBeforeNs[sequence & mask] = timeNs;
    }

    /**
     * Whether a query for the chunk went out since it was last sent, because later results arrived first.
     */
    boolean isQueried(final int sequence)
    {
        return queried[sequence & mask];
    }

    void queried(final int sequence)
    {
        queried[sequence & mask] = true;
    }
}
