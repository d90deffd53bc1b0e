package dev.ina.sim;

import org.agrona.DirectBuffer;

/**
 * Hook of a {@link SimulatedNetwork} consulted for every frame an engine sends, before the link's random faults:
 * tests use it to observe traffic or to script drops (a silent aggregator, a partitioned rank). Called on the
 * test's thread; the buffer is valid only during the call.
 */
@FunctionalInterface
public interface FrameFilter
{
    /** Lets every frame through. */
    FrameFilter NONE = (from, to, buffer, offset, length, nowNs) -> false;

    /**
     * Whether to drop a frame.
     *
     * @param fromNode sender: {@link SimulatedNetwork#AGGREGATOR_NODE} or a worker's {@code rank + 1}.
     * @param toNode   destination, numbered the same way.
     * @param buffer   holding the frame.
     * @param offset   of the frame in the buffer.
     * @param length   of the frame in bytes.
     * @param nowNs    simulated time of the send.
     * @return true to drop the frame.
     */
    boolean shouldDrop(int fromNode, int toNode, DirectBuffer buffer, int offset, int length, long nowNs);
}
