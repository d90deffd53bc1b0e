package dev.ina.aggregation;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;

import static dev.ina.protocol.FrameDescriptor.FLAG_LAST;
import static dev.ina.protocol.FrameDescriptor.FLAG_RETRANSMIT;
import static dev.ina.protocol.FrameDescriptor.FLAG_SHADOW_SET;
import static dev.ina.status.CounterDescriptor.DROP_CODEC;
import static dev.ina.status.CounterDescriptor.DROP_DUPLICATE;
import static dev.ina.status.CounterDescriptor.DROP_EXPONENT;
import static dev.ina.status.CounterDescriptor.DROP_LENGTH;
import static dev.ina.status.CounterDescriptor.DROP_SEQUENCE;
import static dev.ina.status.CounterDescriptor.DROP_SLOT;
import static dev.ina.status.CounterDescriptor.DROP_STALE;

/**
 * The aggregator's data plane: adds authenticated contributions to their job's slot sets, finishes chunks (every
 * rank, or in bounded mode the quorum at the deadline) and answers retransmissions with the kept result, PENDING
 * or GONE. The set transitions it drives, and why they are safe, are described in {@link SlotSets}. Owned by the
 * aggregation engine's thread; allocates nothing.
 */
final class DataPlane
{
    /** NACK rounds for one set back off up to {@code 2^6} times the NACK delay. */
    private static final int MAX_NACK_BACK_OFF_SHIFT = 6;

    private final AggregatorProxy proxy;
    private final ControlBatch control;
    private final Counters counters;

    DataPlane(final AggregatorProxy proxy, final ControlBatch control, final Counters counters)
    {
        this.control = control;
        this.proxy = proxy;
        this.counters = counters;
    }

    /**
     * A CONTRIB of an authenticated rank.
     */
    void onContribution(final Job job, final HeaderFlyweight in, final int peer, final long nowNs)
    {
        if (in.codec() != job.spec.codec().id())
        {
            counters.increment(DROP_CODEC);
            return;
        }
        final int sequence = in.sequence();
        final int set = setOf(job, in, sequence);
        if (set < 0)
        {
            return;
        }
        final int count = in.count();
        if (count > job.spec.elementsPerPacket() || in.payloadLength() != count * job.spec.codec().bytesUp())
        {
            counters.increment(DROP_LENGTH);
            return;
        }

        final SlotSets sets = job.sets;
        final int rank = in.rank();
        final int delta = FrameDescriptor.compareSequence(sequence, sets.sequence(set));
        job.touch(nowNs);

        if (delta == 0)
        {
            onContributionToCurrent(job, in, set, rank, peer, count, nowNs);
        }
        else if (job.isBounded() && delta > 0)
        {
            if (sets.isOpen(set))
            {
                // A rank two windows ahead has given this chunk up (it moved past it without contributing): it
                // cannot count on that rank any more.
                finishOrGiveUp(job, set, nowNs);
            }
            startChunk(job, in, set, rank, peer, count, nowNs);
        }
        else if (delta == 2 * job.spec.window() && !sets.isOpen(set))
        {
            if (job.anyLeft())
            {
                refuseAfterLeave(job, in, rank, peer);
                return;
            }
            startChunk(job, in, set, rank, peer, count, nowNs);
        }
        else if (delta < 0 && job.isBounded())
        {
            // A straggler's chunk whose set moved on: it fills the chunk from its own values.
            counters.increment(CounterDescriptor.DROP_LATE);
            proxy.gone(job, sequence, in.round(), rank, peer);
        }
        else
        {
            counters.increment(delta < 0 ? DROP_STALE : DROP_SEQUENCE);
        }
    }

