package dev.ina.aggregation;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.codec.SumAccumulator;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * State of one job session at the aggregator: membership and its slot sets. Owned by the aggregation engine's
 * thread.
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
 * older sequence is answered with GONE.
 */
final class Job
{
    static final byte SET_EMPTY = 0;
    static final byte SET_OPEN = 1;
    static final byte SET_DONE = 2;

    static final long MIN_ABSENT_AFTER_NS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long MIN_ADAPTIVE_DEADLINE_NS = TimeUnit.MICROSECONDS.toNanos(200);
    static final int ADAPTIVE_SAMPLES = 256;
    static final int ADAPTIVE_UPDATE_EVERY = 64;

    final int jobId;
    final Codec codec;
    final int worldSize;
    final int window;
    final int windowShift;
    final int elementsPerPacket;
    final int mode;
    final boolean bounded;
    final int quorum;
    final long deadlineNs;
    final boolean adaptiveDeadline;
    final long absentAfterNs;
    long effectiveDeadlineNs;
    final int token;
    final long poolBytes;
    final int words;

    final int[] rankPeer;
    final int[] rankNonce;
    final long[] joined;
    int joinedCount;
    final long[] left;
    int leftCount;
    boolean started;
    final long createdNs;
    long lastActivityNs;

    final int[] setSequence;
    final byte[] setState;
    final int[] setCount;
    final int[] setElements;
    final byte[] setExponent;
    final byte[] setNextExponent;
    final byte[] setFlags;
    final int[] setRound;
    final long[] setSeen;
    final long[] setFirstNs;
    final SumAccumulator sums;

    // Bounded mode: when each rank was last heard from; a rank silent for absentAfterNs is not waited for.
    final long[] rankHeardNs;
    final boolean[] rankPresent;
    int presentCount;

    // Adaptive deadline: recent complete chunks' times from first to last contribution.
    final long[] completionSamples;
    final long[] sortScratch;
    int completionSampleCount;

    Job(
        final int jobId,
        final Codec codec,
        final int worldSize,
        final int window,
        final int elementsPerPacket,
        final int mode,
        final int quorum,
        final long deadlineNs,
        final boolean adaptiveDeadline,
        final int token,
        final long nowNs)
    {
        this.jobId = jobId;
        this.codec = codec;
        this.worldSize = worldSize;
        this.window = window;
        this.windowShift = Integer.numberOfTrailingZeros(window);
        this.elementsPerPacket = elementsPerPacket;
        this.mode = mode;
        this.bounded = mode == Mode.BOUNDED.id();
        this.quorum = quorum;
        this.deadlineNs = deadlineNs;
        this.adaptiveDeadline = adaptiveDeadline;
        this.effectiveDeadlineNs = deadlineNs;
        this.absentAfterNs = Math.max(4 * deadlineNs, MIN_ABSENT_AFTER_NS);
        this.token = token;
        this.words = ControlFlyweight.wordsFor(worldSize);
        this.poolBytes = poolBytes(codec, window, elementsPerPacket, worldSize);
        this.createdNs = nowNs;
        this.lastActivityNs = nowNs;

        rankPeer = new int[worldSize];
        rankNonce = new int[worldSize];
        joined = new long[words];
        left = new long[words];

        final int sets = 2 * window;
        setSequence = new int[sets];
        setState = new byte[sets];
        setCount = new int[sets];
        setElements = new int[sets];
        setExponent = new byte[sets];
        setNextExponent = new byte[sets];
        setFlags = new byte[sets];
        setRound = new int[sets];
        setSeen = new long[sets * words];
        setFirstNs = new long[sets];
        rankHeardNs = new long[worldSize];
        rankPresent = new boolean[worldSize];
        completionSamples = new long[adaptiveDeadline ? ADAPTIVE_SAMPLES : 0];
        sortScratch = new long[completionSamples.length];
        for (int set = 0; set < sets; set++)
        {
            // As if the set had just finished the sequence two windows before its first one.
            final int slot = set >>> 1;
            final int shadow = set & 1;
            setSequence[set] = slot + shadow * window - 2 * window;
            setState[set] = SET_EMPTY;
        }
        sums = SumAccumulator.create(codec, sets, elementsPerPacket, worldSize);
    }

    /**
     * Bounded mode: marks every rank present as of now (at start, so that no rank counts as absent before it had a
     * chance to send).
     */
    void markAllPresent(final long nowNs)
    {
        Arrays.fill(rankHeardNs, nowNs);
        Arrays.fill(rankPresent, true);
        presentCount = worldSize;
    }

    /**
     * Bounded mode: a frame from a rank proves it is alive.
     */
    void heard(final int rank, final long nowNs)
    {
        rankHeardNs[rank] = nowNs;
        if (!rankPresent[rank] && !hasBit(left, 0, rank))
        {
            rankPresent[rank] = true;
            presentCount++;
        }
    }

