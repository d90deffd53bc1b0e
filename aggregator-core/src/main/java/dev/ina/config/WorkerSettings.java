package dev.ina.config;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.transport.LossGenerator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import static dev.ina.config.Setting.ms;

/**
 * Every setting of {@link WorkerConfig}, declared once, and the checks that compare settings with each other.
 */
final class WorkerSettings
{
    static final SettingList LIST = new SettingList("WorkerConfig");

    static final Setting<HostPort> AGGREGATOR = LIST.add(Setting.hostPort("aggregator", "INA_AGGREGATOR",
        new HostPort("127.0.0.1", HostPort.DEFAULT_PORT)));
    static final Setting<Integer> JOB = LIST.add(Setting.integer("jobId", "INA_JOB", 1,
        Integer.MIN_VALUE, Integer.MAX_VALUE));
    static final Setting<Integer> RANK = LIST.add(Setting.integer("rank", "INA_RANK", null, 0, Integer.MAX_VALUE)
        .whenUnset("or start the workers with a launcher (mpirun, srun, torchrun, a Kubernetes indexed Job)"));
    static final Setting<Integer> WORLD_SIZE = LIST.add(Setting.integer("worldSize", "INA_WORLD_SIZE", null,
        1, FrameDescriptor.MAX_WORLD_SIZE)
        .whenUnset("or start the workers with a launcher (mpirun, srun, torchrun)"));
    static final Setting<Codec> CODEC = LIST.add(Setting.enumeration("codec", "INA_CODEC", Codec.FP32));
    static final Setting<Integer> WINDOW = LIST.add(Setting.integer("window", "INA_WINDOW", 64, 1, 32768)
        .check("a power of two within [1, 32768]", Parsers::isPowerOfTwo));
    static final Setting<Integer> ELEMENTS_PER_PACKET = LIST.add(Setting.integer("elementsPerPacket",
        "INA_ELEMENTS_PER_PACKET", 256, 1, 0xFFFF));
    static final Setting<Mode> MODE = LIST.add(Setting.enumeration("mode", "INA_MODE", Mode.EXACT));
    static final Setting<Long> DEADLINE = LIST.add(Setting.duration("deadlineNs", "INA_DEADLINE_MS", ms(20),
        100_000L, ms(3_600_000L)));
    static final Setting<Integer> QUORUM = LIST.add(Setting.integer("quorum", "INA_QUORUM", 0, 0,
        FrameDescriptor.MAX_WORLD_SIZE).check("an integer within [1, worldSize], or 0 for half the ranks", q -> true)
        .shownAs(q -> q == 0 ? "half" : q.toString()));
    static final Setting<Boolean> ADAPTIVE_DEADLINE = LIST.add(Setting.bool("adaptiveDeadline",
        "INA_ADAPTIVE_DEADLINE"));
    static final Setting<Long> TIMEOUT = LIST.add(Setting.duration("timeoutNs", "INA_TIMEOUT_MS", ms(30_000),
        1, Long.MAX_VALUE));
    static final Setting<Long> JOIN_TIMEOUT = LIST.add(Setting.duration("joinTimeoutNs", "INA_JOIN_TIMEOUT_MS",
        ms(60_000), 1, Long.MAX_VALUE));
    static final Setting<Long> INITIAL_RTO = LIST.add(Setting.duration("initialRtoNs", null, ms(20), 1,
        Long.MAX_VALUE).setBy("retransmitTimeouts"));
    static final Setting<Long> MIN_RTO = LIST.add(Setting.duration("minRtoNs", null, ms(10), 1, Long.MAX_VALUE)
        .setBy("retransmitTimeouts"));
    static final Setting<Long> MAX_RTO = LIST.add(Setting.duration("maxRtoNs", null, ms(500), 1, Long.MAX_VALUE)
        .setBy("retransmitTimeouts"));
    static final Setting<String> BIND = LIST.add(Setting.host("bindAddress", "INA_BIND", null).optional());
    static final Setting<Integer> SOCKET_BUFFER = LIST.add(Setting.integer("socketBufferBytes", null,
        4 * 1024 * 1024, 64 * 1024, Integer.MAX_VALUE).shownAs(Parsers::bytes));
    static final Setting<Boolean> BUSY_POLL = LIST.add(Setting.bool("busyPoll", "INA_BUSY_POLL"));
    static final Setting<Boolean> CALLER_RUNS = LIST.add(Setting.bool("callerRuns", "INA_CALLER_RUNS"));
    static final Setting<TransportKind> TRANSPORT = LIST.add(Setting.enumeration("transport", "INA_TRANSPORT",
        TransportKind.AUTO));
    static final Setting<String> SECRET = LIST.add(Setting.secret("secret", "INA_SECRET"));
    static final Setting<String> SECRET_FILE = LIST.add(Setting.file("secretFile", "INA_SECRET_FILE"));
    static final Setting<LossGenerator> SEND_LOSS = LIST.add(Setting.lossHook("sendLoss"));
    static final Setting<LossGenerator> RECEIVE_LOSS = LIST.add(Setting.lossHook("receiveLoss"));

