package dev.ina.worker;

/**
 * How many chunks a worker may have in flight, as Aeron's {@code CongestionControl} decides a publication's
 * window: a policy the worker's stream consults, kept apart so that it can be read, tested and replaced alone.
 * Sequences compare wrap-around safe. Single-threaded.
 */
interface CongestionControl
{
    /**
     * Chunks allowed in flight now, 1 to the job's window.
     *
     * @return the window in use.
     */
    int window();

    /**
     * A call starts at {@code base}: loss episodes of earlier calls are over.
     *
     * @param base first sequence of the call.
     */
    void onCallStart(int base);

    /**
     * The oldest chunk in flight completed (its result or a local fill arrived, in order).
     */
    void onChunkCompleted();

    /**
     * A chunk is taken as lost (a timeout or a fast retransmit).
     *
     * @param sequence the lost chunk.
     * @param next     the next sequence to be sent: chunks below it were in flight when the loss was seen.
     * @return true if this starts a new loss episode, false if the episode that covers {@code sequence} already
     *         reacted.
     */
    boolean onLoss(int sequence, int next);

    /**
     * The last loss episode was spurious: the aggregator holds this rank's chunk and waits for a slower rank.
     */
    void onSpuriousLoss();
}
