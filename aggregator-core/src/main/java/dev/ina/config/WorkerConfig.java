package dev.ina.config;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.LossGenerator;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ina.config.ConfigChecks.isPowerOfTwo;
import static dev.ina.config.ConfigChecks.require;
import static dev.ina.config.ConfigChecks.requirePositive;

/**
 * Immutable configuration of a worker (one rank of one job). Build with {@link #builder()} or, in a launcher,
 * {@link #fromEnvironment()}; {@link Builder#build()} checks every value and says what to change.
 */
public final class WorkerConfig
{
    private static final long MIN_DEADLINE_NS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final long MAX_DEADLINE_NS = TimeUnit.HOURS.toNanos(1);

    private final String aggregatorHost;
    private final int aggregatorPort;
    private final String bindAddress;
    private final int jobId;
    private final int rank;
    private final int worldSize;
    private final Codec codec;
    private final int window;
    private final int elementsPerPacket;
    private final Mode mode;
    private final long deadlineNs;
    private final int quorum;
    private final boolean adaptiveDeadline;
    private final long timeoutNs;
    private final long joinTimeoutNs;
    private final long initialRtoNs;
    private final long minRtoNs;
    private final long maxRtoNs;
    private final int socketBufferBytes;
    private final boolean busyPoll;
    private final boolean callerRuns;
    private final TransportKind transport;
    private final LossGenerator sendLoss;
    private final LossGenerator receiveLoss;

