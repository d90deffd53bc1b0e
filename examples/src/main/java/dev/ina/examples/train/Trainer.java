package dev.ina.examples.train;

import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.client.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One rank's training loop: every step it computes the gradient of its own batch, averages it with the other
 * ranks through INA, and applies the same SGD (momentum) update, so every rank holds the same parameters while the
 * all-reduce is exact. Single-threaded; one instance per rank.
 */
final class Trainer
{
    private final TrainSettings settings;
    private final Variant variant;
    private final Model model;
    private final Dataset shard;
    private final Dataset test;
    private final int rank;
    private final int worldSize;
    private final float[] params;
    private final float[] gradient;
    private final float[] velocity;
    private final int[] order;
    private final int steps;

    /**
     * A rank's trainer.
     *
     * @param settings  hyper-parameters.
     * @param variant   how gradients are averaged; its straggler delay applies to the last rank.
     * @param shard     this rank's training examples.
     * @param test      test set to evaluate after each epoch, or null to skip evaluation on this rank.
     * @param rank      this rank.
     * @param worldSize number of ranks.
     */
    Trainer(
        final TrainSettings settings,
        final Variant variant,
        final Dataset shard,
        final Dataset test,
        final int rank,
        final int worldSize)
    {
        this.settings = settings;
        this.variant = variant;
        this.model = Model.create(settings.model(), shard.dimension(), shard.classes(), settings.hidden());
        this.shard = shard;
        this.test = test;
        this.rank = rank;
        this.worldSize = worldSize;
        this.params = new float[model.parameterCount()];
        this.gradient = new float[model.parameterCount()];
        this.velocity = new float[model.parameterCount()];
        this.order = new int[shard.count()];
        // Every rank must make the same number of calls: size the epoch by the smallest shard.
        this.steps = shard.sourceCount() / worldSize / settings.batch();
        if (steps < 1)
        {
            throw new IllegalArgumentException("batch " + settings.batch() + " is larger than the smallest shard (" +
                shard.sourceCount() / worldSize + " examples)");
        }
        model.initialise(params, settings.seed());
    }

    /**
     * Gradient elements per step (the model's parameter count).
     *
     * @return count.
     */
    int parameterCount()
    {
        return params.length;
    }

    /**
     * Steps per epoch, the same on every rank.
     *
     * @return count.
     */
    int steps()
    {
        return steps;
    }

    /**
     * Trains for the configured epochs.
     *
     * @param collective this rank's joined collective.
     * @param progress   called after each epoch.
     * @return one record per epoch.
     * @throws InterruptedException if interrupted while the straggler sleeps.
     */
    List<EpochRecord> run(final Collective collective, final Consumer<EpochRecord> progress)
        throws InterruptedException
    {
        final GradientReducer reducer = GradientReducer.create(collective, variant, params.length);
        final long slowMs = rank == worldSize - 1 ? variant.slowMs() : 0;
        final List<EpochRecord> records = new ArrayList<>();
        for (int i = 0; i < order.length; i++)
        {
            order[i] = i;
        }
        final StepStats totals = new StepStats();
        for (int epoch = 1; epoch <= settings.epochs(); epoch++)
        {
            shuffle(new SplittableRandom(settings.seed() * 7919L + epoch * 104_729L + rank));
            totals.reset();
            double loss = 0;
            final long start = System.nanoTime();
            for (int step = 0; step < steps; step++)
            {
                Arrays.fill(gradient, 0.0f);
                loss += model.addGradient(params, shard, order, step * settings.batch(), settings.batch(), gradient);
                if (slowMs > 0)
                {
                    Thread.sleep(slowMs);
                }
                totals.add(reducer.reduce(gradient));
                update();
            }
            final long epochNs = System.nanoTime() - start;
            final double accuracy = test == null ? Double.NaN : model.accuracy(params, test);
            final EpochRecord record = totals.record(epoch, accuracy, loss / steps, epochNs, steps, checksum(params));
            records.add(record);
            progress.accept(record);
        }
        return records;
    }

    private void update()
    {
        final float lr = (float)settings.learningRate();
        final float momentum = (float)settings.momentum();
        for (int i = 0; i < params.length; i++)
        {
            final float v = momentum * velocity[i] + gradient[i];
            velocity[i] = v;
            params[i] -= lr * v;
        }
    }

    private void shuffle(final SplittableRandom random)
    {
        for (int i = order.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /**
     * Order-sensitive hash of the parameters' bits.
     *
     * @param values parameters.
     * @return hash.
     */
    static long checksum(final float[] values)
    {
        long h = 0x9E3779B97F4A7C15L;
        for (final float v : values)
        {
            h = (h ^ Float.floatToRawIntBits(v)) * 0x100000001B3L;
        }
        return h;
    }

    /**
     * Averages a gradient across ranks in place.
     */
    @FunctionalInterface
    interface GradientReducer
    {
        /**
         * All-reduces with AVG.
         *
         * @param gradient values, replaced by the average.
         * @return statistics of the call.
         */
        ReduceStats reduce(float[] gradient);

        /**
         * The reducer of a variant: plain AVG, or AVG through a registered tensor that keeps the error feedback.
         *
         * @param collective joined collective.
         * @param variant    the variant.
         * @param count      gradient elements.
         * @return the reducer.
         */
        static GradientReducer create(final Collective collective, final Variant variant, final int count)
        {
            if (variant.errorFeedback())
            {
                final Tensor tensor = collective.register("gradient", count);
                return gradient -> collective.allReduce(tensor, gradient, ReduceOp.AVG);
            }
            return gradient -> collective.allReduce(gradient, ReduceOp.AVG);
        }
    }

    /**
     * Sums the statistics of an epoch's calls.
     */
    private static final class StepStats
    {
        private long allReduceNs;
        private long bytesUp;
        private long bytesDown;
        private long partial;
        private long filled;
        private long retransmits;
        private int minContributors;

        void reset()
        {
            allReduceNs = 0;
            bytesUp = 0;
            bytesDown = 0;
            partial = 0;
            filled = 0;
            retransmits = 0;
            minContributors = Integer.MAX_VALUE;
        }

        void add(final ReduceStats stats)
        {
            allReduceNs += stats.durationNs();
            bytesUp += stats.bytesUp();
            bytesDown += stats.bytesDown();
            partial += stats.elementsPartial();
            filled += stats.elementsFilledLocally();
            retransmits += stats.retransmits();
            minContributors = Math.min(minContributors, stats.minContributors());
        }

        EpochRecord record(
            final int epoch, final double accuracy, final double loss, final long epochNs, final int steps,
            final long checksum)
        {
            return new EpochRecord(epoch, accuracy, loss, epochNs, steps, allReduceNs, bytesUp, bytesDown, partial,
                filled, retransmits, minContributors, checksum);
        }
    }
}
