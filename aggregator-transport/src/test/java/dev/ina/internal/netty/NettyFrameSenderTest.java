package dev.ina.internal.netty;

import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.FrameSender;
import dev.ina.transport.LossGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames written in place into claimed memory leave intact, many per block and across block boundaries, shared by
 * every destination; frames in the caller's own buffer are copied; every buffer goes back to the pool.
 */
class NettyFrameSenderTest
{
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final List<ByteBuf> written = new ArrayList<>();

    NettyFrameSenderTest()
    {
        channel.config().setAllocator(PooledByteBufAllocator.DEFAULT);
    }

    @AfterEach
    void release()
    {
        written.forEach(ByteBuf::release);
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldSendClaimedFramesUnchangedAcrossBlocks()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE);
        final List<byte[]> sent = new ArrayList<>();
        // 1 MiB blocks of up to 64 KiB frames: 100 frames of varied lengths span several blocks.
        for (int i = 0; i < 100; i++)
        {
            final MutableDirectBuffer frame = sender.claim();
            assertNotNull(frame);
            assertTrue(frame.capacity() >= FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
            final byte[] bytes = pattern(i, 1 + (i * 7919) % FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
            frame.putBytes(0, bytes);
            assertEquals(FrameSender.OK, sender.send(frame, 0, bytes.length, 0));
            sent.add(bytes);
        }
        sender.flush();
        for (final byte[] expected : sent)
        {
            final ByteBuf buf = channel.readOutbound();
            written.add(buf);
            assertArrayEquals(expected, bytesOf(buf));
        }
        assertNull(channel.readOutbound());
    }

    @Test
    void shouldReuseAClaimThatWasNotSentAndResendTheSameFrame()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE);
        final MutableDirectBuffer abandoned = sender.claim();
        abandoned.putBytes(0, pattern(1, 100));
        final MutableDirectBuffer frame = sender.claim();
        final byte[] bytes = pattern(2, 300);
        frame.putBytes(0, bytes);
        sender.send(frame, 0, bytes.length, 0);
        sender.send(frame, 0, bytes.length, 0);
        final MutableDirectBuffer next = sender.claim();
        final byte[] after = pattern(3, 200);
        next.putBytes(0, after);
        sender.send(next, 0, after.length, 0);
        sender.flush();
        for (final byte[] expected : List.of(bytes, bytes, after))
        {
            final ByteBuf buf = channel.readOutbound();
            written.add(buf);
            assertArrayEquals(expected, bytesOf(buf));
        }
    }

    @Test
    void shouldShareOneClaimedFrameAmongDestinationsAndCopyOwnBuffers()
    {
        final PeerTable peers = new PeerTable(4);
        final int[] ids = new int[3];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = peers.register(new InetSocketAddress("127.0.0.1", 40_000 + i));
        }
        final NettyFrameSender sender = new NettyFrameSender(channel, peers, LossGenerator.NONE);
        final MutableDirectBuffer frame = sender.claim();
        final byte[] shared = pattern(5, 5000);
        frame.putBytes(0, shared);
        assertEquals(FrameSender.OK, sender.send(frame, 0, shared.length, ids, ids.length));
        final byte[] own = pattern(6, 700);
        final UnsafeBuffer ownBuffer = new UnsafeBuffer(new byte[1000]);
        ownBuffer.putBytes(10, own);
        assertEquals(FrameSender.OK, sender.send(ownBuffer, 10, own.length, ids[1]));
        ownBuffer.putBytes(10, pattern(7, 700)); // the copy is taken at send time
        sender.flush();
        for (int i = 0; i < ids.length; i++)
        {
            final DatagramPacket packet = channel.readOutbound();
            assertEquals(peers.address(ids[i]), packet.recipient());
            assertArrayEquals(shared, bytesOf(packet.content()));
            packet.release();
        }
        final DatagramPacket copied = channel.readOutbound();
        assertArrayEquals(own, bytesOf(copied.content()));
        copied.release();
    }

    @Test
    void shouldGiveTheBlockBackOnCloseAndCopyAfterwards()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE);
        final MutableDirectBuffer frame = sender.claim();
        frame.putBytes(0, pattern(8, 64));
        sender.send(frame, 0, 64, 0);
        sender.flush();
        final ByteBuf slice = channel.readOutbound();
        final ByteBuf block = slice.unwrap();
        sender.close();
        assertEquals(1, block.refCnt(), "only the unsent slice holds the block after close");
        slice.release();
        assertEquals(0, block.refCnt());
        assertNull(sender.claim(), "a closed sender claims nothing");
    }

    private static byte[] pattern(final int seed, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed * 31 + i * 17);
        }
        return bytes;
    }

    private static byte[] bytesOf(final ByteBuf buf)
    {
        final byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return bytes;
    }
}
