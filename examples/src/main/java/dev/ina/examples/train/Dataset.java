package dev.ina.examples.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Labelled examples held as one flat {@code float[]} of {@code count * dimension} features plus an {@code int[]}
 * of labels. Immutable after construction; shared read-only by threads.
 */
final class Dataset
{
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    static final String DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
    /** Where to download the four files from otherwise. */
    static final String FASHION_MNIST_URL = "https://github.com/zalandoresearch/fashion-mnist/tree/master/data/fashion";
    /** Classes of Fashion-MNIST. */
    static final int FASHION_MNIST_CLASSES = 10;

    private final float[] features;
    private final int[] labels;
    private final int dimension;
    private final int classes;
    private final int sourceCount;

    Dataset(final float[] features, final int[] labels, final int dimension, final int classes)
    {
        this(features, labels, dimension, classes, labels.length);
    }

    private Dataset(
        final float[] features, final int[] labels, final int dimension, final int classes, final int sourceCount)
    {
        if (features.length != labels.length * dimension)
        {
            throw new IllegalArgumentException(
                features.length + " features for " + labels.length + " examples of dimension " + dimension);
        }
        this.features = features;
        this.labels = labels;
        this.dimension = dimension;
        this.classes = classes;
        this.sourceCount = sourceCount;
    }

    /**
     * Loads one half of Fashion-MNIST ({@code train} or {@code t10k}), keeping only the examples of one shard:
     * rank r of n keeps examples r, r + n, r + 2n, ... Pixels are scaled to [0, 1].
     *
     * @param dir    directory holding {@code <prefix>-images-idx3-ubyte[.gz]} and
     *               {@code <prefix>-labels-idx1-ubyte[.gz]}.
     * @param prefix {@code train} or {@code t10k}.
     * @param rank   shard to keep.
     * @param shards number of shards, 1 for all.
     * @param limit  most examples to read before sharding, or 0 for all.
     * @return the shard.
     * @throws IOException if a file is missing (the message says how to get it) or malformed.
     */
    static Dataset fashionMnist(final Path dir, final String prefix, final int rank, final int shards, final int limit)
        throws IOException
    {
        final IdxReader.IdxArray images = IdxReader.read(find(dir, prefix + "-images-idx3-ubyte"));
        final IdxReader.IdxArray labels = IdxReader.read(find(dir, prefix + "-labels-idx1-ubyte"));
        if (images.dims()[0] != labels.dims()[0] || labels.dims().length != 1)
        {
            throw new IOException(dir + ": " + images.dims()[0] + " images but " + labels.dims()[0] + " labels");
        }
        final int total = limit > 0 ? Math.min(limit, labels.dims()[0]) : labels.dims()[0];
        final int dimension = images.itemCount();
        final int count = total <= rank ? 0 : (total - rank + shards - 1) / shards;
        final float[] features = new float[count * dimension];
        final int[] y = new int[count];
        final byte[] pixels = images.data();
        final float scale = 1.0f / 255.0f;
        for (int i = 0; i < count; i++)
        {
            final int source = rank + i * shards;
            y[i] = labels.data()[source] & 0xFF;
            final int from = source * dimension;
            final int to = i * dimension;
            for (int j = 0; j < dimension; j++)
            {
                features[to + j] = (pixels[from + j] & 0xFF) * scale;
            }
        }
        return new Dataset(features, y, dimension, FASHION_MNIST_CLASSES, total);
    }

    /**
     * Gaussian blobs: {@code classes} centres drawn from N(0, separation^2) per dimension (fixed by
     * {@code centreSeed}), each example its class centre plus N(0, 1) noise (drawn from {@code sampleSeed}).
     * Train and test sets share a centre seed and differ in their sample seed.
     *
     * @param count      examples.
     * @param dimension  features per example.
     * @param classes    classes, labels drawn uniformly.
     * @param separation standard deviation of the centres relative to the noise.
     * @param centreSeed seed of the centres.
     * @param sampleSeed seed of the examples.
     * @return the data set.
     */
    static Dataset blobs(
        final int count,
        final int dimension,
        final int classes,
        final double separation,
        final long centreSeed,
        final long sampleSeed)
    {
        final SplittableRandom centreRandom = new SplittableRandom(centreSeed);
        final double[] centres = new double[classes * dimension];
        for (int i = 0; i < centres.length; i++)
        {
            centres[i] = centreRandom.nextGaussian() * separation;
        }
        final SplittableRandom random = new SplittableRandom(sampleSeed);
        final float[] features = new float[count * dimension];
        final int[] labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            final int label = random.nextInt(classes);
            labels[i] = label;
            for (int j = 0; j < dimension; j++)
            {
                features[i * dimension + j] = (float)(centres[label * dimension + j] + random.nextGaussian());
            }
        }
        return new Dataset(features, labels, dimension, classes);
    }

    /**
     * The examples of one shard: rank r of n keeps examples r, r + n, r + 2n, ...
     *
     * @param rank   shard to keep.
     * @param shards number of shards.
     * @return a new data set.
     */
    Dataset shard(final int rank, final int shards)
    {
        final int count = count() <= rank ? 0 : (count() - rank + shards - 1) / shards;
        final float[] x = new float[count * dimension];
        final int[] y = new int[count];
        for (int i = 0; i < count; i++)
        {
            final int source = rank + i * shards;
            y[i] = labels[source];
            System.arraycopy(features, source * dimension, x, i * dimension, dimension);
        }
        return new Dataset(x, y, dimension, classes, count());
    }

    /**
     * Number of examples.
     *
     * @return count.
     */
    int count()
    {
        return labels.length;
    }

    /**
     * Number of examples of the set this shard was taken from, or {@link #count()} if it is not a shard.
     *
     * @return count.
     */
    int sourceCount()
    {
        return sourceCount;
    }

    /**
     * Features per example.
     *
     * @return dimension.
     */
    int dimension()
    {
        return dimension;
    }

    /**
     * Number of classes; labels are in [0, classes).
     *
     * @return classes.
     */
    int classes()
    {
        return classes;
    }

    /**
     * All features, example i at {@code [i * dimension, (i + 1) * dimension)}; do not modify.
     *
     * @return features.
     */
    float[] features()
    {
        return features;
    }

    /**
     * Label of an example.
     *
     * @param example index.
     * @return label in [0, classes).
     */
    int label(final int example)
    {
        return labels[example];
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
        throw new IOException("Fashion-MNIST file " + name + "[.gz] not found in " + dir + ". Install it with " +
            "'apt-get install dataset-fashion-mnist' (Debian/Ubuntu, files in " + DEBIAN_FASHION_MNIST_DIR +
            "), or download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz " +
            "and t10k-labels-idx1-ubyte.gz from " + FASHION_MNIST_URL + " into a directory and pass it with --data.");
    }
}
