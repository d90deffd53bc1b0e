package dev.ina.bench.e2e;

import dev.ina.api.Codec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ReferenceDataTest
{
    private static final int COUNT = 10_001;
    private static final int WORLD = 4;

    @Test
    void shouldAcceptSumWhenEveryRankContributed()
    {
        final float[] sum = sum(WORLD);
        for (final Codec codec : Codec.values())
        {
            assertDoesNotThrow(() -> ReferenceData.check(sum, COUNT, WORLD, codec, "test"));
        }
    }

    @Test
    void shouldFailLoudlyWhenARankIsMissingOrAnElementIsWrong()
    {
        final float[] missing = sum(WORLD - 1);
        assertThrows(IllegalStateException.class, () -> ReferenceData.check(missing, COUNT, WORLD, Codec.FP32, "t"));
        final float[] wrong = sum(WORLD);
        wrong[COUNT - 1] += 1e-3f;
        assertThrows(IllegalStateException.class, () -> ReferenceData.check(wrong, COUNT, WORLD, Codec.FIXED32, "t"));
    }

    private static float[] sum(final int ranks)
    {
        final float[] pattern = ReferenceData.pattern(COUNT);
        final float[] sum = new float[COUNT];
        final float[] rank = new float[COUNT];
        for (int r = 0; r < ranks; r++)
        {
            ReferenceData.fill(rank, COUNT, pattern, r);
            for (int i = 0; i < COUNT; i++)
            {
                sum[i] += rank[i];
            }
        }
        return sum;
    }
}
