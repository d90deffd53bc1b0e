package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.codec.FixedPoint;

import java.util.SplittableRandom;

/**
 * Independent double-precision references for all-reduce results, the codecs' error bounds, and reproducible test
 * gradients.
 * <p>
 * Bounds, per element {@code i} of chunk {@code c}, with {@code n} ranks and reference {@code ref = sum of the
 * ranks' values in double}:
 * <ul>
 * <li>FIXED32: {@code |result - ref| <= n * 2^(E - B) + ulp(result)}, {@code E} the largest
 * {@link Math#getExponent(float)} over every rank's values in the chunk and
 * {@code B = FixedPoint.magnitudeBits(32, n)}: each rank's value is rounded to a multiple of {@code 2^(E + 1 - B)},
 * the integer sum is exact and the conversion to float rounds once.</li>
 * <li>INT16, INT8: {@code |result - ref| <= n * 2^(E + 1 - B) + ulp(result)}, {@code B} = 15 or 7: stochastic
 * rounding of each rank's value, less than one step each.</li>
 * <li>INT8_NARROW: INT8's bound plus {@code 2^k} steps {@code 2^(E - 6)}, {@code k = ceil(log2 n)} (0 for one
 * rank): the aggregator's stochastic rounding of the sum to a multiple of {@code 2^k} steps. Computed here, not
 * taken from the library.</li>
 * <li>FP32: {@code |result - ref| <= n * 2^-23 * sum_r |v_r| + ulp(result)}: float additions in any order.</li>
 * <li>AVG divides the reference and the accumulated part of the bound by {@code n}.</li>
 * </ul>
 */
public final class ReferenceSums
{
    private ReferenceSums()
    {
    }

    /**
     * Checks a result against the reference within the codec's bound.
     *
     * @param inputs            each rank's input values (not overwritten), all of the result's length.
     * @param result            the all-reduce result to check.
     * @param elementsPerPacket chunk size the call used.
     * @param codec             codec.
     * @param op                reduction.
     * @return null if every element is within its bound, else a description of the first that is not.
     */
    public static String check(
        final float[][] inputs, final float[] result, final int elementsPerPacket, final Codec codec, final ReduceOp op)
    {
        final int n = inputs.length;
        for (int start = 0; start < result.length; start += elementsPerPacket)
        {
            final int end = Math.min(result.length, start + elementsPerPacket);
            final int maxExponent = maxExponent(inputs, start, end);
            for (int i = start; i < end; i++)
            {
                double reference = 0;
                double magnitude = 0;
                for (final float[] input : inputs)
                {
                    reference += input[i];
                    magnitude += Math.abs(input[i]);
                }
                double bound = codec.isScaled() ?
                    sumErrorBound(codec, n, maxExponent) :
                    n * magnitude * Math.scalb(1.0d, -23);
                if (op == ReduceOp.AVG)
                {
                    reference /= n;
                    bound /= n;
                }
                bound += Math.ulp(result[i]);
                final double error = Math.abs(result[i] - reference);
                if (!(error <= bound))
                {
                    return codec + " " + op + " element " + i + " (chunk " + start / elementsPerPacket + ", E=" +
                        maxExponent + "): got " + result[i] + ", reference " + reference + ", error " + error +
                        " > bound " + bound;
                }
            }
        }
        return null;
    }

    /**
     * The error bound of a scaled codec's sum: {@link FixedPoint#sumErrorBound(Codec, int, int)} for FIXED32, INT16
     * and INT8; for INT8_NARROW, INT8's plus the result rounding's {@code 2^k} steps, computed here.
     *
     * @param codec     FIXED32, INT16, INT8 or INT8_NARROW.
     * @param worldSize ranks summed, the job's world size.
     * @param exponent  largest exponent of the chunk's values.
     * @return the bound before the final rounding to float.
     */
    public static double sumErrorBound(final Codec codec, final int worldSize, final int exponent)
    {
        if (codec != Codec.INT8_NARROW)
        {
            return FixedPoint.sumErrorBound(codec, worldSize, exponent);
        }
        int k = 0;
        while (1 << k < worldSize)
        {
            k++;
        }
        final double step = Math.scalb(1.0d, exponent - 6);
        return FixedPoint.sumErrorBound(Codec.INT8, worldSize, exponent) + (k == 0 ? 0 : (1 << k) * step);
    }

