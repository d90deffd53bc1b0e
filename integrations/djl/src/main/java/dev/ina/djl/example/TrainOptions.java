package dev.ina.djl.example;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.config.WorkerConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command-line options of the launcher and the worker ({@code --name value}). The worker takes the training
 * options; its INA settings (aggregator, job, rank, codec, ...) come from the {@code INA_*} environment, which the
 * launcher sets from its own options.
 *
 * @param workers           ranks to start (launcher).
 * @param epochs            passes over each rank's shard.
 * @param batch             examples per step per rank.
 * @param learningRate      SGD learning rate.
 * @param momentum          SGD momentum.
 * @param hidden            hidden units of the MLP.
 * @param seed              random seed (initial parameters of rank 0, shuffling).
 * @param data              directory of the IDX files.
 * @param codec             codec (launcher).
 * @param mode              EXACT or BOUNDED (launcher).
 * @param deadlineMs        BOUNDED deadline (launcher).
 * @param elementsPerPacket gradient elements per datagram (launcher).
 * @param window            chunks in flight per rank (launcher).
 * @param callerRuns        the training thread drives the socket (launcher).
 * @param busyPoll          poll instead of sleeping (launcher).
 * @param csv               file to append a result row to (launcher), or null.
 * @param label             first column of the CSV row (launcher).
 * @param result            file the worker writes its report to, or null.
 * @param timeoutMinutes    most time the launcher waits for the workers.
 */
record TrainOptions(
    int workers,
    int epochs,
    int batch,
    float learningRate,
    float momentum,
    int hidden,
    long seed,
    Path data,
    Codec codec,
    Mode mode,
    double deadlineMs,
    int elementsPerPacket,
    int window,
    boolean callerRuns,
    boolean busyPoll,
    Path csv,
    String label,
    Path result,
    int timeoutMinutes)
{
    static final String USAGE = String.join("\n",
        "options (defaults in brackets):",
        "  --workers N              worker processes [4]",
        "  --epochs N               passes over each rank's shard [2]",
        "  --batch N                examples per step per rank [32]",
        "  --lr X                   SGD learning rate [0.05]",
        "  --momentum X             SGD momentum [0.9]",
        "  --hidden N               hidden units of the MLP [128]",
        "  --seed N                 random seed [42]",
        "  --data DIR               Fashion-MNIST IDX files [" + FashionMnist.DEFAULT_DIR + "]",
        "  --codec C                FP32, FIXED32, INT16, INT8 or INT8_NARROW [FP32]",
        "  --mode M                 EXACT or BOUNDED [EXACT]",
        "  --deadline-ms X          BOUNDED: a chunk's deadline [5]",
        "  --elements-per-packet N  gradient elements per datagram [4096]",
        "  --window N               chunks in flight per rank [16]",
        "  --caller-runs            the training thread drives the socket",
        "  --busy-poll              poll instead of sleeping",
        "  --csv FILE               append a result row to FILE",
        "  --label TEXT             first column of that row [INA <codec>]",
        "  --timeout-minutes N      most time to wait for the workers [60]");

    /**
     * Parses arguments.
     *
     * @param args the arguments.
     * @return the options.
     * @throws IllegalArgumentException naming the option, if one is unknown, lacks a value or has a bad one.
     */
    static TrainOptions parse(final String[] args)
    {
        int workers = 4;
        int epochs = 2;
        int batch = 32;
        float learningRate = 0.05f;
        float momentum = 0.9f;
        int hidden = 128;
        long seed = 42;
        Path data = FashionMnist.DEFAULT_DIR;
        Codec codec = Codec.FP32;
        Mode mode = Mode.EXACT;
        double deadlineMs = 5;
        int elementsPerPacket = 4096;
        int window = 16;
        boolean callerRuns = false;
        boolean busyPoll = false;
        Path csv = null;
        String label = null;
        Path result = null;
        int timeoutMinutes = 60;
        for (int i = 0; i < args.length; i++)
        {
            final String name = args[i];
            if ("--caller-runs".equals(name))
            {
                callerRuns = true;
                continue;
            }
            if ("--busy-poll".equals(name))
            {
                busyPoll = true;
                continue;
            }
            if (i + 1 >= args.length || !name.startsWith("--"))
            {
                throw new IllegalArgumentException("expected an option with a value, got '" + name + "'\n" + USAGE);
            }
            final String value = args[++i];
            try
            {
                switch (name)
                {
                    case "--workers" -> workers = positive(name, Integer.parseInt(value));
                    case "--epochs" -> epochs = positive(name, Integer.parseInt(value));
                    case "--batch" -> batch = positive(name, Integer.parseInt(value));
                    case "--lr" -> learningRate = Float.parseFloat(value);
                    case "--momentum" -> momentum = Float.parseFloat(value);
                    case "--hidden" -> hidden = positive(name, Integer.parseInt(value));
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--data" -> data = Path.of(value);
                    case "--codec" -> codec = WorkerConfig.parseCodec(value);
                    case "--mode" -> mode = WorkerConfig.parseMode(value);
                    case "--deadline-ms" -> deadlineMs = Double.parseDouble(value);
                    case "--elements-per-packet" -> elementsPerPacket = positive(name, Integer.parseInt(value));
                    case "--window" -> window = positive(name, Integer.parseInt(value));
                    case "--csv" -> csv = Path.of(value);
                    case "--label" -> label = value;
                    case "--result" -> result = Path.of(value);
                    case "--timeout-minutes" -> timeoutMinutes = positive(name, Integer.parseInt(value));
                    default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
                }
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(name + ": not a number: '" + value + "'", ex);
            }
        }
        return new TrainOptions(workers, epochs, batch, learningRate, momentum, hidden, seed, data, codec, mode,
            deadlineMs, elementsPerPacket, window, callerRuns, busyPoll, csv,
            label == null ? "INA " + codec : label, result, timeoutMinutes);
    }

    /**
     * The training options, as arguments for a worker.
     *
     * @param resultFile where the worker writes its report.
     * @return the arguments.
     */
    List<String> workerArgs(final Path resultFile)
    {
        final List<String> args = new ArrayList<>();
        args.addAll(List.of("--epochs", Integer.toString(epochs), "--batch", Integer.toString(batch)));
        args.addAll(List.of("--lr", Float.toString(learningRate), "--momentum", Float.toString(momentum)));
        args.addAll(List.of("--hidden", Integer.toString(hidden), "--seed", Long.toString(seed)));
        args.addAll(List.of("--data", data.toString(), "--result", resultFile.toString()));
        return args;
    }

    private static int positive(final String name, final int value)
    {
        if (value <= 0)
        {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }
}
