package dev.ina.examples.train;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format), plain or gzip-compressed (detected from the content, not the name).
 * <pre>
 *  magic: 0x00 0x00 type ndim    type 0x08 = unsigned byte, the only type read here
 *  ndim big-endian int32 dimension sizes
 *  data: product(dims) bytes, row-major
 * </pre>
 */
final class IdxReader
{
    /** Element type code of unsigned bytes. */
    static final int UNSIGNED_BYTE = 0x08;
    private static final int GZIP_MAGIC = 0x1f8b;
    private static final int MAX_DIMENSIONS = 4;

    private IdxReader()
    {
    }

    /**
     * An IDX array of unsigned bytes.
     *
     * @param dims dimension sizes, outermost first.
     * @param data values in row-major order, read with {@code & 0xFF}.
     */
    record IdxArray(int[] dims, byte[] data)
    {
        /**
         * Elements of one item: the product of every dimension but the first.
         *
         * @return count.
         */
        int itemCount()
        {
            int count = 1;
            for (int i = 1; i < dims.length; i++)
            {
                count *= dims[i];
            }
            return count;
        }
    }

    /**
     * Reads a whole file.
     *
     * @param file IDX file, optionally gzip-compressed.
     * @return the array.
     * @throws IOException if the file cannot be read, is truncated or is not an unsigned-byte IDX file.
     */
    static IdxArray read(final Path file) throws IOException
    {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16))
        {
            raw.mark(2);
            final int magic = (raw.read() << 8) | raw.read();
            raw.reset();
            final InputStream in = magic == GZIP_MAGIC ? new GZIPInputStream(raw, 1 << 16) : raw;
            return read(new DataInputStream(in), file.toString());
        }
    }

    private static IdxArray read(final DataInputStream in, final String name) throws IOException
    {
        try
        {
            final int magic = in.readInt();
            final int type = (magic >>> 8) & 0xFF;
            final int ndim = magic & 0xFF;
            if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE || ndim < 1 || ndim > MAX_DIMENSIONS)
            {
                throw new IOException(name + ": not an unsigned-byte IDX file (magic 0x" +
                    Integer.toHexString(magic) + ", expected 0x0000080N with N in [1, " + MAX_DIMENSIONS + "])");
            }
            final int[] dims = new int[ndim];
            long total = 1;
            for (int i = 0; i < ndim; i++)
            {
                dims[i] = in.readInt();
                if (dims[i] < 0)
                {
                    throw new IOException(name + ": negative dimension " + dims[i]);
                }
                total *= dims[i];
            }
            if (total > Integer.MAX_VALUE - 8)
            {
                throw new IOException(name + ": too large " + Arrays.toString(dims));
            }
            final byte[] data = new byte[(int)total];
            in.readFully(data);
            return new IdxArray(dims, data);
        }
        catch (final EOFException ex)
        {
            throw new IOException(name + ": truncated IDX file", ex);
        }
    }
}
