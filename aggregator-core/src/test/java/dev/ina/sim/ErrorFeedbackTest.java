package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.codec.FixedPoint;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Error feedback through the whole protocol: over many steps with the same gradient, the accumulated all-reduced
 * update tracks the accumulated true gradient within a bound that does not grow with the number of steps (INT8),
 * or, for INT8_NARROW, whose aggregator rounding is not fed back, within a random walk of that rounding.
 */
class ErrorFeedbackTest
{
    private static final int WORLD_SIZE = 3;
    private static final int ELEMENTS = 300;
    private static final int STEPS = 400;
    private static final int MAX_STEPS = 2_000_000;
    private static final int ELEMENTS_PER_PACKET = 64;
    /** INT8_NARROW's up-link step {@code 2^(E - 6)} with {@code E = 0} (see {@link #narrowGradients()}). */
    private static final double NARROW_STEP = Math.scalb(1.0d, -6);
    private static final double SIGMAS = 6.0d;

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

    @Test
    void shouldFeedBackTheSameResidualsWhenTheGradientIsADirectBuffer()
    {
        final float[][] gradients = gradients();
        final float[][] arrayResiduals = new float[WORLD_SIZE][ELEMENTS];
        final float[][] bufferResiduals = new float[WORLD_SIZE][ELEMENTS];
        final double[] fromArrays = run(gradients, true, false, arrayResiduals);
        final double[] fromBuffers = run(gradients, true, true, bufferResiduals);
        assertArrayEquals(fromArrays, fromBuffers, "accumulated error per step, float[] against direct buffer");
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            assertArrayEquals(arrayResiduals[r], bufferResiduals[r], "rank " + r + " residual");
        }
        double norm = 0.0d;
        for (final float v : bufferResiduals[0])
        {
            norm += Math.abs(v);
        }
        assertTrue(norm > 0.0d, "the buffer path kept no residual: error feedback did not run");
    }

    private static double[] run(final float[][] gradients, final boolean feedback)
    {
        return run(gradients, feedback, false, new float[WORLD_SIZE][ELEMENTS]);
    }

    private static double[] run(
        final float[][] gradients, final boolean feedback, final boolean direct, final float[][] residuals)
    {
        final SimulatedNetwork net = network(Codec.INT8);
        final float[][] data = new float[WORLD_SIZE][ELEMENTS];
        final FloatBuffer[] buffers = new FloatBuffer[WORLD_SIZE];
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            buffers[r] = ByteBuffer.allocateDirect(ELEMENTS * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        }
        final double[] applied = new double[ELEMENTS];
        final double[] truth = new double[ELEMENTS];
        final double[] worst = new double[STEPS];
        for (int t = 0; t < STEPS; t++)
        {
            for (int r = 0; r < WORLD_SIZE; r++)
            {
                System.arraycopy(gradients[r], 0, data[r], 0, ELEMENTS);
                if (direct)
                {
                    buffers[r].put(0, data[r]);
                    net.worker(r).startCall(buffers[r], 0, ELEMENTS, ReduceOp.SUM, feedback ? residuals[r] : null,
                        net.nowNs());
                }
                else
                {
                    net.worker(r).startCall(data[r], 0, ELEMENTS, ReduceOp.SUM, feedback ? residuals[r] : null,
                        net.nowNs());
                }
            }
            net.runUntil(net::noneInCall, MAX_STEPS);
            net.assertNoneFailed();
            if (direct)
            {
                for (int r = 0; r < WORLD_SIZE; r++)
                {
                    buffers[r].get(0, data[r]);
                }
            }
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

    private static SimulatedNetwork network(final Codec codec)
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE).workers(codec, 4, ELEMENTS_PER_PACKET)
            .links(LinkProfile.of(0.02, 0.01, 0.1), LinkProfile.of(0.02, 0.01, 0.1)).seed(5).build();
        net.joinAll(MAX_STEPS);
        return net;
    }

    /**
     * INT8_NARROW against INT8, both with error feedback; errors in up-link steps {@code 2^-6}, {@code n = 3},
     * {@code k = 2} (0 for INT8). Each step (checked in {@link #runWithFeedback}): with {@code v} a rank's gradient
     * plus residual and {@code e} its new residual, {@code |e| <= 1} and the rank sent {@code v - e}; the decoded
     * sum minus {@code sum(v - e)} is the aggregator's rounding {@code m}, a whole number with {@code |m| < 2^k}.
     * Given the exact sum's remainder {@code f = s mod 2^k}, {@code m} is {@code 2^k - f} or {@code -f}, with mean 0
     * and variance {@code f * (2^k - f) <= 4^(k-1)}, drawn afresh each step. So, for the accumulated error
     * {@code D} (applied minus the exact double sum of the gradients) and rounding {@code W = sum(m)} after
     * {@code t} steps:
     * <ul>
     * <li>{@code |D - W| <= n}: the up-link error is compensated as for INT8, only the held residuals remain;</li>
     * <li>{@code |D| <= n + 6 * 2^(k-1) * sqrt(t)}: 6 sigma of the walk (Azuma-Hoeffding with increments in a
     * range of {@code 2^k}: probability below {@code 2 * e^-18}); INT8's {@code m} is 0, so its {@code |D| <= n};</li>
     * <li>the mean of {@code D} over elements is within {@code n + 6 * sqrt(sum V) / elements} of 0 (unbiased),
     * {@code V} the summed variances of each element's {@code m};</li>
     * <li>{@code sum W^2 / sum V} is within (0.5, 1.5) (about 6 standard deviations of a mean of 300 squares):
     * the rounding adds up like a random walk, not faster and not bounded, and the rms of {@code D} exceeds
     * INT8's bound {@code n} four times over.</li>
     * </ul>
     */
    @Test
    void shouldAccumulateTheAggregatorRoundingAsAnUnbiasedRandomWalkWhenNarrowResultsAreFedBack()
    {
        final float[][] gradients = narrowGradients();
        runWithFeedback(Codec.INT8, gradients);
        final double[][] accumulated = runWithFeedback(Codec.INT8_NARROW, gradients);
        final double[] error = accumulated[0];
        final double[] walk = accumulated[1];
        final double[] variance = accumulated[2];
        double errorSum = 0;
        double errorSquares = 0;
        double walkSquares = 0;
        double varianceSum = 0;
        for (int i = 0; i < ELEMENTS; i++)
        {
            errorSum += error[i];
            errorSquares += error[i] * error[i];
            walkSquares += walk[i] * walk[i];
            varianceSum += variance[i];
        }
        final double mean = errorSum / ELEMENTS;
        final double meanBound = WORLD_SIZE + SIGMAS * Math.sqrt(varianceSum) / ELEMENTS;
        assertTrue(Math.abs(mean) <= meanBound, "mean accumulated error " + mean + " steps exceeds " + meanBound);
        final double ratio = walkSquares / varianceSum;
        assertTrue(ratio > 0.5 && ratio < 1.5, "sum W^2 / sum V = " + ratio + ", not a random walk");
        final double rms = Math.sqrt(errorSquares / ELEMENTS);
        assertTrue(rms > 4 * WORLD_SIZE, "rms accumulated error " + rms + " steps, within 4x INT8's bound");
    }

    /**
     * As {@link #gradients()}, with 1.5 first in every chunk on every rank: values plus residuals stay within
     * {@code [1, 2)} there and below 2 elsewhere, so every chunk's exponent is 0 at every step.
     */
    private static float[][] narrowGradients()
    {
        final float[][] g = gradients();
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            for (int i = 0; i < ELEMENTS; i += ELEMENTS_PER_PACKET)
            {
                g[r][i] = 1.5f;
            }
        }
        return g;
    }

    /**
     * Runs INT8 or INT8_NARROW with error feedback, checking every step; returns per element, in steps, the
     * accumulated error {@code D}, the accumulated aggregator rounding {@code W} and its summed variance {@code V}.
     */
    private static double[][] runWithFeedback(final Codec codec, final float[][] gradients)
    {
        final int k = codec.resultShift(WORLD_SIZE);
        final SimulatedNetwork net = network(codec);
        final float[][] residuals = new float[WORLD_SIZE][ELEMENTS];
        final float[][] values = new float[WORLD_SIZE][ELEMENTS];
        final float[][] data = new float[WORLD_SIZE][ELEMENTS];
        final double[] applied = new double[ELEMENTS];
        final double[] truth = new double[ELEMENTS];
        final double[][] accumulated = new double[3][ELEMENTS];
        for (int t = 1; t <= STEPS; t++)
        {
            for (int r = 0; r < WORLD_SIZE; r++)
            {
                for (int i = 0; i < ELEMENTS; i++)
                {
                    // What the worker quantises: the gradient plus the residual, added in float as it does.
                    values[r][i] = gradients[r][i] + residuals[r][i];
                }
                System.arraycopy(gradients[r], 0, data[r], 0, ELEMENTS);
                net.worker(r).startCall(data[r], 0, ELEMENTS, ReduceOp.SUM, residuals[r], net.nowNs());
            }
            net.runUntil(net::noneInCall, MAX_STEPS);
            net.assertNoneFailed();
            for (int r = 1; r < WORLD_SIZE; r++)
            {
                assertTrue(java.util.Arrays.equals(data[0], data[r]), "ranks disagree at step " + t);
            }
            // sigma of one step's rounding: 2^(k-1), and 0 for k = 0 (exact sums).
            final double envelope = WORLD_SIZE + SIGMAS * ((1 << k) >> 1) * Math.sqrt(t);
            for (int i = 0; i < ELEMENTS; i++)
            {
                double exactSum = 0;
                for (int r = 0; r < WORLD_SIZE; r++)
                {
                    truth[i] += gradients[r][i];
                    if (Math.abs(residuals[r][i]) > NARROW_STEP)
                    {
                        fail("step " + t + " element " + i + ": residual " + residuals[r][i] + " above one step");
                    }
                    exactSum += ((double)values[r][i] - residuals[r][i]) / NARROW_STEP;
                }
                final long s = Math.round(exactSum);
                if (Math.abs(exactSum - s) >= 1e-3)
                {
                    fail("step " + t + " element " + i + ": ranks sent " + exactSum + " steps, not v - e");
                }
                final double m = data[0][i] / NARROW_STEP - s;
                if (m != Math.rint(m) || Math.abs(m) >= 1 << k)
                {
                    fail("step " + t + " element " + i + ": aggregator rounding " + m + " steps");
                }
                final long f = Math.floorMod(s, 1L << k);
                applied[i] += data[0][i];
                accumulated[0][i] = (applied[i] - truth[i]) / NARROW_STEP;
                accumulated[1][i] += m;
                accumulated[2][i] += f * ((1L << k) - f);
                if (Math.abs(accumulated[0][i] - accumulated[1][i]) > WORLD_SIZE)
                {
                    fail("step " + t + " element " + i + ": error " + accumulated[0][i] + " minus aggregator rounding "
                        + accumulated[1][i] + " exceeds INT8's bound " + WORLD_SIZE);
                }
                if (Math.abs(accumulated[0][i]) > envelope)
                {
                    fail("step " + t + " element " + i + ": accumulated error " + accumulated[0][i] + " steps exceeds "
                        + envelope);
                }
            }
        }
        return accumulated;
    }
}
