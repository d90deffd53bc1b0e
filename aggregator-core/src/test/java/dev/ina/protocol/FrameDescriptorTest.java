package dev.ina.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameDescriptorTest
{
    @Test
    void shouldFitElementsInDatagramWhenMtuIsGiven()
    {
        assertEquals((1500 - 28 - 32) / 4, FrameDescriptor.elementsPerMtu(1500, 4));
        assertEquals((9000 - 28 - 32) / 4, FrameDescriptor.elementsPerMtu(9000, 4));
        assertEquals(FrameDescriptor.MAX_ELEMENTS_PER_PACKET, FrameDescriptor.elementsPerMtu(1 << 20, 4));
        assertEquals(0, FrameDescriptor.elementsPerMtu(40, 4));
        assertTrue(FrameDescriptor.HEADER_LENGTH + FrameDescriptor.elementsPerMtu(1500, 4) * 4 <= 1472);
    }

    @Test
    void shouldCompareAcrossWrapAroundWhenSequencesOverflow()
    {
        assertTrue(FrameDescriptor.compareSequence(1, 0) > 0);
        assertTrue(FrameDescriptor.compareSequence(0, 1) < 0);
        assertEquals(0, FrameDescriptor.compareSequence(42, 42));
        assertTrue(FrameDescriptor.compareSequence(Integer.MIN_VALUE, Integer.MAX_VALUE) > 0);
        assertTrue(FrameDescriptor.compareSequence(Integer.MAX_VALUE, Integer.MIN_VALUE) < 0);
        assertEquals(128, FrameDescriptor.compareSequence(Integer.MIN_VALUE + 64, Integer.MAX_VALUE - 63));
    }

    @Test
    void shouldNameEveryTypeWhenAskedForNames()
    {
        assertEquals("JOIN", FrameDescriptor.typeName(FrameDescriptor.TYPE_JOIN));
        assertEquals("JOIN_ACK", FrameDescriptor.typeName(FrameDescriptor.TYPE_JOIN_ACK));
        assertEquals("CONTRIB", FrameDescriptor.typeName(FrameDescriptor.TYPE_CONTRIB));
        assertEquals("RESULT", FrameDescriptor.typeName(FrameDescriptor.TYPE_RESULT));
        assertEquals("PENDING", FrameDescriptor.typeName(FrameDescriptor.TYPE_PENDING));
        assertEquals("ABORT", FrameDescriptor.typeName(FrameDescriptor.TYPE_ABORT));
        assertEquals("LEAVE", FrameDescriptor.typeName(FrameDescriptor.TYPE_LEAVE));
        assertEquals("ERROR", FrameDescriptor.typeName(FrameDescriptor.TYPE_ERROR));
        assertEquals("RESEND", FrameDescriptor.typeName(FrameDescriptor.TYPE_RESEND));
        assertEquals("UNKNOWN(99)", FrameDescriptor.typeName(99));
    }
}
