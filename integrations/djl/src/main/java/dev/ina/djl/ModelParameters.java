package dev.ina.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A model's parameters in the order of {@code model.getBlock().getParameters()}, which is the same in every
 * process that builds the same block: the layout of the gradient and broadcast buffers. Checks what INA needs:
 * initialised float32 arrays on the trainer's device.
 */
final class ModelParameters
{
    /** Most elements one buffer may hold: a {@code FloatBuffer} and a registered tensor are indexed by int. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final List<String> names;
    private final List<NDArray> arrays;
    private final List<Boolean> trainable;
    private final int elements;
    private final int trainableElements;

    private ModelParameters(final List<String> names, final List<NDArray> arrays, final List<Boolean> trainable)
    {
        this.names = Collections.unmodifiableList(names);
        this.arrays = Collections.unmodifiableList(arrays);
        this.trainable = Collections.unmodifiableList(trainable);
        long all = 0;
        long withGradient = 0;
        for (int i = 0; i < arrays.size(); i++)
        {
            final long size = arrays.get(i).size();
            all += size;
            if (trainable.get(i))
            {
                withGradient += size;
            }
        }
        if (all > MAX_ELEMENTS)
        {
            throw new IllegalArgumentException("the model has " + all + " parameter elements; INA's DJL trainer " +
                "handles at most " + MAX_ELEMENTS + " per process");
        }
        this.elements = (int)all;
        this.trainableElements = (int)withGradient;
    }

    /**
     * Reads and checks the parameters of a model.
     *
     * @param model  the model, its block initialised.
     * @param device the device the trainer trains on.
     * @return the parameters, in block order.
     * @throws IllegalStateException if a parameter is not initialised, not float32 or on another device.
     */
    static ModelParameters of(final Model model, final Device device)
    {
        final List<String> names = new ArrayList<>();
        final List<NDArray> arrays = new ArrayList<>();
        final List<Boolean> trainable = new ArrayList<>();
        for (final Pair<String, Parameter> pair : model.getBlock().getParameters())
        {
            final String name = pair.getKey();
            final Parameter parameter = pair.getValue();
            if (!parameter.isInitialized())
            {
                throw new IllegalStateException("parameter '" + name + "' of model '" + model.getName() +
                    "' is not initialised: call trainer.initialize(inputShapes) before training");
            }
            final NDArray array = parameter.getArray();
            if (array.getDataType() != DataType.FLOAT32)
            {
                throw new IllegalStateException("parameter '" + name + "' is " + array.getDataType() +
                    "; INA's DJL trainer all-reduces float32 parameters only: build the model in float32");
            }
            if (!array.getDevice().equals(device))
            {
                throw new IllegalStateException("parameter '" + name + "' lives on " + array.getDevice() +
                    " but the trainer trains on " + device + ": create the model on the training device " +
                    "(Model.newInstance(name, device)) or train on the model's device (optDevices)");
            }
            names.add(name);
            arrays.add(array);
            trainable.add(parameter.requiresGradient());
        }
        return new ModelParameters(names, arrays, trainable);
    }

    /**
     * Number of parameters.
     *
     * @return count.
     */
    int size()
    {
        return arrays.size();
    }

    /**
     * Name of a parameter, for messages.
     *
     * @param index parameter index.
     * @return name.
     */
    String name(final int index)
    {
        return names.get(index);
    }

    /**
     * Array of a parameter: the one the trainer's optimizer updates.
     *
     * @param index parameter index.
     * @return array.
     */
    NDArray array(final int index)
    {
        return arrays.get(index);
    }

    /**
     * Whether a parameter has a gradient (BatchNorm's running statistics, for example, have none).
     *
     * @param index parameter index.
     * @return true if the optimizer updates it from a gradient.
     */
    boolean isTrainable(final int index)
    {
        return trainable.get(index);
    }

    /**
     * Elements of every parameter together.
     *
     * @return count.
     */
    int elements()
    {
        return elements;
    }

    /**
     * Elements of the parameters that have gradients: the size of the all-reduce of every step.
     *
     * @return count.
     */
    int trainableElements()
    {
        return trainableElements;
    }

    /**
     * A fingerprint of the layout (names, shapes, trainable flags), equal in processes that built the same block.
     *
     * @return hash.
     */
    int layoutHash()
    {
        int hash = 1;
        for (int i = 0; i < arrays.size(); i++)
        {
            hash = 31 * hash + names.get(i).hashCode();
            hash = 31 * hash + Arrays.hashCode(arrays.get(i).getShape().getShape());
            hash = 31 * hash + (trainable.get(i) ? 1 : 0);
        }
        return hash;
    }
}
