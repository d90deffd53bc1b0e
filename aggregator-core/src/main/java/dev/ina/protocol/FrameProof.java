package dev.ina.protocol;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

/**
 * Proves that a control frame comes from a holder of a job's secret: an HMAC-SHA256 tag, cut to its first
 * {@value #LENGTH} bytes (as RFC 4868's HMAC-SHA-256-128), over every byte of the frame before the tag, appended as
 * a trailer, with {@link FrameDescriptor#FLAG_PROOF} set in the header (the flag is covered by the tag):
 * <pre>
 *  +---------------------------------------------------------------+
 *  |          Header (32 bytes, flags has FLAG_PROOF) ...         ...
 *  +---------------------------------------------------------------+
 *  |          Body of the frame type (spec, cookie, message) ...  ...
 *  +---------------------------------------------------------------+
 *  |     HMAC-SHA256(secret, every byte above), first 16 bytes     |
 *  +---------------------------------------------------------------+
 * </pre>
 * The header's type byte, job id, session token, rank and nonce are inside the tagged bytes, so a tag made for one
 * frame type, job, session or process proves nothing for another. Only control frames carry tags (JOIN,
 * CHALLENGE, JOIN_ACK, LEAVE, ERROR, ABORT); data frames are authenticated by session token and sender address.
 * <p>
 * Control path only. Not thread safe: one instance per owning thread; it allocates nothing per call.
 */
public final class FrameProof
{
    /** Bytes of the tag trailer. */
    public static final int LENGTH = 16;

    /** Fewest bytes a secret may have (128 bits; a random 32-byte hex string has 256). */
    public static final int MIN_SECRET_LENGTH = 16;

    /** The JCA name of the MAC, present in every Java runtime. */
    public static final String ALGORITHM = "HmacSHA256";

    private static final int CHUNK_LENGTH = 256;
    private static final int FULL_TAG_LENGTH = 32;

    private final Mac mac;
    private final byte[] chunk = new byte[CHUNK_LENGTH];
    private final byte[] tag = new byte[FULL_TAG_LENGTH];

    /**
     * A prover for one secret.
     *
     * @param secret the key, at least one byte; copied.
     * @throws IllegalArgumentException if the secret is empty.
     */
    public FrameProof(final byte[] secret)
    {
        if (secret == null || secret.length == 0)
        {
            throw new IllegalArgumentException("a secret must not be empty");
        }
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ALGORITHM + " is not available in this Java runtime", ex);
        }
    }

    /**
     * Whether a frame says it carries a tag.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's first byte.
     * @param length of the frame; shorter than a header means no.
     * @return true if {@link FrameDescriptor#FLAG_PROOF} is set.
     */
    public static boolean isProven(final DirectBuffer buffer, final int offset, final int length)
    {
        return length >= FrameDescriptor.HEADER_LENGTH &&
            (buffer.getByte(offset + FrameDescriptor.FLAGS_OFFSET) & FrameDescriptor.FLAG_PROOF) != 0;
    }

    /**
     * Sets {@link FrameDescriptor#FLAG_PROOF} in a frame's header and appends the tag after its {@code length}
     * bytes.
     *
     * @param buffer holding the frame, with room for {@value #LENGTH} more bytes.
     * @param offset of the frame's first byte.
     * @param length of the frame without the tag, at least a header.
     * @return the frame's length with the tag.
     */
    public int sign(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final int flagsAt = offset + FrameDescriptor.FLAGS_OFFSET;
        buffer.putByte(flagsAt, (byte)(buffer.getByte(flagsAt) | FrameDescriptor.FLAG_PROOF));
        compute(buffer, offset, length);
        buffer.putBytes(offset + length, tag, 0, LENGTH);
        return length + LENGTH;
    }

    /**
     * Whether a frame carries {@link FrameDescriptor#FLAG_PROOF} and a tag made with this secret.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's first byte.
     * @param length of the frame, tag included.
     * @return true if the tag is right; false if the flag is missing, the frame too short or the tag wrong.
     */
    public boolean verify(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < FrameDescriptor.HEADER_LENGTH + LENGTH || !isProven(buffer, offset, length))
        {
            return false;
        }
        compute(buffer, offset, length - LENGTH);
        return matches(buffer, offset + length - LENGTH);
    }

    /**
     * Writes the tag of any bytes (not necessarily a frame), e.g. a cookie's input.
     *
     * @param buffer    holding the bytes.
     * @param offset    of the first byte.
     * @param length    bytes to tag.
     * @param dst       where the {@value #LENGTH}-byte tag goes.
     * @param dstOffset offset in {@code dst}.
     */
    public void tag(
        final DirectBuffer buffer, final int offset, final int length, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        compute(buffer, offset, length);
        dst.putBytes(dstOffset, tag, 0, LENGTH);
    }

    /**
     * Whether bytes hold the tag of other bytes, compared in constant time.
     *
     * @param buffer      holding the bytes that were tagged.
     * @param offset      of the first byte.
     * @param length      bytes that were tagged.
     * @param tagBuffer   holding the {@value #LENGTH}-byte tag to check.
     * @param tagOffset   offset of the tag.
     * @param tagLength   how many of the tag's first bytes to compare, 1 to {@value #LENGTH}.
     * @return true if they match.
     */
    public boolean matches(
        final DirectBuffer buffer, final int offset, final int length, final DirectBuffer tagBuffer,
        final int tagOffset, final int tagLength)
    {
        compute(buffer, offset, length);
        int difference = 0;
        for (int i = 0; i < tagLength; i++)
        {
            difference |= tag[i] ^ tagBuffer.getByte(tagOffset + i);
        }
        return difference == 0;
    }

    private boolean matches(final DirectBuffer buffer, final int tagOffset)
    {
        int difference = 0;
        for (int i = 0; i < LENGTH; i++)
        {
            difference |= tag[i] ^ buffer.getByte(tagOffset + i);
        }
        return difference == 0;
    }

    private void compute(final DirectBuffer buffer, final int offset, final int length)
    {
        // Copied in chunks: the buffer may be off-heap memory without a ByteBuffer or array behind it.
        for (int done = 0; done < length; done += CHUNK_LENGTH)
        {
            final int n = Math.min(CHUNK_LENGTH, length - done);
            buffer.getBytes(offset + done, chunk, 0, n);
            mac.update(chunk, 0, n);
        }
        try
        {
            mac.doFinal(tag, 0);
        }
        catch (final javax.crypto.ShortBufferException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
