package dev.ina.codec;

import dev.ina.api.Codec;
import dev.ina.protocol.FrameDescriptor;

/**
 * Fixed-point arithmetic shared by the scaled codecs.
 * <p>
 * A chunk's exponent {@code E} is the largest {@link Math#getExponent(float)} of its values, so every value has
 * a magnitude below {@code 2^(E+1)}. With {@code n} ranks, values are scaled to {@code B = bits - 1 - h}
 * magnitude bits, {@code h = ceil(log2 n)} bits of headroom: each quantised value is at most {@code 2^B} in
 * magnitude and the sum of {@code n} of them at most {@code 2^(bits-1-h+h) / 2}, so it cannot overflow. The
 * exponent agreed for a chunk is the maximum over ranks; a chunk of zeros proposes
 * {@link FrameDescriptor#EXPONENT_ZERO}.
 */
public final class FixedPoint
{
    /** Returned by {@link #exponentOf} when a value is NaN or infinite. */
    public static final int NON_FINITE = Integer.MIN_VALUE;

    private FixedPoint()
    {
    }

    /**
     * Bits of headroom that {@code worldSize} summands need.
     *
     * @param worldSize number of ranks, at least 1.
     * @return {@code ceil(log2(worldSize))}.
     */
    public static int headroomBits(final int worldSize)
    {
        return 32 - Integer.numberOfLeadingZeros(worldSize - 1);
    }

    /**
     * Magnitude bits of one quantised value for a signed integer of {@code bits} bits and {@code worldSize} ranks.
     *
     * @param bits      width of the sum's integer type, e.g. 32.
     * @param worldSize number of ranks.
     * @return {@code bits - 2 - ceil(log2 n)}: one bit for the sign and one so that {@code n * 2^B} stays below
     *         the type's maximum.
     */
    public static int magnitudeBits(final int bits, final int worldSize)
    {
        return bits - 2 - headroomBits(worldSize);
    }

    /**
     * Magnitude bits of one quantised value of a scaled codec.
     *
     * @param codec     FIXED32, INT16, INT8 or INT8_NARROW.
     * @param worldSize number of ranks.
     * @return {@link #magnitudeBits(int, int) magnitudeBits(32, n)} for FIXED32, whose int32 sums need headroom;
     *         {@code bits - 1} for the narrow codecs, whose sums the aggregator widens (INT8_NARROW's results have
     *         {@link Codec#resultShift(int)} fewer).
     */
    public static int magnitudeBits(final Codec codec, final int worldSize)
    {
        return codec.isStochastic() ? codec.bits() - 1 : magnitudeBits(Integer.SIZE, worldSize);
    }

    /**
     * How far a chunk's sum of {@code worldSize} contributions can be from the exact sum, before the final rounding
     * to float, for any scaled codec: FIXED32 rounds to nearest (half a step per value), INT16 and INT8 round
     * stochastically (less than one step per value, zero on average), and INT8_NARROW adds the aggregator's
     * stochastic rounding of the sum to a multiple of {@code 2^k} steps, {@code k = }{@link Codec#resultShift(int)}
     * (less than {@code 2^k} steps, zero on average; none when {@code k = 0}).
     *
     * @param codec     FIXED32, INT16, INT8 or INT8_NARROW.
     * @param worldSize ranks summed, which is also the job's world size.
     * @param exponent  agreed chunk exponent E.
     * @return the bound.
     */
    public static double sumErrorBound(final Codec codec, final int worldSize, final int exponent)
    {
        if (!codec.isStochastic())
        {
            return sumErrorBound(worldSize, exponent);
        }
        final int resultShift = codec.resultShift(worldSize);
        final int steps = worldSize + (resultShift == 0 ? 0 : 1 << resultShift);
        return steps * Math.scalb(1.0d, exponent + 1 - magnitudeBits(codec, worldSize));
    }

    /**
     * Exponent proposal of a run of values: the largest float exponent among them.
     *
     * @param values array holding the values.
     * @param index  first value.
     * @param count  number of values.
     * @return the largest {@link Math#getExponent(float)} of a non-zero value, {@link FrameDescriptor#EXPONENT_ZERO}
     *         if all are zero, or {@link #NON_FINITE} if one is NaN or infinite.
     */
    public static int exponentOf(final float[] values, final int index, final int count)
    {
        // Four running maxima over the four quarters of the run: Math.max propagates NaN, so one check after the
        // loop finds it. The loop vectorises (a loop over the raw bits does not on JDK 17), and four independent
        // reductions hide the latency of the one chain a single maximum would be (3-4x faster on JDK 25, within
        // 5 % on JDK 17; see CodecBenchmark.exponentOf). The maximum of magnitudes does not depend on order.
        final int quarter = count >> 2;
        float max0 = 0.0f;
        float max1 = 0.0f;
        float max2 = 0.0f;
        float max3 = 0.0f;
        for (int i = index, end = index + quarter; i < end; i++)
        {
            max0 = Math.max(max0, Math.abs(values[i]));
            max1 = Math.max(max1, Math.abs(values[i + quarter]));
            max2 = Math.max(max2, Math.abs(values[i + 2 * quarter]));
            max3 = Math.max(max3, Math.abs(values[i + 3 * quarter]));
        }
        for (int i = index + 4 * quarter, end = index + count; i < end; i++)
        {
            max0 = Math.max(max0, Math.abs(values[i]));
        }
        final float max = Math.max(Math.max(max0, max1), Math.max(max2, max3));
        if (max == 0.0f)
        {
            return FrameDescriptor.EXPONENT_ZERO;
        }
        if (!Float.isFinite(max))
        {
            return NON_FINITE;
        }
        return Math.getExponent(max);
    }

