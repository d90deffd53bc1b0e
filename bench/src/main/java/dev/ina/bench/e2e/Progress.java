package dev.ina.bench.e2e;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Rank 0's progress lines on stderr: one when a case starts (its number, size, codec, elapsed time and an
 * estimate of the time left) and one when it ends (its p50 and algbw). The estimate models a call as
 * {@code latency + bytes / bandwidth}, from the smallest latency and the latest bandwidth measured so far.
 */
final class Progress
{
    private static final double DEFAULT_LATENCY_NS = 1e6;
    private static final double DEFAULT_BYTES_PER_NS = 0.2;

    private final PrintStream out;
    private final CaseOptions options;
    private final BenchPlan plan;
    private final long startNs;
    private double latencyNs = DEFAULT_LATENCY_NS;
    private double bytesPerNs = DEFAULT_BYTES_PER_NS;
    private boolean measured;

    /**
     * Creates the printer.
     *
     * @param out     where to print, usually stderr.
     * @param options the case options (iterations, limits).
     * @param plan    the plan.
     * @param startNs when the benchmark started, {@link System#nanoTime()}.
     */
    Progress(final PrintStream out, final CaseOptions options, final BenchPlan plan, final long startNs)
    {
        this.out = out;
        this.options = options;
        this.plan = plan;
        this.startNs = startNs;
    }

    /**
     * Prints the start of a case.
     *
     * @param caseNumber from 1.
     * @param group      the case's group.
     * @param bytes      the case's size.
     */
    void caseStarted(final int caseNumber, final BenchPlan.Group group, final long bytes)
    {
        long etaNs = 0;
        final int sizes = plan.sizes().size();
        for (int c = caseNumber - 1; c < plan.caseCount(); c++)
        {
            etaNs += estimateNs(plan.sizes().get(c % sizes));
            // Groups not started yet begin with their warm-up.
            etaNs += c > caseNumber - 1 && c % sizes == 0 ? options.groupWarmupSeconds * 1e9 : 0;
        }
        out.printf(Locale.ROOT, "[ina-bench] case %d/%d: %s %s %s, %d elements/packet, window %d, %d workers | " +
            "elapsed %s, ETA %s%n", caseNumber, plan.caseCount(), group.codec(), group.mode(),
            ByteSizes.format(bytes), group.elementsPerPacket(), options.window, plan.worldSize(),
            duration(System.nanoTime() - startNs), duration(etaNs));
        out.flush();
    }

    /**
     * Prints the end of a case and updates the model.
     *
     * @param result the case's row, or null if nothing was measured.
     */
    void caseDone(final CaseResult result)
    {
        if (result == null)
        {
            return;
        }
        final double p50Ns = result.p50Ms() * 1e6;
        latencyNs = measured ? Math.min(latencyNs, p50Ns) : p50Ns;
        if (p50Ns > 2 * latencyNs)
        {
            bytesPerNs = result.bytes() / (p50Ns - latencyNs);
        }
        measured = true;
        out.printf(Locale.ROOT, "[ina-bench]   p50 %.3f ms, p99 %.3f ms, algbw %.3f GB/s, busbw %.3f GB/s, " +
            "%d iterations, retransmits/call %.1f%n", result.p50Ms(), result.p99Ms(), result.algbwGBps(),
            result.busbwGBps(), result.iterations(), result.retransmits());
        out.flush();
    }

    /**
     * Prints a message.
     *
     * @param message text.
     */
    void message(final String message)
    {
        out.println("[ina-bench] " + message);
        out.flush();
    }

    private double estimateNs(final long bytes)
    {
        // A call plus its barrier.
        final double callNs = 2 * latencyNs + bytes / bytesPerNs;
        final double measuredCalls = options.iterations != null ? options.iterations :
            Math.max(CaseOptions.ADAPTIVE_MIN_ITERATIONS,
                Math.min(CaseOptions.ADAPTIVE_MAX_ITERATIONS, options.secondsPerCase * 1e9 / callNs));
        return Math.min(options.caseLimitSeconds * 1e9, (options.warmup + measuredCalls) * callNs);
    }

    /**
     * Formats a duration as {@code m:ss} or {@code h:mm:ss}.
     *
     * @param ns nanoseconds.
     * @return text.
     */
    static String duration(final double ns)
    {
        final long s = TimeUnit.NANOSECONDS.toSeconds((long)ns);
        return s >= 3600 ?
            String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) :
            String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
