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
    FP32(FrameDescriptor.CODEC_FP32, Float.BYTES, Float.BYTES, false),

    /**
     * int32 fixed point with a per-chunk shared exponent (maximum over ranks, agreed one piggy-back distance ahead,
     * as in SwitchML). Integer sums are associative: results are bit-identical on every worker and independent of
     * arrival order. Error of each sum at most {@code n * 2^(E - 30 + ceil(log2 n))} where {@code 2^E} bounds
     * the chunk's largest magnitude.
     */
    FIXED32(FrameDescriptor.CODEC_FIXED32, Integer.BYTES, Integer.BYTES, true);

    private final byte id;
    private final int bytesUp;
    private final int bytesDown;
    private final boolean scaled;

    Codec(final byte id, final int bytesUp, final int bytesDown, final boolean scaled)
    {
        this.id = id;
        this.bytesUp = bytesUp;
        this.bytesDown = bytesDown;
        this.scaled = scaled;
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
     * Bytes per element from aggregator to worker.
     *
     * @return bytes per element down.
     */
    public int bytesDown()
    {
        return bytesDown;
    }

    /**
     * Whether the codec scales values by a per-chunk exponent that ranks agree on before sending the chunk.
     *
     * @return true for fixed-point codecs.
     */
    public boolean isScaled()
    {
        return scaled;
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
