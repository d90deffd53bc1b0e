package dev.ina.worker;

/**
 * Decides which chunks a worker sends again, and when: after the {@link RetransmitTimer}'s timeout, or at once
 * when {@value #FAST_RETRANSMIT_THRESHOLD} later results are in (TCP's fast retransmit). A loss episode is
 * reported to the {@link CongestionControl} and backs the timeout off; a PENDING that shows the aggregator holds
 * this rank's contribution undoes both (the timeout was a slow peer, not loss), and makes later retries ask for
 * the result without the payload. In bounded mode it also picks the chunks to give up: no result
 * {@link RetransmitTimer#giveUpAtNs} after the first send, and not held by the aggregator. Single-threaded.
 */
final class LossRecovery
{
    private static final int FAST_RETRANSMIT_THRESHOLD = 3;

    private final ChunkWindow window;
    private final RetransmitTimer timer;
    private final RttEstimator rtt;
    private final CongestionControl congestion;
    private final ChunkSender sender;
    private final boolean bounded;
    private final int[] givenUp;
    private int givenUpCount;
    private long nextCheckNs;

    LossRecovery(
        final ChunkWindow window,
        final RetransmitTimer timer,
        final CongestionControl congestion,
        final ChunkSender sender,
        final boolean bounded,
        final int maxWindow)
    {
        this.window = window;
        this.timer = timer;
        this.rtt = timer.rtt();
        this.congestion = congestion;
        this.sender = sender;
        this.bounded = bounded;
        this.givenUp = new int[maxWindow];
    }

    /**
     * A call starts at {@code base}.
     */
    void onCallStart(final int base, final long nowNs)
    {
        congestion.onCallStart(base);
        nextCheckNs = nowNs + timer.firstTimeoutNs();
    }

    /**
     * Chunks were sent for the first time: check them by their first timeout.
     */
    void onSent(final long nowNs)
    {
        nextCheckNs = Math.min(nextCheckNs, nowNs + timer.firstTimeoutNs());
    }

    /**
     * A chunk's result arrived: a round-trip sample unless it was retransmitted (Karn).
     */
    void onResult(final int sequence, final long nowNs)
    {
        if (window.retries(sequence) == 0)
        {
            rtt.sample(nowNs - window.sentNs(sequence));
        }
    }

    /**
     * A PENDING for a chunk: whether the aggregator holds this rank's contribution to it.
     */
    void onPending(final int sequence, final boolean held)
    {
        if (window.contains(sequence))
        {
            window.held(sequence, held);
        }
        if (held)
        {
            // The timeout was another rank being slow, not loss: undo the window and timeout back-off (spurious
            // timeout, as in TCP's Eifel detection).
            congestion.onSpuriousLoss();
            rtt.undoBackOff();
        }
    }

    /**
     * The window slid (or results arrived out of order): retransmit the oldest chunk at once if later ones are in,
     * once per transmission.
     *
     * @return false if the call failed while preparing the chunk.
     */
    boolean afterProgress(final long nowNs)
    {
        final int sequence = window.lowest();
        if (window.receivedAhead() >= FAST_RETRANSMIT_THRESHOLD && !window.isReceived(sequence) &&
            !window.isFastRetransmitted(sequence))
        {
            window.fastRetransmitted(sequence);
            congestion.onLoss(sequence, window.next());
            return sender.retransmit(sequence, nowNs);
        }
        return true;
    }

    /**
     * Retransmits the chunks whose timeout passed and, in bounded mode, collects the chunks to give up
     * ({@link #givenUpCount()}, {@link #givenUp(int)}).
     *
     * @return chunks retransmitted, or -1 if the call failed while preparing one.
     */
    int checkTimeouts(final long nowNs)
    {
        givenUpCount = 0;
        if (nowNs - nextCheckNs < 0)
        {
            return 0;
        }
        int work = 0;
        long earliestNs = nowNs + timer.maxTimeoutNs();
        for (int sequence = window.lowest(); sequence - window.next() < 0; sequence++)
        {
            if (window.isReceived(sequence))
            {
                continue;
            }
            if (bounded)
            {
                // Give up only on a chunk the aggregator does not hold: if a PENDING said it holds this rank's
                // values, the chunk finishes at its deadline once the quorum is in (or GONE arrives), and waiting
                // for that keeps a rank that runs ahead in step with the others instead of filling every chunk.
                final long giveUpNs = timer.giveUpAtNs(window.firstSentNs(sequence));
                if (window.retries(sequence) > 0 && !window.isHeld(sequence) && nowNs - giveUpNs >= 0)
                {
                    givenUp[givenUpCount++] = sequence;
                    continue;
                }
                earliestNs = Math.min(earliestNs, giveUpNs);
            }
            final long dueNs = window.sentNs(sequence) + timer.timeoutNs(window.retries(sequence));
            if (nowNs - dueNs >= 0)
            {
                // One loss event per window of data (as TCP's recovery): react once, then not again for chunks that
                // were already in flight.
                if (congestion.onLoss(sequence, window.next()))
                {
                    rtt.backOff();
                }
                if (!sender.retransmit(sequence, nowNs))
                {
                    return -1;
                }
                work++;
                earliestNs = Math.min(earliestNs, nowNs + timer.timeoutNs(window.retries(sequence)));
            }
            else
            {
                earliestNs = Math.min(earliestNs, dueNs);
            }
        }
        nextCheckNs = earliestNs;
        return work;
    }

    /**
     * Chunks the last {@link #checkTimeouts} gave up.
     */
    int givenUpCount()
    {
        return givenUpCount;
    }

    int givenUp(final int index)
    {
        return givenUp[index];
    }
}
