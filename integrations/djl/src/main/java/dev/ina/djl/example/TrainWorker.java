package dev.ina.djl.example;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.ina.api.Mode;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;
import dev.ina.djl.InaTrainer;
import dev.ina.djl.InaTrainerStats;
import dev.ina.djl.InaTrainers;

import java.util.Arrays;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * One rank: trains the MLP on its shard of Fashion-MNIST with {@code EasyTrain.fit}, all-reducing through INA.
 * INA settings come from the environment ({@code INA_AGGREGATOR}, {@code INA_JOB}, {@code INA_RANK},
 * {@code INA_WORLD_SIZE}, {@code INA_CODEC}, ...), training options from the arguments ({@link TrainOptions}).
 * Rank 0 prints a line per epoch.
 */
public final class TrainWorker
{
    private TrainWorker()
    {
    }

    /**
     * Runs one rank.
     *
     * @param args training options, see {@link TrainOptions#USAGE}.
     * @throws Exception if reading the data, joining or training fails.
     */
    public static void main(final String[] args) throws Exception
    {
        final TrainOptions options = TrainOptions.parse(args);
        final WorkerConfig config = WorkerConfig.fromEnvironment().build();
        final FashionMnist train = FashionMnist.load(options.data(), "train", config.rank(), config.worldSize());
        final FashionMnist test = FashionMnist.load(options.data(), "t10k", 0, 1);
        Engine.getInstance().setRandomSeed((int)options.seed() + config.rank());
        final LossMeter loss = new LossMeter();
        final DefaultTrainingConfig trainingConfig = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
            .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(options.learningRate()))
                .optMomentum(options.momentum()).build())
            .optDevices(new Device[] {Device.cpu()})
            .addTrainingListeners(loss);
        try (Collective collective = Collective.join(config);
            Model model = Model.newInstance("fashion-mlp", Device.cpu());
            InaTrainer trainer = trainer(model, options, trainingConfig, collective))
        {
            final NDManager manager = model.getNDManager();
            final ArrayDataset shard = new ArrayDataset.Builder()
                .setData(manager.create(train.images(), new Shape(train.size(), FashionMnist.PIXELS)))
                .optLabels(manager.create(train.labels(), new Shape(train.size())))
                .setSampling(options.batch(), true, true)
                .build();
            final boolean evaluate = config.rank() == 0 || config.mode() == Mode.BOUNDED;
            final double[] losses = new double[options.epochs()];
            final double[] accuracies = new double[options.epochs()];
            double trainSeconds = 0;
            for (int epoch = 0; epoch < options.epochs(); epoch++)
            {
                final long start = System.nanoTime();
                EasyTrain.fit(trainer, 1, shard, null);
                trainSeconds += (System.nanoTime() - start) / 1e9;
                losses[epoch] = loss.meanAndReset();
                // In EXACT mode the other ranks wait in their next all-reduce; BOUNDED ranks must pause alike.
                accuracies[epoch] = evaluate ? accuracy(trainer, test) : Double.NaN;
                if (config.rank() == 0)
                {
                    final InaTrainerStats stats = trainer.stats();
                    System.out.printf(Locale.ROOT, "epoch %d/%d: train loss %.4f, test accuracy %.2f %%, " +
                        "%.2f ms/step, all-reduce %.2f ms/step, %.1f s%n", epoch + 1, options.epochs(),
                        losses[epoch], 100 * accuracies[epoch], 1e3 * trainSeconds / stats.steps(),
                        stats.allReduceNsPerStep() / 1e6, trainSeconds);
                }
            }
            final InaTrainerStats stats = trainer.stats();
            final RankReport report = new RankReport(config.rank(), stats.steps(), trainSeconds,
                stats.allReduceNs() / 1e9, stats.bytesUp(), stats.bytesDown(), stats.retransmits(),
                stats.gradientElements(), stats.zeroCopy(), losses, accuracies, parameterHash(model));
            if (options.result() != null)
            {
                report.write(options.result());
            }
        }
    }

    private static InaTrainer trainer(
        final Model model, final TrainOptions options, final DefaultTrainingConfig config, final Collective collective)
    {
        model.setBlock(Mlp.block(options.hidden()));
        // The one line that differs from single-process DJL training: model.newTrainer(config).
        final InaTrainer trainer = InaTrainers.newTrainer(model, config, collective);
        trainer.initialize(new Shape(options.batch(), FashionMnist.PIXELS));
        return trainer;
    }

    static double accuracy(final Trainer trainer, final FashionMnist test)
    {
        final int batch = 1000;
        long correct = 0;
        for (int from = 0; from < test.size(); from += batch)
        {
            final int count = Math.min(batch, test.size() - from);
            try (NDManager scope = trainer.getManager().newSubManager())
            {
                final NDArray x = scope.create(Arrays.copyOfRange(test.images(), from * FashionMnist.PIXELS,
                    (from + count) * FashionMnist.PIXELS), new Shape(count, FashionMnist.PIXELS));
                final long[] predicted = trainer.evaluate(new NDList(x)).singletonOrThrow().argMax(1).toLongArray();
                for (int i = 0; i < count; i++)
                {
                    correct += predicted[i] == (long)test.labels()[from + i] ? 1 : 0;
                }
            }
        }
        return (double)correct / test.size();
    }

    private static long parameterHash(final Model model)
    {
        final CRC32 crc = new CRC32();
        for (final Pair<String, Parameter> pair : model.getBlock().getParameters())
        {
            for (final float value : pair.getValue().getArray().toFloatArray())
            {
                final int bits = Float.floatToRawIntBits(value);
                crc.update(bits);
                crc.update(bits >>> 8);
                crc.update(bits >>> 16);
                crc.update(bits >>> 24);
            }
        }
        return crc.getValue();
    }

    /** Mean training loss of the batches since the last reset, from the predictions EasyTrain hands listeners. */
    private static final class LossMeter extends TrainingListenerAdapter
    {
        private double sum;
        private long batches;

        @Override
        public void onTrainingBatch(final Trainer trainer, final BatchData batchData)
        {
            for (final Device device : batchData.getLabels().keySet())
            {
                try (NDArray value = trainer.getLoss().evaluate(batchData.getLabels().get(device),
                    batchData.getPredictions().get(device)))
                {
                    sum += value.getFloat();
                    batches++;
                }
            }
        }

        double meanAndReset()
        {
            final double mean = batches == 0 ? Double.NaN : sum / batches;
            sum = 0;
            batches = 0;
            return mean;
        }
    }
}
