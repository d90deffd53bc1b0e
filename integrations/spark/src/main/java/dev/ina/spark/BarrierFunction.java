package dev.ina.spark;

import dev.ina.client.Collective;

import java.io.Serializable;
import java.util.Iterator;

/**
 * The code one rank runs in a barrier stage: it gets its partition's rows and a joined {@link Collective}, and
 * returns one result for its rank. Every rank must make the same collective calls with the same sizes in the same
 * order. Shipped to the executors, so it must be serialisable (a lambda assigned to this type is); the result is
 * shipped back through Spark's serializer. {@code BarrierTaskContext.get()} gives the task's context.
 *
 * @param <T> row type.
 * @param <R> result type.
 */
@FunctionalInterface
public interface BarrierFunction<T, R> extends Serializable
{
    /**
     * Runs one rank's part of the job.
     *
     * @param rows       this partition's rows, to be read once.
     * @param collective joined with rank = partition id and world size = number of partitions; closed by the
     *                   caller after this returns or throws.
     * @return this rank's result.
     * @throws Exception to fail the task, and with it the stage attempt (which Spark retries whole).
     */
    R apply(Iterator<T> rows, Collective collective) throws Exception;
}