    private WorkerConfig(final Builder b)
    {
        aggregatorHost = b.aggregatorHost;
        aggregatorPort = b.aggregatorPort;
        bindAddress = b.bindAddress;
        jobId = b.jobId;
        rank = b.rank;
        worldSize = b.worldSize;
        codec = b.codec;
        window = b.window;
        elementsPerPacket = b.elementsPerPacket;
        mode = b.mode;
        deadlineNs = b.deadlineNs;
        quorum = b.quorum > 0 ? b.quorum : defaultQuorum(b.worldSize);
        adaptiveDeadline = b.adaptiveDeadline;
        timeoutNs = b.timeoutNs;
        joinTimeoutNs = b.joinTimeoutNs;
        initialRtoNs = b.initialRtoNs;
        minRtoNs = b.minRtoNs;
        maxRtoNs = b.maxRtoNs;
        socketBufferBytes = b.socketBufferBytes;
        busyPoll = b.busyPoll;
        callerRuns = b.callerRuns;
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
     * A builder filled from system properties and environment variables ({@code INA_AGGREGATOR}, {@code INA_JOB},
     * {@code INA_RANK}, {@code INA_WORLD_SIZE}, ... see {@link Configuration}).
     *
     * @return a new builder; unset values keep their defaults.
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
        String v = Configuration.lookup(Configuration.AGGREGATOR_PROP_NAME, Configuration.AGGREGATOR_ENV_NAME, env);
        if (v != null)
        {
            b.aggregator(v);
        }
        v = Configuration.lookup(Configuration.JOB_PROP_NAME, Configuration.JOB_ENV_NAME, env);
        if (v != null)
        {
            b.jobId(Configuration.parseInt(Configuration.JOB_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.RANK_PROP_NAME, Configuration.RANK_ENV_NAME, env);
        if (v != null)
        {
            b.rank(Configuration.parseInt(Configuration.RANK_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.WORLD_SIZE_PROP_NAME, Configuration.WORLD_SIZE_ENV_NAME, env);
        if (v != null)
        {
            b.worldSize(Configuration.parseInt(Configuration.WORLD_SIZE_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.CODEC_PROP_NAME, Configuration.CODEC_ENV_NAME, env);
        if (v != null)
        {
            b.codec(parseCodec(v));
        }
        v = Configuration.lookup(Configuration.WINDOW_PROP_NAME, Configuration.WINDOW_ENV_NAME, env);
        if (v != null)
        {
            b.window(Configuration.parseInt(Configuration.WINDOW_ENV_NAME, v));
        }
        v = Configuration.lookup(
            Configuration.ELEMENTS_PER_PACKET_PROP_NAME, Configuration.ELEMENTS_PER_PACKET_ENV_NAME, env);
        if (v != null)
        {
            b.elementsPerPacket(Configuration.parseInt(Configuration.ELEMENTS_PER_PACKET_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.MODE_PROP_NAME, Configuration.MODE_ENV_NAME, env);
        if (v != null)
        {
            b.mode(parseMode(v));
        }
        v = Configuration.lookup(Configuration.DEADLINE_MS_PROP_NAME, Configuration.DEADLINE_MS_ENV_NAME, env);
        if (v != null)
        {
            b.deadlineNs(Configuration.parseMillisAsNanos(Configuration.DEADLINE_MS_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.QUORUM_PROP_NAME, Configuration.QUORUM_ENV_NAME, env);
        if (v != null)
        {
            b.quorum(Configuration.parseInt(Configuration.QUORUM_ENV_NAME, v));
        }
        v = Configuration.lookup(
            Configuration.ADAPTIVE_DEADLINE_PROP_NAME, Configuration.ADAPTIVE_DEADLINE_ENV_NAME, env);
        if (v != null)
        {
            b.adaptiveDeadline(Configuration.parseBoolean(Configuration.ADAPTIVE_DEADLINE_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.TIMEOUT_MS_PROP_NAME, Configuration.TIMEOUT_MS_ENV_NAME, env);
        if (v != null)
        {
            b.timeoutNs(TimeUnit.MILLISECONDS.toNanos(Configuration.parseInt(Configuration.TIMEOUT_MS_ENV_NAME, v)));
        }
        v = Configuration.lookup(Configuration.BIND_PROP_NAME, Configuration.BIND_ENV_NAME, env);
        if (v != null)
        {
            b.bindAddress(v);
        }
        v = Configuration.lookup(Configuration.BUSY_POLL_PROP_NAME, Configuration.BUSY_POLL_ENV_NAME, env);
        if (v != null)
        {
            b.busyPoll(Configuration.parseBoolean(Configuration.BUSY_POLL_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.CALLER_RUNS_PROP_NAME, Configuration.CALLER_RUNS_ENV_NAME, env);
        if (v != null)
        {
            b.callerRuns(Configuration.parseBoolean(Configuration.CALLER_RUNS_ENV_NAME, v));
        }
        v = Configuration.lookup(Configuration.TRANSPORT_PROP_NAME, Configuration.TRANSPORT_ENV_NAME, env);
        if (v != null)
        {
            b.transport(parseTransport(v));
        }
        return b;
    }

    /**
     * Parses a codec name, case-insensitively.
     *
     * @param name e.g. {@code fixed32}.
     * @return the codec.
     * @throws IllegalArgumentException listing the codecs.
     */
    public static Codec parseCodec(final String name)
    {
        try
        {
            return Codec.valueOf(name.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(
                "unknown codec '" + name + "'; use one of " + java.util.Arrays.toString(Codec.values()), ex);
        }
    }

    /**
     * Parses a mode name, case-insensitively.
     *
     * @param name e.g. {@code bounded}.
     * @return the mode.
     * @throws IllegalArgumentException listing the modes.
     */
    public static Mode parseMode(final String name)
    {
        try
        {
            return Mode.valueOf(name.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(
                "unknown mode '" + name + "'; use one of " + java.util.Arrays.toString(Mode.values()), ex);
        }
    }

    /**
     * Default bounded-mode quorum: half the ranks, rounded up.
     *
     * @param worldSize ranks.
     * @return {@code ceil(worldSize / 2)}, at least 1.
     */
    public static int defaultQuorum(final int worldSize)
    {
        return Math.max(1, (worldSize + 1) / 2);
    }

    /**
     * Largest elements per packet whose CONTRIB and RESULT datagrams fit {@code datagramBytes} of UDP payload.
     *
     * @param codec         the codec.
     * @param worldSize     ranks (the width of narrow codecs' results depends on it).
     * @param datagramBytes UDP payload limit, e.g. 65507 on loopback or 8972 for a 9000-byte MTU; capped at
     *                      {@link FrameDescriptor#MAX_UDP_PAYLOAD_LENGTH}.
     * @return elements, at least 1.
     */
    public static int maxElementsPerPacket(final Codec codec, final int worldSize, final int datagramBytes)
    {
        final int payload = Math.min(datagramBytes, FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH) -
            FrameDescriptor.HEADER_LENGTH;
        final int widest = Math.max(codec.bytesUp(), codec.bytesDown(worldSize));
        return Math.max(1, Math.min(0xFFFF, payload / widest));
    }

    static TransportKind parseTransport(final String name)
    {
        try
        {
            return TransportKind.valueOf(name.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(
                "unknown transport '" + name + "'; use auto, epoll or nio", ex);
        }
    }

    /**
     * Aggregator host name or address.
     *
     * @return host.
     */
    public String aggregatorHost()
    {
        return aggregatorHost;
    }

    /**
     * Aggregator UDP port.
     *
     * @return port.
     */
    public int aggregatorPort()
    {
        return aggregatorPort;
    }

    /**
     * Local address to bind, or null for the wildcard address.
     *
     * @return address or null.
     */
    public String bindAddress()
    {
        return bindAddress;
    }

    /**
     * Job id.
     *
     * @return job id.
     */
    public int jobId()
    {
        return jobId;
    }

    /**
     * Rank of this worker, {@code 0 <= rank < worldSize}.
     *
     * @return rank.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * Number of ranks in the job.
     *
     * @return world size.
     */
    public int worldSize()
    {
        return worldSize;
    }

    /**
     * Codec of the job.
     *
     * @return codec.
     */
    public Codec codec()
    {
        return codec;
    }

    /**
     * Window: slots the job owns at the aggregator and chunks in flight per worker; a power of two.
     *
     * @return window.
     */
    public int window()
    {
        return window;
    }

    /**
     * Elements per packet (a full chunk).
     *
     * @return count.
     */
    public int elementsPerPacket()
    {
        return elementsPerPacket;
    }

    /**
     * Mode: exact, or bounded by a deadline and quorum.
     *
     * @return mode.
     */
    public Mode mode()
    {
        return mode;
    }

    /**
     * Bounded mode: how long after its first contribution a chunk may finish with the quorum (with adaptive
     * deadlines, the upper bound).
     *
     * @return nanoseconds.
     */
    public long deadlineNs()
    {
        return deadlineNs;
    }

    /**
     * Bounded mode: fewest contributions a chunk may finish with.
     *
     * @return ranks.
     */
    public int quorum()
    {
        return quorum;
    }

    /**
     * Bounded mode: whether the aggregator shortens the deadline to what recent chunks needed.
     *
     * @return true if adaptive.
     */
    public boolean adaptiveDeadline()
    {
        return adaptiveDeadline;
    }

    /**
     * Progress timeout: a call fails when no result arrives for this long.
     *
     * @return nanoseconds.
     */
    public long timeoutNs()
    {
        return timeoutNs;
    }

    /**
     * Time to wait for all ranks to join.
     *
     * @return nanoseconds.
     */
    public long joinTimeoutNs()
    {
        return joinTimeoutNs;
    }

    /**
     * First retransmission timeout, before round-trip samples exist.
     *
     * @return nanoseconds.
     */
    public long initialRtoNs()
    {
        return initialRtoNs;
    }

    /**
     * Lower bound of the adaptive retransmission timeout.
     *
     * @return nanoseconds.
     */
    public long minRtoNs()
    {
        return minRtoNs;
    }

    /**
     * Upper bound of the retransmission timeout after back-off.
     *
     * @return nanoseconds.
     */
    public long maxRtoNs()
    {
        return maxRtoNs;
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
     * Whether the network thread and the caller busy-poll instead of blocking.
     *
     * @return true to busy-poll.
     */
    public boolean busyPoll()
    {
        return busyPoll;
    }

    /**
     * Whether the calling thread drives the network itself (no network thread of the collective's own).
     *
     * @return true for caller-runs I/O.
     * @see Builder#callerRuns(boolean)
     */
    public boolean callerRuns()
    {
        return callerRuns;
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
     * @return loss generator, {@link LossGenerator#NONE} by default.
     */
    public LossGenerator sendLoss()
    {
        return sendLoss;
    }

    /**
     * Test hook: loss applied to received datagrams.
     *
     * @return loss generator, {@link LossGenerator#NONE} by default.
     */
    public LossGenerator receiveLoss()
    {
        return receiveLoss;
    }

    /**
     * A builder holding this configuration's values, to derive a variant (e.g. another rank).
     *
     * @return a new builder.
     */
    public Builder toBuilder()
    {
        final Builder b = new Builder();
        b.aggregatorHost = aggregatorHost;
        b.aggregatorPort = aggregatorPort;
        b.bindAddress = bindAddress;
        b.jobId = jobId;
        b.rank = rank;
        b.worldSize = worldSize;
        b.codec = codec;
        b.window = window;
        b.elementsPerPacket = elementsPerPacket;
        b.mode = mode;
        b.deadlineNs = deadlineNs;
        b.quorum = quorum;
        b.adaptiveDeadline = adaptiveDeadline;
        b.timeoutNs = timeoutNs;
        b.joinTimeoutNs = joinTimeoutNs;
        b.initialRtoNs = initialRtoNs;
        b.minRtoNs = minRtoNs;
        b.maxRtoNs = maxRtoNs;
        b.socketBufferBytes = socketBufferBytes;
        b.busyPoll = busyPoll;
        b.callerRuns = callerRuns;
        b.transport = transport;
        b.sendLoss = sendLoss;
        b.receiveLoss = receiveLoss;
        return b;
    }

    @Override
    public String toString()
    {
        return "WorkerConfig{aggregator=" + aggregatorHost + ':' + aggregatorPort +
            ", job=" + jobId + ", rank=" + rank + ", worldSize=" + worldSize + ", codec=" + codec +
            ", window=" + window + ", elementsPerPacket=" + elementsPerPacket + ", mode=" + mode +
            (mode == Mode.BOUNDED ? ", deadlineUs=" + TimeUnit.NANOSECONDS.toMicros(deadlineNs) + ", quorum=" + quorum +
            ", adaptiveDeadline=" + adaptiveDeadline : "") +
            ", timeoutMs=" + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + ", busyPoll=" + busyPoll +
            ", callerRuns=" + callerRuns + ", transport=" + transport + '}';
    }

    /**
     * Builder of {@link WorkerConfig}. Not thread safe.
     */
    public static final class Builder
    {
        private String aggregatorHost = "127.0.0.1";
        private int aggregatorPort = Configuration.PORT_DEFAULT;
        private String bindAddress;
        private int jobId = Configuration.JOB_DEFAULT;
        private int rank = -1;
        private int worldSize = -1;
        private Codec codec = Codec.FP32;
        private int window = Configuration.WINDOW_DEFAULT;
        private int elementsPerPacket = Configuration.ELEMENTS_PER_PACKET_DEFAULT;
        private Mode mode = Mode.EXACT;
        private long deadlineNs = Configuration.DEADLINE_NS_DEFAULT;
        private int quorum;
        private boolean adaptiveDeadline;
        private long timeoutNs = Configuration.TIMEOUT_NS_DEFAULT;
        private long joinTimeoutNs = Configuration.JOIN_TIMEOUT_NS_DEFAULT;
        private long initialRtoNs = Configuration.INITIAL_RTO_NS_DEFAULT;
        private long minRtoNs = Configuration.MIN_RTO_NS_DEFAULT;
        private long maxRtoNs = Configuration.MAX_RTO_NS_DEFAULT;
        private int socketBufferBytes = Configuration.SOCKET_BUFFER_BYTES_DEFAULT;
        private boolean busyPoll;
        private boolean callerRuns;
        private TransportKind transport = TransportKind.AUTO;
        private LossGenerator sendLoss = LossGenerator.NONE;
        private LossGenerator receiveLoss = LossGenerator.NONE;

        private Builder()
        {
        }

        /**
         * Aggregator address.
         *
         * @param hostAndPort {@code host:port}, or {@code host} for the default port; IPv6 as {@code [::1]:port}.
         * @return this.
         */
        public Builder aggregator(final String hostAndPort)
        {
            final String s = hostAndPort.trim();
            final int colon = s.lastIndexOf(':');
            if (colon > 0 && s.indexOf(':') == colon || s.startsWith("[") && colon > s.indexOf(']'))
            {
                aggregatorHost = s.substring(0, colon).replace("[", "").replace("]", "");
                aggregatorPort = Configuration.parseInt("aggregator port", s.substring(colon + 1));
            }
            else
            {
                aggregatorHost = s.replace("[", "").replace("]", "");
            }
            return this;
        }

        /**
         * Aggregator address.
         *
         * @param host host name or address.
         * @param port UDP port.
         * @return this.
         */
        public Builder aggregator(final String host, final int port)
        {
            aggregatorHost = host;
            aggregatorPort = port;
            return this;
        }

        /**
         * Local address to bind.
         *
         * @param address address, or null for the wildcard.
         * @return this.
         */
        public Builder bindAddress(final String address)
        {
            bindAddress = address;
            return this;
        }

        /**
         * Job id, shared by all ranks of a job.
         *
         * @param jobId any int.
         * @return this.
         */
        public Builder jobId(final int jobId)
        {
            this.jobId = jobId;
            return this;
        }

        /**
         * Rank of this worker.
         *
         * @param rank {@code 0 <= rank < worldSize}.
         * @return this.
         */
        public Builder rank(final int rank)
        {
            this.rank = rank;
            return this;
        }

        /**
         * Number of ranks.
         *
         * @param worldSize 1 to {@link FrameDescriptor#MAX_WORLD_SIZE}.
         * @return this.
         */
        public Builder worldSize(final int worldSize)
        {
            this.worldSize = worldSize;
            return this;
        }

        /**
         * Codec.
         *
         * @param codec the codec, the same on every rank.
         * @return this.
         */
        public Builder codec(final Codec codec)
        {
            this.codec = codec;
            return this;
        }

        /**
         * Window (slots and chunks in flight).
         *
         * @param window a power of two, at most 32768.
         * @return this.
         */
        public Builder window(final int window)
        {
            this.window = window;
            return this;
        }

        /**
         * Elements per packet.
         *
         * @param elementsPerPacket 1 to {@link FrameDescriptor#MAX_ELEMENTS_PER_PACKET}.
         * @return this.
         */
        public Builder elementsPerPacket(final int elementsPerPacket)
        {
            this.elementsPerPacket = elementsPerPacket;
            return this;
        }

        /**
         * Progress timeout.
         *
         * @param timeoutNs nanoseconds without a result before a call fails.
         * @return this.
         */
        public Builder timeoutNs(final long timeoutNs)
        {
            this.timeoutNs = timeoutNs;
            return this;
        }

        /**
         * Join timeout.
         *
         * @param joinTimeoutNs nanoseconds to wait for all ranks to join.
         * @return this.
         */
        public Builder joinTimeoutNs(final long joinTimeoutNs)
        {
            this.joinTimeoutNs = joinTimeoutNs;
            return this;
        }

        /**
         * Retransmission timeouts.
         *
         * @param initialRtoNs before round-trip samples.
         * @param minRtoNs     lower bound.
         * @param maxRtoNs     upper bound after back-off.
         * @return this.
         */
        public Builder retransmitTimeouts(final long initialRtoNs, final long minRtoNs, final long maxRtoNs)
        {
            this.initialRtoNs = initialRtoNs;
            this.minRtoNs = minRtoNs;
            this.maxRtoNs = maxRtoNs;
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
         * Busy-poll instead of blocking: the thread that runs the socket (the network thread, or the caller with
         * {@link #callerRuns(boolean)}) and a blocked caller poll without waiting and yield the core to any other
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
         * Caller-runs I/O: the thread that joins drives the collective's socket itself, inside each call, as MPI
         * progresses inside MPI calls; there is no network thread to hand each call to and wake the caller from,
         * which saves two thread wake-ups per call (the latency of small all-reduces) and a thread per rank.
         * That thread must then make every call, including {@code close}: calls from other threads throw
         * {@link IllegalStateException}, and the async variants run the call to completion before they return.
         * Between calls nothing runs, which costs nothing: a rank has no duties between calls. Off by default.
         *
         * @param callerRuns true for caller-runs I/O; with {@link #busyPoll(boolean)} the caller spins, yielding
         *                   the core between polls, instead of blocking in {@code epoll_wait}.
         * @return this.
         */
        public Builder callerRuns(final boolean callerRuns)
        {
            this.callerRuns = callerRuns;
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
         * Mode: {@link Mode#EXACT} (default) or {@link Mode#BOUNDED}.
         *
         * @param mode the mode.
         * @return this.
         */
        public Builder mode(final Mode mode)
        {
            this.mode = mode;
            return this;
        }

        /**
         * Bounded mode: a chunk finishes with at least the quorum once this time has passed since its first
         * contribution (default 20 ms). Also bounds how long a worker waits for a result before filling the chunk
         * from its own values (this plus a few retransmission timeouts).
         *
         * @param deadlineNs nanoseconds, from 100 µs to one hour.
         * @return this.
         */
        public Builder deadlineNs(final long deadlineNs)
        {
            this.deadlineNs = deadlineNs;
            return this;
        }

        /**
         * Bounded mode: fewest contributions a chunk may finish with (default half the ranks, rounded up).
         *
         * @param quorum ranks, within [1, worldSize].
         * @return this.
         */
        public Builder quorum(final int quorum)
        {
            this.quorum = quorum;
            return this;
        }

        /**
         * Bounded mode: let the aggregator use twice the 95th percentile of recent complete chunks' times (from
         * first to last contribution) as the deadline, capped by {@link #deadlineNs}. Off by default.
         *
         * @param adaptive whether to adapt.
         * @return this.
         */
        public Builder adaptiveDeadline(final boolean adaptive)
        {
            this.adaptiveDeadline = adaptive;
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
        public WorkerConfig build()
        {
            require(worldSize >= 1 && worldSize <= FrameDescriptor.MAX_WORLD_SIZE,
                "worldSize must be within [1, " + FrameDescriptor.MAX_WORLD_SIZE + "], got " + worldSize +
                " (set it with worldSize(..) or " + Configuration.WORLD_SIZE_ENV_NAME + ")");
            require(rank >= 0 && rank < worldSize,
                "rank must be within [0, worldSize=" + worldSize + "), got " + rank +
                " (set it with rank(..) or " + Configuration.RANK_ENV_NAME + ")");
            require(codec != null, "codec must be set");
            require(isPowerOfTwo(window) && window <= 32768,
                "window must be a power of two within [1, 32768], got " + window);
            final int maxElements = maxElementsPerPacket(codec, worldSize, FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
            require(elementsPerPacket >= 1 && elementsPerPacket <= maxElements,
                "elementsPerPacket must be within [1, " + maxElements + "] for " + codec + " and worldSize " +
                worldSize + " (" + maxElementsPerPacket(codec, worldSize, 1472) + " fits a 1500-byte MTU), got " +
                elementsPerPacket);
            require(mode != null, "mode must be set");
            require(deadlineNs >= MIN_DEADLINE_NS && deadlineNs <= MAX_DEADLINE_NS,
                "deadlineNs must be within [100 µs, 1 h], got " + deadlineNs + " ns (" +
                Configuration.DEADLINE_MS_ENV_NAME + " is in milliseconds)");
            require(quorum >= 0 && quorum <= worldSize,
                "quorum must be within [1, worldSize=" + worldSize + "], got " + quorum);
            require(aggregatorHost != null && !aggregatorHost.isBlank(),
                "aggregator host must be set (aggregator(\"host:port\") or " + Configuration.AGGREGATOR_ENV_NAME + ")");
            require(aggregatorPort > 0 && aggregatorPort < 65536,
                "aggregator port must be within [1, 65535], got " + aggregatorPort);
            requirePositive(timeoutNs, "timeoutNs");
            requirePositive(joinTimeoutNs, "joinTimeoutNs");
            requirePositive(initialRtoNs, "initialRtoNs");
            requirePositive(minRtoNs, "minRtoNs");
            require(maxRtoNs >= minRtoNs, "maxRtoNs (" + maxRtoNs + ") must be >= minRtoNs (" + minRtoNs + ")");
            require(socketBufferBytes >= 64 * 1024,
                "socketBufferBytes must be at least 64 KiB, got " + socketBufferBytes);
            require(transport != null, "transport must be set");
            require(sendLoss != null && receiveLoss != null, "loss generators must not be null");
            return new WorkerConfig(this);
        }
    }
}
