package dev.ina.spark;

import org.apache.spark.TaskContext;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.List;

/**
 * Spark's side of a barrier task: runs the rank's {@link BarrierTask} on the partition and emits one
 * {@code (rank, result)} pair, keyed so that the shuffle after the barrier stage puts rank r's result in
 * partition r.
 *
 * @param <T> row type.
 * @param <R> result type.
 */
final class PartitionFunction<T, R> extends AbstractFunction1<Iterator<T>, Iterator<Tuple2<Integer, R>>>
    implements Serializable
{
    private static final long serialVersionUID = 1L;

    private final BarrierTask<T, R> task;

    PartitionFunction(final BarrierTask<T, R> task)
    {
        this.task = task;
    }

    @Override
    public Iterator<Tuple2<Integer, R>> apply(final Iterator<T> rows)
    {
        final R result;
        try
        {
            result = task.run(CollectionConverters.asJava(rows));
        }
        catch (final RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("INA barrier function failed: " + ex, ex);
        }
        final int rank = TaskContext.getPartitionId();
        return CollectionConverters.asScala(List.of(new Tuple2<>(rank, result)).iterator());
    }
}
