package dev.ina.examples.train;

import dev.ina.api.Codec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Options shared by the launcher and the worker processes (a picocli mixin); the launcher hands them on with
 * {@link #toArgs()}.
 */
public final class TrainOptions
{
    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory with the four IDX files, " +
        ".gz or plain (default ${DEFAULT-VALUE}, from apt-get install dataset-fashion-mnist).")
    Path data = Path.of(Dataset.DEBIAN_FASHION_MNIST_DIR);
    @Option(names = "--train-limit", description = "Use only the first N training examples, 0 for all 60000 " +
        "(default ${DEFAULT-VALUE}).")
    int trainLimit;
    @Option(names = "--test-limit", description = "Use only the first N test examples, 0 for all 10000 " +
        "(default ${DEFAULT-VALUE}).")
    int testLimit;
    @Option(names = "--model", description = "softmax or mlp (default ${DEFAULT-VALUE}).")
    String model = "mlp";
    @Option(names = "--hidden", description = "Hidden units of the MLP (default ${DEFAULT-VALUE}).")
    int hidden = 128;
    @Option(names = "--epochs", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs = 5;
    @Option(names = "--batch", description = "Examples per rank per step (default ${DEFAULT-VALUE}).")
    int batch = 32;
    @Option(names = "--lr", description = "Learning rate (default ${DEFAULT-VALUE}).")
    double learningRate = 0.05;
    @Option(names = "--momentum", description = "Momentum, 0 for plain SGD (default ${DEFAULT-VALUE}).")
    double momentum = 0.9;
    @Option(names = "--seed", description = "Seed of the initial parameters and shuffles (default ${DEFAULT-VALUE}).")
    long seed = 42;
    @Option(names = "--elements-per-packet", description = "Gradient elements per datagram (default ${DEFAULT-VALUE}).")
    int elementsPerPacket = 4096;
    @Option(names = "--window", description = "Chunks in flight per rank (default ${DEFAULT-VALUE}).")
    int window = 16;
    @Option(names = "--bounded-codec", description = "Codec of the BOUNDED variant (default ${DEFAULT-VALUE}).")
    Codec boundedCodec = Codec.FIXED32;
    @Option(names = "--deadline-ms", description = "BOUNDED: chunk deadline after its first contribution " +
        "(default ${DEFAULT-VALUE}).")
    double deadlineMs = 5;
    @Option(names = "--loss", description = "BOUNDED: datagram loss rate each way on every rank " +
        "(default ${DEFAULT-VALUE}).")
    double lossRate = 0.02;
    @Option(names = "--slow-ms", description = "BOUNDED: the last rank sleeps this long per step " +
        "(default ${DEFAULT-VALUE}).")
    long slowMs = 3;

    /**
     * The hyper-parameters.
     *
     * @return settings.
     */
    TrainSettings settings()
    {
        return new TrainSettings(model, hidden, epochs, batch, learningRate, momentum, seed, elementsPerPacket,
            window);
    }

    /**
     * A variant with this run's BOUNDED parameters.
     *
     * @param name variant name.
     * @return the variant.
     */
    Variant variant(final String name)
    {
        return Variant.of(name, boundedCodec, deadlineMs, lossRate, slowMs);
    }

    /**
     * Loads one shard of the training set.
     *
     * @param rank   shard.
     * @param shards number of shards.
     * @return the shard.
     * @throws IOException if the data is missing (the message says how to get it).
     */
    Dataset train(final int rank, final int shards) throws IOException
    {
        return Dataset.fashionMnist(data, "train", rank, shards, trainLimit);
    }

    /**
     * Loads the test set.
     *
     * @return the test set.
     * @throws IOException if the data is missing.
     */
    Dataset test() throws IOException
    {
        return Dataset.fashionMnist(data, "t10k", 0, 1, testLimit);
    }

    /**
     * These options as command-line arguments.
     *
     * @return arguments.
     */
    List<String> toArgs()
    {
        final List<String> args = new ArrayList<>();
        add(args, "--data", data.toAbsolutePath());
        add(args, "--train-limit", trainLimit);
        add(args, "--test-limit", testLimit);
        add(args, "--model", model);
        add(args, "--hidden", hidden);
        add(args, "--epochs", epochs);
        add(args, "--batch", batch);
        add(args, "--lr", learningRate);
        add(args, "--momentum", momentum);
        add(args, "--seed", seed);
        add(args, "--elements-per-packet", elementsPerPacket);
        add(args, "--window", window);
        add(args, "--bounded-codec", boundedCodec);
        add(args, "--deadline-ms", deadlineMs);
        add(args, "--loss", lossRate);
        add(args, "--slow-ms", slowMs);
        return args;
    }

    private static void add(final List<String> args, final String name, final Object value)
    {
        args.add(name);
        args.add(String.valueOf(value));
    }
}
