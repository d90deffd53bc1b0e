package dev.ina.codec;

import dev.ina.api.Codec;
import dev.ina.protocol.FrameDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * INT16, INT8 and INT8_NARROW: unbiased stochastic rounding, the per-value error bound, widening in the aggregator
 * and results in the narrowest type that cannot overflow at the largest world size (INT8_NARROW's rounded results:
 * {@link WideningSumAccumulatorTest}).
 */
class StochasticValueCodecTest
{
    private static final int EPP = 256;

    private final UnsafeBuffer wire =
        new UnsafeBuffer(ByteBuffer.allocateDirect(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH));

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"INT16", "INT8", "INT8_NARROW"})
    void shouldBeUnbiasedAndWithinOneStepWhenRoundingStochastically(final Codec codec)
    {
        final ValueCodec encoder = ValueCodec.create(codec, EPP, 1);
        final SplittableRandom random = new SplittableRandom(7);
        final float[] values = new float[EPP];
        // Within [-0.99, 0.99] of a chunk whose maximum is 0.99 (exponent -1): every scaled value lies inside
        // (-127, 127), below the saturation zone (127, 128) where the documented clamp makes rounding one-sided.
        for (int i = 0; i < EPP; i++)
        {
            values[i] = (float)(random.nextDouble(-0.99, 0.99));
        }
        values[0] = 0.99f;
        final int exponent = FixedPoint.exponentOf(values, 0, EPP);
        final double step = Math.scalb(1.0d, exponent + 1 - FixedPoint.magnitudeBits(codec, 1));
        final int trials = 4000;
        final double[] meanError = new double[EPP];
        final float[] decoded = new float[EPP];
        for (int t = 0; t < trials; t++)
        {
            encoder.encode(values, 0, EPP, exponent, t * 7919, wire, 0);
            encoder.decode(wire, 0, EPP, exponent, 1, 1, decoded, 0);
            for (int i = 0; i < EPP; i++)
            {
                final double error = decoded[i] - (double)values[i];
                assertTrue(Math.abs(error) < step, codec + " element " + i + " off by " + error + ", step " + step);
                meanError[i] += error / trials;
            }
        }
        // Per element the rounding error is a two-point variable with variance at most step^2/4, so its mean over
        // the trials has a standard deviation of at most step / (2 sqrt(trials)); allow 5 of them.
        final double tolerance = 5 * step / (2 * Math.sqrt(trials));
        double worst = 0;
        for (int i = 0; i < EPP; i++)
        {
            worst = Math.max(worst, Math.abs(meanError[i]));
        }
        assertTrue(worst < tolerance, codec + ": mean rounding error " + worst + " > " + tolerance);
    }

    @Test
    void shouldHaveABiasThatRoundingToNearestWouldNotHideWhenAValueSitsBetweenSteps()
    {
        // A value a quarter step above a grid point: round-to-nearest always returns the grid point (bias -1/4 step);
        // stochastic rounding returns the next point a quarter of the time, so the mean is the value.
        final ValueCodec encoder = ValueCodec.create(Codec.INT8, 1, 1);
        final int exponent = 0; // values below 2: step 2^(1-7) = 1/64
        final float value = (float)(10.25 / 64);
        final float[] decoded = new float[1];
        double sum = 0;
        final int trials = 20_000;
        for (int t = 0; t < trials; t++)
        {
            encoder.encode(new float[] {value}, 0, 1, exponent, t, wire, 0);
            encoder.decode(wire, 0, 1, exponent, 1, 1, decoded, 0);
            sum += decoded[0];
        }
        assertEquals(value, sum / trials, 5 * (1.0 / 64) * 0.433 / Math.sqrt(trials));
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"INT16", "INT8", "INT8_NARROW"})
    void shouldRepeatThePayloadWhenTheNoiseKeyRepeats(final Codec codec)
    {
        final ValueCodec encoder = ValueCodec.create(codec, EPP, 4);
        final float[] values = new float[EPP];
        for (int i = 0; i < EPP; i++)
        {
            values[i] = (float)Math.sin(i * 0.37) * 0.3f;
        }
        final int exponent = FixedPoint.exponentOf(values, 0, EPP);
        final int length = encoder.encode(values, 0, EPP, exponent, 42, wire, 0);
        assertEquals(EPP * codec.bytesUp(), length);
        final byte[] first = new byte[length];
        wire.getBytes(0, first);
        encoder.encode(values, 0, EPP, exponent, 43, wire, 0);
        final byte[] other = new byte[length];
        wire.getBytes(0, other);
        encoder.encode(values, 0, EPP, exponent, 42, wire, 0);
        final byte[] again = new byte[length];
        wire.getBytes(0, again);
        assertArrayEquals(first, again);
        assertFalse(java.util.Arrays.equals(first, other), "another key must give other noise");
    }

    @Test
    void shouldSendResultsInTheNarrowestTypeThatHoldsTheSum()
    {
        assertEquals(1, Codec.INT8.bytesDown(1));
        assertEquals(2, Codec.INT8.bytesDown(2));
        assertEquals(2, Codec.INT8.bytesDown(Codec.INT8_INT16_RESULT_MAX_RANKS));
        assertEquals(4, Codec.INT8.bytesDown(Codec.INT8_INT16_RESULT_MAX_RANKS + 1));
        assertEquals(2, Codec.INT16.bytesDown(1));
        assertEquals(4, Codec.INT16.bytesDown(2));
        assertEquals(4, Codec.FIXED32.bytesDown(2));
        assertEquals(4, Codec.FP32.bytesDown(1024));
        for (int n = 1; n <= FrameDescriptor.MAX_WORLD_SIZE; n++)
        {
            assertEquals(1, Codec.INT8_NARROW.bytesDown(n), "n=" + n);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"INT16", "INT8"})
    void shouldNeverOverflowWhenEveryRankSendsTheExtremeAtTheLargestWorldSizes(final Codec codec)
    {
        final int[] worldSizes = {2, Codec.INT8_INT16_RESULT_MAX_RANKS, Codec.INT8_INT16_RESULT_MAX_RANKS + 1,
            FrameDescriptor.MAX_WORLD_SIZE};
        for (final int n : worldSizes)
        {
            for (final int sign : new int[] {1, -1})
            {
                final SumAccumulator sums = SumAccumulator.create(codec, 2, 4, n);
                // Raw extremes, -128 / -32768 included, as a misbehaving rank could send them.
                for (int i = 0; i < 4; i++)
                {
                    if (codec == Codec.INT8)
                    {
                        wire.putByte(i, sign > 0 ? Byte.MAX_VALUE : Byte.MIN_VALUE);
                    }
                    else
                    {
                        wire.putShort(2 * i, sign > 0 ? Short.MAX_VALUE : Short.MIN_VALUE,
                            java.nio.ByteOrder.LITTLE_ENDIAN);
                    }
                }
                sums.store(wire, 0, 4, 1);
                for (int r = 1; r < n; r++)
                {
                    sums.add(wire, 0, 4, 1);
                }
                final UnsafeBuffer out = new UnsafeBuffer(new byte[64]);
                assertEquals(4 * codec.bytesDown(n), sums.encode(1, 4, 0, out, 0));
                final ValueCodec decoder = ValueCodec.create(codec, 4, n);
                final float[] decoded = new float[4];
                decoder.decode(out, 0, 4, 0, 1, 1, decoded, 0);
                final double expected = sign * (double)n * codec.maxQuantised() *
                    FixedPoint.unscale(0, FixedPoint.magnitudeBits(codec, n));
                for (final float v : decoded)
                {
                    assertEquals(expected, v, Math.ulp((float)expected), codec + " n=" + n + " sign=" + sign);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"INT16", "INT8", "INT8_NARROW"})
    void shouldSaturateInsteadOfWrappingWhenAValueExceedsTheAgreedExponent(final Codec codec)
    {
        final ValueCodec encoder = ValueCodec.create(codec, 3, 2);
        final float[] values = {1000f, -1000f, 0.5f};
        encoder.encode(values, 0, 3, 0, 1, wire, 0);
        final float[] decoded = new float[3];
        // A single rank's payload read back as a sum of one.
        final ValueCodec single = ValueCodec.create(codec, 3, 1);
        single.decode(wire, 0, 3, 0, 1, 1, decoded, 0);
        final double top = codec.maxQuantised() * FixedPoint.unscale(0, FixedPoint.magnitudeBits(codec, 1));
        assertEquals(top, decoded[0], 1e-6);
        assertEquals(-top, decoded[1], 1e-6);
        assertEquals(0.5, decoded[2], Math.scalb(1.0, 1 - FixedPoint.magnitudeBits(codec, 1)));
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"INT16", "INT8", "INT8_NARROW"})
    void shouldLeaveTheQuantisationErrorAsResidualWhenAskedAfterEncoding(final Codec codec)
    {
        final ValueCodec encoder = ValueCodec.create(codec, EPP, 1);
        final float[] values = new float[EPP];
        for (int i = 0; i < EPP; i++)
        {
            values[i] = (float)Math.cos(i * 0.11);
        }
        final int exponent = FixedPoint.exponentOf(values, 0, EPP);
        encoder.encode(values, 0, EPP, exponent, 5, wire, 0);
        final float[] residual = new float[EPP];
        encoder.quantisationError(values, 0, EPP, exponent, residual, 0);
        final float[] decoded = new float[EPP];
        encoder.decode(wire, 0, EPP, exponent, 1, 1, decoded, 0);
        for (int i = 0; i < EPP; i++)
        {
            assertEquals(values[i], decoded[i] + residual[i], 1e-6, "element " + i);
        }
    }
}
