package dev.ina.config;

import dev.ina.api.Codec;
import dev.ina.protocol.FrameDescriptor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerConfigTest
{
    @Test
    void shouldParseInt8NarrowWhenNamedInTheEnvironmentInAnyCase()
    {
        final WorkerConfig config = WorkerConfig.fromEnvironment(Map.of(
            "INA_AGGREGATOR", "127.0.0.1:4000",
            "INA_WORLD_SIZE", "3",
            "INA_RANK", "2",
            "INA_CODEC", " int8_narrow ")).build();
        assertEquals(Codec.INT8_NARROW, config.codec());
        assertEquals(Codec.INT8_NARROW, WorkerConfig.parseCodec("INT8_NARROW"));
        final IllegalArgumentException unknown =
            assertThrows(IllegalArgumentException.class, () -> WorkerConfig.parseCodec("int4"));
        assertTrue(unknown.getMessage().contains("INT8_NARROW"), unknown.getMessage());
    }

    @Test
    void shouldTakeCallerRunsFromTheEnvironmentAndKeepItThroughToBuilder()
    {
        final Map<String, String> env = Map.of(
            "INA_WORLD_SIZE", "2",
            "INA_RANK", "0",
            "INA_CALLER_RUNS", "yes",
            "INA_BUSY_POLL", "1");
        final WorkerConfig config = WorkerConfig.fromEnvironment(env).build();
        assertTrue(config.callerRuns() && config.busyPoll(), config.toString());
        assertTrue(config.toString().contains("callerRuns=true"), config.toString());
        assertTrue(config.toBuilder().rank(1).build().callerRuns(), "toBuilder keeps callerRuns");
        assertFalse(WorkerConfig.fromEnvironment(Map.of("INA_WORLD_SIZE", "2",
            "INA_RANK", "0")).build().callerRuns(), "off by default");
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromEnvironment(Map.of("INA_CALLER_RUNS", "sometimes")));
        assertTrue(bad.getMessage().contains("INA_CALLER_RUNS"), bad.getMessage());
    }

    @Test
    void shouldFitTwiceInt8sElementsWhenResultsAreOneByteToo()
    {
        final int payload = FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH - FrameDescriptor.HEADER_LENGTH;
        for (final int n : new int[] {1, 4, 258, 259, FrameDescriptor.MAX_WORLD_SIZE})
        {
            assertEquals(payload, WorkerConfig.maxElementsPerPacket(Codec.INT8_NARROW, n, 65_507), "n=" + n);
            assertEquals(1472 - 32, WorkerConfig.maxElementsPerPacket(Codec.INT8_NARROW, n, 1472), "n=" + n);
        }
        assertEquals(payload / 2, WorkerConfig.maxElementsPerPacket(Codec.INT8, 4, 65_507));
        assertEquals(payload / 4, WorkerConfig.maxElementsPerPacket(Codec.INT8, 259, 65_507));

        final WorkerConfig.Builder builder = WorkerConfig.builder().aggregator("127.0.0.1", 4000).worldSize(4).rank(0)
            .elementsPerPacket(payload);
        assertEquals(payload, builder.codec(Codec.INT8_NARROW).build().elementsPerPacket());
        assertThrows(IllegalArgumentException.class, () -> builder.codec(Codec.INT8).build());
    }
}
