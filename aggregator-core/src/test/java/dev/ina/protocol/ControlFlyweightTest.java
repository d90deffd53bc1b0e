package dev.ina.protocol;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlFlyweightTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH + 8]);
    private final ControlFlyweight control = new ControlFlyweight();

    @Test
    void shouldRoundTripJoinParametersWhenWritten()
    {
        control.wrap(buffer, 8, ControlFlyweight.JOIN_LENGTH);
        control.writeHeader(FrameDescriptor.TYPE_JOIN, FrameDescriptor.CODEC_FP32).round(-99);
        control.worldSize(1024).window(32768).elementsPerPacket(16368).mode(1).modeFlags(1).quorum(1000)
            .deadlineUs(0xFFFF_FFFFL);
        assertEquals(1024, control.worldSize());
        assertEquals(32768, control.window());
        assertEquals(16368, control.elementsPerPacket());
        assertEquals(1, control.mode());
        assertEquals(ControlFlyweight.MODE_FLAG_ADAPTIVE_DEADLINE, control.modeFlags());
        assertEquals(1000, control.quorum());
        assertEquals(0xFFFF_FFFFL, control.deadlineUs());
        assertEquals(-99, control.round());
        assertEquals(FrameDescriptor.HEADER_LENGTH + 16, ControlFlyweight.JOIN_LENGTH);
    }

    @Test
    void shouldTruncateMessageWhenLongerThanMaximum()
    {
        control.wrap(buffer, 0, buffer.capacity());
        control.writeHeader(FrameDescriptor.TYPE_ERROR, FrameDescriptor.CODEC_NONE);
        control.message("the aggregator refused: \u00fcber");
        assertEquals("the aggregator refused: \u00fcber", control.message());
        assertEquals(FrameDescriptor.HEADER_LENGTH + 29, control.frameLength());

        control.message("x".repeat(5000));
        assertEquals(FrameDescriptor.HEADER_LENGTH + ControlFlyweight.MAX_MESSAGE_LENGTH, control.frameLength());
        assertEquals(ControlFlyweight.MAX_MESSAGE_LENGTH, control.message().length());
    }

    @Test
    void shouldReadEmptyMessageWhenFrameHasNoPayload()
    {
        control.wrap(buffer, 0, FrameDescriptor.HEADER_LENGTH - 4);
        assertEquals("", control.message());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 63, 64, 65, 130, 1024})
    void shouldCarryEveryRankBitWhenBitmapIsWritten(final int worldSize)
    {
        final RankBitmap ranks = new RankBitmap(worldSize);
        for (int r = 0; r < worldSize; r += 3)
        {
            ranks.add(r);
        }
        control.wrap(buffer, 0, buffer.capacity());
        control.writeHeader(FrameDescriptor.TYPE_PENDING, FrameDescriptor.CODEC_NONE);
        control.rankBitmap(ranks);
        assertEquals(worldSize, control.count());
        assertEquals(FrameDescriptor.HEADER_LENGTH + 8 * ((worldSize + 63) / 64), control.frameLength());
        for (int r = 0; r < worldSize; r++)
        {
            assertEquals(r % 3 == 0, control.hasRank(r), "rank " + r);
        }
        assertFalse(control.hasRank(64 * RankBitmap.wordsFor(worldSize)), "rank beyond the bitmap");
    }

    @Test
    void shouldNeedOneWordPerSixtyFourRanksWhenSizingBitmaps()
    {
        assertEquals(1, RankBitmap.wordsFor(1));
        assertEquals(1, RankBitmap.wordsFor(64));
        assertEquals(2, RankBitmap.wordsFor(65));
        assertEquals(16, RankBitmap.wordsFor(FrameDescriptor.MAX_WORLD_SIZE));
        assertTrue(FrameDescriptor.HEADER_LENGTH + 16 * 8 < 1472, "a full PENDING fits a 1500-byte MTU");
    }
}
