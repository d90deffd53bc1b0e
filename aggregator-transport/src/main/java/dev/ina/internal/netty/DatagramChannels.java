package dev.ina.internal.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;

/**
 * The datagram channel set-up the aggregator and the worker share: socket buffers, pooled direct buffers, a
 * write buffer deep enough for a window of frames, and batched reads. With native epoll a socket either asks for
 * UDP GRO and reads with recvmsg into {@value #GRO_BUFFER_BYTES}-byte buffers (the kernel coalesces a sender's
 * datagrams, up to 64 per read; see {@link UdpOffload}), or reads with recvmmsg (the receive buffer holds
 * {@code batch} datagrams of at most {@code datagramLength} bytes each). Not both: with recvmmsg, Netty 4.2.18
 * loses the segment size of a coalesced datagram. Internal to INA.
 */
public final class DatagramChannels
{
    /** Receive buffer of a GRO read: the largest coalesced datagram the kernel hands over. */
    static final int GRO_BUFFER_BYTES = 64 * 1024;

    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 << 20, 64 << 20);

    private DatagramChannels()
    {
    }

    /**
     * A bootstrap for a datagram channel on {@code loops}, asking for GRO where {@link UdpOffload#isGroWanted}.
     * After binding, call {@link #checkReceive} so that a socket whose kernel refused GRO reads with recvmmsg.
     *
     * @param loops             event loops and channel class.
     * @param socketBufferBytes SO_RCVBUF and SO_SNDBUF to ask for.
     * @param datagramLength    longest datagram expected, in bytes.
     * @param batch             datagrams the receive buffer holds (read per system call at most), without GRO.
     * @param readsPerEvent     most datagrams read per readiness event before other work runs (at least
     *                          {@value NettyFrameSender#MAX_GSO_SEGMENTS} with GRO: one whole coalesced read).
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
            .handler(handler);
        if (UdpOffload.isGroWanted(loops))
        {
            bootstrap
                .option(EpollChannelOption.UDP_GRO, true)
                .option(ChannelOption.RECVBUF_ALLOCATOR, groAllocator(readsPerEvent));
        }
        else
        {
            bootstrap.option(ChannelOption.RECVBUF_ALLOCATOR, batchAllocator(datagramLength, batch, readsPerEvent));
            if (loops.isEpoll())
            {
                bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramLength);
            }
        }
        return bootstrap;
    }

    /**
     * For a bound channel from {@link #bootstrap}: if GRO was asked for but the kernel did not take it, switches the
     * socket to recvmmsg reads, as without GRO. Call before the first read (with auto-read off, or from the
     * channel's event loop right after binding).
     *
     * @param channel        the bound channel.
     * @param datagramLength as given to {@link #bootstrap}.
     * @param batch          as given to {@link #bootstrap}.
     * @param readsPerEvent  as given to {@link #bootstrap}.
     * @return whether the socket reads with GRO.
     */
    public static boolean checkReceive(
        final Channel channel, final int datagramLength, final int batch, final int readsPerEvent)
    {
        if (UdpOffload.isGroActive(channel))
        {
            return true;
        }
        if (channel instanceof EpollDatagramChannel &&
            channel.config().getOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE) != datagramLength)
        {
            channel.config().setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramLength);
            channel.config().setOption(
                ChannelOption.RECVBUF_ALLOCATOR, batchAllocator(datagramLength, batch, readsPerEvent));
        }
        return false;
    }

    private static RecvByteBufAllocator groAllocator(final int readsPerEvent)
    {
        return new FixedRecvByteBufAllocator(GRO_BUFFER_BYTES)
            .maxMessagesPerRead(Math.max(readsPerEvent, NettyFrameSender.MAX_GSO_SEGMENTS));
    }

    private static RecvByteBufAllocator batchAllocator(
        final int datagramLength, final int batch, final int readsPerEvent)
    {
        return new FixedRecvByteBufAllocator(datagramLength * batch).maxMessagesPerRead(readsPerEvent);
    }
}
