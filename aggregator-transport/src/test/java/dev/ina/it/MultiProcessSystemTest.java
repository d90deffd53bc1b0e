package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.config.AggregatorConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Workers as separate JVM processes ({@link TestWorkerMain}), each with its own event loop, sockets and JIT,
 * against an aggregator in this JVM or in a process of its own ({@link TestAggregatorMain}). Each worker writes
 * its last result to a file (little-endian floats); the results must be bit-identical and within the codec's bound
 * of the double reference.
 */
class MultiProcessSystemTest
{
    private static final int ELEMENTS = 100_003;
    private static final int ELEMENTS_PER_PACKET = 1024;
    private static final int CALLS = 3;
    private static final int TIMEOUT_MS = 20_000;
    private static final long PROCESS_TIMEOUT_MS = 60_000;

    static Stream<Arguments> cases()
    {
        // codec, workers, whether the aggregator runs in a process of its own
        return Stream.of(
            Arguments.of(Codec.FIXED32, 4, false),
            Arguments.of(Codec.FP32, 3, true));
    }

    @ParameterizedTest(name = "{0}, {1} worker processes, aggregator process {2}")
    @MethodSource("cases")
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldWriteIdenticalBoundedResultsWhenWorkersAreSeparateProcesses(
        final Codec codec, final int worldSize, final boolean aggregatorProcess, @TempDir final Path dir)
        throws Exception
    {
        assertTrue(ELEMENTS % ELEMENTS_PER_PACKET != 0, "the last chunk must be partial");
        final List<AutoCloseable> resources = new ArrayList<>();
        try
        {
            final int port;
            if (aggregatorProcess)
            {
                final JvmProcess aggregator = JvmProcess.start(
                    "aggregator", null, JvmProcess.inaJvmFlags(), TestAggregatorMain.class, "127.0.0.1", "0");
                resources.add(aggregator);
                final Matcher matcher = Pattern.compile("LISTENING (\\d+)")
                    .matcher(aggregator.awaitOutput("LISTENING", PROCESS_TIMEOUT_MS));
                assertTrue(matcher.find(), aggregator::output);
                port = Integer.parseInt(matcher.group(1));
            }
            else
            {
                final AggregatorServer server = AggregatorServer.start(
                    AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build());
                resources.add(server);
                port = server.port();
            }

            final List<JvmProcess> workers = new ArrayList<>();
            final List<Path> files = new ArrayList<>();
            for (int rank = 0; rank < worldSize; rank++)
            {
                final Path file = dir.resolve("rank-" + rank + ".f32");
                files.add(file);
                final JvmProcess worker = JvmProcess.start("worker-" + rank, null, JvmProcess.inaJvmFlags(),
                    TestWorkerMain.class, "127.0.0.1:" + port, "42", Integer.toString(rank),
                    Integer.toString(worldSize), codec.name(), Integer.toString(ELEMENTS), Integer.toString(CALLS),
                    Integer.toString(ELEMENTS_PER_PACKET), Integer.toString(TIMEOUT_MS), file.toString());
                resources.add(worker);
                workers.add(worker);
            }

            final List<float[]> results = new ArrayList<>();
            for (int rank = 0; rank < worldSize; rank++)
            {
                final JvmProcess worker = workers.get(rank);
                final int exit = worker.waitFor(PROCESS_TIMEOUT_MS);
                assertEquals(0, exit, "worker " + rank + " exit code; output:\n" + worker.output());
                assertTrue(worker.output().contains("DONE"), worker::output);
                results.add(readFloats(files.get(rank)));
            }
            for (int rank = 0; rank < worldSize; rank++)
            {
                assertEquals(ELEMENTS, results.get(rank).length, "rank " + rank + " result length");
            }
            assertNull(TestData.checkRanks(results, worldSize, CALLS - 1, codec, ELEMENTS_PER_PACKET, false));
        }
        finally
        {
            for (int i = resources.size() - 1; i >= 0; i--)
            {
                resources.get(i).close();
            }
        }
    }

    private static float[] readFloats(final Path file) throws Exception
    {
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, bytes.remaining() % Float.BYTES, file + " holds whole floats");
        final float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }
}
