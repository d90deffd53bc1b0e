package dev.ina.worker;

import java.util.concurrent.TimeUnit;

/**
 * Decides which chunks a worker sends again, and how: loss is repaired when the aggregator says so, and a slow
 * peer is waited for, not retransmitted to.
 * <ul>
 *     <li>A NACK (the aggregator saw this rank's later chunk, or waited past the others, without this one) or a
 *     PENDING without this rank's bit: the payload goes again at once (at most once per half of the smallest round
 *     trip, so a duplicated NACK does not send it twice).</li>
 *     <li>A PENDING with this rank's bit: the chunk is held; it waits for its result, and does not ask before the
 *     aggregator's next word about it, which the PENDING announces.</li>
 *     <li>The oldest chunk in flight with no word about it for the {@link RetransmitTimer}'s timeout (counted from
 *     when it became the oldest), or with later results in first ({@value #FAST_QUERY_THRESHOLD}, for twice the
 *     smallest round trip, as TCP's RACK, unless the aggregator said it holds it): a header-only query (RESEND),
 *     which the result, a PENDING or a NACK answers. Only the oldest chunk is timed, as TCP times the oldest
 *     unacknowledged segment: the aggregator NACKs the contributions it lacks. A chunk the aggregator deferred (a
 *     NACK with a retry time) goes again at that time.</li>
 * </ul>
 * Random loss does not shrink the window: the {@link CongestionControl} hears of a loss episode only when losses
 * come in runs (consecutive chunks, as a full queue drops them) or the aggregator went silent. A timeout backs off
 * only while nothing is heard. In bounded mode it also picks the chunks to give up: nothing heard about them for
 * the deadline plus {@value RetransmitTimer#GIVE_UP_RTOS} timeouts after a query. Single-threaded.
 */
final class LossRecovery
{
    private static final int FAST_QUERY_THRESHOLD = 3;
    private static final long MIN_RESEND_INTERVAL_NS = TimeUnit.MICROSECONDS.toNanos(50);
    /** A held chunk waits for the aggregator's promised word at most this many timeouts before asking. */
    private static final int MAX_PROMISE_RTOS = 64;

    private final ChunkWindow window;
    private final RetransmitTimer timer;
    private final RttEstimator rtt;
    private final CongestionControl congestion;
    private final ChunkSender sender;
    private final StallReport stall;
    private final boolean bounded;
    private final int[] givenUp;
    private int givenUpCount;
    private long nextCheckNs;
    private int lowestSeen;
    private long lowestSinceNs;
    private boolean aheadSeen;
    private long aheadSinceNs;
    private int lastLost;
    private boolean anyLost;
    private long nackDelayHintNs;
    private boolean backedOff;
    private long backedOffNs;

    LossRecovery(
        final ChunkWindow window,
        final RetransmitTimer timer,
        final CongestionControl congestion,
        final ChunkSender sender,
        final StallReport stall,
        final boolean bounded,
        final int maxWindow)
    {
        this.window = window;
        this.timer = timer;
        this.rtt = timer.rtt();
        this.congestion = congestion;
        this.sender = sender;
        this.stall = stall;
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
        lowestSeen = base;
        lowestSinceNs = nowNs;
        aheadSeen = false;
        anyLost = false;
    }

    /**
     * Chunks were sent for the first time: check them by their first timeout.
     */
    void onSent(final long nowNs)
    {
        nextCheckNs = Math.min(nextCheckNs, nowNs + timer.firstTimeoutNs());
    }

    /**
     * A chunk's result arrived: a round-trip sample unless it was sent more than once (Karn), or was in flight when
     * a silent timeout backed off (it waited out the silence: no measure of the round trip).
     */
    void onResult(final int sequence, final long nowNs)
    {
        if (window.retries(sequence) == 0 && (!backedOff || window.sentNs(sequence) - backedOffNs > 0))
        {
            rtt.sample(nowNs - window.sentNs(sequence));
        }
    }

