package dev.ina.internal.netty;

import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.FrameSender;
import dev.ina.transport.LossGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@link FrameSender} over a Netty datagram channel. Frames are written without a flush; the owner flushes after
 * each batch, so the channel can send many datagrams per system call (sendmmsg). On a connected channel a frame is
 * written as a bare buffer, with no {@code DatagramPacket}.
 * <p>
 * Engines write frames in place ({@link #claim()}): frames are carved one after another, back to back, out of a
 * pooled direct block of {@value #BLOCK_BYTES} bytes, each sent as a reference-counted slice of it, so a frame
 * costs neither a copy nor an allocation of its own, and a multi-destination frame is shared by all its
 * destinations. The block goes back to the pool once this sender has moved to the next one and the channel has
 * written the last slice. A frame passed in any other buffer is copied once into a pooled buffer.
 * <p>
 * <b>UDP GSO.</b> Where the channel supports it ({@link UdpOffload#isGsoEnabled}), frames to the same peer that
 * follow each other in the block within one flush cycle form a <i>run</i>: the same length, except that the last
 * may be shorter, at most {@value #MAX_GSO_SEGMENTS} frames and {@value #MAX_GSO_BYTES} bytes. A run of two or
 * more leaves as one {@link SegmentedDatagramPacket} over one slice of the block (segment size = frame length; no
 * copy), which the kernel cuts back into exactly those datagrams; a run of one leaves as a plain datagram. A frame
 * to several peers joins each peer's run. Runs end at {@link #flush()}, when the block is full, or when a frame
 * to that peer does not fit. A GSO send that fails with EIO, EINVAL or EMSGSIZE (no checksum offload, a segment
 * larger than the route's MTU: EINVAL on older kernels, EMSGSIZE on newer) turns GSO off for this sender: it is
 * counted once ({@link #gsoFallbacks()}) and logged once per process, and from then on every frame is a plain
 * datagram; the frames of that send are lost, and the engines' retransmission recovers them.
 * <p>
 * Runs on the channel's event loop. Internal to INA's transports.
 */
public final class NettyFrameSender implements FrameSender
{
    /** Most datagrams in one GSO send (the kernel's {@code UDP_MAX_SEGMENTS} on older kernels). */
    public static final int MAX_GSO_SEGMENTS = 64;
    /** Most bytes in one GSO send: the payload of one IPv4 UDP datagram. */
    public static final int MAX_GSO_BYTES = FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH;

    private static final System.Logger LOGGER = System.getLogger("dev.ina.internal.netty");
    private static final int FLUSH_THRESHOLD_BYTES = 1024 * 1024;
    private static final int BLOCK_BYTES = 1024 * 1024;
    private static final int MAX_FRAME_BYTES = FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH;
    /** Linux errno values (the same on every architecture Netty's epoll transport supports). */
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private static final int EMSGSIZE = 90;
    /** Sender address of a GSO send on a connected channel: Netty needs one of recipient and sender; unused. */
    private static final InetSocketAddress CONNECTED = new InetSocketAddress(0);
    private static final int INITIAL_RUNS = 8;
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private final Channel channel;
    private final PeerTable peers;
    private final LossGenerator loss;
    private final UnsafeBuffer claimed = new UnsafeBuffer(0, 0);
    private final ChannelFutureListener onGsoSent = this::onGsoSent;
    private ByteBuf block;
    private int blockPosition;
    private int claimedAt;
    /** Closed, or the allocator's buffers have no address to write through: frames are copied from then on. */
    private boolean copyOnly;
    private int unflushedBytes;

    private boolean gso;
    /** Open run of each peer id, plus one; 0 for none. */
    private int[] runOfPeer = new int[INITIAL_RUNS];
    private int[] runPeer = new int[INITIAL_RUNS];
    private int[] runStart = new int[INITIAL_RUNS];
    private int[] runSegment = new int[INITIAL_RUNS];
    private int[] runCount = new int[INITIAL_RUNS];
    private int[] runBytes = new int[INITIAL_RUNS];
    private InetSocketAddress[] runAddress = new InetSocketAddress[INITIAL_RUNS];
    private int openRuns;

    private long messages;
    private long gsoSends;
    private long gsoSegments;
    private long gsoFallbacks;

    /** A GSO send's promise, so that a failure can say what was sent. */
    private static final class GsoSendPromise extends DefaultChannelPromise
    {
        final int segmentLength;
        final int segments;

        GsoSendPromise(final Channel channel, final int segmentLength, final int segments)
        {
            super(channel);
            this.segmentLength = segmentLength;
            this.segments = segments;
        }
    }

    /**
     * Creates a sender that uses GSO where the channel supports it ({@link UdpOffload#isGsoEnabled}).
     *
     * @param channel the datagram channel.
     * @param peers   peer table for an unconnected channel, or null for a channel connected to its one peer.
     * @param loss    test hook dropping sent datagrams.
     */
    public NettyFrameSender(final Channel channel, final PeerTable peers, final LossGenerator loss)
    {
        this(channel, peers, loss, UdpOffload.isGsoEnabled(channel));
    }

    /**
     * Creates a sender.
     *
     * @param channel the datagram channel.
     * @param peers   peer table for an unconnected channel, or null for a channel connected to its one peer.
     * @param loss    test hook dropping sent datagrams.
     * @param gso     whether to send runs of frames as {@link SegmentedDatagramPacket}s; only for a channel that
     *                takes them.
     */
    public NettyFrameSender(final Channel channel, final PeerTable peers, final LossGenerator loss, final boolean gso)
    {
        this.channel = channel;
        this.peers = peers;
        this.loss = loss;
        this.gso = gso;
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
                emitAll();
                copyOnly = true;
                return null;
            }
            // Runs are slices of the current block: send them before it goes.
            emitAll();
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
        if (isClaimed(buffer, offset))
        {
            final int start = takeClaimed(length);
            append(peer, address, start, length);
        }
        else
        {
            emitRunOf(peer);
            writeDatagram(copy(buffer, offset, length), address);
        }
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
        final boolean inPlace = isClaimed(buffer, offset);
        final int start = inPlace ? takeClaimed(length) : -1;
        final ByteBuf copy = inPlace ? null : copy(buffer, offset, length);
        try
        {
            for (int i = 0; i < peerCount; i++)
            {
                final int peer = peerIds[i];
                final InetSocketAddress address = peers.address(peer);
                if (address == null)
                {
                    result = NOT_CONNECTED;
                }
                else if (!loss.shouldDrop(buffer, offset, length))
                {
                    if (inPlace)
                    {
                        append(peer, address, start, length);
                    }
                    else
                    {
                        emitRunOf(peer);
                        writeDatagram(copy.retainedDuplicate(), address);
                    }
                    written(length);
                }
            }
        }
        finally
        {
            if (copy != null)
            {
                copy.release();
            }
        }
        return result;
    }

    /**
     * Sends the open runs and flushes the datagrams written since the last flush.
     */
    public void flush()
    {
        emitAll();
        if (unflushedBytes > 0)
        {
            unflushedBytes = 0;
            channel.flush();
        }
    }

    /**
     * Gives the current block back to the pool (once the channel has written its last frame from it); frames sent
     * later are copied, and runs not yet written are dropped. For the owner, on the event loop, when the channel
     * has closed.
     */
    public void close()
    {
        copyOnly = true;
        while (openRuns > 0)
        {
            removeRun(openRuns - 1);
        }
        releaseBlock();
    }

    /**
     * Whether runs of frames still go out as GSO sends.
     *
     * @return false if GSO was never on or was turned off after a failed send.
     */
    public boolean isGsoEnabled()
    {
        return gso;
    }

    /**
     * Messages written to the channel: plain datagrams plus GSO sends (each one {@code msghdr} of a sendmmsg).
     *
     * @return messages since creation.
     */
    public long messages()
    {
        return messages;
    }

    /**
     * GSO sends written to the channel (runs of two frames or more).
     *
     * @return sends since creation.
     */
    public long gsoSends()
    {
        return gsoSends;
    }

    /**
     * Frames that went out within GSO sends.
     *
     * @return frames since creation.
     */
    public long gsoSegments()
    {
        return gsoSegments;
    }

    /**
     * Times GSO was turned off after a failed send: 0 or 1.
     *
     * @return fallbacks.
     */
    public long gsoFallbacks()
    {
        return gsoFallbacks;
    }

    private boolean isClaimed(final DirectBuffer buffer, final int offset)
    {
        return buffer == claimed && offset == 0 && block != null;
    }

    /**
     * The claimed frame's offset in the block; the next claim starts right after it, so that consecutive frames
     * are contiguous (sending the same claimed frame again gives the same offset).
     */
    private int takeClaimed(final int length)
    {
        blockPosition = claimedAt + length;
        return claimedAt;
    }

    /**
     * Adds a frame of the block to its peer's run: extends the open run if the frame follows it and fits, else
     * sends that run and starts another (or, without GSO, writes the frame at once).
     */
    private void append(final int peer, final InetSocketAddress address, final int start, final int length)
    {
        int run = peer >= 0 && peer < runOfPeer.length ? runOfPeer[peer] - 1 : -1;
        if (run >= 0)
        {
            final int segment = runSegment[run];
            final int bytes = runBytes[run];
            if (start == runStart[run] + bytes && length <= segment && runCount[run] < MAX_GSO_SEGMENTS &&
                bytes + length <= MAX_GSO_BYTES)
            {
                runCount[run]++;
                runBytes[run] = bytes + length;
                if (length < segment || runCount[run] == MAX_GSO_SEGMENTS || bytes + length + segment > MAX_GSO_BYTES)
                {
                    emit(run);
                }
                return;
            }
            emit(run);
        }
        if (!gso || peer < 0)
        {
            writeDatagram(block.retainedSlice(start, length), address);
            return;
        }
        run = openRun(peer);
        runStart[run] = start;
        runSegment[run] = length;
        runCount[run] = 1;
        runBytes[run] = length;
        runAddress[run] = address;
    }

    private int openRun(final int peer)
    {
        if (peer >= runOfPeer.length)
        {
            runOfPeer = Arrays.copyOf(runOfPeer, Math.max(peer + 1, runOfPeer.length * 2));
        }
        if (openRuns == runPeer.length)
        {
            final int capacity = openRuns * 2;
            runPeer = Arrays.copyOf(runPeer, capacity);
            runStart = Arrays.copyOf(runStart, capacity);
            runSegment = Arrays.copyOf(runSegment, capacity);
            runCount = Arrays.copyOf(runCount, capacity);
            runBytes = Arrays.copyOf(runBytes, capacity);
            runAddress = Arrays.copyOf(runAddress, capacity);
        }
        final int run = openRuns++;
        runPeer[run] = peer;
        runOfPeer[peer] = run + 1;
        return run;
    }

    private void emitRunOf(final int peer)
    {
        if (peer >= 0 && peer < runOfPeer.length && runOfPeer[peer] != 0)
        {
            emit(runOfPeer[peer] - 1);
        }
    }

    private void emitAll()
    {
        while (openRuns > 0)
        {
            emit(openRuns - 1);
        }
    }

    /**
     * Writes a run: one slice of the block, as a GSO send if it holds more than one frame.
     */
    private void emit(final int run)
    {
        final int count = runCount[run];
        final InetSocketAddress address = runAddress[run];
        final ByteBuf slice = block.retainedSlice(runStart[run], runBytes[run]);
        if (count == 1)
        {
            writeDatagram(slice, address);
        }
        else
        {
            final int segment = runSegment[run];
            // Connected: no recipient, so the kernel sends to the connected peer (also after a reconnect).
            final SegmentedDatagramPacket packet = address == null ?
                new SegmentedDatagramPacket(slice, segment, null, CONNECTED) :
                new SegmentedDatagramPacket(slice, segment, address);
            channel.write(packet, new GsoSendPromise(channel, segment, count).addListener(onGsoSent));
            messages++;
            gsoSends++;
            gsoSegments += count;
        }
        removeRun(run);
    }

    private void removeRun(final int run)
    {
        runOfPeer[runPeer[run]] = 0;
        final int last = --openRuns;
        if (run != last)
        {
            runPeer[run] = runPeer[last];
            runStart[run] = runStart[last];
            runSegment[run] = runSegment[last];
            runCount[run] = runCount[last];
            runBytes[run] = runBytes[last];
            runAddress[run] = runAddress[last];
            runOfPeer[runPeer[run]] = run + 1;
        }
        runAddress[last] = null;
    }

    private void writeDatagram(final ByteBuf buf, final InetSocketAddress address)
    {
        channel.write(address == null ? buf : new DatagramPacket(buf, address), channel.voidPromise());
        messages++;
    }

    private void onGsoSent(final ChannelFuture future)
    {
        final Throwable cause = future.cause();
        if (gso && cause instanceof Errors.NativeIoException)
        {
            final int error = -((Errors.NativeIoException)cause).expectedErr();
            if (error == EIO || error == EINVAL || error == EMSGSIZE)
            {
                gso = false;
                gsoFallbacks++;
                final GsoSendPromise send = (GsoSendPromise)future;
                // Once per process at WARNING: every socket on the same route would say the same.
                final System.Logger.Level level = FALLBACK_LOGGED.compareAndSet(false, true) ?
                    System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
                LOGGER.log(level, "UDP GSO send of " + send.segments + " datagrams of " + send.segmentLength +
                    " bytes on " + channel + " failed (" + cause.getMessage() + "): this socket sends plain " +
                    "datagrams from now on (the lost datagrams are retransmitted). Datagrams larger than the " +
                    "route's MTU, or a device without UDP checksum offload, cause this; -D" +
                    UdpOffload.GSO_PROP_NAME + "=false skips GSO from the start");
            }
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
