package dev.ina.config;

import dev.ina.transport.LossGenerator;

import static dev.ina.config.Setting.ms;

/**
 * Every setting of {@link AggregatorConfig}, declared once, and the checks that compare settings with each other.
 */
final class AggregatorSettings
{
    static final SettingList LIST = new SettingList("AggregatorConfig");

    static final Setting<String> BIND = LIST.add(Setting.host("bindAddress", "INA_BIND", "0.0.0.0"));
    static final Setting<Integer> PORT = LIST.add(Setting.integer("port", "INA_PORT", HostPort.DEFAULT_PORT,
        0, 65535));
    static final Setting<Long> POOL = LIST.add(Setting.bytes("poolBytes", "INA_POOL_MIB", 256L * 1024 * 1024,
        64 * 1024));
    static final Setting<Integer> MAX_JOBS = LIST.add(Setting.integer("maxJobs", null, 64, 1, Integer.MAX_VALUE));
    static final Setting<Integer> MAX_WINDOW = LIST.add(Setting.integer("maxWindow", null, 4096, 1, 32768)
        .check("a power of two within [1, 32768]", Parsers::isPowerOfTwo));
    static final Setting<Integer> THREADS = LIST.add(Setting.integer("threads", "INA_AGGREGATOR_THREADS", 1, 1, 64));
    static final Setting<Long> JOB_FORM_TIMEOUT = LIST.add(Setting.duration("jobFormTimeoutNs",
        "INA_JOB_FORM_TIMEOUT_MS", ms(120_000), 1, Long.MAX_VALUE).setBy("jobTimeouts"));
    static final Setting<Long> JOB_IDLE_TIMEOUT = LIST.add(Setting.duration("jobIdleTimeoutNs",
        "INA_JOB_IDLE_TIMEOUT_MS", ms(600_000), 1, Long.MAX_VALUE).setBy("jobTimeouts"));
    static final Setting<Integer> SOCKET_BUFFER = LIST.add(Setting.integer("socketBufferBytes", null,
        4 * 1024 * 1024, 64 * 1024, Integer.MAX_VALUE).shownAs(Parsers::bytes));
    static final Setting<Boolean> BUSY_POLL = LIST.add(Setting.bool("busyPoll", "INA_BUSY_POLL"));
    static final Setting<TransportKind> TRANSPORT = LIST.add(Setting.enumeration("transport", "INA_TRANSPORT",
        TransportKind.AUTO));
    static final Setting<String> SECRETS_FILE = LIST.add(Setting.file("secretsFile", "INA_AGGREGATOR_SECRETS"));
    static final Setting<JobSecrets> JOB_SECRETS = LIST.add(Setting.<JobSecrets>codeOnly("jobSecrets",
        JobSecrets.NONE, "job secrets", v -> v == JobSecrets.NONE ? null : v.toString()));
    static final Setting<Boolean> REQUIRE_SECRET = LIST.add(Setting.bool("requireSecret", "INA_REQUIRE_SECRET"));
    static final Setting<Integer> UNPROVEN_REPLY_RATE = LIST.add(Setting.integer("unprovenReplyRate",
        "INA_UNPROVEN_REPLY_RATE", 1000, 10, 1_000_000));
    static final Setting<LossGenerator> SEND_LOSS = LIST.add(Setting.lossHook("sendLoss"));
    static final Setting<LossGenerator> RECEIVE_LOSS = LIST.add(Setting.lossHook("receiveLoss"));

    private AggregatorSettings()
    {
    }

    /**
     * Checks every setting, then those that depend on each other.
     *
     * @param values to check.
     * @throws IllegalArgumentException naming the first setting to change and where it came from.
     */
    static void check(final SettingValues values)
    {
        values.checkEach();
        final int port = values.get(PORT);
        final int threads = values.get(THREADS);
        if (port != 0 && port + threads - 1 > 65535)
        {
            throw new IllegalArgumentException("thread i listens on port + i: " + values.describe(PORT) + " and " +
                values.describe(THREADS) + " need ports up to " + (port + threads - 1) + ", above 65535");
        }
        if (values.get(POOL) / threads < 64 * 1024)
        {
            throw new IllegalArgumentException("each thread holds poolBytes / threads, which must be at least " +
                "64 KiB: " + values.describe(POOL) + ", " + values.describe(THREADS));
        }
        final boolean hasFile = values.get(SECRETS_FILE) != null;
        if (hasFile && values.isSet(JOB_SECRETS))
        {
            throw new IllegalArgumentException("give the job secrets either in a file (" +
                values.describe(SECRETS_FILE) + ") or in code (jobSecrets(..)), not both");
        }
        if (values.get(REQUIRE_SECRET) && !hasFile && values.get(JOB_SECRETS) == JobSecrets.NONE)
        {
            throw new IllegalArgumentException(values.describe(REQUIRE_SECRET) + " refuses every job without a " +
                "secret, but no secrets are given: set " + SECRETS_FILE.howToSet() + " to a file of " +
                "'<job> <secret>' lines");
        }
    }

    /**
     * The job secrets the values give: read from the secrets file if one is named, else those given in code.
     *
     * @param values checked values.
     * @return the secrets.
     * @throws IllegalArgumentException naming the file and line that cannot be used.
     */
    static JobSecrets jobSecrets(final SettingValues values)
    {
        final String file = values.get(SECRETS_FILE);
        return file == null ? values.get(JOB_SECRETS) :
            JobSecrets.read(java.nio.file.Path.of(file), values.subject(SECRETS_FILE));
    }
}
