package dev.ina.codec;

import dev.ina.api.Codec;
import dev.ina.protocol.FrameDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential test of the codec and accumulator loops rewritten so that C2 vectorises them: the loops as they
 * were before that rewrite are copied here as the oracle, and the new code must give the same bits for random
 * inputs and the edge cases (zero chunks, subnormal-range exponents, values above the agreed exponent, values
 * rounding up to the saturation limit, -128 and -32768 raw inputs, NaN and infinities, any divisor).
 */
class VectorisedLoopsTest
{
    private static final int EPP = 1031;
    private static final int ROUNDS = 400;
    private static final int[] WORLD_SIZES = {1, 2, 3, 4, 7, 64, 258, 259, 1000};
    private static final int[] SPECIAL_INTS =
        {0, 1, -1, 127, -127, 128, -128, 129, -129, 32767, -32767, 32768, -32768, Integer.MAX_VALUE,
         Integer.MIN_VALUE, Integer.MAX_VALUE - 1, Integer.MIN_VALUE + 1};

    private final UnsafeBuffer wire = new UnsafeBuffer(new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH]);
    private final UnsafeBuffer expected = new UnsafeBuffer(new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH]);

    @Test
    void shouldFindThePreviousExponentWhenValuesAreRandomOrSpecial()
    {
        final SplittableRandom random = new SplittableRandom(1);
        final float[] values = new float[EPP + 8];
        for (int round = 0; round < ROUNDS * 5; round++)
        {
            fill(random, values, random.nextInt(-127, 128), round % 7 == 0 ? 0.05 : 0.0);
            final int index = random.nextInt(8);
            final int count = round < 40 ? round : random.nextInt(EPP + 1);
            assertEquals(
                previousExponentOf(values, index, count), FixedPoint.exponentOf(values, index, count),
                "round " + round + " count " + count);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"INT16", "INT8"})
    void shouldQuantiseToThePreviousBitsWhenTheExponentIsAgreedMissedOrZero(final Codec codec)
    {
        final SplittableRandom random = new SplittableRandom(2);
        final float[] values = new float[EPP + 8];
        final float[] residual = new float[EPP];
        final float[] expectedResidual = new float[EPP];
        final int[] quantised = new int[EPP];
        int roundedToLimit = 0;
        for (final int worldSize : WORLD_SIZES)
        {
            final StochasticValueCodec encoder = new StochasticValueCodec(codec, EPP, worldSize);
            final int magnitudeBits = FixedPoint.magnitudeBits(codec, worldSize);
            for (int round = 0; round < ROUNDS; round++)
            {
                final int valueExponent = random.nextInt(-127, 128);
                fill(random, values, valueExponent, round % 5 == 0 ? 0.01 : 0.0);
                if (round % 3 == 0)
                {
                    // The largest values below 2^(E+1): scaled within a few units of 2^30, so the noise rounds
                    // them up to 2^B, which only the clamp keeps from overflowing the narrow type.
                    for (int i = 0; i < 4; i++)
                    {
                        values[random.nextInt(values.length)] = Math.copySign(
                            Math.scalb(1.0f - Math.ulp(1.0f) * (1 + i) / 2, valueExponent + 1), random.nextInt());
                    }
                }
                final int index = random.nextInt(8);
                final int count = random.nextInt(EPP + 1);
                final int exponent = agreedExponent(random, round, values, index, count);
                final int key = random.nextInt();
                encoder.encode(values, index, count, exponent, key, wire, 0);
                encoder.quantisationError(values, index, count, exponent, residual, 0);

                previousQuantise(codec, magnitudeBits, values, index, count, exponent, key, quantised);
                putNarrowed(quantised, count, codec.bytesUp());
                assertEqualBytes(count * codec.bytesUp(), codec + " n=" + worldSize + " round " + round);
                previousResidual(values, index, count, quantised, exponent, magnitudeBits, expectedResidual);
                assertEqualBits(expectedResidual, residual, count, codec + " residual round " + round);
                for (int i = 0; i < count; i++)
                {
                    roundedToLimit += Math.abs(quantised[i]) == codec.maxQuantised() ? 1 : 0;
                }
            }
        }
        assertTrue(roundedToLimit > 100, "saturation exercised " + roundedToLimit + " times");
    }

    @Test
    void shouldDequantiseToThePreviousBitsWhenDividingByAnyDivisor()
    {
        final SplittableRandom random = new SplittableRandom(3);
        final int[] sums = new int[EPP];
        final float[] decoded = new float[EPP + 8];
        final float[] expectedDecoded = new float[EPP + 8];
        final int[] divisors = {1, 2, 3, 4, 5, 7, 8, 64, 255, 256, 1 << 30, Integer.MAX_VALUE};
        for (int round = 0; round < ROUNDS * 2; round++)
        {
            for (int i = 0; i < EPP; i++)
            {
                sums[i] = random.nextInt(4) == 0 ? SPECIAL_INTS[random.nextInt(SPECIAL_INTS.length)] :
                    random.nextInt() >> random.nextInt(32);
            }
            final int exponent = round % 50 == 0 ? FrameDescriptor.EXPONENT_ZERO : random.nextInt(-127, 128);
            final int magnitudeBits = random.nextInt(2) == 0 ? 7 : FixedPoint.magnitudeBits(32, random.nextInt(1, 9));
            final int numerator = random.nextInt(3) == 0 ? random.nextInt(1, 1000) : 1;
            final int divisor = random.nextInt(4) == 0 ? random.nextInt(1, 1 << 20) :
                divisors[random.nextInt(divisors.length)];
            final int dstIndex = random.nextInt(8);
            final int count = random.nextInt(EPP + 1);
            FixedPoint.dequantise(sums, count, exponent, magnitudeBits, numerator, divisor, decoded, dstIndex);
            previousDequantise(sums, count, exponent, magnitudeBits, numerator, divisor, expectedDecoded, dstIndex);
            assertEqualBits(expectedDecoded, decoded, dstIndex + count,
                "round " + round + " exponent " + exponent + " numerator " + numerator + " divisor " + divisor);
        }
    }

    @Test
    void shouldDecodeFloatsToThePreviousBitsWhenDividingByAnyDivisor()
    {
        final SplittableRandom random = new SplittableRandom(4);
        final ValueCodec decoder = ValueCodec.create(Codec.FP32, EPP, 4);
        final float[] values = new float[EPP + 8];
        final float[] decoded = new float[EPP + 8];
        final float[] expectedDecoded = new float[EPP + 8];
        for (int round = 0; round < ROUNDS * 2; round++)
        {
            fill(random, values, random.nextInt(-127, 128), 0.02);
            values[0] = Float.intBitsToFloat(0x7FC01234); // a quiet NaN with a payload
            final int numerator = random.nextInt(3) == 0 ? random.nextInt(1, 1000) : 1;
            final int divisor = random.nextInt(1, 20) + (random.nextInt(3) == 0 ? 1 << random.nextInt(31) : 0);
            final int count = random.nextInt(EPP + 1);
            final int dstIndex = random.nextInt(8);
            for (int i = 0; i < count; i++)
            {
                wire.putFloat(i * Float.BYTES, values[i], ByteOrder.LITTLE_ENDIAN);
            }
            decoder.decode(wire, 0, count, 0, numerator, divisor, decoded, dstIndex);
            previousFp32Decode(values, count, numerator, divisor, expectedDecoded, dstIndex);
            assertEqualBits(expectedDecoded, decoded, dstIndex + count, "round " + round + " divisor " + divisor);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"FIXED32", "INT16", "INT8", "INT8_NARROW"})
    void shouldAccumulateThePreviousSumsWhenContributionsAreInOrOutOfRange(final Codec codec)
    {
        final SplittableRandom random = new SplittableRandom(5);
        final int[] contribution = new int[EPP];
        final int[] results = new int[EPP];
        for (final int worldSize : WORLD_SIZES)
        {
            final SumAccumulator accumulator = SumAccumulator.create(codec, 2, EPP, worldSize);
            final int limit = codec.isStochastic() ?
                codec.maxQuantised() : 1 << FixedPoint.magnitudeBits(Integer.SIZE, worldSize);
            final int[][] sums = new int[2][EPP];
            for (int round = 0; round < ROUNDS; round++)
            {
                final int set = random.nextInt(2);
                final int count = random.nextInt(EPP + 1);
                randomContribution(random, codec, limit, round, contribution, count);
                for (int i = 0; i < count; i++)
                {
                    putInt(wire, i, codec.bytesUp(), contribution[i]);
                }
                final int operation = round == 0 ? 0 : random.nextInt(8);
                final int shift = random.nextInt(1, 40);
                if (operation == 0)
                {
                    accumulator.store(wire, 0, count, set);
                    previousAdd(sums[set], contribution, count, limit, true, 0);
                }
                else if (operation == 1)
                {
                    accumulator.addShifted(wire, 0, count, set, shift);
                    previousAdd(sums[set], contribution, count, limit, false, Math.min(shift, Integer.SIZE - 1));
                }
                else
                {
                    accumulator.add(wire, 0, count, set);
                    previousAdd(sums[set], contribution, count, limit, false, 0);
                }
                final int bytesDown = codec.bytesDown(worldSize);
                assertEquals(count * bytesDown, accumulator.encode(set, count, round, wire, 0));
                putNarrowed(scalarResults(sums[set], count, round, codec.resultShift(worldSize), results), count,
                    bytesDown);
                assertEqualBytes(count * bytesDown, codec + " n=" + worldSize + " round " + round);
            }
        }
    }

    private static void randomContribution(
        final SplittableRandom random, final Codec codec, final int limit, final int round, final int[] contribution,
        final int count)
    {
        final int outliers = round % 2 == 0 ? 0 : random.nextInt(1, 4);
        for (int i = 0; i < count; i++)
        {
            contribution[i] = random.nextInt(-limit, limit + 1);
        }
        for (int o = 0; o < outliers && count > 0; o++)
        {
            contribution[random.nextInt(count)] = random.nextInt(2) == 0 ?
                SPECIAL_INTS[random.nextInt(SPECIAL_INTS.length)] : (random.nextInt(2) == 0 ? -limit - 1 : limit + 1);
        }
        if (codec.isStochastic())
        {
            // What a narrow payload can carry: the aggregator sees -128 and -32768 raw.
            for (int i = 0; i < count; i++)
            {
                contribution[i] = codec.bytesUp() == Byte.BYTES ? (byte)contribution[i] : (short)contribution[i];
            }
        }
    }

    private static int agreedExponent(
        final SplittableRandom random, final int round, final float[] values, final int index, final int count)
    {
        final int own = FixedPoint.exponentOf(values, index, count);
        switch (round % 8)
        {
            case 0: return FrameDescriptor.EXPONENT_ZERO;
            case 1: return random.nextInt(-127, -98); // scale out of float range
            case 2: return Math.max(-127, Math.min(127, own == FixedPoint.NON_FINITE ? 0 : own) - random.nextInt(1, 4));
            case 3: return random.nextInt(-127, 128);
            default: return own == FixedPoint.NON_FINITE || own == FrameDescriptor.EXPONENT_ZERO ?
                random.nextInt(-127, 128) : Math.min(127, own + random.nextInt(2));
        }
    }

    private static void fill(
        final SplittableRandom random, final float[] values, final int exponent, final double specialProbability)
    {
        final float[] specials = {0.0f, -0.0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MAX_VALUE, Math.scalb(1.0f, exponent)};
        final boolean zeros = random.nextInt(10) == 0;
        for (int i = 0; i < values.length; i++)
        {
            if (zeros)
            {
                values[i] = random.nextInt(4) == 0 ? -0.0f : 0.0f;
            }
            else if (random.nextDouble() < specialProbability)
            {
                values[i] = specials[random.nextInt(specials.length)];
            }
            else
            {
                values[i] = Math.scalb((float)random.nextDouble(-2.0, 2.0), exponent - random.nextInt(4));
            }
        }
    }

    private void putNarrowed(final int[] ints, final int count, final int width)
    {
        for (int i = 0; i < count; i++)
        {
            putInt(expected, i, width, ints[i]);
        }
    }

    private static void putInt(final UnsafeBuffer buffer, final int i, final int width, final int value)
    {
        switch (width)
        {
            case 1: buffer.putByte(i, (byte)value); break;
            case 2: buffer.putShort(i * 2, (short)value, ByteOrder.LITTLE_ENDIAN); break;
            default: buffer.putInt(i * 4, value, ByteOrder.LITTLE_ENDIAN);
        }
    }

    private void assertEqualBytes(final int length, final String message)
    {
        for (int i = 0; i < length; i++)
        {
            assertEquals(expected.getByte(i), wire.getByte(i), message + " byte " + i);
        }
    }

    private static void assertEqualBits(
        final float[] expected, final float[] actual, final int end, final String message)
    {
        for (int i = 0; i < end; i++)
        {
            assertEquals(
                Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                message + " element " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }

    // The previous implementations, verbatim but for names: the oracle.

    private static int previousExponentOf(final float[] values, final int index, final int count)
    {
        float max = 0.0f;
        for (int i = index, end = index + count; i < end; i++)
        {
            max = Math.max(max, Math.abs(values[i]));
        }
        if (max == 0.0f)
        {
            return FrameDescriptor.EXPONENT_ZERO;
        }
        if (!Float.isFinite(max))
        {
            return FixedPoint.NON_FINITE;
        }
        return Math.getExponent(max);
    }

    private static void previousQuantise(
        final Codec codec, final int magnitudeBits, final float[] values, final int index, final int count,
        final int exponent, final int key, final int[] ints)
    {
        final int fractionBits = 30 - magnitudeBits;
        final int max = codec.maxQuantised();
        final int shift = magnitudeBits - exponent - 1 + fractionBits;
        final int limit = 1 << 30;
        if (exponent == FrameDescriptor.EXPONENT_ZERO)
        {
            for (int i = 0; i < count; i++)
            {
                ints[i] = values[index + i] == 0.0f ? 0 : (values[index + i] > 0.0f ? max : -max);
            }
            return;
        }
        if (shift <= Float.MAX_EXPONENT)
        {
            final float scale = Math.scalb(1.0f, shift);
            for (int i = 0; i < count; i++)
            {
                final int t = Math.max(-limit, Math.min(limit, (int)(values[index + i] * scale)));
                ints[i] = Math.max(-max, Math.min(max, (t + previousNoise(key, i, fractionBits)) >> fractionBits));
            }
        }
        else
        {
            final double scale = Math.scalb(1.0d, shift);
            for (int i = 0; i < count; i++)
            {
                final int t = (int)Math.max(-limit, Math.min(limit, values[index + i] * scale));
                ints[i] = Math.max(-max, Math.min(max, (t + previousNoise(key, i, fractionBits)) >> fractionBits));
            }
        }
    }

    private static int previousNoise(final int key, final int i, final int fractionBits)
    {
        int h = (key + i) * 0x9E3779B9;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h >>> (Integer.SIZE - fractionBits);
    }

    private static void previousResidual(
        final float[] values, final int index, final int count, final int[] quantised, final int exponent,
        final int magnitudeBits, final float[] residual)
    {
        final double unscale = exponent == FrameDescriptor.EXPONENT_ZERO ?
            0.0d : Math.scalb(1.0d, exponent + 1 - magnitudeBits);
        for (int i = 0; i < count; i++)
        {
            residual[i] = (float)(values[index + i] - quantised[i] * unscale);
        }
    }

    private static void previousDequantise(
        final int[] sums, final int count, final int exponent, final int magnitudeBits, final int numerator,
        final int divisor, final float[] dst, final int dstIndex)
    {
        final double unscale = exponent == FrameDescriptor.EXPONENT_ZERO ?
            0.0d : Math.scalb(1.0d, exponent + 1 - magnitudeBits);
        if (numerator == 1 && divisor == 1)
        {
            for (int i = 0; i < count; i++)
            {
                dst[dstIndex + i] = (float)(sums[i] * unscale);
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

    private static void previousFp32Decode(
        final float[] values, final int count, final int numerator, final int divisor, final float[] dst,
        final int dstIndex)
    {
        System.arraycopy(values, 0, dst, dstIndex, count);
        if (numerator != 1)
        {
            final double factor = (double)numerator / divisor;
            for (int i = dstIndex, end = dstIndex + count; i < end; i++)
            {
                dst[i] = (float)(dst[i] * factor);
            }
        }
        else if (divisor != 1)
        {
            final float d = divisor;
            for (int i = dstIndex, end = dstIndex + count; i < end; i++)
            {
                dst[i] /= d;
            }
        }
    }

    /**
     * What a result carries: the sums, or for INT8_NARROW ({@code shift > 0}) each sum plus the top {@code shift} bits
     * of the element's hash, shifted right by {@code shift}, as a scalar loop over the loop counter.
     */
    private static int[] scalarResults(
        final int[] sums, final int count, final int key, final int shift, final int[] results)
    {
        for (int i = 0; i < count; i++)
        {
            results[i] = shift == 0 ? sums[i] : (sums[i] + previousNoise(key, i, shift)) >> shift;
        }
        return results;
    }

    private static void previousAdd(
        final int[] sums, final int[] values, final int count, final int limit, final boolean store, final int shift)
    {
        for (int i = 0; i < count; i++)
        {
            final int clamped = Math.max(-limit, Math.min(limit, values[i]));
            sums[i] = store ? clamped : sums[i] + (clamped >> shift);
        }
    }
}
