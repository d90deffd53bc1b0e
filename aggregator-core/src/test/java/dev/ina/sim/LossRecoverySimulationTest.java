package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.status.CounterDescriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loss recovery and bounded mode on a lossy network whose ranks are descheduled now and then, as on a machine with
 * more busy processes than cores: chunks are sent again about as often as the loss needs, not whenever a peer is
 * slow; a rank that dies does not stall the others in bounded mode; and bounded mode keeps most sums whole.
 * Counted, not timed: every figure is the engines' own.
 */
class LossRecoverySimulationTest
{
    private static final int WORLD_SIZE = 4;
    private static final int WINDOW = 8;
    private static final int EPP = 64;
    private static final int ELEMENTS = 48 * EPP;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int MAX_STEPS = 20_000_000;

    /**
     * Per chunk and rank, the loss needs one payload retransmission when the contribution was lost (rate
     * {@code p}) and one query when the result was lost ({@code p}): {@code 2p}. Both, together, stay within
     * 1.5 times that, while ranks pause for up to 3 ms at random.
     */
    @ParameterizedTest(name = "{0} at {1} loss")
    @CsvSource({"FP32, 0.01", "FP32, 0.05", "FIXED32, 0.01", "FIXED32, 0.05", "INT8_NARROW, 0.01",
        "INT8_NARROW, 0.05"})
    void shouldSendAgainAboutWhatTheLossNeedsWhenRanksAreSlowToo(final String codecName, final double loss)
    {
        final Codec codec = Codec.valueOf(codecName);
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, WORLD_SIZE, codec, WINDOW, EPP)
                .retransmitTimeouts(2 * MS, MS / 5, 100 * MS).build())
            .links(LinkProfile.of(loss, 0, 0), LinkProfile.of(loss, 0, 0))
            .delayNs(TimeUnit.MICROSECONDS.toNanos(50))
            .pauses(0.002, 3 * MS)
            .seed(17).build();
        net.joinAll(MAX_STEPS);
        final int calls = 40;
        long chunkRanks = 0;
        long resent = 0;
        long queries = 0;
        for (int call = 0; call < calls; call++)
        {
            final float[][] inputs = ReferenceSums.gradients(call, WORLD_SIZE, ELEMENTS);
            final float[][] data = ReferenceSums.copy(inputs);
            net.allReduce(data, ReduceOp.SUM, MAX_STEPS);
            net.assertNoneFailed();
            assertEquals(null, ReferenceSums.check(inputs, data[0], EPP, codec, ReduceOp.SUM), "call " + call);
            for (int r = 0; r < WORLD_SIZE; r++)
            {
                assertArrayEquals(data[0], data[r], "rank " + r + " call " + call);
                final ReduceStats stats = net.worker(r).stats();
                chunkRanks += stats.chunks();
                resent += stats.retransmits();
                queries += stats.queries();
            }
        }
        final double perChunk = (double)(resent + queries) / chunkRanks;
        final double needed = 2 * loss;
        final String report = codec + " at " + loss + ": " + resent + " payloads and " + queries + " queries over " +
            chunkRanks + " chunk-ranks = " + perChunk + " per chunk, loss needs " + needed + "; " +
            net.aggregatorCounters();
        System.out.println(report);
        assertTrue(perChunk <= 1.5 * needed, report);
        assertTrue(resent > 0, "the loss was real and repaired: " + report);
        assertTrue(net.aggregatorCounters().get(CounterDescriptor.NACKS_SENT) > 0, report);
    }

    /**
     * The circular wait that stalled bounded mode: with quorum = the live ranks and loss, a rank that gave a chunk
     * up moved on while the others waited for it there, and it waited for them further on. Reproduced with the
     * library's default timeouts, ranks and aggregator descheduled for up to 20 ms at random (before the fix two
     * of these three cases failed with TIMEOUT: ranks 0 to 2 waiting for each other). Now a rank gives up only
     * after silence about a chunk, the
     * aggregator asks for what it lacks, a rank tells the aggregator what it gave up, and a set a rank has moved
     * past is resolved: the three survivors make every call after rank 3 dies.
     */
    @ParameterizedTest(name = "{0} at {1} loss")
    @CsvSource({"FIXED32, 0.05", "FP32, 0.05", "FIXED32, 0.01"})
    void shouldGoOnWithTheLiveRanksWhenOneDiesUnderLossAndTheQuorumIsAllOfThem(
        final String codecName, final double loss)
    {
        final Codec codec = Codec.valueOf(codecName);
        final int live = WORLD_SIZE - 1;
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, WORLD_SIZE, codec, 2 * WINDOW, EPP)
                .mode(Mode.BOUNDED).deadlineNs(5 * MS).quorum(live)
                .retransmitTimeouts(20 * MS, 10 * MS, 500 * MS).timeoutNs(TimeUnit.SECONDS.toNanos(30)).build())
            .links(LinkProfile.of(loss, 0, 0), LinkProfile.of(loss, 0, 0))
            .delayNs(TimeUnit.MICROSECONDS.toNanos(50))
            .pauses(0.0005, 20 * MS).aggregatorPauses()
            .seed(23).build();
        net.joinAll(MAX_STEPS);
        int identical = 0;
        int atLive = 0;
        final int callsAfterDeath = 120;
        for (int call = 0; call < 10 + callsAfterDeath; call++)
        {
            final int ranks = call < 10 ? WORLD_SIZE : live;
            if (call == 10)
            {
                net.kill(live);
            }
            final float[][] data = new float[ranks][];
            for (int r = 0; r < ranks; r++)
            {
                data[r] = ReferenceSums.gradients(call, WORLD_SIZE, 4 * ELEMENTS)[r];
                net.startCall(r, data[r], ReduceOp.AVG);
            }
            net.runUntil(() -> allReady(net, ranks), MAX_STEPS);
            for (int r = 0; r < ranks; r++)
            {
                assertTrue(net.worker(r).isReady(), "rank " + r + " call " + call + ": " + net.describe());
                final ReduceStats stats = net.worker(r).stats();
                assertEquals(4 * ELEMENTS,
                    stats.elementsExact() + stats.elementsPartial() + stats.elementsFilledLocally(), stats.toString());
            }
            if (call >= 10 && Arrays.equals(data[0], data[1]) && Arrays.equals(data[0], data[2]))
            {
                identical++;
            }
            if (call >= 10 && net.worker(0).stats().minContributors() == live)
            {
                atLive++;
            }
        }
        final String counters = net.aggregatorCounters().toString();
        System.out.println(codec + " at " + loss + " after a death: " + identical + " of " + callsAfterDeath +
            " calls identical on every live rank; " + counters);
        // Pauses four times the deadline make some chunks partial or filled locally (bounded mode's promise); most
        // calls still end identical on every rank.
        assertTrue(identical >= callsAfterDeath * 3 / 4, identical + " of " + callsAfterDeath + "; " + counters);
        assertTrue(atLive >= callsAfterDeath / 2, "calls whose every chunk holds the live ranks: " + atLive);
    }

    /**
     * Bounded mode on a loaded machine: ranks pause for up to 3 ms at random and 5 % of datagrams are lost each
     * way, with a 5 ms deadline. The deadline runs once the quorum is in, and lost contributions are repaired
     * within it, so most chunks hold every rank and the ranks agree.
     */
    @ParameterizedTest(name = "{0} deadline {1} ms")
    @CsvSource({"0.05, 5", "0.01, 5", "0.05, 20"})
    void shouldKeepMostSumsWholeWhenRanksPauseAndPacketsAreLost(final double loss, final int deadlineMs)
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, WORLD_SIZE, Codec.FIXED32, WINDOW, EPP)
                .mode(Mode.BOUNDED).deadlineNs(deadlineMs * MS).quorum(WORLD_SIZE - 1)
                .retransmitTimeouts(2 * MS, MS / 5, 20 * MS).build())
            .links(LinkProfile.of(loss, 0, 0), LinkProfile.of(loss, 0, 0))
            .delayNs(TimeUnit.MICROSECONDS.toNanos(50))
            .pauses(0.002, 3 * MS)
            .seed(29).build();
        net.joinAll(MAX_STEPS);
        long exact = 0;
        long total = 0;
        int identical = 0;
        final int calls = 40;
        for (int call = 0; call < calls; call++)
        {
            final float[][] data = ReferenceSums.copy(ReferenceSums.gradients(call, WORLD_SIZE, ELEMENTS));
            net.allReduce(data, ReduceOp.AVG, MAX_STEPS);
            net.assertNoneFailed();
            boolean same = true;
            for (int r = 0; r < WORLD_SIZE; r++)
            {
                exact += net.worker(r).stats().elementsExact();
                total += ELEMENTS;
                same &= Arrays.equals(data[0], data[r]);
            }
            identical += same ? 1 : 0;
        }
        final double partial = 1.0 - (double)exact / total;
        final String report = "loss " + loss + ", deadline " + deadlineMs + " ms: partial fraction " + partial +
            ", identical calls " + identical + " of " + calls + "; " + net.aggregatorCounters();
        System.out.println(report);
        assertTrue(partial < 0.10, report);
        assertTrue(identical >= calls * 9 / 10, report);
    }

    private static boolean allReady(final SimulatedNetwork net, final int ranks)
    {
        for (int r = 0; r < ranks; r++)
        {
            if (!net.worker(r).isReady())
            {
                if (net.worker(r).state() == dev.ina.worker.WorkerSession.State.FAILED)
                {
                    return true;
                }
                return false;
            }
        }
        return true;
    }
}
