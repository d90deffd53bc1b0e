package dev.ina.examples.aggregator;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.TransportKind;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs an aggregator until SIGTERM or Ctrl-C, which end every job (ranks receive ABORT) before the process exits.
 * Settings come from {@code INA_PORT}, {@code INA_BIND}, {@code INA_POOL_MIB}, {@code INA_AGGREGATOR_THREADS},
 * {@code INA_JOB_FORM_TIMEOUT_MS}, {@code INA_JOB_IDLE_TIMEOUT_MS}, {@code INA_BUSY_POLL}, {@code INA_TRANSPORT} (or
 * {@code -Dina.*}); options override them.
 */
@Command(name = "ina-aggregator", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Runs an INA aggregator; options override INA_* environment variables.")
public final class AggregatorNode implements Callable<Integer>
{
    @Option(names = "--bind", description = "Address to bind (default: INA_BIND or 0.0.0.0).")
    String bind;
    @Option(names = "--port", description = "UDP port, 0 for any free port (default: INA_PORT or 47100).")
    Integer port;
    @Option(names = "--pool-mib", description = "Slot pool of all jobs in MiB (default: INA_POOL_MIB or 256).")
    Integer poolMib;
    @Option(names = "--threads", description = "Engine threads; thread i serves jobs with id mod threads == i on " +
        "port + i (default: INA_AGGREGATOR_THREADS or 1).")
    Integer threads;
    @Option(names = "--busy-poll", arity = "0..1", fallbackValue = "true",
        description = "Spin instead of blocking (default: INA_BUSY_POLL or false).")
    Boolean busyPoll;
    @Option(names = "--transport", description = "AUTO, EPOLL or NIO (default: INA_TRANSPORT or AUTO).")
    TransportKind transport;
    @Option(names = "--stats-interval", paramLabel = "SECONDS",
        description = "Print counters every SECONDS, 0 for never (default ${DEFAULT-VALUE}).")
    long statsIntervalS = 10;

    /**
     * Runs the aggregator.
     *
     * @param args command line, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new AggregatorNode()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException
    {
        final AggregatorServer server;
        try
        {
            final AggregatorConfig.Builder builder = AggregatorConfig.fromEnvironment();
            Optional.ofNullable(bind).ifPresent(builder::bindAddress);
            Optional.ofNullable(port).ifPresent(builder::port);
            Optional.ofNullable(poolMib).ifPresent(mib -> builder.poolBytes(mib * 1024L * 1024L));
            Optional.ofNullable(threads).ifPresent(builder::threads);
            Optional.ofNullable(busyPoll).ifPresent(builder::busyPoll);
            Optional.ofNullable(transport).ifPresent(builder::transport);
            server = AggregatorServer.start(builder.build());
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            System.err.println("ina-aggregator: " + ex.getMessage());
            return 2;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            server.close();
            System.out.println("aggregator closed; counters: " + server.counters());
        }, "ina-aggregator-shutdown"));
        final InetSocketAddress address = server.localAddress();
        System.out.printf("aggregator listening on %s:%d (%s), %s%n", address.getAddress().getHostAddress(),
            address.getPort(), server.isEpoll() ? "epoll" : "nio", server.config());
        final ScheduledExecutorService stats = Executors.newSingleThreadScheduledExecutor(task ->
        {
            final Thread thread = new Thread(task, "ina-aggregator-stats");
            thread.setDaemon(true);
            return thread;
        });
        if (statsIntervalS > 0)
        {
            stats.scheduleAtFixedRate(() -> printStats(server), statsIntervalS, statsIntervalS, TimeUnit.SECONDS);
        }
        server.awaitClose();
        stats.shutdownNow();
        return 0;
    }

    private static void printStats(final AggregatorServer server)
    {
        try
        {
            final String counters = server.counters().toString();
            System.out.printf("jobs %d, pool in use %.1f MiB | %s%n", server.jobCount(),
                server.poolBytesInUse() / (1024.0 * 1024.0), counters.isEmpty() ? "no traffic" : counters);
        }
        catch (final IllegalStateException ex)
        {
            // The server is closing: its event loop no longer answers; the shutdown hook prints the last counters.
        }
    }
}
