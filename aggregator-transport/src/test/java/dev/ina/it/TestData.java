package dev.ina.it;

import dev.ina.api.Codec;
import dev.ina.codec.FixedPoint;

import java.util.Arrays;
import java.util.List;

/**
 * Deterministic per-rank test gradients and the independent double-precision reference checks of results.
 */
public final class TestData
{
    private TestData()
    {
    }

    /**
     * Value of element {@code i} of {@code rank} at call {@code call}: magnitudes over several binades, signs mixed.
     *
     * @param rank rank.
     * @param call call number.
     * @param i    element.
     * @return value.
     */
    public static float value(final int rank, final int call, final long i)
    {
        long h = i * 0x9E3779B97F4A7C15L + (rank + 1) * 0xC2B2AE3D27D4EB4FL + (call + 1) * 0x165667B19E3779F9L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        final float unit = (h & 0xFFFFFF) / (float)0x1000000 - 0.5f;
        return Math.scalb(unit, (int)((h >>> 24) & 7) - 4);
    }

    /**
     * Fills an array with a rank's values.
     *
     * @param data array.
     * @param rank rank.
     * @param call call number.
     */
    public static void fill(final float[] data, final int rank, final int call)
    {
        for (int i = 0; i < data.length; i++)
        {
            data[i] = value(rank, call, i);
        }
    }

    /**
     * Checks a SUM (or AVG when {@code average}) result against the double reference within the codec's bound.
     *
     * @param result            values to check.
     * @param worldSize         ranks.
     * @param call              call number the inputs were made with.
     * @param codec             codec.
     * @param elementsPerPacket chunk size.
     * @param average           whether the result is an average.
     * @return null if all are within bound, else a description of the first bad element.
     */
    public static String check(
        final float[] result,
        final int worldSize,
        final int call,
        final Codec codec,
        final int elementsPerPacket,
        final boolean average)
    {
        for (int start = 0; start < result.length; start += elementsPerPacket)
        {
            final int end = Math.min(result.length, start + elementsPerPacket);
            int maxExponent = Integer.MIN_VALUE;
            for (int i = start; i < end; i++)
            {
                for (int r = 0; r < worldSize; r++)
                {
                    maxExponent = Math.max(maxExponent, Math.getExponent(value(r, call, i)));
                }
            }
            for (int i = start; i < end; i++)
            {
                double reference = 0;
                double magnitude = 0;
                for (int r = 0; r < worldSize; r++)
                {
                    final float v = value(r, call, i);
                    reference += v;
                    magnitude += Math.abs(v);
                }
                double bound = codec.isScaled() ?
                    FixedPoint.sumErrorBound(codec, worldSize, maxExponent) :
                    worldSize * magnitude * Math.ulp(1.0f);
                if (average)
                {
                    reference /= worldSize;
                    bound /= worldSize;
                }
                bound += Math.ulp(result[i]);
                if (!(Math.abs(result[i] - reference) <= bound))
                {
                    return "element " + i + ": got " + result[i] + ", reference " + reference + ", bound " + bound;
                }
            }
        }
        return null;
    }

    /**
     * Checks that every rank received bit-identical results ({@link Arrays#equals(float[], float[])}) and that
     * rank 0's result is within the codec's bound of the double reference ({@link #check}).
     *
     * @param perRank           each rank's result, in rank order.
     * @param worldSize         ranks that contributed.
     * @param call              call number the inputs were made with.
     * @param codec             codec.
     * @param elementsPerPacket chunk size.
     * @param average           whether the result is an average.
     * @return null if all agree and are within bound, else a description of the first difference or bad element.
     */
    public static String checkRanks(
        final List<float[]> perRank,
        final int worldSize,
        final int call,
        final Codec codec,
        final int elementsPerPacket,
        final boolean average)
    {
        final float[] first = perRank.get(0);
        for (int rank = 1; rank < perRank.size(); rank++)
        {
            final float[] other = perRank.get(rank);
            if (!Arrays.equals(first, other))
            {
                if (first.length != other.length)
                {
                    return "rank " + rank + " has " + other.length + " elements, rank 0 has " + first.length;
                }
                int i = 0;
                while (Float.floatToIntBits(first[i]) == Float.floatToIntBits(other[i]))
                {
                    i++;
                }
                return "rank " + rank + " differs from rank 0 at element " + i + ": " + other[i] + " vs " + first[i];
            }
        }
        return check(first, worldSize, call, codec, elementsPerPacket, average);
    }
}
