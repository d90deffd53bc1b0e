package dev.ina.internal.netty;

import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of buffer a datagram can arrive in reaches the engine byte for byte, with its sender's peer id and
 * nothing kept after the call; injected loss drops before the engine; an engine that throws is counted and
 * reported, and the next datagram is served; every buffer is released (paranoid leak detection in the tests).
 */
class DatagramFrameHandlerTest
{
    private static final InetSocketAddress SENDER = new InetSocketAddress("127.0.0.1", 40_001);
    private static final int PEER = 7;

    private final Counters counters = new Counters("test");
    private final List<byte[]> frames = new ArrayList<>();
    private final List<Integer> peers = new ArrayList<>();
    private final List<InetSocketAddress> resolved = new ArrayList<>();
    private final List<Throwable> errors = new ArrayList<>();
    private final List<MutableDirectBuffer> views = new ArrayList<>();
    private final List<Long> addresses = new ArrayList<>();
    private RuntimeException failWith;
    private boolean dropAll;
    private int readCompletes;
    private final EmbeddedChannel channel = new EmbeddedChannel(new DatagramFrameHandler(
        (buffer, offset, length, peer, nowNs) ->
        {
            if (failWith != null)
            {
                throw failWith;
            }
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            frames.add(bytes);
            peers.add(peer);
            views.add(buffer);
            addresses.add(buffer.addressOffset() + offset);
        },
        (address, frame, length) ->
        {
            resolved.add(address);
            return PEER;
        },
        (buffer, offset, length) -> dropAll,
        () -> readCompletes++,
        counters,
        errors::add));

    @AfterEach
    void finish()
    {
        assertFalse(channel.finishAndReleaseAll(), "the handler passes nothing on");
    }

    @Test
    void shouldHandADirectDatagramToTheEngineWithoutCopy()
    {
        final ByteBuf content = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        content.writeBytes(pattern(40));
        assertTrue(content.hasMemoryAddress());
        channel.writeInbound(new DatagramPacket(content, null, SENDER));
        assertArrayEquals(pattern(40), frames.get(0));
        assertEquals(PEER, peers.get(0));
        assertEquals(SENDER, resolved.get(0));
        assertEquals(0, content.refCnt(), "released after the engine returned");
    }

    @Test
    void shouldHandAHeapDatagramToTheEngineFromItsArray()
    {
        final ByteBuf content = Unpooled.buffer(64);
        content.writeBytes(pattern(33));
        assertTrue(content.hasArray());
        channel.writeInbound(new DatagramPacket(content, null, SENDER));
        assertArrayEquals(pattern(33), frames.get(0));
        assertEquals(0, content.refCnt());
    }

    @Test
    void shouldCopyADatagramThatHasNeitherAddressNorArray()
    {
        final CompositeByteBuf content = Unpooled.compositeBuffer();
        content.addComponent(true, Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        content.addComponent(true, Unpooled.wrappedBuffer(new byte[] {4, 5}));
        assertFalse(content.hasArray() || content.hasMemoryAddress(), "the copy path is what this test runs");
        channel.writeInbound(new DatagramPacket(content, null, SENDER));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, frames.get(0));
        assertEquals(0, content.refCnt());
    }

    @Test
    void shouldHandAConnectedChannelsBareBufferWithoutASender()
    {
        final ByteBuf content = Unpooled.directBuffer(16).writeBytes(pattern(16));
        channel.writeInbound(content);
        assertArrayEquals(pattern(16), frames.get(0));
        assertNull(resolved.get(0), "a connected channel's datagram has no sender address");
        assertEquals(0, content.refCnt());
    }

    @Test
    void shouldHonourTheReaderIndex()
    {
        final ByteBuf content = Unpooled.directBuffer(32).writeBytes(pattern(20));
        content.readerIndex(5);
        channel.writeInbound(new DatagramPacket(content, null, SENDER));
        final byte[] expected = new byte[15];
        System.arraycopy(pattern(20), 5, expected, 0, 15);
        assertArrayEquals(expected, frames.get(0));
    }

