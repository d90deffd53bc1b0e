package dev.ina.djl;

/**
 * What an {@link InaTrainer} has all-reduced since it was created: totals over its steps, per rank.
 *
 * @param steps                 steps taken (all-reduce calls made).
 * @param gradientElements      elements all-reduced per step (the trainable parameters' elements).
 * @param zeroCopy              whether gradients are all-reduced where they are (PyTorch on the CPU) rather than
 *                              copied out and back.
 * @param allReduceNs           nanoseconds spent synchronising gradients: gather, all-reduce and write back.
 * @param bytesUp               UDP payload bytes sent to the aggregator, retransmissions included.
 * @param bytesDown             UDP payload bytes of results received.
 * @param retransmits           datagrams sent again.
 * @param elementsPartial       elements whose sum lacked a rank (BOUNDED mode).
 * @param elementsFilledLocally elements this rank filled from its own gradient (BOUNDED mode).
 */
public record InaTrainerStats(
    long steps,
    int gradientElements,
    boolean zeroCopy,
    long allReduceNs,
    long bytesUp,
    long bytesDown,
    long retransmits,
    long elementsPartial,
    long elementsFilledLocally)
{
    /**
     * Mean gradient synchronisation time per step.
     *
     * @return nanoseconds, 0 before the first step.
     */
    public double allReduceNsPerStep()
    {
        return steps == 0 ? 0.0d : (double)allReduceNs / steps;
    }

    /**
     * Mean payload bytes per step, up plus down.
     *
     * @return bytes, 0 before the first step.
     */
    public double bytesPerStep()
    {
        return steps == 0 ? 0.0d : (double)(bytesUp + bytesDown) / steps;
    }
}
