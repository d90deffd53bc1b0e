package dev.ina.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.client.Tensor;
import dev.ina.config.WorkerConfig;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A DJL {@link Trainer} for one rank of a data-parallel job. Made by {@link InaTrainers#newTrainer}.
 * <ul>
 *     <li>{@link #initialize(Shape...)} initialises the block, then copies rank 0's parameters to every rank
 *     (bit for bit, whatever the training codec), so ranks start identical even from different random seeds.</li>
 *     <li>{@link #step()} all-reduces the gradients of every trainable parameter, in block order, as one flat
 *     buffer with {@link ReduceOp#AVG}, then runs the optimizer. On PyTorch on the CPU the gradients live in that
 *     buffer (backward accumulates into it), so nothing is copied; elsewhere they are copied out and back. The
 *     buffer is a registered {@link Tensor}, so quantising codecs (INT8, INT16) get error feedback. Codec, mode
 *     (EXACT or BOUNDED) and timeouts are the collective's {@link WorkerConfig}.</li>
 * </ul>
 * Because {@code step()} is the hook, {@code EasyTrain.fit} and hand-written loops alike train data-parallel.
 * Every rank must call {@code initialize} and {@code step} the same number of times, in the same order.
 * With FP32 and FIXED32 in EXACT mode, every rank holds bit-identical parameters after every step (FIXED32's
 * sums are also independent of arrival order, so runs are reproducible). Parameters without gradients (e.g.
 * BatchNorm's running statistics) are broadcast by {@code initialize} and then left to each rank, like PyTorch
 * DDP with {@code broadcast_buffers=False}; {@link #broadcastParameters()} copies rank 0's again, e.g. before
 * saving.
 * <p>
 * Use from one thread; with {@code callerRuns} it must be the thread that joined the collective. The trainer does
 * not close the collective.
 */
public final class InaTrainer extends Trainer
{
    private static final System.Logger LOGGER = System.getLogger(InaTrainer.class.getName());

    private final Collective collective;
    private final boolean copyGradients;
    private ModelParameters parameters;
    private GradientBuffer gradients;
    private Tensor tensor;
    private ReduceStats lastStats;
    private int broadcasts;
    private long steps;
    private long allReduceNs;
    private long bytesUp;
    private long bytesDown;
    private long retransmits;
    private long elementsPartial;
    private long elementsFilledLocally;

    InaTrainer(
        final Model model, final TrainingConfig config, final Collective collective, final boolean copyGradients)
    {
        super(model, checkDevices(config));
        this.collective = Objects.requireNonNull(collective, "collective");
        this.copyGradients = copyGradients;
    }

    /**
     * Initialises the model's block for these input shapes (as {@link Trainer#initialize}), then copies rank 0's
     * parameters to every rank. Every rank must call it.
     *
     * @param shapes the input shapes.
     */
    @Override
    public void initialize(final Shape... shapes)
    {
        super.initialize(shapes);
        broadcastParameters();
    }

    /**
     * Averages every trainable parameter's gradient over all ranks, then updates the parameters (the optimizer
     * sees the average). The first step copies rank 0's parameters first if {@link #initialize} did not.
     *
     * @throws dev.ina.api.CollectiveException if the all-reduce fails (a rank or the aggregator gone, timeout).
     */
    @Override
    public void step()
    {
        if (broadcasts == 0)
        {
            broadcastParameters();
        }
        final long begin = System.nanoTime();
        if (gradients == null)
        {
            setUp();
        }
        final FloatBuffer data = gradients.gather();
        final ReduceStats stats = collective.allReduce(tensor, data, ReduceOp.AVG);
        gradients.scatter();
        final long ns = System.nanoTime() - begin;
        steps++;
        allReduceNs += ns;
        bytesUp += stats.bytesUp();
        bytesDown += stats.bytesDown();
        retransmits += stats.retransmits();
        elementsPartial += stats.elementsPartial();
        elementsFilledLocally += stats.elementsFilledLocally();
        lastStats = stats;
        addMetric("ina-allreduce", begin);
        super.step();
    }

    /**
     * Copies rank 0's parameters, all of them (trainable or not), to every rank, bit for bit. Every rank must call
     * it at the same point. When the collective is not FP32 in EXACT mode, a short-lived FP32 collective joins
     * the same aggregator on a derived job id (the training job id with its top bit flipped and the broadcast's
     * number in bits 16 to 30) for the copy.
     *
     * @throws IllegalStateException if this rank's model differs from rank 0's (parameter names, shapes).
     */
    public void broadcastParameters()
    {
        final ModelParameters current = ModelParameters.of(getModel(), device());
        ParameterBroadcast.broadcast(current, collective, broadcasts);
        broadcasts++;
    }

    /**
     * The collective this trainer all-reduces through.
     *
     * @return the collective.
     */
    public Collective collective()
    {
        return collective;
    }

    /**
     * Totals of the steps taken so far.
     *
     * @return a snapshot.
     */
    public InaTrainerStats stats()
    {
        return new InaTrainerStats(steps, gradients == null ? 0 : gradients.count(),
            gradients != null && gradients.isZeroCopy(), allReduceNs, bytesUp, bytesDown, retransmits,
            elementsPartial, elementsFilledLocally);
    }

    /**
     * Statistics of the last step's all-reduce.
     *
     * @return a copy, or null before the first step.
     */
    public ReduceStats lastReduceStats()
    {
        return lastStats == null ? null : lastStats.copy();
    }

    GradientBuffer gradients()
    {
        return gradients;
    }

    private void setUp()
    {
        parameters = ModelParameters.of(getModel(), device());
        gradients = GradientBuffer.create(parameters, getModel().getNDManager(), copyGradients);
        tensor = collective.register("djl:" + getModel().getName(), gradients.count());
        final WorkerConfig config = collective.config();
        LOGGER.log(System.Logger.Level.INFO, () -> "rank " + collective.rank() + " of " + collective.worldSize() +
            ": all-reducing " + gradients.count() + " gradient elements of " + parameters.size() +
            " parameters per step, " + config.codec() + " " + config.mode() +
            (gradients.isZeroCopy() ? ", in place (zero-copy)" : ", copied"));
    }

    private Device device()
    {
        return getDevices()[0];
    }

    private static TrainingConfig checkDevices(final TrainingConfig config)
    {
        Objects.requireNonNull(config, "config");
        final Device[] devices = config.getDevices();
        if (devices == null || devices.length != 1)
        {
            throw new IllegalArgumentException("the training configuration has " +
                (devices == null ? 0 : devices.length) + " devices " + Arrays.toString(devices) +
                "; INA trains one rank per device: give each rank one device, e.g. " +
                "new DefaultTrainingConfig(loss).optDevices(new Device[] {Device.gpu(localRank)})");
        }
        return config;
    }
}
