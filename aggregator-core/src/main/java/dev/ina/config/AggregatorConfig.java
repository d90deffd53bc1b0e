package dev.ina.config;

import dev.ina.transport.LossGenerator;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ina.config.ConfigChecks.isPowerOfTwo;
import static dev.ina.config.ConfigChecks.require;
import static dev.ina.config.ConfigChecks.requirePositive;

/**
 * Immutable configuration of an aggregator. Build with {@link #builder()} or {@link #fromEnvironment()};
 * {@link Builder#build()} checks every value and says what to change.
 */
public final class AggregatorConfig
{
    private final String bindAddress;
    private final int port;
    private final long poolBytes;
    private final int maxJobs;
    private final int maxWindow;
    private final long jobFormTimeoutNs;
    private final long jobIdleTimeoutNs;
    private final int socketBufferBytes;
    private final int threads;
    private final boolean busyPoll;
    private final TransportKind transport;
    private final LossGenerator sendLoss;
    private final LossGenerator receiveLoss;

    private AggregatorConfig(final Builder b)
    {
        bindAddress = b.bindAddress;
        port = b.port;
        poolBytes = b.poolBytes;
        maxJobs = b.maxJobs;
        maxWindow = b.maxWindow;
        jobFormTimeoutNs = b.jobFormTimeoutNs;
        jobIdleTimeoutNs = b.jobIdleTimeoutNs;
        socketBufferBytes = b.socketBufferBytes;
        threads = b.threads;
        busyPoll = b.busyPoll;
        transport = b.transport;
        sendLoss = b.sendLoss;
        receiveLoss = b.receiveLoss;
    }

    /**
     * A builder with defaults.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * A builder filled from system properties and environment variables ({@code INA_PORT}, {@code INA_BIND},
     * {@code INA_POOL_MIB}, {@code INA_BUSY_POLL}, {@code INA_TRANSPORT}).
     *
     * @return a new builder.
     */
    public static Builder fromEnvironment()
    {
        return fromEnvironment(System.getenv());
    }

