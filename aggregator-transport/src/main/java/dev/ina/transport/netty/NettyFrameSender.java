package dev.ina.transport.netty;

import dev.ina.transport.FrameSender;
import dev.ina.transport.LossGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

import java.net.InetSocketAddress;

/**
 * {@link FrameSender} over a Netty datagram channel. Each frame is copied once into a pooled direct buffer
 * (a multi-destination frame once for all destinations, shared by reference count) and written without a flush;
 * the owner flushes after each batch, so the channel can send many datagrams per system call (sendmmsg).
 * On a connected channel the buffer is written as is, with no {@code DatagramPacket}. Runs on the channel's event
 * loop. Internal to INA's transports.
 */
public final class NettyFrameSender implements FrameSender
{
    private static final int FLUSH_THRESHOLD_BYTES = 1024 * 1024;

    private final Channel channel;
    private final PeerTable peers;
    private final LossGenerator loss;
    private int unflushedBytes;

    /**
     * Creates a sender.
     *
     * @param channel the datagram channel.
     * @param peers   peer table for an unconnected channel, or null for a channel connected to its one peer.
     * @param loss    test hook dropping sent datagrams.
     */
    public NettyFrameSender(final Channel channel, final PeerTable peers, final LossGenerator loss)
    {
        this.channel = channel;
        this.peers = peers;
        this.loss = loss;
    }

    @Override
    public int send(final DirectBuffer buffer, final int offset, final int length, final int peer)
    {
        final InetSocketAddress address = peers == null ? null : peers.address(peer);
        if (peers != null && address == null)
        {
            return NOT_CONNECTED;
        }
        if (loss.shouldDrop(buffer, offset, length))
        {
            return OK;
        }
        final ByteBuf buf = copy(buffer, offset, length);
        channel.write(address == null ? buf : new DatagramPacket(buf, address), channel.voidPromise());
        written(length);
        return OK;
    }

    @Override
    public int send(
        final DirectBuffer buffer, final int offset, final int length, final int[] peerIds, final int peerCount)
    {
        if (peers == null)
        {
            return FrameSender.super.send(buffer, offset, length, peerIds, peerCount);
        }
        int result = OK;
        final ByteBuf buf = copy(buffer, offset, length);
        try
        {
            for (int i = 0; i < peerCount; i++)
            {
                final InetSocketAddress address = peers.address(peerIds[i]);
                if (address == null)
                {
                    result = NOT_CONNECTED;
                }
                else if (!loss.shouldDrop(buffer, offset, length))
                {
                    channel.write(new DatagramPacket(buf.retainedDuplicate(), address), channel.voidPromise());
                    written(length);
                }
            }
        }
        finally
        {
            buf.release();
        }
        return result;
    }

    /**
     * Flushes the datagrams written since the last flush.
     */
    public void flush()
    {
        if (unflushedBytes > 0)
        {
            unflushedBytes = 0;
            channel.flush();
        }
    }

    private void written(final int length)
    {
        unflushedBytes += length;
        if (unflushedBytes >= FLUSH_THRESHOLD_BYTES)
        {
            flush();
        }
    }

    private ByteBuf copy(final DirectBuffer buffer, final int offset, final int length)
    {
        final ByteBuf buf = channel.alloc().directBuffer(length, length);
        if (buf.hasMemoryAddress())
        {
            UnsafeApi.copyMemory(
                buffer.byteArray(), buffer.addressOffset() + offset, null, buf.memoryAddress(), length);
            buf.writerIndex(length);
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                buf.writeByte(buffer.getByte(offset + i));
            }
        }
        return buf;
    }
}
