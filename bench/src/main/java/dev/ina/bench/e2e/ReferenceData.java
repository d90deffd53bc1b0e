package dev.ina.bench.e2e;

import dev.ina.api.Codec;
import dev.ina.codec.FixedPoint;

import java.util.Locale;

/**
 * Inputs whose sum every rank knows: rank {@code r} sends {@code (r + 1) * p[i]} with {@code p[i]} a multiple of
 * 1/8 within [-1, 1], so the exact sum is {@code p[i] * n(n+1)/2}, representable in float32. A check of a few
 * dozen elements per call catches a lost, doubled or misplaced contribution at almost no cost.
 */
final class ReferenceData
{
    private static final int CHECKED_ELEMENTS = 64;
    private static float[] shared = new float[0];

    private ReferenceData()
    {
    }

    /**
     * The pattern {@code p}, shared by all ranks of this JVM (read only).
     *
     * @param count elements needed.
     * @return an array of at least {@code count} elements.
     */
    static synchronized float[] pattern(final int count)
    {
        if (shared.length < count)
        {
            final float[] p = new float[count];
            for (int i = 0; i < count; i++)
            {
                p[i] = value(i);
            }
            shared = p;
        }
        return shared;
    }

    private static float value(final int i)
    {
        return ((int)(i * 7L % 17) - 8) / 8f;
    }

    /**
     * Writes a rank's input.
     *
     * @param data    destination.
     * @param count   elements.
     * @param pattern from {@link #pattern(int)}.
     * @param rank    this rank.
     */
    static void fill(final float[] data, final int count, final float[] pattern, final int rank)
    {
        final float scale = rank + 1;
        for (int i = 0; i < count; i++)
        {
            data[i] = scale * pattern[i];
        }
    }

    /**
     * Checks a SUM result at a few elements spread over the tensor, the first and the last included.
     *
     * @param data      the result.
     * @param count     elements.
     * @param worldSize ranks.
     * @param codec     codec (sets the tolerance).
     * @param where     what the check is, for the message.
     * @throws IllegalStateException naming the element, the value and the expected value when one is wrong.
     */
    static void check(final float[] data, final int count, final int worldSize, final Codec codec, final String where)
    {
        final double ranks = worldSize * (worldSize + 1) / 2.0;
        final double tolerance = tolerance(codec, worldSize);
        final int checks = Math.min(count, CHECKED_ELEMENTS);
        for (int k = 0; k < checks; k++)
        {
            final int i = checks == 1 ? 0 : (int)((long)k * (count - 1) / (checks - 1));
            final double expected = value(i) * ranks;
            if (!(Math.abs(data[i] - expected) <= tolerance))
            {
                throw new IllegalStateException(String.format(Locale.ROOT,
                    "WRONG RESULT %s: element %d is %s, expected %s (tolerance %.3g for %s, %d ranks)",
                    where, i, data[i], expected, tolerance, codec, worldSize));
            }
        }
    }

    /**
     * Largest error a correct sum may have here: for scaled codecs twice the library's bound at the largest chunk
     * exponent these inputs can have ({@link FixedPoint#sumErrorBound(Codec, int, int)}); for float32 a few ulps
     * (these sums are exact). Plus the final rounding to float.
     *
     * @param codec     codec.
     * @param worldSize ranks.
     * @return absolute tolerance.
     */
    static double tolerance(final Codec codec, final int worldSize)
    {
        // Inputs are at most worldSize in magnitude, and every chunk of 17 or more elements holds one that large.
        final int exponent = Math.getExponent((float)worldSize);
        final double rounding = 4.0 * worldSize * worldSize * Math.ulp(1.0f);
        return codec.isScaled() ? 2 * FixedPoint.sumErrorBound(codec, worldSize, exponent) + rounding : rounding;
    }
}
