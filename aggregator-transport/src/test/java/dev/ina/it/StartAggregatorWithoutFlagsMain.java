package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;

import java.util.concurrent.TimeUnit;

/**
 * Start-up check for {@code JvmFlagsSystemTest}: {@code aggregator} starts an aggregator on a free loopback port,
 * {@code worker} joins a one-rank job at {@code 127.0.0.1:<port>}; each prints {@code STARTED} on success and
 * lets any exception escape {@code main}, so the JVM prints it and exits with status 1.
 */
public final class StartAggregatorWithoutFlagsMain
{
    private StartAggregatorWithoutFlagsMain()
    {
    }

    /**
     * Entry point.
     *
     * @param args {@code aggregator}, or {@code worker <port>}.
     */
    public static void main(final String[] args)
    {
        if ("aggregator".equals(args[0]))
        {
            try (AggregatorServer server = AggregatorServer.start(
                AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
            {
                System.out.println("STARTED aggregator on port " + server.port());
            }
        }
        else
        {
            final WorkerConfig config = WorkerConfig.builder().aggregator("127.0.0.1", Integer.parseInt(args[1]))
                .jobId(1).rank(0).worldSize(1).codec(Codec.FIXED32)
                .joinTimeoutNs(TimeUnit.SECONDS.toNanos(5)).build();
            try (Collective collective = Collective.join(config))
            {
                System.out.println("STARTED worker rank " + collective.rank());
            }
        }
        System.out.flush();
    }
}
