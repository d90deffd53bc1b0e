package dev.ina.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import java.nio.FloatBuffer;

/**
 * The gradients of a model's trainable parameters as one flat float32 buffer, in {@link ModelParameters} order,
 * so that a step is one all-reduce call. Used by one thread.
 */
interface GradientBuffer
{
    /**
     * Creates the buffer for a model's parameters: zero-copy on PyTorch on the CPU (each gradient is pointed at a
     * slice of one flat array), copying otherwise.
     *
     * @param parameters the parameters.
     * @param owner      the manager that owns the flat memory: the model's, so that it lives as long as the
     *                   parameters whose gradients may point at it.
     * @param copy       force the copying implementation (tests).
     * @return the buffer.
     */
    static GradientBuffer create(final ModelParameters parameters, final NDManager owner, final boolean copy)
    {
        if (!copy && isPyTorchOnCpu(owner))
        {
            return new AliasedGradients(parameters, owner);
        }
        return new CopiedGradients(parameters, owner);
    }

    /**
     * Whether a manager's arrays are PyTorch tensors in host memory, whose data DJL exposes as direct buffers
     * ({@code toByteBuffer(true)} is a view) and whose storage {@code set(directBuffer)} re-points.
     *
     * @param manager the manager.
     * @return true for PyTorch on the CPU.
     */
    static boolean isPyTorchOnCpu(final NDManager manager)
    {
        return "PyTorch".equals(manager.getEngine().getEngineName()) &&
            Device.Type.CPU.equals(manager.getDevice().getDeviceType());
    }

    /**
     * Makes the flat buffer hold this step's gradients.
     *
     * @return the gradients, position 0 and limit {@link #count()}; valid until the next call.
     */
    FloatBuffer gather();

    /**
     * Makes the parameters' gradients hold the flat buffer's values (after the all-reduce wrote them).
     */
    void scatter();

    /**
     * Elements of the buffer.
     *
     * @return count.
     */
    int count();

    /**
     * Whether gradients stay in place (zero-copy) rather than being copied in and out every step.
     *
     * @return true if zero-copy.
     */
    boolean isZeroCopy();
}
