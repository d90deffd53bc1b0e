package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SumAccumulatorTest
{
    @Test
    void shouldKeepSetsApartWhenSummingFloats()
    {
        final SumAccumulator sums = SumAccumulator.create(Codec.FP32, 4, 3, 2);
        final UnsafeBuffer in = new UnsafeBuffer(new byte[16]);
        put(in, 1, 2, 3);
        sums.store(in, 4, 3, 2);
        put(in, 10, 20, 30);
        sums.store(in, 4, 3, 3);
        put(in, 0.5f, 0.25f, 0.125f);
        sums.add(in, 4, 3, 2);
        final UnsafeBuffer out = new UnsafeBuffer(new byte[20]);
        assertEquals(12, sums.encode(2, 3, 0, out, 8));
        assertEquals(1.5f, out.getFloat(8, ByteOrder.LITTLE_ENDIAN));
        assertEquals(2.25f, out.getFloat(12, ByteOrder.LITTLE_ENDIAN));
        assertEquals(3.125f, out.getFloat(16, ByteOrder.LITTLE_ENDIAN));
        sums.encode(3, 3, 0, out, 0);
        assertEquals(10.0f, out.getFloat(0, ByteOrder.LITTLE_ENDIAN));
        assertEquals(30.0f, out.getFloat(8, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void shouldReplaceOldSumWhenStoreStartsASet()
    {
        final SumAccumulator sums = SumAccumulator.create(Codec.FIXED32, 2, 2, 4);
        final UnsafeBuffer in = new UnsafeBuffer(new byte[8]);
        in.putInt(0, 100, ByteOrder.LITTLE_ENDIAN);
        in.putInt(4, -100, ByteOrder.LITTLE_ENDIAN);
        sums.store(in, 0, 2, 1);
        sums.add(in, 0, 2, 1);
        sums.store(in, 0, 1, 1);
        final UnsafeBuffer out = new UnsafeBuffer(new byte[8]);
        sums.encode(1, 1, 0, out, 0);
        assertEquals(100, out.getInt(0, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void shouldAccountForEverySetAndAScratchRowWhenSizing()
    {
        assertEquals(5L * 256 * 4, SumAccumulator.sizeOf(Codec.FIXED32, 4, 256));
        assertEquals(129L * 16 * 4, SumAccumulator.sizeOf(Codec.FP32, 128, 16));
        assertEquals(5L * 256 * 4, SumAccumulator.sizeOf(Codec.INT8, 4, 256));
        assertEquals(6L * 256 * 4, SumAccumulator.sizeOf(Codec.INT8_NARROW, 4, 256), "plus the noise index table");
    }

    private static void put(final UnsafeBuffer buffer, final float... values)
    {
        for (int i = 0; i < values.length; i++)
        {
            buffer.putFloat(4 + i * 4, values[i], ByteOrder.LITTLE_ENDIAN);
        }
    }
}
