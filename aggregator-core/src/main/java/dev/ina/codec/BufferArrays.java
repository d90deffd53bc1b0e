package dev.ina.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

/**
 * Bulk copies between little-endian wire buffers and Java primitive arrays.
 * <p>
 * Loops over a buffer's {@code getInt} do not vectorise; a bulk copy into a reused array followed by a plain
 * array loop does (see DESIGN §10). On a little-endian machine the wire layout equals the array layout, so
 * the copy is a single {@code memcpy}; on a big-endian machine the element-wise fallback swaps bytes.
 */
public final class BufferArrays
{
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final long INT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(int[].class);
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long SHORT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(short[].class);

    private BufferArrays()
    {
    }

    /**
     * Copies little-endian int32 values from a buffer into an array.
     *
     * @param src       buffer to read.
     * @param srcOffset byte offset of the first value in {@code src}.
     * @param dst       array to write.
     * @param dstIndex  first element of {@code dst} to write.
     * @param count     number of values.
     */
    public static void getInts(
        final DirectBuffer src, final int srcOffset, final int[] dst, final int dstIndex, final int count)
    {
        src.boundsCheck(srcOffset, count * Integer.BYTES);
        checkArray(dst.length, dstIndex, count);
        if (NATIVE_LITTLE_ENDIAN)
        {
            UnsafeApi.copyMemory(
                src.byteArray(), src.addressOffset() + srcOffset,
                dst, INT_ARRAY_BASE + (long)dstIndex * Integer.BYTES, (long)count * Integer.BYTES);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst[dstIndex + i] = src.getInt(srcOffset + i * Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /**
     * Copies int32 values from an array into a buffer, little-endian.
     *
     * @param src       array to read.
     * @param srcIndex  first element of {@code src} to read.
     * @param dst       buffer to write.
     * @param dstOffset byte offset in {@code dst} of the first value.
     * @param count     number of values.
     */
    public static void putInts(
        final int[] src, final int srcIndex, final MutableDirectBuffer dst, final int dstOffset, final int count)
    {
        dst.boundsCheck(dstOffset, count * Integer.BYTES);
        checkArray(src.length, srcIndex, count);
        if (NATIVE_LITTLE_ENDIAN)
        {
            UnsafeApi.copyMemory(
                src, INT_ARRAY_BASE + (long)srcIndex * Integer.BYTES,
                dst.byteArray(), dst.addressOffset() + dstOffset, (long)count * Integer.BYTES);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst.putInt(dstOffset + i * Integer.BYTES, src[srcIndex + i], ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /**
     * Copies little-endian float32 values from a buffer into an array.
     *
     * @param src       buffer to read.
     * @param srcOffset byte offset of the first value in {@code src}.
     * @param dst       array to write.
     * @param dstIndex  first element of {@code dst} to write.
     * @param count     number of values.
     */
    public static void getFloats(
        final DirectBuffer src, final int srcOffset, final float[] dst, final int dstIndex, final int count)
    {
        src.boundsCheck(srcOffset, count * Float.BYTES);
        checkArray(dst.length, dstIndex, count);
        if (NATIVE_LITTLE_ENDIAN)
        {
            UnsafeApi.copyMemory(
                src.byteArray(), src.addressOffset() + srcOffset,
                dst, FLOAT_ARRAY_BASE + (long)dstIndex * Float.BYTES, (long)count * Float.BYTES);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst[dstIndex + i] = src.getFloat(srcOffset + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /**
     * Copies float32 values from an array into a buffer, little-endian.
     *
     * @param src       array to read.
     * @param srcIndex  first element of {@code src} to read.
     * @param dst       buffer to write.
     * @param dstOffset byte offset in {@code dst} of the first value.
     * @param count     number of values.
     */
    public static void putFloats(
        final float[] src, final int srcIndex, final MutableDirectBuffer dst, final int dstOffset, final int count)
    {
        dst.boundsCheck(dstOffset, count * Float.BYTES);
        checkArray(src.length, srcIndex, count);
        if (NATIVE_LITTLE_ENDIAN)
        {
            UnsafeApi.copyMemory(
                src, FLOAT_ARRAY_BASE + (long)srcIndex * Float.BYTES,
                dst.byteArray(), dst.addressOffset() + dstOffset, (long)count * Float.BYTES);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst.putFloat(dstOffset + i * Float.BYTES, src[srcIndex + i], ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /**
     * Copies little-endian int16 values from a buffer into an array.
     *
     * @param src       buffer to read.
     * @param srcOffset byte offset of the first value in {@code src}.
     * @param dst       array to write.
     * @param dstIndex  first element of {@code dst} to write.
     * @param count     number of values.
     */
    public static void getShorts(
        final DirectBuffer src, final int srcOffset, final short[] dst, final int dstIndex, final int count)
    {
        src.boundsCheck(srcOffset, count * Short.BYTES);
        checkArray(dst.length, dstIndex, count);
        if (NATIVE_LITTLE_ENDIAN)
        {
            UnsafeApi.copyMemory(
                src.byteArray(), src.addressOffset() + srcOffset,
                dst, SHORT_ARRAY_BASE + (long)dstIndex * Short.BYTES, (long)count * Short.BYTES);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst[dstIndex + i] = src.getShort(srcOffset + i * Short.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /**
     * Copies int16 values from an array into a buffer, little-endian.
     *
     * @param src       array to read.
     * @param srcIndex  first element of {@code src} to read.
     * @param dst       buffer to write.
     * @param dstOffset byte offset in {@code dst} of the first value.
     * @param count     number of values.
     */
    public static void putShorts(
        final short[] src, final int srcIndex, final MutableDirectBuffer dst, final int dstOffset, final int count)
    {
        dst.boundsCheck(dstOffset, count * Short.BYTES);
        checkArray(src.length, srcIndex, count);
        if (NATIVE_LITTLE_ENDIAN)
        {
            UnsafeApi.copyMemory(
                src, SHORT_ARRAY_BASE + (long)srcIndex * Short.BYTES,
                dst.byteArray(), dst.addressOffset() + dstOffset, (long)count * Short.BYTES);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst.putShort(dstOffset + i * Short.BYTES, src[srcIndex + i], ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /**
     * Reads little-endian signed integers of 1, 2 or 4 bytes from a buffer into an int array (widening), through
     * the caller's scratch arrays so that the widening loop runs over arrays.
     *
     * @param src       buffer to read.
     * @param srcOffset byte offset of the first value.
     * @param width     bytes per value: 1, 2 or 4.
     * @param dst       array to write.
     * @param count     number of values.
     * @param bytes     scratch for width 1, at least {@code count} long.
     * @param shorts    scratch for width 2, at least {@code count} long.
     */
    public static void getWidened(
        final DirectBuffer src,
        final int srcOffset,
        final int width,
        final int[] dst,
        final int count,
        final byte[] bytes,
        final short[] shorts)
    {
        switch (width)
        {
            case Byte.BYTES:
                src.getBytes(srcOffset, bytes, 0, count);
                for (int i = 0; i < count; i++)
                {
                    dst[i] = bytes[i];
                }
                break;
            case Short.BYTES:
                getShorts(src, srcOffset, shorts, 0, count);
                for (int i = 0; i < count; i++)
                {
                    dst[i] = shorts[i];
                }
                break;
            default:
                getInts(src, srcOffset, dst, 0, count);
        }
    }

    /**
     * Writes ints as little-endian signed integers of 1, 2 or 4 bytes (narrowing; the values must fit), through
     * the caller's scratch arrays.
     *
     * @param src       array to read.
     * @param srcIndex  first element to read.
     * @param width     bytes per value: 1, 2 or 4.
     * @param dst       buffer to write.
     * @param dstOffset byte offset of the first value.
     * @param count     number of values.
     * @param bytes     scratch for width 1, at least {@code count} long.
     * @param shorts    scratch for width 2, at least {@code count} long.
     * @return bytes written.
     */
    public static int putNarrowed(
        final int[] src,
        final int srcIndex,
        final int width,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final int count,
        final byte[] bytes,
        final short[] shorts)
    {
        switch (width)
        {
            case Byte.BYTES:
                for (int i = 0; i < count; i++)
                {
                    bytes[i] = (byte)src[srcIndex + i];
                }
                dst.putBytes(dstOffset, bytes, 0, count);
                break;
            case Short.BYTES:
                for (int i = 0; i < count; i++)
                {
                    shorts[i] = (short)src[srcIndex + i];
                }
                putShorts(shorts, 0, dst, dstOffset, count);
                break;
            default:
                putInts(src, srcIndex, dst, dstOffset, count);
        }
        return count * width;
    }

    private static void checkArray(final int arrayLength, final int index, final int count)
    {
        if (index < 0 || count < 0 || index > arrayLength - count)
        {
            throw new IndexOutOfBoundsException(
                "index=" + index + " count=" + count + " arrayLength=" + arrayLength);
        }
    }
}
