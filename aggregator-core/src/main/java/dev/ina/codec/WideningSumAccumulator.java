package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Sums of INT16, INT8 or INT8_NARROW contributions, widened to int32 while summing. Contributions are saturated to
 * {@code ±(2^B - 1)} (an int8 of -128 becomes -127), so no sum of {@code n} of them can leave
 * {@code ±n * (2^B - 1)}, whatever a rank sends.
 * <p>
 * INT16 and INT8 write results back in the narrowest type that holds {@code n * (2^B - 1)}
 * ({@link Codec#bytesDown(int)}). INT8_NARROW re-quantises each sum {@code s} to int8 with
 * {@code k = }{@link Codec#resultShift(int) resultShift(n)} {@code = ceil(log2 n)}:
 * {@code r = floor((s + u) / 2^k) = (s + u) >> k}, {@code u} the top {@code k} bits of the same counter-based hash
 * as {@link StochasticValueCodec}'s, keyed by {@link #resultNoiseKey(int, int)} and the element index. Writing
 * {@code s = q * 2^k + f}, {@code 0 <= f < 2^k}: {@code r = q + 1} when {@code u >= 2^k - f} (probability
 * {@code f / 2^k}), else {@code q}; so {@code E[r * 2^k] = s} (unbiased), {@code |r * 2^k - s| < 2^k}, and
 * {@code r} fits int8:
 * <pre>
 *   |s| &lt;= n * 127 &lt;= 2^k * 127 and 0 &lt;= u &lt;= 2^k - 1, so
 *   s + u &lt;=  2^k * 127 + 2^k - 1 &lt; 2^k * 128  gives  r &lt;= 127, and
 *   s + u &gt;= -2^k * 127                      gives  r &gt;= -127.
 * </pre>
 * The bound on {@code |s|} holds for partial sums too (fewer contributors, or contributions shifted right in
 * bounded mode), since {@code k} depends on the world size only. The sums themselves are not changed: rounding
 * happens each time a result is written, from the same sums and key, so a resent result repeats the first bytes.
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
    private final int resultShift;
    /** {@code i * GOLDEN} for INT8_NARROW with two or more ranks (see {@link StochasticValueCodec}), else null. */
    private final int[] noiseIndex;

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
        resultShift = codec.resultShift(worldSize);
        noiseIndex = resultShift == 0 ? null : StochasticValueCodec.noiseIndex(elementsPerPacket);
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

    public int encode(
        final int set, final int count, final int noiseKey, final MutableDirectBuffer dst, final int dstOffset)
    {
        final int base = set * elementsPerPacket;
        if (resultShift == 0)
        {
            return BufferArrays.putNarrowed(sums, base, bytesDown, dst, dstOffset, count, bytes, shorts);
        }
        System.arraycopy(sums, base, scratch, 0, count);
        roundToInt8(count, noiseKey);
        return BufferArrays.putNarrowed(scratch, 0, Byte.BYTES, dst, dstOffset, count, bytes, shorts);
    }

    /**
     * {@code scratch[i] = (scratch[i] + u_i) >> k}, in place on a copy of the sums: int arithmetic only (the hash
     * multiplies and shifts) over one array plus the noise index table, the shape C2 vectorises on JDK 17 and 25
     * (reading the sums and writing another int array in the same loop did not vectorise on JDK 17, and a loop
     * that also narrowed to bytes vectorised on neither). The noise index comes from {@link #noiseIndex}, not the
     * loop counter, as in {@link StochasticValueCodec}.
     */
    private void roundToInt8(final int count, final int noiseKey)
    {
        final int[] scratch = this.scratch;
        final int[] noiseIndex = this.noiseIndex;
        final int shift = resultShift;
        final int noiseShift = Integer.SIZE - shift;
        final int keyHash = noiseKey * StochasticValueCodec.GOLDEN;
        for (int i = 0; i < count; i++)
        {
            scratch[i] = (scratch[i] + (StochasticValueCodec.mix(keyHash + noiseIndex[i]) >>> noiseShift)) >> shift;
        }
    }
}
