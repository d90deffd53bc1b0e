package dev.ina.codec;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BufferArraysTest
{
    private static final int CAPACITY = 256;

    private static MutableDirectBuffer buffer(final String kind)
    {
        switch (kind)
        {
            case "byte[]":
                return new UnsafeBuffer(new byte[CAPACITY]);
            case "direct":
                return new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY));
            case "heap slice":
                // A heap ByteBuffer whose array offset is not zero.
                return new UnsafeBuffer(ByteBuffer.allocate(CAPACITY + 13).position(13).slice());
            case "direct slice":
                return new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY + 7).position(7).slice());
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"byte[]", "direct", "heap slice", "direct slice"})
    void shouldWriteLittleEndianIntsWhenArrayAndBufferOffsetsAreNonZero(final String kind)
    {
        final MutableDirectBuffer buffer = buffer(kind);
        final int[] src = {0x01020304, -1, Integer.MIN_VALUE, 0, 42, Integer.MAX_VALUE, -7};
        BufferArrays.putInts(src, 2, buffer, 5, 4);
        assertEquals(Integer.MIN_VALUE, buffer.getInt(5, ByteOrder.LITTLE_ENDIAN));
        assertEquals(0, buffer.getInt(9, ByteOrder.LITTLE_ENDIAN));
        assertEquals(42, buffer.getInt(13, ByteOrder.LITTLE_ENDIAN));
        assertEquals(Integer.MAX_VALUE, buffer.getInt(17, ByteOrder.LITTLE_ENDIAN));
        assertEquals(0, buffer.getInt(21, ByteOrder.LITTLE_ENDIAN), "wrote past the count");
        assertEquals(0, buffer.getByte(4), "wrote before the offset");

        BufferArrays.putInts(src, 0, buffer, 100, 1);
        assertEquals((byte)0x04, buffer.getByte(100));
        assertEquals((byte)0x03, buffer.getByte(101));
        assertEquals((byte)0x02, buffer.getByte(102));
        assertEquals((byte)0x01, buffer.getByte(103));

        final int[] dst = new int[10];
        BufferArrays.getInts(buffer, 5, dst, 3, 4);
        assertArrayEquals(new int[]{0, 0, 0, Integer.MIN_VALUE, 0, 42, Integer.MAX_VALUE, 0, 0, 0}, dst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"byte[]", "direct", "heap slice", "direct slice"})
    void shouldRoundTripFloatBitsWhenCopiedThroughABuffer(final String kind)
    {
        final MutableDirectBuffer buffer = buffer(kind);
        final SplittableRandom random = new SplittableRandom(11);
        final float[] src = new float[40];
        for (int i = 0; i < src.length; i++)
        {
            src[i] = Float.intBitsToFloat(random.nextInt());
        }
        src[3] = Float.intBitsToFloat(0x7FA0_0001);
        src[4] = -0.0f;
        src[5] = Float.NEGATIVE_INFINITY;
        BufferArrays.putFloats(src, 1, buffer, 3, 37);
        for (int i = 0; i < 37; i++)
        {
            assertEquals(Float.floatToRawIntBits(src[1 + i]),
                buffer.getInt(3 + i * 4, ByteOrder.LITTLE_ENDIAN), "element " + i);
        }
        final float[] dst = new float[50];
        BufferArrays.getFloats(buffer, 3, dst, 9, 37);
        for (int i = 0; i < 37; i++)
        {
            assertEquals(Float.floatToRawIntBits(src[1 + i]), Float.floatToRawIntBits(dst[9 + i]), "element " + i);
        }
        assertEquals(0.0f, dst[8]);
        assertEquals(0.0f, dst[46]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"byte[]", "direct"})
    void shouldDoNothingWhenCountIsZero(final String kind)
    {
        final MutableDirectBuffer buffer = buffer(kind);
        BufferArrays.putInts(new int[]{1}, 1, buffer, CAPACITY, 0);
        BufferArrays.putFloats(new float[0], 0, buffer, 0, 0);
        final int[] ints = {9};
        BufferArrays.getInts(buffer, CAPACITY, ints, 1, 0);
        BufferArrays.getFloats(buffer, 0, new float[0], 0, 0);
        assertEquals(9, ints[0]);
        assertEquals(0L, buffer.getLong(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"byte[]", "direct"})
    void shouldThrowWhenARangeIsOutOfBounds(final String kind)
    {
        final MutableDirectBuffer buffer = buffer(kind);
        final int[] ints = new int[8];
        final float[] floats = new float[8];
        assertThrows(IndexOutOfBoundsException.class, () -> BufferArrays.putInts(ints, 5, buffer, 0, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> BufferArrays.getInts(buffer, 0, ints, -1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> BufferArrays.getFloats(buffer, 0, floats, 0, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> BufferArrays.putFloats(floats, 0, buffer, 0, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> BufferArrays.putInts(ints, 0, buffer, CAPACITY - 4, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> BufferArrays.getFloats(buffer, CAPACITY - 3, floats, 0, 1));
        assertEquals(0L, buffer.getLong(CAPACITY - 8), "a refused copy wrote");
    }
}
