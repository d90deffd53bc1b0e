package dev.ina.sim;

import dev.ina.protocol.ControlFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * A copy of one frame an engine sent, with the peer it was sent to. Immutable once captured.
 */
public final class CapturedFrame
{
    private final int peer;
    private final byte[] bytes;

    /**
     * Creates a captured frame.
     *
     * @param peer  peer id the frame was sent to.
     * @param bytes the frame; kept, not copied.
     */
    public CapturedFrame(final int peer, final byte[] bytes)
    {
        this.peer = peer;
        this.bytes = bytes;
    }

    /**
     * Peer id the frame was sent to.
     *
     * @return peer.
     */
    public int peer()
    {
        return peer;
    }

    /**
     * Length of the frame.
     *
     * @return bytes.
     */
    public int length()
    {
        return bytes.length;
    }

    /**
     * A fresh buffer over a copy of the frame, e.g. to replay it.
     *
     * @return a new buffer of {@link #length()} bytes.
     */
    public UnsafeBuffer buffer()
    {
        return new UnsafeBuffer(bytes.clone());
    }

    /**
     * A flyweight over a copy of the frame, to read header and control fields.
     *
     * @return a new flyweight.
     */
    public ControlFlyweight header()
    {
        final ControlFlyweight flyweight = new ControlFlyweight();
        flyweight.wrap(buffer(), 0, bytes.length);
        return flyweight;
    }

    /**
     * Frame type.
     *
     * @return the type byte.
     */
    public byte type()
    {
        return bytes[1];
    }

    /**
     * Payload as little-endian int32 values (FIXED32 sums).
     *
     * @return the payload's {@code count} values.
     */
    public int[] payloadInts()
    {
        final ControlFlyweight h = header();
        final int[] values = new int[h.count()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = h.buffer().getInt(h.payloadOffset() + i * Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
        }
        return values;
    }

    /**
     * Payload as little-endian float32 values (FP32 sums).
     *
     * @return the payload's {@code count} values.
     */
    public float[] payloadFloats()
    {
        final ControlFlyweight h = header();
        final float[] values = new float[h.count()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = h.buffer().getFloat(h.payloadOffset() + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
        }
        return values;
    }

    /**
     * Payload as signed bytes (INT8 and INT8_NARROW payloads).
     *
     * @return the payload's bytes, up to the end of the frame.
     */
    public byte[] payloadBytes()
    {
        final ControlFlyweight h = header();
        final byte[] values = new byte[bytes.length - h.payloadOffset()];
        h.buffer().getBytes(h.payloadOffset(), values);
        return values;
    }

    @Override
    public String toString()
    {
        final ControlFlyweight h = header();
        return dev.ina.protocol.FrameDescriptor.typeName(h.type()) + "{peer=" + peer + ", rank=" + h.rank() +
            ", round=" + h.round() + ", sequence=" + h.sequence() + ", count=" + h.count() +
            ", flags=" + h.flags() + ", length=" + bytes.length + '}';
    }
}