    private static final System.Logger LOGGER = System.getLogger("dev.ina.config");

    private WorkerSettings()
    {
    }

    /**
     * Values from system properties, the environment and, for what those leave out, a launcher's variables.
     *
     * @param source where to read.
     * @return new values.
     */
    static SettingValues read(final SettingSource source)
    {
        final SettingValues values = LIST.read(source);
        Launchers.apply(source, values);
        return values;
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
        final int worldSize = values.get(WORLD_SIZE);
        if (values.get(RANK) >= worldSize)
        {
            throw new IllegalArgumentException(values.describe(RANK) + " must be below " +
                values.describe(WORLD_SIZE));
        }
        final Codec codec = values.get(CODEC);
        final int maxElements = WorkerConfig.maxElementsPerPacket(codec, worldSize,
            FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
        if (values.get(ELEMENTS_PER_PACKET) > maxElements)
        {
            throw new IllegalArgumentException(values.describe(ELEMENTS_PER_PACKET) + " must be within [1, " +
                maxElements + "] for " + codec + " and worldSize " + worldSize + " (" +
                WorkerConfig.maxElementsPerPacket(codec, worldSize, 1472) + " fits a 1500-byte MTU)");
        }
        if (values.get(QUORUM) > worldSize)
        {
            throw new IllegalArgumentException(values.describe(QUORUM) + " must not exceed " +
                values.describe(WORLD_SIZE));
        }
        if (values.get(MAX_RTO) < values.get(MIN_RTO))
        {
            throw new IllegalArgumentException(values.describe(MAX_RTO) + " must not be below " +
                values.describe(MIN_RTO));
        }
        if (values.get(SECRET) != null && values.get(SECRET_FILE) != null)
        {
            throw new IllegalArgumentException("the job's secret is given twice, by " + values.subject(SECRET) +
                " and by " + values.subject(SECRET_FILE) + ": keep one (a file keeps it out of the environment)");
        }
    }

    /**
     * The job's secret the values give: the text of {@link #SECRET}, or the content of {@link #SECRET_FILE}
     * without surrounding white space (a file other users may read is used, with a warning). Never logged.
     *
     * @param values checked values.
     * @return the secret's UTF-8 bytes, or null if the job has none.
     * @throws IllegalArgumentException naming the variable, property or builder method, never the secret, when
     *                                  the file cannot be read or the secret is shorter than 16 bytes.
     */
    static byte[] secret(final SettingValues values)
    {
        final String text = values.get(SECRET);
        final String file = values.get(SECRET_FILE);
        final String source;
        final byte[] secret;
        if (text != null)
        {
            source = values.subject(SECRET);
            secret = text.strip().getBytes(StandardCharsets.UTF_8);
        }
        else if (file != null)
        {
            source = values.subject(SECRET_FILE);
            secret = readSecretFile(Path.of(file), source);
        }
        else
        {
            return null;
        }
        if (secret.length < FrameProof.MIN_SECRET_LENGTH)
        {
            throw new IllegalArgumentException("the secret from " + source + " has " + secret.length + " bytes, " +
                "fewer than " + FrameProof.MIN_SECRET_LENGTH + ": use the job's secret as listed in the " +
                "aggregator's INA_AGGREGATOR_SECRETS file (generate one with 'openssl rand -hex 32')");
        }
        return secret;
    }

    private static byte[] readSecretFile(final Path path, final String source)
    {
        final Set<PosixFilePermission> permissions = JobSecrets.permissionsOf(path, source);
        if (permissions != null && permissions.contains(PosixFilePermission.OTHERS_READ))
        {
            LOGGER.log(System.Logger.Level.WARNING, source + " has mode " +
                PosixFilePermissions.toString(permissions) + ": other users can read the job's secret; run " +
                "'chmod 600 " + path + "' unless the file is private to this container");
        }
        try
        {
            return Files.readString(path, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(source + ": cannot read the job's secret from " + path + " (" + ex +
                ")", ex);
        }
    }
}
