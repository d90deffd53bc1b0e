package dev.ina.api;

/**
 * How long a chunk waits for ranks.
 */
public enum Mode
{
    /** Every chunk waits for every rank; lost packets are retransmitted; a dead rank fails the call. */
    EXACT(0),

    /**
     * A chunk finishes when every rank contributed, or when its deadline (from its first contribution) has passed
     * and at least the quorum contributed. Results say how many ranks they hold and are rescaled to the world size
     * (SUM) or averaged over the contributors (AVG). A straggler's late contribution is dropped and it catches up on
     * the results; a worker that gets no result after its retries fills the chunk from its own values; a dead rank
     * does not stop the others.
     */
    BOUNDED(1);

    private final int id;

    Mode(final int id)
    {
        this.id = id;
    }

    /**
     * Wire id, carried in JOIN.
     *
     * @return id.
     */
    public int id()
    {
        return id;
    }

    /**
     * Mode for a wire id.
     *
     * @param id wire id.
     * @return the mode, or null if unknown.
     */
    public static Mode fromId(final int id)
    {
        for (final Mode mode : values())
        {
            if (mode.id == id)
            {
                return mode;
            }
        }
        return null;
    }
}
