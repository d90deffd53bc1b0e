package dev.ina.examples.train;

import java.util.List;
import java.util.Locale;

/**
 * Formats the comparison: a markdown table with one row per variant, and a CSV with one row per variant and epoch.
 */
final class Report
{
    private Report()
    {
    }

    /**
     * The markdown report: a heading line describing the run, the table, and one line per variant's setup.
     *
     * @param title   first line, e.g. data set and world size.
     * @param results one per variant; the row named FP32 (or else the first) is the reference for the deltas.
     * @return markdown text.
     */
    static String markdown(final String title, final List<VariantResult> results)
    {
        final VariantResult reference = reference(results);
        final StringBuilder out = new StringBuilder();
        out.append(title).append("\n\n");
        out.append("| variant | final test acc | Δ vs ").append(reference.variant().name())
            .append(" | final train loss | time/epoch | time/step | all-reduce/step | bytes up+down/step | " +
                "partial / filled elements per step | retransmits/step | ranks agree |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        final double referenceAccuracy = reference.last().testAccuracy();
        for (final VariantResult result : results)
        {
            final EpochRecord last = result.last();
            final double steps = last.steps();
            out.append(String.format(Locale.ROOT,
                "| %s | %.2f %% | %+.2f pp | %.4f | %.2f s | %.2f ms | %.2f ms | %s + %s | %s / %s | %.2f | %s |%n",
                result.variant().name(), 100 * last.testAccuracy(),
                100 * (last.testAccuracy() - referenceAccuracy), last.trainLoss(), mean(result, true) / 1e9,
                mean(result, true) / steps / 1e6, mean(result, false) / steps / 1e6,
                bytes(last.bytesUp() / steps), bytes(last.bytesDown() / steps),
                count(last.elementsPartial() / steps), count(last.elementsFilled() / steps),
                last.retransmits() / steps, result.ranksAgree() ? "yes" : "no"));
        }
        out.append('\n');
        for (final VariantResult result : results)
        {
            out.append("- ").append(result.variant().describe()).append('\n');
        }
        out.append(String.format(Locale.ROOT, "%nTimes are the mean over epochs (the slowest rank's), the other " +
            "columns the last epoch's; %d gradient elements per step; bytes are UDP payload per rank; partial " +
            "and filled elements are summed over ranks.%n", reference.parameterCount()));
        return out.toString();
    }

    /**
     * Per-epoch CSV: {@code variant,} followed by {@link EpochRecord#CSV_HEADER}.
     *
     * @param results one per variant.
     * @return CSV text with a header line.
     */
    static String csv(final List<VariantResult> results)
    {
        final StringBuilder out = new StringBuilder("variant,").append(EpochRecord.CSV_HEADER).append('\n');
        for (final VariantResult result : results)
        {
            for (final EpochRecord record : result.epochs())
            {
                out.append(result.variant().name()).append(',').append(record.toCsv()).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * The row named FP32, or else the first.
     *
     * @param results results.
     * @return the reference.
     */
    static VariantResult reference(final List<VariantResult> results)
    {
        for (final VariantResult result : results)
        {
            if ("FP32".equals(result.variant().name()))
            {
                return result;
            }
        }
        return results.get(0);
    }

    private static double mean(final VariantResult result, final boolean epochTime)
    {
        double sum = 0;
        for (final EpochRecord record : result.epochs())
        {
            sum += epochTime ? record.epochNs() : record.allReduceNs();
        }
        return sum / result.epochs().size();
    }

    private static String bytes(final double bytes)
    {
        if (bytes >= 1024 * 1024)
        {
            return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024 * 1024));
        }
        return bytes >= 1024 ? String.format(Locale.ROOT, "%.1f KiB", bytes / 1024) :
            String.format(Locale.ROOT, "%.0f B", bytes);
    }

    private static String count(final double elements)
    {
        return elements == 0 ? "0" : String.format(Locale.ROOT, "%.1f", elements);
    }
}
