package dev.ina.client;

import dev.ina.api.CollectiveException;
import dev.ina.config.WorkerConfig;
import dev.ina.internal.netty.EventLoops;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.ManualIoEventLoop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Caller-runs I/O (MPI's progress model): the thread that joined runs the socket itself, inside each of its calls,
 * through a Netty {@link ManualIoEventLoop}, blocking in {@code epoll_wait} between datagrams or, with
 * {@code busyPoll}, polling and yielding the core. No network thread, so no thread wake-ups per call. That thread
 * must make every call; {@link #close()} from another thread only marks the collective closed and wakes the loop,
 * and the owner releases the socket in its current or next call.
 */
final class CallerRunsIoDriver implements IoDriver
{
    private static final long WAIT_PARK_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long IO_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final Thread owner;
    private final EventLoops loops;
    private final ManualIoEventLoop loop;
    private final boolean busyPoll;
    private Runnable release;
    private ChannelFuture closeFuture;
    private boolean released;
    private volatile boolean closed;

    CallerRunsIoDriver(final WorkerConfig config)
    {
        owner = Thread.currentThread();
        loops = new EventLoops(config.transport(), owner);
        loop = loops.manual();
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
        this.release = release;
        this.closeFuture = closeFuture;
    }

    @Override
    public void checkCaller(final String operation)
    {
        if (Thread.currentThread() != owner)
        {
            throw new IllegalStateException(operation + " from thread '" + Thread.currentThread().getName() +
                "': with callerRuns the thread that joined ('" + owner.getName() + "') drives this collective's " +
                "I/O and must make every call; join with callerRuns(false) to call from other threads");
        }
    }

    @Override
    public boolean isOpen()
    {
        if (closed)
        {
            releaseOnce();
            return false;
        }
        return true;
    }

    @Override
    public void execute(final Runnable task)
    {
        if (loop.inEventLoop())
        {
            task.run();
        }
        else
        {
            loop.execute(task);
        }
    }

    @Override
    public void await(final CallRequest request)
    {
        while (request.isPending())
        {
            if (closed)
            {
                releaseOnce();
                if (request.isPending())
                {
                    request.fail(new CollectiveException(CollectiveException.Reason.CLOSED,
                        "the collective was closed during allReduce"));
                }
                return;
            }
            if (busyPoll)
            {
                if (loop.runNow() == 0)
                {
                    Thread.yield();
                }
            }
            else
            {
                loop.run(WAIT_PARK_NS);
            }
        }
    }

    @Override
    public void progress(final CallRequest request)
    {
        await(request);
    }

    @Override
    public void await(final CompletableFuture<?> future, final long timeoutNs)
        throws InterruptedException, ExecutionException, TimeoutException
    {
        loops.runUntil(future::isDone, timeoutNs, WAIT_PARK_NS);
        future.get(0, TimeUnit.NANOSECONDS);
    }

    @Override
    public ChannelFuture await(final ChannelFuture future) throws InterruptedException
    {
        if (!loops.runUntil(future::isDone, IO_TIMEOUT_NS, WAIT_PARK_NS))
        {
            throw new IllegalStateException("socket operation did not finish within " +
                TimeUnit.NANOSECONDS.toMillis(IO_TIMEOUT_NS) + " ms");
        }
        return future.sync();
    }

    @Override
    public void close()
    {
        closed = true;
        if (Thread.currentThread() == owner)
        {
            releaseOnce();
        }
        else
        {
            loop.wakeup();
        }
    }

    private void releaseOnce()
    {
        if (released || release == null)
        {
            return;
        }
        released = true;
        release.run();
        loops.runUntil(closeFuture::isDone, IO_TIMEOUT_NS, WAIT_PARK_NS);
        loops.shutdown();
    }
}
