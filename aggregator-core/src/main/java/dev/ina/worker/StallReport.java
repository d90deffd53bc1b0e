package dev.ina.worker;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.RankBitmap;

import java.util.concurrent.TimeUnit;

/**
 * What a worker knows about why it is waiting, so that a timeout can say which side went silent: the ranks the
 * aggregator last reported (PENDING) as missing from the oldest chunk in flight, or from the job while joining,
 * and when it last heard from the aggregator at all. Single-threaded; only the messages allocate.
 */
final class StallReport
{
    /** A PENDING older than this (beyond the longest retransmission timeout) no longer explains a stall. */
    private static final long PENDING_FRESH_EXTRA_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final RankBitmap seen;
    private final long maxRtoNs;
    private String aggregator;
    private boolean pendingHeard;
    private int pendingSequence;
    private long pendingNs;
    private long lastHeardNs;

    StallReport(final int worldSize, final long maxRtoNs, final String aggregator)
    {
        this.seen = new RankBitmap(worldSize);
        this.maxRtoNs = maxRtoNs;
        this.aggregator = aggregator;
    }

    /**
     * {@code host:port} of the aggregator, for messages.
     */
    String aggregator()
    {
        return aggregator;
    }

    /**
     * The worker now talks to another address (a redirect).
     */
    void aggregator(final String hostAndPort)
    {
        aggregator = hostAndPort;
    }

    /**
     * Anything from the aggregator for this session.
     */
    void heard(final long nowNs)
    {
        lastHeardNs = nowNs;
    }

    long lastHeardNs()
    {
        return lastHeardNs;
    }

    /**
     * A call starts: PENDINGs of earlier calls no longer apply.
     */
    void onCallStart()
    {
        pendingHeard = false;
    }

    /**
     * Records the ranks a PENDING lists as seen, for the oldest chunk in flight ({@code sequence}) or, while
     * joining, for the job.
     */
    void onPending(final ControlFlyweight pending, final int sequence, final long nowNs)
    {
        pending.readRankBitmap(seen);
        pendingHeard = true;
        pendingSequence = sequence;
        pendingNs = nowNs;
    }

    /**
     * Whether a PENDING was heard while joining.
     */
    boolean hasPending()
    {
        return pendingHeard;
    }

    /**
     * The ranks the aggregator is waiting for, e.g. {@code [1, 3]}.
     */
    String missingRanks()
    {
        return seen.describeAbsent();
    }

    /**
     * Why a call made no progress: the rank(s) the aggregator still waits for if a recent PENDING for the oldest
     * chunk said so, else that the aggregator is silent.
     *
     * @param lowest oldest sequence in flight.
     */
    String describeCallStall(final int lowest, final long nowNs)
    {
        if (pendingHeard && pendingSequence == lowest && nowNs - pendingNs <= 2 * maxRtoNs + PENDING_FRESH_EXTRA_NS)
        {
            return "the aggregator at " + aggregator + " answers but is still waiting for rank(s) " + missingRanks() +
                " (sequence " + pendingSequence + "): is that rank alive and calling allReduce with the same sizes?";
        }
        return "no answer from the aggregator at " + aggregator + " for " +
            TimeUnit.NANOSECONDS.toMillis(nowNs - lastHeardNs) + " ms: is it running and reachable?";
    }
}
