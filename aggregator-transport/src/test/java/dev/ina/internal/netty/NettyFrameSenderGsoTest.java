package dev.ina.internal.netty;

import dev.ina.transport.FrameSender;
import dev.ina.transport.LossGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How {@link NettyFrameSender} forms GSO runs: consecutive claimed frames to one peer within a flush cycle leave
 * as one {@link SegmentedDatagramPacket} over one slice of the block (no copy), with the frame length as segment
 * size; a shorter frame ends a run, a longer one starts the next; the kernel's limits (64 segments, 65507 bytes)
 * split runs; a frame to several peers joins each peer's run; a copied frame, a dropped frame or a block change ends
 * runs in order; a GSO send failing with EIO, EINVAL or EMSGSIZE turns GSO off once; without GSO every frame is a
 * datagram.
 */
class NettyFrameSenderGsoTest
{
    private static final int FRAME = 1472;

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final List<Object> written = new ArrayList<>();

    NettyFrameSenderGsoTest()
    {
        channel.config().setAllocator(PooledByteBufAllocator.DEFAULT);
    }

    @BeforeAll
    static void loadNativeErrors()
    {
        // Errors' errno values come from the native transport library, which loading Epoll loads.
        assumeTrue(Epoll.isAvailable(), "native epoll is needed for the errno values of a failed send");
    }

