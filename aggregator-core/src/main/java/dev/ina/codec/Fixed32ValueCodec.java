package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

final class Fixed32ValueCodec extends ValueCodec
{
    private final int magnitudeBits;
    private final int[] ints;

    Fixed32ValueCodec(final int elementsPerPacket, final int worldSize)
    {
        super(elementsPerPacket, worldSize);
        magnitudeBits = FixedPoint.magnitudeBits(Integer.SIZE, worldSize);
        ints = new int[elementsPerPacket];
    }

    public Codec codec()
    {
        return Codec.FIXED32;
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
        final int[] ints = this.ints;
        final double scale = FixedPoint.scale(exponent, magnitudeBits);
        for (int i = 0; i < count; i++)
        {
            // Exact product (float times a power of two in double), rounded half-even. No clamp here: with the
            // agreed maximum exponent it cannot bind, and the aggregator clamps every contribution anyway, so a
            // rank that overshoots cannot overflow a sum (and this loop stays simple enough to vectorise).
            ints[i] = (int)Math.rint(values[index + i] * scale);
        }
        BufferArrays.putInts(ints, 0, dst, dstOffset, count);
        return count * Integer.BYTES;
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
        final int[] ints = this.ints;
        BufferArrays.getInts(src, srcOffset, ints, 0, count);
        FixedPoint.dequantise(ints, count, exponent, magnitudeBits, numerator, divisor, dst, dstIndex);
    }

    public void quantisationError(
        final float[] values,
        final int index,
        final int count,
        final int exponent,
        final float[] residual,
        final int residualIndex)
    {
        FixedPoint.residual(values, index, count, ints, exponent, magnitudeBits, residual, residualIndex);
    }
}
