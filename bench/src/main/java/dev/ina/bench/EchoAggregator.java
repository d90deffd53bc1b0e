package dev.ina.bench;

import dev.ina.api.Mode;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.transport.FrameHandler;
import dev.ina.transport.FrameSender;
import dev.ina.worker.WorkerSession;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * A stand-in aggregator for one worker: the worker's {@link FrameSender}. It notes each CONTRIB it is sent and,
 * when {@link #deliver} is called, answers each with a RESULT whose payload was built once in setup (the same sum
 * for every chunk) and whose header echoes the contribution's sequence, slot, shadow flag, round and count, with
 * the job's world size as contributors and the contribution's own exponent proposal as the agreed one. Answers are
 * delivered outside {@code send}, as a transport would, so the session is never re-entered. Allocation-free after
 * construction.
 */
final class EchoAggregator implements FrameSender
{
    /** Session token the stand-in gives the worker. */
    static final int TOKEN = 0x5EED;

    private final byte codecId;
    private final int jobId;
    private final int worldSize;
    private final int window;
    private final int elementsPerPacket;
    private final UnsafeBuffer result = Fixtures.directBuffer(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
    private final HeaderFlyweight header = new HeaderFlyweight();
    private final ControlFlyweight control = new ControlFlyweight();
    private final int mask;
    private final int[] sequences;
    private final byte[] flags;
    private final int[] rounds;
    private final int[] counts;
    private final byte[] nextExponents;
    private int head;
    private int tail;
    private int joinNonce;
    private int resultExponent;
    private int resultPayloadLength;
    private long contributionBytes;

    /**
     * Creates the stand-in for one job.
     *
     * @param codecId           codec id of the job.
     * @param jobId             job id.
     * @param worldSize         ranks, written as every result's contributors.
     * @param window            the job's window; at most this many contributions are outstanding.
     * @param elementsPerPacket elements per chunk.
     */
    EchoAggregator(final byte codecId, final int jobId, final int worldSize, final int window,
        final int elementsPerPacket)
    {
        this.codecId = codecId;
        this.jobId = jobId;
        this.worldSize = worldSize;
        this.window = window;
        this.elementsPerPacket = elementsPerPacket;
        final int capacity = 2 * window;
        mask = capacity - 1;
        sequences = new int[capacity];
        flags = new byte[capacity];
        rounds = new int[capacity];
        counts = new int[capacity];
        nextExponents = new byte[capacity];
    }

    /**
     * Where the result payload goes: {@link FrameDescriptor#HEADER_LENGTH} into this buffer.
     *
     * @return the result frame buffer, to write the payload into in setup.
     */
    UnsafeBuffer resultFrame()
    {
        return result;
    }

    /**
     * Sets what every data chunk's RESULT carries.
     *
     * @param exponent      exponent the payload was summed with.
     * @param payloadLength length of the payload written at {@link FrameDescriptor#HEADER_LENGTH} of
     *                      {@link #resultFrame()}.
     */
    void resultPayload(final int exponent, final int payloadLength)
    {
        resultExponent = exponent;
        resultPayloadLength = payloadLength;
    }

    @Override
    public int send(final DirectBuffer buffer, final int offset, final int length, final int peer)
    {
        final byte type = buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET);
        if (type == FrameDescriptor.TYPE_CONTRIB)
        {
            if (head - tail > mask)
            {
                throw new IllegalStateException("more than " + (mask + 1) + " contributions outstanding");
            }
            final int i = head++ & mask;
            sequences[i] = buffer.getInt(offset + FrameDescriptor.SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
            flags[i] = buffer.getByte(offset + FrameDescriptor.FLAGS_OFFSET);
            rounds[i] = buffer.getInt(offset + FrameDescriptor.ROUND_OFFSET, ByteOrder.LITTLE_ENDIAN);
            counts[i] = buffer.getShort(offset + FrameDescriptor.COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            nextExponents[i] = buffer.getByte(offset + FrameDescriptor.NEXT_EXPONENT_OFFSET);
            contributionBytes += length;
        }
        else if (type == FrameDescriptor.TYPE_JOIN)
        {
            joinNonce = buffer.getInt(offset + FrameDescriptor.ROUND_OFFSET, ByteOrder.LITTLE_ENDIAN);
        }
        return OK;
    }

    /**
     * Answers the last JOIN with a JOIN_ACK. Setup only.
     *
     * @param worker the session to answer.
     * @param rank   the session's rank.
     * @param nowNs  time to pass.
     */
    void acceptJoin(final FrameHandler worker, final int rank, final long nowNs)
    {
        control.wrap(result, 0, ControlFlyweight.JOIN_LENGTH)
            .writeHeader(FrameDescriptor.TYPE_JOIN_ACK, codecId)
            .jobId(jobId)
            .sessionToken(TOKEN)
            .rank(rank)
            .round(joinNonce)
            .sequence(0);
        control.worldSize(worldSize).window(window).elementsPerPacket(elementsPerPacket).mode(Mode.EXACT.id());
        worker.onFrame(result, 0, ControlFlyweight.JOIN_LENGTH, WorkerSession.AGGREGATOR_PEER, nowNs);
    }

    /**
     * Delivers a RESULT for every outstanding contribution, including those the worker sends in response, until
     * none is outstanding.
     *
     * @param worker  the session.
     * @param nowNs   time of the first delivery.
     * @param stepNs  time that passes per delivery.
     * @return results delivered.
     */
    int deliver(final FrameHandler worker, final long nowNs, final long stepNs)
    {
        int delivered = 0;
        long now = nowNs;
        while (tail != head)
        {
            final int i = tail++ & mask;
            final int count = counts[i];
            header.wrap(result, 0, result.capacity())
                .writeHeader(FrameDescriptor.TYPE_RESULT, codecId)
                .flags(flags[i] & (FrameDescriptor.FLAG_SHADOW_SET | FrameDescriptor.FLAG_LAST))
                .jobId(jobId)
                .sessionToken(TOKEN)
                .slot(sequences[i] & (window - 1))
                .round(rounds[i])
                .sequence(sequences[i])
                .count(count)
                .exponent(resultExponent)
                .nextExponent(nextExponents[i])
                .contributors(worldSize);
            now += stepNs;
            final int length = FrameDescriptor.HEADER_LENGTH + (count == 0 ? 0 : resultPayloadLength);
            worker.onFrame(result, 0, length, WorkerSession.AGGREGATOR_PEER, now);
            delivered++;
        }
        return delivered;
    }

    /**
     * Bytes of CONTRIB frames received so far.
     *
     * @return bytes, headers included.
     */
    long contributionBytes()
    {
        return contributionBytes;
    }
}
