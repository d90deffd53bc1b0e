package dev.ina.config;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.LossGenerator;

import java.util.Map;

import static dev.ina.config.WorkerSettings.ADAPTIVE_DEADLINE;
import static dev.ina.config.WorkerSettings.AGGREGATOR;
import static dev.ina.config.WorkerSettings.BIND;
import static dev.ina.config.WorkerSettings.BUSY_POLL;
import static dev.ina.config.WorkerSettings.CALLER_RUNS;
import static dev.ina.config.WorkerSettings.CODEC;
import static dev.ina.config.WorkerSettings.DEADLINE;
import static dev.ina.config.WorkerSettings.ELEMENTS_PER_PACKET;
import static dev.ina.config.WorkerSettings.INITIAL_RTO;
import static dev.ina.config.WorkerSettings.JOB;
import static dev.ina.config.WorkerSettings.JOIN_TIMEOUT;
import static dev.ina.config.WorkerSettings.MAX_RTO;
import static dev.ina.config.WorkerSettings.MIN_RTO;
import static dev.ina.config.WorkerSettings.MODE;
import static dev.ina.config.WorkerSettings.QUORUM;
import static dev.ina.config.WorkerSettings.RANK;
import static dev.ina.config.WorkerSettings.RECEIVE_LOSS;
import static dev.ina.config.WorkerSettings.SECRET;
import static dev.ina.config.WorkerSettings.SECRET_FILE;
import static dev.ina.config.WorkerSettings.SEND_LOSS;
import static dev.ina.config.WorkerSettings.SOCKET_BUFFER;
import static dev.ina.config.WorkerSettings.TIMEOUT;
import static dev.ina.config.WorkerSettings.TRANSPORT;
import static dev.ina.config.WorkerSettings.WINDOW;
import static dev.ina.config.WorkerSettings.WORLD_SIZE;

/**
 * Immutable configuration of a worker (one rank of one job). Build with {@link #builder()} or, in a launcher,
 * {@link #fromEnvironment()}; {@link Builder#build()} checks every value and says what to change, naming the
 * environment variable, system property or builder method the value came from.
 */
public final class WorkerConfig
{
    private final SettingValues values;
    private final byte[] secret;

    private WorkerConfig(final SettingValues values, final byte[] secret)
    {
        this.values = values;
        this.secret = secret;
    }

    /**
     * A builder with defaults.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder(WorkerSettings.LIST.defaults());
    }

    /**
     * A builder filled from system properties ({@code -Dina.rank}, ...), which win, then environment variables
     * ({@code INA_AGGREGATOR}, {@code INA_JOB}, {@code INA_RANK}, {@code INA_WORLD_SIZE}, {@code INA_CODEC},
     * {@code INA_TIMEOUT_MS}, {@code INA_JOIN_TIMEOUT_MS}, ...: the README's table). Rank, world size and job id
     * that those leave out come from the launcher that started the process, if any: Open MPI
     * ({@code OMPI_COMM_WORLD_RANK}, {@code OMPI_COMM_WORLD_SIZE}), Slurm ({@code SLURM_PROCID},
     * {@code SLURM_NTASKS}, {@code SLURM_JOB_ID}), torchrun ({@code RANK}, {@code WORLD_SIZE}) or a Kubernetes
     * indexed Job ({@code JOB_COMPLETION_INDEX}, with {@code INA_WORLD_SIZE}); the choice is logged once.
     *
     * @return a new builder; settings none of them give keep their defaults.
     * @throws IllegalArgumentException naming the variable or property that is empty or does not parse, or the
     *                                  launcher variables that are partial or disagree.
     */
    public static Builder fromEnvironment()
    {
        return fromEnvironment(System.getenv());
    }

    /**
     * A builder filled from system properties and the given environment, as {@link #fromEnvironment()}.
     *
     * @param env environment variables.
     * @return a new builder.
     * @throws IllegalArgumentException naming the variable or property to fix.
     */
    public static Builder fromEnvironment(final Map<String, String> env)
    {
        return new Builder(WorkerSettings.read(SettingSource.of(env)));
    }

