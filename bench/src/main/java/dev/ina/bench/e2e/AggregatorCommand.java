package dev.ina.bench.e2e;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;
import dev.ina.status.CounterDescriptor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code aggregator}: runs only the aggregator. Prints {@code ready <port>} on stdout once it listens, and exits on
 * stdin EOF or SIGTERM, printing its CPU seconds and counters as one JSON line on stdout. When stdin is
 * {@code /dev/null} (a background job of a script) only SIGTERM ends it.
 */
@Command(name = "aggregator", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Runs the aggregator until stdin EOF or SIGTERM; prints 'ready <port>', and a JSON line at exit.")
final class AggregatorCommand implements Callable<Integer>
{
    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--port", defaultValue = "47100",
        description = "UDP port, 0 for any free port; thread i uses port + i (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--threads", defaultValue = "1", description = "Engine threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--busy-poll", description = "Event loops spin instead of blocking.")
    boolean busyPoll;

    @Option(names = "--pool-mib", defaultValue = "256",
        description = "Slot pool of all jobs in MiB (default ${DEFAULT-VALUE}).")
    int poolMib;

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        final AggregatorServer server;
        try
        {
            server = AggregatorServer.start(AggregatorConfig.builder().bindAddress(bind).port(port).threads(threads)
                .busyPoll(busyPoll).poolBytes(poolMib * 1024L * 1024L).build());
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            System.err.println("ina-bench aggregator: " + ex.getMessage());
            return 2;
        }
        final AtomicBoolean finished = new AtomicBoolean();
        final Runnable finish = () ->
        {
            if (finished.compareAndSet(false, true))
            {
                server.close();
                System.out.println(exitLine(server));
                System.out.flush();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(finish, "bench-aggregator-exit"));
        System.out.println("ready " + server.port());
        System.out.flush();
        if (isDevNull())
        {
            server.awaitClose();
        }
        else
        {
            final InputStream in = System.in;
            final byte[] buffer = new byte[256];
            while (in.read(buffer) >= 0)
            {
                // Input is ignored: only its end matters.
                continue;
            }
        }
        finish.run();
        return 0;
    }

    private static boolean isDevNull()
    {
        try
        {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString().equals("/dev/null");
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return false;
        }
    }

    private static String exitLine(final AggregatorServer server)
    {
        final StringBuilder sb = new StringBuilder("{\"event\": \"exit\", \"role\": \"aggregator\", \"cpu_s\": ")
            .append(jsonNumber(CpuProbe.processTotalSeconds())).append(", \"counters\": {");
        boolean first = true;
        for (final CounterDescriptor descriptor : CounterDescriptor.values())
        {
            sb.append(first ? "" : ", ").append('"').append(descriptor.name()).append("\": ")
                .append(server.counters().get(descriptor));
            first = false;
        }
        return sb.append("}}").toString();
    }

    /**
     * A number for JSON: three decimals, or null when unknown.
     *
     * @param value the number.
     * @return text.
     */
    static String jsonNumber(final double value)
    {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.3f", value);
    }
}
