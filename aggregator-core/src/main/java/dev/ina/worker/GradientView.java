package dev.ina.worker;

import dev.ina.codec.ValueCodec;
import org.agrona.MutableDirectBuffer;

import java.nio.FloatBuffer;

/**
 * The caller's gradient during one call: a float[] range or a FloatBuffer (heap or direct), read for sending and
 * overwritten in place with results. Reused across calls: {@link #wrap} re-points it without allocating.
 */
final class GradientView
{
    private float[] array;
    private int arrayOffset;
    private FloatBuffer buffer;
    private int bufferIndex;
    private final float[] scratch;

    GradientView(final int elementsPerPacket)
    {
        scratch = new float[elementsPerPacket];
    }

    void wrap(final float[] array, final int offset)
    {
        this.array = array;
        this.arrayOffset = offset;
        this.buffer = null;
    }

    void wrap(final FloatBuffer buffer, final int index)
    {
        this.buffer = buffer;
        this.bufferIndex = index;
        this.array = null;
    }

    void release()
    {
        array = null;
        buffer = null;
    }

    int exponentOf(final ValueCodec codec, final int index, final int count)
    {
        if (array != null)
        {
            return codec.exponentOf(array, arrayOffset + index, count);
        }
        buffer.get(bufferIndex + index, scratch, 0, count);
        return codec.exponentOf(scratch, 0, count);
    }

    int encode(
        final ValueCodec codec,
        final int index,
        final int count,
        final int exponent,
        final int noiseKey,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        if (array != null)
        {
            return codec.encode(array, arrayOffset + index, count, exponent, noiseKey, dst, dstOffset);
        }
        buffer.get(bufferIndex + index, scratch, 0, count);
        return codec.encode(scratch, 0, count, exponent, noiseKey, dst, dstOffset);
    }

    /**
     * Error feedback: the values of the chunk just encoded minus what was sent, into {@code residual}.
     */
    void quantisationError(
        final ValueCodec codec, final int index, final int count, final int exponent, final float[] residual)
    {
        if (array != null)
        {
            codec.quantisationError(array, arrayOffset + index, count, exponent, residual, index);
        }
        else
        {
            // encode left the buffer's values in scratch.
            codec.quantisationError(scratch, 0, count, exponent, residual, index);
        }
    }

    /**
     * Error feedback: adds the previous step's residual to the gradient in place, once per call and chunk.
     */
    void addResidual(final float[] residual, final int index, final int count)
    {
        if (array != null)
        {
            final float[] a = array;
            final int base = arrayOffset + index;
            for (int i = 0; i < count; i++)
            {
                a[base + i] += residual[index + i];
            }
        }
        else
        {
            buffer.get(bufferIndex + index, scratch, 0, count);
            for (int i = 0; i < count; i++)
            {
                scratch[i] += residual[index + i];
            }
            buffer.put(bufferIndex + index, scratch, 0, count);
        }
    }

    /**
     * Multiplies a chunk in place (a locally filled SUM chunk extrapolated to the world size).
     */
    void scale(final int index, final int count, final float factor)
    {
        if (array != null)
        {
            final float[] a = array;
            final int base = arrayOffset + index;
            for (int i = 0; i < count; i++)
            {
                a[base + i] *= factor;
            }
        }
        else
        {
            buffer.get(bufferIndex + index, scratch, 0, count);
            for (int i = 0; i < count; i++)
            {
                scratch[i] *= factor;
            }
            buffer.put(bufferIndex + index, scratch, 0, count);
        }
    }

    void decode(
        final ValueCodec codec,
        final MutableDirectBuffer src,
        final int srcOffset,
        final int index,
        final int count,
        final int exponent,
        final int numerator,
        final int divisor)
    {
        if (array != null)
        {
            codec.decode(src, srcOffset, count, exponent, numerator, divisor, array, arrayOffset + index);
        }
        else
        {
            codec.decode(src, srcOffset, count, exponent, numerator, divisor, scratch, 0);
            buffer.put(bufferIndex + index, scratch, 0, count);
        }
    }
}
