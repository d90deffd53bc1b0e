package dev.ina.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

final class Int32SumAccumulator extends SumAccumulator
{
    private final int[] sums;
    private final int[] scratch;
    private final int limit;

    /**
     * @param limit largest magnitude a contribution may have; larger values are clamped so that a sum of
     *              world-size contributions cannot overflow, whatever a rank sends.
     */
    Int32SumAccumulator(final int sets, final int elementsPerPacket, final int limit)
    {
        super(elementsPerPacket);
        sums = new int[sets * elementsPerPacket];
        scratch = new int[elementsPerPacket];
        this.limit = limit;
    }

    public void store(final DirectBuffer src, final int srcOffset, final int count, final int set)
    {
        final int base = set * elementsPerPacket;
        BufferArrays.getInts(src, srcOffset, sums, base, count);
        clamp(sums, base, count, limit);
    }

    public void add(final DirectBuffer src, final int srcOffset, final int count, final int set)
    {
        BufferArrays.getInts(src, srcOffset, scratch, 0, count);
        addClamped(sums, set * elementsPerPacket, scratch, count, limit, 0);
    }

    public void addShifted(final DirectBuffer src, final int srcOffset, final int count, final int set,
        final int shift)
    {
        BufferArrays.getInts(src, srcOffset, scratch, 0, count);
        addClamped(sums, set * elementsPerPacket, scratch, count, limit, shift);
    }

    public void rescale(final int set, final int count, final int shift)
    {
        shiftRight(sums, set * elementsPerPacket, count, shift);
    }

    public int encode(
        final int set, final int count, final int noiseKey, final MutableDirectBuffer dst, final int dstOffset)
    {
        BufferArrays.putInts(sums, set * elementsPerPacket, dst, dstOffset, count);
        return count * Integer.BYTES;
    }
}
