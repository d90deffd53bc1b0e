package dev.ina.examples.common;

import dev.ina.api.Codec;
import dev.ina.codec.FixedPoint;

/**
 * Deterministic gradients for the examples: every rank can compute every other rank's values, so each worker
 * checks its all-reduce result against an independent double-precision reference without any extra traffic.
 */
public final class SyntheticGradients
{
    private SyntheticGradients()
    {
    }

    /**
     * Value of element {@code i} of rank {@code rank} at step {@code step}: spread over several orders of magnitude.
     *
     * @param rank worker rank.
     * @param step call number.
     * @param i    element index.
     * @return the value.
     */
    public static float value(final int rank, final int step, final long i)
    {
        long h = i * 0x9E3779B97F4A7C15L + rank * 0xC2B2AE3D27D4EB4FL + step * 0x165667B19E3779F9L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        final float unit = (h & 0xFFFFFF) / (float)0x1000000 - 0.5f;
        final int magnitude = (int)((h >>> 24) & 7) - 4;
        return Math.scalb(unit, magnitude);
    }

    /**
     * Fills an array with a rank's values.
     *
     * @param data array to fill.
     * @param rank worker rank.
     * @param step call number.
     */
    public static void fill(final float[] data, final int rank, final int step)
    {
        for (int i = 0; i < data.length; i++)
        {
            data[i] = value(rank, step, i);
        }
    }

    /**
     * Checks a SUM result against the double-precision reference over all ranks.
     *
     * @param result            the all-reduced values.
     * @param worldSize         ranks.
     * @param step              call number.
     * @param codec             codec used.
     * @param elementsPerPacket chunk size (the fixed-point bounds are per chunk).
     * @return the index of the first element out of bounds, or -1 if all are within the codec's bound.
     */
    public static long firstMismatch(
        final float[] result, final int worldSize, final int step, final Codec codec, final int elementsPerPacket)
    {
        for (int start = 0; start < result.length; start += elementsPerPacket)
        {
            final int end = Math.min(result.length, start + elementsPerPacket);
            int maxExponent = Integer.MIN_VALUE;
            for (int i = start; i < end; i++)
            {
                for (int r = 0; r < worldSize; r++)
                {
                    maxExponent = Math.max(maxExponent, Math.getExponent(value(r, step, i)));
                }
            }
            for (int i = start; i < end; i++)
            {
                double reference = 0;
                double magnitude = 0;
                for (int r = 0; r < worldSize; r++)
                {
                    final float v = value(r, step, i);
                    reference += v;
                    magnitude += Math.abs(v);
                }
                final double bound = codec.isScaled() ?
                    FixedPoint.sumErrorBound(codec, worldSize, maxExponent) + Math.ulp(result[i]) :
                    worldSize * magnitude * Math.ulp(1.0f) + Math.ulp(result[i]);
                if (!(Math.abs(result[i] - reference) <= bound))
                {
                    return i;
                }
            }
        }
        return -1;
    }
}