    /**
     * A PENDING for a chunk: whether the aggregator holds this rank's contribution to it.
     *
     * @return false if the call failed while preparing a retransmission.
     */
    boolean onPending(final int sequence, final boolean held, final long nextUpdateNs, final long nowNs)
    {
        if (!isOutstanding(sequence))
        {
            return true;
        }
        if (held)
        {
            window.heard(sequence, ChunkWindow.HELD, nowNs);
            if (nextUpdateNs > 0)
            {
                nackDelayHintNs = nextUpdateNs;
                // The aggregator says when it will next say something about the chunk: no need to ask before (a
                // margin for the way back), unless that is far beyond the timeout.
                final long margin = Math.max(MIN_RESEND_INTERVAL_NS, 2 * rtt.minRttNs());
                window.notBefore(sequence, nowNs + Math.min(nextUpdateNs + margin, MAX_PROMISE_RTOS * rtt.rtoNs()));
            }
            if (window.retries(sequence) > 0)
            {
                // The answer to a timeout's query: another rank was slow, not loss (as TCP's Eifel detection).
                congestion.onSpuriousLoss();
                rtt.undoBackOff();
            }
            return true;
        }
        window.heard(sequence, ChunkWindow.MISSING, nowNs);
        window.notBefore(sequence, nowNs);
        return resendLost(sequence, nowNs);
    }

