package dev.ina.transport;

import org.agrona.MutableDirectBuffer;

/**
 * Receives frames from the transport. Implementations are single-threaded: the transport calls them from the
 * one thread that owns the engine and keeps no reference to the buffer after the call returns.
 */
public interface FrameHandler
{
    /**
     * Handles one received datagram. Must not throw on malformed input: drop it and count why.
     *
     * @param buffer holding the datagram, valid only during the call.
     * @param offset of the datagram in the buffer.
     * @param length of the datagram in bytes.
     * @param peer   id of the sender, stable for the same address.
     * @param nowNs  current time from the owner's nano clock.
     */
    void onFrame(MutableDirectBuffer buffer, int offset, int length, int peer, long nowNs);
}
