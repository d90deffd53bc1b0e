package dev.ina.spark;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A barrier stage over separate executor JVMs: Spark's {@code local-cluster[2,2,1024]} (a master and two workers
 * in this JVM, each worker launching an executor process with 2 cores). The workers launch executors from
 * {@code SPARK_HOME} (set by the build to {@code target/spark-home}): this test fills its {@code jars/} with the
 * test class path and writes the empty {@code RELEASE} file that marks a Spark distribution.
 */
@Timeout(180)
class LocalClusterSystemTest
{
    private static final int EXECUTORS = 2;
    private static final int CORES = 2;
    private static final int RANKS = EXECUTORS * CORES;
    private static final int ELEMENTS = 20_000;

    /** What a rank reports back. */
    record RankResult(int rank, long pid, boolean epoll, float[] sums) implements Serializable
    {
    }

    @Test
    void shouldAllReduceAcrossExecutorProcesses() throws IOException
    {
        final String classPath = prepareSparkHome();
        final SparkConf conf = new SparkConf()
            .setMaster("local-cluster[" + EXECUTORS + "," + CORES + ",1024]")
            .setAppName("ina-spark-local-cluster-test")
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.ui.enabled", "false")
            .set("spark.executor.memory", "512m")
            .set("spark.executor.extraClassPath", classPath)
            .set("spark.executor.extraJavaOptions", System.getProperty("ina.jvm.flags", ""));
        final JavaSparkContext spark = new JavaSparkContext(conf);
        try
        {
            final JavaRDD<Integer> ranks = spark.parallelize(
                IntStream.range(0, RANKS).boxed().collect(Collectors.toList()), RANKS);
            final BarrierOptions options = BarrierOptions.builder()
                .worker(b -> b.codec(Codec.FIXED32).elementsPerPacket(1024))
                .slotWaitMs(60_000)
                .build();
            final List<RankResult> results = InaSpark.barrierCollect(ranks, options, (rows, collective) ->
            {
                final float[] data = new float[ELEMENTS];
                final int row = rows.next();
                for (int j = 0; j < ELEMENTS; j++)
                {
                    data[j] = value(row, j);
                }
                collective.allReduce(data, ReduceOp.SUM);
                return new RankResult(collective.rank(), ProcessHandle.current().pid(), collective.isEpoll(), data);
            });

            final float[] expected = new float[ELEMENTS];
            for (int j = 0; j < ELEMENTS; j++)
            {
                long sum = 0;
                for (int r = 0; r < RANKS; r++)
                {
                    sum += value(r, j);
                }
                expected[j] = sum;
            }
            final Set<Long> pids = new HashSet<>();
            for (int r = 0; r < RANKS; r++)
            {
                final RankResult result = results.get(r);
                assertEquals(r, result.rank());
                assertTrue(result.epoll(), "rank " + r + " on native epoll");
                assertArrayEquals(expected, result.sums(), "rank " + r);
                pids.add(result.pid());
            }
            assertEquals(EXECUTORS, pids.size(), "ranks ran in both executor processes");
            assertFalse(pids.contains(ProcessHandle.current().pid()), "no rank ran in the driver");
        }
        finally
        {
            spark.stop();
        }
    }

    private static int value(final int rank, final int element)
    {
        return (rank + 1) * ((element * 7919) % 1001 - 500);
    }

    /**
     * Links the test class path's jars into {@code $SPARK_HOME/jars} and returns the whole class path (directories
     * too) for the executors' {@code extraClassPath}.
     */
    private static String prepareSparkHome() throws IOException
    {
        final String sparkHome = System.getenv("SPARK_HOME");
        assertTrue(sparkHome != null && !sparkHome.isBlank(), "the build sets SPARK_HOME for this test");
        final Path home = Path.of(sparkHome);
        final Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        if (!Files.exists(home.resolve("RELEASE")))
        {
            Files.createFile(home.resolve("RELEASE"));
        }
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int index = 0;
        for (final String entry : classPath.split(File.pathSeparator))
        {
            final Path path = Path.of(entry);
            if (entry.endsWith(".jar") && Files.isRegularFile(path))
            {
                final Path link = jars.resolve(String.format("%03d-%s", index++, path.getFileName()));
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                {
                    Files.createSymbolicLink(link, path.toAbsolutePath());
                }
            }
        }
        return classPath;
    }
}
