package dev.ina.bench.e2e;

import dev.ina.api.Codec;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaseOptionsTest
{
    @Test
    void shouldFitOneJumboFrameWhenEppIsJumbo()
    {
        final CaseOptions options = parse("--epp", "jumbo");
        options.validate();
        for (final Codec codec : Codec.values())
        {
            final int elements = options.elementsPerPacket(codec, 4);
            final int datagram = 32 + elements * Math.max(codec.bytesUp(), codec.bytesDown(4));
            assertTrue(datagram <= 8972 && datagram + Math.max(codec.bytesUp(), codec.bytesDown(4)) > 8972,
                codec + ": " + elements + " elements make a " + datagram + "-byte datagram");
        }
        assertEquals(2235, options.elementsPerPacket(Codec.FP32, 4));
        assertEquals(4470, options.elementsPerPacket(Codec.INT8, 4));
        assertEquals(8940, options.elementsPerPacket(Codec.INT8_NARROW, 4));
    }

    @Test
    void shouldTakeTheLargestDatagramWhenEppIsAutoAndTheNumberWhenGiven()
    {
        assertEquals(16368, parse("--epp", "auto").elementsPerPacket(Codec.FIXED32, 4));
        assertEquals(65475, parse("--epp", "AUTO").elementsPerPacket(Codec.INT8_NARROW, 4));
        assertEquals(256, parse("--epp", "256").elementsPerPacket(Codec.FP32, 4));
    }

    @Test
    void shouldSayWhatToChangeWhenEppIsNeitherNumberNorKnownWord()
    {
        final IllegalArgumentException failure =
            assertThrows(IllegalArgumentException.class, () -> parse("--epp", "jumbo9000").validate());
        assertTrue(failure.getMessage().contains("--epp must be a positive number, auto or jumbo"),
            failure.getMessage());
    }

    private static CaseOptions parse(final String... args)
    {
        final CaseOptions options = new CaseOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }
}
