package dev.ina.bench;

import dev.ina.api.Codec;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Inputs shared by the benchmarks: codec names, gradients and direct buffers. Setup only: allocates.
 */
final class Fixtures
{
    /** Ranks of the job the codec and engine benchmarks simulate: the headroom and the INT8 result width follow. */
    static final int WORLD_SIZE = 4;

    /** Job id of the simulated job. */
    static final int JOB_ID = 7;

    private Fixtures()
    {
    }

    /**
     * The codec a {@code @Param} names.
     *
     * @param name a {@link Codec} constant, e.g. {@code "FIXED32"}.
     * @return the codec.
     */
    static Codec codec(final String name)
    {
        return Codec.valueOf(name);
    }

    /**
     * A gradient-like chunk: uniform values in (-0.4, 0.4), so that every chunk has the same exponent (-2) and a
     * sum of {@link #WORLD_SIZE} of them stays well inside the codecs' range.
     *
     * @param count values.
     * @param seed  random seed; different ranks use different seeds.
     * @return the values.
     */
    static float[] gradient(final int count, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.nextDouble() - 0.5) * 0.8);
        }
        return values;
    }

    /**
     * A direct buffer, as the transport hands frames to the engines.
     *
     * @param capacity bytes.
     * @return the buffer, zeroed.
     */
    static UnsafeBuffer directBuffer(final int capacity)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
    }
}
