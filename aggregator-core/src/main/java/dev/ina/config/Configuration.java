package dev.ina.config;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Names and defaults of every setting. Each setting can come from a system property ({@code *_PROP_NAME}) or,
 * for launchers in the style of torchrun, an environment variable ({@code *_ENV_NAME}); builders start from
 * {@code *_DEFAULT}.
 */
public final class Configuration
{
    /** Aggregator address as {@code host:port}. */
    public static final String AGGREGATOR_ENV_NAME = "INA_AGGREGATOR";
    /** Aggregator address as {@code host:port}. */
    public static final String AGGREGATOR_PROP_NAME = "ina.aggregator";
    /** Job id. */
    public static final String JOB_ENV_NAME = "INA_JOB";
    /** Job id. */
    public static final String JOB_PROP_NAME = "ina.job";
    /** Rank of this worker. */
    public static final String RANK_ENV_NAME = "INA_RANK";
    /** Rank of this worker. */
    public static final String RANK_PROP_NAME = "ina.rank";
    /** Number of workers. */
    public static final String WORLD_SIZE_ENV_NAME = "INA_WORLD_SIZE";
    /** Number of workers. */
    public static final String WORLD_SIZE_PROP_NAME = "ina.world.size";
    /** Codec name (FP32, FIXED32, INT16, INT8, INT8_NARROW). */
    public static final String CODEC_ENV_NAME = "INA_CODEC";
    /** Codec name (FP32, FIXED32, INT16, INT8, INT8_NARROW). */
    public static final String CODEC_PROP_NAME = "ina.codec";
    /** Mode (EXACT, BOUNDED). */
    public static final String MODE_ENV_NAME = "INA_MODE";
    /** Mode (EXACT, BOUNDED). */
    public static final String MODE_PROP_NAME = "ina.mode";
    /** Bounded mode: a chunk's deadline from its first contribution, in milliseconds (may have a fraction). */
    public static final String DEADLINE_MS_ENV_NAME = "INA_DEADLINE_MS";
    /** Bounded mode: a chunk's deadline from its first contribution, in milliseconds (may have a fraction). */
    public static final String DEADLINE_MS_PROP_NAME = "ina.deadline.ms";
    /** Bounded mode: fewest ranks a chunk may finish with. */
    public static final String QUORUM_ENV_NAME = "INA_QUORUM";
    /** Bounded mode: fewest ranks a chunk may finish with. */
    public static final String QUORUM_PROP_NAME = "ina.quorum";
    /** Bounded mode: let the deadline adapt to recent completion times (true/false). */
    public static final String ADAPTIVE_DEADLINE_ENV_NAME = "INA_ADAPTIVE_DEADLINE";
    /** Bounded mode: let the deadline adapt to recent completion times (true/false). */
    public static final String ADAPTIVE_DEADLINE_PROP_NAME = "ina.adaptive.deadline";
    /** Window: slots, chunks in flight per worker. */
    public static final String WINDOW_ENV_NAME = "INA_WINDOW";
    /** Window: slots, chunks in flight per worker. */
    public static final String WINDOW_PROP_NAME = "ina.window";
    /** Elements per packet. */
    public static final String ELEMENTS_PER_PACKET_ENV_NAME = "INA_ELEMENTS_PER_PACKET";
    /** Elements per packet. */
    public static final String ELEMENTS_PER_PACKET_PROP_NAME = "ina.elements.per.packet";
    /** Progress timeout in milliseconds. */
    public static final String TIMEOUT_MS_ENV_NAME = "INA_TIMEOUT_MS";
    /** Progress timeout in milliseconds. */
    public static final String TIMEOUT_MS_PROP_NAME = "ina.timeout.ms";
    /** Local address the worker binds to. */
    public static final String BIND_ENV_NAME = "INA_BIND";
    /** Local address the worker binds to. */
    public static final String BIND_PROP_NAME = "ina.bind";
    /** Aggregator UDP port. */
    public static final String PORT_ENV_NAME = "INA_PORT";
    /** Aggregator UDP port. */
    public static final String PORT_PROP_NAME = "ina.port";
    /** Aggregator slot pool size in MiB. */
    public static final String POOL_MIB_ENV_NAME = "INA_POOL_MIB";
    /** Aggregator slot pool size in MiB. */
    public static final String POOL_MIB_PROP_NAME = "ina.pool.mib";
    /** Aggregator engine threads (jobs are sharded over them). */
    public static final String THREADS_ENV_NAME = "INA_AGGREGATOR_THREADS";
    /** Aggregator engine threads (jobs are sharded over them). */
    public static final String THREADS_PROP_NAME = "ina.aggregator.threads";
    /** Busy-poll the network instead of blocking: lower latency, one core per process. */
    public static final String BUSY_POLL_ENV_NAME = "INA_BUSY_POLL";
    /** Busy-poll the network instead of blocking: lower latency, one core per process. */
    public static final String BUSY_POLL_PROP_NAME = "ina.busy.poll";
    /** Caller-runs I/O: the worker's calling thread drives its socket (see {@code WorkerConfig.callerRuns}). */
    public static final String CALLER_RUNS_ENV_NAME = "INA_CALLER_RUNS";
    /** Caller-runs I/O: the worker's calling thread drives its socket (see {@code WorkerConfig.callerRuns}). */
    public static final String CALLER_RUNS_PROP_NAME = "ina.caller.runs";
    /** Event loop transport: auto, epoll or nio. */
    public static final String TRANSPORT_ENV_NAME = "INA_TRANSPORT";
    /** Event loop transport: auto, epoll or nio. */
    public static final String TRANSPORT_PROP_NAME = "ina.transport";

