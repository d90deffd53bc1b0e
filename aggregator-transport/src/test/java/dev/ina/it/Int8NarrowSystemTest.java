package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.transport.LossGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * INT8_NARROW over loopback UDP: four ranks and a real {@link AggregatorServer}, 5 % datagram loss at every
 * endpoint in both directions (so contributions are retransmitted and results resent). Every rank must receive
 * bit-identical results, one byte per element down, each within {@code (n + 2^k)} INT8 steps {@code 2^(E - 6)} of
 * a double-precision reference computed here ({@code k = 2} for 4 ranks), divided by {@code n} for AVG.
 */
class Int8NarrowSystemTest
{
    private static final int WORLD_SIZE = 4;
    /** ceil(log2 4): each result is the sum divided by 4, stochastically rounded. */
    private static final int RESULT_SHIFT = 2;
    private static final int ELEMENTS_PER_PACKET = 8192;
    private static final int[] SIZES = {1, 8191, 8192, 8193, 200_003};
    private static final double LOSS = 0.05;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldGiveEveryRankTheSameBoundedResultsWithOneByteDownWhenDatagramsAreLost() throws Exception
    {
        final AggregatorConfig aggregatorConfig = AggregatorConfig.builder()
            .bindAddress("127.0.0.1")
            .port(0)
            .loss(LossGenerator.random(LOSS, 1), LossGenerator.random(LOSS, 2))
            .build();
        final int calls = 2 * SIZES.length;
        final AtomicLong retransmits = new AtomicLong();
        try (AggregatorServer server = AggregatorServer.start(aggregatorConfig))
        {
            final List<float[][]> results = RankThreads.run("int8-narrow", WORLD_SIZE, 80_000, rank ->
            {
                final WorkerConfig config = WorkerConfig.builder()
                    .aggregator("127.0.0.1", server.port())
                    .jobId(23)
                    .rank(rank)
                    .worldSize(WORLD_SIZE)
                    .codec(Codec.INT8_NARROW)
                    .elementsPerPacket(ELEMENTS_PER_PACKET)
                    .window(16)
                    .retransmitTimeouts(
                        TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.MILLISECONDS.toNanos(1),
                        TimeUnit.MILLISECONDS.toNanos(20))
                    .timeoutNs(TimeUnit.SECONDS.toNanos(20))
                    .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20))
                    .loss(LossGenerator.random(LOSS, 10 + rank), LossGenerator.random(LOSS, 20 + rank))
                    .build();
                final float[][] out = new float[calls][];
                try (Collective collective = Collective.join(config))
                {
                    for (int call = 0; call < calls; call++)
                    {
                        final float[] data = new float[SIZES[call / 2]];
                        TestData.fill(data, rank, call);
                        final ReduceStats stats = collective.allReduce(data, op(call));
                        final String where = "rank " + rank + " call " + call + ": " + stats;
                        assertTrue(stats.isComplete(WORLD_SIZE), where);
                        retransmits.addAndGet(stats.retransmits());
                        // One byte per element down, plus a header per result (data and exponent chunks).
                        final int chunks = (data.length + ELEMENTS_PER_PACKET - 1) / ELEMENTS_PER_PACKET;
                        assertTrue(stats.bytesDown() >= data.length &&
                            stats.bytesDown() <= data.length + 2L * chunks * FrameDescriptor.HEADER_LENGTH, where);
                        out[call] = data;
                    }
                }
                return out;
            });

            final List<String> failures = new ArrayList<>();
            for (int call = 0; call < calls; call++)
            {
                for (int rank = 1; rank < WORLD_SIZE; rank++)
                {
                    if (!Arrays.equals(results.get(0)[call], results.get(rank)[call]))
                    {
                        failures.add("call " + call + ": rank " + rank + " differs from rank 0");
                    }
                }
                final String bad = check(results.get(0)[call], call);
                if (bad != null)
                {
                    failures.add("call " + call + " (" + op(call) + ", " + SIZES[call / 2] + " elements): " + bad);
                }
            }
            assertTrue(failures.isEmpty(), failures.size() + " bad results:\n" + String.join("\n", failures));
            assertTrue(retransmits.get() > 0, "with " + LOSS + " loss some rank must have retransmitted");
            assertEquals(0, waitForJobEnd(server), "the job ended");
        }
    }

    private static ReduceOp op(final int call)
    {
        return call % 2 == 0 ? ReduceOp.SUM : ReduceOp.AVG;
    }

    /**
     * The reference: the double sum of every rank's values; the bound: {@code n} INT8 steps for the ranks'
     * rounding plus {@code 2^k} for the aggregator's, at the chunk's largest exponent.
     */
    private static String check(final float[] result, final int call)
    {
        final boolean average = op(call) == ReduceOp.AVG;
        for (int start = 0; start < result.length; start += ELEMENTS_PER_PACKET)
        {
            final int end = Math.min(result.length, start + ELEMENTS_PER_PACKET);
            int exponent = Integer.MIN_VALUE;
            for (int i = start; i < end; i++)
            {
                for (int r = 0; r < WORLD_SIZE; r++)
                {
                    exponent = Math.max(exponent, Math.getExponent(TestData.value(r, call, i)));
                }
            }
            final double steps = WORLD_SIZE + (1 << RESULT_SHIFT);
            final double bound = steps * Math.scalb(1.0d, exponent - 6) / (average ? WORLD_SIZE : 1);
            for (int i = start; i < end; i++)
            {
                double reference = 0;
                for (int r = 0; r < WORLD_SIZE; r++)
                {
                    reference += TestData.value(r, call, i);
                }
                if (average)
                {
                    reference /= WORLD_SIZE;
                }
                if (!(Math.abs(result[i] - reference) <= bound + Math.ulp(result[i])))
                {
                    return "element " + i + ": got " + result[i] + ", reference " + reference + ", bound " + bound;
                }
            }
        }
        return null;
    }

    private static int waitForJobEnd(final AggregatorServer server) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.jobCount() > 0 && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(10);
        }
        return server.jobCount();
    }
}
