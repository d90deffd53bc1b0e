package dev.ina.worker;

/**
 * SwitchML's exponent agreement for the scaled codecs: every chunk {@code s} a rank sends carries its proposal
 * (the exponent of its own values) for chunk {@code s + H}, and the result of {@code s} carries the maximum over
 * the ranks, which every rank then quantises chunk {@code s + H} with. Entries are kept for {@code 2 * window}
 * sequences, valid where they were recorded for exactly that sequence. In bounded mode a rank that never gets the
 * agreement falls back to its own proposal. Single-threaded.
 */
final class ExponentAgreement
{
    private final int mask;
    private final int[] agreedFor;
    private final byte[] agreed;
    private final byte[] own;

    ExponentAgreement(final int window)
    {
        mask = 2 * window - 1;
        agreedFor = new int[2 * window];
        agreed = new byte[2 * window];
        own = new byte[2 * window];
    }

    /**
     * A call starts at {@code base}: nothing is agreed for it yet.
     */
    void reset(final int base)
    {
        for (int i = 0; i < agreedFor.length; i++)
        {
            agreedFor[i] = base - 1;
        }
    }

    boolean isAgreed(final int sequence)
    {
        return agreedFor[sequence & mask] == sequence;
    }

    /**
     * The agreed exponent of a sequence for which {@link #isAgreed} holds.
     */
    int agreed(final int sequence)
    {
        return agreed[sequence & mask];
    }

    /**
     * The maximum the aggregator returned for a sequence.
     */
    void agree(final int sequence, final int exponent)
    {
        agreedFor[sequence & mask] = sequence;
        agreed[sequence & mask] = (byte)exponent;
    }

    /**
     * This rank's own proposal for a sequence, its fallback.
     */
    void propose(final int sequence, final int exponent)
    {
        own[sequence & mask] = (byte)exponent;
    }

    /**
     * Bounded mode: the agreement's result never came; use this rank's own proposal.
     */
    void agreeOwn(final int sequence)
    {
        agree(sequence, own[sequence & mask]);
    }
}
