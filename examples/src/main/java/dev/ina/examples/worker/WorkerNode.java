package dev.ina.examples.worker;

import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;
import dev.ina.examples.common.SyntheticGradients;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * One rank as its own process: joins a job from {@code INA_AGGREGATOR}, {@code INA_JOB}, {@code INA_RANK},
 * {@code INA_WORLD_SIZE}, {@code INA_CODEC}, ... (or {@code -Dina.*}; options override both; rank, world size and
 * job may also come from mpirun, srun, torchrun or a Kubernetes indexed Job), all-reduces a synthetic tensor and
 * checks its result against a double-precision reference of every rank's values. The summary prints a hash of the
 * last result, the same on every rank for the exact codecs.
 * Exit code 0 when every sum was right, 1 for a wrong sum, 2 for a bad setting, 3 when a collective call failed.
 */
@Command(name = "ina-worker", mixinStandardHelpOptions = true, sortOptions = false,
    description = "All-reduces a synthetic tensor as one rank; options override INA_* environment variables.")
public final class WorkerNode implements Callable<Integer>
{
    @Option(names = "--aggregator", paramLabel = "HOST:PORT",
        description = "Aggregator address (default: INA_AGGREGATOR or 127.0.0.1:47100).")
    String aggregator;
    @Option(names = "--job", description = "Job id, the same on every rank (default: INA_JOB or 1).")
    Integer job;
    @Option(names = "--rank",
        description = "This rank, 0 to world size - 1 (default: INA_RANK or the launcher's, e.g. mpirun's).")
    Integer rank;
    @Option(names = "--world-size", description = "Number of ranks (default: INA_WORLD_SIZE or the launcher's).")
    Integer worldSize;
    @Option(names = "--codec", description = "One of ${COMPLETION-CANDIDATES} (default: INA_CODEC or FP32).")
    Codec codec;
    @Option(names = "--elements-per-packet",
        description = "Elements per datagram (default: INA_ELEMENTS_PER_PACKET or 256).")
    Integer elementsPerPacket;
    @Option(names = "--window", description = "Chunks in flight, a power of two (default: INA_WINDOW or 64).")
    Integer window;
    @Option(names = "--timeout-ms",
        description = "Fail after this long without progress (default: INA_TIMEOUT_MS or 30000).")
    Long timeoutMs;
    @Option(names = "--mib", defaultValue = "${sys:ina.mib:-16}",
        description = "Tensor size in MiB of float32 (default ${DEFAULT-VALUE}, or -Dina.mib).")
    double mib;
    @Option(names = "--iterations", defaultValue = "${sys:ina.iterations:-5}",
        description = "Timed all-reduce calls (default ${DEFAULT-VALUE}, or -Dina.iterations).")
    int iterations;
    @Option(names = "--warmup", defaultValue = "1", description = "Untimed calls first (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--no-verify", description = "Skip the check; it costs world size times the tensor's work.")
    boolean noVerify;

    /**
     * Runs the worker.
     *
     * @param args command line, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new WorkerNode()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call()
    {
        final long count = (long)(mib * 1024 * 1024 / Float.BYTES);
        final WorkerConfig config;
        try
        {
            final WorkerConfig.Builder builder = WorkerConfig.fromEnvironment();
            Optional.ofNullable(aggregator).ifPresent(builder::aggregator);
            Optional.ofNullable(job).ifPresent(builder::jobId);
            Optional.ofNullable(rank).ifPresent(builder::rank);
            Optional.ofNullable(worldSize).ifPresent(builder::worldSize);
            Optional.ofNullable(codec).ifPresent(builder::codec);
            Optional.ofNullable(elementsPerPacket).ifPresent(builder::elementsPerPacket);
            Optional.ofNullable(window).ifPresent(builder::window);
            Optional.ofNullable(timeoutMs).ifPresent(ms -> builder.timeoutNs(TimeUnit.MILLISECONDS.toNanos(ms)));
            config = builder.build();
            if (count < 0 || count > Integer.MAX_VALUE - 8 || iterations < 1 || warmup < 0)
            {
                throw new IllegalArgumentException("need 0 <= --mib < 8192, --iterations >= 1 and --warmup >= 0");
            }
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("ina-worker: " + ex.getMessage());
            return 2;
        }
        try (Collective collective = Collective.join(config))
        {
            System.out.printf("rank %d/%d joined job %d at %s:%d (%s): %d elements (%.1f MiB) %s, " +
                "%d elements/packet, window %d%n", config.rank(), config.worldSize(), config.jobId(),
                config.aggregatorHost(), config.aggregatorPort(), collective.isEpoll() ? "epoll" : "nio", count,
                count * 4.0 / (1 << 20), config.codec(), config.elementsPerPacket(), config.window());
            return run(collective, config, new float[(int)count]);
        }
        catch (final CollectiveException ex)
        {
            System.err.printf("rank %d: collective failed (%s): %s%n", config.rank(), ex.reason(), ex.getMessage());
            return 3;
        }
    }

    private int run(final Collective collective, final WorkerConfig config, final float[] data)
    {
        final double[] millis = new double[iterations];
        final float[] barrier = new float[1];
        long retransmits = 0;
        int wrong = 0;
        for (int step = 0; step < warmup + iterations; step++)
        {
            SyntheticGradients.fill(data, config.rank(), step);
            collective.allReduce(barrier, ReduceOp.SUM); // every rank starts the timed call together
            final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM);
            final long mismatch = noVerify ? -1 :
                SyntheticGradients.firstMismatch(data, config.worldSize(), step, config.codec(),
                    config.elementsPerPacket());
            wrong += mismatch < 0 ? 0 : 1;
            final double ms = stats.durationNs() / 1e6;
            System.out.printf("rank %d %s %d: %.3f ms, %.3f GB/s, retransmits %d, sum %s%n", config.rank(),
                step < warmup ? "warm-up" : "iteration", step < warmup ? step + 1 : step - warmup + 1, ms,
                data.length * 4.0 / ms / 1e6, stats.retransmits(),
                noVerify ? "not checked" : mismatch < 0 ? "ok" : "WRONG from element " + mismatch);
            if (step >= warmup)
            {
                millis[step - warmup] = ms;
                retransmits += stats.retransmits();
            }
        }
        Arrays.sort(millis);
        final double median = millis[iterations / 2];
        System.out.printf("rank %d summary: %d iterations, median %.3f ms (min %.3f), algbw %.3f GB/s, " +
            "retransmits %d, sums %s, last result's hash %08x%n", config.rank(), iterations, median, millis[0],
            data.length * 4.0 / median / 1e6, retransmits,
            noVerify ? "not checked" : wrong == 0 ? "all ok" : wrong + " WRONG", Arrays.hashCode(data));
        return wrong == 0 ? 0 : 1;
    }
}