    static Builder fromSource(final SettingSource source)
    {
        return new Builder(WorkerSettings.read(source));
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
        return Parsers.enumValue(Codec.class, name);
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
        return Parsers.enumValue(Mode.class, name);
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

    /** {@return aggregator host name or address (IPv6 without brackets)} */
    public String aggregatorHost()
    {
        return values.get(AGGREGATOR).host();
    }

    /** {@return aggregator UDP port} */
    public int aggregatorPort()
    {
        return values.get(AGGREGATOR).port();
    }

    /** {@return local address to bind, or null for the wildcard address} */
    public String bindAddress()
    {
        return values.get(BIND);
    }

    /** {@return job id, the same on every rank of the job} */
    public int jobId()
    {
        return values.get(JOB);
    }

    /** {@return rank of this worker, {@code 0 <= rank < worldSize}} */
    public int rank()
    {
        return values.get(RANK);
    }

    /** {@return number of ranks in the job} */
    public int worldSize()
    {
        return values.get(WORLD_SIZE);
    }

    /** {@return codec of the job} */
    public Codec codec()
    {
        return values.get(CODEC);
    }

    /** {@return window: slots the job owns at the aggregator and chunks in flight per worker; a power of two} */
    public int window()
    {
        return values.get(WINDOW);
    }

    /** {@return elements per packet (a full chunk)} */
    public int elementsPerPacket()
    {
        return values.get(ELEMENTS_PER_PACKET);
    }

    /** {@return mode: exact, or bounded by a deadline and quorum} */
    public Mode mode()
    {
        return values.get(MODE);
    }

    /**
     * Bounded mode: how long after its first contribution a chunk may finish with the quorum (with adaptive
     * deadlines, the upper bound).
     *
     * @return nanoseconds.
     */
    public long deadlineNs()
    {
        return values.get(DEADLINE);
    }

    /** {@return bounded mode: fewest contributions a chunk may finish with (default half the ranks, rounded up)} */
    public int quorum()
    {
        final int quorum = values.get(QUORUM);
        return quorum > 0 ? quorum : defaultQuorum(worldSize());
    }

    /** {@return bounded mode: whether the aggregator shortens the deadline to what recent chunks needed} */
    public boolean adaptiveDeadline()
    {
        return values.get(ADAPTIVE_DEADLINE);
    }

    /** {@return progress timeout in nanoseconds: a call fails when no result arrives for this long} */
    public long timeoutNs()
    {
        return values.get(TIMEOUT);
    }

    /** {@return nanoseconds to wait for all ranks to join} */
    public long joinTimeoutNs()
    {
        return values.get(JOIN_TIMEOUT);
    }

    /** {@return first retransmission timeout in nanoseconds, before round-trip samples exist} */
    public long initialRtoNs()
    {
        return values.get(INITIAL_RTO);
    }

    /** {@return lower bound of the adaptive retransmission timeout in nanoseconds} */
    public long minRtoNs()
    {
        return values.get(MIN_RTO);
    }

    /** {@return upper bound of the retransmission timeout after back-off in nanoseconds} */
    public long maxRtoNs()
    {
        return values.get(MAX_RTO);
    }

    /** {@return requested SO_RCVBUF and SO_SNDBUF in bytes} */
    public int socketBufferBytes()
    {
        return values.get(SOCKET_BUFFER);
    }

    /** {@return whether the network thread and the caller busy-poll instead of blocking} */
    public boolean busyPoll()
    {
        return values.get(BUSY_POLL);
    }

    /**
     * Whether the calling thread drives the network itself (no network thread of the collective's own).
     *
     * @return true for caller-runs I/O.
     * @see Builder#callerRuns(boolean)
     */
    public boolean callerRuns()
    {
        return values.get(CALLER_RUNS);
    }

    /** {@return event loop implementation} */
    public TransportKind transport()
    {
        return values.get(TRANSPORT);
    }

    /**
     * Whether the job has a secret ({@link Builder#secret}, {@code INA_SECRET} or {@code INA_SECRET_FILE}): the
     * worker then proves it in every JOIN and LEAVE, and accepts only acknowledgements and aborts that prove it back.
     *
     * @return true if a secret is set.
     */
    public boolean hasSecret()
    {
        return secret != null;
    }

    /**
     * The job's secret, shared by its ranks and the aggregator. Never log it.
     *
     * @return a copy of its bytes, or null if the job has none.
     */
    public byte[] secret()
    {
        return secret == null ? null : secret.clone();
    }

    /** {@return test hook: loss applied to sent datagrams, {@link LossGenerator#NONE} by default} */
    public LossGenerator sendLoss()
    {
        return values.get(SEND_LOSS);
    }

    /** {@return test hook: loss applied to received datagrams, {@link LossGenerator#NONE} by default} */
    public LossGenerator receiveLoss()
    {
        return values.get(RECEIVE_LOSS);
    }

    /**
     * A builder holding this configuration's values, to derive a variant (e.g. another rank).
     *
     * @return a new builder.
     */
    public Builder toBuilder()
    {
        return new Builder(values.copy());
    }

    @Override
    public String toString()
    {
        return values.toString();
    }

    /**
     * Builder of {@link WorkerConfig}. Not thread safe.
     */
    public static final class Builder
    {
        private final SettingValues values;

        private Builder(final SettingValues values)
        {
            this.values = values;
        }

        private <T> Builder set(final Setting<T> setting, final T value)
        {
            values.setFromCode(setting, value);
            return this;
        }

        /**
         * Aggregator address.
         *
         * @param hostAndPort {@code host:port}, or {@code host} for the default port; IPv6 as {@code [::1]:port}.
         * @return this.
         * @throws IllegalArgumentException if the text is not of that form, saying what is wrong.
         */
        public Builder aggregator(final String hostAndPort)
        {
            final String source = AGGREGATOR.codeSource();
            return set(AGGREGATOR, AGGREGATOR.parse(hostAndPort == null ? "" : hostAndPort, source));
        }

        /**
         * Aggregator address.
         *
         * @param host host name or address (IPv6 without brackets).
         * @param port UDP port, 1 to 65535.
         * @return this.
         */
        public Builder aggregator(final String host, final int port)
        {
            return set(AGGREGATOR, new HostPort(host == null ? "" : host, port));
        }

        /**
         * Local address to bind.
         *
         * @param address address, or null for the wildcard.
         * @return this.
         */
        public Builder bindAddress(final String address)
        {
            return set(BIND, address);
        }

        /**
         * Job id, shared by all ranks of a job.
         *
         * @param jobId any int.
         * @return this.
         */
        public Builder jobId(final int jobId)
        {
            return set(JOB, jobId);
        }

        /**
         * Rank of this worker.
         *
         * @param rank {@code 0 <= rank < worldSize}.
         * @return this.
         */
        public Builder rank(final int rank)
        {
            return set(RANK, rank);
        }

        /**
         * Number of ranks.
         *
         * @param worldSize 1 to {@link FrameDescriptor#MAX_WORLD_SIZE}.
         * @return this.
         */
        public Builder worldSize(final int worldSize)
        {
            return set(WORLD_SIZE, worldSize);
        }

        /**
         * Codec.
         *
         * @param codec the codec, the same on every rank.
         * @return this.
         */
        public Builder codec(final Codec codec)
        {
            return set(CODEC, codec);
        }

        /**
         * Window (slots and chunks in flight).
         *
         * @param window a power of two, at most 32768.
         * @return this.
         */
        public Builder window(final int window)
        {
            return set(WINDOW, window);
        }

        /**
         * Elements per packet.
         *
         * @param elementsPerPacket 1 to {@link FrameDescriptor#MAX_ELEMENTS_PER_PACKET}.
         * @return this.
         */
        public Builder elementsPerPacket(final int elementsPerPacket)
        {
            return set(ELEMENTS_PER_PACKET, elementsPerPacket);
        }

        /**
         * Progress timeout.
         *
         * @param timeoutNs nanoseconds without a result before a call fails.
         * @return this.
         */
        public Builder timeoutNs(final long timeoutNs)
        {
            return set(TIMEOUT, timeoutNs);
        }

        /**
         * Join timeout: how long {@code Collective.join} waits for every rank (60 s by default; a cluster launch
         * that starts ranks minutes apart needs more, and the aggregator's job form timeout with it).
         *
         * @param joinTimeoutNs nanoseconds to wait for all ranks to join.
         * @return this.
         */
        public Builder joinTimeoutNs(final long joinTimeoutNs)
        {
            return set(JOIN_TIMEOUT, joinTimeoutNs);
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
            set(INITIAL_RTO, initialRtoNs);
            set(MIN_RTO, minRtoNs);
            return set(MAX_RTO, maxRtoNs);
        }

        /**
         * Requested socket buffer sizes.
         *
         * @param bytes SO_RCVBUF and SO_SNDBUF, at least 64 KiB.
         * @return this.
         */
        public Builder socketBufferBytes(final int bytes)
        {
            return set(SOCKET_BUFFER, bytes);
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
            return set(BUSY_POLL, busyPoll);
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
            return set(CALLER_RUNS, callerRuns);
        }

        /**
         * Event loop implementation.
         *
         * @param transport kind.
         * @return this.
         */
        public Builder transport(final TransportKind transport)
        {
            return set(TRANSPORT, transport);
        }

        /**
         * Mode: {@link Mode#EXACT} (default) or {@link Mode#BOUNDED}.
         *
         * @param mode the mode.
         * @return this.
         */
        public Builder mode(final Mode mode)
        {
            return set(MODE, mode);
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
            return set(DEADLINE, deadlineNs);
        }

        /**
         * Bounded mode: fewest contributions a chunk may finish with (default half the ranks, rounded up).
         *
         * @param quorum ranks, within [1, worldSize]; 0 for the default.
         * @return this.
         */
        public Builder quorum(final int quorum)
        {
            return set(QUORUM, quorum);
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
            return set(ADAPTIVE_DEADLINE, adaptive);
        }

        /**
         * The job's secret, the same on every rank and in the aggregator's secrets file: JOINs prove it, so that
         * nobody without it can join or disturb the job. Prefer {@link #secretFile} or {@code INA_SECRET_FILE}:
         * other users of the machine can read a process's environment.
         *
         * @param secret at least 16 bytes of UTF-8 text (white space around it is dropped), or null for none.
         * @return this.
         */
        public Builder secret(final String secret)
        {
            return set(SECRET, secret);
        }

        /**
         * A file holding the job's secret (its content without surrounding white space); read when the
         * configuration is built, with a warning if other users may read it.
         *
         * @param file the file name, or null for none.
         * @return this.
         */
        public Builder secretFile(final String file)
        {
            return set(SECRET_FILE, file);
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
            set(SEND_LOSS, sendLoss);
            return set(RECEIVE_LOSS, receiveLoss);
        }

        /**
         * Checks every value and builds the configuration.
         *
         * @return the configuration.
         * @throws IllegalArgumentException saying which value to change and where it came from: an environment
         *                                  variable, a system property, a launcher's variable or a builder method.
         */
        public WorkerConfig build()
        {
            WorkerSettings.check(values);
            return new WorkerConfig(values.copy(), WorkerSettings.secret(values));
        }
    }
}
