package dev.ina.config;

import dev.ina.transport.LossGenerator;

import java.util.Map;

import static dev.ina.config.AggregatorSettings.BIND;
import static dev.ina.config.AggregatorSettings.BUSY_POLL;
import static dev.ina.config.AggregatorSettings.JOB_FORM_TIMEOUT;
import static dev.ina.config.AggregatorSettings.JOB_IDLE_TIMEOUT;
import static dev.ina.config.AggregatorSettings.JOB_SECRETS;
import static dev.ina.config.AggregatorSettings.MAX_JOBS;
import static dev.ina.config.AggregatorSettings.MAX_WINDOW;
import static dev.ina.config.AggregatorSettings.POOL;
import static dev.ina.config.AggregatorSettings.PORT;
import static dev.ina.config.AggregatorSettings.RECEIVE_LOSS;
import static dev.ina.config.AggregatorSettings.REQUIRE_SECRET;
import static dev.ina.config.AggregatorSettings.SECRETS_FILE;
import static dev.ina.config.AggregatorSettings.SEND_LOSS;
import static dev.ina.config.AggregatorSettings.SOCKET_BUFFER;
import static dev.ina.config.AggregatorSettings.THREADS;
import static dev.ina.config.AggregatorSettings.TRANSPORT;
import static dev.ina.config.AggregatorSettings.UNPROVEN_REPLY_RATE;

/**
 * Immutable configuration of an aggregator. Build with {@link #builder()} or {@link #fromEnvironment()};
 * {@link Builder#build()} checks every value and says what to change, naming the environment variable, system
 * property or builder method the value came from.
 */
public final class AggregatorConfig
{
    private final SettingValues values;
    private final JobSecrets jobSecrets;

    private AggregatorConfig(final SettingValues values, final JobSecrets jobSecrets)
    {
        this.values = values;
        this.jobSecrets = jobSecrets;
    }

    /**
     * A builder with defaults.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder(AggregatorSettings.LIST.defaults());
    }

    /**
     * A builder filled from system properties ({@code -Dina.port}, ...), which win, then environment variables
     * ({@code INA_PORT}, {@code INA_BIND}, {@code INA_POOL_MIB}, {@code INA_AGGREGATOR_THREADS},
     * {@code INA_JOB_FORM_TIMEOUT_MS}, {@code INA_JOB_IDLE_TIMEOUT_MS}, {@code INA_BUSY_POLL},
     * {@code INA_TRANSPORT}, {@code INA_AGGREGATOR_SECRETS}, {@code INA_REQUIRE_SECRET},
     * {@code INA_UNPROVEN_REPLY_RATE}).
     *
     * @return a new builder.
     * @throws IllegalArgumentException naming the variable or property that is empty or does not parse.
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
     * @throws IllegalArgumentException naming the variable or property that is empty or does not parse.
     */
    public static Builder fromEnvironment(final Map<String, String> env)
    {
        return new Builder(AggregatorSettings.LIST.read(SettingSource.of(env)));
    }

    static Builder fromSource(final SettingSource source)
    {
        return new Builder(AggregatorSettings.LIST.read(source));
    }

    /** {@return address to bind, {@code 0.0.0.0} by default} */
    public String bindAddress()
    {
        return values.get(BIND);
    }

    /** {@return UDP port to bind; 0 picks a free port (see the server's bound port)} */
    public int port()
    {
        return values.get(PORT);
    }

    /** {@return bytes of sums all jobs together may hold: each job takes {@code 2 * window * elementsPerPacket * 4}} */
    public long poolBytes()
    {
        return values.get(POOL);
    }

    /** {@return jobs served at once} */
    public int maxJobs()
    {
        return values.get(MAX_JOBS);
    }

    /** {@return largest window granted to a job, in slots} */
    public int maxWindow()
    {
        return values.get(MAX_WINDOW);
    }

    /** {@return nanoseconds a job may take until all its ranks joined} */
    public long jobFormTimeoutNs()
    {
        return values.get(JOB_FORM_TIMEOUT);
    }

    /** {@return nanoseconds a started job may stay silent before it is ended and its slots freed} */
    public long jobIdleTimeoutNs()
    {
        return values.get(JOB_IDLE_TIMEOUT);
    }

    /** {@return requested SO_RCVBUF and SO_SNDBUF in bytes} */
    public int socketBufferBytes()
    {
        return values.get(SOCKET_BUFFER);
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
        return values.get(THREADS);
    }

    /** {@return whether the event loop busy-polls} */
    public boolean busyPoll()
    {
        return values.get(BUSY_POLL);
    }

    /** {@return event loop implementation} */
    public TransportKind transport()
    {
        return values.get(TRANSPORT);
    }

    /**
     * The file of {@code <job> <secret>} lines the job secrets were read from, which the server reloads when it
     * changes; see {@link JobSecrets#read}.
     *
     * @return the file name, or null if none was given.
     */
    public String secretsFile()
    {
        return values.get(SECRETS_FILE);
    }

