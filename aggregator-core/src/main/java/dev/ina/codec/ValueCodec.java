package dev.ina.codec;

import dev.ina.api.Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Worker side of a codec: turns a chunk of floats into a payload and a result payload back into floats.
 * <p>
 * An instance owns scratch arrays sized for one packet and is used by one thread.
 */
public abstract class ValueCodec
{
    /** Elements per packet the scratch arrays are sized for. */
    protected final int elementsPerPacket;
    /** Number of ranks in the job. */
    protected final int worldSize;

    /**
     * Creates the codec.
     *
     * @param elementsPerPacket largest chunk.
     * @param worldSize         number of ranks in the job.
     */
    protected ValueCodec(final int elementsPerPacket, final int worldSize)
    {
        this.elementsPerPacket = elementsPerPacket;
        this.worldSize = worldSize;
    }

    /**
     * Creates the worker-side codec for a job.
     *
     * @param codec             the codec.
     * @param elementsPerPacket largest chunk.
     * @param worldSize         number of ranks.
     * @return a new instance, to be owned by one thread.
     */
    public static ValueCodec create(final Codec codec, final int elementsPerPacket, final int worldSize)
    {
        switch (codec)
        {
            case FP32: return new Fp32ValueCodec(elementsPerPacket, worldSize);
            case FIXED32: return new Fixed32ValueCodec(elementsPerPacket, worldSize);
            case INT16:
            case INT8:
            case INT8_NARROW:
                return new StochasticValueCodec(codec, elementsPerPacket, worldSize);
            default: throw new IllegalArgumentException("unsupported codec " + codec);
        }
    }

    /**
     * Key of a chunk's rounding noise for {@link #encode}: distinct per job, rank and sequence, and the same for a
     * retransmission of the chunk.
     *
     * @param jobId    job.
     * @param rank     rank, 0 to 65535 on the wire; the aggregator's rounding of results uses -1
     *                 ({@link SumAccumulator#resultNoiseKey(int, int)}), so its noise differs from every rank's.
     * @param sequence chunk sequence.
     * @return the key.
     */
    public static int noiseKey(final int jobId, final int rank, final int sequence)
    {
        final int rankSeed = StochasticValueCodec.mix(jobId * StochasticValueCodec.GOLDEN + rank);
        return StochasticValueCodec.mix(rankSeed + sequence);
    }

    /**
     * The codec this instance implements.
     *
     * @return the codec.
     */
    public abstract Codec codec();

    /**
     * This rank's exponent proposal for a chunk; only meaningful when {@link Codec#isScaled()}.
     *
     * @param values chunk values.
     * @param index  first value.
     * @param count  number of values.
     * @return the proposal, or {@link FixedPoint#NON_FINITE} when a value cannot be carried.
     */
    public int exponentOf(final float[] values, final int index, final int count)
    {
        return FixedPoint.exponentOf(values, index, count);
    }

    /**
     * Writes the payload of a chunk.
     *
     * @param values    chunk values.
     * @param index     first value.
     * @param count     number of values, at most elements per packet.
     * @param exponent  agreed exponent (ignored by unscaled codecs).
     * @param noiseKey  key of the chunk's rounding noise (used by stochastic codecs only): the same key and values
     *                  give the same payload, so a retransmission repeats the original exactly.
     * @param dst       buffer to write.
     * @param dstOffset offset of the payload in {@code dst}.
     * @return payload length in bytes.
     */
    public abstract int encode(
        float[] values, int index, int count, int exponent, int noiseKey, MutableDirectBuffer dst, int dstOffset);

    /**
     * Quantisation error of the chunk last passed to {@link #encode}: {@code residual[i] = values[i] - sent[i]}
     * where {@code sent} is what the payload carries, in value units. For error feedback; unscaled codecs write 0.
     *
     * @param values        the values last encoded.
     * @param index         first value.
     * @param count         number of values.
     * @param exponent      exponent they were encoded with.
     * @param residual      array to write.
     * @param residualIndex first element to write.
     */
    public abstract void quantisationError(
        float[] values, int index, int count, int exponent, float[] residual, int residualIndex);

    /**
     * Reads a result payload into floats.
     *
     * @param src          buffer holding the payload.
     * @param srcOffset    offset of the payload.
     * @param count        number of values.
     * @param exponent     exponent of the sum (ignored by unscaled codecs).
     * @param numerator    factor applied to the sum: 1, or the world size to extrapolate a partial SUM.
     * @param divisor      divisor of the sum: 1 for SUM, the number of contributors for AVG and partial SUM.
     * @param dst          array to write.
     * @param dstIndex     first element to write.
     */
    public abstract void decode(
        DirectBuffer src, int srcOffset, int count, int exponent, int numerator, int divisor, float[] dst,
        int dstIndex);
}
