package dev.ina.spark35;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.spark.BarrierOptions;
import dev.ina.spark.InaSpark;
import io.netty.util.Version;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * INA inside Spark 3.5 (Netty 4.1 on the class path) through ina-transport-shaded: a barrier-stage all-reduce in
 * {@code local[4]} with exact FIXED32 sums, over native epoll.
 */
@Timeout(120)
class Spark35SystemTest
{
    private static final int RANKS = 4;
    private static final int ROWS = 400;
    private static final int ELEMENTS = 3000;

    private static JavaSparkContext spark;

    /** What a rank reports back. */
    record RankResult(int rank, boolean epoll, String nettyClass, float[] sums) implements Serializable
    {
    }

    @BeforeAll
    static void startSpark()
    {
        spark = new JavaSparkContext(new SparkConf()
            .setMaster("local[" + RANKS + "]")
            .setAppName("ina-spark35-test")
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.ui.enabled", "false"));
    }

    @AfterAll
    static void stopSpark()
    {
        if (spark != null)
        {
            spark.stop();
        }
    }

    @Test
    void shouldRunOnSpark35WithNetty41OnTheClassPath()
    {
        assertEquals("3.5.9", spark.version());
        final String netty = Version.identify().get("netty-common").artifactVersion();
        assertTrue(netty.startsWith("4.1."), "Spark 3.5's Netty is on the class path: " + netty);
        // INA's unshaded transport needs Netty 4.2's IoHandler, which 4.1 does not have.
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.netty.channel.IoHandler"));
    }

    @Test
    void shouldAllReduceExactFixed32SumsOverNativeEpollInBarrierStage()
    {
        final JavaRDD<Integer> rows = spark.parallelize(
            IntStream.range(0, ROWS).boxed().collect(Collectors.toList()), RANKS);
        final BarrierOptions options = BarrierOptions.builder()
            .worker(b -> b.codec(Codec.FIXED32))
            .aggregatorOnRank0(b -> b.bindAddress("127.0.0.1"))
            .build();
        final List<RankResult> results = InaSpark.barrierCollect(rows, options, (it, collective) ->
        {
            final float[] data = new float[ELEMENTS];
            while (it.hasNext())
            {
                final int row = it.next();
                for (int j = 0; j < ELEMENTS; j++)
                {
                    data[j] += value(row, j);
                }
            }
            collective.allReduce(data, ReduceOp.SUM);
            return new RankResult(collective.rank(), collective.isEpoll(),
                collective.getClass().getClassLoader().loadClass("dev.ina.shaded.io.netty.channel.Channel").getName(),
                data);
        });

        final float[] expected = reference(rows.glom().collect());
        assertEquals(RANKS, results.size());
        for (int r = 0; r < RANKS; r++)
        {
            final RankResult result = results.get(r);
            assertEquals(r, result.rank());
            assertTrue(result.epoll(), "rank " + r + " runs INA's relocated native epoll transport");
            assertEquals("dev.ina.shaded.io.netty.channel.Channel", result.nettyClass());
            assertArrayEquals(expected, result.sums(), "rank " + r);
        }
    }

    private static int value(final int row, final int element)
    {
        return (row * 13 + element * 29) % 257 - 128;
    }

    private static float[] reference(final List<List<Integer>> partitions)
    {
        final long[] sums = new long[ELEMENTS];
        final List<Integer> all = new ArrayList<>();
        partitions.forEach(all::addAll);
        for (final int row : all)
        {
            for (int j = 0; j < ELEMENTS; j++)
            {
                sums[j] += value(row, j);
            }
        }
        final float[] expected = new float[ELEMENTS];
        for (int j = 0; j < ELEMENTS; j++)
        {
            expected[j] = sums[j];
        }
        return expected;
    }
}