    /**
     * A RESEND (a rank whose contribution the set holds asks for the result) of an authenticated rank.
     */
    void onResend(final Job job, final HeaderFlyweight in, final int peer, final long nowNs)
    {
        final int sequence = in.sequence();
        final int set = setOf(job, in, sequence);
        if (set < 0)
        {
            return;
        }
        if (in.payloadLength() != 0)
        {
            counters.increment(DROP_LENGTH);
            return;
        }
        final SlotSets sets = job.sets;
        final int rank = in.rank();
        final int delta = FrameDescriptor.compareSequence(sequence, sets.sequence(set));
        job.touch(nowNs);
        if (delta < 0)
        {
            if (job.isBounded())
            {
                proxy.gone(job, sequence, in.round(), rank, peer);
            }
            else
            {
                counters.increment(DROP_STALE);
            }
        }
        else if (delta > 0)
        {
            if (job.isBounded() || delta == 2 * job.spec.window() && !sets.isOpen(set))
            {
                // The chunk has not started here: the rank's contribution was lost. Ask for it.
                control.nack(job, sequence, 1, in.round(), 0, rank);
            }
            else
            {
                // Not the set's next chunk, or the set still open: no rank can have sent it (the window forbids it).
                counters.increment(DROP_SEQUENCE);
            }
        }
        else if (sets.isGivenUp(set))
        {
            proxy.gone(job, sequence, in.round(), rank, peer);
        }
        else if (sets.isDone(set) && (job.isBounded() || sets.hasContributed(set, rank)))
        {
            resendResult(job, set, rank);
        }
        else if (job.anyLeft() && !job.isBounded())
        {
            refuseAfterLeave(job, in, rank, peer);
        }
        else
        {
            // Open, or done without this rank: the bitmap tells the rank whether to send its payload again.
            control.pending(job, set, rank, nextUpdateNs(job, set, nowNs));
        }
    }

    /**
     * Bounded mode: a rank gave a chunk up (GONE from the worker); the chunk stops waiting for it. Any other use
     * is dropped and counted.
     */
    void onGiveUp(final Job job, final HeaderFlyweight in, final long nowNs)
    {
        final int sequence = in.sequence();
        final int set = setOf(job, in, sequence);
        if (set < 0)
        {
            return;
        }
        if (!job.isBounded() || in.payloadLength() != 0)
        {
            counters.increment(job.isBounded() ? DROP_LENGTH : CounterDescriptor.DROP_TYPE);
            return;
        }
        final SlotSets sets = job.sets;
        job.touch(nowNs);
        if (sets.sequence(set) == sequence && sets.isOpen(set) && !sets.hasContributed(set, in.rank()))
        {
            stopWaitingFor(job, set, in.rank(), nowNs);
        }
    }

    /**
     * Every tick: in bounded mode, ranks silent too long stop being waited for and open sets past their deadline
     * with the quorum finish; in every mode, the ranks missing from a set whose others arrived long enough ago are
     * NACKed (their contributions are taken as lost), with back-off.
     *
     * @return chunks finished and sets NACKed.
     */
    int onTick(final Job job, final long nowNs)
    {
        if (!job.isStarted())
        {
            return 0;
        }
        job.updatePresence(nowNs);
        int work = 0;
        final SlotSets sets = job.sets;
        final long nackDelayNs = job.nackDelayNs();
        int oldest = -1;
        for (int set = 0, n = sets.sets(); set < n; set++)
        {
            if (!sets.isOpen(set))
            {
                continue;
            }
            if (job.isBounded() && job.mayFinish(set, nowNs))
            {
                finish(job, set, nowNs);
                work++;
            }
            else if (oldest < 0 || FrameDescriptor.compareSequence(sets.sequence(set), sets.sequence(oldest)) < 0)
            {
                oldest = set;
            }
        }
        for (int set = 0, n = sets.sets(); set < n; set++)
        {
            if (sets.isOpen(set) && sets.contributors(set) > 0 && nowNs - sets.lastNs(set) >= nackDelayNs &&
                nowNs - sets.nextNackNs(set) >= 0)
            {
                nackMissing(job, set, set == oldest, nackDelayNs, nowNs);
                work++;
            }
        }
        return work;
    }

