package dev.ina.aggregation;

import java.util.Arrays;

/**
 * The frames to single ranks that the data plane raises while it handles a batch of datagrams (NACKs to ranks
 * whose contributions are missing, PENDING to the ranks a set holds or that ask, results resent to a rank that
 * missed them), held back until the batch is done and then written together: the results the batch completed
 * leave first, back to back, so that the transport can send each rank's
 * run of them in one UDP GSO send; NACKs to one rank for consecutive chunks merge into one frame; and a frame the
 * rest of the batch made moot (the contribution arrived after all, the set finished) is not sent. Without batching
 * ({@link #batching(boolean)} off, the default) every frame goes at once. Owned by the aggregation engine's thread;
 * allocates nothing after construction.
 */
final class ControlBatch
{
    private static final byte NACK = 1;
    private static final byte PENDING = 2;
    private static final byte PENDING_TO = 3;
    private static final byte RESULT_TO = 4;
    private static final int CAPACITY = 256;

    private final AggregatorProxy proxy;
    private final byte[] kinds = new byte[CAPACITY];
    private final Job[] jobs = new Job[CAPACITY];
    private final int[] sets = new int[CAPACITY];
    private final int[] sequences = new int[CAPACITY];
    private final int[] counts = new int[CAPACITY];
    private final int[] rounds = new int[CAPACITY];
    private final int[] ranks = new int[CAPACITY];
    private final long[] timesNs = new long[CAPACITY];
    private boolean batching;
    private int size;

    ControlBatch(final AggregatorProxy proxy)
    {
        this.proxy = proxy;
    }

    /**
     * Whether frames wait for {@link #flush()}: the transport turns it on when it calls {@code flush} after every
     * batch of reads and every tick.
     */
    void batching(final boolean batching)
    {
        this.batching = batching;
        if (!batching)
        {
            flush();
        }
    }

    /**
     * A NACK to a rank for {@code count} chunks from {@code sequence}; {@code retryAfterNs} 0 for at once.
     */
    void nack(
        final Job job, final int sequence, final int count, final int round, final long retryAfterNs, final int rank)
    {
        if (!batching)
        {
            proxy.nack(job, sequence, count, round, retryAfterNs, rank, job.peerOf(rank));
            return;
        }
        if (size > 0 && kinds[size - 1] == NACK && jobs[size - 1] == job && ranks[size - 1] == rank &&
            timesNs[size - 1] == retryAfterNs && sequences[size - 1] + counts[size - 1] == sequence)
        {
            counts[size - 1] += count;
            return;
        }
        if (add(NACK, job, -1, sequence, round, rank, retryAfterNs))
        {
            counts[size - 1] = count;
        }
        else
        {
            proxy.nack(job, sequence, count, round, retryAfterNs, rank, job.peerOf(rank));
        }
    }

    /**
     * PENDING for an open set to the ranks it holds, with the time of the aggregator's next word about it.
     */
    void pendingToContributors(final Job job, final int set, final long nextUpdateNs)
    {
        if (!batching || !add(PENDING, job, set, job.sets.sequence(set), 0, -1, nextUpdateNs))
        {
            proxy.pendingToContributors(job, set, nextUpdateNs);
        }
    }

    /**
     * PENDING for a set to one rank (the answer to its query or retransmission).
     */
    void pending(final Job job, final int set, final int rank, final long nextUpdateNs)
    {
        if (!batching || !add(PENDING_TO, job, set, job.sets.sequence(set), 0, rank, nextUpdateNs))
        {
            proxy.pending(job, set, rank, job.peerOf(rank), nextUpdateNs);
        }
    }

    /**
     * A finished set's result to one rank (it missed it, or came late).
     */
    void result(final Job job, final int set, final int rank)
    {
        if (!batching || !add(RESULT_TO, job, set, job.sets.sequence(set), 0, rank, 0))
        {
            proxy.result(job, set, job.peerOf(rank));
        }
    }

    /**
     * Writes what the batch raised that still holds, in the order it was raised.
     */
    void flush()
    {
        for (int i = 0; i < size; i++)
        {
            final Job job = jobs[i];
            final int set = sets[i];
            switch (kinds[i])
            {
                case PENDING:
                    if (job.sets.sequence(set) == sequences[i] && job.sets.isOpen(set))
                    {
                        proxy.pendingToContributors(job, set, timesNs[i]);
                    }
                    break;
                case PENDING_TO:
                    if (job.sets.sequence(set) == sequences[i])
                    {
                        proxy.pending(job, set, ranks[i], job.peerOf(ranks[i]), timesNs[i]);
                    }
                    break;
                case RESULT_TO:
                    if (job.sets.sequence(set) == sequences[i] && job.sets.isDone(set))
                    {
                        proxy.result(job, set, job.peerOf(ranks[i]));
                    }
                    break;
                default:
                    flushNack(job, i);
            }
        }
        Arrays.fill(jobs, 0, size, null);
        size = 0;
    }

    /**
     * A NACK range, less the chunks whose contributions arrived since or whose sets moved on.
     */
    private void flushNack(final Job job, final int i)
    {
        final SlotSets sets = job.sets;
        final int rank = ranks[i];
        final int end = sequences[i] + counts[i];
        int first = sequences[i];
        for (int sequence = first; sequence - end <= 0; sequence++)
        {
            boolean missing = false;
            if (sequence != end)
            {
                final int set = sets.setOf(sequence);
                missing = sets.sequence(set) != sequence ||
                    sets.isOpen(set) && !sets.hasContributed(set, rank);
            }
            if (!missing)
            {
                if (sequence - first > 0)
                {
                    proxy.nack(job, first, sequence - first, rounds[i], timesNs[i], rank, job.peerOf(rank));
                }
                first = sequence + 1;
            }
        }
    }

    private boolean add(
        final byte kind, final Job job, final int set, final int sequence, final int round, final int rank,
        final long timeNs)
    {
        if (size == CAPACITY)
        {
            return false;
        }
        kinds[size] = kind;
        jobs[size] = job;
        sets[size] = set;
        sequences[size] = sequence;
        counts[size] = 0;
        rounds[size] = round;
        ranks[size] = rank;
        timesNs[size] = timeNs;
        size++;
        return true;
    }
}
