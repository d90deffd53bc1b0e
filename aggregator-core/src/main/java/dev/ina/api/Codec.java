package dev.ina.api;

import dev.ina.protocol.FrameDescriptor;

/**
 * How gradient values travel on the wire and are summed by the aggregator.
 */
public enum Codec
{
    /**
     * IEEE-754 float32 up and down; the aggregator sums floats in arrival order. Every worker receives the same
     * bits, but a rerun may round differently when packets arrive in another order.
     */
    FP32(FrameDescriptor.CODEC_FP32, Float.BYTES, 0, false),

    /**
     * int32 fixed point with a per-chunk shared exponent (maximum over ranks, agreed one piggy-back distance ahead,
     * as in SwitchML), rounded to nearest. Integer sums are associative: results are bit-identical on every worker
     * and independent of arrival order. Error of each sum at most {@code n * 2^(E - 30 + ceil(log2 n))} where
     * {@code 2^(E+1)} bounds the chunk's largest magnitude.
     */
    FIXED32(FrameDescriptor.CODEC_FIXED32, Integer.BYTES, 32, false),

    /**
     * int16 up, block-scaled with the same per-chunk shared exponent as {@link #FIXED32} but with stochastic
     * (unbiased) rounding to 15 magnitude bits; sums widened to int32 in the aggregator and sent back as int32 (as
     * int16 for one rank). Results are bit-identical on every worker; each value is off by less than one step
     * {@code 2^(E - 14)}, and by zero on average.
     */
    INT16(FrameDescriptor.CODEC_INT16, Short.BYTES, 16, false),

    /**
     * int8 up, block-scaled and stochastically rounded to 7 magnitude bits (steps of {@code 2^(E - 6)}); sums
     * widened in the aggregator and sent back as int16 for up to {@value #INT8_INT16_RESULT_MAX_RANKS} ranks, int32
     * beyond. A quarter of FP32's traffic up and half of it down. Meant for gradients with error feedback.
     */
    INT8(FrameDescriptor.CODEC_INT8, Byte.BYTES, 8, false),

    /**
     * int8 both ways. Up exactly as {@link #INT8} (same quantisation, exponent agreement and error feedback); the
     * aggregator sums exactly in int32, then re-quantises each sum {@code s} of {@code n} ranks to int8 with
     * {@code k = ceil(log2 n)} ({@link #resultShift(int)}): {@code r = floor((s + u) / 2^k)}, {@code u} uniform in
     * {@code [0, 2^k)} from a hash of the job id, the chunk's sequence number and the element index. Workers decode
     * {@code r * 2^(E - 6 + k)}. A quarter of FP32's traffic each way, for every world size.
     * <p>
     * Error: each result value is off by less than {@code 2^k} uplink steps {@code 2^(E - 6)} beyond INT8's error,
     * and by zero on average (unbiased; error feedback does not see this part). One payload goes to every worker,
     * and a resent result repeats its bytes, so results are bit-identical on every worker and reproducible. With one
     * rank ({@code k = 0}) results are exactly INT8's.
     * <p>
     * Prefer it when the link is the bound and tensors are large: half of INT8's bytes down from 2 to
     * {@value #INT8_INT16_RESULT_MAX_RANKS} ranks, a quarter beyond. Avoid it with many ranks: the result step
     * grows like {@code n} while sums of uncorrelated gradients grow like {@code √n}, so small sums lose their bits.
     */
    INT8_NARROW(FrameDescriptor.CODEC_INT8_NARROW, Byte.BYTES, 8, true);

    /** Largest world size for which {@link #INT8} sums fit in int16: {@code 258 * 127 <= 32767}. */
    public static final int INT8_INT16_RESULT_MAX_RANKS = Short.MAX_VALUE / Byte.MAX_VALUE;

    private final byte id;
    private final int bytesUp;
    private final int bits;
    private final boolean narrowsResults;

    Codec(final byte id, final int bytesUp, final int bits, final boolean narrowsResults)
    {
        this.id = id;
        this.bytesUp = bytesUp;
        this.bits = bits;
        this.narrowsResults = narrowsResults;
    }

    /**
     * Wire id of the codec.
     *
     * @return the value carried in the header's codec byte.
     */
    public byte id()
    {
        return id;
    }

    /**
     * Bytes per element from worker to aggregator.
     *
     * @return bytes per element up.
     */
    public int bytesUp()
    {
        return bytesUp;
    }

    /**
     * Bytes per element from aggregator to worker: the narrowest of 1, 2 or 4 bytes that holds the sum of
     * {@code worldSize} quantised values exactly (FP32 and FIXED32: always 4; INT8_NARROW: always 1, as the
     * aggregator re-quantises the sums).
     *
     * @param worldSize ranks in the job.
     * @return bytes per element down.
     */
    public int bytesDown(final int worldSize)
    {
        if (narrowsResults)
        {
            return Byte.BYTES;
        }
        if (bits == 0 || bits == Integer.SIZE)
        {
            return Integer.BYTES;
        }
        final long largestSum = (long)worldSize * maxQuantised();
        if (largestSum <= Byte.MAX_VALUE)
        {
            return Byte.BYTES;
        }
        return largestSum <= Short.MAX_VALUE ? Short.BYTES : Integer.BYTES;
    }

    /**
     * Whether the codec scales values by a per-chunk exponent that ranks agree on before sending the chunk.
     *
     * @return true for fixed-point codecs.
     */
    public boolean isScaled()
    {
        return bits != 0;
    }

    /**
     * Whether values are rounded stochastically (unbiased), so that error feedback and averaging over steps
     * cancel the rounding error.
     *
     * @return true for INT16, INT8 and INT8_NARROW.
     */
    public boolean isStochastic()
    {
        return bits != 0 && bits < Integer.SIZE;
    }

    /**
     * Width of one quantised value on the way up.
     *
     * @return bits, or 0 for FP32.
     */
    public int bits()
    {
        return bits;
    }

    /**
     * Largest magnitude of a quantised value of a narrow codec: {@code 2^(bits-1) - 1}, symmetric so that
     * {@code n} of them sum to at most {@code n * maxQuantised()}.
     *
     * @return the magnitude, or 0 for FP32 and FIXED32 (whose limit depends on the world size).
     */
    public int maxQuantised()
    {
        return isStochastic() ? (1 << (bits - 1)) - 1 : 0;
    }

    /**
     * Bits the aggregator drops from each sum before sending it: results carry {@code sum / 2^resultShift},
     * stochastically rounded, and workers scale them back by {@code 2^resultShift}.
     *
     * @param worldSize ranks in the job, at least 1 (the shift depends on it, not on how many ranks a partial
     *                  result holds).
     * @return {@code ceil(log2 worldSize)} for INT8_NARROW, the least shift that brings {@code worldSize * 127}
     *         within int8 (0 for one rank); 0 for the codecs whose results are exact sums.
     */
    public int resultShift(final int worldSize)
    {
        return narrowsResults ? Integer.SIZE - Integer.numberOfLeadingZeros(worldSize - 1) : 0;
    }

    /**
     * Codec for a wire id.
     *
     * @param id wire id.
     * @return the codec, or null if the id is unknown.
     */
    public static Codec fromId(final int id)
    {
        for (final Codec codec : values())
        {
            if (codec.id == id)
            {
                return codec;
            }
        }
        return null;
    }
}
