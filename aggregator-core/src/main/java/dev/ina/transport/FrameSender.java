package dev.ina.transport;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Sends frames to peers; implemented by the transport, called by the engines on their own thread.
 * The frame is copied before the call returns, so the caller may reuse its buffer at once, unless it was written
 * in place into the buffer that {@link #claim()} returned (as Aeron's {@code tryClaim}), which the transport then
 * sends without a copy. Sends may be batched by the transport until its owner flushes them.
 */
public interface FrameSender
{
    /** Return code: the frame was queued for sending. */
    int OK = 0;
    /** Return code: the transport cannot take the frame now; it was not sent. */
    int BACK_PRESSURED = -1;
    /** Return code: the peer is unknown or the transport is closed; the frame was not sent. */
    int NOT_CONNECTED = -2;

    /**
     * Sends one frame to one peer.
     *
     * @param buffer holding the frame.
     * @param offset of the frame in the buffer.
     * @param length of the frame in bytes.
     * @param peer   peer id, as given to {@link FrameHandler#onFrame}.
     * @return {@link #OK}, {@link #BACK_PRESSURED} or {@link #NOT_CONNECTED}.
     */
    int send(DirectBuffer buffer, int offset, int length, int peer);

    /**
     * Memory to write the next frame into, so that sending it costs no copy: a frame written from index 0 of the
     * returned buffer and then passed to {@code send} with that same buffer and offset 0 goes out as it is. The
     * buffer holds at least {@link dev.ina.protocol.FrameDescriptor#MAX_UDP_PAYLOAD_LENGTH} bytes and is the
     * engine's until it sends from it or claims again; after a send its memory belongs to the transport, so the
     * engine claims again for the next frame. A claimed buffer that is never sent is simply reused.
     *
     * @return the buffer, or null when this transport has none: the engine writes into its own buffer and
     *         {@code send} copies it (the default).
     */
    default MutableDirectBuffer claim()
    {
        return null;
    }

    /**
     * Sends the same frame to several peers; the transport may copy it once and share the copy.
     *
     * @param buffer    holding the frame.
     * @param offset    of the frame in the buffer.
     * @param length    of the frame in bytes.
     * @param peers     peer ids.
     * @param peerCount number of peers in {@code peers} to send to.
     * @return {@link #OK} if every send was queued, otherwise the first failure code.
     */
    default int send(final DirectBuffer buffer, final int offset, final int length, final int[] peers,
        final int peerCount)
    {
        int result = OK;
        for (int i = 0; i < peerCount; i++)
        {
            final int r = send(buffer, offset, length, peers[i]);
            if (r != OK && result == OK)
            {
                result = r;
            }
        }
        return result;
    }
}
