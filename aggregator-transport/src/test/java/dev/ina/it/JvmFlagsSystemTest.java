package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.config.AggregatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Agrona 2.x needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}: a JVM started without it must
 * fail at start-up with an {@link IllegalStateException} that names the flag, for the aggregator and the worker
 * alike; the same JVM with the flag starts (so the failure is the flag's, not the set-up's).
 */
public final class JvmFlagsSystemTest
{
    private static final String FLAG = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";
    private static final long EXIT_TIMEOUT_MS = 30_000;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailAtStartUpNamingTheFlagWhenTheAggregatorJvmLacksIt() throws Exception
    {
        assertFailsNamingTheFlag("no-flags-aggregator", "aggregator");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailAtStartUpNamingTheFlagWhenTheWorkerJvmLacksIt() throws Exception
    {
        // A real aggregator to join: without the check the worker would start and print STARTED.
        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
        {
            assertFailsNamingTheFlag("no-flags-worker", "worker", Integer.toString(server.port()));
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldStartWhenTheJvmHasTheFlag() throws Exception
    {
        try (JvmProcess process = JvmProcess.start("with-flags", null, JvmProcess.inaJvmFlags(),
            StartAggregatorWithoutFlagsMain.class, "aggregator"))
        {
            final int status = process.waitFor(EXIT_TIMEOUT_MS);
            assertEquals(0, status, process.output());
            assertTrue(process.output().contains("STARTED aggregator"), process.output());
        }
    }

    private static void assertFailsNamingTheFlag(final String name, final String... args) throws Exception
    {
        for (final String variable : new String[] {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"})
        {
            final String value = System.getenv(variable);
            assumeFalse(value != null && value.contains("jdk.internal.misc"),
                variable + " adds the export to every JVM, so its absence cannot be tested here");
        }
        final List<String> flags = flagsWithoutExport();
        try (JvmProcess process = JvmProcess.start(name, null, flags, StartAggregatorWithoutFlagsMain.class, args))
        {
            final int status = process.waitFor(EXIT_TIMEOUT_MS);
            final String output = process.output();
            assertEquals(1, status, "the JVM must exit with an uncaught exception; flags " + flags + ", output:\n" +
                output);
            assertFalse(output.contains("STARTED"), output);
            assertTrue(output.contains("java.lang.IllegalStateException"), output);
            assertTrue(output.contains(FLAG), "the message must name the flag: " + output);
            assertTrue(output.contains("IllegalAccessError"), "the cause must be kept: " + output);
        }
    }

    /**
     * INA's JVM flags (JDK 25 ones included) without the export of {@code jdk.internal.misc}.
     */
    private static List<String> flagsWithoutExport()
    {
        final List<String> flags = new ArrayList<>();
        final List<String> all = JvmProcess.inaJvmFlags();
        for (int i = 0; i < all.size(); i++)
        {
            final String flag = all.get(i);
            if (flag.startsWith("--add-exports") && (flag.contains("jdk.internal.misc") ||
                i + 1 < all.size() && all.get(i + 1).contains("jdk.internal.misc")))
            {
                if (!flag.contains("jdk.internal.misc"))
                {
                    i++;
                }
                continue;
            }
            flags.add(flag);
        }
        assertFalse(String.join(" ", flags).contains("jdk.internal.misc"), flags.toString());
        return flags;
    }
}