    private void onContributionToCurrent(
        final Job job, final HeaderFlyweight in, final int set, final int rank, final int peer, final int count,
        final long nowNs)
    {
        final SlotSets sets = job.sets;
        if (sets.hasContributed(set, rank))
        {
            if (sets.isDone(set))
            {
                // The rank missed the result: send the kept result to it alone.
                resendResult(job, set, rank);
            }
            else if (job.anyLeft() && !job.isBounded())
            {
                refuseAfterLeave(job, in, rank, peer);
            }
            else if ((in.flags() & FLAG_RETRANSMIT) != 0)
            {
                control.pending(job, set, rank, nextUpdateNs(job, set, nowNs));
            }
            else
            {
                counters.increment(DROP_DUPLICATE);
            }
            return;
        }
        if (sets.isDone(set))
        {
            // Bounded mode: the chunk finished without this straggler. Drop its values; the kept result lets it
            // catch up. An adaptive deadline learns how long the chunk would have needed to include it.
            counters.increment(CounterDescriptor.DROP_LATE);
            job.deadline.record(nowNs - sets.quorumNs(set));
            control.result(job, set, rank);
            return;
        }
        if (sets.isGivenUp(set))
        {
            counters.increment(CounterDescriptor.DROP_LATE);
            proxy.gone(job, sets.sequence(set), in.round(), rank, peer);
            return;
        }
        if (!sets.isOpen(set))
        {
            counters.increment(DROP_STALE);
            return;
        }
        if (count != sets.elements(set))
        {
            counters.increment(DROP_LENGTH);
            return;
        }
        if (in.exponent() != sets.exponent(set) && !job.isBounded())
        {
            counters.increment(DROP_EXPONENT);
            return;
        }
        add(job, in, set, rank, peer, count, nowNs);
    }

    private void startChunk(
        final Job job, final HeaderFlyweight in, final int set, final int rank, final int peer, final int count,
        final long nowNs)
    {
        job.sets.reset(set, in.sequence(), count, in.exponent(), in.round(), in.flags() & FLAG_LAST, nowNs);
        add(job, in, set, rank, peer, count, nowNs);
    }

    private void add(
        final Job job, final HeaderFlyweight in, final int set, final int rank, final int peer, final int count,
        final long nowNs)
    {
        job.sets.add(set, rank, in.buffer(), in.payloadOffset(), count, in.exponent(), in.nextExponent(), nowNs);
        job.sent(rank, in.sequence());
        counters.increment(CounterDescriptor.CONTRIBUTIONS);
        if (job.mayFinish(set, nowNs))
        {
            finish(job, set, nowNs);
        }
        final int sequence = in.sequence();
        nackGap(job, sequence, rank, peer, nowNs);
        if (job.isBounded())
        {
            resolvePassed(job, sequence - job.spec.window(), rank, nowNs);
        }
    }

    /**
     * A rank sends its chunks in sequence order, so when its chunk {@code sequence} arrives, open sets of the
     * chunks just before it that lack its contribution lost it: NACK them at once (one frame for the run). The
     * ranks waiting for those chunks give the repair a round trip before they ask.
     */
    private void nackGap(final Job job, final int sequence, final int rank, final int peer, final long nowNs)
    {
        final SlotSets sets = job.sets;
        int first = sequence;
        int round = 0;
        for (int back = 1; back < job.spec.window(); back++)
        {
            final int previous = sequence - back;
            final int set = sets.setOf(previous);
            if (sets.sequence(set) != previous || !sets.isOpen(set) || sets.hasContributed(set, rank))
            {
                break;
            }
            first = previous;
            round = sets.round(set);
            sets.nacked(set, nowNs, job.nackDelayNs());
        }
        if (first != sequence)
        {
            control.nack(job, first, sequence - first, round, 0, rank);
        }
    }

    /**
     * Bounded mode: a rank whose chunk {@code passed + window} arrived has completed chunk {@code passed} (its window
     * moved past it). If the set still waits for the rank's contribution, it will never come: the set finishes with
     * what it holds if that reaches the quorum, else it is given up.
     */
    private void resolvePassed(final Job job, final int passed, final int rank, final long nowNs)
    {
        final SlotSets sets = job.sets;
        final int set = sets.setOf(passed);
        if (sets.sequence(set) == passed && sets.isOpen(set) && !sets.hasContributed(set, rank))
        {
            stopWaitingFor(job, set, rank, nowNs);
        }
    }

    /**
     * Bounded mode: a rank will not contribute to an open set (it gave the chunk up). The set finishes now if it
     * has the quorum; it is given up if the quorum is out of reach without that rank; otherwise it waits for the
     * others as usual.
     */
    private void stopWaitingFor(final Job job, final int set, final int rank, final long nowNs)
    {
        final SlotSets sets = job.sets;
        final int count = sets.contributors(set);
        if (count >= job.spec.quorum())
        {
            finish(job, set, nowNs);
            return;
        }
        int possible = count;
        for (int r = 0, n = job.worldSize(); r < n; r++)
        {
            if (r != rank && !sets.hasContributed(set, r) && job.isPresent(r))
            {
                possible++;
            }
        }
        if (possible < job.spec.quorum())
        {
            finishOrGiveUp(job, set, nowNs);
        }
    }

