package dev.ina.config;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every setting read from the environment and from system properties, through the declared descriptors.
 */
class SettingSourceTest
{
    /** A non-default, valid value for every worker setting that has a variable. */
    private static final Map<String, String> WORKER_ENV = Map.ofEntries(
        Map.entry("INA_AGGREGATOR", "[fe80::1]:4000"),
        Map.entry("INA_JOB", "-7"),
        Map.entry("INA_RANK", "3"),
        Map.entry("INA_WORLD_SIZE", "6"),
        Map.entry("INA_CODEC", "fixed32"),
        Map.entry("INA_WINDOW", "16"),
        Map.entry("INA_ELEMENTS_PER_PACKET", "1024"),
        Map.entry("INA_MODE", "bounded"),
        Map.entry("INA_DEADLINE_MS", "2.5"),
        Map.entry("INA_QUORUM", "4"),
        Map.entry("INA_ADAPTIVE_DEADLINE", "yes"),
        Map.entry("INA_TIMEOUT_MS", "1500"),
        Map.entry("INA_JOIN_TIMEOUT_MS", "300000"),
        Map.entry("INA_BIND", "127.0.0.2"),
        Map.entry("INA_BUSY_POLL", "true"),
        Map.entry("INA_CALLER_RUNS", "1"),
        Map.entry("INA_TRANSPORT", "NIO"),
        Map.entry("INA_SECRET", "a secret of the job, 32 bytes  "));
    /** Settings whose every text is a value (a file name, a secret): they cannot fail to parse. */
    private static final Set<String> FREE_TEXT = Set.of("INA_SECRET", "INA_SECRET_FILE", "INA_AGGREGATOR_SECRETS");
    /** Worker settings that exclude one of {@link #WORKER_ENV}'s, read in {@code SecretsConfigTest}. */
    private static final Set<String> TESTED_APART = Set.of("INA_SECRET_FILE");

