package dev.ina.aggregation;

import dev.ina.codec.SumAccumulator;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.JobSpec;
import dev.ina.protocol.RankBitmap;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The slot sets of one job: per set the chunk it holds, its state, the ranks that contributed, the exponents and
 * the running sums. Owned by the aggregation engine's thread.
 * <p>
 * The job owns {@code window} slots with two sets each. Chunk sequence {@code s} maps to slot
 * {@code s & (window - 1)} and set {@code (s >>> log2(window)) & 1}, so a set is reused by sequence
 * {@code s + 2 * window}. A worker sends {@code s} only after it received the result of {@code s - window}, and
 * that result exists only once every rank sent {@code s - window}, which each did only after receiving the result
 * of {@code s - 2 * window}: when {@code s} arrives, every rank has the set's previous result, and it may be
 * reset. A set therefore accepts exactly one new sequence, {@code previous + 2 * window}, and only once finished.
 * <p>
 * In bounded mode a worker may give a chunk up (fill it locally) and move on, so the invariant is weaker: a set
 * accepts any later sequence of its own once finished, or once its deadline has passed; an unfinished set is then
 * first finished with what it holds (if that reaches the quorum) or abandoned. A contribution or RESEND for an
 * older sequence is answered with GONE. A set whose chunk a rank has moved past without contributing (it gave the
 * chunk up) can no longer count on that rank: it finishes if it has the quorum, else it is given up
 * ({@link #GIVEN_UP}) and its contributors are told GONE. In bounded mode the deadline runs from the moment the set
 * reached the quorum: it bounds how long a chunk waits for stragglers, not for the ranks it needs.
 */
final class SlotSets
{
    /** A set that has held no chunk yet. */
    static final byte EMPTY = 0;
    /** A set summing a chunk. */
    static final byte OPEN = 1;
    /** A set whose chunk finished; its result is kept for ranks that ask again. */
    static final byte DONE = 2;
    /** Bounded mode: a set given up before the quorum (a rank moved past it without contributing): GONE. */
    static final byte GIVEN_UP = 3;

    private final int window;
    private final int windowShift;
    private final int worldSize;
    private final int quorum;
    private final int[] sequence;
    private final byte[] state;
    private final int[] elements;
    private final byte[] exponent;
    private final byte[] nextExponent;
    private final byte[] flags;
    private final int[] round;
    private final long[] firstNs;
    private final long[] lastNs;
    private final long[] quorumNs;
    private final long[] nextNackNs;
    private final byte[] nackRounds;
    private final RankBitmap[] seen;
    private final SumAccumulator sums;

    SlotSets(final JobSpec spec)
    {
        window = spec.window();
        windowShift = spec.windowShift();
        worldSize = spec.worldSize();
        quorum = spec.isBounded() ? spec.quorum() : worldSize;
        final int sets = spec.sets();
        sequence = new int[sets];
        state = new byte[sets];
        elements = new int[sets];
        exponent = new byte[sets];
        nextExponent = new byte[sets];
        flags = new byte[sets];
        round = new int[sets];
        firstNs = new long[sets];
        lastNs = new long[sets];
        quorumNs = new long[sets];
        nextNackNs = new long[sets];
        nackRounds = new byte[sets];
        seen = new RankBitmap[sets];
        for (int set = 0; set < sets; set++)
        {
            // As if the set had just finished the sequence two windows before its first one.
            sequence[set] = (set >>> 1) + (set & 1) * window - 2 * window;
            state[set] = EMPTY;
            seen[set] = new RankBitmap(worldSize);
        }
        sums = SumAccumulator.create(spec.codec(), sets, spec.elementsPerPacket(), worldSize);
    }

    /**
     * Bytes of the slot pool a job of this spec holds: its sums plus the per-set bookkeeping.
     */
    static long sizeOf(final JobSpec spec)
    {
        final int sets = spec.sets();
        return SumAccumulator.sizeOf(spec.codec(), sets, spec.elementsPerPacket()) +
            (long)sets * (3 * Integer.BYTES + 5 + 4 * Long.BYTES + RankBitmap.lengthFor(spec.worldSize()));
    }

    int sets()
    {
        return state.length;
    }

    int slotOf(final int sequence)
    {
        return sequence & (window - 1);
    }

    int shadowOf(final int sequence)
    {
        return FrameDescriptor.shadowSetOf(sequence, windowShift);
    }

    /**
     * The set a sequence maps to.
     */
    int setOf(final int sequence)
    {
        return (slotOf(sequence) << 1) | shadowOf(sequence);
    }

    static int slotOfSet(final int set)
    {
        return set >>> 1;
    }

    static int shadowOfSet(final int set)
    {
        return set & 1;
    }

    int sequence(final int set)
    {
        return sequence[set];
    }

    boolean isOpen(final int set)
    {
        return state[set] == OPEN;
    }

    boolean isDone(final int set)
    {
        return state[set] == DONE;
    }

    boolean isEmpty(final int set)
    {
        return state[set] == EMPTY;
    }

    boolean isGivenUp(final int set)
    {
        return state[set] == GIVEN_UP;
    }

    int contributors(final int set)
    {
        return seen[set].count();
    }

    boolean hasContributed(final int set, final int rank)
    {
        return seen[set].has(rank);
    }

    RankBitmap seen(final int set)
    {
        return seen[set];
    }

    int elements(final int set)
    {
        return elements[set];
    }

    int exponent(final int set)
    {
        return exponent[set];
    }

    int nextExponent(final int set)
    {
        return nextExponent[set];
    }

    int flags(final int set)
    {
        return flags[set];
    }

    int round(final int set)
    {
        return round[set];
    }

    long firstNs(final int set)
    {
        return firstNs[set];
    }

    /**
     * When the set's latest contribution arrived.
     */
    long lastNs(final int set)
    {
        return lastNs[set];
    }

    /**
     * When the set reached the quorum (bounded mode: its deadline runs from here); valid once it has.
     */
    long quorumNs(final int set)
    {
        return quorumNs[set];
    }

    /**
     * When the aggregator may next NACK the ranks missing from an open set.
     */
    long nextNackNs(final int set)
    {
        return nextNackNs[set];
    }

    /**
     * NACK rounds sent for the set's chunk so far.
     */
    int nackRounds(final int set)
    {
        return nackRounds[set];
    }

    /**
     * The missing ranks were NACKed; the next round waits {@code retryNs}.
     */
    void nacked(final int set, final long nowNs, final long retryNs)
    {
        nextNackNs[set] = nowNs + retryNs;
        if (nackRounds[set] < Byte.MAX_VALUE)
        {
            nackRounds[set]++;
        }
    }

    /**
     * Starts summing a new chunk in a set: the set's previous result is no longer needed.
     */
    void reset(
        final int set, final int sequence, final int elements, final int exponent, final int round, final int flags,
        final long nowNs)
    {
        this.firstNs[set] = nowNs;
        this.lastNs[set] = nowNs;
        this.nextNackNs[set] = nowNs;
        this.nackRounds[set] = 0;
        this.sequence[set] = sequence;
        this.state[set] = OPEN;
        this.elements[set] = elements;
        this.exponent[set] = (byte)exponent;
        this.nextExponent[set] = FrameDescriptor.EXPONENT_ZERO;
        this.round[set] = round;
        this.flags[set] = (byte)flags;
        seen[set].clear();
    }

    /**
     * Adds a rank's contribution to an open set: its values (if any) and its exponent proposal. A contribution
     * quantised with another exponent (bounded mode: the rank missed an agreement) is summed at the larger of the
     * two, so no value saturates.
     *
     * @param payload       the values, {@code elements(set)} of them in the codec's wire type.
     * @param payloadOffset offset of the first value.
     * @param count         values in the payload (0 for an exponent-agreement chunk).
     * @param exponent      exponent the values were quantised with.
     * @param proposal      the rank's exponent proposal for the chunk a window ahead.
     * @param nowNs         arrival time.
     */
    void add(
        final int set,
        final int rank,
        final DirectBuffer payload,
        final int payloadOffset,
        final int count,
        final int exponent,
        final int proposal,
        final long nowNs)
    {
        if (count > 0)
        {
            final int current = this.exponent[set];
            if (seen[set].count() == 0)
            {
                sums.store(payload, payloadOffset, count, set);
            }
            else if (exponent == current)
            {
                sums.add(payload, payloadOffset, count, set);
            }
            else if (exponent > current)
            {
                sums.rescale(set, count, exponent - current);
                this.exponent[set] = (byte)exponent;
                sums.add(payload, payloadOffset, count, set);
            }
            else
            {
                sums.addShifted(payload, payloadOffset, count, set, current - exponent);
            }
        }
        seen[set].add(rank);
        nextExponent[set] = (byte)Math.max(nextExponent[set], proposal);
        lastNs[set] = nowNs;
        if (seen[set].count() == quorum)
        {
            quorumNs[set] = nowNs;
        }
    }

    /**
     * Bounded mode: gives up a set that can no longer reach the quorum.
     */
    void giveUp(final int set)
    {
        state[set] = GIVEN_UP;
    }

    /**
     * Marks a set finished; a result with fewer than every rank is flagged partial.
     *
     * @return true if the result is partial.
     */
    boolean finish(final int set)
    {
        state[set] = DONE;
        if (seen[set].count() < worldSize)
        {
            flags[set] |= FrameDescriptor.FLAG_PARTIAL;
            return true;
        }
        return false;
    }

    /**
     * Writes a finished set's sums as a RESULT payload.
     *
     * @return payload bytes written.
     */
    int encodeResult(final int set, final int jobId, final MutableDirectBuffer dst, final int dstOffset)
    {
        // The noise key depends on the job and sequence only: a resent result repeats the first one's bytes.
        return sums.encode(set, elements[set], SumAccumulator.resultNoiseKey(jobId, sequence[set]), dst, dstOffset);
    }
}
