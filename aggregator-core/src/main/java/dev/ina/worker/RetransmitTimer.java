package dev.ina.worker;

import java.util.concurrent.TimeUnit;

/**
 * When a worker retransmits a chunk, and in bounded mode when it gives a chunk up. The timeout is the
 * {@link RttEstimator}'s, backed off per retry; in bounded mode it is also capped at half the deadline (at least
 * 200 µs), since waiting for a deadline inflates the round-trip estimate and a timeout longer than the deadline
 * would find the chunk finished and its set reused, and a chunk with no result {@value #GIVE_UP_RTOS} such
 * timeouts after its deadline is filled locally. Single-threaded.
 */
final class RetransmitTimer
{
    static final int GIVE_UP_RTOS = 4;
    static final int SILENT_GIVE_UP_FACTOR = 4;
    private static final long MIN_BOUNDED_RTO_NS = TimeUnit.MICROSECONDS.toNanos(200);

    private final RttEstimator rtt;
    private final boolean bounded;
    private final long deadlineNs;

    RetransmitTimer(final RttEstimator rtt, final boolean bounded, final long deadlineNs)
    {
        this.rtt = rtt;
        this.bounded = bounded;
        this.deadlineNs = deadlineNs;
    }

    RttEstimator rtt()
    {
        return rtt;
    }

    /**
     * Timeout of a chunk's first transmission.
     */
    long firstTimeoutNs()
    {
        return bounded ? boundedRtoNs() : rtt.rtoNs();
    }

    /**
     * Timeout of a chunk retransmitted {@code retries} times.
     */
    long timeoutNs(final int retries)
    {
        final long backedOff = rtt.backedOffNs(retries);
        return bounded ? Math.min(backedOff, boundedRtoNs()) : backedOff;
    }

    /**
     * Bounded mode: when a chunk last heard of at {@code heardNs} is given up, while the aggregator answers other
     * frames: the deadline plus {@value #GIVE_UP_RTOS} timeouts later.
     */
    long giveUpAtNs(final long heardNs)
    {
        return heardNs + giveUpAfterNs();
    }

    /**
     * Bounded mode: when a chunk last heard of at {@code heardNs} is given up while the aggregator is silent
     * altogether (descheduled, or gone: then the progress timeout ends the call): {@value #SILENT_GIVE_UP_FACTOR}
     * times later, since filling locally makes the ranks' results differ and an aggregator that comes back would
     * have kept them equal.
     */
    long silentGiveUpAtNs(final long heardNs)
    {
        return heardNs + SILENT_GIVE_UP_FACTOR * giveUpAfterNs();
    }

    private long giveUpAfterNs()
    {
        return deadlineNs + GIVE_UP_RTOS * boundedRtoNs();
    }

    /**
     * Longest time between two timer checks.
     */
    long maxTimeoutNs()
    {
        return rtt.maxRtoNs();
    }

    private long boundedRtoNs()
    {
        return Math.min(rtt.rtoNs(), Math.max(deadlineNs / 2, MIN_BOUNDED_RTO_NS));
    }
}
