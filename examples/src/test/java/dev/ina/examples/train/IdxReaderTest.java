package dev.ina.examples.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReadPlainAndGzipFilesWhenWellFormed() throws IOException
    {
        final byte[] data = {0, 1, 2, (byte)200, (byte)255, 7};
        final byte[] idx = idx(new int[] {2, 3}, data);
        final Path plain = Files.write(dir.resolve("a-idx2-ubyte"), idx);
        final Path gz = dir.resolve("a-idx2-ubyte.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz)))
        {
            out.write(idx);
        }
        for (final Path file : new Path[] {plain, gz})
        {
            final IdxReader.IdxArray array = IdxReader.read(file);
            assertArrayEquals(new int[] {2, 3}, array.dims());
            assertArrayEquals(data, array.data());
            assertEquals(3, array.itemCount());
        }
    }

    @Test
    void shouldRejectFileWhenMagicIsWrong() throws IOException
    {
        final byte[] idx = idx(new int[] {2}, new byte[] {1, 2});
        idx[2] = 0x0D; // float elements
        final Path file = Files.write(dir.resolve("float-idx1"), idx);
        final IOException ex = assertThrows(IOException.class, () -> IdxReader.read(file));
        assertTrue(ex.getMessage().contains("not an unsigned-byte IDX file"), ex.getMessage());
    }

    @Test
    void shouldRejectFileWhenTruncated() throws IOException
    {
        final byte[] idx = idx(new int[] {4, 2}, new byte[8]);
        final Path file = Files.write(dir.resolve("short-idx2"), Arrays.copyOf(idx, idx.length - 3));
        final IOException ex = assertThrows(IOException.class, () -> IdxReader.read(file));
        assertTrue(ex.getMessage().contains("truncated"), ex.getMessage());
    }

    @Test
    void shouldLoadScaledShardWhenFashionMnistFilesArePresent() throws IOException
    {
        // 5 images of 2x2 pixels, image i filled with 10 * i; labels 9 - i.
        final byte[] pixels = new byte[20];
        final byte[] labels = new byte[5];
        for (int i = 0; i < 5; i++)
        {
            Arrays.fill(pixels, 4 * i, 4 * i + 4, (byte)(10 * i));
            labels[i] = (byte)(9 - i);
        }
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx(new int[] {5, 2, 2}, pixels));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(new int[] {5}, labels));

        final Dataset shard = Dataset.fashionMnist(dir, "train", 1, 2, 0);
        assertEquals(2, shard.count());
        assertEquals(5, shard.sourceCount());
        assertEquals(4, shard.dimension());
        assertEquals(8, shard.label(0));
        assertEquals(6, shard.label(1));
        assertEquals(10 / 255.0f, shard.features()[0], 1e-7f);
        assertEquals(30 / 255.0f, shard.features()[7], 1e-7f);

        final Dataset limited = Dataset.fashionMnist(dir, "train", 0, 1, 3);
        assertEquals(3, limited.count());
    }

    @Test
    void shouldSayHowToInstallWhenFilesAreMissing()
    {
        final IOException ex = assertThrows(IOException.class,
            () -> Dataset.fashionMnist(dir.resolve("nothing"), "t10k", 0, 1, 0));
        assertTrue(ex.getMessage().contains("apt-get install dataset-fashion-mnist"), ex.getMessage());
        assertTrue(ex.getMessage().contains("t10k-labels-idx1-ubyte.gz"), ex.getMessage());
    }

    private static byte[] idx(final int[] dims, final byte[] data) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes))
        {
            out.writeInt((IdxReader.UNSIGNED_BYTE << 8) | dims.length);
            for (final int dim : dims)
            {
                out.writeInt(dim);
            }
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
