package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Aggregator side of a codec: the sums of one job's slot sets, laid out as {@code sets * elementsPerPacket}
 * values in one array, and the code that adds a contribution's payload and writes a result's payload.
 * <p>
 * Single-threaded: owned by the aggregation engine. Payloads are first bulk-copied into a scratch array so that
 * the adding loop runs over arrays, which the JIT vectorises.
 */
public abstract class SumAccumulator
{
    /** Values per set. */
    protected final int elementsPerPacket;

    /**
     * Creates the accumulator.
     *
     * @param elementsPerPacket values per set.
     */
    protected SumAccumulator(final int elementsPerPacket)
    {
        this.elementsPerPacket = elementsPerPacket;
    }

    /**
     * Bytes of sum memory an accumulator for these dimensions holds, for pool accounting.
     *
     * @param codec             the codec.
     * @param sets              number of sets (two per slot).
     * @param elementsPerPacket values per set.
     * @return bytes.
     */
    public static long sizeOf(final Codec codec, final int sets, final int elementsPerPacket)
    {
        return (long)(sets + 1) * elementsPerPacket * Integer.BYTES; // sums plus one scratch row
    }

    /**
     * Creates the accumulator of a job.
     *
     * @param codec             the job's codec.
     * @param sets              number of sets (two per slot).
     * @param elementsPerPacket values per set.
     * @param worldSize         number of ranks, which bounds what one contribution may hold.
     * @return a new accumulator.
     */
    public static SumAccumulator create(
        final Codec codec, final int sets, final int elementsPerPacket, final int worldSize)
    {
        switch (codec)
        {
            case FP32: return new Fp32SumAccumulator(sets, elementsPerPacket);
            case FIXED32:
                return new Int32SumAccumulator(
                    sets, elementsPerPacket, 1 << FixedPoint.magnitudeBits(Integer.SIZE, worldSize));
            default: throw new IllegalArgumentException("unsupported codec " + codec);
        }
    }

    /**
     * Replaces a set's sum by the first contribution.
     *
     * @param src       buffer holding the payload.
     * @param srcOffset offset of the payload.
     * @param count     number of values.
     * @param set       set index.
     */
    public abstract void store(DirectBuffer src, int srcOffset, int count, int set);

    /**
     * Adds a contribution to a set's sum.
     *
     * @param src       buffer holding the payload.
     * @param srcOffset offset of the payload.
     * @param count     number of values.
     * @param set       set index.
     */
    public abstract void add(DirectBuffer src, int srcOffset, int count, int set);

    /**
     * Writes a set's sum as a result payload.
     *
     * @param set       set index.
     * @param count     number of values.
     * @param dst       buffer to write.
     * @param dstOffset offset of the payload.
     * @return payload length in bytes.
     */
    public abstract int encode(int set, int count, MutableDirectBuffer dst, int dstOffset);
}