    /**
     * The job secrets, read from {@link #secretsFile()} when the configuration was built, or given in code. A JOIN
     * for a listed job must prove the job's secret.
     *
     * @return the secrets; {@link JobSecrets#NONE} if none.
     */
    public JobSecrets jobSecrets()
    {
        return jobSecrets;
    }

    /**
     * Whether every job needs a secret: a JOIN for a job without one is refused with the answers a listed job
     * gives a JOIN without a proof or with a wrong one ({@code ERROR_SECRET_REQUIRED}, {@code ERROR_PROOF_FAILED}),
     * so nobody without a listed job's secret can create a job, fill the job table or disturb a job, and a refusal
     * does not tell which jobs are listed. When false (the default), jobs without a secret are open to anyone who
     * can reach the port, as on a private network.
     *
     * @return true to require a secret for every job.
     */
    public boolean requireSecret()
    {
        return values.get(REQUIRE_SECRET);
    }

    /**
     * Most ERROR and CHALLENGE replies per second that each engine thread sends to JOINs that proved nothing (a
     * bucket of as many, refilled at this rate); each source address gets at most
     * {@code min(10, rate)} per second. Beyond that such JOINs are dropped and counted, so spoofed JOINs cannot
     * turn the aggregator into a reflector.
     *
     * @return replies per second per engine thread.
     */
    public int unprovenReplyRate()
    {
        return values.get(UNPROVEN_REPLY_RATE);
    }

    /** {@return test hook: loss applied to sent datagrams} */
    public LossGenerator sendLoss()
    {
        return values.get(SEND_LOSS);
    }

    /** {@return test hook: loss applied to received datagrams} */
    public LossGenerator receiveLoss()
    {
        return values.get(RECEIVE_LOSS);
    }

    /**
     * A builder holding this configuration's values, to derive a variant.
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
     * Builder of {@link AggregatorConfig}. Not thread safe.
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
         * Engine threads, each serving a share of the jobs on its own port.
         *
         * @param threads 1 to 64.
         * @return this.
         */
        public Builder threads(final int threads)
        {
            return set(THREADS, threads);
        }

        /**
         * Address to bind.
         *
         * @param bindAddress address or host name.
         * @return this.
         */
        public Builder bindAddress(final String bindAddress)
        {
            return set(BIND, bindAddress);
        }

        /**
         * UDP port.
         *
         * @param port 0 for any free port.
         * @return this.
         */
        public Builder port(final int port)
        {
            return set(PORT, port);
        }

        /**
         * Slot pool size.
         *
         * @param poolBytes bytes of sums all jobs may hold.
         * @return this.
         */
        public Builder poolBytes(final long poolBytes)
        {
            return set(POOL, poolBytes);
        }

        /**
         * Jobs served at once.
         *
         * @param maxJobs at least 1.
         * @return this.
         */
        public Builder maxJobs(final int maxJobs)
        {
            return set(MAX_JOBS, maxJobs);
        }

        /**
         * Largest window granted to a job.
         *
         * @param maxWindow a power of two.
         * @return this.
         */
        public Builder maxWindow(final int maxWindow)
        {
            return set(MAX_WINDOW, maxWindow);
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
            set(JOB_FORM_TIMEOUT, formTimeoutNs);
            return set(JOB_IDLE_TIMEOUT, idleTimeoutNs);
        }

        /**
         * Requested socket buffer sizes.
         *
         * @param bytes SO_RCVBUF and SO_SNDBUF.
         * @return this.
         */
        public Builder socketBufferBytes(final int bytes)
        {
            return set(SOCKET_BUFFER, bytes);
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
            return set(BUSY_POLL, busyPoll);
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
         * Reads the job secrets from a file of {@code <job> <secret>} lines (mode 600: a file other users may read
         * is refused); the server reloads it when it changes.
         *
         * @param file the file name.
         * @return this.
         */
        public Builder secretsFile(final String file)
        {
            return set(SECRETS_FILE, file);
        }

        /**
         * Job secrets given in code instead of a file.
         *
         * @param secrets the secrets.
         * @return this.
         */
        public Builder jobSecrets(final JobSecrets secrets)
        {
            return set(JOB_SECRETS, secrets);
        }

        /**
         * Require a secret for every job: JOINs for jobs without one are refused.
         *
         * @param require true to refuse jobs without a secret.
         * @return this.
         */
        public Builder requireSecret(final boolean require)
        {
            return set(REQUIRE_SECRET, require);
        }

        /**
         * Most ERROR and CHALLENGE replies per second to JOINs that proved nothing, per engine thread.
         *
         * @param repliesPerSecond 10 to 1 000 000.
         * @return this.
         */
        public Builder unprovenReplyRate(final int repliesPerSecond)
        {
            return set(UNPROVEN_REPLY_RATE, repliesPerSecond);
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
         * @throws IllegalArgumentException saying which value to change and where it came from.
         */
        public AggregatorConfig build()
        {
            AggregatorSettings.check(values);
            return new AggregatorConfig(values.copy(), AggregatorSettings.jobSecrets(values));
        }
    }
}
