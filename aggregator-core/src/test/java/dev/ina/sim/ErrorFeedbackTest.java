package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.codec.FixedPoint;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Error feedback through the whole protocol: over many steps with the same gradient, the accumulated all-reduced
 * update tracks the accumulated true gradient within a bound that does not grow with the number of steps.
 */
class ErrorFeedbackTest
{
    private static final int WORLD_SIZE = 3;
    private static final int ELEMENTS = 300;
    private static final int STEPS = 400;
    private static final int MAX_STEPS = 2_000_000;

    @Test
    void shouldKeepTheAccumulatedErrorBoundedWhenResidualsAreFedBack()
    {
        final float[][] gradients = gradients();
        final double bound = bound(gradients);
        final double[] worstWith = run(gradients, true);
        final double[] worstWithout = run(gradients, false);
        for (int t = 0; t < STEPS; t++)
        {
            assertTrue(worstWith[t] <= bound,
                "step " + t + ": accumulated error " + worstWith[t] + " exceeds " + bound);
        }
        // The check can fail: without feedback the same run drifts past the bound (a random walk of rounding
        // errors), and the error with feedback at the end is no larger than after the first steps.
        assertTrue(worstWithout[STEPS - 1] > bound,
            "without error feedback the drift " + worstWithout[STEPS - 1] + " should exceed " + bound);
        assertTrue(worstWith[STEPS - 1] <= bound);
    }

    private static float[][] gradients()
    {
        final SplittableRandom random = new SplittableRandom(11);
        final float[][] g = new float[WORLD_SIZE][ELEMENTS];
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            for (int i = 0; i < ELEMENTS; i++)
            {
                // Spread magnitudes: the small elements are below one INT8 step and vanish without feedback.
                g[r][i] = (float)(random.nextDouble(-1, 1) * Math.pow(10, -random.nextInt(4)));
            }
            g[r][0] = 1.0f;
        }
        return g;
    }

    /**
     * With feedback, the applied sum after t steps is {@code t * sum(g) - sum over ranks of the residual}, and each
     * residual is below one step of its chunk. Chunks are at most 2 in exponent (g plus a residual below one step).
     */
    private static double bound(final float[][] gradients)
    {
        final int e = FixedPoint.exponentOf(gradients[0], 0, ELEMENTS) + 1;
        return WORLD_SIZE * Math.scalb(1.0d, e + 1 - FixedPoint.magnitudeBits(Codec.INT8, WORLD_SIZE));
    }

    private static double[] run(final float[][] gradients, final boolean feedback)
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE).workers(Codec.INT8, 4, 64)
            .links(LinkProfile.of(0.02, 0.01, 0.1), LinkProfile.of(0.02, 0.01, 0.1)).seed(5).build();
        net.joinAll(MAX_STEPS);
        final float[][] residuals = new float[WORLD_SIZE][ELEMENTS];
        final float[][] data = new float[WORLD_SIZE][ELEMENTS];
        final double[] applied = new double[ELEMENTS];
        final double[] truth = new double[ELEMENTS];
        final double[] worst = new double[STEPS];
        for (int t = 0; t < STEPS; t++)
        {
            for (int r = 0; r < WORLD_SIZE; r++)
            {
                System.arraycopy(gradients[r], 0, data[r], 0, ELEMENTS);
                net.worker(r).startCall(data[r], 0, ELEMENTS, ReduceOp.SUM, feedback ? residuals[r] : null,
                    net.nowNs());
            }
            net.runUntil(net::noneInCall, MAX_STEPS);
            net.assertNoneFailed();
            for (int r = 1; r < WORLD_SIZE; r++)
            {
                assertTrue(java.util.Arrays.equals(data[0], data[r]), "ranks disagree at step " + t);
            }
            for (int i = 0; i < ELEMENTS; i++)
            {
                applied[i] += data[0][i];
                for (int r = 0; r < WORLD_SIZE; r++)
                {
                    truth[i] += gradients[r][i];
                }
                worst[t] = Math.max(worst[t], Math.abs(applied[i] - truth[i]));
            }
        }
        return worst;
    }
}
