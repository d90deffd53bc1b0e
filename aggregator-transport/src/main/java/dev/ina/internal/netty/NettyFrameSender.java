package dev.ina.internal.netty;

import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.FrameSender;
import dev.ina.transport.LossGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;

/**
 * {@link FrameSender} over a Netty datagram channel. Frames are written without a flush; the owner flushes after
 * each batch, so the channel can send many datagrams per system call (sendmmsg). On a connected channel a frame is
 * written as a bare buffer, with no {@code DatagramPacket}.
 * <p>
 * Engines write frames in place ({@link #claim()}): frames are carved one after another out of a pooled direct
 * block of {@value #BLOCK_BYTES} bytes, each sent as a reference-counted slice of it, so a frame costs neither a
 * copy nor an allocation of its own, and a multi-destination frame is shared by all its destinations. The block
 * goes back to the pool once this sender has moved to the next one and the channel has written the last slice.
 * A frame passed in any other buffer is copied once into a pooled buffer. Runs on the channel's event loop.
 * Internal to INA's transports.
 */
public final class NettyFrameSender implements FrameSender
{
    private static final int FLUSH_THRESHOLD_BYTES = 1024 * 1024;
    private static final int BLOCK_BYTES = 1024 * 1024;
    private static final int MAX_FRAME_BYTES = FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH;
    /** Frames in a block start on cache-line boundaries. */
    private static final int FRAME_ALIGNMENT = 64;

    private final Channel channel;
    private final PeerTable peers;
    private final LossGenerator loss;
    private final UnsafeBuffer claimed = new UnsafeBuffer(0, 0);
    private ByteBuf block;
    private int blockPosition;
    private int claimedAt;
    /** Closed, or the allocator's buffers have no address to write through: frames are copied from then on. */
    private boolean copyOnly;
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
    public MutableDirectBuffer claim()
    {
        if (copyOnly)
        {
            return null;
        }
        if (block == null || block.capacity() - blockPosition < MAX_FRAME_BYTES)
        {
            final ByteBuf next = channel.alloc().directBuffer(BLOCK_BYTES, BLOCK_BYTES);
            if (!next.hasMemoryAddress())
            {
                next.release();
                copyOnly = true;
                return null;
            }
            releaseBlock();
            block = next;
            blockPosition = 0;
        }
        claimedAt = blockPosition;
        claimed.wrap(block.memoryAddress() + claimedAt, MAX_FRAME_BYTES);
        return claimed;
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
        final ByteBuf buf = frame(buffer, offset, length);
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
        final ByteBuf buf = frame(buffer, offset, length);
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

    /**
     * Gives the current block back to the pool (once the channel has written its last frame from it); frames sent
     * later are copied. For the owner, on the event loop, when the channel has closed.
     */
    public void close()
    {
        copyOnly = true;
        releaseBlock();
    }

    private void written(final int length)
    {
        unflushedBytes += length;
        if (unflushedBytes >= FLUSH_THRESHOLD_BYTES)
        {
            flush();
        }
    }

    /**
     * The frame as a buffer the channel may own: a slice of the block when it was written in place (the next
     * claim starts after it; sending the same claimed frame again slices the same bytes), otherwise a copy.
     */
    private ByteBuf frame(final DirectBuffer buffer, final int offset, final int length)
    {
        if (buffer == claimed && offset == 0 && block != null)
        {
            blockPosition = claimedAt + ((length + FRAME_ALIGNMENT - 1) & -FRAME_ALIGNMENT);
            return block.retainedSlice(claimedAt, length);
        }
        return copy(buffer, offset, length);
    }

    private void releaseBlock()
    {
        if (block != null)
        {
            block.release();
            block = null;
            claimed.wrap(0, 0);
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
