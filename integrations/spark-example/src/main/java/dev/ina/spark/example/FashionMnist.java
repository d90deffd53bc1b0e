package dev.ina.spark.example;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads Fashion-MNIST's IDX files (gzipped or not): 28 x 28 grey images and labels 0-9.
 */
final class FashionMnist
{
    static final int PIXELS = 28 * 28;
    static final int CLASSES = 10;
    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    /** One labelled image: the pixels as unsigned bytes. */
    record Image(int label, byte[] pixels) implements Serializable
    {
    }

    private FashionMnist()
    {
    }

    /**
     * Reads one split.
     *
     * @param dir   directory with the IDX files.
     * @param split {@code train} or {@code t10k}.
     * @return the images with their labels.
     * @throws IOException if a file is missing or malformed.
     */
    static Image[] read(final Path dir, final String split) throws IOException
    {
        final byte[][] pixels;
        try (DataInputStream in = open(dir, split + "-images-idx3-ubyte"))
        {
            check(in.readInt(), IMAGES_MAGIC, split + " images");
            final int count = in.readInt();
            final int rows = in.readInt();
            final int cols = in.readInt();
            if (rows * cols != PIXELS)
            {
                throw new IOException(split + " images are " + rows + "x" + cols + ", expected 28x28");
            }
            pixels = new byte[count][PIXELS];
            for (final byte[] image : pixels)
            {
                in.readFully(image);
            }
        }
        try (DataInputStream in = open(dir, split + "-labels-idx1-ubyte"))
        {
            check(in.readInt(), LABELS_MAGIC, split + " labels");
            final int count = in.readInt();
            if (count != pixels.length)
            {
                throw new IOException(split + ": " + count + " labels for " + pixels.length + " images");
            }
            final Image[] images = new Image[count];
            for (int i = 0; i < count; i++)
            {
                images[i] = new Image(in.readUnsignedByte(), pixels[i]);
            }
            return images;
        }
    }

    private static DataInputStream open(final Path dir, final String name) throws IOException
    {
        final Path gz = dir.resolve(name + ".gz");
        final Path plain = dir.resolve(name);
        if (Files.exists(gz))
        {
            return new DataInputStream(new GZIPInputStream(Files.newInputStream(gz), 1 << 16));
        }
        if (Files.exists(plain))
        {
            final InputStream in = Files.newInputStream(plain);
            return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
        }
        throw new IOException("no " + gz + " or " + plain + ": install the data with 'apt-get install " +
            "dataset-fashion-mnist' or pass --data DIR holding the four IDX files");
    }

    private static void check(final int magic, final int expected, final String what) throws IOException
    {
        if (magic != expected)
        {
            throw new IOException(what + ": bad IDX magic 0x" + Integer.toHexString(magic));
        }
    }
}
