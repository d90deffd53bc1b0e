package dev.ina.protocol;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.Arrays;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * A set of ranks of one job, one bit per rank: who joined, who left, who contributed to a chunk, who the
 * aggregator is still waiting for. On the wire (a PENDING payload) it is {@link #wordsFor(int) ceil(n / 64)}
 * little-endian 64-bit words, bit {@code r % 64} of word {@code r / 64} for rank {@code r}.
 * <p>
 * Sized once for a world size; no operation allocates except the {@code describe} methods, which are for error
 * messages. Not thread safe.
 */
public final class RankBitmap
{
    /** At most this many ranks are named by {@link #describeMembers} and {@link #describeAbsent}. */
    public static final int MAX_DESCRIBED_RANKS = 16;

    private final long[] words;
    private final int worldSize;
    private int count;

    /**
     * An empty set of ranks.
     *
     * @param worldSize ranks the set can hold, 1 to {@link FrameDescriptor#MAX_WORLD_SIZE}.
     */
    public RankBitmap(final int worldSize)
    {
        this.worldSize = worldSize;
        this.words = new long[wordsFor(worldSize)];
    }

    /**
     * Bitmap words needed for a world size.
     *
     * @param worldSize number of ranks.
     * @return {@code ceil(worldSize / 64)}.
     */
    public static int wordsFor(final int worldSize)
    {
        return (worldSize + 63) >>> 6;
    }

    /**
     * Bytes a bitmap takes on the wire.
     *
     * @param worldSize number of ranks.
     * @return {@code 8 * wordsFor(worldSize)}.
     */
    public static int lengthFor(final int worldSize)
    {
        return wordsFor(worldSize) * Long.BYTES;
    }

    /**
     * Ranks the set can hold.
     *
     * @return world size.
     */
    public int worldSize()
    {
        return worldSize;
    }

    /**
     * Whether a rank is in the set.
     *
     * @param rank 0 to {@code worldSize - 1}.
     * @return true if present.
     */
    public boolean has(final int rank)
    {
        return (words[rank >>> 6] & (1L << rank)) != 0;
    }

    /**
     * Adds a rank.
     *
     * @param rank 0 to {@code worldSize - 1}.
     * @return true if it was not in the set before.
     */
    public boolean add(final int rank)
    {
        final long bit = 1L << rank;
        final int word = rank >>> 6;
        if ((words[word] & bit) != 0)
        {
            return false;
        }
        words[word] |= bit;
        count++;
        return true;
    }

    /**
     * Removes a rank.
     *
     * @param rank 0 to {@code worldSize - 1}.
     * @return true if it was in the set before.
     */
    public boolean remove(final int rank)
    {
        final long bit = 1L << rank;
        final int word = rank >>> 6;
        if ((words[word] & bit) == 0)
        {
            return false;
        }
        words[word] &= ~bit;
        count--;
        return true;
    }

    /**
     * Empties the set.
     */
    public void clear()
    {
        Arrays.fill(words, 0L);
        count = 0;
    }

    /**
     * Number of ranks in the set.
     *
     * @return count.
     */
    public int count()
    {
        return count;
    }

    /**
     * Whether every rank is in the set.
     *
     * @return {@code count() == worldSize()}.
     */
    public boolean isFull()
    {
        return count == worldSize;
    }

    /**
     * Writes the set as little-endian words.
     *
     * @param buffer destination.
     * @param offset of the first word.
     * @return bytes written, {@link #lengthFor(int) lengthFor(worldSize)}.
     */
    public int writeTo(final MutableDirectBuffer buffer, final int offset)
    {
        for (int i = 0; i < words.length; i++)
        {
            buffer.putLong(offset + i * Long.BYTES, words[i], LITTLE_ENDIAN);
        }
        return words.length * Long.BYTES;
    }

    /**
     * Replaces the set with one read from little-endian words; bits above the world size are ignored.
     *
     * @param buffer source, holding at least {@link #lengthFor(int) lengthFor(worldSize)} bytes at {@code offset}.
     * @param offset of the first word.
     */
    public void readFrom(final DirectBuffer buffer, final int offset)
    {
        count = 0;
        for (int i = 0; i < words.length; i++)
        {
            long word = buffer.getLong(offset + i * Long.BYTES, LITTLE_ENDIAN);
            final int ranksInWord = Math.min(64, worldSize - i * 64);
            if (ranksInWord < 64)
            {
                word &= (1L << ranksInWord) - 1;
            }
            words[i] = word;
            count += Long.bitCount(word);
        }
    }

    /**
     * The ranks in the set, for messages: e.g. {@code [1, 3]}, at most {@value #MAX_DESCRIBED_RANKS} of them
     * followed by {@code ...}. Allocates.
     *
     * @return the list.
     */
    public String describeMembers()
    {
        return describe(true);
    }

    /**
     * The ranks not in the set, for messages: e.g. {@code [0, 2]}, at most {@value #MAX_DESCRIBED_RANKS} of them
     * followed by {@code ...}. Allocates.
     *
     * @return the list.
     */
    public String describeAbsent()
    {
        return describe(false);
    }

    private String describe(final boolean members)
    {
        final StringBuilder sb = new StringBuilder("[");
        int listed = 0;
        for (int r = 0; r < worldSize; r++)
        {
            if (has(r) == members)
            {
                if (listed == MAX_DESCRIBED_RANKS)
                {
                    sb.append(", ...");
                    break;
                }
                sb.append(listed++ == 0 ? "" : ", ").append(r);
            }
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString()
    {
        return describeMembers();
    }
}
