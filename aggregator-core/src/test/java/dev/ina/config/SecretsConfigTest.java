package dev.ina.config;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job secrets of aggregators (a file of {@code <job> <secret>} lines) and workers ({@code INA_SECRET},
 * {@code INA_SECRET_FILE}): parsing, permission checks, and messages that name the file, line or variable but
 * never a secret.
 */
class SecretsConfigTest
{
    private static final String SECRET = "0123456789abcdef0123456789abcdef";
    private static final String OTHER = "fedcba9876543210fedcba9876543210";

    private final List<Path> files = new ArrayList<>();

    @AfterEach
    void deleteFiles() throws IOException
    {
        for (final Path file : files)
        {
            Files.deleteIfExists(file);
        }
    }

    private Path file(final String mode, final String content) throws IOException
    {
        final Path file = Files.createTempFile("ina-secrets-", ".txt",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        files.add(file);
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private static void assertNoSecretIn(final String text)
    {
        assertFalse(text.contains(SECRET) || text.contains(OTHER) || text.contains("short"), text);
    }

    @Test
    void shouldReadJobsByNumberOrNameSkippingBlankAndCommentLinesWhenTheFileIsPrivate() throws IOException
    {
        final Path path = file("rw-r-----", "# jobs of the cluster\n\n7 " + SECRET + "\n  -3\t" + OTHER +
            "  \nmy-run " + SECRET + "\n");
        final AggregatorConfig config = AggregatorConfig.builder().secretsFile(path.toString()).build();
        final JobSecrets secrets = config.jobSecrets();
        assertEquals(3, secrets.size());
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), secrets.secretOf(7));
        assertArrayEquals(OTHER.getBytes(StandardCharsets.UTF_8), secrets.secretOf(-3));
        assertTrue(secrets.contains(Launcher.jobId("my-run")), "a name maps as a launcher's job identity does");
        assertFalse(secrets.contains(8));
        assertNull(secrets.secretOf(8));
        assertEquals("3 job secrets", secrets.toString());
        assertNoSecretIn(config.toString());
        assertFalse(config.requireSecret(), "only listed jobs need a secret by default");
    }

