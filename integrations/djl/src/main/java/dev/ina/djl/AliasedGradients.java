package dev.ina.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Zero-copy gradients on PyTorch in host memory. One flat float32 array, owned by the model's manager, holds every
 * trainable parameter's gradient: the first {@link #gather()} copies each gradient into its slice of the flat
 * array and points the gradient's storage at that slice ({@code set(directBuffer)}, a PyTorch {@code set_}), so
 * later backward passes accumulate into the flat array, the optimizer's {@code zero_grad} clears it in place, and
 * the all-reduce reads and writes it where it is.
 * <p>
 * Every {@link #gather()} checks, per parameter, that the gradient still lives in its slice (one probe write and
 * read through both views) and moves it back if autograd replaced it (a backward with {@code create_graph}
 * builds the gradient out of place) or if it did not exist yet (a parameter that the first forward pass did not
 * use gets a zero gradient first). The flat memory belongs to the model's manager, so it lives as long as the
 * parameters that point at it.
 */
final class AliasedGradients implements GradientBuffer
{
    private final ModelParameters parameters;
    private final NDManager owner;
    private final int[] indices;
    private final ByteBuffer[] slices;
    private final FloatBuffer floats;
    private final int count;
    private long moves;

    /**
     * Allocates the flat array in the owner's memory.
     *
     * @param parameters the model's parameters.
     * @param owner      the model's manager (PyTorch, CPU).
     */
    AliasedGradients(final ModelParameters parameters, final NDManager owner)
    {
        this.parameters = parameters;
        this.owner = owner;
        this.count = parameters.trainableElements();
        final NDArray flat = owner.zeros(new Shape(count), DataType.FLOAT32);
        flat.setName("ina-gradients");
        final ByteBuffer bytes = flat.toByteBuffer(true).order(ByteOrder.nativeOrder());
        if (!bytes.isDirect() || bytes.capacity() != (long)count * Float.BYTES)
        {
            throw new IllegalStateException("the engine did not expose the flat gradient array as a direct buffer " +
                "of " + count + " floats (got " + bytes + ")");
        }
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
        int offset = 0;
        for (int i = 0, k = 0; i < parameters.size(); i++)
        {
            if (parameters.isTrainable(i) && parameters.array(i).size() > 0)
            {
                final int length = Math.toIntExact(parameters.array(i).size() * Float.BYTES);
                indices[k] = i;
                slices[k] = bytes.duplicate().position(offset).limit(offset + length).slice()
                    .order(ByteOrder.nativeOrder());
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
            final NDArray array = parameters.array(indices[k]);
            if (!isInSlice(array, slices[k]))
            {
                moveIntoSlice(k);
            }
        }
        floats.clear();
        return floats;
    }

    @Override
    public void scatter()
    {
        // The all-reduce wrote the flat array, which is where the gradients are.
    }

    @Override
    public int count()
    {
        return count;
    }

    @Override
    public boolean isZeroCopy()
    {
        return true;
    }

    /**
     * Times a gradient was moved into its slice: once per parameter at the start, more if autograd replaced one.
     *
     * @return count.
     */
    long moves()
    {
        return moves;
    }

    private void moveIntoSlice(final int k)
    {
        final NDArray array = parameters.array(indices[k]);
        pointAtSlice(array, slices[k]);
        if (!isInSlice(array, slices[k]))
        {
            // DJL hands out a fresh zero array when a parameter has no gradient yet: make autograd create one.
            createZeroGradient(array);
            pointAtSlice(array, slices[k]);
            if (!isInSlice(array, slices[k]))
            {
                throw new IllegalStateException("cannot place the gradient of parameter '" +
                    parameters.name(indices[k]) + "' in INA's gradient buffer");
            }
        }
        moves++;
    }

    private static void pointAtSlice(final NDArray array, final ByteBuffer slice)
    {
        try (NDArray gradient = array.getGradient())
        {
            final ByteBuffer values = gradient.toByteBuffer(true);
            slice.clear();
            slice.put(values);
            slice.clear();
            gradient.set(slice);
        }
    }

    private static boolean isInSlice(final NDArray array, final ByteBuffer slice)
    {
        try (NDArray gradient = array.getGradient())
        {
            final ByteBuffer view = gradient.toByteBuffer(true);
            if (!view.isDirect() || view.capacity() != slice.capacity())
            {
                return false;
            }
            final int original = slice.getInt(0);
            final int probe = ~original;
            slice.putInt(0, probe);
            final boolean same = view.getInt(0) == probe;
            slice.putInt(0, original);
            return same;
        }
    }

    private void createZeroGradient(final NDArray array)
    {
        try (NDManager scope = owner.newSubManager();
            GradientCollector collector = owner.getEngine().newGradientCollector())
        {
            final NDArray product = array.mul(0.0f);
            product.attach(scope);
            final NDArray total = product.sum();
            total.attach(scope);
            collector.backward(total);
        }
    }
}