    @AfterEach
    void release()
    {
        written.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldSendConsecutiveFramesToThePeerAsOneSegmentedPacketWithoutCopy()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE, true);
        final long claimedAt = sender.claim().addressOffset();
        final List<byte[]> frames = sendClaimed(sender, 0, 10, FRAME);
        sender.flush();
        final SegmentedDatagramPacket packet = assertInstanceOf(SegmentedDatagramPacket.class, next());
        assertEquals(FRAME, packet.segmentSize());
        assertNull(packet.recipient(), "connected: the kernel sends to the connected peer");
        assertArrayEquals(concat(frames), bytesOf(packet.content()));
        assertEquals(claimedAt, packet.content().memoryAddress(), "the claimed memory itself, not a copy");
        assertNull(channel.readOutbound());
        assertEquals(1, sender.gsoSends());
        assertEquals(10, sender.gsoSegments());
        assertEquals(1, sender.messages());
    }

    @Test
    void shouldEndARunWithAShorterFrameAndStartAnotherWithALongerOne()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE, true);
        final List<byte[]> first = sendClaimed(sender, 0, 2, 1000);
        first.addAll(sendClaimed(sender, 0, 1, 600));
        final List<byte[]> second = sendClaimed(sender, 0, 1, 1000);
        final List<byte[]> third = sendClaimed(sender, 0, 1, 1200);
        sender.flush();
        final SegmentedDatagramPacket packet = assertInstanceOf(SegmentedDatagramPacket.class, next());
        assertEquals(1000, packet.segmentSize());
        assertArrayEquals(concat(first), bytesOf(packet.content()));
        assertArrayEquals(second.get(0), bytesOf(assertInstanceOf(ByteBuf.class, next())));
        assertArrayEquals(third.get(0), bytesOf(assertInstanceOf(ByteBuf.class, next())));
        assertNull(channel.readOutbound());
    }

    @Test
    void shouldSplitRunsAtSixtyFourSegmentsAndAtTheLargestDatagram()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE, true);
        final List<byte[]> small = sendClaimed(sender, 0, 100, 100);
        sender.flush();
        assertRuns(small, 100, 64, 36);

        final List<byte[]> full = sendClaimed(sender, 0, 50, FRAME);
        sender.flush();
        // 44 frames of 1472 bytes are 64768 bytes; a 45th would pass 65507.
        assertRuns(full, FRAME, 44, 6);

        final List<byte[]> large = sendClaimed(sender, 0, 3, 40_000);
        sender.flush();
        for (final byte[] frame : large)
        {
            assertArrayEquals(frame, bytesOf(assertInstanceOf(ByteBuf.class, next())));
        }
        assertNull(channel.readOutbound());
    }

    @Test
    void shouldLetAFrameToSeveralPeersJoinEachPeersRun()
    {
        final PeerTable peers = new PeerTable(8);
        final int[] ids = new int[3];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = peers.register(new InetSocketAddress("127.0.0.1", 41_000 + i));
        }
        final NettyFrameSender sender = new NettyFrameSender(channel, peers, LossGenerator.NONE, true);
        final List<byte[]> shared = sendClaimedToAll(sender, ids, 0, 4);
        // A frame to peer 1 alone: it lies between the shared frames in the block, so the others' runs end.
        final List<byte[]> single = sendClaimed(sender, ids[1], 1, FRAME);
        final List<byte[]> after = sendClaimedToAll(sender, ids, 10, 2);
        sender.flush();
        final List<Object> out = drain();
        final List<byte[]> toPeer1 = new ArrayList<>(shared);
        toPeer1.addAll(single);
        toPeer1.addAll(after);
        final List<byte[]> toOthers = new ArrayList<>(shared);
        toOthers.addAll(after);
        assertArrayEquals(concat(toOthers), bytesTo(out, peers.address(ids[0])));
        assertArrayEquals(concat(toPeer1), bytesTo(out, peers.address(ids[1])));
        assertArrayEquals(concat(toOthers), bytesTo(out, peers.address(ids[2])));
        assertEquals(2, segmentedTo(out, peers.address(ids[0])), "peer 0: the four shared frames, then the two");
        assertEquals(1, segmentedTo(out, peers.address(ids[1])), "peer 1: all seven frames are contiguous");
        assertEquals(2, segmentedTo(out, peers.address(ids[2])));
        assertEquals(5, out.size());
    }

    @Test
    void shouldKeepOrderWhenACopiedOrDroppedFrameInterrupts()
    {
        final int[] calls = {0};
        final LossGenerator dropFifth = (buffer, offset, length) -> ++calls[0] == 5;
        final NettyFrameSender sender = new NettyFrameSender(channel, null, dropFifth, true);
        final List<byte[]> first = sendClaimed(sender, 0, 3, FRAME);
        final byte[] own = pattern(99, 300);
        final UnsafeBuffer ownBuffer = new UnsafeBuffer(new byte[400]);
        ownBuffer.putBytes(5, own);
        sender.send(ownBuffer, 5, own.length, 0);
        final List<byte[]> second = sendClaimed(sender, 0, 4, FRAME);
        sender.flush();
        assertArrayEquals(concat(first), bytesOf(assertInstanceOf(SegmentedDatagramPacket.class, next()).content()));
        assertArrayEquals(own, bytesOf(assertInstanceOf(ByteBuf.class, next())));
        // The fifth send was dropped (its memory is claimed again); the three frames after it form the next run.
        assertArrayEquals(concat(second.subList(1, 4)),
            bytesOf(assertInstanceOf(SegmentedDatagramPacket.class, next()).content()));
        assertNull(channel.readOutbound());

        final List<byte[]> third = sendClaimed(sender, 0, 2, FRAME);
        sender.send(ownBuffer, 5, own.length, 0);
        final List<byte[]> fourth = sendClaimed(sender, 0, 2, FRAME);
        sender.flush();
        assertArrayEquals(concat(third), bytesOf(assertInstanceOf(SegmentedDatagramPacket.class, next()).content()));
        assertArrayEquals(own, bytesOf(assertInstanceOf(ByteBuf.class, next())));
        assertArrayEquals(concat(fourth), bytesOf(assertInstanceOf(SegmentedDatagramPacket.class, next()).content()));
        assertNull(channel.readOutbound());
    }

    @Test
    void shouldEndRunsAtABlockChange()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE, true);
        // A 1 MiB block holds 668 frames of 1472 bytes with room for a largest frame after.
        final long[] addresses = new long[800];
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < addresses.length; i++)
        {
            addresses[i] = sender.claim().addressOffset();
            frames.addAll(sendClaimed(sender, 0, 1, FRAME));
        }
        sender.flush();
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        int frame = 0;
        for (final Object message : drain())
        {
            final ByteBuf content = message instanceof DatagramPacket ? ((DatagramPacket)message).content() :
                (ByteBuf)message;
            // Each message is the claimed memory of its first frame onwards: no copy, and no run spans two blocks.
            assertEquals(addresses[frame], content.memoryAddress(), "message starting at frame " + frame);
            final byte[] bytes = bytesOf(content);
            all.write(bytes, 0, bytes.length);
            frame += bytes.length / FRAME;
        }
        assertArrayEquals(concat(frames), all.toByteArray());
        assertTrue(addresses[799] - addresses[0] != 799L * FRAME, "the frames span two blocks");
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 22, 90})
    void shouldTurnGsoOffOnceWhenASendFailsWithEioEinvalOrEmsgsize(final int errno)
    {
        final List<Object> failed = new ArrayList<>();
        channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter()
        {
            @Override
            public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise)
            {
                if (msg instanceof SegmentedDatagramPacket)
                {
                    failed.add(msg);
                    ReferenceCountUtil.release(msg);
                    promise.setFailure(new Errors.NativeIoException("sendmmsg", -errno));
                    return;
                }
                ctx.write(msg, promise);
            }
        });
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE, true);
        sendClaimed(sender, 0, 3, FRAME);
        sender.flush();
        assertEquals(1, failed.size());
        assertFalse(sender.isGsoEnabled());
        assertEquals(1, sender.gsoFallbacks());
        final List<byte[]> plain = sendClaimed(sender, 0, 3, FRAME);
        sender.flush();
        for (final byte[] frame : plain)
        {
            assertArrayEquals(frame, bytesOf(assertInstanceOf(ByteBuf.class, next())));
        }
        assertNull(channel.readOutbound());
        assertEquals(1, sender.gsoFallbacks());
    }

    @Test
    void shouldKeepGsoWhenASendFailsForAnotherReason()
    {
        channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter()
        {
            @Override
            public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise)
            {
                ReferenceCountUtil.release(msg);
                promise.setFailure(new Errors.NativeIoException("sendmmsg", Errors.ERROR_ECONNREFUSED_NEGATIVE));
            }
        });
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE, true);
        sendClaimed(sender, 0, 3, FRAME);
        sender.flush();
        assertTrue(sender.isGsoEnabled(), "a refused connection is no reason to give up GSO");
        assertEquals(0, sender.gsoFallbacks());
    }

    @Test
    void shouldSendEveryFrameAsADatagramWithoutGso()
    {
        final NettyFrameSender sender = new NettyFrameSender(channel, null, LossGenerator.NONE, false);
        final List<byte[]> frames = sendClaimed(sender, 0, 5, FRAME);
        sender.flush();
        for (final byte[] frame : frames)
        {
            assertArrayEquals(frame, bytesOf(assertInstanceOf(ByteBuf.class, next())));
        }
        assertNull(channel.readOutbound());
        assertEquals(0, sender.gsoSends());
        assertEquals(5, sender.messages());
    }

    @Test
    void shouldNotUseGsoOnAChannelWithoutIt()
    {
        assertFalse(new NettyFrameSender(channel, null, LossGenerator.NONE).isGsoEnabled(),
            "an embedded channel is not native epoll");
    }

    private void assertRuns(final List<byte[]> frames, final int segment, final int... runs)
    {
        int from = 0;
        for (final int run : runs)
        {
            final SegmentedDatagramPacket packet = assertInstanceOf(SegmentedDatagramPacket.class, next());
            assertEquals(segment, packet.segmentSize());
            assertArrayEquals(concat(frames.subList(from, from + run)), bytesOf(packet.content()));
            assertTrue(packet.content().readableBytes() <= NettyFrameSender.MAX_GSO_BYTES);
            from += run;
        }
        assertEquals(frames.size(), from);
        assertNull(channel.readOutbound());
    }

    private static List<byte[]> sendClaimedToAll(
        final NettyFrameSender sender, final int[] ids, final int seed, final int count)
    {
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final MutableDirectBuffer frame = sender.claim();
            final byte[] bytes = pattern(seed + i, FRAME);
            frame.putBytes(0, bytes);
            assertEquals(FrameSender.OK, sender.send(frame, 0, FRAME, ids, ids.length));
            frames.add(bytes);
        }
        return frames;
    }

    private static List<byte[]> sendClaimed(
        final NettyFrameSender sender, final int peer, final int count, final int length)
    {
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final MutableDirectBuffer frame = sender.claim();
            final byte[] bytes = pattern(frames.size() * 131 + length + peer, length);
            frame.putBytes(0, bytes);
            assertEquals(FrameSender.OK, sender.send(frame, 0, length, peer));
            frames.add(bytes);
        }
        return frames;
    }

    private Object next()
    {
        final Object message = channel.readOutbound();
        written.add(message);
        return message;
    }

    private List<Object> drain()
    {
        final List<Object> out = new ArrayList<>();
        Object message;
        while ((message = channel.readOutbound()) != null)
        {
            written.add(message);
            out.add(message);
        }
        return out;
    }

    private static byte[] bytesTo(final List<Object> out, final InetSocketAddress address)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (final Object message : out)
        {
            final DatagramPacket packet = (DatagramPacket)message;
            if (address.equals(packet.recipient()))
            {
                final byte[] content = bytesOf(packet.content());
                bytes.write(content, 0, content.length);
            }
        }
        return bytes.toByteArray();
    }

    private static int segmentedTo(final List<Object> out, final InetSocketAddress address)
    {
        int count = 0;
        for (final Object message : out)
        {
            if (message instanceof SegmentedDatagramPacket)
            {
                assertSame(SegmentedDatagramPacket.class, message.getClass());
                if (address.equals(((DatagramPacket)message).recipient()))
                {
                    count++;
                }
            }
        }
        return count;
    }

    private static byte[] concat(final List<byte[]> frames)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (final byte[] frame : frames)
        {
            bytes.write(frame, 0, frame.length);
        }
        return bytes.toByteArray();
    }

    private static byte[] pattern(final int seed, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed * 31 + i * 17 + (i >> 8));
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
