package dev.ina.internal.netty;

import dev.ina.config.TransportKind;
import io.netty.channel.DefaultSelectStrategyFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Event loop groups and datagram channel classes: native epoll on Linux, NIO elsewhere or on request. Either a
 * group of threads of its own, or one loop that a given thread drives itself ({@link #manual()}, for caller-runs
 * I/O). Internal to INA's transports.
 */
public final class EventLoops
{
    /**
     * Busy polling that yields: poll without blocking and, when nothing is ready, give the core to any other runnable
     * thread before polling again (as Open MPI does when oversubscribed). Netty's own {@code BUSY_WAIT} spins in
     * native code without yielding, which on a machine with fewer cores than spinning threads leaves the thread that
     * has the data waiting for a whole time slice (a 60 ms p50 for 4 KiB with 2 workers on 2 cores).
     */
    private static final SelectStrategyFactory BUSY_POLL = () -> (selectNow, hasTasks) ->
    {
        final int ready = selectNow.get();
        if (ready == 0 && !hasTasks)
        {
            Thread.yield();
            return SelectStrategy.CONTINUE;
        }
        return ready;
    };

    private final boolean epoll;
    private final EventLoopGroup group;
    private final ManualIoEventLoop manual;

    /**
     * Creates a group of one thread.
     *
     * @param kind       requested transport.
     * @param busyPoll   whether the loop spins (epoll busy-wait) instead of blocking in {@code epoll_wait}.
     * @param threadName name of the event loop thread.
     */
    public EventLoops(final TransportKind kind, final boolean busyPoll, final String threadName)
    {
        this(kind, busyPoll, threadName, 1);
    }

    /**
     * Creates a group; channels registered one after another get distinct threads (round robin).
     *
     * @param kind       requested transport.
     * @param busyPoll   whether the loops spin (epoll busy-wait) instead of blocking in {@code epoll_wait}.
     * @param threadName name prefix of the event loop threads.
     * @param threads    number of threads.
     */
    public EventLoops(final TransportKind kind, final boolean busyPoll, final String threadName, final int threads)
    {
        epoll = useEpoll(kind);
        final IoHandlerFactory factory = epoll ?
            EpollIoHandler.newFactory(0, busyPoll ? BUSY_POLL : DefaultSelectStrategyFactory.INSTANCE) :
            NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadName, true), factory);
        manual = null;
    }

    /**
     * Creates one event loop without a thread of its own: {@code owner} drives it by calling
     * {@link ManualIoEventLoop#run(long)} or {@link ManualIoEventLoop#runNow()}, and only {@code owner} may.
     *
     * @param kind  requested transport.
     * @param owner the thread that drives the loop.
     */
    public EventLoops(final TransportKind kind, final Thread owner)
    {
        epoll = useEpoll(kind);
        final IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        manual = new ManualIoEventLoop(owner, factory);
        group = manual;
    }

    private static boolean useEpoll(final TransportKind kind)
    {
        switch (kind)
        {
            case NIO:
                return false;
            case EPOLL:
                if (!Epoll.isAvailable())
                {
                    throw new IllegalStateException("transport EPOLL was requested but native epoll is not " +
                        "available (" + Epoll.unavailabilityCause() + "); use transport AUTO or NIO",
                        Epoll.unavailabilityCause());
                }
                return true;
            default:
                return Epoll.isAvailable();
        }
    }

    /**
     * Whether the group runs native epoll.
     *
     * @return true for epoll, false for NIO.
     */
    public boolean isEpoll()
    {
        return epoll;
    }

    /**
     * The event loop group.
     *
     * @return the group.
     */
    public EventLoopGroup group()
    {
        return group;
    }

    /**
     * The loop that its owner drives, if this was created for one.
     *
     * @return the loop, or null for a group with threads of its own.
     */
    public ManualIoEventLoop manual()
    {
        return manual;
    }

    /**
     * Driven loop only, on its owner: runs the loop until {@code done} holds or {@code timeoutNs} passed, each run
     * waiting at most {@code waitNs} for I/O or tasks.
     *
     * @param done      the condition, checked before each run.
     * @param timeoutNs longest time to run.
     * @param waitNs    longest wait of one run.
     * @return whether {@code done} holds.
     */
    public boolean runUntil(final BooleanSupplier done, final long timeoutNs, final long waitNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        while (!done.getAsBoolean() && System.nanoTime() - deadlineNs < 0)
        {
            manual.run(waitNs);
        }
        return done.getAsBoolean();
    }

    /**
     * Datagram channel class matching the group.
     *
     * @return channel class.
     */
    public Class<? extends DatagramChannel> channelClass()
    {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /**
     * Shuts the group down at once and waits up to a second for it. A driven loop is shut down only when its owner
     * calls this; from another thread it is left to its owner.
     */
    public void shutdown()
    {
        if (manual == null)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
        }
        else if (manual.inEventLoop())
        {
            manual.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            runUntil(manual::isTerminated, TimeUnit.SECONDS.toNanos(2), TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
