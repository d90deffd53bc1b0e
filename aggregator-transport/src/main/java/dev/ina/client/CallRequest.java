package dev.ina.client;

import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;

import java.nio.FloatBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * One all-reduce request handed from a caller thread to the I/O side. The blocking path reuses one instance; each
 * async call has its own. Fields are written by the caller before the hand-off (a queue offer, which publishes
 * them) and read by the I/O side; the outcome is written by the I/O side before the volatile {@code status} store
 * and read by the caller after.
 */
final class CallRequest
{
    static final int PENDING = 0;
    static final int DONE = 1;
    static final int FAILED = 2;

    float[] array;
    FloatBuffer buffer;
    int offset;
    int count;
    ReduceOp op;
    float[] residual;
    Thread waiter;
    CompletableFuture<ReduceStats> future;
    ReduceStats stats;
    CollectiveException failure;
    volatile int status;

    void set(
        final float[] array,
        final FloatBuffer buffer,
        final int offset,
        final int count,
        final ReduceOp op,
        final float[] residual)
    {
        this.array = array;
        this.buffer = buffer;
        this.offset = offset;
        this.count = count;
        this.op = op;
        this.residual = residual;
        this.stats = null;
        this.failure = null;
        this.status = PENDING;
    }

    boolean isPending()
    {
        return status == PENDING;
    }

    void complete(final ReduceStats stats)
    {
        array = null;
        residual = null;
        buffer = null;
        this.stats = stats;
        status = DONE;
        signal();
    }

    void fail(final CollectiveException failure)
    {
        array = null;
        residual = null;
        buffer = null;
        this.failure = failure;
        status = FAILED;
        signal();
    }

    private void signal()
    {
        if (future != null)
        {
            if (failure != null)
            {
                future.completeExceptionally(failure);
            }
            else
            {
                future.complete(stats.copy());
            }
        }
        final Thread t = waiter;
        if (t != null)
        {
            LockSupport.unpark(t);
        }
    }
}
