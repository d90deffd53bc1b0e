package dev.ina.spark.example;

/**
 * Limited-memory BFGS (two-loop recursion, the last {@code m} pairs) with a backtracking Armijo line search.
 * Deterministic: ranks that see bit-identical function values and gradients (INA's results are the same on every
 * rank) take bit-identical steps, so every rank holds the same parameters without exchanging them.
 */
final class Lbfgs
{
    private static final double ARMIJO = 1e-4;
    private static final int MAX_LINE_SEARCH = 20;

    /** The function minimised. */
    interface Objective
    {
        /**
         * Evaluates the function and its gradient.
         *
         * @param x        the point.
         * @param gradient written with the gradient at {@code x}.
         * @return the function value.
         */
        double evaluate(double[] x, double[] gradient);
    }

    /** Called after each iteration. */
    interface Progress
    {
        /**
         * One accepted step.
         *
         * @param iteration   1-based.
         * @param value       function value after it.
         * @param evaluations function evaluations so far.
         */
        void onIteration(int iteration, double value, int evaluations);
    }

    private final int memory;

    Lbfgs(final int memory)
    {
        this.memory = memory;
    }

    /**
     * Minimises from {@code x} (updated in place) for at most {@code iterations} iterations.
     *
     * @param objective  the function.
     * @param x          start, overwritten with the result.
     * @param iterations accepted steps at most.
     * @param progress   told after each iteration.
     * @return the number of iterations made (fewer when the line search cannot decrease the function).
     */
    int minimize(final Objective objective, final double[] x, final int iterations, final Progress progress)
    {
        final int n = x.length;
        final double[][] s = new double[memory][n];
        final double[][] y = new double[memory][n];
        final double[] rho = new double[memory];
        final double[] alpha = new double[memory];
        final double[] gradient = new double[n];
        final double[] nextGradient = new double[n];
        final double[] direction = new double[n];
        final double[] next = new double[n];
        double value = objective.evaluate(x, gradient);
        int evaluations = 1;
        int stored = 0;
        int newest = -1;
        for (int iteration = 1; iteration <= iterations; iteration++)
        {
            // Two-loop recursion: direction = -H * gradient.
            for (int i = 0; i < n; i++)
            {
                direction[i] = -gradient[i];
            }
            for (int j = 0; j < stored; j++)
            {
                final int idx = Math.floorMod(newest - j, memory);
                alpha[idx] = rho[idx] * dot(s[idx], direction);
                axpy(-alpha[idx], y[idx], direction);
            }
            if (stored > 0)
            {
                scale(dot(s[newest], y[newest]) / dot(y[newest], y[newest]), direction);
            }
            for (int j = stored - 1; j >= 0; j--)
            {
                final int idx = Math.floorMod(newest - j, memory);
                final double beta = rho[idx] * dot(y[idx], direction);
                axpy(alpha[idx] - beta, s[idx], direction);
            }
            double slope = dot(gradient, direction);
            if (slope >= 0)
            {
                // Not a descent direction (curvature lost): restart from steepest descent.
                for (int i = 0; i < n; i++)
                {
                    direction[i] = -gradient[i];
                }
                stored = 0;
                slope = dot(gradient, direction);
                if (!(slope < 0))
                {
                    return iteration - 1;   // a zero gradient: at a stationary point
                }
            }
            double step = stored == 0 ? 1.0 / Math.sqrt(-slope) : 1.0;
            double nextValue = Double.NaN;
            boolean accepted = false;
            for (int search = 0; search < MAX_LINE_SEARCH && !accepted; search++)
            {
                for (int i = 0; i < n; i++)
                {
                    next[i] = x[i] + step * direction[i];
                }
                nextValue = objective.evaluate(next, nextGradient);
                evaluations++;
                accepted = nextValue <= value + ARMIJO * step * slope;
                if (!accepted)
                {
                    step *= 0.5;
                }
            }
            if (!accepted)
            {
                return iteration - 1;
            }
            newest = (newest + 1) % memory;
            for (int i = 0; i < n; i++)
            {
                s[newest][i] = next[i] - x[i];
                y[newest][i] = nextGradient[i] - gradient[i];
            }
            final double sy = dot(s[newest], y[newest]);
            if (sy > 1e-10)
            {
                rho[newest] = 1.0 / sy;
                stored = Math.min(stored + 1, memory);
            }
            else
            {
                newest = Math.floorMod(newest - 1, memory);
            }
            System.arraycopy(next, 0, x, 0, n);
            System.arraycopy(nextGradient, 0, gradient, 0, n);
            value = nextValue;
            progress.onIteration(iteration, value, evaluations);
        }
        return iterations;
    }

    private static double dot(final double[] a, final double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static void axpy(final double a, final double[] x, final double[] y)
    {
        for (int i = 0; i < x.length; i++)
        {
            y[i] += a * x[i];
        }
    }

    private static void scale(final double a, final double[] x)
    {
        for (int i = 0; i < x.length; i++)
        {
            x[i] *= a;
        }
    }
}
