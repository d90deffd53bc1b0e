package dev.ina.client;

import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.config.WorkerConfig;
import dev.ina.internal.netty.JvmFlags;
import dev.ina.status.Counters;

import java.nio.FloatBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One rank's membership of a job: the entry point for training code. Join once, then all-reduce every step.
 * <pre>{@code
 * WorkerConfig config = WorkerConfig.fromEnvironment().codec(Codec.FIXED32).build();
 * try (Collective collective = Collective.join(config))      // returns when every rank has joined
 * {
 *     ReduceStats stats = collective.allReduce(gradient, ReduceOp.AVG);   // in place
 * }
 * }</pre>
 * Calls are processed in the order they are made, one at a time, on the collective's network thread; every
 * rank must make the same calls with the same sizes in the same order. Blocking calls do not allocate after
 * warm-up. Thread safe, but one blocking call at a time; async calls may be queued from any thread.
 * <p>
 * With {@link WorkerConfig.Builder#callerRuns(boolean) callerRuns} there is no network thread: the thread that
 * joined runs the socket inside each of its calls (and must make all of them, {@link #close()} included), which
 * saves two thread wake-ups per call.
 */
public final class Collective implements AutoCloseable
{
    private static final long JOIN_GRACE_NS = TimeUnit.SECONDS.toNanos(5);

    private final WorkerConfig config;
    private final IoDriver driver;
    private final WorkerEndpoint endpoint;
    private final Counters counters;
    private final CallRequest blockingRequest = new CallRequest();
    private final AtomicBoolean blockingInUse = new AtomicBoolean();

    private Collective(final WorkerConfig config, final IoDriver driver, final WorkerEndpoint endpoint,
        final Counters counters)
    {
        this.config = config;
        this.driver = driver;
        this.endpoint = endpoint;
        this.counters = counters;
    }

    /**
     * Joins a job: returns once every rank of the job has joined (the join is the job's barrier).
     *
     * @param config this rank's configuration.
     * @return the collective.
     * @throws CollectiveException      if the join times out or the aggregator refuses it, with the reason;
     *                                  {@code CLOSED} if the thread was interrupted (its interrupt flag is kept).
     * @throws IllegalArgumentException if the aggregator host cannot be resolved.
     * @throws IllegalStateException    if a JVM flag is missing or the socket cannot be opened.
     */
    public static Collective join(final WorkerConfig config)
    {
        JvmFlags.check();
        final IoDriver driver = config.callerRuns() ? new CallerRunsIoDriver(config) : new ThreadedIoDriver(config);
        final Counters counters = new Counters("worker");
        final WorkerEndpoint endpoint;
        try
        {
            endpoint = new WorkerEndpoint(config, driver, counters);
        }
        catch (final InterruptedException ex)
        {
            driver.loops().shutdown();
            Thread.currentThread().interrupt();
            throw new CollectiveException(CollectiveException.Reason.CLOSED, describe(config) +
                ": interrupted while opening the socket", ex);
        }
        catch (final RuntimeException ex)
        {
            driver.loops().shutdown();
            throw ex;
        }
        final Collective collective = new Collective(config, driver, endpoint, counters);
        driver.execute(endpoint::startJoin);
        try
        {
            driver.await(endpoint.joined(), config.joinTimeoutNs() + JOIN_GRACE_NS);
            return collective;
        }
        catch (final ExecutionException ex)
        {
            collective.close();
            throw ex.getCause() instanceof CollectiveException ?
                (CollectiveException)ex.getCause() :
                new CollectiveException(CollectiveException.Reason.REFUSED, ex.getCause().getMessage(), ex);
        }
        catch (final InterruptedException ex)
        {
            collective.close();
            Thread.currentThread().interrupt();
            throw new CollectiveException(CollectiveException.Reason.CLOSED, describe(config) +
                ": interrupted while joining", ex);
        }
        catch (final TimeoutException ex)
        {
            collective.close();
            throw new CollectiveException(CollectiveException.Reason.TIMEOUT, describe(config) +
                ": join did not finish within " + TimeUnit.NANOSECONDS.toMillis(config.joinTimeoutNs()) + " ms", ex);
        }
    }

    private static String describe(final WorkerConfig config)
    {
        return "job " + config.jobId() + " rank " + config.rank() + "/" + config.worldSize();
    }

    /**
     * This worker's rank.
     *
     * @return rank.
     */
    public int rank()
    {
        return config.rank();
    }

    /**
     * Number of ranks in the job.
     *
     * @return world size.
     */
    public int worldSize()
    {
        return config.worldSize();
    }

    /**
     * The configuration joined with.
     *
     * @return config.
     */
    public WorkerConfig config()
    {
        return config;
    }

    /**
     * Counters: traffic, retransmissions, drops by reason. Readable from any thread.
     *
     * @return counters.
     */
    public Counters counters()
    {
        return counters;
    }

    /**
     * Whether the network thread uses native epoll.
     *
     * @return true for epoll, false for NIO.
     */
    public boolean isEpoll()
    {
        return driver.loops().isEpoll();
    }

    /**
     * All-reduces a whole array in place.
     *
     * @param data values, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails; the array then holds a mix of inputs and results.
     */
    public ReduceStats allReduce(final float[] data, final ReduceOp op)
    {
        return allReduce(data, 0, data.length, op);
    }

    /**
     * All-reduces an array range in place.
     *
     * @param data   values, overwritten with the reduction.
     * @param offset first element.
     * @param count  elements.
     * @param op     SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final float[] data, final int offset, final int count, final ReduceOp op)
    {
        checkRange(offset, count, data.length);
        return await(submitBlocking(data, null, offset, count, op, null));
    }

    /**
     * All-reduces the remaining elements of a buffer (heap or direct) in place; position and limit are unchanged.
     *
     * @param data values from position to limit, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        return await(submitBlocking(null, data, data.position(), data.remaining(), op, null));
    }

    /**
     * Starts an all-reduce of a whole array in place. The array must not be touched until the future completes.
     *
     * @param data values, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final float[] data, final ReduceOp op)
    {
        return submitAsync(data, null, 0, data.length, op, null);
    }

    /**
     * Starts an all-reduce of a buffer's remaining elements in place. The buffer must not be touched until the
     * future completes.
     *
     * @param data values from position to limit, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        return submitAsync(null, data, data.position(), data.remaining(), op, null);
    }

    /**
     * Registers a tensor: a named gradient of fixed size whose error feedback state (the quantisation residual)
     * this collective keeps between steps. Call once per tensor at set-up, then
     * {@link #allReduce(Tensor, float[], ReduceOp)} every step.
     *
     * @param name     name, for messages.
     * @param elements elements of the tensor's gradient.
     * @return the handle.
     */
    public Tensor register(final String name, final int elements)
    {
        if (elements < 0)
        {
            throw new IllegalArgumentException("tensor '" + name + "': elements must be >= 0, got " + elements);
        }
        return new Tensor(name, elements);
    }

    /**
     * All-reduces a registered tensor's gradient in place, with error feedback: the residual of the previous step
     * (what quantisation left out) is added before quantising, and the new residual is kept, so quantisation error
     * does not accumulate over steps. Only scaled codecs quantise; with FP32 this is a plain all-reduce.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient, {@code tensor.elements()} long; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final Tensor tensor, final float[] data, final ReduceOp op)
    {
        tensor.check(data.length);
        return await(submitBlocking(data, null, 0, data.length, op, tensor.residual()));
    }

    /**
     * Starts an all-reduce of a registered tensor's gradient in place, with error feedback (see
     * {@link #allReduce(Tensor, float[], ReduceOp)}). Neither the array nor the tensor may be used by another call
     * until the future completes.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient, {@code tensor.elements()} long; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final Tensor tensor, final float[] data, final ReduceOp op)
    {
        tensor.check(data.length);
        return submitAsync(data, null, 0, data.length, op, tensor.residual());
    }

    /**
     * All-reduces a registered tensor's gradient held in a buffer (heap or direct: e.g. a framework's native
     * gradient memory) in place, with error feedback as {@link #allReduce(Tensor, float[], ReduceOp)}; the elements
     * from position to limit, which must be {@code tensor.elements()}; position and limit are unchanged.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final Tensor tensor, final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        tensor.check(data.remaining());
        return await(submitBlocking(null, data, data.position(), data.remaining(), op, tensor.residual()));
    }

    /**
     * Starts an all-reduce of a registered tensor's gradient held in a buffer, in place, with error feedback (see
     * {@link #allReduce(Tensor, FloatBuffer, ReduceOp)}). Neither the buffer nor the tensor may be used by another
     * call until the future completes.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient from position to limit, {@code tensor.elements()} long; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final Tensor tensor, final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        tensor.check(data.remaining());
        return submitAsync(null, data, data.position(), data.remaining(), op, tensor.residual());
    }

    /**
     * Leaves the job (LEAVE to the aggregator), fails queued calls, closes the socket and stops the thread. With
     * {@code callerRuns}, from another thread than the one that joined this only marks the collective closed: that
     * thread's call in progress, or its next call, fails with {@code CLOSED} and releases the socket.
     */
    @Override
    public void close()
    {
        driver.close();
        endpoint.joined().completeExceptionally(
            new CollectiveException(CollectiveException.Reason.CLOSED, "closed"));
    }

    private static void checkRange(final int offset, final int count, final int length)
    {
        if (offset < 0 || count < 0 || offset > length - count)
        {
            throw new IndexOutOfBoundsException("offset=" + offset + " count=" + count + " length=" + length);
        }
    }

    private static void checkBuffer(final FloatBuffer data)
    {
        if (data.isReadOnly())
        {
            throw new IllegalArgumentException("allReduce needs a writable buffer: the result is written in place");
        }
    }

    private CallRequest submitBlocking(
        final float[] array,
        final FloatBuffer buffer,
        final int offset,
        final int count,
        final ReduceOp op,
        final float[] residual)
    {
        driver.checkCaller("allReduce");
        if (!blockingInUse.compareAndSet(false, true))
        {
            throw new IllegalStateException("another thread is in a blocking allReduce on this collective; " +
                "use allReduceAsync to queue calls from several threads");
        }
        final CallRequest request = blockingRequest;
        request.set(array, buffer, offset, count, op, residual);
        if (!driver.isOpen())
        {
            blockingInUse.set(false);
            throw new CollectiveException(CollectiveException.Reason.CLOSED, "allReduce after close");
        }
        if (!endpoint.offer(request))
        {
            blockingInUse.set(false);
            throw new IllegalStateException("too many allReduce calls queued (" + WorkerEndpoint.MAX_QUEUED_CALLS +
                "): wait for earlier async calls to complete");
        }
        return request;
    }

    private CompletableFuture<ReduceStats> submitAsync(
        final float[] array,
        final FloatBuffer buffer,
        final int offset,
        final int count,
        final ReduceOp op,
        final float[] residual)
    {
        checkRange(offset, count, array != null ? array.length : buffer.capacity());
        driver.checkCaller("allReduceAsync");
        final CallRequest request = new CallRequest();
        request.set(array, buffer, offset, count, op, residual);
        request.future = new CompletableFuture<>();
        if (!driver.isOpen())
        {
            request.fail(new CollectiveException(CollectiveException.Reason.CLOSED, "allReduce after close"));
        }
        else if (!endpoint.offer(request))
        {
            request.future.completeExceptionally(new RejectedExecutionException("too many allReduce calls queued (" +
                WorkerEndpoint.MAX_QUEUED_CALLS + "): wait for earlier ones to complete"));
        }
        else
        {
            driver.progress(request);
        }
        return request.future;
    }

    private ReduceStats await(final CallRequest request)
    {
        try
        {
            driver.await(request);
            if (request.status == CallRequest.FAILED)
            {
                throw request.failure;
            }
            return request.stats;
        }
        finally
        {
            blockingInUse.set(false);
        }
    }
}
