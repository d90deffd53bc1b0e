package dev.ina.djl.example;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from its IDX files (Debian's {@code dataset-fashion-mnist} installs them, gzip-compressed, in
 * {@code /usr/share/datasets/fashion-mnist}): images as float rows of 784 pixels scaled to [0, 1], labels 0-9.
 * <pre>
 * IDX: int32 magic (0x00000803 images, 0x00000801 labels, big-endian), int32 dimension sizes, then unsigned bytes.
 * </pre>
 */
final class FashionMnist
{
    /** Pixels per image. */
    static final int PIXELS = 28 * 28;
    /** Number of classes. */
    static final int CLASSES = 10;
    /** Where Debian's package puts the files. */
    static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;
    private static final int GZIP_MAGIC = 0x1f8b;

    private final float[] images;
    private final float[] labels;

    private FashionMnist(final float[] images, final float[] labels)
    {
        this.images = images;
        this.labels = labels;
    }

    /**
     * Reads one split, keeping only one rank's shard: examples {@code rank, rank + n, rank + 2n, ...}, the same
     * number for every rank ({@code count / n}; the remainder is dropped so that every rank takes the same number
     * of steps).
     *
     * @param dir       directory with the four IDX files, gzip-compressed or not.
     * @param split     {@code "train"} or {@code "t10k"}.
     * @param rank      this rank.
     * @param worldSize number of ranks (1 for the whole split).
     * @return the shard.
     * @throws IOException if a file is missing, truncated or not an IDX file of the expected kind.
     */
    static FashionMnist load(final Path dir, final String split, final int rank, final int worldSize)
        throws IOException
    {
        final byte[] pixels = read(find(dir, split + "-images-idx3-ubyte"), IMAGES_MAGIC, PIXELS);
        final byte[] classes = read(find(dir, split + "-labels-idx1-ubyte"), LABELS_MAGIC, 1);
        final int total = classes.length;
        if (pixels.length != total * PIXELS)
        {
            throw new IOException(split + ": " + pixels.length / PIXELS + " images but " + total + " labels");
        }
        final int count = total / worldSize;
        final float[] images = new float[count * PIXELS];
        final float[] labels = new float[count];
        for (int i = 0; i < count; i++)
        {
            final int source = rank + i * worldSize;
            labels[i] = classes[source];
            for (int p = 0; p < PIXELS; p++)
            {
                images[i * PIXELS + p] = (pixels[source * PIXELS + p] & 0xFF) / 255.0f;
            }
        }
        return new FashionMnist(images, labels);
    }

    /**
     * Examples held.
     *
     * @return count.
     */
    int size()
    {
        return labels.length;
    }

    /**
     * Pixels, row-major, {@link #PIXELS} per example.
     *
     * @return the array (not a copy).
     */
    float[] images()
    {
        return images;
    }

    /**
     * Labels as floats, as DJL's softmax cross-entropy takes them.
     *
     * @return the array (not a copy).
     */
    float[] labels()
    {
        return labels;
    }

    private static Path find(final Path dir, final String name) throws IOException
    {
        for (final String candidate : new String[] {name + ".gz", name})
        {
            final Path file = dir.resolve(candidate);
            if (Files.isReadable(file))
            {
                return file;
            }
        }
        throw new IOException("Fashion-MNIST file " + name + "(.gz) not found in " + dir + ": install it with " +
            "'apt-get install dataset-fashion-mnist' (files in " + DEFAULT_DIR + ") or pass --data DIR");
    }

    private static byte[] read(final Path file, final int expectedMagic, final int itemBytes) throws IOException
    {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16))
        {
            raw.mark(2);
            final int magic = (raw.read() << 8) | raw.read();
            raw.reset();
            final DataInputStream in = new DataInputStream(
                magic == GZIP_MAGIC ? new GZIPInputStream(raw, 1 << 16) : raw);
            final int idxMagic = in.readInt();
            if (idxMagic != expectedMagic)
            {
                throw new IOException(file + ": IDX magic 0x" + Integer.toHexString(idxMagic) + ", expected 0x" +
                    Integer.toHexString(expectedMagic));
            }
            final int count = in.readInt();
            long bytes = count;
            for (int d = 1; d < (expectedMagic & 0xFF); d++)
            {
                bytes *= in.readInt();
            }
            if (count < 0 || bytes != (long)count * itemBytes)
            {
                throw new IOException(file + ": unexpected dimensions (" + bytes + " bytes for " + count + " items)");
            }
            final byte[] data = new byte[(int)bytes];
            in.readFully(data);
            return data;
        }
    }
}
