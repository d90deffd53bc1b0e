package dev.ina.internal.netty;

import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.FrameHandler;
import dev.ina.transport.LossGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;

/**
 * Hands each received datagram to a {@link FrameHandler}: wraps the datagram's memory in a reused
 * {@link UnsafeBuffer} (no copy, no allocation), resolves the sender to a peer id, and keeps no reference after
 * the call returns. A GRO read ({@link SegmentedDatagramPacket}: datagrams of one sender back to back, cut at the
 * segment size) is handed over datagram by datagram through the same view, still without a copy. A buffer without
 * an address or array (not produced by INA's allocators) is copied once. An
 * exception thrown by the engine is counted and passed to an {@link ErrorHandler}. After each batch of reads it
 * runs the owner's {@code onReadComplete} (flush, timers). Runs on the channel's event loop. Internal to INA.
 */
public final class DatagramFrameHandler extends ChannelInboundHandlerAdapter
{
    /** Maps a datagram's sender to a peer id. */
    @FunctionalInterface
    public interface PeerResolver
    {
        /**
         * Peer id of a datagram's sender.
         *
         * @param sender address, or null on a connected channel.
         * @param frame  the datagram.
         * @param length its length.
         * @return peer id, or {@link PeerTable#UNKNOWN_PEER}.
         */
        int peerOf(InetSocketAddress sender, DirectBuffer frame, int length);
    }

    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final FrameHandler handler;
    private final PeerResolver resolver;
    private final LossGenerator loss;
    private final Runnable onReadComplete;
    private final Counters counters;
    private final ErrorHandler errorHandler;

    /**
     * Creates the handler.
     *
     * @param handler        engine that receives frames.
     * @param resolver       maps senders to peer ids.
     * @param loss           test hook dropping received datagrams.
     * @param onReadComplete run after each batch of reads.
     * @param counters       where an exception thrown by the engine is counted.
     * @param errorHandler   where an exception thrown by the engine is reported.
     */
    public DatagramFrameHandler(
        final FrameHandler handler, final PeerResolver resolver, final LossGenerator loss,
        final Runnable onReadComplete, final Counters counters, final ErrorHandler errorHandler)
    {
        this.counters = counters;
        this.errorHandler = errorHandler;
        this.handler = handler;
        this.resolver = resolver;
        this.loss = loss;
        this.onReadComplete = onReadComplete;
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        try
        {
            final ByteBuf content;
            final InetSocketAddress sender;
            int segmentLength = 0;
            if (msg instanceof DatagramPacket)
            {
                content = ((DatagramPacket)msg).content();
                sender = ((DatagramPacket)msg).sender();
                if (msg instanceof SegmentedDatagramPacket)
                {
                    segmentLength = ((SegmentedDatagramPacket)msg).segmentSize();
                }
            }
            else if (msg instanceof ByteBuf)
            {
                content = (ByteBuf)msg;
                sender = null;
            }
            else
            {
                return;
            }
            final int length = content.readableBytes();
            if (segmentLength <= 0 || segmentLength >= length)
            {
                deliver(content, content.readerIndex(), length, sender, System.nanoTime());
            }
            else
            {
                // A GRO read: datagrams of segmentLength bytes back to back, the last possibly shorter.
                final long nowNs = System.nanoTime();
                final int end = content.readerIndex() + length;
                for (int index = content.readerIndex(); index < end; index += segmentLength)
                {
                    deliver(content, index, Math.min(segmentLength, end - index), sender, nowNs);
                }
            }
        }
        finally
        {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Hands one datagram to the engine through the view, without copying it when it has an address or an array.
     */
    private void deliver(
        final ByteBuf content, final int index, final int length, final InetSocketAddress sender, final long nowNs)
    {
        try
        {
            if (content.hasMemoryAddress())
            {
                view.wrap(content.memoryAddress() + index, length);
            }
            else if (content.hasArray())
            {
                view.wrap(content.array(), content.arrayOffset() + index, length);
            }
            else
            {
                final byte[] copy = new byte[length];
                content.getBytes(index, copy);
                view.wrap(copy);
            }
            if (!loss.shouldDrop(view, 0, length))
            {
                handler.onFrame(view, 0, length, resolver.peerOf(sender, view, length), nowNs);
            }
        }
        catch (final RuntimeException ex)
        {
            // Engines drop bad input without throwing; an exception here is a bug. Count and report it, and keep
            // serving rather than let one datagram take the process down.
            counters.increment(CounterDescriptor.HANDLER_ERRORS);
            errorHandler.onError(ex);
        }
        finally
        {
            view.wrap(0, 0);
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        onReadComplete.run();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // ICMP port unreachable and friends surface here on connected sockets; the engines' timeouts handle them.
    }
}
