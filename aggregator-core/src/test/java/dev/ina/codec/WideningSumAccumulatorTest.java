package dev.ina.codec;

import dev.ina.api.Codec;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.sim.ReferenceSums;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * INT8_NARROW's results: the aggregator's stochastic rounding of int32 sums to int8, checked against a reference
 * computed with long and double arithmetic and the noise written out from its definition
 * ({@link ReferenceSums#narrowedResult}).
 */
class WideningSumAccumulatorTest
{
    private static final int[] WORLD_SIZES = {1, 2, 3, 4, 5, 8, 100, 258, 1000};
    private static final int EPP = 1024;

    private final UnsafeBuffer in = new UnsafeBuffer(new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH]);

    @Test
    void shouldShiftByCeilLog2OfTheWorldSizeAndSendOneBytePerElement()
    {
        final int[] expectedShift = {0, 1, 2, 2, 3, 3, 7, 9, 10};
        for (int w = 0; w < WORLD_SIZES.length; w++)
        {
            final int n = WORLD_SIZES[w];
            assertEquals(expectedShift[w], Codec.INT8_NARROW.resultShift(n), "n=" + n);
            final int k = expectedShift[w];
            assertTrue(n <= 1 << k && (k == 0 || n > 1 << (k - 1)), "the least k with n * 127 <= 2^k * 127");
            assertEquals(1, Codec.INT8_NARROW.bytesDown(n), "n=" + n);
            assertEquals(0, Codec.INT8.resultShift(n));
        }
        assertEquals(1, Codec.INT8_NARROW.bytesDown(FrameDescriptor.MAX_WORLD_SIZE));
        assertEquals(Codec.INT8_NARROW, Codec.fromId(FrameDescriptor.CODEC_INT8_NARROW));
        assertEquals(FrameDescriptor.CODEC_INT8_NARROW, Codec.INT8_NARROW.id());
        // Up exactly as INT8.
        assertEquals(Codec.INT8.bytesUp(), Codec.INT8_NARROW.bytesUp());
        assertEquals(Codec.INT8.bits(), Codec.INT8_NARROW.bits());
        assertEquals(Codec.INT8.maxQuantised(), Codec.INT8_NARROW.maxQuantised());
        assertTrue(Codec.INT8_NARROW.isScaled() && Codec.INT8_NARROW.isStochastic());
        assertEquals(FixedPoint.magnitudeBits(Codec.INT8, 5), FixedPoint.magnitudeBits(Codec.INT8_NARROW, 5));
    }

    @Test
    void shouldEqualTheReferenceRoundingWhenSumsAreRandom()
    {
        final SplittableRandom random = new SplittableRandom(11);
        for (final int n : WORLD_SIZES)
        {
            final int k = Codec.INT8_NARROW.resultShift(n);
            final SumAccumulator sums = SumAccumulator.create(Codec.INT8_NARROW, 4, EPP, n);
            for (int round = 0; round < 40; round++)
            {
                final int set = random.nextInt(4);
                final int count = round == 0 ? 0 : random.nextInt(1, EPP + 1);
                final int contributors = random.nextInt(1, Math.min(n, 64) + 1);
                final long[] exact = new long[count];
                for (int c = 0; c < contributors; c++)
                {
                    for (int i = 0; i < count; i++)
                    {
                        // Raw bytes, -128 included (the aggregator saturates it to -127).
                        final byte value = (byte)random.nextInt(-128, 128);
                        in.putByte(i, value);
                        exact[i] += Math.max(-127, value);
                    }
                    if (c == 0)
                    {
                        sums.store(in, 0, count, set);
                    }
                    else
                    {
                        sums.add(in, 0, count, set);
                    }
                }
                final int key = random.nextInt();
                assertEquals(count, sums.encode(set, count, key, out, 0));
                for (int i = 0; i < count; i++)
                {
                    final long reference = referenceRound(exact[i], key, i, k);
                    assertEquals(reference, referenceRoundInDouble(exact[i], key, i, k));
                    assertEquals(reference, out.getByte(i), "n=" + n + " round " + round + " element " + i);
                }
            }
        }
    }

    @Test
    void shouldStayWithinInt8WhenEveryRankSendsTheExtreme()
    {
        for (final int n : WORLD_SIZES)
        {
            final int k = Codec.INT8_NARROW.resultShift(n);
            for (final byte extreme : new byte[] {Byte.MAX_VALUE, Byte.MIN_VALUE, -Byte.MAX_VALUE})
            {
                final SumAccumulator sums = SumAccumulator.create(Codec.INT8_NARROW, 2, EPP, n);
                for (int i = 0; i < EPP; i++)
                {
                    in.putByte(i, extreme);
                }
                sums.store(in, 0, EPP, 1);
                for (int r = 1; r < n; r++)
                {
                    sums.add(in, 0, EPP, 1);
                }
                final long s = (long)n * Math.max(-127, extreme);
                int largest = Integer.MIN_VALUE;
                int smallest = Integer.MAX_VALUE;
                for (int key = 0; key < 8; key++)
                {
                    sums.encode(1, EPP, key * 7919, out, 0);
                    for (int i = 0; i < EPP; i++)
                    {
                        final int r = out.getByte(i);
                        final String where = "n=" + n + " extreme " + extreme + " element " + i;
                        assertEquals(referenceRound(s, key * 7919, i, k), r, where);
                        assertTrue(Math.abs(((long)r << k) - s) < 1L << k, where);
                        largest = Math.max(largest, r);
                        smallest = Math.min(smallest, r);
                    }
                }
                assertTrue(largest <= 127 && smallest >= -127,
                    "n=" + n + ": r in [" + smallest + ", " + largest + "]");
                if (n == 1 << k)
                {
                    // A power of two: the extreme sum is exactly +-127 * 2^k, whatever the noise.
                    assertEquals(largest, smallest);
                    assertEquals(Math.max(-127, extreme), largest);
                }
            }
        }
    }

    @Test
    void shouldBeUnbiasedWhenAveragedOverManyKeys()
    {
        final int keys = 20_000;
        for (final int n : new int[] {3, 5, 100, 1000})
        {
            final int k = Codec.INT8_NARROW.resultShift(n);
            final int count = 64;
            final SumAccumulator sums = SumAccumulator.create(Codec.INT8_NARROW, 1, count, n);
            // Sums spread over the whole range, each a multiple of 2^k plus an offset, so the fraction varies.
            final long[] exact = new long[count];
            final SplittableRandom random = new SplittableRandom(n);
            for (int c = 0; c < n; c++)
            {
                for (int i = 0; i < count; i++)
                {
                    final byte value = (byte)random.nextInt(-127, 128);
                    in.putByte(i, value);
                    exact[i] += value;
                }
                if (c == 0)
                {
                    sums.store(in, 0, count, 0);
                }
                else
                {
                    sums.add(in, 0, count, 0);
                }
            }
            final double[] meanError = new double[count];
            for (int key = 0; key < keys; key++)
            {
                sums.encode(0, count, FrameDescriptor.MAX_WORLD_SIZE * key + n, out, 0);
                for (int i = 0; i < count; i++)
                {
                    final long error = ((long)out.getByte(i) << k) - exact[i];
                    assertTrue(Math.abs(error) < 1L << k, "n=" + n + " element " + i + " off by " + error);
                    meanError[i] += (double)error / keys;
                }
            }
            // Each error is a two-point variable 2^k apart (variance <= 4^k / 4): its mean over the keys has a
            // standard deviation of at most 2^k / (2 sqrt(keys)); allow 5 of them per element and 5 for the mean of
            // all elements (independent noise: sqrt(count) times smaller).
            final double sigma = Math.scalb(1.0d, k) / (2 * Math.sqrt(keys));
            double overall = 0;
            for (int i = 0; i < count; i++)
            {
                assertTrue(Math.abs(meanError[i]) < 5 * sigma,
                    "n=" + n + " element " + i + " (sum " + exact[i] + "): mean error " + meanError[i]);
                overall += meanError[i] / count;
            }
            assertTrue(Math.abs(overall) < 5 * sigma / Math.sqrt(count), "n=" + n + ": mean error " + overall);
        }
    }

    @Test
    void shouldRepeatTheResultBytesWhenAResultIsWrittenAgain()
    {
        final int n = 6;
        final SumAccumulator sums = SumAccumulator.create(Codec.INT8_NARROW, 2, EPP, n);
        final SplittableRandom random = new SplittableRandom(3);
        for (int set = 0; set < 2; set++)
        {
            for (int r = 0; r < n; r++)
            {
                for (int i = 0; i < EPP; i++)
                {
                    in.putByte(i, (byte)random.nextInt(-127, 128));
                }
                if (r == 0)
                {
                    sums.store(in, 0, EPP, set);
                }
                else
                {
                    sums.add(in, 0, EPP, set);
                }
            }
        }
        final int key = SumAccumulator.resultNoiseKey(7, 12345);
        assertEquals(key, SumAccumulator.resultNoiseKey(7, 12345));
        final byte[] first = encode(sums, 1, key);
        final byte[] otherSet = encode(sums, 0, key);
        final byte[] otherKey = encode(sums, 1, SumAccumulator.resultNoiseKey(7, 12346));
        final byte[] again = encode(sums, 1, key);
        assertArrayEquals(first, again, "the same sums and key give the same bytes; writing does not change the sum");
        assertFalse(Arrays.equals(first, otherKey), "another sequence gives other noise");
        assertFalse(Arrays.equals(first, otherSet));
        assertFalse(Arrays.equals(first, encode(sums, 1, SumAccumulator.resultNoiseKey(8, 12345))),
            "another job gives other noise");
        assertTrue(SumAccumulator.resultNoiseKey(7, 12345) != ValueCodec.noiseKey(7, 0, 12345) &&
            SumAccumulator.resultNoiseKey(7, 12345) != ValueCodec.noiseKey(7, n - 1, 12345),
            "the aggregator's noise is not a rank's");
    }

    @Test
    void shouldSendExactSumsWhenTheWorldHasOneRank()
    {
        final SumAccumulator narrow = SumAccumulator.create(Codec.INT8_NARROW, 1, 256, 1);
        final SumAccumulator widening = SumAccumulator.create(Codec.INT8, 1, 256, 1);
        for (int i = 0; i < 256; i++)
        {
            in.putByte(i, (byte)i);
        }
        narrow.store(in, 0, 256, 0);
        widening.store(in, 0, 256, 0);
        final byte[] narrowBytes = encode(narrow, 0, 99, 256);
        final byte[] wideningBytes = encode(widening, 0, 5, 256);
        assertArrayEquals(wideningBytes, narrowBytes);
        for (int i = 0; i < 256; i++)
        {
            assertEquals(Math.max(-127, (byte)i), narrowBytes[i]);
        }
    }

    @Test
    void shouldDecodeResultsScaledByTwoToTheShiftWhenWorkersReadThem()
    {
        for (final int n : WORLD_SIZES)
        {
            final int k = Codec.INT8_NARROW.resultShift(n);
            final ValueCodec codec = ValueCodec.create(Codec.INT8_NARROW, 5, n);
            final byte[] results = {127, -127, 0, 1, -3};
            out.putBytes(0, results);
            final float[] decoded = new float[5];
            for (final int exponent : new int[] {-20, -1, 0, 3})
            {
                codec.decode(out, 0, 5, exponent, 1, 1, decoded, 0);
                for (int i = 0; i < 5; i++)
                {
                    // r * 2^(E - 6 + k): exact, a power-of-two scaling of a small integer.
                    assertEquals(Math.scalb((float)results[i], exponent - 6 + k), decoded[i], "n=" + n + " i=" + i);
                }
                codec.decode(out, 0, 5, exponent, 1, 3, decoded, 0);
                assertEquals((float)(127 * Math.scalb(1.0d, exponent - 6 + k) / 3), decoded[0], "AVG n=" + n);
            }
        }
    }

    @Test
    void shouldQuantiseTheUplinkExactlyAsInt8()
    {
        final SplittableRandom random = new SplittableRandom(5);
        final float[] values = new float[EPP];
        for (int i = 0; i < EPP; i++)
        {
            values[i] = (float)random.nextDouble(-3, 3);
        }
        final ValueCodec narrow = ValueCodec.create(Codec.INT8_NARROW, EPP, 4);
        final ValueCodec int8 = ValueCodec.create(Codec.INT8, EPP, 4);
        final int exponent = narrow.exponentOf(values, 0, EPP);
        assertEquals(int8.exponentOf(values, 0, EPP), exponent);
        assertEquals(EPP, narrow.encode(values, 0, EPP, exponent, 77, out, 0));
        assertEquals(EPP, int8.encode(values, 0, EPP, exponent, 77, in, 0));
        final byte[] a = new byte[EPP];
        final byte[] b = new byte[EPP];
        out.getBytes(0, a);
        in.getBytes(0, b);
        assertArrayEquals(b, a);
        final float[] residualNarrow = new float[EPP];
        final float[] residualInt8 = new float[EPP];
        narrow.quantisationError(values, 0, EPP, exponent, residualNarrow, 0);
        int8.quantisationError(values, 0, EPP, exponent, residualInt8, 0);
        assertArrayEquals(residualInt8, residualNarrow);
    }

    private byte[] encode(final SumAccumulator sums, final int set, final int key)
    {
        return encode(sums, set, key, EPP);
    }

    private byte[] encode(final SumAccumulator sums, final int set, final int key, final int count)
    {
        assertEquals(count, sums.encode(set, count, key, out, 0));
        final byte[] bytes = new byte[count];
        out.getBytes(0, bytes);
        return bytes;
    }

    private static long referenceRound(final long s, final int key, final int i, final int k)
    {
        return ReferenceSums.narrowedResult(s, key, i, k);
    }

    private static long referenceRoundInDouble(final long s, final int key, final int i, final int k)
    {
        final double u = k == 0 ? 0 : ReferenceSums.resultNoise(key, i, k);
        return (long)Math.floor((s + u) / Math.scalb(1.0d, k));
    }
}
