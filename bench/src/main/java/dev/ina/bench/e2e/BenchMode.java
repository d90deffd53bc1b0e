package dev.ina.bench.e2e;

import dev.ina.config.WorkerConfig;

/**
 * The collective's waiting mode per case: EXACT waits for every rank, BOUNDED finishes a chunk at a deadline with
 * a quorum. Applied to a worker configuration by {@link #apply(WorkerConfig.Builder)}.
 */
enum BenchMode
{
    /** Every chunk holds every rank. */
    EXACT,
    /** A chunk may finish without a straggler (needs the library's bounded mode). */
    BOUNDED;

    /**
     * Sets the mode on a worker configuration.
     *
     * @param builder the worker's configuration.
     * @return the builder.
     * @throws IllegalArgumentException if the library does not offer the mode.
     */
    WorkerConfig.Builder apply(final WorkerConfig.Builder builder)
    {
        if (this == BOUNDED)
        {
            throw new IllegalArgumentException("mode BOUNDED needs dev.ina.api.Mode, which this build of the " +
                "library does not have yet; use --modes EXACT");
        }
        return builder;
    }
}
