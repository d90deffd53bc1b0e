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
    /**
     * Whether the clamping loops check first and clamp only if needed, instead of clamping every value with
     * {@code Math.min}/{@code max}: on JDK 17 those stop the loop from vectorising (2-3x slower than the check),
     * while JDK 25 vectorises them and runs the single clamping pass faster than the check. A static final, so the
     * JIT folds the choice away.
     */
    private static final boolean CLAMP_AFTER_CHECK = Runtime.version().feature() <= 17;

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
        // Sums plus one scratch row, and the noise index table of a codec that rounds its results.
        final int rows = sets + 1 + (codec == Codec.INT8_NARROW ? 1 : 0);
        return (long)rows * elementsPerPacket * Integer.BYTES;
    }

    /**
     * Key of the noise with which {@link #encode} rounds a chunk's result (INT8_NARROW): a function of the job and
     * the chunk's sequence number only, so every send of a result, first or repeated, carries the same bytes, and
     * a rerun of a job gives the same results (the session token, random per session, is left out on purpose).
     * It is {@link ValueCodec#noiseKey(int, int, int)} with rank -1: another stream than any rank's rounding of
     * its contribution to the chunk.
     *
     * @param jobId    job.
     * @param sequence chunk sequence.
     * @return the key.
     */
    public static int resultNoiseKey(final int jobId, final int sequence)
    {
        return ValueCodec.noiseKey(jobId, -1, sequence);
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
            case INT16:
            case INT8:
            case INT8_NARROW:
                return new WideningSumAccumulator(codec, sets, elementsPerPacket, worldSize);
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
     * Adds a contribution quantised with a smaller exponent than the set's: each value is first divided by
     * {@code 2^shift} (rounded down). Only bounded mode needs it, for a rank that missed an exponent agreement.
     * Unscaled accumulators add unchanged.
     *
     * @param src       buffer holding the payload.
     * @param srcOffset offset of the payload.
     * @param count     number of values.
     * @param set       set index.
     * @param shift     exponent difference, positive.
     */
    public void addShifted(final DirectBuffer src, final int srcOffset, final int count, final int set,
        final int shift)
    {
        add(src, srcOffset, count, set);
    }

    /**
     * Moves a set's sum to an exponent {@code shift} larger (divides by {@code 2^shift}, rounding down), before a
     * contribution with that larger exponent is added. Bounded mode only; unscaled accumulators ignore it.
     *
     * @param set   set index.
     * @param count number of values.
     * @param shift exponent difference, positive.
     */
    public void rescale(final int set, final int count, final int shift)
    {
    }

    /**
     * Arithmetic right shift of a run of ints, saturating the shift at 31 (all values become 0 or -1).
     *
     * @param values array.
     * @param index  first value.
     * @param count  number of values.
     * @param shift  bits, positive.
     */
    static void shiftRight(final int[] values, final int index, final int count, final int shift)
    {
        final int s = Math.min(shift, Integer.SIZE - 1);
        for (int i = index, end = index + count; i < end; i++)
        {
            values[i] >>= s;
        }
    }

    /**
     * Clamps a run of ints to {@code [-limit, limit]} in place.
     *
     * @param values array.
     * @param index  first value.
     * @param count  number of values.
     * @param limit  largest magnitude, positive.
     */
    static void clamp(final int[] values, final int index, final int count, final int limit)
    {
        if (CLAMP_AFTER_CHECK && !anyOutside(values, index, count, limit))
        {
            return;
        }
        for (int i = index, end = index + count; i < end; i++)
        {
            values[i] = Math.max(-limit, Math.min(limit, values[i]));
        }
    }

    /**
     * {@code sums[base + i] += clamp(values[i]) >> shift}, clamping to {@code [-limit, limit]}; shift 0 for a
     * plain clamped add.
     * <p>
     * On JDK 17, {@code Math.min}/{@code max} on ints stop the loop from vectorising. So there the loop adds
     * unclamped and ORs {@code (x + limit) | (limit - x)}, which is negative iff {@code x} is outside the range (one
     * of the two wraps near the ends of the int range); only then does a second pass correct the sums by
     * {@code (clamp(x) >> shift) - (x >> shift)}, which gives the same bits as adding the clamped value, int
     * addition being modulo 2^32. Later JDKs vectorise the plain clamping loop, which is faster there
     * ({@link #CLAMP_AFTER_CHECK}).
     *
     * @param sums   sums to add to.
     * @param base   first sum.
     * @param values contributions.
     * @param count  number of values.
     * @param limit  largest magnitude of a contribution, positive.
     * @param shift  bits, 0 or positive; saturated at 31.
     */
    static void addClamped(
        final int[] sums, final int base, final int[] values, final int count, final int limit, final int shift)
    {
        final int s = Math.min(shift, Integer.SIZE - 1);
        if (!CLAMP_AFTER_CHECK)
        {
            for (int i = 0; i < count; i++)
            {
                sums[base + i] += Math.max(-limit, Math.min(limit, values[i])) >> s;
            }
            return;
        }
        int outside = 0;
        for (int i = 0; i < count; i++)
        {
            final int x = values[i];
            outside |= (x + limit) | (limit - x); // as anyOutside, fused into the adding pass
            sums[base + i] += x >> s;
        }
        if (outside < 0)
        {
            for (int i = 0; i < count; i++)
            {
                final int x = values[i];
                sums[base + i] += (Math.max(-limit, Math.min(limit, x)) >> s) - (x >> s);
            }
        }
    }

    /**
     * Whether a run of ints has a value outside {@code [-limit, limit]}: an OR reduction of
     * {@code (x + limit) | (limit - x)}, negative iff some {@code x} is outside (one of the two wraps near the ends
     * of the int range), which vectorises where a running min/max does not on JDK 17.
     */
    private static boolean anyOutside(final int[] values, final int index, final int count, final int limit)
    {
        int outside = 0;
        for (int i = index, end = index + count; i < end; i++)
        {
            final int x = values[i];
            outside |= (x + limit) | (limit - x);
        }
        return outside < 0;
    }

    /**
     * Writes a set's sum as a result payload. Does not change the sum: the same set and key give the same bytes
     * however often it is called.
     *
     * @param set       set index.
     * @param count     number of values.
     * @param noiseKey  key of the result's rounding noise ({@link #resultNoiseKey}), used only by codecs that
     *                  round their results (INT8_NARROW).
     * @param dst       buffer to write.
     * @param dstOffset offset of the payload.
     * @return payload length in bytes.
     */
    public abstract int encode(int set, int count, int noiseKey, MutableDirectBuffer dst, int dstOffset);
}
