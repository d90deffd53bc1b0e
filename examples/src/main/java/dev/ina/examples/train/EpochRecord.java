package dev.ina.examples.train;

import java.util.List;
import java.util.Locale;

/**
 * What one rank (or, combined, all ranks) measured in one epoch. Sums are over the epoch's steps.
 *
 * @param epoch           from 1.
 * @param testAccuracy    test accuracy after the epoch, NaN if this rank did not evaluate.
 * @param trainLoss       mean cross-entropy of the epoch's training batches.
 * @param epochNs         wall time of the epoch's steps (evaluation excluded).
 * @param steps           optimiser steps (all-reduce calls).
 * @param allReduceNs     time inside all-reduce calls.
 * @param bytesUp         UDP payload bytes sent.
 * @param bytesDown       UDP payload bytes received.
 * @param elementsPartial elements whose sum missed a rank (BOUNDED mode).
 * @param elementsFilled  elements this rank filled from its own contribution (result lost, BOUNDED mode).
 * @param retransmits     datagrams sent again.
 * @param minContributors fewest ranks in any chunk's sum.
 * @param checksum        hash of the parameters after the epoch: equal on every rank when they agree.
 */
record EpochRecord(
    int epoch,
    double testAccuracy,
    double trainLoss,
    long epochNs,
    int steps,
    long allReduceNs,
    long bytesUp,
    long bytesDown,
    long elementsPartial,
    long elementsFilled,
    long retransmits,
    int minContributors,
    long checksum)
{
    /** Header of {@link #toCsv()}. */
    static final String CSV_HEADER = "epoch,test_accuracy,train_loss,epoch_ns,steps,all_reduce_ns,bytes_up," +
        "bytes_down,elements_partial,elements_filled,retransmits,min_contributors,checksum";

    /**
     * One CSV line, without a line end.
     *
     * @return the line.
     */
    String toCsv()
    {
        return String.format(Locale.ROOT, "%d,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", epoch, testAccuracy, trainLoss,
            epochNs, steps, allReduceNs, bytesUp, bytesDown, elementsPartial, elementsFilled, retransmits,
            minContributors, checksum);
    }

    /**
     * Parses a line written by {@link #toCsv()}.
     *
     * @param line the line.
     * @return the record.
     */
    static EpochRecord fromCsv(final String line)
    {
        final String[] f = line.trim().split(",");
        if (f.length != 13)
        {
            throw new IllegalArgumentException("expected 13 fields: " + line);
        }
        return new EpochRecord(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
            Long.parseLong(f[3]), Integer.parseInt(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]),
            Long.parseLong(f[7]), Long.parseLong(f[8]), Long.parseLong(f[9]), Long.parseLong(f[10]),
            Integer.parseInt(f[11]), Long.parseLong(f[12]));
    }

    /**
     * Combines the ranks' records of one epoch: the evaluating rank's accuracy, the mean loss, the slowest rank's
     * time, per-rank mean traffic and retransmits, partial and filled elements summed over ranks, the fewest
     * contributors, and rank 0's checksum.
     *
     * @param ranks one record per rank, rank 0 first.
     * @return the combined record.
     */
    static EpochRecord combine(final List<EpochRecord> ranks)
    {
        final int n = ranks.size();
        double accuracy = Double.NaN;
        double loss = 0;
        long epochNs = 0;
        long allReduceNs = 0;
        long up = 0;
        long down = 0;
        long partial = 0;
        long filled = 0;
        long retransmits = 0;
        int minContributors = Integer.MAX_VALUE;
        for (final EpochRecord r : ranks)
        {
            if (Double.isNaN(accuracy))
            {
                accuracy = r.testAccuracy();
            }
            loss += r.trainLoss() / n;
            epochNs = Math.max(epochNs, r.epochNs());
            allReduceNs += r.allReduceNs();
            up += r.bytesUp();
            down += r.bytesDown();
            partial += r.elementsPartial();
            filled += r.elementsFilled();
            retransmits += r.retransmits();
            minContributors = Math.min(minContributors, r.minContributors());
        }
        final EpochRecord first = ranks.get(0);
        return new EpochRecord(first.epoch(), accuracy, loss, epochNs, first.steps(), allReduceNs / n, up / n,
            down / n, partial, filled, Math.round(retransmits / (double)n), minContributors, first.checksum());
    }
}
