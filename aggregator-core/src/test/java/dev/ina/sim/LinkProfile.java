package dev.ina.sim;

/**
 * Faults of one direction of a {@link SimulatedNetwork} link: independent per-frame probabilities of loss,
 * duplication and reordering. Immutable.
 * <p>
 * A reordered frame is held back by an extra random delay in {@code [1, reorderDelayNs]} nanoseconds, so frames
 * sent after it overtake it. A duplicated frame is delivered twice, each copy with its own delay.
 */
public final class LinkProfile
{
    /** No loss, no duplication, no reordering. */
    public static final LinkProfile PERFECT = new LinkProfile(0, 0, 0, 1);

    private final double lossRate;
    private final double duplicateRate;
    private final double reorderRate;
    private final long reorderDelayNs;

    private LinkProfile(
        final double lossRate, final double duplicateRate, final double reorderRate, final long reorderDelayNs)
    {
        checkRate(lossRate, "lossRate");
        checkRate(duplicateRate, "duplicateRate");
        checkRate(reorderRate, "reorderRate");
        if (reorderDelayNs < 1)
        {
            throw new IllegalArgumentException("reorderDelayNs must be at least 1, got " + reorderDelayNs);
        }
        this.lossRate = lossRate;
        this.duplicateRate = duplicateRate;
        this.reorderRate = reorderRate;
        this.reorderDelayNs = reorderDelayNs;
    }

    /**
     * A link with the given fault probabilities and a 50 microsecond reordering spread.
     *
     * @param lossRate      probability that a frame is lost, 0 to 1.
     * @param duplicateRate probability that a frame is delivered twice, 0 to 1.
     * @param reorderRate   probability that a frame is held back so that later frames overtake it, 0 to 1.
     * @return the profile.
     */
    public static LinkProfile of(final double lossRate, final double duplicateRate, final double reorderRate)
    {
        return new LinkProfile(lossRate, duplicateRate, reorderRate, 50_000L);
    }

    /**
     * A link that loses every frame.
     *
     * @return the profile.
     */
    public static LinkProfile dead()
    {
        return new LinkProfile(1, 0, 0, 1);
    }

    /**
     * A copy with another reordering spread.
     *
     * @param reorderDelayNs largest extra delay of a reordered frame, at least 1 nanosecond.
     * @return a new profile.
     */
    public LinkProfile withReorderDelayNs(final long reorderDelayNs)
    {
        return new LinkProfile(lossRate, duplicateRate, reorderRate, reorderDelayNs);
    }

    /**
     * Probability that a frame is lost.
     *
     * @return 0 to 1.
     */
    public double lossRate()
    {
        return lossRate;
    }

    /**
     * Probability that a frame is delivered twice.
     *
     * @return 0 to 1.
     */
    public double duplicateRate()
    {
        return duplicateRate;
    }

    /**
     * Probability that a frame is held back.
     *
     * @return 0 to 1.
     */
    public double reorderRate()
    {
        return reorderRate;
    }

    /**
     * Largest extra delay of a held-back frame.
     *
     * @return nanoseconds, at least 1.
     */
    public long reorderDelayNs()
    {
        return reorderDelayNs;
    }

    @Override
    public String toString()
    {
        return "LinkProfile{loss=" + lossRate + ", duplicate=" + duplicateRate + ", reorder=" + reorderRate +
            ", reorderDelayNs=" + reorderDelayNs + '}';
    }

    private static void checkRate(final double rate, final String name)
    {
        if (!(rate >= 0 && rate <= 1))
        {
            throw new IllegalArgumentException(name + " must be within [0, 1], got " + rate);
        }
    }
}