    /**
     * INT8_NARROW's result for an exact sum, written out from its definition with long arithmetic:
     * {@code floor((sum + u) / 2^shift)}, {@code u} = {@link #resultNoise}.
     *
     * @param sum   exact sum of the quantised contributions.
     * @param key   the result's noise key.
     * @param index element index in the chunk.
     * @param shift {@code ceil(log2 n)}; 0 gives the sum.
     * @return the int8 the aggregator must send.
     */
    public static long narrowedResult(final long sum, final int key, final int index, final int shift)
    {
        return shift == 0 ? sum : Math.floorDiv(sum + resultNoise(key, index, shift), 1L << shift);
    }

    /**
     * The rounding noise of element {@code index}, from its definition: murmur3's fmix32 of
     * {@code (key + index) * 0x9E3779B9} as an unsigned 32-bit value, divided by {@code 2^(32 - shift)}.
     *
     * @param key   noise key.
     * @param index element index.
     * @param shift bits of noise, 1 to 31.
     * @return a value in {@code [0, 2^shift)}.
     */
    public static long resultNoise(final int key, final int index, final int shift)
    {
        long h = ((long)key + index) * 0x9E3779B9L & 0xFFFF_FFFFL;
        h ^= h >>> 16;
        h = h * 0x85EBCA6BL & 0xFFFF_FFFFL;
        h ^= h >>> 13;
        h = h * 0xC2B2AE35L & 0xFFFF_FFFFL;
        h ^= h >>> 16;
        return h >>> (32 - shift);
    }

    /**
     * The largest float exponent over every rank's values in a range.
     *
     * @param inputs each rank's values.
     * @param start  first element.
     * @param end    one past the last element.
     * @return the largest {@link Math#getExponent(float)}; {@code -127} for zeros.
     */
    public static int maxExponent(final float[][] inputs, final int start, final int end)
    {
        int max = Integer.MIN_VALUE;
        for (final float[] input : inputs)
        {
            for (int i = start; i < end; i++)
            {
                max = Math.max(max, Math.getExponent(input[i]));
            }
        }
        return max;
    }

    /**
     * Reproducible gradient values: signs mixed, magnitudes over many binades around a random scale, with single
     * zeros, runs of zeros, and now and then a subnormal.
     *
     * @param seed  seed; the same seed gives the same values.
     * @param count number of values.
     * @return a new array.
     */
    public static float[] gradient(final long seed, final int count)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int scale = random.nextInt(-24, 25);
        final float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            final double p = random.nextDouble();
            if (p < 0.02)
            {
                final int run = random.nextInt(1, 40);
                i += run - 1;
                continue;
            }
            if (p < 0.06)
            {
                values[i] = 0.0f;
            }
            else if (p < 0.07)
            {
                values[i] = Float.MIN_VALUE * random.nextInt(1, 1 << 20) * (random.nextBoolean() ? 1 : -1);
            }
            else
            {
                final float unit = (float)(random.nextDouble() * 2 - 1);
                values[i] = Math.scalb(unit, scale + random.nextInt(-12, 13));
            }
        }
        return values;
    }

    /**
     * One gradient per rank.
     *
     * @param seed      seed of the first rank; the others derive from it.
     * @param worldSize ranks.
     * @param count     values per rank.
     * @return a new array of arrays.
     */
    public static float[][] gradients(final long seed, final int worldSize, final int count)
    {
        final float[][] data = new float[worldSize][];
        for (int r = 0; r < worldSize; r++)
        {
            data[r] = gradient(seed * 1_000_003L + r, count);
        }
        return data;
    }

    /**
     * A deep copy.
     *
     * @param data arrays to copy.
     * @return new arrays with the same values.
     */
    public static float[][] copy(final float[][] data)
    {
        final float[][] copy = new float[data.length][];
        for (int r = 0; r < data.length; r++)
        {
            copy[r] = data[r].clone();
        }
        return copy;
    }
}
