package dev.ina.examples.demo;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.examples.common.SyntheticGradients;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Starts an embedded aggregator and N worker threads on loopback, all-reduces a tensor several times, checks
 * every result against a double-precision reference and bit equality across workers, and prints the speed.
 */
@Command(name = "ina-demo", mixinStandardHelpOptions = true,
    description = "All-reduce through an embedded aggregator on loopback and report correctness and speed.")
public final class LocalDemo implements Callable<Integer>
{
    @Option(names = "--workers", description = "Worker threads (default ${DEFAULT-VALUE}).")
    int workers = 4;
    @Option(names = "--mib", description = "Tensor size in MiB of float32 (default ${DEFAULT-VALUE}).")
    double mib = 64;
    @Option(names = "--codec", description = "One of ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    Codec codec = Codec.FIXED32;
    @Option(names = "--iterations", description = "Timed all-reduce calls (default ${DEFAULT-VALUE}).")
    int iterations = 10;
    @Option(names = "--elements-per-packet", description = "Elements per datagram (default ${DEFAULT-VALUE}).")
    int elementsPerPacket = 16_368;
    @Option(names = "--window", description = "Chunks in flight per worker (default ${DEFAULT-VALUE}).")
    int window = 8;

    /**
     * Runs the demo.
     *
     * @param args command line, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new LocalDemo()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        final int count = (int)(mib * 1024 * 1024 / Float.BYTES);
        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
        {
            System.out.printf("aggregator on 127.0.0.1:%d (%s); %d workers, %d elements (%.1f MiB) %s, " +
                "%d elements/packet, window %d%n", server.port(), server.isEpoll() ? "epoll" : "nio", workers, count,
                count * 4.0 / (1 << 20), codec, elementsPerPacket, window);
            final float[][] results = new float[workers][];
            final double[][] millis = new double[workers][];
            final long[] retransmits = new long[workers];
            final CompletableFuture<?>[] done = new CompletableFuture<?>[workers];
            for (int r = 0; r < workers; r++)
            {
                final int rank = r;
                final WorkerConfig config = WorkerConfig.builder().aggregator("127.0.0.1", server.port())
                    .rank(rank).worldSize(workers).codec(codec).elementsPerPacket(elementsPerPacket).window(window)
                    .build();
                done[r] = CompletableFuture.runAsync(() -> runWorker(config, count, results, millis, retransmits));
            }
            CompletableFuture.allOf(done).join();

            boolean identical = true;
            for (int r = 1; r < workers; r++)
            {
                identical &= Arrays.equals(results[0], results[r]);
            }
            final long mismatch = SyntheticGradients.firstMismatch(results[0], workers, iterations, codec,
                elementsPerPacket);
            final double[] sorted = millis[0].clone();
            Arrays.sort(sorted);
            final double medianMs = sorted[sorted.length / 2];
            final double bytes = count * 4.0;
            System.out.printf("results bit-identical on all %d workers: %s%n", workers, identical ? "yes" : "NO");
            System.out.printf("sums within the %s bound of a double-precision reference: %s%n", codec,
                mismatch < 0 ? "yes" : "NO (first bad element " + mismatch + ")");
            System.out.printf("median %.2f ms per all-reduce, algbw %.2f GB/s, busbw %.2f GB/s (min %.2f ms)%n",
                medianMs, bytes / medianMs / 1e6, bytes / medianMs / 1e6 * 2 * (workers - 1) / workers, sorted[0]);
            System.out.printf("retransmits per worker over %d calls: %s%n", iterations + 1,
                Arrays.toString(retransmits));
            System.out.println("aggregator: " + server.counters());
            return identical && mismatch < 0 ? 0 : 1;
        }
    }

    private void runWorker(
        final WorkerConfig config, final int count, final float[][] results, final double[][] ms, final long[] rtx)
    {
        final float[] data = new float[count];
        final double[] times = new double[iterations];
        final float[] barrier = new float[1];
        try (Collective collective = Collective.join(config))
        {
            for (int step = 0; step <= iterations; step++)
            {
                SyntheticGradients.fill(data, config.rank(), step);
                collective.allReduce(barrier, ReduceOp.SUM); // all ranks start the timed call together
                final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM);
                rtx[config.rank()] += stats.retransmits();
                if (step > 0)
                {
                    times[step - 1] = stats.durationNs() / 1e6;
                }
            }
        }
        results[config.rank()] = data;
        ms[config.rank()] = times;
    }
}
