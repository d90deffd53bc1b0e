package dev.ina.spark;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.internal.netty.JvmFlags;
import org.apache.spark.BarrierTaskContext;

import java.io.Serializable;
import java.util.Iterator;

/**
 * One rank's run inside a barrier task: rank 0 provides the aggregator and a fresh job id, {@code allGather}
 * shares them, every rank joins, runs the user's function, leaves, and waits at a barrier so that rank 0 stops the
 * aggregator only when no rank needs it any more. Shipped to the executors with the stage.
 *
 * @param <T> row type.
 * @param <R> result type.
 */
final class BarrierTask<T, R> implements Serializable
{
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOGGER = System.getLogger(BarrierTask.class.getName());

    private final BarrierOptions options;
    private final BarrierFunction<T, R> function;

    BarrierTask(final BarrierOptions options, final BarrierFunction<T, R> function)
    {
        this.options = options;
        this.function = function;
    }

    /**
     * Runs this rank's part; called on the executor inside the barrier task.
     *
     * @param rows the partition's rows.
     * @return the function's result.
     * @throws Exception from the function, or an {@link IllegalStateException} naming what failed.
     */
    R run(final Iterator<T> rows) throws Exception
    {
        final BarrierTaskContext context = BarrierTaskContext.get();
        final int rank = context.partitionId();
        final int worldSize = context.numPartitions();
        final String stage = "stage " + context.stageId() + " attempt " + context.stageAttemptNumber();
        checkJvmFlags();

        AggregatorServer server = null;
        RuntimeException failure = null;
        String offer = "";
        if (rank == 0)
        {
            try
            {
                if (options.externalAggregator() != null)
                {
                    final WorkerConfig parsed = WorkerConfig.builder().aggregator(options.externalAggregator())
                        .rank(0).worldSize(1).build();
                    offer = new Rendezvous(Rendezvous.newJobId(), parsed.aggregatorHost(), parsed.aggregatorPort())
                        .encode();
                }
                else
                {
                    server = startAggregator(context);
                    offer = new Rendezvous(Rendezvous.newJobId(), advertisedHost(server, context), server.port())
                        .encode();
                }
            }
            catch (final RuntimeException ex)
            {
                failure = ex;
                offer = Rendezvous.encodeFailure(ex);
            }
        }
        try
        {
            // Also the stage's first barrier: every rank is running when any of them joins.
            final String[] offers = context.allGather(offer);
            if (failure != null)
            {
                throw failure;
            }
            final Rendezvous rendezvous = Rendezvous.decode(offers[0]);
            final WorkerConfig config = options.worker().configure(WorkerConfig.fromEnvironment())
                .aggregator(rendezvous.host(), rendezvous.port())
                .jobId(rendezvous.jobId())
                .rank(rank)
                .worldSize(worldSize)
                .build();
            LOGGER.log(System.Logger.Level.INFO, () -> stage + ": rank " + rank + " of " + worldSize + " joins INA " +
                rendezvous);
            final R result = runJoined(context, config, rows, server);
            // Nobody leaves before everyone is done: rank 0's aggregator may still owe a rank a resent result.
            context.barrier();
            return result;
        }
        finally
        {
            if (server != null)
            {
                server.close();
            }
        }
    }

    private R runJoined(
        final BarrierTaskContext context,
        final WorkerConfig config,
        final Iterator<T> rows,
        final AggregatorServer server) throws Exception
    {
        try (KillWatcher watcher = KillWatcher.watch(context))
        {
            final Collective collective = Collective.join(config);
            try
            {
                watcher.onKill(() ->
                {
                    collective.close();
                    if (server != null)
                    {
                        server.close();
                    }
                });
                return function.apply(rows, collective);
            }
            catch (final Exception ex)
            {
                if (watcher.wasKilled())
                {
                    throw new IllegalStateException("rank " + config.rank() + ": task killed (another rank of " +
                        "the barrier stage failed), so its collective was closed: " + ex, ex);
                }
                throw ex;
            }
            finally
            {
                collective.close();
            }
        }
    }

    private AggregatorServer startAggregator(final BarrierTaskContext context)
    {
        final AggregatorConfig config = options.aggregator().configure(AggregatorConfig.fromEnvironment().port(0))
            .build();
        final AggregatorServer server = AggregatorServer.start(config);
        LOGGER.log(System.Logger.Level.INFO, () -> "stage " + context.stageId() + " attempt " +
            context.stageAttemptNumber() + ": rank 0 started an aggregator on port " + server.port());
        return server;
    }

    /**
     * The address the other ranks reach rank 0's aggregator at: its bind address unless that is the wildcard, else
     * this executor's host as the scheduler knows it.
     */
    private static String advertisedHost(final AggregatorServer server, final BarrierTaskContext context)
    {
        final String bind = server.config().bindAddress();
        if (bind != null && !bind.isBlank() && !"0.0.0.0".equals(bind) && !"::".equals(bind))
        {
            return bind;
        }
        return hostOf(context.getTaskInfos()[context.partitionId()].address());
    }

    /**
     * The host of a {@code host:port} (or bare host) executor address; IPv6 hosts may come bracketed.
     */
    static String hostOf(final String address)
    {
        String host = address;
        final int colon = address.lastIndexOf(':');
        if (colon > 0 && (address.indexOf(':') == colon || address.startsWith("[")))
        {
            host = address.substring(0, colon);
        }
        return host.replace("[", "").replace("]", "");
    }

    private static void checkJvmFlags()
    {
        try
        {
            JvmFlags.check();
        }
        catch (final IllegalStateException ex)
        {
            throw new IllegalStateException("INA needs the JVM flag '" + JvmFlags.AGRONA_FLAG + "' on every " +
                "executor: add it to spark.executor.extraJavaOptions (and spark.driver.extraJavaOptions, or the " +
                "driver's java command, for a local master)", ex);
        }
    }
}