    /**
     * Bounded mode: ranks that left or were silent for {@link #absentAfterNs} are no longer waited for.
     */
    void updatePresence(final long nowNs)
    {
        for (int r = 0; r < worldSize; r++)
        {
            if (rankPresent[r] && (nowNs - rankHeardNs[r] > absentAfterNs || hasBit(left, 0, r)))
            {
                rankPresent[r] = false;
                presentCount--;
            }
        }
    }

    /**
     * Whether an open set may finish now: all ranks, or at least the quorum and either every present rank or the
     * deadline passed.
     */
    boolean mayFinish(final int set, final long nowNs)
    {
        final int count = setCount[set];
        return count == worldSize ||
            bounded && count >= quorum && (count >= presentCount || nowNs - setFirstNs[set] >= effectiveDeadlineNs);
    }

    /**
     * Adaptive deadline: records a complete chunk's time from first to last contribution (or to a straggler's late
     * one, so that a consistently slow rank raises the deadline up to the configured cap); every
     * {@link #ADAPTIVE_UPDATE_EVERY} samples the deadline becomes twice the 95th percentile of the last
     * {@link #ADAPTIVE_SAMPLES}, within [{@link #MIN_ADAPTIVE_DEADLINE_NS}, configured deadline].
     */
    void recordCompletion(final long spreadNs)
    {
        final long[] samples = completionSamples;
        samples[completionSampleCount++ & (samples.length - 1)] = spreadNs;
        if ((completionSampleCount & (ADAPTIVE_UPDATE_EVERY - 1)) == 0)
        {
            final int n = Math.min(completionSampleCount, samples.length);
            System.arraycopy(samples, 0, sortScratch, 0, n);
            Arrays.sort(sortScratch, 0, n);
            final long p95 = sortScratch[Math.min(n - 1, (int)(n * 0.95))];
            effectiveDeadlineNs = Math.max(MIN_ADAPTIVE_DEADLINE_NS, Math.min(deadlineNs, 2 * p95));
        }
    }

    static long poolBytes(final Codec codec, final int window, final int elementsPerPacket, final int worldSize)
    {
        final int sets = 2 * window;
        // Sums plus the per-set bookkeeping arrays.
        return SumAccumulator.sizeOf(codec, sets, elementsPerPacket) +
            (long)sets * (4 * Integer.BYTES + 4 + Long.BYTES * ControlFlyweight.wordsFor(worldSize));
    }

    static int setIndex(final int slot, final int shadow)
    {
        return (slot << 1) | shadow;
    }

    int slotOf(final int sequence)
    {
        return sequence & (window - 1);
    }

    int shadowOf(final int sequence)
    {
        return FrameDescriptor.shadowSetOf(sequence, windowShift);
    }

    static boolean hasBit(final long[] bitmap, final int wordBase, final int rank)
    {
        return (bitmap[wordBase + (rank >>> 6)] & (1L << rank)) != 0;
    }

    static void setBit(final long[] bitmap, final int wordBase, final int rank)
    {
        bitmap[wordBase + (rank >>> 6)] |= 1L << rank;
    }

    void resetSet(final int set, final int sequence, final int elements, final int exponent, final int round,
        final int flags, final long nowNs)
    {
        setFirstNs[set] = nowNs;
        setSequence[set] = sequence;
        setState[set] = SET_OPEN;
        setCount[set] = 0;
        setElements[set] = elements;
        setExponent[set] = (byte)exponent;
        setNextExponent[set] = FrameDescriptor.EXPONENT_ZERO;
        setRound[set] = round;
        setFlags[set] = (byte)flags;
        Arrays.fill(setSeen, set * words, (set + 1) * words, 0L);
    }

    String missingRanks(final long[] bitmap, final int wordBase, final int limit)
    {
        final StringBuilder sb = new StringBuilder("[");
        int listed = 0;
        for (int r = 0; r < worldSize && listed < limit; r++)
        {
            if (!hasBit(bitmap, wordBase, r))
            {
                sb.append(listed++ == 0 ? "" : ", ").append(r);
            }
        }
        return sb.append(']').toString();
    }

    String describe()
    {
        return "job " + jobId + " (worldSize=" + worldSize + ", codec=" + codec + ", window=" + window +
            ", elementsPerPacket=" + elementsPerPacket + ", mode=" + Mode.fromId(mode) +
            (bounded ? ", quorum=" + quorum + ", deadlineUs=" + TimeUnit.NANOSECONDS.toMicros(deadlineNs) +
            (adaptiveDeadline ? " adaptive" : "") : "") + ")";
    }
}
