package dev.ina.protocol;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeaderFlyweightTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
    private final HeaderFlyweight header = new HeaderFlyweight();

    @Test
    void shouldWriteEveryFieldLittleEndianAtItsOffsetWhenWrappedAtAnOffset()
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0x5A);
        header.wrap(buffer, 16, 64);
        header.writeHeader(FrameDescriptor.TYPE_CONTRIB, FrameDescriptor.CODEC_FIXED32)
            .flags(FrameDescriptor.FLAG_LAST | FrameDescriptor.FLAG_SHADOW_SET)
            .jobId(0x11223344)
            .sessionToken(-2)
            .rank(65535)
            .slot(0xABCD)
            .round(7)
            .sequence(-5)
            .count(65000)
            .exponent(-128)
            .nextExponent(127)
            .contributors(1024);

        assertEquals((byte)0x5A, buffer.getByte(15), "wrote before the frame");
        assertEquals((byte)0x5A, buffer.getByte(16 + FrameDescriptor.HEADER_LENGTH), "wrote after the header");
        assertEquals(FrameDescriptor.VERSION, buffer.getByte(16));
        assertEquals(FrameDescriptor.TYPE_CONTRIB, buffer.getByte(17));
        assertEquals(0x03, buffer.getByte(18));
        assertEquals(FrameDescriptor.CODEC_FIXED32, buffer.getByte(19));
        assertEquals((byte)0x44, buffer.getByte(16 + FrameDescriptor.JOB_ID_OFFSET));
        assertEquals(0x11223344, buffer.getInt(16 + FrameDescriptor.JOB_ID_OFFSET, ByteOrder.LITTLE_ENDIAN));
        assertEquals(-2, buffer.getInt(16 + FrameDescriptor.SESSION_TOKEN_OFFSET, ByteOrder.LITTLE_ENDIAN));
        assertEquals((short)0xABCD, buffer.getShort(16 + FrameDescriptor.SLOT_OFFSET, ByteOrder.LITTLE_ENDIAN));
        assertEquals(-5, buffer.getInt(16 + FrameDescriptor.SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN));
        assertEquals(1024, buffer.getInt(16 + FrameDescriptor.CONTRIBUTORS_OFFSET, ByteOrder.LITTLE_ENDIAN));

        assertEquals(FrameDescriptor.TYPE_CONTRIB, header.type());
        assertEquals(FrameDescriptor.CODEC_FIXED32, header.codec());
        assertTrue(header.hasFlag(FrameDescriptor.FLAG_LAST));
        assertFalse(header.hasFlag(FrameDescriptor.FLAG_RETRANSMIT));
        assertEquals(0x11223344, header.jobId());
        assertEquals(-2, header.sessionToken());
        assertEquals(65535, header.rank());
        assertEquals(0xABCD, header.slot());
        assertEquals(7, header.round());
        assertEquals(-5, header.sequence());
        assertEquals(65000, header.count());
        assertEquals(-128, header.exponent());
        assertEquals(127, header.nextExponent());
        assertEquals(1024, header.contributors());
        assertEquals(16 + FrameDescriptor.HEADER_LENGTH, header.payloadOffset());
        assertEquals(64 - FrameDescriptor.HEADER_LENGTH, header.payloadLength());
    }

    @Test
    void shouldZeroOldFieldsWhenHeaderIsRewritten()
    {
        header.wrap(buffer, 0, buffer.capacity());
        header.writeHeader(FrameDescriptor.TYPE_RESULT, FrameDescriptor.CODEC_FP32).rank(3).sequence(9).flags(0xFF);
        header.writeHeader(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE);
        assertEquals(0, header.rank());
        assertEquals(0, header.sequence());
        assertEquals(0, header.flags());
        assertEquals(FrameDescriptor.TYPE_LEAVE, header.type());
    }

    @Test
    void shouldReportNegativePayloadLengthWhenFrameIsShort()
    {
        header.wrap(buffer, 0, 20);
        assertEquals(-12, header.payloadLength());
        header.frameLength(40);
        assertEquals(8, header.payloadLength());
    }
}
