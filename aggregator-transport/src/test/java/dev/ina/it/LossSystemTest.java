package dev.ina.it;

import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.status.CounterDescriptor;
import dev.ina.transport.LossGenerator;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EXACT mode under random datagram loss, injected with {@link LossGenerator#random} on every send and receive of
 * every worker and of the aggregator (one generator per endpoint and direction: they are not thread safe). Lost
 * contributions and results are retransmitted, so every call still completes with every rank's contribution,
 * bit-identical on every rank and within the codec's bound; nothing hangs.
 */
class LossSystemTest
{
    private static final int ELEMENTS_PER_PACKET = 256;
    private static final int CALLS_PER_SIZE = 2;

    static Stream<Arguments> cases()
    {
        // Loss rate in each direction at each endpoint, ranks, codec, window, largest size. At 20 % loss a round
        // trip survives with 0.8^4 = 41 %, the window collapses and most chunks wait for a timeout: keep it small.
        return Stream.of(
            Arguments.of(0.05, 3, Codec.FIXED32, 64, 20_003),
            Arguments.of(0.05, 2, Codec.FP32, 64, 40_003),
            Arguments.of(0.20, 2, Codec.FIXED32, 8, 10_003),
            Arguments.of(0.20, 3, Codec.FP32, 64, 10_003));
    }

    @ParameterizedTest(name = "{0} loss each way, world {1}, {2}, window {3}")
    @MethodSource("cases")
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldStayExactAndIdenticalOnEveryRankWhenDatagramsAreLost(
        final double rate, final int worldSize, final Codec codec, final int window, final int largest)
        throws Exception
    {
        final int[] sizes = {1, 257, 5_000, largest};
        final long seed = Double.doubleToLongBits(rate) * 31 + worldSize * 7L + codec.ordinal();
        final AggregatorConfig aggregatorConfig = AggregatorConfig.builder()
            .bindAddress("127.0.0.1")
            .port(0)
            .loss(LossGenerator.random(rate, seed), LossGenerator.random(rate, seed + 1))
            .build();
        try (AggregatorServer server = AggregatorServer.start(aggregatorConfig))
        {
            final int calls = sizes.length * CALLS_PER_SIZE;
            final List<Outcome> outcomes = RankThreads.run("loss", worldSize, 80_000, rank ->
            {
                final WorkerConfig config = WorkerConfig.builder()
                    .aggregator("127.0.0.1", server.port())
                    .jobId(7)
                    .rank(rank)
                    .worldSize(worldSize)
                    .codec(codec)
                    .elementsPerPacket(ELEMENTS_PER_PACKET)
                    .window(window)
                    .retransmitTimeouts(
                        TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.MILLISECONDS.toNanos(1),
                        TimeUnit.MILLISECONDS.toNanos(20))
                    .timeoutNs(TimeUnit.SECONDS.toNanos(20))
                    .joinTimeoutNs(TimeUnit.SECONDS.toNanos(20))
                    .loss(LossGenerator.random(rate, seed + 10 + 2 * rank),
                        LossGenerator.random(rate, seed + 11 + 2 * rank))
                    .build();
                final Outcome outcome = new Outcome(calls);
                try (Collective collective = Collective.join(config))
                {
                    for (int call = 0; call < calls; call++)
                    {
                        final float[] data = new float[sizes[call / CALLS_PER_SIZE]];
                        TestData.fill(data, rank, call);
                        final ReduceStats stats = collective.allReduce(data, op(call));
                        assertEquals(data.length, stats.elements(), "rank " + rank + " call " + call);
                        assertTrue(stats.isComplete(worldSize), "rank " + rank + " call " + call + ": " + stats);
                        outcome.results[call] = data;
                        outcome.retransmits += stats.retransmits();
                    }
                    outcome.retransmitCounter = collective.counters().get(CounterDescriptor.RETRANSMITS);
                }
                return outcome;
            });

            final List<String> failures = new ArrayList<>();
            for (int call = 0; call < calls; call++)
            {
                final List<float[]> perRank = new ArrayList<>();
                for (final Outcome outcome : outcomes)
                {
                    perRank.add(outcome.results[call]);
                }
                final String bad = TestData.checkRanks(
                    perRank, worldSize, call, codec, ELEMENTS_PER_PACKET, op(call) == ReduceOp.AVG);
                if (bad != null)
                {
                    failures.add("call " + call + " (" + perRank.get(0).length + " elements, " + op(call) + "): " +
                        bad);
                }
            }
            assertTrue(failures.isEmpty(), failures.size() + " bad results:\n" + String.join("\n", failures));
            long retransmits = 0;
            for (final Outcome outcome : outcomes)
            {
                retransmits += outcome.retransmits;
                assertTrue(outcome.retransmitCounter >= outcome.retransmits,
                    "counter " + outcome.retransmitCounter + " counts at least the calls' " + outcome.retransmits);
            }
            assertTrue(retransmits > 0, "with " + rate + " loss some rank must have retransmitted");
        }
    }

    private static ReduceOp op(final int call)
    {
        return call % 2 == 0 ? ReduceOp.SUM : ReduceOp.AVG;
    }

    private static final class Outcome
    {
        final float[][] results;
        long retransmits;
        long retransmitCounter;

        Outcome(final int calls)
        {
            results = new float[calls][];
        }
    }
}
