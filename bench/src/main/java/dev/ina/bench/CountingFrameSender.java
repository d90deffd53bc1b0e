package dev.ina.bench;

import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.FrameSender;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * A {@link FrameSender} that discards every frame and counts frames and bytes, standing in for the socket. It
 * remembers the session token of the last JOIN_ACK so that a benchmark can build frames for the job it joined.
 */
final class CountingFrameSender implements FrameSender
{
    private long frames;
    private long bytes;
    private int joinAckToken;

    @Override
    public int send(final DirectBuffer buffer, final int offset, final int length, final int peer)
    {
        frames++;
        bytes += length;
        if (length >= FrameDescriptor.HEADER_LENGTH &&
            buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET) == FrameDescriptor.TYPE_JOIN_ACK)
        {
            joinAckToken = buffer.getInt(offset + FrameDescriptor.SESSION_TOKEN_OFFSET, ByteOrder.LITTLE_ENDIAN);
        }
        return OK;
    }

    /**
     * Frames sent so far (a frame sent to several peers counts once per peer).
     *
     * @return frames.
     */
    long frames()
    {
        return frames;
    }

    /**
     * Bytes sent so far.
     *
     * @return bytes, headers included.
     */
    long bytes()
    {
        return bytes;
    }

    /**
     * Session token of the last JOIN_ACK sent.
     *
     * @return the token, 0 if none was sent.
     */
    int joinAckToken()
    {
        return joinAckToken;
    }
}
