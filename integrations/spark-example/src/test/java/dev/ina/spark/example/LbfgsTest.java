package dev.ina.spark.example;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LbfgsTest
{
    @Test
    void shouldMinimiseAnIllConditionedQuadratic()
    {
        final double[] scale = {1, 10, 100, 1000};
        final double[] target = {3, -2, 0.5, 7};
        final Lbfgs.Objective quadratic = (x, gradient) ->
        {
            double value = 0;
            for (int i = 0; i < x.length; i++)
            {
                final double d = x[i] - target[i];
                value += 0.5 * scale[i] * d * d;
                gradient[i] = scale[i] * d;
            }
            return value;
        };
        final double[] x = new double[4];
        final int[] calls = new int[1];
        final int iterations = new Lbfgs(5).minimize(quadratic, x, 100, (iteration, value, evaluations) ->
            calls[0] = iteration);

        assertArrayEquals(target, x, 1e-6);
        assertEquals(iterations, calls[0], "progress is told of every iteration");
    }

    @Test
    void shouldTakeIdenticalStepsForIdenticalInputs()
    {
        final Lbfgs.Objective rosenbrock = (x, gradient) ->
        {
            final double a = 1 - x[0];
            final double b = x[1] - x[0] * x[0];
            gradient[0] = -2 * a - 400 * x[0] * b;
            gradient[1] = 200 * b;
            return a * a + 100 * b * b;
        };
        final double[] first = {-1.2, 1};
        final double[] second = {-1.2, 1};
        final Lbfgs.Progress ignore = (iteration, value, evaluations) ->
        {
        };
        new Lbfgs(10).minimize(rosenbrock, first, 30, ignore);
        new Lbfgs(10).minimize(rosenbrock, second, 30, ignore);

        assertEquals(Double.doubleToLongBits(first[0]), Double.doubleToLongBits(second[0]));
        assertEquals(Double.doubleToLongBits(first[1]), Double.doubleToLongBits(second[1]));
    }
}
