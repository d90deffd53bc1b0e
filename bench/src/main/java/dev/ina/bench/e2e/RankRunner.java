package dev.ina.bench.e2e;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One rank's run of the plan. Besides one collective per group (codec and mode) every rank joins a control job
 * (FP32, job id = base job id) that carries a 1-element barrier before every call and a 3-element exchange of
 * statistics after every case. Rank 0 alone decides, and sends as the barrier's value, whether the next call is
 * a warm-up, measured, or the case or the whole run is over; so ranks always agree on the number of calls, time
 * limits included, whether they run as threads or as processes.
 * <p>
 * Rank 0 times each call from after the barrier to its return and records it in an HdrHistogram that is reset
 * after the warm-up.
 */
final class RankRunner
{
    /** {@link #run()}: every case ran. */
    static final int COMPLETED = 0;
    /** {@link #run()}: stopped by {@code --max-seconds}. */
    static final int STOPPED = 3;

    private static final float WARMUP = 1;
    private static final float MEASURE = 2;
    private static final float DONE = 3;
    private static final float STOP = 4;
    private static final long HIGHEST_TRACKABLE_NS = TimeUnit.HOURS.toNanos(1);
    private static final int CONTROL_ELEMENTS_PER_PACKET = 16;

    private final CaseOptions options;
    private final BenchPlan plan;
    private final WorkerConfig base;
    private final int rank;
    private final int worldSize;
    private final CpuProbe rankCpu;
    private final CpuProbe callerCpu = CpuProbe.currentThread();
    private final CpuProbe aggregatorCpu;
    private final Consumer<CaseResult> results;
    private final String label;
    private final PrintStream cpuOut;
    private final Progress progress;
    private final long startNs;
    private final float[] flag = new float[1];
    private final float[] exchange = new float[3];
    private int reported;

    /** Per-case counters of this rank. */
    private static final class CaseState
    {
        final long startNs = System.nanoTime();
        double warmupSeconds;
        int warmups;
        int measured;
        boolean measuring;
        long measuredStartNs;
        long outsideCallsNs;
        long retransmits;
        long datagrams;
        Map<Long, Long> rankCpuBefore;
        Map<Long, Long> aggregatorCpuBefore;
    }

    /**
     * Creates a rank.
     *
     * @param options       case options, the same on every rank.
     * @param plan          the plan built from them.
     * @param base          this rank's worker configuration (aggregator, job id, rank, world size, timeouts); the
     *                      codec, window and elements per packet are set per group.
     * @param rankCpu       this rank's CPU: its process, or its threads (the calling thread included).
     * @param aggregatorCpu the aggregator's CPU, sampled by rank 0 ({@link CpuProbe#NONE} if unknown).
     * @param results       rank 0: receives each case's row; ignored on other ranks.
     * @param label         transport column.
     * @param cpuOut        where this rank prints a JSON line with its CPU per case, or null.
     * @param progressOut   rank 0: where progress lines go.
     * @param startNs       when the run started, for {@code --max-seconds}.
     */
    RankRunner(
        final CaseOptions options,
        final BenchPlan plan,
        final WorkerConfig base,
        final CpuProbe rankCpu,
        final CpuProbe aggregatorCpu,
        final Consumer<CaseResult> results,
        final String label,
        final PrintStream cpuOut,
        final PrintStream progressOut,
        final long startNs)
    {
        this.options = options;
        this.plan = plan;
        this.base = base;
        this.rank = base.rank();
        this.worldSize = base.worldSize();
        this.rankCpu = rankCpu;
        this.aggregatorCpu = aggregatorCpu;
        this.results = results;
        this.label = label;
        this.cpuOut = cpuOut;
        this.progress = rank == 0 ? new Progress(progressOut, options, plan, startNs) : null;
        this.startNs = startNs;
    }

    /**
     * Runs every case of the plan.
     *
     * @return {@link #COMPLETED} or {@link #STOPPED}.
     * @throws dev.ina.api.CollectiveException if a call fails (a rank or the aggregator is gone, a timeout).
     * @throws IllegalStateException           if a result is wrong.
     */
    int run()
    {
        final WorkerConfig controlConfig = base.toBuilder().codec(Codec.FP32).mode(Mode.EXACT).window(1)
            .elementsPerPacket(CONTROL_ELEMENTS_PER_PACKET).build();
        try (Collective control = Collective.join(controlConfig))
        {
            final float[] pattern = ReferenceData.pattern(plan.maxCount());
            final float[] data = new float[plan.maxCount()];
            int caseNumber = 0;
            for (final BenchPlan.Group group : plan.groups())
            {
                final WorkerConfig config =
                    options.configure(base.toBuilder().jobId(base.jobId() + 1 + group.index()), group).build();
                try (Collective collective = Collective.join(config))
                {
                    if (options.groupWarmupSeconds > 0 &&
                        !runCase(control, collective, group, plan.groupWarmupBytes(), 0, pattern, data))
                    {
                        return stopped();
                    }
                    for (final long bytes : plan.sizes())
                    {
                        caseNumber++;
                        if (!runCase(control, collective, group, bytes, caseNumber, pattern, data))
                        {
                            return stopped();
                        }
                    }
                }
            }
            return COMPLETED;
        }
    }