    /**
     * The documented FIXED32 guarantee: how far a chunk's sum of {@code worldSize} contributions can be from the
     * exact sum, before the final rounding to float. Each value is rounded to the nearest multiple of
     * {@code 2^(E + 1 - B)}, so each is off by at most {@code 2^(E - B)}.
     *
     * @param worldSize ranks summed.
     * @param exponent  agreed chunk exponent E (largest {@link Math#getExponent(float)} over all ranks' values).
     * @return the bound, {@code worldSize * 2^(E - B)} with {@code B = magnitudeBits(32, worldSize)}.
     */
    public static double sumErrorBound(final int worldSize, final int exponent)
    {
        return worldSize * Math.scalb(1.0d, exponent - magnitudeBits(Integer.SIZE, worldSize));
    }

    /**
     * Factor that maps a value of a chunk with exponent {@code exponent} to its integer representation.
     *
     * @param exponent      agreed chunk exponent, not {@link FrameDescriptor#EXPONENT_ZERO}.
     * @param magnitudeBits from {@link #magnitudeBits}.
     * @return {@code 2^(magnitudeBits - exponent - 1)}.
     */
    public static double scale(final int exponent, final int magnitudeBits)
    {
        return Math.scalb(1.0d, magnitudeBits - exponent - 1);
    }

    /**
     * Factor that maps an integer sum back to a value: the inverse of {@link #scale}.
     *
     * @param exponent      agreed chunk exponent.
     * @param magnitudeBits from {@link #magnitudeBits}.
     * @return {@code 2^(exponent + 1 - magnitudeBits)}, or 0 for {@link FrameDescriptor#EXPONENT_ZERO}.
     */
    public static double unscale(final int exponent, final int magnitudeBits)
    {
        if (exponent == FrameDescriptor.EXPONENT_ZERO)
        {
            return 0.0d;
        }
        return Math.scalb(1.0d, exponent + 1 - magnitudeBits);
    }

    /**
     * Turns integer sums into values: {@code sum * 2^(E + 1 - B) * numerator / divisor}, exact in double up to the
     * one division and the final rounding to float, so every worker gets the same bits.
     *
     * @param sums          integer sums.
     * @param count         number of sums.
     * @param exponent      agreed chunk exponent.
     * @param magnitudeBits B of the codec.
     * @param numerator     1, or the world size to extrapolate a partial SUM.
     * @param divisor       1, or the contributors for AVG and partial SUM.
     * @param dst           array to write.
     * @param dstIndex      first element to write.
     */
    static void dequantise(
        final int[] sums,
        final int count,
        final int exponent,
        final int magnitudeBits,
        final int numerator,
        final int divisor,
        final float[] dst,
        final int dstIndex)
    {
        final double unscale = unscale(exponent, magnitudeBits);
        if (numerator == 1 && divisor == 1)
        {
            for (int i = 0; i < count; i++)
            {
                dst[dstIndex + i] = (float)(sums[i] * unscale);
            }
        }
        else if ((divisor & (divisor - 1)) == 0)
        {
            // A power-of-two divisor: 1 / d is exact, and x * 2^-k is the same correctly rounded value as x / 2^k
            // (also when subnormal), so the multiply gives the bits of the division at a fraction of its cost.
            final double factor = unscale * numerator;
            final double reciprocal = 1.0d / divisor;
            for (int i = 0; i < count; i++)
            {
                dst[dstIndex + i] = (float)(sums[i] * factor * reciprocal);
            }
        }
        else
        {
            final double d = divisor;
            final double factor = unscale * numerator;
            for (int i = 0; i < count; i++)
            {
                dst[dstIndex + i] = (float)(sums[i] * factor / d);
            }
        }
    }

    /**
     * Error feedback: {@code residual[i] = values[i] - quantised[i] * 2^(E + 1 - B)}.
     *
     * @param values        values that were quantised.
     * @param index         first value.
     * @param count         number of values.
     * @param quantised     what they were quantised to.
     * @param exponent      exponent they were quantised with.
     * @param magnitudeBits B of the codec.
     * @param residual      array to write.
     * @param residualIndex first element to write.
     */
    static void residual(
        final float[] values,
        final int index,
        final int count,
        final int[] quantised,
        final int exponent,
        final int magnitudeBits,
        final float[] residual,
        final int residualIndex)
    {
        final double unscale = unscale(exponent, magnitudeBits);
        for (int i = 0; i < count; i++)
        {
            residual[residualIndex + i] = (float)(values[index + i] - quantised[i] * unscale);
        }
    }
}
