package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

final class Fp32ValueCodec extends ValueCodec
{
    Fp32ValueCodec(final int elementsPerPacket, final int worldSize)
    {
        super(elementsPerPacket, worldSize);
    }

    public Codec codec()
    {
        return Codec.FP32;
    }

    public int encode(
        final float[] values,
        final int index,
        final int count,
        final int exponent,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        BufferArrays.putFloats(values, index, dst, dstOffset, count);
        return count * Float.BYTES;
    }

    public void decode(
        final DirectBuffer src,
        final int srcOffset,
        final int count,
        final int exponent,
        final int divisor,
        final float[] dst,
        final int dstIndex)
    {
        BufferArrays.getFloats(src, srcOffset, dst, dstIndex, count);
        if (divisor != 1)
        {
            final float d = divisor;
            for (int i = dstIndex, end = dstIndex + count; i < end; i++)
            {
                dst[i] /= d;
            }
        }
    }
}
