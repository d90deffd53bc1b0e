package dev.ina.examples.minimal;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;

/**
 * The smallest aggregator: serves jobs on {@code INA_PORT} (default 47100) until the process is stopped.
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp examples/target/ina-examples.jar \
 *     dev.ina.examples.minimal.MinimalAggregator
 * </pre>
 */
public final class MinimalAggregator
{
    private MinimalAggregator()
    {
    }

    /**
     * Runs the aggregator.
     *
     * @param args none; settings come from {@code INA_*} variables or {@code -Dina.*} properties.
     * @throws InterruptedException if interrupted while serving.
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final AggregatorServer server = AggregatorServer.start(AggregatorConfig.fromEnvironment().build());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("aggregator listening on " + server.localAddress());
        server.awaitClose();
    }
}
