package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ValueCodecTest
{
    @Test
    void shouldCreateTheCodecAskedForWhenCodecIsSupported()
    {
        assertSame(Codec.FP32, ValueCodec.create(Codec.FP32, 4, 2).codec());
        assertSame(Codec.FIXED32, ValueCodec.create(Codec.FIXED32, 4, 2).codec());
    }

    @Test
    void shouldCopyFloatsBitForBitWhenCodecIsFp32()
    {
        final ValueCodec codec = ValueCodec.create(Codec.FP32, 4, 3);
        final float[] values = {9, 1.5f, Float.NaN, -0.0f, Float.MIN_VALUE, 9};
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[40]);
        assertEquals(16, codec.encode(values, 1, 4, 0, 0, wire, 8));
        final float[] decoded = new float[6];
        codec.decode(wire, 8, 4, 0, 1, 1, decoded, 2);
        assertArrayEquals(new float[]{0, 0, 1.5f, Float.NaN, -0.0f, Float.MIN_VALUE}, decoded);
    }

    @Test
    void shouldDivideByContributorsWhenDivisorIsGiven()
    {
        final ValueCodec fp32 = ValueCodec.create(Codec.FP32, 3, 3);
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[12]);
        fp32.encode(new float[]{3, -6, 1}, 0, 3, 0, 0, wire, 0);
        final float[] decoded = new float[3];
        fp32.decode(wire, 0, 3, 0, 1, 3, decoded, 0);
        assertArrayEquals(new float[]{1, -2, 1.0f / 3}, decoded);

        final ValueCodec fixed = ValueCodec.create(Codec.FIXED32, 3, 3);
        final float[] values = {3, -6, 1};
        final int exponent = FixedPoint.exponentOf(values, 0, 3);
        fixed.encode(values, 0, 3, exponent, 0, wire, 0);
        fixed.decode(wire, 0, 3, exponent, 1, 3, decoded, 0);
        assertArrayEquals(new float[]{1, -2, 1.0f / 3}, decoded);
    }

    @Test
    void shouldQuantiseTheSameOnEveryInstanceWhenInputsAreEqual()
    {
        final int worldSize = 5;
        final float[] values = new float[64];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = (float)Math.sin(i * 0.7) * (i + 1);
        }
        final int exponent = FixedPoint.exponentOf(values, 0, 64);
        final UnsafeBuffer a = new UnsafeBuffer(new byte[256]);
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        assertEquals(256, ValueCodec.create(Codec.FIXED32, 64, worldSize).encode(values, 0, 64, exponent, 0, a, 0));
        assertEquals(256, ValueCodec.create(Codec.FIXED32, 64, worldSize).encode(values, 0, 64, exponent, 0, b, 0));
        assertEquals(0, a.compareTo(b));
        // Both equal an independent reference: each value times 2^(B - E - 1) in double, rounded half-even, with
        // B = 32 - 2 - ceil(log2 n) magnitude bits (FixedPoint's documented scale).
        final int magnitudeBits = 32 - 2 - (32 - Integer.numberOfLeadingZeros(worldSize - 1));
        final double scale = Math.scalb(1.0d, magnitudeBits - exponent - 1);
        for (int i = 0; i < values.length; i++)
        {
            assertEquals((int)Math.rint(values[i] * scale), a.getInt(4 * i, ByteOrder.LITTLE_ENDIAN), "element " + i);
        }
    }
}
