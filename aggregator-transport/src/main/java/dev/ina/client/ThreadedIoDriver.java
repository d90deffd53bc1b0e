package dev.ina.client;

import dev.ina.api.CollectiveException;
import dev.ina.config.WorkerConfig;
import dev.ina.internal.netty.EventLoops;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The collective's own network thread runs the socket; callers hand requests over and wait, parked (or, with
 * {@code busyPoll}, yielding the core) until the request is done. Any thread may call.
 */
final class ThreadedIoDriver implements IoDriver
{
    private static final long WAIT_PARK_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long CLOSE_WAIT_MS = 2_000;

    private final EventLoops loops;
    private final boolean busyPoll;
    private EventLoop loop;
    private Runnable release;
    private ChannelFuture closeFuture;
    private volatile boolean closed;

    ThreadedIoDriver(final WorkerConfig config)
    {
        loops = new EventLoops(config.transport(), config.busyPoll(), "ina-worker-" + config.rank());
        busyPoll = config.busyPoll();
    }

    @Override
    public EventLoops loops()
    {
        return loops;
    }

    @Override
    public void attach(final EventLoop loop, final Runnable release, final ChannelFuture closeFuture)
    {
        this.loop = loop;
        this.release = release;
        this.closeFuture = closeFuture;
    }

    @Override
    public void checkCaller(final String operation)
    {
    }

    @Override
    public boolean isOpen()
    {
        return !closed && !loop.isShuttingDown();
    }

    @Override
    public void execute(final Runnable task)
    {
        if (!loop.isShuttingDown())
        {
            loop.execute(task);
        }
    }

    @Override
    public void await(final CallRequest request)
    {
        request.waiter = Thread.currentThread();
        try
        {
            while (request.isPending())
            {
                if (busyPoll)
                {
                    Thread.yield();
                }
                else
                {
                    LockSupport.parkNanos(this, WAIT_PARK_NS);
                }
                if (request.isPending() && loop.isTerminated())
                {
                    throw new CollectiveException(CollectiveException.Reason.CLOSED,
                        "the collective was closed during allReduce");
                }
            }
        }
        finally
        {
            request.waiter = null;
        }
    }

    @Override
    public void progress(final CallRequest request)
    {
    }

    @Override
    public void await(final CompletableFuture<?> future, final long timeoutNs)
        throws InterruptedException, ExecutionException, TimeoutException
    {
        future.get(timeoutNs, TimeUnit.NANOSECONDS);
    }

    @Override
    public ChannelFuture await(final ChannelFuture future) throws InterruptedException
    {
        return future.sync();
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (loop != null && !loop.isShuttingDown())
        {
            try
            {
                loop.submit(release).get(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
                closeFuture.awaitUninterruptibly(CLOSE_WAIT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            catch (final ExecutionException | TimeoutException ex)
            {
                // Closing anyway: the aggregator expires the job.
            }
        }
        loops.shutdown();
    }
}
