package dev.ina.codec;

import dev.ina.api.Codec;
import dev.ina.protocol.FrameDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FixedPointTest
{
    @Test
    void shouldNeedCeilLog2HeadroomBitsWhenWorldSizeGrows()
    {
        assertEquals(0, FixedPoint.headroomBits(1));
        assertEquals(1, FixedPoint.headroomBits(2));
        assertEquals(2, FixedPoint.headroomBits(3));
        assertEquals(2, FixedPoint.headroomBits(4));
        assertEquals(3, FixedPoint.headroomBits(5));
        assertEquals(4, FixedPoint.headroomBits(16));
        assertEquals(5, FixedPoint.headroomBits(17));
        assertEquals(10, FixedPoint.headroomBits(1024));
        for (int n = 1; n <= 1024; n++)
        {
            final int h = FixedPoint.headroomBits(n);
            assertTrue((1 << h) >= n && (h == 0 || (1 << (h - 1)) < n), "n=" + n + " h=" + h);
        }
    }

    @Test
    void shouldLeaveRoomForWorldSizeSummandsWhenComputingMagnitudeBits()
    {
        assertEquals(30, FixedPoint.magnitudeBits(32, 1));
        assertEquals(29, FixedPoint.magnitudeBits(32, 2));
        assertEquals(20, FixedPoint.magnitudeBits(32, 1024));
        for (int n = 1; n <= 1024; n++)
        {
            final long worst = (long)n << FixedPoint.magnitudeBits(32, n);
            assertTrue(worst <= Integer.MAX_VALUE, "n=" + n);
        }
    }

    @Test
    void shouldReturnLargestExponentWhenValuesAreFinite()
    {
        assertEquals(1, FixedPoint.exponentOf(new float[]{0.5f, -3.0f, 0.0f, 2.5f}, 0, 4));
        assertEquals(-1, FixedPoint.exponentOf(new float[]{-0.75f}, 0, 1));
        assertEquals(127, FixedPoint.exponentOf(new float[]{1.0f, -Float.MAX_VALUE}, 0, 2));
        assertEquals(-127, FixedPoint.exponentOf(new float[]{Float.MIN_VALUE, -0.0f}, 0, 2));
        assertEquals(-126, FixedPoint.exponentOf(new float[]{Float.MIN_NORMAL, Float.MIN_VALUE}, 0, 2));
        final SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 1000; trial++)
        {
            final float[] values = new float[1 + random.nextInt(40)];
            int expected = Integer.MIN_VALUE;
            for (int i = 0; i < values.length; i++)
            {
                values[i] = Float.intBitsToFloat(random.nextInt() & 0x7F7F_FFFF | (random.nextBoolean() ? 0 : 1 << 31));
                expected = Math.max(expected, Math.getExponent(values[i]));
            }
            assertEquals(expected, FixedPoint.exponentOf(values, 0, values.length));
        }
    }

    @Test
    void shouldReturnExponentZeroWhenAllValuesAreZero()
    {
        assertEquals(FrameDescriptor.EXPONENT_ZERO, FixedPoint.exponentOf(new float[]{0.0f, -0.0f, 0.0f}, 0, 3));
        assertEquals(FrameDescriptor.EXPONENT_ZERO, FixedPoint.exponentOf(new float[]{1.0f}, 0, 0));
    }

    @Test
    void shouldReturnNonFiniteWhenAValueIsNaNOrInfinite()
    {
        assertEquals(FixedPoint.NON_FINITE, FixedPoint.exponentOf(new float[]{1.0f, Float.NaN}, 0, 2));
        assertEquals(FixedPoint.NON_FINITE, FixedPoint.exponentOf(new float[]{Float.POSITIVE_INFINITY}, 0, 1));
        assertEquals(FixedPoint.NON_FINITE, FixedPoint.exponentOf(new float[]{0, Float.NEGATIVE_INFINITY, 1}, 0, 3));
        assertEquals(FixedPoint.NON_FINITE,
            FixedPoint.exponentOf(new float[]{Float.intBitsToFloat(0xFFC0_0001)}, 0, 1));
        assertEquals(FixedPoint.NON_FINITE, FixedPoint.exponentOf(new float[]{0, 0, 0, 0, 0, 0, 0, Float.NaN}, 0, 8));
    }

    @Test
    void shouldLookOnlyAtTheRangeWhenIndexAndCountAreGiven()
    {
        final float[] values = {Float.NaN, 4.0f, 0.25f, Float.POSITIVE_INFINITY};
        assertEquals(-2, FixedPoint.exponentOf(values, 2, 1));
        assertEquals(2, FixedPoint.exponentOf(values, 1, 2));
    }

    @Test
    void shouldScaleTopOfBinadeToMagnitudeBitsWhenExponentIsAgreed()
    {
        for (int b = 20; b <= 30; b++)
        {
            for (int e = -127; e <= 127; e++)
            {
                final double scale = FixedPoint.scale(e, b);
                final double unscale = FixedPoint.unscale(e, b);
                assertEquals(1.0d, scale * unscale, "e=" + e + " b=" + b);
                assertEquals(Math.scalb(1.0d, b), Math.scalb(1.0d, e + 1) * scale, "e=" + e + " b=" + b);
            }
        }
        assertEquals(0.0d, FixedPoint.unscale(FrameDescriptor.EXPONENT_ZERO, 30));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 16, 100, 1024})
    void shouldRoundTripWithinHalfAStepWhenEncodedAndDecoded(final int worldSize)
    {
        final int epp = 64;
        final ValueCodec codec = ValueCodec.create(Codec.FIXED32, epp, worldSize);
        final int b = FixedPoint.magnitudeBits(32, worldSize);
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[epp * 4]);
        final SplittableRandom random = new SplittableRandom(worldSize);
        final float[] values = new float[epp];
        final float[] decoded = new float[epp];
        for (int trial = 0; trial < 200; trial++)
        {
            final int scale = random.nextInt(-140, 120);
            for (int i = 0; i < epp; i++)
            {
                values[i] = Math.scalb((float)(random.nextDouble() * 2 - 1), scale + random.nextInt(-10, 8));
            }
            values[random.nextInt(epp)] = Math.nextDown(Math.scalb(1.0f, Math.min(127, scale + 8)));
            final int e = FixedPoint.exponentOf(values, 0, epp);
            assertEquals(epp * 4, codec.encode(values, 0, epp, e, 0, wire, 0));
            codec.decode(wire, 0, epp, e, 1, 1, decoded, 0);
            final double step = Math.scalb(1.0d, e + 1 - b);
            for (int i = 0; i < epp; i++)
            {
                final int q = wire.getInt(i * 4, java.nio.ByteOrder.LITTLE_ENDIAN);
                assertTrue(Math.abs((long)q) <= 1L << b, "quantised value beyond 2^B: " + q);
                final double error = Math.abs((double)decoded[i] - values[i]);
                assertTrue(error <= step / 2 + Math.ulp(decoded[i]),
                    "value " + values[i] + " decoded " + decoded[i] + " step " + step);
            }
        }
    }

    @Test
    void shouldRoundTripExactlyWhenValuesAreMultiplesOfTheStep()
    {
        final ValueCodec codec = ValueCodec.create(Codec.FIXED32, 5, 4);
        final float[] values = {1.5f, -0.25f, 0.0f, 1.0f / 1024, -1.75f};
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[20]);
        codec.encode(values, 0, 5, FixedPoint.exponentOf(values, 0, 5), 0, wire, 0);
        final float[] decoded = new float[5];
        codec.decode(wire, 0, 5, FixedPoint.exponentOf(values, 0, 5), 1, 1, decoded, 0);
        assertEquals(java.util.Arrays.toString(values), java.util.Arrays.toString(decoded));
    }

    @Test
    void shouldDecodeZerosWhenExponentIsExponentZero()
    {
        final ValueCodec codec = ValueCodec.create(Codec.FIXED32, 3, 2);
        final float[] zeros = {0.0f, -0.0f, 0.0f};
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[12]);
        codec.encode(zeros, 0, 3, FrameDescriptor.EXPONENT_ZERO, 0, wire, 0);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(0, wire.getInt(i * 4));
        }
        final float[] decoded = {7, 7, 7};
        codec.decode(wire, 0, 3, FrameDescriptor.EXPONENT_ZERO, 1, 1, decoded, 0);
        assertEquals(0.0f, decoded[0] + decoded[1] + decoded[2]);
    }

    @Test
    void shouldNeverOverflowTheSumWhenWorldSizeIs1024AndValuesAreExtreme()
    {
        final int n = 1024;
        final int epp = 6;
        final int b = FixedPoint.magnitudeBits(32, n);
        final ValueCodec codec = ValueCodec.create(Codec.FIXED32, epp, n);
        final SumAccumulator sums = SumAccumulator.create(Codec.FIXED32, 2, epp, n);
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[epp * 4]);
        final UnsafeBuffer out = new UnsafeBuffer(new byte[epp * 4]);
        // Ranks that agreed on exponent 127 and send the largest floats, and ranks whose values overshoot the agreed
        // exponent by far (as after a missed agreement): the float-to-int cast saturates, the aggregator clamps.
        final float[] agreed = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 0, 1};
        final float[] overshoot = {Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f, Float.MAX_VALUE, 1};
        for (int r = 0; r < n; r++)
        {
            if (r % 2 == 0)
            {
                codec.encode(agreed, 0, epp, 127, 0, wire, 0);
            }
            else
            {
                codec.encode(overshoot, 0, epp, -100, 0, wire, 0);
            }
            if (r == 0)
            {
                sums.store(wire, 0, epp, 1);
            }
            else
            {
                sums.add(wire, 0, epp, 1);
            }
        }
        sums.encode(1, epp, 0, out, 0);
        final long limit = 1L << b;
        assertEquals(n * limit, out.getInt(0));
        assertEquals(-n * limit, out.getInt(4));
        assertEquals(n * limit, out.getInt(8));
        assertEquals(-n * limit, out.getInt(12));
        assertEquals(n / 2 * limit, out.getInt(16));
        for (int i = 0; i < epp; i++)
        {
            assertTrue(Math.abs((long)out.getInt(i * 4)) <= (long)n << b);
        }
    }

    @Test
    void shouldClampEachContributionWhenARankSendsBeyondTheLimit()
    {
        final int n = 1024;
        final SumAccumulator sums = SumAccumulator.create(Codec.FIXED32, 1, 2, n);
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[8]);
        wire.putInt(0, Integer.MAX_VALUE);
        wire.putInt(4, Integer.MIN_VALUE);
        sums.store(wire, 0, 2, 0);
        for (int r = 1; r < n; r++)
        {
            sums.add(wire, 0, 2, 0);
        }
        final UnsafeBuffer out = new UnsafeBuffer(new byte[8]);
        sums.encode(0, 2, 0, out, 0);
        assertEquals(1 << 30, out.getInt(0));
        assertEquals(-(1 << 30), out.getInt(4));
    }

    @Test
    void shouldStateTheSumErrorBoundAsHalfAUnitPerRankWhenWorldSizeVaries()
    {
        // n = 4: B = 30 - 2 = 28, one unit is 2^(E + 1 - 28), half a unit per rank.
        assertEquals(4 * 0x1p-28, FixedPoint.sumErrorBound(4, 0));
        // n = 1: B = 30; n = 5: B = 27.
        assertEquals(0x1p-30 * 8, FixedPoint.sumErrorBound(1, 3));
        assertEquals(5 * 0x1p-28, FixedPoint.sumErrorBound(5, -1));
    }

    @Test
    void shouldAddTwoToTheShiftStepsToInt8sBoundWhenResultsAreNarrowed()
    {
        // One step is 2^(E - 6); INT8: less than one per rank; INT8_NARROW: plus less than 2^ceil(log2 n).
        assertEquals(3 * 0x1p-6, FixedPoint.sumErrorBound(Codec.INT8, 3, 0));
        assertEquals((3 + 4) * 0x1p-6, FixedPoint.sumErrorBound(Codec.INT8_NARROW, 3, 0));
        assertEquals((4 + 4) * 0x1p-4, FixedPoint.sumErrorBound(Codec.INT8_NARROW, 4, 2));
        assertEquals((1000 + 1024) * 0x1p-7, FixedPoint.sumErrorBound(Codec.INT8_NARROW, 1000, -1));
        // One rank: k = 0, the result is the exact sum, INT8's bound.
        assertEquals(0x1p-6, FixedPoint.sumErrorBound(Codec.INT8_NARROW, 1, 0));
    }
}
