package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Sums of INT16 or INT8 contributions, widened to int32 while summing and written back in the narrowest type that
 * holds {@code n * (2^B - 1)} ({@link Codec#bytesDown(int)}). Contributions are saturated to {@code ±(2^B - 1)}
 * (an int8 of -128 becomes -127), so no sum of {@code n} of them can leave the result type, whatever a rank sends.
 */
final class WideningSumAccumulator extends SumAccumulator
{
    private final int[] sums;
    private final int[] scratch;
    private final byte[] bytes;
    private final short[] shorts;
    private final int bytesUp;
    private final int bytesDown;
    private final int limit;

    WideningSumAccumulator(final Codec codec, final int sets, final int elementsPerPacket, final int worldSize)
    {
        super(elementsPerPacket);
        sums = new int[sets * elementsPerPacket];
        scratch = new int[elementsPerPacket];
        bytes = new byte[elementsPerPacket];
        shorts = new short[elementsPerPacket];
        bytesUp = codec.bytesUp();
        bytesDown = codec.bytesDown(worldSize);
        limit = codec.maxQuantised();
    }

    public void store(final DirectBuffer src, final int srcOffset, final int count, final int set)
    {
        final int base = set * elementsPerPacket;
        System.arraycopy(read(src, srcOffset, count), 0, sums, base, count);
        clamp(sums, base, count, limit);
    }

    public void add(final DirectBuffer src, final int srcOffset, final int count, final int set)
    {
        addClamped(sums, set * elementsPerPacket, read(src, srcOffset, count), count, limit, 0);
    }

    public void addShifted(final DirectBuffer src, final int srcOffset, final int count, final int set,
        final int shift)
    {
        addClamped(sums, set * elementsPerPacket, read(src, srcOffset, count), count, limit, shift);
    }

    public void rescale(final int set, final int count, final int shift)
    {
        shiftRight(sums, set * elementsPerPacket, count, shift);
    }

    private int[] read(final DirectBuffer src, final int srcOffset, final int count)
    {
        BufferArrays.getWidened(src, srcOffset, bytesUp, scratch, count, bytes, shorts);
        return scratch;
    }

    public int encode(final int set, final int count, final MutableDirectBuffer dst, final int dstOffset)
    {
        return BufferArrays.putNarrowed(sums, set * elementsPerPacket, bytesDown, dst, dstOffset, count, bytes, shorts);
    }
}
