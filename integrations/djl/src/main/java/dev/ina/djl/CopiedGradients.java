package dev.ina.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Gradients copied into one flat direct buffer before the all-reduce and back into the parameters' gradient arrays
 * after it, through DJL's engine-neutral API: for engines or devices whose memory the JVM cannot see (a GPU).
 * The write back is an in-place indexed assignment ({@code gradient.set(new NDIndex("..."), values)}), which keeps
 * the gradient's own memory.
 * <p>
 * A parameter that had no gradient at the first step (not used by that rank's forward pass) cannot be written back:
 * the first {@link #scatter()} reads every gradient again and fails with the parameter's name if one did not take
 * the reduced values. Once a gradient exists it is zeroed in place by the optimizer and keeps existing.
 */
final class CopiedGradients implements GradientBuffer
{
    private static final NDIndex ALL = new NDIndex("...");

    private final ModelParameters parameters;
    private final NDManager owner;
    private final int[] indices;
    private final ByteBuffer[] slices;
    private final FloatBuffer[] floatSlices;
    private final FloatBuffer floats;
    private final int count;
    private boolean checked;

    /**
     * Allocates the flat buffer.
     *
     * @param parameters the model's parameters.
     * @param owner      manager for the temporary arrays of the write back: the model's, on the parameters' device.
     */
    CopiedGradients(final ModelParameters parameters, final NDManager owner)
    {
        this.parameters = parameters;
        this.owner = owner;
        this.count = parameters.trainableElements();
        final ByteBuffer bytes = ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder());
        int trainable = 0;
        for (int i = 0; i < parameters.size(); i++)
        {
            if (parameters.isTrainable(i) && parameters.array(i).size() > 0)
            {
                trainable++;
            }
        }
        indices = new int[trainable];
        slices = new ByteBuffer[trainable];
        floatSlices = new FloatBuffer[trainable];
        int offset = 0;
        for (int i = 0, k = 0; i < parameters.size(); i++)
        {
            if (parameters.isTrainable(i) && parameters.array(i).size() > 0)
            {
                final int length = Math.toIntExact(parameters.array(i).size() * Float.BYTES);
                indices[k] = i;
                slices[k] = bytes.duplicate().position(offset).limit(offset + length).slice()
                    .order(ByteOrder.nativeOrder());
                floatSlices[k] = slices[k].asFloatBuffer();
                offset += length;
                k++;
            }
        }
        floats = bytes.asFloatBuffer();
    }

    @Override
    public FloatBuffer gather()
    {
        for (int k = 0; k < indices.length; k++)
        {
            try (NDArray gradient = parameters.array(indices[k]).getGradient())
            {
                final ByteBuffer values = gradient.toByteBuffer();
                slices[k].clear();
                slices[k].put(values);
            }
        }
        floats.clear();
        return floats;
    }

    @Override
    public void scatter()
    {
        for (int k = 0; k < indices.length; k++)
        {
            final NDArray array = parameters.array(indices[k]);
            floatSlices[k].clear();
            try (NDArray gradient = array.getGradient();
                NDArray reduced = owner.create(floatSlices[k], array.getShape(), DataType.FLOAT32))
            {
                gradient.set(ALL, reduced);
            }
        }
        if (!checked)
        {
            checkWritten();
            checked = true;
        }
    }

    @Override
    public int count()
    {
        return count;
    }

    @Override
    public boolean isZeroCopy()
    {
        return false;
    }

    private void checkWritten()
    {
        for (int k = 0; k < indices.length; k++)
        {
            try (NDArray gradient = parameters.array(indices[k]).getGradient())
            {
                final ByteBuffer values = gradient.toByteBuffer();
                slices[k].clear();
                if (!values.equals(slices[k]))
                {
                    throw new IllegalStateException("parameter '" + parameters.name(indices[k]) + "' has no " +
                        "gradient on this rank at the first step, so the averaged gradient cannot be written to " +
                        "it: every trainable parameter must be used by each rank's first forward pass");
                }
            }
        }
    }
}
