package dev.ina.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import dev.ina.aggregator.AggregatorServer;
import dev.ina.api.Codec;
import dev.ina.client.Collective;
import dev.ina.config.AggregatorConfig;
import dev.ina.djl.TrainingHarness.RankResult;
import dev.ina.djl.TrainingHarness.Settings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Data-parallel DJL training through a loopback aggregator, ranks as threads with their own models (PyTorch on the
 * CPU). Each rank starts from its own random parameters and trains on its own data; the tests check against
 * references they compute themselves: the all-reduced gradient is the mean of the ranks' local gradients, every
 * rank ends with the same bits, training moved the parameters and lowered the loss.
 */
@Timeout(120)
class InaTrainerSystemTest
{
    private static final AtomicInteger JOB_IDS = new AtomicInteger(100);
    private static AggregatorServer server;

    @BeforeAll
    static void startAggregator()
    {
        server = AggregatorServer.start(AggregatorConfig.builder().bindAddress("127.0.0.1").port(0).build());
    }

    @AfterAll
    static void stopAggregator()
    {
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldAverageGradientsAndKeepRanksBitIdenticalWithFp32() throws Exception
    {
        final List<RankResult> ranks = run(Settings.of("fp32", 3, Codec.FP32, 12));

        assertStartFromRankZero(ranks);
        assertBitIdentical(ranks);
        assertTrained(ranks);
        assertAveraged(ranks, Codec.FP32);
        assertTrue(ranks.get(0).stats().zeroCopy(), "PyTorch on the CPU all-reduces the gradients in place");
        assertEquals(12, ranks.get(0).stats().steps());
        for (final RankResult rank : ranks)
        {
            assertEquals(rank.beforeBroadcast().length, rank.gradientMoves(),
                "each gradient is moved into the flat buffer once, at the first step, and stays there");
        }
    }

    @Test
    void shouldAverageGradientsAndKeepRanksBitIdenticalWithFixed32() throws Exception
    {
        // FIXED32 cannot carry the bit-exact broadcast: it goes through a separate FP32 job.
        final List<RankResult> ranks = run(Settings.of("fixed32", 3, Codec.FIXED32, 12));

        assertStartFromRankZero(ranks);
        assertBitIdentical(ranks);
        assertTrained(ranks);
        assertAveraged(ranks, Codec.FIXED32);
    }

    @Test
    void shouldTrainIdenticalRanksThroughEasyTrainFit() throws Exception
    {
        final List<RankResult> ranks = run(Settings.of("easytrain", 2, Codec.FIXED32, 10).withEasyTrain());

        assertEquals(10, ranks.get(0).stats().steps(), "EasyTrain.fit calls step() once per batch");
        assertStartFromRankZero(ranks);
        assertBitIdentical(ranks);
        assertTrained(ranks);
        assertAveraged(ranks, Codec.FIXED32);
    }

    @Test
    void shouldTrainIdenticalRanksWithInt8AndErrorFeedback() throws Exception
    {
        final List<RankResult> ranks = run(Settings.of("int8", 4, Codec.INT8, 12));

        assertStartFromRankZero(ranks);
        assertBitIdentical(ranks);
        assertTrained(ranks);
        assertAveraged(ranks, Codec.INT8);
        final InaTrainerStats stats = ranks.get(0).stats();
        assertTrue(stats.bytesUp() < (long)Float.BYTES * stats.steps() * stats.gradientElements(),
            "INT8 must send fewer bytes than FP32's payload alone (4 per element): " + stats);
    }

    @Test
    void shouldGiveTheSameBitsWhenGradientsAreCopiedInsteadOfAliased() throws Exception
    {
        final List<RankResult> aliased = run(Settings.of("aliased", 2, Codec.FP32, 8));
        final List<RankResult> copied = run(Settings.of("copied", 2, Codec.FP32, 8).withCopiedGradients());

        assertTrue(aliased.get(0).stats().zeroCopy());
        assertFalse(copied.get(0).stats().zeroCopy());
        assertBitIdentical(copied);
        assertAveraged(copied, Codec.FP32);
        // Two FP32 addends sum to the same float in either order, so both runs take the same path bit for bit.
        for (int p = 0; p < aliased.get(0).finalParameters().length; p++)
        {
            assertBitsEqual(aliased.get(0).finalParameters()[p], copied.get(0).finalParameters()[p],
                "parameter " + p + ": zero-copy against copied gradients");
        }
    }

    @Test
    void shouldAverageAParameterThatOneRankDidNotUseAtFirst() throws Exception
    {
        // The last rank skips the shortcut layer for two steps: its gradient does not exist at the first step and
        // counts as zero in the average, as in the other ranks' view of that rank.
        final List<RankResult> ranks = run(Settings.of("unused", 2, Codec.FP32, 6).withLastRankShortcutFrom(2));

        assertEquals(6, ranks.get(1).gradientMoves(), "six parameters, each moved once (the unused one included)");
        assertBitIdentical(ranks);
        assertAveraged(ranks, Codec.FP32);
        assertTrained(ranks);
    }

    @Test
    void shouldRefuseOnEveryRankAModelThatDiffersFromRankZeros() throws Exception
    {
        final Settings settings = Settings.of("mismatch", 2, Codec.FP32, 1).withLastRankHidden(12);
        final int jobId = JOB_IDS.incrementAndGet();
        final List<String> messages = RankThreads.run("mismatch", 2, 60_000, rank ->
        {
            try
            {
                TrainingHarness.runRank(server.port(), jobId, settings, rank);
                return "rank " + rank + " did not fail";
            }
            catch (final IllegalStateException ex)
            {
                return ex.getMessage();
            }
        });
        for (final String message : messages)
        {
            assertTrue(message.contains("models differ from rank 0"), message);
        }
    }

    @Test
    void shouldRefuseATrainingConfigurationWithSeveralDevices() throws Exception
    {
        final Settings settings = Settings.of("devices", 1, Codec.FP32, 0);
        try (Collective collective = Collective.join(TrainingHarness.config(server.port(),
                JOB_IDS.incrementAndGet(), settings, 0));
            Model model = Model.newInstance("devices", Device.cpu()))
        {
            model.setBlock(TrainingHarness.block(4));
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 8));
            final DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optDevices(new Device[] {Device.of("cpu", 0), Device.of("cpu", 1)});
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> InaTrainers.newTrainer(model, config, collective));
            assertTrue(ex.getMessage().contains("one rank per device") && ex.getMessage().contains("optDevices"),
                ex.getMessage());
        }
    }

    private static List<RankResult> run(final Settings settings) throws InterruptedException
    {
        return TrainingHarness.run(server.port(), JOB_IDS.incrementAndGet(), settings);
    }

    /** Ranks start from different parameters; after initialize every rank holds rank 0's, bit for bit. */
    private static void assertStartFromRankZero(final List<RankResult> ranks)
    {
        final float[][] rankZero = ranks.get(0).beforeBroadcast();
        assertFalse(java.util.Arrays.equals(rankZero[0], ranks.get(1).beforeBroadcast()[0]),
            "the ranks must start from different parameters for this test to mean anything");
        for (int r = 0; r < ranks.size(); r++)
        {
            for (int p = 0; p < rankZero.length; p++)
            {
                assertBitsEqual(rankZero[p], ranks.get(r).afterBroadcast()[p],
                    "rank " + r + " parameter " + p + " after the initial broadcast");
            }
        }
    }

    private static void assertBitIdentical(final List<RankResult> ranks)
    {
        final RankResult rankZero = ranks.get(0);
        for (int r = 1; r < ranks.size(); r++)
        {
            for (int p = 0; p < rankZero.finalParameters().length; p++)
            {
                assertBitsEqual(rankZero.finalParameters()[p], ranks.get(r).finalParameters()[p],
                    "rank " + r + " parameter " + p + " after training");
            }
            for (int step = 0; step < rankZero.reducedGradients().size(); step++)
            {
                for (int p = 0; p < rankZero.reducedGradients().get(step).length; p++)
                {
                    assertBitsEqual(rankZero.reducedGradients().get(step)[p], ranks.get(r).reducedGradients()
                        .get(step)[p], "rank " + r + " step " + step + " reduced gradient " + p);
                }
            }
        }
    }

    /** Every rank's parameters moved, and the loss of the last steps is below that of the first steps. */
    private static void assertTrained(final List<RankResult> ranks)
    {
        for (int r = 0; r < ranks.size(); r++)
        {
            final RankResult rank = ranks.get(r);
            boolean moved = false;
            for (int p = 0; p < rank.finalParameters().length && !moved; p++)
            {
                moved = !java.util.Arrays.equals(rank.afterBroadcast()[p], rank.finalParameters()[p]);
            }
            assertTrue(moved, "rank " + r + "'s parameters did not change");
        }
        double first = 0;
        double last = 0;
        for (final RankResult rank : ranks)
        {
            final List<Float> losses = rank.losses();
            first += losses.get(0) + losses.get(1);
            last += losses.get(losses.size() - 1) + losses.get(losses.size() - 2);
        }
        assertTrue(last < 0.7 * first, "loss of the first two steps " + first + ", of the last two " + last);
    }

    /**
     * The gradient every rank's optimizer received is the mean of the ranks' local gradients, computed here in
     * double precision, within the codec's error.
     */
    private static void assertAveraged(final List<RankResult> ranks, final Codec codec)
    {
        final int n = ranks.size();
        final int steps = ranks.get(0).localGradients().size();
        assertEquals(steps, ranks.get(0).reducedGradients().size());
        int checked = 0;
        for (int step = 0; step < steps; step++)
        {
            final int parameters = ranks.get(0).localGradients().get(step).length;
            double globalMax = 0;
            for (final RankResult rank : ranks)
            {
                for (final float[] gradient : rank.localGradients().get(step))
                {
                    for (final float g : gradient)
                    {
                        globalMax = Math.max(globalMax, Math.abs(g));
                    }
                }
            }
            assertTrue(globalMax > 0, "step " + step + ": all local gradients are zero");
            for (int p = 0; p < parameters; p++)
            {
                final int elements = ranks.get(0).localGradients().get(step)[p].length;
                for (int j = 0; j < elements; j++)
                {
                    double sum = 0;
                    double max = 0;
                    for (final RankResult rank : ranks)
                    {
                        final float g = rank.localGradients().get(step)[p][j];
                        sum += g;
                        max = Math.max(max, Math.abs(g));
                    }
                    final double expected = sum / n;
                    final double tolerance = tolerance(codec, n, max, globalMax);
                    for (int r = 0; r < n; r++)
                    {
                        final float actual = ranks.get(r).reducedGradients().get(step)[p][j];
                        if (!(Math.abs(actual - expected) <= tolerance))
                        {
                            fail(codec + " step " + step + " parameter " + p + " element " + j + " rank " + r +
                                ": reduced " + actual + ", mean of local gradients " + expected + " (tolerance " +
                                tolerance + ")");
                        }
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked > 100, "too few elements checked: " + checked);
    }

    private static double tolerance(final Codec codec, final int n, final double max, final double globalMax)
    {
        final int headroom = 32 - Integer.numberOfLeadingZeros(n - 1);
        return switch (codec)
        {
            // n - 1 float additions and one division, each off by half an ulp of at most n * max.
            case FP32 -> (n + 1) * Math.ulp((float)(n * max)) + Float.MIN_NORMAL;
            // Quantisation step 2^(E - 30 + headroom) per rank, E the chunk's exponent (max < 2^(E + 1)).
            case FIXED32 -> Math.scalb(2 * globalMax, -30 + headroom) + Math.ulp((float)max);
            // Step 2^(E - 6) per rank, plus the residual carried from the previous step: well under a quarter.
            default -> 0.25 * globalMax;
        };
    }

    private static void assertBitsEqual(final float[] expected, final float[] actual, final String what)
    {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++)
        {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
            {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
