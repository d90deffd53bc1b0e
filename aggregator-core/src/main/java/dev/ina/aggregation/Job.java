package dev.ina.aggregation;

import dev.ina.api.Codec;
import dev.ina.codec.SumAccumulator;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;

import java.util.Arrays;

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
 */
final class Job
{
    static final byte SET_EMPTY = 0;
    static final byte SET_OPEN = 1;
    static final byte SET_DONE = 2;

    final int jobId;
    final Codec codec;
    final int worldSize;
    final int window;
    final int windowShift;
    final int elementsPerPacket;
    final int mode;
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
    final SumAccumulator sums;

    Job(
        final int jobId,
        final Codec codec,
        final int worldSize,
        final int window,
        final int elementsPerPacket,
        final int mode,
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
        final int flags)
    {
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
            ", elementsPerPacket=" + elementsPerPacket + ")";
    }
}