    @Test
    void shouldReadEveryWorkerSettingFromItsVariableAndKeepItThroughToBuilder()
    {
        for (final Setting<?> setting : WorkerSettings.LIST.settings())
        {
            assertTrue(setting.envName == null || WORKER_ENV.containsKey(setting.envName) ||
                TESTED_APART.contains(setting.envName), setting.envName);
        }
        final WorkerConfig config = WorkerConfig.fromSource(new SettingSource(WORKER_ENV, new Properties())).build();
        assertEquals("fe80::1", config.aggregatorHost());
        assertEquals(4000, config.aggregatorPort());
        assertEquals(-7, config.jobId());
        assertEquals(3, config.rank());
        assertEquals(6, config.worldSize());
        assertEquals(Codec.FIXED32, config.codec());
        assertEquals(16, config.window());
        assertEquals(1024, config.elementsPerPacket());
        assertEquals(Mode.BOUNDED, config.mode());
        assertEquals(2_500_000L, config.deadlineNs());
        assertEquals(4, config.quorum());
        assertTrue(config.adaptiveDeadline());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1500), config.timeoutNs());
        assertEquals(TimeUnit.MINUTES.toNanos(5), config.joinTimeoutNs());
        assertEquals("127.0.0.2", config.bindAddress());
        assertTrue(config.busyPoll() && config.callerRuns());
        assertEquals(TransportKind.NIO, config.transport());
        assertEquals(config.toString(), config.toBuilder().build().toString());
        assertTrue(config.toString().startsWith("WorkerConfig{aggregator=[fe80::1]:4000, jobId=-7, rank=3, "),
            config.toString());
        assertTrue(config.toString().contains("deadline=2.5 ms") && config.toString().contains("joinTimeout=300000 ms"),
            config.toString());
        assertEquals("a secret of the job, 32 bytes", new String(config.secret(), StandardCharsets.UTF_8));
        assertTrue(config.toString().contains("secret=(hidden)") && !config.toString().contains("32 bytes"),
            config.toString());
    }

    @Test
    void shouldPreferThePropertyToTheVariableAndNameItInErrors()
    {
        final Properties properties = new Properties();
        properties.setProperty("ina.join.timeout.ms", "90000");
        properties.setProperty("ina.rank", "1");
        final Map<String, String> env = Map.of("INA_JOIN_TIMEOUT_MS", "1000", "INA_RANK", "0", "INA_WORLD_SIZE", "2");
        final WorkerConfig config = WorkerConfig.fromSource(new SettingSource(env, properties)).build();
        assertEquals(TimeUnit.SECONDS.toNanos(90), config.joinTimeoutNs());
        assertEquals(1, config.rank());

        properties.setProperty("ina.window", "48");
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromSource(new SettingSource(env, properties)).build());
        assertEquals("-Dina.window must be a power of two within [1, 32768], got 48", bad.getMessage());
    }

    @Test
    void shouldRejectAnEmptyOrBlankVariableOrPropertyNamingIt()
    {
        for (final Setting<?> setting : WorkerSettings.LIST.settings())
        {
            if (setting.envName == null)
            {
                continue;
            }
            for (final String blank : new String[] {"", "  "})
            {
                final IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
                    () -> WorkerConfig.fromSource(new SettingSource(Map.of(setting.envName, blank), new Properties())));
                assertTrue(env.getMessage().startsWith(setting.envName + " is set but empty: set it to "),
                    env.getMessage());
                final Properties properties = new Properties();
                properties.setProperty(setting.propName, blank);
                final IllegalArgumentException property = assertThrows(IllegalArgumentException.class,
                    () -> WorkerConfig.fromSource(new SettingSource(Map.of(), properties)));
                assertTrue(property.getMessage().startsWith("-D" + setting.propName + " is set but empty"),
                    property.getMessage());
            }
        }
    }

    @Test
    void shouldNameTheVariableAndWhatItMustBeWhenAnyWorkerOrAggregatorValueDoesNotParse()
    {
        final Map<String, String> expected = Map.of(
            "INA_JOB", "INA_JOB must be an integer, got 'not a value'",
            "INA_RANK", "INA_RANK must be an integer of at least 0, got 'not a value'",
            "INA_CODEC", "INA_CODEC must be one of FP32, FIXED32, INT16, INT8, INT8_NARROW (any case), got 'not a " +
            "value': unknown Codec 'not a value'; use one of [FP32, FIXED32, INT16, INT8, INT8_NARROW]",
            "INA_TIMEOUT_MS", "INA_TIMEOUT_MS must be a positive duration, got 'not a value'",
            "INA_BUSY_POLL", "INA_BUSY_POLL must be true or false (also yes/no, 1/0), got 'not a value'",
            "INA_POOL_MIB", "INA_POOL_MIB must be a size of at least 64 KiB, got 'not a value'",
            "INA_PORT", "INA_PORT must be an integer within [0, 65535], got 'not a value'");
        for (final SettingList list : new SettingList[] {WorkerSettings.LIST, AggregatorSettings.LIST})
        {
            for (final Setting<?> setting : list.settings())
            {
                if (setting.envName == null || FREE_TEXT.contains(setting.envName))
                {
                    continue;
                }
                final Map<String, String> env = Map.of(setting.envName, "not a value");
                final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> list.read(new SettingSource(env, new Properties())), setting.envName);
                assertTrue(bad.getMessage().startsWith(setting.envName + " must be " + setting.expected + ", got "),
                    bad.getMessage());
                if (expected.containsKey(setting.envName))
                {
                    assertEquals(expected.get(setting.envName), bad.getMessage());
                }
            }
        }
    }

    @Test
    void shouldSayWhichSettingIsMissingAndHowToSetItWhenRankAndWorldSizeAreNotGiven()
    {
        final IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromSource(new SettingSource(Map.of(), new Properties())).build());
        assertEquals("rank is not set: set rank(..), INA_RANK or -Dina.rank, or start the workers with a launcher " +
            "(mpirun, srun, torchrun, a Kubernetes indexed Job)", none.getMessage());

        final IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromSource(new SettingSource(Map.of("INA_RANK", "4", "INA_WORLD_SIZE", "4"),
            new Properties())).build());
        assertEquals("rank 4 (from INA_RANK) must be below worldSize 4 (from INA_WORLD_SIZE)", outside.getMessage());

        final IllegalArgumentException code = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.builder().rank(0).worldSize(2).window(3).build());
        assertEquals("window(..) must be a power of two within [1, 32768], got 3", code.getMessage());

        final IllegalArgumentException deadline = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromSource(new SettingSource(Map.of("INA_RANK", "0", "INA_WORLD_SIZE", "1",
            "INA_DEADLINE_MS", "0.05"), new Properties())).build());
        assertEquals("INA_DEADLINE_MS must be a duration within [0.1 ms, 3600000 ms], got 0.05 ms",
            deadline.getMessage());
    }

    @Test
    void shouldReadEveryAggregatorSettingAndNameTheVariableInBuildErrors() throws IOException
    {
        final Path secrets = Files.createTempFile("ina-secrets-", ".txt",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(secrets, "7 0123456789abcdef0123456789abcdef\n");
        secrets.toFile().deleteOnExit();
        final Map<String, String> env = new HashMap<>(Map.of(
            "INA_BIND", "127.0.0.1",
            "INA_PORT", "0",
            "INA_POOL_MIB", "8",
            "INA_AGGREGATOR_THREADS", "2",
            "INA_JOB_FORM_TIMEOUT_MS", "600000",
            "INA_JOB_IDLE_TIMEOUT_MS", "1200000",
            "INA_BUSY_POLL", "no",
            "INA_TRANSPORT", "epoll"));
        env.put("INA_AGGREGATOR_SECRETS", secrets.toString());
        env.put("INA_REQUIRE_SECRET", "yes");
        env.put("INA_UNPROVEN_REPLY_RATE", "50");
        for (final Setting<?> setting : AggregatorSettings.LIST.settings())
        {
            assertTrue(setting.envName == null || env.containsKey(setting.envName), setting.envName);
        }
        final AggregatorConfig config = AggregatorConfig.fromSource(new SettingSource(env, new Properties())).build();
        assertEquals("127.0.0.1", config.bindAddress());
        assertEquals(0, config.port());
        assertEquals(8L << 20, config.poolBytes());
        assertEquals(2, config.threads());
        assertEquals(TimeUnit.MINUTES.toNanos(10), config.jobFormTimeoutNs());
        assertEquals(TimeUnit.MINUTES.toNanos(20), config.jobIdleTimeoutNs());
        assertEquals(TransportKind.EPOLL, config.transport());
        assertEquals(config.toString(), config.toBuilder().build().toString());
        assertTrue(config.toString().contains("poolBytes=8 MiB"), config.toString());
        assertEquals(secrets.toString(), config.secretsFile());
        assertTrue(config.jobSecrets().contains(7) && config.jobSecrets().size() == 1 && config.requireSecret());
        assertEquals(50, config.unprovenReplyRate());
        assertTrue(!config.toString().contains("0123456789abcdef"), config.toString());

        env.put("INA_PORT", "70000");
        final IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
            () -> AggregatorConfig.fromSource(new SettingSource(env, new Properties())).build());
        assertEquals("INA_PORT must be an integer within [0, 65535], got 70000", port.getMessage());

        env.put("INA_PORT", "65535");
        final IllegalArgumentException threads = assertThrows(IllegalArgumentException.class,
            () -> AggregatorConfig.fromSource(new SettingSource(env, new Properties())).build());
        assertTrue(threads.getMessage().contains("port 65535 (from INA_PORT)") &&
            threads.getMessage().contains("threads 2 (from INA_AGGREGATOR_THREADS)"), threads.getMessage());

        final IllegalArgumentException pool = assertThrows(IllegalArgumentException.class,
            () -> AggregatorConfig.builder().poolBytes(1024).build());
        assertEquals("poolBytes(..) must be a size of at least 64 KiB, got 1 KiB", pool.getMessage());
        assertNull(WorkerConfig.builder().rank(0).worldSize(1).build().bindAddress(), "wildcard by default");
    }
}