    /**
     * NACKs the ranks still waited for that have sent later chunks but not this one, and, for the oldest open set,
     * sends PENDING to those it holds.
     */
    private void nackMissing(
        final Job job, final int set, final boolean oldest, final long nackDelayNs, final long nowNs)
    {
        final SlotSets sets = job.sets;
        final int sequence = sets.sequence(set);
        for (int r = 0, worldSize = job.worldSize(); r < worldSize; r++)
        {
            // Only a rank that has sent every chunk before this one may have lost it (a later one: its NACK or
            // repair was lost too; the one just before: this may be the last it could send). A rank further behind
            // is slow, not lossy: it is not asked.
            if (!sets.hasContributed(set, r) && job.isPresent(r) && job.hasSentBeyond(r, sequence - 2))
            {
                control.nack(job, sequence, 1, sets.round(set), 0, r);
            }
        }
        long retryNs = nackDelayNs << Math.min(sets.nackRounds(set), MAX_NACK_BACK_OFF_SHIFT);
        if (job.isBounded())
        {
            // Contributors hear from the set at least once per deadline, so they never give it up while it waits.
            retryNs = Math.min(retryNs, job.deadline.deadlineNs());
        }
        sets.nacked(set, nowNs, retryNs);
        if (oldest || job.isBounded())
        {
            // The oldest open chunk is the one the waiting ranks time: tell them they are held, and until when. In
            // bounded mode every waiting chunk hears, so that no rank gives up a chunk that is only waiting.
            control.pendingToContributors(job, set, retryNs);
        }
    }

    /**
     * When an open set's next NACK round (and PENDING to its contributors) is due: the aggregator's promise to say
     * more about it; 0 for a set that is not open.
     */
    private static long nextUpdateNs(final Job job, final int set, final long nowNs)
    {
        final SlotSets sets = job.sets;
        if (!sets.isOpen(set))
        {
            return 0;
        }
        return Math.max(sets.nextNackNs(set), sets.lastNs(set) + job.nackDelayNs()) - nowNs;
    }

    private void finish(final Job job, final int set, final long nowNs)
    {
        counters.increment(CounterDescriptor.CHUNKS_COMPLETED);
        if (job.sets.finish(set))
        {
            counters.increment(CounterDescriptor.PARTIAL_COMPLETIONS);
        }
        else
        {
            job.completed(nowNs - job.sets.firstNs(set));
            job.deadline.record(nowNs - job.sets.quorumNs(set));
        }
        proxy.result(job, set, -1);
    }

    /**
     * Bounded mode: a rank moved past an unfinished set (it gave the chunk up). Finish the set with what it holds
     * if that reaches the quorum; otherwise give it up and tell its contributors GONE (they fill the chunk from their
     * own values).
     */
    private void finishOrGiveUp(final Job job, final int set, final long nowNs)
    {
        if (job.sets.contributors(set) >= job.spec.quorum())
        {
            finish(job, set, nowNs);
        }
        else
        {
            counters.increment(CounterDescriptor.CHUNKS_ABANDONED);
            job.sets.giveUp(set);
            proxy.goneToContributors(job, set);
        }
    }

    private void resendResult(final Job job, final int set, final int rank)
    {
        control.result(job, set, rank);
        counters.increment(CounterDescriptor.RESULTS_RESENT);
    }

    /**
     * The set a sequence maps to, checked against the frame's slot and shadow-set flag; -1 (counted) if they
     * disagree.
     */
    private int setOf(final Job job, final HeaderFlyweight in, final int sequence)
    {
        final SlotSets sets = job.sets;
        final int shadow = (in.flags() & FLAG_SHADOW_SET) != 0 ? 1 : 0;
        if (in.slot() != sets.slotOf(sequence) || shadow != sets.shadowOf(sequence))
        {
            counters.increment(DROP_SLOT);
            return -1;
        }
        return sets.setOf(sequence);
    }

    private void refuseAfterLeave(final Job job, final HeaderFlyweight in, final int rank, final int peer)
    {
        proxy.error(FrameDescriptor.TYPE_ABORT, job.jobId, job.token, rank, in.round(),
            ControlFlyweight.ERROR_RANK_LEFT, job.describe() + ": rank(s) " + job.left().describeMembers() +
            " left the job, so this all-reduce cannot complete", peer);
    }
}
