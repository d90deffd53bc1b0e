package dev.ina.djl.example;

import java.util.List;
import java.util.Locale;

/**
 * The ranks' reports combined: time per step of the slowest rank, the other figures as means over ranks.
 *
 * @param reports the ranks' reports, in rank order.
 */
record Summary(List<RankReport> reports)
{
    static Summary of(final List<RankReport> reports)
    {
        return new Summary(List.copyOf(reports));
    }

    boolean ranksIdentical()
    {
        return reports.stream().mapToLong(RankReport::parameterHash).distinct().count() == 1;
    }

    double stepMs()
    {
        return reports.stream().mapToDouble(r -> 1e3 * r.trainSeconds() / r.steps()).max().orElse(Double.NaN);
    }

    double allReduceMs()
    {
        return reports.stream().mapToDouble(r -> 1e3 * r.allReduceSeconds() / r.steps()).average()
            .orElse(Double.NaN);
    }

    double bytesUpPerStep()
    {
        return reports.stream().mapToDouble(r -> (double)r.bytesUp() / r.steps()).average().orElse(Double.NaN);
    }

    double bytesDownPerStep()
    {
        return reports.stream().mapToDouble(r -> (double)r.bytesDown() / r.steps()).average().orElse(Double.NaN);
    }

    double retransmitsPerStep()
    {
        return reports.stream().mapToDouble(r -> (double)r.retransmits() / r.steps()).average().orElse(Double.NaN);
    }

    double[] accuracies()
    {
        return reports.get(0).testAccuracy();
    }

    double finalAccuracy()
    {
        final double[] accuracies = accuracies();
        return accuracies[accuracies.length - 1];
    }

    double finalLoss()
    {
        return reports.stream().mapToDouble(r -> r.trainLoss()[r.trainLoss().length - 1]).average()
            .orElse(Double.NaN);
    }

    String describe(final TrainOptions options)
    {
        final RankReport first = reports.get(0);
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "Fashion-MNIST, %d worker processes, MLP 784-%d-10 (%d parameters), " +
            "%d epochs, batch %d per rank, SGD lr %s momentum %s%n", reports.size(), options.hidden(),
            first.gradientElements(), options.epochs(), options.batch(), options.learningRate(), options.momentum()));
        text.append(String.format(Locale.ROOT, "%s (%s %s): test accuracy %.2f %%, train loss %.4f%n",
            options.label(), options.codec(), options.mode(), 100 * finalAccuracy(), finalLoss()));
        text.append(String.format(Locale.ROOT, "time per step %.2f ms (slowest rank), all-reduce %.2f ms per step " +
            "(%s), %.1f KiB up + %.1f KiB down per step per rank, %.2f retransmits per step%n", stepMs(),
            allReduceMs(), first.zeroCopy() ? "in place" : "copied", bytesUpPerStep() / 1024,
            bytesDownPerStep() / 1024, retransmitsPerStep()));
        text.append("ranks bit-identical: ").append(ranksIdentical() ? "yes" : "no").append(" (parameter CRC-32");
        reports.forEach(r -> text.append(' ').append(Long.toHexString(r.parameterHash())));
        text.append(")\n");
        return text.toString();
    }

    String csvRow(final TrainOptions options)
    {
        final StringBuilder perEpoch = new StringBuilder();
        for (final double accuracy : accuracies())
        {
            perEpoch.append(perEpoch.length() == 0 ? "" : ";").append(String.format(Locale.ROOT, "%.4f", accuracy));
        }
        return String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%d,%d,%.3f,%.3f,%.0f,%.0f,%.3f,%.4f,%.4f,%s,%s",
            options.label(), options.codec(), options.mode(), reports.size(), options.epochs(), options.batch(),
            reports.get(0).steps(), stepMs(), allReduceMs(), bytesUpPerStep(), bytesDownPerStep(),
            retransmitsPerStep(), finalAccuracy(), finalLoss(), ranksIdentical() ? "yes" : "no", perEpoch);
    }
}