    /**
     * A builder filled from system properties and the given environment.
     *
     * @param env environment variables.
     * @return a new builder.
     */
    public static Builder fromEnvironment(final Map<String, String> env)
    {
        final Builder b = builder();
        String v = Configuration.lookup(Configuration.PORT_PROP_NAME, Configuration.PORT_ENV_NAME, env);
        if (v != null)
        {
            b.port(Configuration.parseInt(Configuration.PORT_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.BIND_PROP_NAME, Configuration.BIND_ENV_NAME, env);
        if (v != null)
        {
            b.bindAddress(v);
        }
        v = Configuration.lookup(Configuration.POOL_MIB_PROP_NAME, Configuration.POOL_MIB_ENV_NAME, env);
        if (v != null)
        {
            b.poolBytes(Configuration.parseInt(Configuration.POOL_MIB_ENV_NAME, v) * 1024L * 1024L);
        }
        v = Configuration.lookup(Configuration.THREADS_PROP_NAME, Configuration.THREADS_ENV_NAME, env);
        if (v != null)
        {
            b.threads(Configuration.parseInt(Configuration.THREADS_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.BUSY_POLL_PROP_NAME, Configuration.BUSY_POLL_ENV_NAME, env);
        if (v != null)
        {
            b.busyPoll(Configuration.parseBoolean(Configuration.BUSY_POLL_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.TRANSPORT_PROP_NAME, Configuration.TRANSPORT_ENV_NAME, env);
        if (v != null)
        {
            b.transport(WorkerConfig.parseTransport(v));
        }
        return b;
    }

    /**
     * Address to bind.
     *
     * @return address, {@code 0.0.0.0} by default.
     */
    public String bindAddress()
    {
        return bindAddress;
    }

    /**
     * UDP port to bind; 0 picks a free port (see the server's bound port).
     *
     * @return port.
     */
    public int port()
    {
        return port;
    }

    /**
     * Bytes of sums all jobs together may hold: each job takes {@code 2 * window * elementsPerPacket * 4}.
     *
     * @return bytes.
     */
    public long poolBytes()
    {
        return poolBytes;
    }

    /**
     * Jobs served at once.
     *
     * @return count.
     */
    public int maxJobs()
    {
        return maxJobs;
    }

    /**
     * Largest window granted to a job.
     *
     * @return slots.
     */
    public int maxWindow()
    {
        return maxWindow;
    }

    /**
     * Time a job may take until all its ranks joined.
     *
     * @return nanoseconds.
     */
    public long jobFormTimeoutNs()
    {
        return jobFormTimeoutNs;
    }

    /**
     * Time a started job may stay silent before it is ended and its slots freed.
     *
     * @return nanoseconds.
     */
    public long jobIdleTimeoutNs()
    {
        return jobIdleTimeoutNs;
    }

    /**
     * Requested SO_RCVBUF and SO_SNDBUF.
     *
     * @return bytes.
     */
    public int socketBufferBytes()
    {
        return socketBufferBytes;
    }

    /**
     * Engine threads. Each has its own UDP socket, on {@code port + i} (or its own free port when port is 0), and
     * serves the jobs with {@code floorMod(jobId, threads) == i}; workers that join on another thread's port are
     * redirected. Every thread holds {@code 1 / threads} of the slot pool and of the job table.
     *
     * @return threads, 1 by default.
     */
    public int threads()
    {
        return threads;
    }

    /**
     * Whether the event loop busy-polls.
     *
     * @return true to busy-poll.
     */
    public boolean busyPoll()
    {
        return busyPoll;
    }

    /**
     * Event loop implementation.
     *
     * @return transport kind.
     */
    public TransportKind transport()
    {
        return transport;
    }

    /**
     * Test hook: loss applied to sent datagrams.
     *
     * @return loss generator.
     */
    public LossGenerator sendLoss()
    {
        return sendLoss;
    }

    /**
     * Test hook: loss applied to received datagrams.
     *
     * @return loss generator.
     */
    public LossGenerator receiveLoss()
    {
        return receiveLoss;
    }

    @Override
    public String toString()
    {
        return "AggregatorConfig{bind=" + bindAddress + ':' + port + ", poolMiB=" + (poolBytes >> 20) +
            ", maxJobs=" + maxJobs + ", maxWindow=" + maxWindow + ", threads=" + threads +
            ", jobIdleTimeoutS=" + TimeUnit.NANOSECONDS.toSeconds(jobIdleTimeoutNs) +
            ", busyPoll=" + busyPoll + ", transport=" + transport + '}';
    }

    /**
     * Builder of {@link AggregatorConfig}. Not thread safe.
     */
    public static final class Builder
    {
        private String bindAddress = "0.0.0.0";
        private int port = Configuration.PORT_DEFAULT;
        private long poolBytes = Configuration.POOL_BYTES_DEFAULT;
        private int maxJobs = Configuration.MAX_JOBS_DEFAULT;
        private int maxWindow = Configuration.MAX_WINDOW_DEFAULT;
        private long jobFormTimeoutNs = Configuration.JOB_FORM_TIMEOUT_NS_DEFAULT;
        private long jobIdleTimeoutNs = Configuration.JOB_IDLE_TIMEOUT_NS_DEFAULT;
        private int socketBufferBytes = Configuration.SOCKET_BUFFER_BYTES_DEFAULT;
        private int threads = 1;
        private boolean busyPoll;
        private TransportKind transport = TransportKind.AUTO;
        private LossGenerator sendLoss = LossGenerator.NONE;
        private LossGenerator receiveLoss = LossGenerator.NONE;

        private Builder()
        {
        }

        /**
         * Engine threads, each serving a share of the jobs on its own port.
         *
         * @param threads 1 to 64.
         * @return this.
         */
        public Builder threads(final int threads)
        {
            this.threads = threads;
            return this;
        }

        /**
         * Address to bind.
         *
         * @param bindAddress address or host name.
         * @return this.
         */
        public Builder bindAddress(final String bindAddress)
        {
            this.bindAddress = bindAddress;
            return this;
        }

        /**
         * UDP port.
         *
         * @param port 0 for any free port.
         * @return this.
         */
        public Builder port(final int port)
        {
            this.port = port;
            return this;
        }

        /**
         * Slot pool size.
         *
         * @param poolBytes bytes of sums all jobs may hold.
         * @return this.
         */
        public Builder poolBytes(final long poolBytes)
        {
            this.poolBytes = poolBytes;
            return this;
        }

        /**
         * Jobs served at once.
         *
         * @param maxJobs at least 1.
         * @return this.
         */
        public Builder maxJobs(final int maxJobs)
        {
            this.maxJobs = maxJobs;
            return this;
        }

        /**
         * Largest window granted to a job.
         *
         * @param maxWindow a power of two.
         * @return this.
         */
        public Builder maxWindow(final int maxWindow)
        {
            this.maxWindow = maxWindow;
            return this;
        }

        /**
         * Job timeouts.
         *
         * @param formTimeoutNs time until all ranks joined.
         * @param idleTimeoutNs silence after which a started job ends.
         * @return this.
         */
        public Builder jobTimeouts(final long formTimeoutNs, final long idleTimeoutNs)
        {
            jobFormTimeoutNs = formTimeoutNs;
            jobIdleTimeoutNs = idleTimeoutNs;
            return this;
        }

        /**
         * Requested socket buffer sizes.
         *
         * @param bytes SO_RCVBUF and SO_SNDBUF.
         * @return this.
         */
        public Builder socketBufferBytes(final int bytes)
        {
            socketBufferBytes = bytes;
            return this;
        }

        /**
         * Busy-poll instead of blocking: the event loops poll without waiting and yield the core to any other
         * runnable thread when nothing is ready, instead of sleeping in {@code epoll_wait}. Saves the wake-up
         * latency of each datagram; keeps a core busy per polling thread, which other threads get whenever they
         * need it.
         *
         * @param busyPoll true for lowest latency at the cost of a busy core.
         * @return this.
         */
        public Builder busyPoll(final boolean busyPoll)
        {
            this.busyPoll = busyPoll;
            return this;
        }

        /**
         * Event loop implementation.
         *
         * @param transport kind.
         * @return this.
         */
        public Builder transport(final TransportKind transport)
        {
            this.transport = transport;
            return this;
        }

        /**
         * Test hook: drop sent and received datagrams.
         *
         * @param sendLoss    applied to datagrams sent.
         * @param receiveLoss applied to datagrams received.
         * @return this.
         */
        public Builder loss(final LossGenerator sendLoss, final LossGenerator receiveLoss)
        {
            this.sendLoss = sendLoss;
            this.receiveLoss = receiveLoss;
            return this;
        }

        /**
         * Checks every value and builds the configuration.
         *
         * @return the configuration.
         * @throws IllegalArgumentException saying which value to change.
         */
        public AggregatorConfig build()
        {
            require(bindAddress != null && !bindAddress.isBlank(), "bindAddress must be set, e.g. 0.0.0.0");
            require(port >= 0 && port < 65536, "port must be within [0, 65535], got " + port);
            require(poolBytes >= 64 * 1024, "poolBytes must be at least 64 KiB, got " + poolBytes);
            require(maxJobs >= 1, "maxJobs must be at least 1, got " + maxJobs);
            require(threads >= 1 && threads <= 64, "threads must be within [1, 64], got " + threads);
            require(port == 0 || port + threads - 1 < 65536,
                "port + threads - 1 must be a valid port: " + port + " + " + threads + " - 1 > 65535");
            require(poolBytes / threads >= 64 * 1024,
                "poolBytes / threads must be at least 64 KiB, got " + poolBytes + " / " + threads);
            require(isPowerOfTwo(maxWindow) && maxWindow <= 32768,
                "maxWindow must be a power of two within [1, 32768], got " + maxWindow);
            requirePositive(jobFormTimeoutNs, "jobFormTimeoutNs");
            requirePositive(jobIdleTimeoutNs, "jobIdleTimeoutNs");
            require(socketBufferBytes >= 64 * 1024,
                "socketBufferBytes must be at least 64 KiB, got " + socketBufferBytes);
            require(transport != null, "transport must be set");
            require(sendLoss != null && receiveLoss != null, "loss generators must not be null");
            return new AggregatorConfig(this);
        }
    }
}
