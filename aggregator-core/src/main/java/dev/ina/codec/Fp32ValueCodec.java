package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.Arrays;

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
        final int noiseKey,
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
        final int numerator,
        final int divisor,
        final float[] dst,
        final int dstIndex)
    {
        BufferArrays.getFloats(src, srcOffset, dst, dstIndex, count);
        if (numerator != 1)
        {
            final double factor = (double)numerator / divisor;
            for (int i = dstIndex, end = dstIndex + count; i < end; i++)
            {
                dst[i] = (float)(dst[i] * factor);
            }
        }
        else if (divisor != 1 && (divisor & (divisor - 1)) == 0)
        {
            // Exact reciprocal of a power of two: the multiply gives the bits of the division (see FixedPoint).
            final float reciprocal = 1.0f / divisor;
            for (int i = dstIndex, end = dstIndex + count; i < end; i++)
            {
                dst[i] *= reciprocal;
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

    public void quantisationError(
        final float[] values,
        final int index,
        final int count,
        final int exponent,
        final float[] residual,
        final int residualIndex)
    {
        Arrays.fill(residual, residualIndex, residualIndex + count, 0.0f);
    }
}
