package dev.ina.bench.e2e;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.FrameDescriptor;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What to measure and for how long: the options {@code run} and {@code worker} share. Every rank of a job must be
 * given the same values, since each rank derives the same sequence of calls from them.
 */
final class CaseOptions
{
    /** Adaptive mode: most measured iterations per case. */
    static final int ADAPTIVE_MAX_ITERATIONS = 20;
    /** Adaptive mode: fewest measured iterations per case (unless the case time limit hits first). */
    static final int ADAPTIVE_MIN_ITERATIONS = 3;
    /** Largest UDP payload in one 9000-byte IP frame: 9000 - 20 (IPv4) - 8 (UDP). */
    static final int JUMBO_DATAGRAM_LENGTH = 8972;

    @Option(names = "--sizes", split = ",", converter = ByteSizes.class, paramLabel = "SIZE",
        defaultValue = "4KiB,64KiB,1MiB,16MiB,64MiB",
        description = "Tensor sizes in bytes of float32, B/KiB/MiB/GiB, up to 256MiB (default ${DEFAULT-VALUE}).")
    List<Long> sizes;

    @Option(names = "--codecs", split = ",", paramLabel = "CODEC", defaultValue = "FP32,FIXED32",
        description = "Codecs, any of ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    List<Codec> codecs;

    @Option(names = "--modes", split = ",", paramLabel = "MODE", defaultValue = "EXACT",
        description = "Modes, EXACT and/or BOUNDED (default ${DEFAULT-VALUE}).")
    List<Mode> modes;

    @Option(names = "--deadline-ms",
        description = "BOUNDED: a chunk finishes this long after its first contribution if the quorum is in " +
        "(default: the library's).")
    Double deadlineMs;

    @Option(names = "--quorum", description = "BOUNDED: fewest ranks a chunk may finish with (default: the library's).")
    Integer quorum;

    @Option(names = "--epp", paramLabel = "N|auto|jumbo", defaultValue = "auto",
        description = "Elements per datagram; auto = the most that fit a 65507-byte datagram for the codec and " +
        "world size, jumbo = the most that fit one 9000-byte IP frame (an 8972-byte datagram: 2235 for FP32, " +
        "8940 for INT8_NARROW) (default ${DEFAULT-VALUE}).")
    String epp;

    @Option(names = "--window", defaultValue = "8",
        description = "Chunks in flight per worker, a power of two (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--iterations",
        description = "Measured calls per case (default: adaptive, until 20 calls or --seconds-per-case, " +
        "at least 3).")
    Integer iterations;

    @Option(names = "--warmup", defaultValue = "3", description = "Calls before measuring (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--group-warmup-seconds", defaultValue = "3",
        description = "Per codec and mode, before its first case: unreported calls of the smallest size and of " +
        "min(1 MiB, largest size) in turn for this long, so that the JIT has compiled the paths; 0 for none " +
        "(default ${DEFAULT-VALUE}).")
    double groupWarmupSeconds;

    @Option(names = "--first-warmup-seconds", defaultValue = "12",
        description = "The first group's warm-up lasts at least this long: the JIT compiles the paths every codec " +
        "shares (Netty, engines) then, in every JVM at once; with a short one the first group measures slow, by 2x " +
        "at 1 MiB on 2 cores (default ${DEFAULT-VALUE}; 0 for --group-warmup-seconds only).")
    double firstWarmupSeconds;

    @Option(names = "--seconds-per-case", defaultValue = "10",
        description = "Adaptive mode: stop measuring a case after this long (default ${DEFAULT-VALUE}).")
    double secondsPerCase;

    @Option(names = "--case-limit-seconds", defaultValue = "120",
        description = "Hard limit per case, warm-up included; ends the case with the calls done so far " +
        "(at least one) (default ${DEFAULT-VALUE}).")
    double caseLimitSeconds;

    @Option(names = "--max-seconds", defaultValue = "1800",
        description = "Stop the whole benchmark after this long, with a message and exit code 3 " +
        "(default ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--busy-poll", description = "Event loops and callers spin instead of blocking.")
    boolean busyPoll;

    @Option(names = "--caller-runs",
        description = "Each rank's calling thread drives its socket itself (WorkerConfig.callerRuns): no network " +
        "thread per rank, two thread wake-ups fewer per call.")
    boolean callerRuns;

    @Option(names = "--timeout-ms", defaultValue = "30000",
        description = "A call fails after this long without progress (default ${DEFAULT-VALUE}).")
    long timeoutMs;

    /**
     * Checks the values that picocli cannot.
     *
     * @throws IllegalArgumentException saying which option to change.
     */
    void validate()
    {
        require(!sizes.isEmpty() && !codecs.isEmpty() && !modes.isEmpty(),
            "--sizes, --codecs and --modes need a value");
        require(window >= 1 && Integer.bitCount(window) == 1, "--window must be a power of two, got " + window);
        require(iterations == null || iterations >= 1, "--iterations must be at least 1, got " + iterations);
        require(warmup >= 0, "--warmup must be >= 0, got " + warmup);
        require(secondsPerCase > 0 && caseLimitSeconds > 0 && maxSeconds > 0,
            "--seconds-per-case, --case-limit-seconds and --max-seconds must be positive");
        require(groupWarmupSeconds >= 0, "--group-warmup-seconds must be >= 0, got " + groupWarmupSeconds);
        require(firstWarmupSeconds >= 0, "--first-warmup-seconds must be >= 0, got " + firstWarmupSeconds);
        require(timeoutMs >= 100, "--timeout-ms must be at least 100, got " + timeoutMs);
        require("auto".equalsIgnoreCase(epp) || "jumbo".equalsIgnoreCase(epp) || epp.matches("[0-9]{1,6}"),
            "--epp must be a positive number, auto or jumbo, got " + epp);
    }

    /**
     * How long a group's warm-up lasts.
     *
     * @param groupIndex the group's place in the run, from 0.
     * @return seconds: {@code --group-warmup-seconds}, at least {@code --first-warmup-seconds} for the first group
     *         (0 if group warm-up is off).
     */
    double warmupSeconds(final int groupIndex)
    {
        if (groupWarmupSeconds == 0)
        {
            return 0;
        }
        return groupIndex == 0 ? Math.max(groupWarmupSeconds, firstWarmupSeconds) : groupWarmupSeconds;
    }

    /**
     * Elements per packet for a codec, as the options ask.
     *
     * @param codec     codec of the case.
     * @param worldSize ranks.
     * @return elements per datagram.
     */
    int elementsPerPacket(final Codec codec, final int worldSize)
    {
        if ("auto".equalsIgnoreCase(epp))
        {
            return BenchPlan.maxElementsPerPacket(codec, worldSize, FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
        }
        if ("jumbo".equalsIgnoreCase(epp))
        {
            return BenchPlan.maxElementsPerPacket(codec, worldSize, JUMBO_DATAGRAM_LENGTH);
        }
        return Integer.parseInt(epp);
    }

    /**
     * A group's worker configuration: codec, mode (with the BOUNDED settings), window and elements per packet.
     *
     * @param builder this rank's base configuration.
     * @param group   the group.
     * @return the builder.
     */
    WorkerConfig.Builder configure(final WorkerConfig.Builder builder, final BenchPlan.Group group)
    {
        builder.codec(group.codec()).mode(group.mode()).window(window).elementsPerPacket(group.elementsPerPacket());
        if (deadlineMs != null)
        {
            builder.deadlineNs((long)(deadlineMs * 1e6));
        }
        if (quorum != null)
        {
            builder.quorum(quorum);
        }
        return builder;
    }

    /**
     * A call's timeout.
     *
     * @return nanoseconds.
     */
    long timeoutNs()
    {
        return TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    }

    /**
     * The same options as command-line arguments, for a worker process.
     *
     * @return arguments.
     */
    List<String> toArgs()
    {
        final List<String> args = new ArrayList<>();
        final List<String> sizeArgs = new ArrayList<>();
        sizes.forEach(bytes -> sizeArgs.add(ByteSizes.toArg(bytes)));
        final List<String> codecArgs = new ArrayList<>();
        codecs.forEach(codec -> codecArgs.add(codec.name()));
        final List<String> modeArgs = new ArrayList<>();
        modes.forEach(mode -> modeArgs.add(mode.name()));
        args.add("--sizes=" + String.join(",", sizeArgs));
        args.add("--codecs=" + String.join(",", codecArgs));
        args.add("--modes=" + String.join(",", modeArgs));
        args.add("--epp=" + epp);
        args.add("--window=" + window);
        if (deadlineMs != null)
        {
            args.add("--deadline-ms=" + format(deadlineMs));
        }
        if (quorum != null)
        {
            args.add("--quorum=" + quorum);
        }
        if (iterations != null)
        {
            args.add("--iterations=" + iterations);
        }
        args.add("--warmup=" + warmup);
        args.add("--group-warmup-seconds=" + format(groupWarmupSeconds));
        args.add("--first-warmup-seconds=" + format(firstWarmupSeconds));
        args.add("--seconds-per-case=" + format(secondsPerCase));
        args.add("--case-limit-seconds=" + format(caseLimitSeconds));
        args.add("--max-seconds=" + format(maxSeconds));
        args.add("--timeout-ms=" + timeoutMs);
        if (busyPoll)
        {
            args.add("--busy-poll");
        }
        if (callerRuns)
        {
            args.add("--caller-runs");
        }
        return args;
    }

    private static String format(final double value)
    {
        return String.format(Locale.ROOT, "%s", value);
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }
}
