package dev.ina.protocol;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameProofTest
{
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    private final FrameProof proof = new FrameProof(SECRET);
    private final ControlFlyweight control = new ControlFlyweight();

    private int leave(final UnsafeBuffer buffer, final int offset)
    {
        control.wrap(buffer, offset, FrameDescriptor.HEADER_LENGTH);
        control.writeHeader(FrameDescriptor.TYPE_LEAVE, FrameDescriptor.CODEC_NONE).jobId(7).sessionToken(99)
            .rank(3).round(12);
        return proof.sign(buffer, offset, FrameDescriptor.HEADER_LENGTH);
    }

    @Test
    void shouldVerifyASignedFrameOnAnyBufferAndRejectEveryChangedByte()
    {
        final UnsafeBuffer direct = new UnsafeBuffer(BufferUtil.allocateDirectAligned(1024, 64));
        final int length = leave(direct, 40);
        assertEquals(FrameDescriptor.HEADER_LENGTH + FrameProof.LENGTH, length);
        assertTrue(FrameProof.isProven(direct, 40, length));
        assertTrue(proof.verify(direct, 40, length));

        final UnsafeBuffer heap = new UnsafeBuffer(new byte[length]);
        heap.putBytes(0, direct, 40, length);
        assertTrue(proof.verify(heap, 0, length), "the tag does not depend on where the frame is");
        for (int i = 0; i < length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                heap.putByte(i, (byte)(heap.getByte(i) ^ (1 << bit)));
                assertFalse(proof.verify(heap, 0, length), "byte " + i + " bit " + bit);
                heap.putByte(i, (byte)(heap.getByte(i) ^ (1 << bit)));
            }
        }
        assertTrue(proof.verify(heap, 0, length));
        assertFalse(proof.verify(heap, 0, length - 1), "a cut frame");
        assertFalse(proof.verify(heap, 0, FrameDescriptor.HEADER_LENGTH + FrameProof.LENGTH - 1));
        assertFalse(new FrameProof("another secret of 32 bytes long!".getBytes(StandardCharsets.UTF_8))
            .verify(heap, 0, length));
    }

    @Test
    void shouldNotVerifyAFrameWithoutTheProofFlag()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = leave(buffer, 0);
        buffer.putByte(FrameDescriptor.FLAGS_OFFSET, (byte)0);
        assertFalse(FrameProof.isProven(buffer, 0, length));
        assertFalse(proof.verify(buffer, 0, length), "the flag is covered by the tag and required");
    }

    @Test
    void shouldCutAMessageToItsLimitAtACharacterBoundaryAndReadItWithoutTheProof()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
        control.wrap(buffer, 0, buffer.capacity());
        control.writeHeader(FrameDescriptor.TYPE_ERROR, FrameDescriptor.CODEC_NONE);
        control.message("ab\u00fc\u00fccd", 5);
        assertEquals(FrameDescriptor.HEADER_LENGTH + 4, control.frameLength(), "never half of a character");
        assertEquals("ab\u00fc", control.message());
        control.message("0123456789", 0);
        assertEquals("", control.message());
        control.message("a message", 100);
        final int length = proof.sign(buffer, 0, control.frameLength());
        control.wrap(buffer, 0, length);
        assertEquals("a message", control.message(), "the proof is not part of the message");
    }
}
