package dev.ina.codec;

import dev.ina.api.Codec;
import dev.ina.protocol.FrameDescriptor;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * INT16, INT8 and INT8_NARROW: block-scaled values with stochastic rounding.
 * <p>
 * A value {@code x} of a chunk with agreed exponent {@code E} is scaled to {@code v = x * 2^(B - E - 1)},
 * {@code |v| < 2^B} with {@code B = bits - 1}, and rounded to {@code floor(v + u)} with {@code u} uniform in
 * {@code [0, 1)}: up with probability equal to the fraction, so {@code E[q] = v} (unbiased) and
 * {@code |q - v| < 1}. The result is saturated to {@code ±(2^B - 1)}, which binds only for values the agreed
 * exponent does not cover (a rank that missed the agreement) and for {@code v} in {@code (2^B - 1, 2^B)}.
 * <p>
 * The rounding runs on integers so that the loop vectorises: {@code t = (int)(x * 2^(B - E - 1 + F))} holds
 * {@code v} with {@code F = 30 - B} fraction bits (exact, as a float times a power of two below {@code 2^30}), and
 * {@code q = (t + u) >> F} with {@code u} the top {@code F} bits of a counter-based hash (murmur3's finaliser) of
 * the chunk's noise key and the element index. The same key gives the same noise, so a retransmission carries the
 * same payload, and error feedback can compute the residual once.
 * <p>
 * Results are sums of {@code n} quantised values, widened by the aggregator to the narrowest type that holds
 * {@code n * (2^B - 1)} ({@link Codec#bytesDown(int)}); for INT8_NARROW, int8 sums divided by {@code 2^k}
 * ({@link Codec#resultShift(int)}), which decode with {@code k} fewer magnitude bits: {@code r * 2^(E + 1 - B + k)}.
 */
final class StochasticValueCodec extends ValueCodec
{
    private static final int SUM_BITS = 30;
    static final int GOLDEN = 0x9E3779B9;

    private final Codec codec;
    private final int magnitudeBits;
    private final int resultMagnitudeBits;
    private final int fractionBits;
    private final int max;
    private final int bytesUp;
    private final int bytesDown;
    private final int[] ints;
    private final short[] shorts;
    private final byte[] bytes;
    private final int[] noiseIndex;

    StochasticValueCodec(final Codec codec, final int elementsPerPacket, final int worldSize)
    {
        super(elementsPerPacket, worldSize);
        this.codec = codec;
        this.magnitudeBits = FixedPoint.magnitudeBits(codec, worldSize);
        this.resultMagnitudeBits = magnitudeBits - codec.resultShift(worldSize);
        this.fractionBits = SUM_BITS - magnitudeBits;
        this.max = codec.maxQuantised();
        this.bytesUp = codec.bytesUp();
        this.bytesDown = codec.bytesDown(worldSize);
        ints = new int[elementsPerPacket];
        shorts = new short[elementsPerPacket];
        bytes = new byte[elementsPerPacket];
        noiseIndex = noiseIndex(elementsPerPacket);
    }

    /**
     * The table {@code i * GOLDEN} that the noise loops read instead of using the loop counter as a value.
     *
     * @param length elements.
     * @return a new table.
     */
    static int[] noiseIndex(final int length)
    {
        final int[] table = new int[length];
        for (int i = 0; i < length; i++)
        {
            table[i] = i * GOLDEN;
        }
        return table;
    }

    public Codec codec()
    {
        return codec;
    }

    public int encode(
        final float[] values,
        final int index,
        final int count,
        final int exponent,
        final int noiseKey,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        quantise(values, index, count, exponent, noiseKey);
        return BufferArrays.putNarrowed(ints, 0, bytesUp, dst, dstOffset, count, bytes, shorts);
    }

    private void quantise(final float[] values, final int index, final int count, final int exponent, final int key)
    {
        final int[] ints = this.ints;
        final int shift = magnitudeBits - exponent - 1 + fractionBits;
        final int limit = 1 << SUM_BITS;
        if (exponent == FrameDescriptor.EXPONENT_ZERO)
        {
            // Every rank's chunk is zero, so every value is (a rank that missed the agreement saturates).
            for (int i = 0; i < count; i++)
            {
                ints[i] = values[index + i] == 0.0f ? 0 : (values[index + i] > 0.0f ? max : -max);
            }
            return;
        }
        if (shift <= Float.MAX_EXPONENT)
        {
            final float scale = Math.scalb(1.0f, shift);
            // Two passes so that each vectorises: the conversion (JDK 25 vectorises it, JDK 17 does not) and an
            // int-only pass without the clamps (Math.min/max on ints stops JDK 17's vectoriser). The int pass
            // checks that no clamp could bind; if one could, the clamping loop reruns.
            for (int i = 0; i < count; i++)
            {
                ints[i] = (int)(values[index + i] * scale);
            }
            if (!roundUnclamped(count, key))
            {
                for (int i = 0; i < count; i++)
                {
                    // Clamp first: a value above the agreed exponent must not wrap when the noise is added.
                    final int t = Math.max(-limit, Math.min(limit, (int)(values[index + i] * scale)));
                    ints[i] = Math.max(-max, Math.min(max, (t + noise(key * GOLDEN, i)) >> fractionBits));
                }
            }
        }
        else
        {
            // Exponents below -98: the scale is out of float range (subnormal gradients); rare, so not vectorised.
            final double scale = Math.scalb(1.0d, shift);
            for (int i = 0; i < count; i++)
            {
                final int t = (int)Math.max(-limit, Math.min(limit, values[index + i] * scale));
                ints[i] = Math.max(-max, Math.min(max, (t + noise(key * GOLDEN, i)) >> fractionBits));
            }
        }
    }

    /**
     * Adds the noise to the scaled values in {@link #ints} and drops the fraction bits, without clamping. The result
     * equals the clamped one when every scaled value {@code t} lies in {@code [-bound, bound]},
     * {@code bound = 2^30 - 2^F}: then {@code t} is inside the first clamp and {@code (t + u) >> F} inside
     * {@code ±(2^B - 1)}, as {@code 0 <= u < 2^F}.
     *
     * @param count number of values.
     * @param key   noise key.
     * @return false if some value lies outside {@code [-bound, bound]}, in which case the caller must redo the
     *         chunk with the clamps.
     */
    private boolean roundUnclamped(final int count, final int key)
    {
        final int[] ints = this.ints;
        final int fractionBits = this.fractionBits;
        final int keyHash = key * GOLDEN;
        final int bound = (1 << SUM_BITS) - (1 << fractionBits);
        int outside = 0;
        for (int i = 0; i < count; i++)
        {
            final int t = ints[i];
            // Negative iff t is outside [-bound, bound] (either sum wraps for t near the int range's ends); an OR
            // reduction vectorises where a running min/max on JDK 17 does not.
            outside |= (t + bound) | (bound - t);
            ints[i] = (t + noise(keyHash, i)) >> fractionBits;
        }
        return outside >= 0;
    }

    /**
     * The noise of element {@code i}: the top {@code F} bits of {@code mix((key + i) * GOLDEN)}, computed as
     * {@code mix(key * GOLDEN + noiseIndex[i])} (equal modulo 2^32): the index read from an array, not the loop
     * counter used as a value, lets the loops vectorise.
     *
     * @param keyHash {@code key * GOLDEN}.
     * @param i       element index in the chunk.
     */
    private int noise(final int keyHash, final int i)
    {
        return mix(keyHash + noiseIndex[i]) >>> (Integer.SIZE - fractionBits);
    }

    /**
     * murmur3's 32-bit finaliser: a bijection that spreads consecutive keys.
     */
    static int mix(final int key)
    {
        int h = key;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    public void quantisationError(
        final float[] values,
        final int index,
        final int count,
        final int exponent,
        final float[] residual,
        final int residualIndex)
    {
        FixedPoint.residual(values, index, count, ints, exponent, magnitudeBits, residual, residualIndex);
    }

    public void decode(
        final DirectBuffer src,
        final int srcOffset,
        final int count,
        final int exponent,
        final int numerator,
        final int divisor,
        final float[] dst,
        final int dstIndex)
    {
        BufferArrays.getWidened(src, srcOffset, bytesDown, ints, count, bytes, shorts);
        FixedPoint.dequantise(ints, count, exponent, resultMagnitudeBits, numerator, divisor, dst, dstIndex);
    }
}