    @Test
    void shouldSplitAGroReadIntoItsDatagramsWithoutCopy()
    {
        final ByteBuf content = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        content.writeBytes(pattern(1000)).writeBytes(pattern(1000)).writeBytes(pattern(300));
        content.setByte(1000, 99);
        content.readerIndex(0);
        channel.writeInbound(new SegmentedDatagramPacket(content, 1000, null, SENDER));
        assertEquals(3, frames.size(), "segments of 1000 bytes, the last shorter");
        assertArrayEquals(pattern(1000), frames.get(0));
        final byte[] second = pattern(1000);
        second[0] = 99;
        assertArrayEquals(second, frames.get(1));
        assertArrayEquals(pattern(300), frames.get(2));
        assertEquals(List.of(PEER, PEER, PEER), peers);
        assertEquals(List.of(SENDER, SENDER, SENDER), resolved);
        final long base = addresses.get(0);
        assertEquals(List.of(base, base + 1000, base + 2000), addresses, "views over the read buffer, no copy");
        assertEquals(0, content.refCnt(), "released after the last segment");
        assertEquals(1, readCompletes);
    }

    @Test
    void shouldHandAGroReadOfOneDatagramAsIs()
    {
        final ByteBuf content = Unpooled.directBuffer(64).writeBytes(pattern(40));
        channel.writeInbound(new SegmentedDatagramPacket(content, 1472, null, SENDER));
        assertEquals(1, frames.size());
        assertArrayEquals(pattern(40), frames.get(0));
        assertEquals(0, content.refCnt());
    }

    @Test
    void shouldServeTheRestOfAGroReadWhenTheEngineThrowsOnOneDatagram()
    {
        final ByteBuf content = Unpooled.directBuffer(64).writeBytes(pattern(30));
        final RuntimeException bug = new IllegalStateException("engine bug");
        failWith = bug;
        channel.writeInbound(new SegmentedDatagramPacket(content, 10, null, SENDER));
        assertEquals(3, counters.get(CounterDescriptor.HANDLER_ERRORS), "each of the three datagrams reached it");
        assertEquals(0, content.refCnt());
    }

    @Test
    void shouldKeepNoReferenceToTheDatagramAfterTheEngineReturns()
    {
        channel.writeInbound(new DatagramPacket(Unpooled.directBuffer(8).writeLong(42), null, SENDER));
        assertEquals(0, views.get(0).capacity(), "the reused view no longer points at the released memory");
    }

    @Test
    void shouldDropBeforeTheEngineWhenLossIsInjected()
    {
        dropAll = true;
        final ByteBuf content = Unpooled.directBuffer(8).writeLong(1);
        channel.writeInbound(new DatagramPacket(content, null, SENDER));
        assertTrue(frames.isEmpty());
        assertEquals(0, content.refCnt());
    }

    @Test
    void shouldCountReportAndServeOnWhenTheEngineThrows()
    {
        failWith = new IllegalStateException("engine bug");
        final ByteBuf first = Unpooled.directBuffer(8).writeLong(1);
        channel.writeInbound(new DatagramPacket(first, null, SENDER));
        assertEquals(1, counters.get(CounterDescriptor.HANDLER_ERRORS));
        assertEquals(1, errors.size());
        assertEquals("engine bug", errors.get(0).getMessage());
        assertEquals(0, first.refCnt());
        assertTrue(channel.isActive(), "the channel stays open");

        failWith = null;
        channel.writeInbound(new DatagramPacket(Unpooled.directBuffer(8).writeLong(2), null, SENDER));
        assertEquals(1, frames.size(), "the next datagram is served");
    }

    @Test
    void shouldRunTheOwnersFlushAfterEachBatchOfReads()
    {
        channel.writeInbound(
            new DatagramPacket(Unpooled.directBuffer(8).writeLong(1), null, SENDER),
            new DatagramPacket(Unpooled.directBuffer(8).writeLong(2), null, SENDER));
        assertEquals(2, frames.size());
        assertEquals(1, readCompletes, "one batch, one flush");
    }

    @Test
    void shouldIgnoreAndReleaseMessagesOfOtherTypes()
    {
        final ByteBuf unrelated = Unpooled.directBuffer(4).writeInt(1);
        channel.pipeline().fireChannelRead(new Object());
        channel.pipeline().fireChannelRead(new io.netty.buffer.DefaultByteBufHolder(unrelated));
        assertTrue(frames.isEmpty());
        assertEquals(0, unrelated.refCnt(), "a reference-counted message is released even if not understood");
    }

    @Test
    void shouldSurviveAChannelExceptionWithoutClosing()
    {
        channel.pipeline().fireExceptionCaught(new java.net.PortUnreachableException("ICMP"));
        assertTrue(channel.isActive());
    }

    private static byte[] pattern(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        return bytes;
    }
}
