package dev.ina.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import ai.djl.util.Progress;
import dev.ina.api.Codec;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Trains a small MLP on Gaussian blobs with N ranks as threads of this JVM, each with its own {@link Model} and
 * {@link Collective}, and records what a test needs: every rank's parameters before and after the initial
 * broadcast and at the end, its local gradients and the gradients its optimizer received at every step, and its
 * loss. Each rank starts from its own random parameters and trains on its own data.
 * <p>
 * DJL's PyTorch engine allows one open {@code GradientCollector} per JVM, so the ranks take turns for the
 * forward and backward pass ({@link #COLLECTING}); the all-reduce in {@code step()} runs outside it.
 */
final class TrainingHarness
{
    static final int FEATURES = 8;
    static final int CLASSES = 3;
    static final int BATCH = 16;
    static final float LEARNING_RATE = 0.2f;
    private static final Semaphore COLLECTING = new Semaphore(1);
    private static final long TIMEOUT_MS = 60_000;

    private TrainingHarness()
    {
    }

    /**
     * What to run.
     *
     * @param name          for thread names and messages.
     * @param worldSize     ranks.
     * @param codec         the training collective's codec.
     * @param steps         training steps.
     * @param copyGradients force the copying gradient buffer.
     * @param easyTrain     train with {@code EasyTrain.fit} instead of a hand-written loop.
     * @param hidden        hidden units of every rank but the last.
     * @param lastHidden    hidden units of the last rank (differs to build a mismatched model).
     * @param shortcutFrom  -1 for the plain MLP; else a {@link SwitchableBlock} whose shortcut the last rank uses
     *                      from this step on (the others from the start).
     */
    record Settings(
        String name, int worldSize, Codec codec, int steps, boolean copyGradients, boolean easyTrain, int hidden,
        int lastHidden, int shortcutFrom)
    {
        static Settings of(final String name, final int worldSize, final Codec codec, final int steps)
        {
            return new Settings(name, worldSize, codec, steps, false, false, 16, 16, -1);
        }

        Settings withCopiedGradients()
        {
            return new Settings(name, worldSize, codec, steps, true, easyTrain, hidden, lastHidden, shortcutFrom);
        }

        Settings withEasyTrain()
        {
            return new Settings(name, worldSize, codec, steps, copyGradients, true, hidden, lastHidden, shortcutFrom);
        }

        Settings withLastRankHidden(final int units)
        {
            return new Settings(name, worldSize, codec, steps, copyGradients, easyTrain, hidden, units, shortcutFrom);
        }

        Settings withLastRankShortcutFrom(final int step)
        {
            return new Settings(name, worldSize, codec, steps, copyGradients, easyTrain, hidden, lastHidden, step);
        }
    }

    /**
     * One rank's record of a run. Arrays are per parameter in block order; gradients per step, then per trainable
     * parameter.
     *
     * @param beforeBroadcast  parameters as this rank initialised them.
     * @param afterBroadcast   parameters after {@code trainer.initialize}.
     * @param finalParameters  parameters after the last step.
     * @param localGradients   this rank's own gradients, before {@code step()}.
     * @param reducedGradients the gradients the optimizer received in {@code step()}.
     * @param losses           the loss of each step's batch.
     * @param stats            the trainer's statistics at the end.
     * @param gradientMoves    times a gradient was moved into the zero-copy buffer, -1 if gradients were copied.
     */
    record RankResult(
        float[][] beforeBroadcast,
        float[][] afterBroadcast,
        float[][] finalParameters,
        List<float[][]> localGradients,
        List<float[][]> reducedGradients,
        List<Float> losses,
        InaTrainerStats stats,
        long gradientMoves)
    {
    }

    static List<RankResult> run(final int port, final int jobId, final Settings settings) throws InterruptedException
    {
        return RankThreads.run(settings.name(), settings.worldSize(), TIMEOUT_MS,
            rank -> runRank(port, jobId, settings, rank));
    }

    static WorkerConfig config(final int port, final int jobId, final Settings settings, final int rank)
    {
        return WorkerConfig.builder()
            .aggregator("127.0.0.1", port)
            .jobId(jobId)
            .rank(rank)
            .worldSize(settings.worldSize())
            .codec(settings.codec())
            .elementsPerPacket(64)
            .window(16)
            .timeoutNs(TimeUnit.SECONDS.toNanos(20))
            .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .build();
    }

    static Block block(final int hidden)
    {
        return new SequentialBlock()
            .add(Linear.builder().setUnits(hidden).build())
            .add(Activation::relu)
            .add(Linear.builder().setUnits(CLASSES).build());
    }

    static DefaultTrainingConfig trainingConfig(final RecordingOptimizer optimizer)
    {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
            .optOptimizer(optimizer)
            .optDevices(new Device[] {Device.cpu()});
    }

    static RankResult runRank(final int port, final int jobId, final Settings settings, final int rank)
        throws Exception
    {
        final boolean last = rank == settings.worldSize() - 1;
        final int hidden = last ? settings.lastHidden() : settings.hidden();
        final Shape input = new Shape(BATCH, FEATURES);
        try (Collective collective = Collective.join(config(port, jobId, settings, rank));
            Model model = Model.newInstance("rank-" + rank, Device.cpu()))
        {
            final SwitchableBlock switchable = settings.shortcutFrom() < 0 ? null : new SwitchableBlock(hidden);
            model.setBlock(switchable == null ? block(hidden) : switchable);
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, input);
            final float[][] before = randomise(model, rank);
            final RecordingOptimizer optimizer = new RecordingOptimizer(LEARNING_RATE);
            final List<float[][]> local = new ArrayList<>();
            final List<Float> losses = new ArrayList<>();
            final DefaultTrainingConfig config = trainingConfig(optimizer);
            if (settings.easyTrain())
            {
                config.addTrainingListeners(recorder(model, local, losses));
            }
            try (InaTrainer trainer = new InaTrainer(model, config, collective, settings.copyGradients()))
            {
                trainer.initialize(input);
                final float[][] after = values(model);
                if (settings.easyTrain())
                {
                    EasyTrain.fit(trainer, 1, new TakingTurns(dataset(model.getNDManager(), rank, settings.steps())),
                        null);
                }
                else
                {
                    for (int step = 0; step < settings.steps(); step++)
                    {
                        if (switchable != null)
                        {
                            switchable.shortcutOn(!last || step >= settings.shortcutFrom());
                        }
                        losses.add(forwardBackward(trainer, rank, step));
                        local.add(gradients(model));
                        trainer.step();
                    }
                }
                final List<float[][]> reduced = new ArrayList<>();
                for (int step = 0; step < settings.steps(); step++)
                {
                    reduced.add(optimizerGradients(model, optimizer, step));
                }
                final long moves = trainer.gradients() instanceof AliasedGradients aliased ? aliased.moves() : -1;
                return new RankResult(before, after, values(model), local, reduced, losses, trainer.stats(), moves);
            }
        }
    }

    private static float forwardBackward(final Trainer trainer, final int rank, final int step)
        throws InterruptedException
    {
        COLLECTING.acquire();
        try (NDManager scope = trainer.getManager().newSubManager();
            GradientCollector collector = trainer.newGradientCollector())
        {
            final Blobs batch = Blobs.of(rank, step);
            final NDArray x = scope.create(batch.features(), new Shape(BATCH, FEATURES));
            final NDArray y = scope.create(batch.labels(), new Shape(BATCH));
            final NDList predictions = trainer.forward(new NDList(x));
            final NDArray loss = trainer.getLoss().evaluate(new NDList(y), predictions);
            collector.backward(loss);
            return loss.getFloat();
        }
        finally
        {
            COLLECTING.release();
        }
    }

    private static TrainingListener recorder(final Model model, final List<float[][]> local, final List<Float> losses)
    {
        return new TrainingListenerAdapter()
        {
            @Override
            public void onTrainingBatch(final Trainer trainer, final BatchData batchData)
            {
                COLLECTING.release();
                final NDList labels = batchData.getLabels().get(Device.cpu());
                final NDList predictions = batchData.getPredictions().get(Device.cpu());
                try (NDArray loss = trainer.getLoss().evaluate(labels, predictions))
                {
                    losses.add(loss.getFloat());
                }
                local.add(gradients(model));
            }
        };
    }

    private static Dataset dataset(final NDManager manager, final int rank, final int steps)
    {
        final float[] features = new float[steps * BATCH * FEATURES];
        final float[] labels = new float[steps * BATCH];
        for (int step = 0; step < steps; step++)
        {
            final Blobs batch = Blobs.of(rank, step);
            System.arraycopy(batch.features(), 0, features, step * BATCH * FEATURES, BATCH * FEATURES);
            System.arraycopy(batch.labels(), 0, labels, step * BATCH, BATCH);
        }
        return new ArrayDataset.Builder()
            .setData(manager.create(features, new Shape((long)steps * BATCH, FEATURES)))
            .optLabels(manager.create(labels, new Shape((long)steps * BATCH)))
            .setSampling(BATCH, false)
            .build();
    }

    /** Overwrites every parameter with values from this rank's own seed, through its memory. */
    private static float[][] randomise(final Model model, final int rank)
    {
        final Random random = new Random(7919L * (rank + 1));
        final List<float[]> values = new ArrayList<>();
        for (final Pair<String, Parameter> pair : model.getBlock().getParameters())
        {
            final NDArray array = pair.getValue().getArray();
            final float[] v = new float[Math.toIntExact(array.size())];
            for (int i = 0; i < v.length; i++)
            {
                v[i] = (float)(random.nextGaussian() * 0.3);
            }
            final ByteBuffer view = array.toByteBuffer(true).order(ByteOrder.nativeOrder());
            if (!view.isDirect())
            {
                throw new IllegalStateException("expected a view of the parameter's memory");
            }
            view.asFloatBuffer().put(v);
            values.add(v);
        }
        return values.toArray(new float[0][]);
    }

    static float[][] values(final Model model)
    {
        final List<float[]> values = new ArrayList<>();
        for (final Pair<String, Parameter> pair : model.getBlock().getParameters())
        {
            values.add(pair.getValue().getArray().toFloatArray());
        }
        return values.toArray(new float[0][]);
    }

    private static float[][] gradients(final Model model)
    {
        final List<float[]> values = new ArrayList<>();
        for (final Pair<String, Parameter> pair : model.getBlock().getParameters())
        {
            if (pair.getValue().requiresGradient())
            {
                try (NDArray gradient = pair.getValue().getArray().getGradient())
                {
                    values.add(gradient.toFloatArray());
                }
            }
        }
        return values.toArray(new float[0][]);
    }

    private static float[][] optimizerGradients(final Model model, final RecordingOptimizer optimizer, final int step)
    {
        final List<float[]> values = new ArrayList<>();
        for (final Pair<String, Parameter> pair : model.getBlock().getParameters())
        {
            if (pair.getValue().requiresGradient())
            {
                values.add(optimizer.gradient(pair.getValue().getId(), step));
            }
        }
        return values.toArray(new float[0][]);
    }

    /**
     * A batch of three Gaussian blobs in {@link #FEATURES} dimensions, different for every rank and step.
     *
     * @param features row-major, {@link #BATCH} rows.
     * @param labels   class of each row, as float.
     */
    record Blobs(float[] features, float[] labels)
    {
        static Blobs of(final int rank, final int step)
        {
            final Random random = new Random(1_000_003L * rank + step);
            final float[] features = new float[BATCH * FEATURES];
            final float[] labels = new float[BATCH];
            for (int row = 0; row < BATCH; row++)
            {
                final int label = random.nextInt(CLASSES);
                labels[row] = label;
                for (int f = 0; f < FEATURES; f++)
                {
                    final double centre = f % CLASSES == label ? 1.5 : -0.5;
                    features[row * FEATURES + f] = (float)(centre + 0.7 * random.nextGaussian());
                }
            }
            return new Blobs(features, labels);
        }
    }

    /**
     * A dataset whose batches each take {@link #COLLECTING} before {@code EasyTrain} opens its gradient collector;
     * the recorder listener gives it back after the backward pass.
     */
    private static final class TakingTurns implements Dataset
    {
        private final Dataset delegate;

        TakingTurns(final Dataset delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public Iterable<Batch> getData(final NDManager manager) throws java.io.IOException,
            ai.djl.translate.TranslateException
        {
            final Iterable<Batch> batches = delegate.getData(manager);
            return () ->
            {
                final Iterator<Batch> iterator = batches.iterator();
                return new Iterator<>()
                {
                    @Override
                    public boolean hasNext()
                    {
                        return iterator.hasNext();
                    }

                    @Override
                    public Batch next()
                    {
                        COLLECTING.acquireUninterruptibly();
                        return iterator.next();
                    }
                };
            };
        }

        @Override
        public void prepare(final Progress progress) throws java.io.IOException, ai.djl.translate.TranslateException
        {
            delegate.prepare(progress);
        }
    }
}
