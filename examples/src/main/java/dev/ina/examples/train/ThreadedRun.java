package dev.ina.examples.train;

import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Runs one variant with every rank as a thread of this JVM: quick, for tests and small machines.
 */
final class ThreadedRun
{
    private ThreadedRun()
    {
    }

    /**
     * Trains every rank on its shard of {@code train} and combines their records.
     *
     * @param settings  hyper-parameters.
     * @param variant   the variant.
     * @param train     the whole training set; rank r takes examples r, r + n, ...
     * @param test      test set, evaluated by rank 0.
     * @param workers   number of ranks.
     * @param port      aggregator port on 127.0.0.1.
     * @param jobId     job id, different for each concurrent run.
     * @param progress  receives rank 0's record after each epoch.
     * @return the combined result.
     */
    static VariantResult run(
        final TrainSettings settings,
        final Variant variant,
        final Dataset train,
        final Dataset test,
        final int workers,
        final int port,
        final int jobId,
        final Consumer<EpochRecord> progress)
    {
        final List<CompletableFuture<List<EpochRecord>>> ranks = new ArrayList<>();
        final int[] parameterCount = new int[1];
        final ExecutorService threads = Executors.newFixedThreadPool(workers, task ->
        {
            final Thread thread = new Thread(task, "ina-train-rank");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            for (int r = 0; r < workers; r++)
            {
                final int rank = r;
                final Trainer trainer = new Trainer(settings, variant, train.shard(rank, workers),
                    rank == 0 || variant.bounded() ? test : null, rank, workers); // BOUNDED: all ranks pause alike
                parameterCount[0] = trainer.parameterCount();
                final WorkerConfig workerConfig = variant.configure(WorkerConfig.builder(), rank, settings.seed())
                    .aggregator("127.0.0.1", port).jobId(jobId).rank(rank).worldSize(workers)
                    .elementsPerPacket(settings.elementsPerPacket()).window(settings.window()).build();
                final Consumer<EpochRecord> rankProgress = rank == 0 ? progress : ThreadedRun::ignore;
                ranks.add(CompletableFuture.supplyAsync(() -> train(trainer, workerConfig, rankProgress), threads));
            }
            final List<List<EpochRecord>> perRank = new ArrayList<>();
            for (final CompletableFuture<List<EpochRecord>> rank : ranks)
            {
                perRank.add(rank.join());
            }
            return VariantResult.combine(variant, perRank, parameterCount[0]);
        }
        finally
        {
            threads.shutdownNow();
        }
    }

    private static void ignore(final EpochRecord record)
    {
    }

    private static List<EpochRecord> train(
        final Trainer trainer, final WorkerConfig config, final Consumer<EpochRecord> progress)
    {
        try (Collective collective = Collective.join(config))
        {
            return trainer.run(collective, progress);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new CompletionException(ex);
        }
    }
}