    /** Default aggregator UDP port. */
    public static final int PORT_DEFAULT = 47_100;
    /** Default job id. */
    public static final int JOB_DEFAULT = 1;
    /** Default window. */
    public static final int WINDOW_DEFAULT = 64;
    /** Default bounded-mode deadline: 20 ms from a chunk's first contribution. */
    public static final long DEADLINE_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(20);
    /** Default elements per packet: 1 KiB payloads fit a 1500-byte MTU. Use more on loopback or jumbo frames. */
    public static final int ELEMENTS_PER_PACKET_DEFAULT = 256;
    /** Default progress timeout: a call fails when nothing arrives for this long. */
    public static final long TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(30);
    /** Default time to wait for every rank to join. */
    public static final long JOIN_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(60);
    /** Default first retransmission timeout, before round-trip samples. */
    public static final long INITIAL_RTO_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(20);
    /** Default lower bound of the retransmission timeout. */
    public static final long MIN_RTO_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(10);
    /** Default upper bound of the retransmission timeout after back-off. */
    public static final long MAX_RTO_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(500);
    /** Default socket buffer size; the kernel caps it at {@code net.core.rmem_max} / {@code wmem_max}. */
    public static final int SOCKET_BUFFER_BYTES_DEFAULT = 4 * 1024 * 1024;
    /** Default aggregator slot pool: bytes of sums all jobs together may hold. */
    public static final long POOL_BYTES_DEFAULT = 256L * 1024 * 1024;
    /** Default number of jobs an aggregator serves at once. */
    public static final int MAX_JOBS_DEFAULT = 64;
    /** Default largest window an aggregator grants a job. */
    public static final int MAX_WINDOW_DEFAULT = 4096;
    /** Default time a job may take to form (all ranks joined). */
    public static final long JOB_FORM_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(120);
    /** Default time a started job may stay silent before the aggregator ends it. */
    public static final long JOB_IDLE_TIMEOUT_NS_DEFAULT = TimeUnit.MINUTES.toNanos(10);

    private Configuration()
    {
    }

    /**
     * Reads a setting: the system property if set, else the environment variable, else null.
     *
     * @param propName system property name.
     * @param envName  environment variable name.
     * @param env      the environment to read.
     * @return the value or null.
     */
    public static String lookup(final String propName, final String envName, final Map<String, String> env)
    {
        final String prop = System.getProperty(propName);
        if (prop != null && !prop.isBlank())
        {
            return prop.trim();
        }
        final String value = env.get(envName);
        return value == null || value.isBlank() ? null : value.trim();
    }

    /**
     * Parses an integer setting with a message that names the setting.
     *
     * @param name  setting name for the message.
     * @param value text.
     * @return the value.
     * @throws IllegalArgumentException naming the setting if the text is not an integer.
     */
    public static int parseInt(final String name, final String value)
    {
        try
        {
            return Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'", ex);
        }
    }

    /**
     * Parses a duration in milliseconds, which may have a fraction ({@code 2.5}), into nanoseconds.
     *
     * @param name  setting name for the message.
     * @param value text.
     * @return nanoseconds.
     * @throws IllegalArgumentException naming the setting if the text is not a non-negative number.
     */
    public static long parseMillisAsNanos(final String name, final String value)
    {
        try
        {
            final double ms = Double.parseDouble(value.trim());
            if (!(ms >= 0.0d) || ms > Long.MAX_VALUE / 1e6)
            {
                throw new IllegalArgumentException(name + " must be a non-negative number of milliseconds, got '" +
                    value + "'");
            }
            return Math.round(ms * 1e6);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " must be a number of milliseconds, got '" + value + "'", ex);
        }
    }

    /**
     * Parses a boolean setting ({@code true/false/1/0/yes/no}).
     *
     * @param name  setting name for the message.
     * @param value text.
     * @return the value.
     */
    public static boolean parseBoolean(final String name, final String value)
    {
        switch (value.toLowerCase(java.util.Locale.ROOT))
        {
            case "true": case "1": case "yes": return true;
            case "false": case "0": case "no": return false;
            default: throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
        }
    }
}
