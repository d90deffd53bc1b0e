package dev.ina.examples.minimal;

import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;

import java.util.Arrays;

/**
 * The smallest worker: joins the job, then all-reduces a 1 Mi-element gradient ten times. Every rank fills it with
 * {@code rank + 1}, so each element of the sum is {@code n(n + 1)/2}.
 * <pre>
 * INA_RANK=0 INA_WORLD_SIZE=2 java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
 *     -cp examples/target/ina-examples.jar dev.ina.examples.minimal.MinimalWorker
 * </pre>
 */
public final class MinimalWorker
{
    private MinimalWorker()
    {
    }

    /**
     * Runs one rank.
     *
     * @param args none; settings come from {@code INA_*} variables or {@code -Dina.*} properties.
     */
    public static void main(final String[] args)
    {
        final WorkerConfig config = WorkerConfig.fromEnvironment().build();
        final float[] gradient = new float[1 << 20];
        try (Collective collective = Collective.join(config))
        {
            final int n = collective.worldSize();
            for (int step = 0; step < 10; step++)
            {
                Arrays.fill(gradient, collective.rank() + 1);
                final ReduceStats stats = collective.allReduce(gradient, ReduceOp.SUM);
                System.out.printf("step %d: sum %.0f (expected %d) in %.2f ms%n",
                    step, gradient[0], n * (n + 1) / 2, stats.durationNs() / 1e6);
            }
        }
    }
}
