package dev.ina.protocol;

import dev.ina.api.Codec;
import dev.ina.api.Mode;

import java.util.concurrent.TimeUnit;

/**
 * What every rank of a job must agree on, as a JOIN carries it and a JOIN_ACK confirms it: codec, world size,
 * window, elements per packet, mode and, in bounded mode, quorum, deadline and whether the deadline adapts. The
 * worker builds it from its configuration, the aggregator from the first JOIN, and a JOIN whose spec differs from
 * the job's is refused. The deadline travels in whole microseconds, so a spec keeps it at that precision.
 *
 * @param codec             value codec.
 * @param worldSize         number of ranks, 1 to {@link FrameDescriptor#MAX_WORLD_SIZE}.
 * @param window            slots of the job and chunks in flight per rank, a power of two.
 * @param elementsPerPacket elements in a full chunk.
 * @param mode              exact or bounded.
 * @param quorum            bounded mode: fewest contributions a chunk may finish with.
 * @param deadlineNs        bounded mode: how long after its first contribution a chunk may finish with the quorum.
 * @param adaptiveDeadline  bounded mode: whether the aggregator shortens the deadline to recent completion times.
 */
public record JobSpec(
    Codec codec,
    int worldSize,
    int window,
    int elementsPerPacket,
    Mode mode,
    int quorum,
    long deadlineNs,
    boolean adaptiveDeadline)
{
    /** Shortest bounded-mode deadline a job may ask for. */
    public static final long MIN_DEADLINE_NS = TimeUnit.MICROSECONDS.toNanos(100);

    /**
     * A spec with the deadline cut to whole microseconds, as it travels.
     *
     * @param codec             value codec.
     * @param worldSize         number of ranks.
     * @param window            slots of the job, a power of two.
     * @param elementsPerPacket elements in a full chunk.
     * @param mode              exact or bounded.
     * @param quorum            bounded mode: fewest contributions a chunk may finish with.
     * @param deadlineNs        bounded mode: the deadline, cut to whole microseconds.
     * @param adaptiveDeadline  bounded mode: whether the deadline adapts.
     */
    public JobSpec
    {
        deadlineNs = TimeUnit.MICROSECONDS.toNanos(TimeUnit.NANOSECONDS.toMicros(deadlineNs));
    }

    /**
     * Whether chunks may finish without every rank.
     *
     * @return true in bounded mode.
     */
    public boolean isBounded()
    {
        return mode == Mode.BOUNDED;
    }

    /**
     * {@code log2(window)}.
     *
     * @return the shift.
     */
    public int windowShift()
    {
        return Integer.numberOfTrailingZeros(window);
    }

    /**
     * Slot sets of the job: two per slot.
     *
     * @return {@code 2 * window}.
     */
    public int sets()
    {
        return 2 * window;
    }

    /**
     * Whether another spec describes the same job: every field that matters for the mode is equal (quorum and
     * deadline only in bounded mode).
     *
     * @param other another spec.
     * @return true if the two may be ranks of one job.
     */
    public boolean isSameJob(final JobSpec other)
    {
        return codec == other.codec && worldSize == other.worldSize && window == other.window &&
            elementsPerPacket == other.elementsPerPacket && mode == other.mode &&
            (!isBounded() || quorum == other.quorum && deadlineNs == other.deadlineNs &&
            adaptiveDeadline == other.adaptiveDeadline);
    }

    /**
     * Checks the spec a JOIN carries before it is trusted. Control path only: allocates the message.
     *
     * @param join      a JOIN frame at least {@link ControlFlyweight#JOIN_LENGTH} long.
     * @param maxWindow largest window the aggregator grants.
     * @return null if the spec is valid, else what is wrong with it.
     */
    public static String checkJoin(final ControlFlyweight join, final int maxWindow)
    {
        final Codec codec = Codec.fromId(join.codec());
        final int worldSize = join.worldSize();
        final int window = join.window();
        final int elementsPerPacket = join.elementsPerPacket();
        if (codec == null)
        {
            return "unknown codec id " + join.codec();
        }
        if (worldSize < 1 || worldSize > FrameDescriptor.MAX_WORLD_SIZE)
        {
            return "worldSize must be within [1, " + FrameDescriptor.MAX_WORLD_SIZE + "], got " + worldSize;
        }
        if (join.rank() >= worldSize)
        {
            return "rank must be below worldSize " + worldSize;
        }
        if (window < 1 || (window & (window - 1)) != 0 || window > maxWindow)
        {
            return "window must be a power of two within [1, " + maxWindow + "], got " + window;
        }
        final int maxElements = maxElementsPerPacket(codec, worldSize);
        if (elementsPerPacket < 1 || elementsPerPacket > maxElements)
        {
            return "elementsPerPacket must be within [1, " + maxElements + "], got " + elementsPerPacket;
        }
        final Mode mode = Mode.fromId(join.mode());
        if (mode == null)
        {
            return "unsupported mode " + join.mode();
        }
        if (mode == Mode.BOUNDED && (join.quorum() < 1 || join.quorum() > worldSize))
        {
            return "quorum must be within [1, " + worldSize + "], got " + join.quorum();
        }
        if (mode == Mode.BOUNDED && TimeUnit.MICROSECONDS.toNanos(join.deadlineUs()) < MIN_DEADLINE_NS)
        {
            return "deadline must be at least 100 µs, got " + TimeUnit.MICROSECONDS.toNanos(join.deadlineUs()) +
                " ns";
        }
        return null;
    }

    /**
     * Reads the spec of a JOIN or JOIN_ACK that {@link #checkJoin} accepted.
     *
     * @param frame the frame.
     * @return the spec.
     */
    public static JobSpec read(final ControlFlyweight frame)
    {
        return new JobSpec(
            Codec.fromId(frame.codec()),
            frame.worldSize(),
            frame.window(),
            frame.elementsPerPacket(),
            Mode.fromId(frame.mode()),
            frame.quorum(),
            TimeUnit.MICROSECONDS.toNanos(frame.deadlineUs()),
            (frame.modeFlags() & ControlFlyweight.MODE_FLAG_ADAPTIVE_DEADLINE) != 0);
    }

    /**
     * Writes the spec into the payload of a JOIN or JOIN_ACK whose header is written (the codec is a header field)
     * and sets the frame length.
     *
     * @param frame the frame.
     */
    public void writeTo(final ControlFlyweight frame)
    {
        frame.worldSize(worldSize)
            .window(window)
            .elementsPerPacket(elementsPerPacket)
            .mode(mode.id())
            .modeFlags(adaptiveDeadline ? ControlFlyweight.MODE_FLAG_ADAPTIVE_DEADLINE : 0)
            .quorum(quorum)
            .deadlineUs(TimeUnit.NANOSECONDS.toMicros(deadlineNs))
            .frameLength(ControlFlyweight.JOIN_LENGTH);
    }

    /**
     * Largest elements per packet whose CONTRIB and RESULT payloads both fit a frame.
     *
     * @param codec     the codec.
     * @param worldSize ranks (the width of narrow codecs' results depends on it).
     * @return elements.
     */
    public static int maxElementsPerPacket(final Codec codec, final int worldSize)
    {
        return FrameDescriptor.MAX_PAYLOAD_LENGTH / Math.max(codec.bytesUp(), codec.bytesDown(worldSize));
    }

    /**
     * Longest CONTRIB or RESULT frame of the job.
     *
     * @return bytes, header included.
     */
    public int maxFrameLength()
    {
        return FrameDescriptor.HEADER_LENGTH +
            elementsPerPacket * Math.max(codec.bytesUp(), codec.bytesDown(worldSize));
    }

    /**
     * The settings, for messages: e.g. {@code worldSize=4, codec=FIXED32, window=8, elementsPerPacket=256,
     * mode=BOUNDED, quorum=3, deadlineUs=5000 adaptive}.
     *
     * @return the text.
     */
    public String settings()
    {
        return "worldSize=" + worldSize + ", codec=" + codec + ", window=" + window + ", elementsPerPacket=" +
            elementsPerPacket + ", mode=" + mode + (isBounded() ? ", quorum=" + quorum + ", deadlineUs=" +
            TimeUnit.NANOSECONDS.toMicros(deadlineNs) + (adaptiveDeadline ? " adaptive" : "") : "");
    }

    /**
     * A job with this spec, for messages: e.g. {@code job 7 (worldSize=4, codec=FP32, ...)}.
     *
     * @param jobId the job id.
     * @return the text.
     */
    public String describe(final int jobId)
    {
        return "job " + jobId + " (" + settings() + ")";
    }
}
