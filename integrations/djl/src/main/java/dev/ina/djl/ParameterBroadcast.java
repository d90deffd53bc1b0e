package dev.ina.djl;

import ai.djl.ndarray.NDArray;
import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Copies rank 0's parameters to every rank, bit for bit, with an all-reduce: rank 0 contributes its values and
 * every other rank {@code -0.0f}, and the FP32 sum returns rank 0's values exactly ({@code x + -0.0f == x} for
 * every float, {@code +0.0f} and {@code -0.0f} included; the aggregator stores the first contribution of a chunk
 * and adds the others). First a small header compares every rank's parameter layout with rank 0's, and every rank
 * fails if any differs.
 * <p>
 * The trick needs an FP32 sum that includes every rank: the training collective is used when it is FP32 in EXACT
 * mode; otherwise a short-lived FP32 EXACT collective joins the same aggregator on a derived job id,
 * {@link #jobId(int, int)}.
 */
final class ParameterBroadcast
{
    private static final int HEADER_FIELDS = 4;

    private ParameterBroadcast()
    {
    }

    /**
     * The job id of a broadcast when the training job cannot carry it: the training job id with its top bit
     * flipped, and the broadcast's number (0 for the first) in bits 16 to 30.
     *
     * @param trainingJobId the training collective's job id.
     * @param number        which broadcast of this trainer, from 0.
     * @return the job id.
     */
    static int jobId(final int trainingJobId, final int number)
    {
        return trainingJobId ^ Integer.MIN_VALUE ^ ((number & 0x7FFF) << 16);
    }

    /**
     * Broadcasts rank 0's parameters. Every rank must call it at the same point.
     *
     * @param parameters the model's parameters.
     * @param training   the training collective.
     * @param number     which broadcast of this trainer, from 0 (picks the job id of a separate collective).
     * @throws IllegalStateException if this rank's parameter layout differs from rank 0's, or the engine did not
     *                               take the values.
     */
    static void broadcast(final ModelParameters parameters, final Collective training, final int number)
    {
        final WorkerConfig config = training.config();
        if (config.codec() == Codec.FP32 && config.mode() == Mode.EXACT)
        {
            run(parameters, training);
            return;
        }
        final WorkerConfig exact = config.toBuilder()
            .codec(Codec.FP32)
            .mode(Mode.EXACT)
            .jobId(jobId(config.jobId(), number))
            .build();
        try (Collective collective = Collective.join(exact))
        {
            run(parameters, collective);
        }
    }

    private static void run(final ModelParameters parameters, final Collective collective)
    {
        final boolean root = collective.rank() == 0;
        checkLayout(parameters, collective);
        for (int i = 0; i < parameters.size(); i++)
        {
            final NDArray array = parameters.array(i);
            if (array.size() == 0)
            {
                continue;
            }
            final float[] values;
            if (root)
            {
                values = array.toFloatArray();
            }
            else
            {
                values = new float[Math.toIntExact(array.size())];
                Arrays.fill(values, -0.0f);
            }
            collective.allReduce(values, ReduceOp.SUM);
            if (!root)
            {
                write(array, values);
                check(parameters.name(i), array, values);
            }
        }
    }

    private static void checkLayout(final ModelParameters parameters, final Collective collective)
    {
        final int[] own = {
            parameters.size(), parameters.elements(), parameters.trainableElements(), parameters.layoutHash()};
        final float[] header = new float[2 * HEADER_FIELDS];
        if (collective.rank() == 0)
        {
            for (int f = 0; f < HEADER_FIELDS; f++)
            {
                header[2 * f] = own[f] >>> 16;
                header[2 * f + 1] = own[f] & 0xFFFF;
            }
        }
        else
        {
            Arrays.fill(header, -0.0f);
        }
        collective.allReduce(header, ReduceOp.SUM);
        final int[] root = new int[HEADER_FIELDS];
        for (int f = 0; f < HEADER_FIELDS; f++)
        {
            root[f] = ((int)header[2 * f] << 16) | (int)header[2 * f + 1];
        }
        // Every rank learns whether any rank differs, so that all of them fail instead of waiting for the others.
        final float[] differing = {Arrays.equals(own, root) ? 0.0f : 1.0f};
        collective.allReduce(differing, ReduceOp.SUM);
        if (differing[0] != 0.0f)
        {
            throw new IllegalStateException((int)differing[0] + " of " + collective.worldSize() + " ranks' " +
                "models differ from rank 0's: this is rank " + collective.rank() + " with " + own[0] +
                " parameters, " + own[1] + " elements (" + own[2] + " trainable) and layout hash " + own[3] +
                "; rank 0 has " + root[0] + ", " + root[1] + " (" + root[2] + "), " + root[3] +
                ": every rank must build the same block");
        }
    }

    private static void write(final NDArray array, final float[] values)
    {
        if (GradientBuffer.isPyTorchOnCpu(array.getManager()))
        {
            // A view of the tensor's memory: written in place, outside autograd.
            final ByteBuffer view = array.toByteBuffer(true).order(ByteOrder.nativeOrder());
            if (view.isDirect() && view.capacity() == values.length * Float.BYTES)
            {
                view.asFloatBuffer().put(values);
                return;
            }
        }
        array.set(FloatBuffer.wrap(values));
    }

    private static void check(final String name, final NDArray array, final float[] values)
    {
        final float[] now = array.toFloatArray();
        for (int j = 0; j < values.length; j++)
        {
            if (Float.floatToRawIntBits(now[j]) != Float.floatToRawIntBits(values[j]))
            {
                throw new IllegalStateException("parameter '" + name + "' did not take rank 0's values (element " +
                    j + " is " + now[j] + ", not " + values[j] + "): engine " + array.getManager().getEngine() +
                    " on " + array.getDevice() + " is not supported");
            }
        }
    }
}
