package dev.ina.spark.example;

import java.util.List;
import java.util.Locale;

/**
 * The comparison as a Markdown table.
 */
final class Report
{
    private Report()
    {
    }

    static String markdown(
        final LrOptions options, final int trainRows, final int testRows, final List<Outcome> outcomes,
        final List<Double> accuracies)
    {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Fashion-MNIST (%d train, %d test), %d partitions, master %s, " +
            "%d L-BFGS iterations, no regularisation, JDK %s%n%n", trainRows, testRows, options.partitions,
            options.master, options.iterations, Runtime.version().feature()));
        out.append("| method | iterations | passes over data | training time | time/iteration | " +
            "in gradient passes/iteration | of it computing | all-reduce/iteration | final train loss | " +
            "test accuracy | ranks agree |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (int i = 0; i < outcomes.size(); i++)
        {
            final Outcome o = outcomes.get(i);
            final int iterations = Math.max(1, o.iterations());
            out.append(String.format(Locale.ROOT,
                "| %s | %d | %d | %.2f s | %.1f ms | %.1f ms | %.1f ms | %s | %.4f | %.2f %% | %s |%n",
                o.method(), o.iterations(), o.evaluations(), o.trainNs() / 1e9, o.trainNs() / 1e6 / iterations,
                o.loopNs() / 1e6 / iterations, o.computeNs() / 1e6 / iterations,
                o.allReduceNs() > 0 ? String.format(Locale.ROOT, "%.2f ms", o.allReduceNs() / 1e6 / iterations) :
                    "n/a",
                o.finalLoss(), 100 * accuracies.get(i), o.ranksAgree() ? "yes" : "no"));
        }
        out.append("\nTraining time is measured on the driver from job submission to result, so it includes Spark's " +
            "scheduling and, for INA, starting the aggregator, joining and standardising; time/iteration is that " +
            "divided by the iterations. In gradient passes: the time spent evaluating the loss and gradient over " +
            "the data and summing it (INA: the slowest rank's L-BFGS loop; MLlib: its treeAggregate jobs); of it " +
            "computing: INA rank 0's loop without its all-reduce calls, MLlib's longest task of each job (the rest " +
            "is Spark scheduling, task launch and result transfer). Notes: ");
        for (final Outcome o : outcomes)
        {
            out.append(o.method()).append(": ").append(o.note()).append("; ");
        }
        out.setLength(out.length() - 2);
        out.append(".\n");
        return out.toString();
    }
}
