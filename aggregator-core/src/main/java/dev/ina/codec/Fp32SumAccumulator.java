package dev.ina.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

final class Fp32SumAccumulator extends SumAccumulator
{
    private final float[] sums;
    private final float[] scratch;

    Fp32SumAccumulator(final int sets, final int elementsPerPacket)
    {
        super(elementsPerPacket);
        sums = new float[sets * elementsPerPacket];
        scratch = new float[elementsPerPacket];
    }

    public void store(final DirectBuffer src, final int srcOffset, final int count, final int set)
    {
        BufferArrays.getFloats(src, srcOffset, sums, set * elementsPerPacket, count);
    }

    public void add(final DirectBuffer src, final int srcOffset, final int count, final int set)
    {
        final float[] sums = this.sums;
        final float[] scratch = this.scratch;
        BufferArrays.getFloats(src, srcOffset, scratch, 0, count);
        final int base = set * elementsPerPacket;
        for (int i = 0; i < count; i++)
        {
            sums[base + i] += scratch[i];
        }
    }

    public int encode(
        final int set, final int count, final int noiseKey, final MutableDirectBuffer dst, final int dstOffset)
    {
        BufferArrays.putFloats(sums, set * elementsPerPacket, dst, dstOffset, count);
        return count * Float.BYTES;
    }
}
