package dev.ina.bench.e2e;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteSizesTest
{
    @Test
    void shouldParseBinaryUnitsWhenGivenSizes()
    {
        assertEquals(4096, ByteSizes.parse("4KiB"));
        assertEquals(4096, ByteSizes.parse("4096"));
        assertEquals(64L << 20, ByteSizes.parse(" 64mib "));
        assertEquals(1L << 20, ByteSizes.parse("1M"));
        assertEquals(256L << 20, ByteSizes.parse("256MiB"));
    }

    @Test
    void shouldRejectSizeWhenTooLargeNotFloatsOrUnknownUnit()
    {
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("257MiB"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("1GiB"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("6"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("0"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("4TB"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("KiB"));
    }

    @Test
    void shouldFormatAndReadBackWhenPrinting()
    {
        assertEquals("4 KiB", ByteSizes.format(4096));
        assertEquals("1.5 MiB", ByteSizes.format(3L << 19));
        assertEquals("100 B", ByteSizes.format(100));
        for (final long bytes : new long[] {4, 100, 4096, 3L << 19, 64L << 20, 256L << 20})
        {
            assertEquals(bytes, ByteSizes.parse(ByteSizes.toArg(bytes)));
        }
    }
}
