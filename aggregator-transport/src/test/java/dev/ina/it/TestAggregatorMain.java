package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;

/**
 * Aggregator process for multi-process tests: {@code <bindAddress> <port>}. Prints {@code LISTENING <port>} once
 * bound and serves until killed or until stdin closes.
 */
public final class TestAggregatorMain
{
    private TestAggregatorMain()
    {
    }

    /**
     * Entry point.
     *
     * @param args bind address and port.
     * @throws Exception on failure.
     */
    public static void main(final String[] args) throws Exception
    {
        final AggregatorConfig config = AggregatorConfig.builder()
            .bindAddress(args[0]).port(Integer.parseInt(args[1])).build();
        try (AggregatorServer server = AggregatorServer.start(config))
        {
            System.out.println("LISTENING " + server.port());
            System.out.flush();
            server.awaitClose();
        }
    }
}
