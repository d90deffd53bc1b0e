package dev.ina.spark;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Barrier stages in {@code local[4,4]}: 4 task slots, and a task may fail 4 times (with {@code local[4]}'s single
 * allowed failure, a failed barrier task aborts the job instead of letting Spark retry the stage).
 */
@Timeout(120)
class InaSparkSystemTest
{
    private static final int SLOTS = 4;
    private static final int ROWS = 1000;
    private static final int ELEMENTS = 5000;
    private static final Map<Integer, Integer> FAILED_ATTEMPT_JOB_IDS = new ConcurrentHashMap<>();

    private static JavaSparkContext spark;

    /** What a rank reports back. */
    record RankResult(int rank, int worldSize, int jobId, int stageAttempt, float[] sums) implements Serializable
    {
    }

    @BeforeAll
    static void startSpark()
    {
        spark = new JavaSparkContext(new SparkConf()
            .setMaster("local[" + SLOTS + "," + SLOTS + "]")
            .setAppName("ina-spark-test")
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.ui.enabled", "false")
            .set("spark.stage.maxConsecutiveAttempts", "4"));
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
    void shouldSumFixed32ExactlyAcrossPartitionsWithAggregatorOnRank0()
    {
        final JavaRDD<Integer> rows = rows(SLOTS);
        final List<RankResult> results = InaSpark.barrierCollect(
            rows, b -> b.codec(Codec.FIXED32), (it, collective) -> sumRows(it, collective, 2));

        assertRanks(results, SLOTS);
        final float[] expected = reference(rows.glom().collect(), 2);
        for (final RankResult result : results)
        {
            assertEquals(0, result.stageAttempt());
            assertEquals(results.get(0).jobId(), result.jobId(), "one job id for every rank");
            assertArrayEquals(expected, result.sums(), "rank " + result.rank());
        }
    }

    @Test
    void shouldRetryFailedStageAttemptWithNewJobIdAndComplete()
    {
        final JavaRDD<Integer> rows = rows(SLOTS);
        final BarrierOptions options = BarrierOptions.builder()
            .worker(b -> b.codec(Codec.FIXED32))
            .aggregatorOnRank0(b -> b.bindAddress("127.0.0.1"))
            .build();
        final List<RankResult> results = InaSpark.barrierCollect(rows, options, (it, collective) ->
        {
            final BarrierTaskContext context = BarrierTaskContext.get();
            if (context.stageAttemptNumber() == 0 && collective.rank() == 1)
            {
                // One all-reduce in, rank 1 of the first attempt fails: the others block in their next call.
                collective.allReduce(new float[ELEMENTS], ReduceOp.SUM);
                FAILED_ATTEMPT_JOB_IDS.put(context.stageId(), collective.config().jobId());
                throw new IllegalStateException("injected failure of rank 1 in attempt 0");
            }
            return sumRows(it, collective, 2);
        });

        assertRanks(results, SLOTS);
        final RankResult first = results.get(0);
        assertEquals(1, first.stageAttempt(), "the second attempt completed");
        assertEquals(1, FAILED_ATTEMPT_JOB_IDS.size());
        final int failedJobId = FAILED_ATTEMPT_JOB_IDS.values().iterator().next();
        assertNotEquals(failedJobId, first.jobId(), "a retried attempt joins with a new job id");
        final float[] expected = reference(rows.glom().collect(), 2);
        for (final RankResult result : results)
        {
            assertEquals(first.jobId(), result.jobId());
            assertEquals(1, result.stageAttempt());
            assertArrayEquals(expected, result.sums(), "rank " + result.rank());
        }
    }

    @Test
    void shouldJoinExternalAggregatorStartedByDriver()
    {
        try (AggregatorServer server = AggregatorServer.start(
            AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build()))
        {
            final JavaRDD<Integer> rows = rows(3);
            final BarrierOptions options = BarrierOptions.builder()
                .worker(b -> b.codec(Codec.FIXED32).elementsPerPacket(1024))
                .externalAggregator("127.0.0.1:" + server.port())
                .build();
            final List<RankResult> results = InaSpark.barrierCollect(
                rows, options, (it, collective) -> sumRows(it, collective, 3));

            assertRanks(results, 3);
            final float[] expected = reference(rows.glom().collect(), 3);
            for (final RankResult result : results)
            {
                assertArrayEquals(expected, result.sums(), "rank " + result.rank());
            }
            assertEquals(0, server.jobCount(), "every rank left the job");
        }
    }

    @Test
    void shouldFailFastWhenPartitionsExceedSlots()
    {
        final JavaRDD<Integer> rows = rows(SLOTS + 1);
        final IllegalStateException failure = assertThrows(IllegalStateException.class, () ->
            InaSpark.barrier(rows, WorkerTemplate.DEFAULTS, (it, collective) -> collective.rank()));

        final String message = failure.getMessage();
        assertTrue(message.contains("needs " + (SLOTS + 1) + " task slots"), message);
        assertTrue(message.contains("offers " + SLOTS), message);
        assertTrue(message.contains("at most " + SLOTS + " partitions"), message);
    }

    @Test
    void shouldRejectInvalidWorkerTemplateOnDriver()
    {
        final IllegalArgumentException failure = assertThrows(IllegalArgumentException.class, () ->
            InaSpark.barrier(rows(2), b -> b.window(3), (it, collective) -> collective.rank()));

        assertTrue(failure.getMessage().contains("window"), failure.getMessage());
    }

    @Test
    void shouldParseExecutorAddresses()
    {
        assertEquals("10.0.0.5", BarrierTask.hostOf("10.0.0.5:41234"));
        assertEquals("host-a", BarrierTask.hostOf("host-a"));
        assertEquals("fe80::1", BarrierTask.hostOf("[fe80::1]:41234"));
    }

    private static JavaRDD<Integer> rows(final int partitions)
    {
        return spark.parallelize(IntStream.range(0, ROWS).boxed().collect(Collectors.toList()), partitions);
    }

    /**
     * Rank's contribution to call c, element j: the sum over its rows r of a small integer. Integers well inside
     * FIXED32's precision, so the sums are exact.
     */
    private static int value(final int row, final int call, final int element)
    {
        return (row * 31 + element * 17 + call * 7) % 201 - 100;
    }

    private static RankResult sumRows(final Iterator<Integer> it, final Collective collective, final int calls)
    {
        final List<Integer> mine = new ArrayList<>();
        it.forEachRemaining(mine::add);
        float[] data = null;
        for (int call = 0; call < calls; call++)
        {
            data = new float[ELEMENTS];
            for (final int row : mine)
            {
                for (int j = 0; j < ELEMENTS; j++)
                {
                    data[j] += value(row, call, j);
                }
            }
            collective.allReduce(data, ReduceOp.SUM);
        }
        final BarrierTaskContext context = BarrierTaskContext.get();
        return new RankResult(collective.rank(), collective.worldSize(), collective.config().jobId(),
            context.stageAttemptNumber(), data);
    }

    /** The last call's sums over every row, in long arithmetic on the driver. */
    private static float[] reference(final List<List<Integer>> partitions, final int calls)
    {
        final long[] sums = new long[ELEMENTS];
        for (final List<Integer> partition : partitions)
        {
            for (final int row : partition)
            {
                for (int j = 0; j < ELEMENTS; j++)
                {
                    sums[j] += value(row, calls - 1, j);
                }
            }
        }
        final float[] expected = new float[ELEMENTS];
        for (int j = 0; j < ELEMENTS; j++)
        {
            expected[j] = sums[j];
        }
        return expected;
    }

    private static void assertRanks(final List<RankResult> results, final int worldSize)
    {
        assertEquals(worldSize, results.size());
        for (int r = 0; r < worldSize; r++)
        {
            assertEquals(r, results.get(r).rank(), "result r comes from rank r");
            assertEquals(worldSize, results.get(r).worldSize());
        }
    }
}
