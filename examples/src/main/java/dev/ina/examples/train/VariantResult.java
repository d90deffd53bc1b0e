package dev.ina.examples.train;

import java.util.ArrayList;
import java.util.List;

/**
 * A variant's run, all ranks combined.
 *
 * @param variant        the variant.
 * @param epochs         one combined record per epoch (see {@link EpochRecord#combine(List)}).
 * @param ranksAgree     whether every rank ended every epoch with bit-identical parameters.
 * @param parameterCount gradient elements per step.
 */
record VariantResult(Variant variant, List<EpochRecord> epochs, boolean ranksAgree, int parameterCount)
{
    /**
     * Combines the ranks' records.
     *
     * @param variant        the variant.
     * @param perRank        each rank's records, rank 0 first, the same epochs on every rank.
     * @param parameterCount gradient elements per step.
     * @return the result.
     * @throws IllegalArgumentException if the ranks recorded different numbers of epochs.
     */
    static VariantResult combine(final Variant variant, final List<List<EpochRecord>> perRank, final int parameterCount)
    {
        final int epochs = perRank.get(0).size();
        final List<EpochRecord> combined = new ArrayList<>();
        boolean agree = true;
        for (int e = 0; e < epochs; e++)
        {
            final List<EpochRecord> ranks = new ArrayList<>();
            for (final List<EpochRecord> records : perRank)
            {
                if (records.size() != epochs)
                {
                    throw new IllegalArgumentException("ranks recorded " + records.size() + " and " + epochs +
                        " epochs");
                }
                ranks.add(records.get(e));
                agree &= records.get(e).checksum() == ranks.get(0).checksum();
            }
            combined.add(EpochRecord.combine(ranks));
        }
        return new VariantResult(variant, List.copyOf(combined), agree, parameterCount);
    }

    /**
     * The last epoch's record.
     *
     * @return record.
     */
    EpochRecord last()
    {
        return epochs.get(epochs.size() - 1);
    }
}
