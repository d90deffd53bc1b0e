package dev.ina.transport.netty;

import dev.ina.config.TransportKind;
import io.netty.channel.DefaultSelectStrategyFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
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

/**
 * Event loop groups and datagram channel classes: native epoll on Linux, NIO elsewhere or on request.
 * Internal to INA's transports.
 */
public final class EventLoops
{
    private static final SelectStrategyFactory BUSY_WAIT = () -> (selectSupplier, hasTasks) -> SelectStrategy.BUSY_WAIT;

    private final boolean epoll;
    private final EventLoopGroup group;

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
            EpollIoHandler.newFactory(0, busyPoll ? BUSY_WAIT : DefaultSelectStrategyFactory.INSTANCE) :
            NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadName, true), factory);
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
     * Datagram channel class matching the group.
     *
     * @return channel class.
     */
    public Class<? extends DatagramChannel> channelClass()
    {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /**
     * Shuts the group down at once and waits up to a second for it.
     */
    public void shutdown()
    {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(2_000);
    }
}
