package dev.ina.internal.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;

/**
 * The datagram channel set-up the aggregator and the worker share: socket buffers, pooled direct buffers, a
 * write buffer deep enough for a window of frames, and batched reads (recvmmsg with native epoll: the receive
 * buffer holds {@code batch} datagrams of at most {@code datagramLength} bytes each). Internal to INA.
 */
public final class DatagramChannels
{
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 << 20, 64 << 20);

    private DatagramChannels()
    {
    }

    /**
     * A bootstrap for a datagram channel on {@code loops}.
     *
     * @param loops             event loops and channel class.
     * @param socketBufferBytes SO_RCVBUF and SO_SNDBUF to ask for.
     * @param datagramLength    longest datagram expected, in bytes.
     * @param batch             datagrams the receive buffer holds (read per system call at most).
     * @param readsPerEvent     most messages read per readiness event before other work runs.
     * @param handler           the channel's handler.
     * @return the bootstrap, ready to bind.
     */
    public static Bootstrap bootstrap(
        final EventLoops loops,
        final int socketBufferBytes,
        final int datagramLength,
        final int batch,
        final int readsPerEvent,
        final ChannelHandler handler)
    {
        final Bootstrap bootstrap = new Bootstrap()
            .group(loops.group())
            .channel(loops.channelClass())
            .option(ChannelOption.SO_RCVBUF, socketBufferBytes)
            .option(ChannelOption.SO_SNDBUF, socketBufferBytes)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .option(ChannelOption.RECVBUF_ALLOCATOR,
                new FixedRecvByteBufAllocator(datagramLength * batch).maxMessagesPerRead(readsPerEvent))
            .handler(handler);
        if (loops.isEpoll())
        {
            bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramLength);
        }
        return bootstrap;
    }
}