    private int stopped()
    {
        if (progress != null)
        {
            progress.message(String.format(Locale.ROOT, "STOPPED: --max-seconds %s reached after %s; %d of %d " +
                "cases reported (the last one may have fewer calls)", options.maxSeconds,
                Progress.duration(System.nanoTime() - startNs), reported, plan.caseCount()));
        }
        return STOPPED;
    }

    /**
     * Runs one case, or with {@code caseNumber} 0 the group's JIT warm-up (calls of {@code bytes} and of the
     * smallest size in turn for {@code --group-warmup-seconds}, nothing reported).
     *
     * @return false when rank 0 stopped the run.
     */
    private boolean runCase(
        final Collective control,
        final Collective collective,
        final BenchPlan.Group group,
        final long bytes,
        final int caseNumber,
        final float[] pattern,
        final float[] data)
    {
        int count = (int)(bytes / Float.BYTES);
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NS, 3);
        final CaseState state = new CaseState();
        state.warmupSeconds = options.warmupSeconds(group.index());
        final String where = "rank " + rank + ", " + group.codec() + " " + group.mode() + " " +
            ByteSizes.format(bytes);
        if (progress != null && caseNumber > 0)
        {
            progress.caseStarted(caseNumber, group, bytes);
        }
        else if (progress != null)
        {
            progress.message(String.format(Locale.ROOT, "warming up %s %s: %s s of %s and %s calls",
                group.codec(), group.mode(), state.warmupSeconds, ByteSizes.format(plan.minBytes()),
                ByteSizes.format(bytes)));
        }
        float decision;
        while (true)
        {
            if (caseNumber == 0)
            {
                // Group warm-up: alternate the smallest size and the warm-up size, to compile both paths.
                count = (int)((state.warmups % 2 == 0 ? bytes : plan.minBytes()) / Float.BYTES);
            }
            // Fill before the barrier, so that ranks start the call together.
            long cpu0 = callerCpuNs();
            ReferenceData.fill(data, count, pattern, rank);
            state.outsideCallsNs += state.measuring ? callerCpuNs() - cpu0 : 0;
            flag[0] = rank != 0 ? 0 : caseNumber > 0 ? decide(state) : decideGroupWarmup(state);
            control.allReduce(flag, ReduceOp.SUM);
            decision = flag[0];
            if (decision == DONE || decision == STOP)
            {
                break;
            }
            if (decision != WARMUP && decision != MEASURE)
            {
                throw new IllegalStateException("control barrier returned " + decision + " on rank " + rank);
            }
            if (decision == MEASURE && !state.measuring)
            {
                histogram.reset();
                state.measuring = true;
                state.rankCpuBefore = rankCpu.sample();
                state.aggregatorCpuBefore = rank == 0 ? aggregatorCpu.sample() : null;
                state.measuredStartNs = System.nanoTime();
            }
            final long t0 = System.nanoTime();
            final ReduceStats stats = collective.allReduce(data, 0, count, ReduceOp.SUM);
            final long elapsedNs = System.nanoTime() - t0;
            cpu0 = callerCpuNs();
            check(stats, data, count, group, where);
            state.outsideCallsNs += state.measuring ? callerCpuNs() - cpu0 : 0;
            histogram.recordValue(Math.min(elapsedNs, HIGHEST_TRACKABLE_NS));
            if (decision == MEASURE)
            {
                state.measured++;
                state.retransmits += stats.retransmits();
                state.datagrams += stats.packetsSent() + stats.chunks();
            }
            else
            {
                state.warmups++;
            }
        }
        if (caseNumber > 0)
        {
            report(control, group, bytes, caseNumber, histogram, state);
        }
        return decision != STOP;
    }

    /**
     * The group warm-up's calls: WARMUP for the first half, MEASURE (nothing is reported) for the second. C2 compiles
     * this loop with its callees inlined while it runs; a branch never taken by then (the measuring ones) is compiled
     * as a trap, and taking it later throws the loop back into the interpreter, drive loop and all, until C2 has
     * compiled it again. With busy-polling processes on every core that took the first case of a run 100 calls at
     * 4 to 8 ms instead of 0.2 ms, whatever the warm-up's length.
     */
    private float decideGroupWarmup(final CaseState state)
    {
        final long nowNs = System.nanoTime();
        if (nowNs - startNs > options.maxSeconds * 1e9)
        {
            return STOP;
        }
        final double elapsedNs = nowNs - state.startNs;
        final double warmupNs = state.warmupSeconds * 1e9;
        return elapsedNs < warmupNs / 2 ? WARMUP : elapsedNs < warmupNs ? MEASURE : DONE;
    }

    private float decide(final CaseState state)
    {
        final long nowNs = System.nanoTime();
        if (nowNs - startNs > options.maxSeconds * 1e9)
        {
            return STOP;
        }
        final boolean overLimit = nowNs - state.startNs >= options.caseLimitSeconds * 1e9;
        if (state.measured == 0)
        {
            return state.warmups < options.warmup && !overLimit ? WARMUP : MEASURE;
        }
        if (overLimit)
        {
            return DONE;
        }
        if (options.iterations != null)
        {
            return state.measured >= options.iterations ? DONE : MEASURE;
        }
        final boolean enough = state.measured >= CaseOptions.ADAPTIVE_MAX_ITERATIONS ||
            state.measured >= CaseOptions.ADAPTIVE_MIN_ITERATIONS &&
            nowNs - state.measuredStartNs >= options.secondsPerCase * 1e9;
        return enough ? DONE : MEASURE;
    }

    private void check(
        final ReduceStats stats, final float[] data, final int count, final BenchPlan.Group group, final String where)
    {
        if (stats.isComplete(worldSize))
        {
            ReferenceData.check(data, count, worldSize, group.codec(), where);
        }
        else if (group.mode() == Mode.EXACT)
        {
            throw new IllegalStateException("WRONG RESULT " + where + ": EXACT call returned a sum of only " +
                stats.minContributors() + " of " + worldSize + " ranks");
        }
    }

    private long callerCpuNs()
    {
        final Map<Long, Long> sample = callerCpu.sample();
        return sample == null ? 0 : sample.values().iterator().next();
    }

    private void report(
        final Collective control,
        final BenchPlan.Group group,
        final long bytes,
        final int caseNumber,
        final Histogram histogram,
        final CaseState state)
    {
        final int n = Math.max(1, state.measured);
        final long rankCpuNs = CpuProbe.deltaNs(state.rankCpuBefore, rankCpu.sample());
        final long aggregatorCpuNs = rank == 0 ?
            CpuProbe.deltaNs(state.aggregatorCpuBefore, aggregatorCpu.sample()) : -1;
        final double cpuPerCallS = rankCpuNs < 0 ? Double.NaN : (rankCpuNs - state.outsideCallsNs) / 1e9 / n;
        exchange[0] = (float)cpuPerCallS;
        exchange[1] = (float)state.retransmits / n;
        exchange[2] = (float)state.datagrams / n;
        control.allReduce(exchange, ReduceOp.SUM);
        if (cpuOut != null)
        {
            cpuOut.printf(Locale.ROOT, "{\"event\": \"case\", \"rank\": %d, \"case\": %d, \"codec\": \"%s\", " +
                "\"mode\": \"%s\", \"bytes\": %d, \"iterations\": %d, \"cpu_s_per_call\": %s}%n", rank, caseNumber,
                group.codec(), group.mode(), bytes, state.measured,
                Double.isNaN(cpuPerCallS) ? "null" : String.format(Locale.ROOT, "%.6f", cpuPerCallS));
            cpuOut.flush();
        }
        if (rank != 0)
        {
            return;
        }
        CaseResult result = null;
        if (state.measured > 0)
        {
            final double p50Ms = histogram.getValueAtPercentile(50) / 1e6;
            final double meanMs = histogram.getMean() / 1e6;
            final double algbw = bytes / (p50Ms / 1e3) / 1e9;
            result = new CaseResult("ina", label, worldSize, group.codec().name(), group.mode().name(), bytes,
                group.elementsPerPacket(), options.window, state.measured, p50Ms,
                histogram.getValueAtPercentile(99) / 1e6, meanMs, algbw, algbw * 2 * (worldSize - 1) / worldSize,
                exchange[2] / (meanMs / 1e3), aggregatorCpuNs < 0 ? Double.NaN : aggregatorCpuNs / 1e9 / n,
                exchange[0], exchange[1]);
            results.accept(result);
            reported++;
        }
        progress.caseDone(result);
    }
}
