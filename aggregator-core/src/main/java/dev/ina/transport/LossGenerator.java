package dev.ina.transport;

/**
 * Decides whether a datagram is lost: a test hook that transports consult on every send and receive, so that
 * loss can be injected without touching the network. Called on the engine's thread.
 */
@FunctionalInterface
public interface LossGenerator
{
    /** Never drops. */
    LossGenerator NONE = (buffer, offset, length) -> false;

    /**
     * Whether to drop this datagram.
     *
     * @param buffer holding the datagram.
     * @param offset of the datagram.
     * @param length of the datagram in bytes.
     * @return true to drop it.
     */
    boolean shouldDrop(org.agrona.DirectBuffer buffer, int offset, int length);

    /**
     * A generator that drops each datagram independently with a probability, reproducibly from a seed.
     *
     * @param rate probability of a drop, 0 to 1.
     * @param seed random seed.
     * @return the generator; not thread safe.
     */
    static LossGenerator random(final double rate, final long seed)
    {
        if (rate < 0 || rate > 1)
        {
            throw new IllegalArgumentException("loss rate must be within [0, 1]: " + rate);
        }
        final java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        return (buffer, offset, length) -> random.nextDouble() < rate;
    }
}