    @Test
    void shouldNameTheFileAndLineButNeverTheSecretWhenALineCannotBeUsed() throws IOException
    {
        final String[][] cases = {
            {"7 " + SECRET + "\n8 " + OTHER + " extra\n", "line 2 has 3 fields"},
            {"# ok\n7 short\n", "line 2: the secret for job 7 has 5 bytes, fewer than 16"},
            {"7 " + SECRET + "\n\n7 " + OTHER + "\n", "line 3: job 7 is listed again (first on line 1)"},
        };
        for (final String[] c : cases)
        {
            final Path path = file("rw-------", c[0]);
            final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> AggregatorConfig.builder().secretsFile(path.toString()).build());
            assertTrue(bad.getMessage().startsWith("secretsFile(..): " + path + " line"), bad.getMessage());
            assertTrue(bad.getMessage().contains(c[1]), bad.getMessage());
            assertNoSecretIn(bad.getMessage());
        }
    }

    @Test
    void shouldRefuseASecretsFileThatOtherUsersMayReadOrChange() throws IOException
    {
        for (final String mode : new String[] {"rw-r--r--", "rw-rw----", "rw-----w-"})
        {
            final Path path = file(mode, "7 " + SECRET + "\n");
            final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> AggregatorConfig.fromSource(new SettingSource(
                Map.of("INA_AGGREGATOR_SECRETS", path.toString()), new Properties())).build(), mode);
            assertEquals("INA_AGGREGATOR_SECRETS: the secrets file " + path + " has mode " + mode + ": other users " +
                "may read it or change it, and it holds the jobs' secrets; run 'chmod 600 " + path + "' (or 640 " +
                "for a group of operators)", bad.getMessage());
        }
        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> AggregatorConfig.builder().secretsFile("/nonexistent/ina-secrets").build());
        assertTrue(missing.getMessage().startsWith("secretsFile(..): cannot read /nonexistent/ina-secrets (" +
            "java.nio.file.NoSuchFileException"), missing.getMessage());
    }

    @Test
    void shouldSayWhereSecretsComeFromWhenEveryJobNeedsOneButNoneAreGiven() throws IOException
    {
        final IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
            () -> AggregatorConfig.fromSource(new SettingSource(Map.of("INA_REQUIRE_SECRET", "true"),
            new Properties())).build());
        assertEquals("requireSecret true (from INA_REQUIRE_SECRET) refuses every job without a secret, but no " +
            "secrets are given: set secretsFile(..), INA_AGGREGATOR_SECRETS or -Dina.aggregator.secrets to a file " +
            "of '<job> <secret>' lines", none.getMessage());

        final Path path = file("rw-------", "7 " + SECRET + "\n");
        final IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
            () -> AggregatorConfig.builder().secretsFile(path.toString())
            .jobSecrets(JobSecrets.of(Map.of(7, SECRET.getBytes(StandardCharsets.UTF_8)))).build());
        assertTrue(both.getMessage().startsWith("give the job secrets either in a file"), both.getMessage());

        final IllegalArgumentException shortOne = assertThrows(IllegalArgumentException.class,
            () -> JobSecrets.of(Map.of(9, "short".getBytes(StandardCharsets.UTF_8))));
        assertEquals("the secret for job 9 has 5 bytes, fewer than 16: generate one with 'openssl rand -hex 32'",
            shortOne.getMessage());
        assertTrue(AggregatorConfig.builder().requireSecret(true)
            .jobSecrets(JobSecrets.of(Map.of(9, SECRET.getBytes(StandardCharsets.UTF_8)))).build().requireSecret());
    }

    @Test
    void shouldReadTheWorkersSecretFromItsFileWithoutTheLineEnd() throws IOException
    {
        final Path path = file("rw-------", "  " + SECRET + "\n");
        final WorkerConfig config = WorkerConfig.fromSource(new SettingSource(
            Map.of("INA_SECRET_FILE", path.toString(), "INA_RANK", "0", "INA_WORLD_SIZE", "2"), new Properties()))
            .build();
        assertTrue(config.hasSecret());
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), config.secret());
        assertTrue(config.toString().contains("secretFile=" + path), config.toString());
        assertNoSecretIn(config.toString());

        final Path readable = file("rw-r--r--", OTHER);
        assertArrayEquals(OTHER.getBytes(StandardCharsets.UTF_8), WorkerConfig.builder().rank(0).worldSize(1)
            .secretFile(readable.toString()).build().secret(), "a readable file is used, with a warning");

        final WorkerConfig open = WorkerConfig.builder().rank(0).worldSize(1).build();
        assertFalse(open.hasSecret());
        assertNull(open.secret());
        assertFalse(open.toString().contains("secret"), open.toString());
    }

    @Test
    void shouldNameTheVariableButNeverTheSecretWhenTheWorkersSecretCannotBeUsed() throws IOException
    {
        final IllegalArgumentException shortOne = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromSource(new SettingSource(Map.of("INA_SECRET", "short", "INA_RANK", "0",
            "INA_WORLD_SIZE", "2"), new Properties())).build());
        assertEquals("the secret from INA_SECRET has 5 bytes, fewer than 16: use the job's secret as listed in " +
            "the aggregator's INA_AGGREGATOR_SECRETS file (generate one with 'openssl rand -hex 32')",
            shortOne.getMessage());

        final Path path = file("rw-------", SECRET);
        final IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.builder().rank(0).worldSize(1).secret(OTHER).secretFile(path.toString()).build());
        assertEquals("the job's secret is given twice, by secret(..) and by secretFile(..): keep one (a file keeps " +
            "it out of the environment)", both.getMessage());
        assertNoSecretIn(both.getMessage());

        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.builder().rank(0).worldSize(1).secretFile("/nonexistent/secret").build());
        assertTrue(missing.getMessage().startsWith("secretFile(..): cannot read /nonexistent/secret (" +
            "java.nio.file.NoSuchFileException"), missing.getMessage());
    }
}
