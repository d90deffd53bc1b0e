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
    private final AggregatorProxy proxy;
    private final Counters counters;

    DataPlane(final AggregatorProxy proxy, final Counters counters)
    {
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
                if (nowNs - sets.firstNs(set) < job.deadline.deadlineNs())
                {
                    // A rank that gave chunks up runs ahead; it must not take a set from ranks still within its
                    // deadline (they would get GONE and give up in turn). It retries after its timeout.
                    counters.increment(DROP_SEQUENCE);
                    return;
                }
                finishOrAbandon(job, set, nowNs);
            }
            startChunk(job, in, set, rank, count, nowNs);
        }
        else if (delta == 2 * job.spec.window() && !sets.isOpen(set))
        {
            if (job.anyLeft())
            {
                refuseAfterLeave(job, in, rank, peer);
                return;
            }
            startChunk(job, in, set, rank, count, nowNs);
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
        if (job.isBounded() && FrameDescriptor.compareSequence(sequence, sets.sequence(set)) < 0)
        {
            job.touch(nowNs);
            proxy.gone(job, sequence, in.round(), rank, peer);
            return;
        }
        if (sequence != sets.sequence(set) || sets.isEmpty(set))
        {
            counters.increment(DROP_STALE);
            return;
        }
        job.touch(nowNs);
        if (sets.isDone(set) && (job.isBounded() || sets.hasContributed(set, rank)))
        {
            resendResult(job, set, peer);
        }
        else if (job.anyLeft() && !job.isBounded())
        {
            refuseAfterLeave(job, in, rank, peer);
        }
        else
        {
            // Open, or done without this rank: the bitmap tells the rank whether to send its payload again.
            proxy.pending(job, set, rank, peer);
        }
    }

    /**
     * Bounded mode, every tick: ranks silent too long stop being waited for, and open sets past their deadline
     * with the quorum finish.
     *
     * @return chunks finished.
     */
    int checkDeadlines(final Job job, final long nowNs)
    {
        if (!job.isStarted())
        {
            return 0;
        }
        job.updatePresence(nowNs);
        int finished = 0;
        final SlotSets sets = job.sets;
        for (int set = 0, n = sets.sets(); set < n; set++)
        {
            if (sets.isOpen(set) && job.mayFinish(set, nowNs))
            {
                finish(job, set, nowNs);
                finished++;
            }
        }
        return finished;
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
                resendResult(job, set, peer);
            }
            else if (job.anyLeft() && !job.isBounded())
            {
                refuseAfterLeave(job, in, rank, peer);
            }
            else if ((in.flags() & FLAG_RETRANSMIT) != 0)
            {
                proxy.pending(job, set, rank, peer);
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
            job.deadline.record(nowNs - sets.firstNs(set));
            proxy.result(job, set, peer);
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
        add(job, in, set, rank, count, nowNs);
    }

    private void startChunk(
        final Job job, final HeaderFlyweight in, final int set, final int rank, final int count, final long nowNs)
    {
        job.sets.reset(set, in.sequence(), count, in.exponent(), in.round(), in.flags() & FLAG_LAST, nowNs);
        add(job, in, set, rank, count, nowNs);
    }

    private void add(
        final Job job, final HeaderFlyweight in, final int set, final int rank, final int count, final long nowNs)
    {
        job.sets.add(set, rank, in.buffer(), in.payloadOffset(), count, in.exponent(), in.nextExponent());
        counters.increment(CounterDescriptor.CONTRIBUTIONS);
        if (job.mayFinish(set, nowNs))
        {
            finish(job, set, nowNs);
        }
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
            job.deadline.record(nowNs - job.sets.firstNs(set));
        }
        proxy.result(job, set, -1);
    }

    /**
     * Bounded mode: a rank moved past an unfinished set (it gave the chunk up). Finish the set with what it holds
     * if that reaches the quorum, else abandon it: its contributors will ask again and get GONE.
     */
    private void finishOrAbandon(final Job job, final int set, final long nowNs)
    {
        if (job.sets.contributors(set) >= job.spec.quorum())
        {
            finish(job, set, nowNs);
        }
        else
        {
            counters.increment(CounterDescriptor.CHUNKS_ABANDONED);
        }
    }

    private void resendResult(final Job job, final int set, final int peer)
    {
        proxy.result(job, set, peer);
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