    /**
     * A NACK: the aggregator lacks this rank's contributions to {@code count} chunks from {@code first}; send
     * them again, not before {@code retryAfterNs} from now (0: at once).
     *
     * @return false if the call failed while preparing a retransmission.
     */
    boolean onNack(final int first, final int count, final long retryAfterNs, final long nowNs)
    {
        for (int i = 0; i < count; i++)
        {
            final int sequence = first + i;
            if (!isOutstanding(sequence))
            {
                continue;
            }
            window.heard(sequence, ChunkWindow.MISSING, nowNs);
            window.notBefore(sequence, nowNs + retryAfterNs);
            if (retryAfterNs > 0)
            {
                nextCheckNs = Math.min(nextCheckNs, nowNs + retryAfterNs);
            }
            else if (!resendLost(sequence, nowNs))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Results arrived or the window slid: when later results are in before the oldest chunk's, ask about it once
     * per transmission (unless the aggregator said it holds it: then it waits for a slower rank).
     */
    void afterProgress(final long nowNs)
    {
        final int sequence = window.lowest();
        if (sequence != lowestSeen)
        {
            // The oldest chunk's timeout runs from when it became the oldest: until then, older ones held it up.
            lowestSeen = sequence;
            lowestSinceNs = nowNs;
            aheadSeen = false;
            nextCheckNs = Math.min(nextCheckNs, nowNs + timer.timeoutNs(window.retries(sequence)));
        }
        if (!aheadSeen && window.receivedAhead() > 0)
        {
            aheadSeen = true;
            aheadSinceNs = nowNs;
        }
        fastQuery(nowNs);
    }

    /**
     * Results of later chunks have been coming in for a while and the oldest chunk's has not: ask about it, once
     * per transmission (unless the aggregator said it holds it: then it waits for a slower rank). "A while" is
     * twice the smallest round trip, the time a NACK takes to repair another rank's lost contribution, so that a
     * repair under way is not mistaken for a lost result (as TCP's RACK waits a reordering window).
     */
    private void fastQuery(final long nowNs)
    {
        final int sequence = window.lowest();
        if (!aheadSeen || window.receivedAhead() < FAST_QUERY_THRESHOLD || window.isReceived(sequence) ||
            window.isQueried(sequence) || window.state(sequence) != ChunkWindow.UNKNOWN)
        {
            return;
        }
        final long dueNs = aheadSinceNs + Math.max(MIN_RESEND_INTERVAL_NS, 2 * rtt.minRttNs());
        if (nowNs - dueNs < 0)
        {
            nextCheckNs = Math.min(nextCheckNs, dueNs);
            return;
        }
        sender.query(sequence, nowNs);
        window.queried(sequence);
    }

    /**
     * Sends what the timers say and, in bounded mode, collects the chunks to give up ({@link #givenUpCount()},
     * {@link #givenUp(int)}).
     *
     * @return frames sent, or -1 if the call failed while preparing one.
     */
    int checkTimeouts(final long nowNs)
    {
        givenUpCount = 0;
        if (nowNs - nextCheckNs < 0)
        {
            return 0;
        }
        fastQuery(nowNs);
        int work = 0;
        long earliestNs = nowNs + timer.maxTimeoutNs();
        final int lowest = window.lowest();
        for (int sequence = lowest; sequence - window.next() < 0; sequence++)
        {
            if (window.isReceived(sequence))
            {
                continue;
            }
            if (bounded)
            {
                // Queries do not postpone giving up, only the aggregator's word about the chunk does.
                final long heardNs = window.heardNs(sequence);
                long giveUpNs = timer.giveUpAtNs(heardNs);
                if (stall.lastHeardNs() - giveUpNs < 0)
                {
                    // The aggregator has said nothing since: wait longer for it before the results diverge.
                    giveUpNs = timer.silentGiveUpAtNs(heardNs);
                }
                if (window.retries(sequence) > 0 && nowNs - giveUpNs >= 0)
                {
                    givenUp[givenUpCount++] = sequence;
                    continue;
                }
                earliestNs = Math.min(earliestNs, giveUpNs);
            }
            final byte state = window.state(sequence);
            final long notBeforeNs = window.notBeforeNs(sequence);
            if (state == ChunkWindow.MISSING && notBeforeNs - window.sentNs(sequence) > 0)
            {
                // Known missing, its resend deferred by the aggregator: it goes when allowed.
                if (nowNs - notBeforeNs < 0)
                {
                    earliestNs = Math.min(earliestNs, notBeforeNs);
                }
                else if (sender.resend(sequence, nowNs))
                {
                    work++;
                }
                else
                {
                    return -1;
                }
                continue;
            }
            if (sequence != lowest)
            {
                // Only the oldest chunk is timed (as TCP times the oldest unacknowledged segment): the aggregator
                // NACKs contributions it lacks, and later chunks' results are asked for once they are the oldest.
                continue;
            }
            final long sinceNs = Math.max(Math.max(window.sentNs(sequence), window.heardNs(sequence)), lowestSinceNs);
            long timeoutNs = timer.timeoutNs(window.retries(sequence));
            if (!bounded && state == ChunkWindow.UNKNOWN && window.retries(sequence) == 0)
            {
                // Give the aggregator its chance to NACK a lost contribution, or to say it holds this one, first
                // (in bounded mode the deadline is worth more than the query).
                timeoutNs = Math.max(timeoutNs, Math.min(nackDelayHintNs + 2 * rtt.minRttNs(), timer.maxTimeoutNs()));
            }
            final long dueNs = Math.max(sinceNs + timeoutNs, notBeforeNs);
            if (nowNs - dueNs < 0)
            {
                earliestNs = Math.min(earliestNs, dueNs);
                continue;
            }
            if (stall.lastHeardNs() - window.sentNs(sequence) <= 0 && congestion.onLoss(sequence, window.next()))
            {
                // Nothing at all heard since this chunk left: congestion or an outage, not a slow peer.
                rtt.backOff();
                backedOff = true;
                backedOffNs = nowNs;
            }
            if (state == ChunkWindow.MISSING)
            {
                if (!sender.resend(sequence, nowNs))
                {
                    return -1;
                }
            }
            else
            {
                sender.query(sequence, nowNs);
            }
            work++;
            earliestNs = Math.min(earliestNs, nowNs + timer.timeoutNs(window.retries(sequence)));
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

    private boolean isOutstanding(final int sequence)
    {
        return window.contains(sequence) && !window.isReceived(sequence);
    }

    /**
     * The aggregator lacks this rank's contribution: send it again now, unless it left very recently (a NACK and a
     * PENDING for the same loss). A loss adjacent to the previous one is a run: congestion, not random loss.
     */
    private boolean resendLost(final int sequence, final long nowNs)
    {
        if (nowNs - window.sentNs(sequence) < Math.max(MIN_RESEND_INTERVAL_NS, rtt.minRttNs() / 2))
        {
            return true;
        }
        if (anyLost && sequence - lastLost == 1)
        {
            congestion.onLoss(sequence, window.next());
        }
        anyLost = true;
        lastLost = sequence;
        return sender.resend(sequence, nowNs);
    }
}
