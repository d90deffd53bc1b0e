package dev.ina.bench.e2e;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.FrameDescriptor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The deterministic sequence of cases every rank runs: for each codec, for each mode, one job (a group), and in it
 * one case per size, in the order given. Every rank builds the same plan from the same options.
 */
final class BenchPlan
{
    private final List<Group> groups;
    private final List<Long> sizes;
    private final int worldSize;

    /**
     * One job of the plan: the cases of one codec and mode share a collective.
     *
     * @param index             position in the plan, from 0; the job id is the base job id + 1 + index.
     * @param codec             codec.
     * @param mode              mode.
     * @param elementsPerPacket elements per datagram.
     */
    record Group(int index, Codec codec, Mode mode, int elementsPerPacket)
    {
    }

    private BenchPlan(final List<Group> groups, final List<Long> sizes, final int worldSize)
    {
        this.groups = Collections.unmodifiableList(groups);
        this.sizes = Collections.unmodifiableList(sizes);
        this.worldSize = worldSize;
    }

    /**
     * Builds the plan.
     *
     * @param options   validated options.
     * @param worldSize ranks.
     * @return the plan.
     */
    static BenchPlan of(final CaseOptions options, final int worldSize)
    {
        final List<Group> groups = new ArrayList<>();
        for (final Codec codec : options.codecs)
        {
            for (final Mode mode : options.modes)
            {
                groups.add(new Group(groups.size(), codec, mode, options.elementsPerPacket(codec, worldSize)));
            }
        }
        return new BenchPlan(groups, new ArrayList<>(options.sizes), worldSize);
    }

    /**
     * Most elements per datagram for a codec: the payload of a datagram after the 32-byte header, over the larger of
     * the bytes per element up and down (which for narrow codecs depends on the world size).
     *
     * @param codec          codec.
     * @param worldSize      ranks (sums may widen with the world size).
     * @param datagramLength UDP payload bytes, at most {@link FrameDescriptor#MAX_UDP_PAYLOAD_LENGTH}.
     * @return elements.
     */
    static int maxElementsPerPacket(final Codec codec, final int worldSize, final int datagramLength)
    {
        return WorkerConfig.maxElementsPerPacket(codec, worldSize, datagramLength);
    }

    /**
     * The groups, in order.
     *
     * @return groups.
     */
    List<Group> groups()
    {
        return groups;
    }

    /**
     * The sizes of each group, in order.
     *
     * @return bytes.
     */
    List<Long> sizes()
    {
        return sizes;
    }

    /**
     * Ranks.
     *
     * @return world size.
     */
    int worldSize()
    {
        return worldSize;
    }

    /**
     * Cases in the plan.
     *
     * @return groups times sizes.
     */
    int caseCount()
    {
        return groups.size() * sizes.size();
    }

    /**
     * Size of the calls that warm a group up: the largest size, at most 1 MiB.
     *
     * @return bytes.
     */
    long groupWarmupBytes()
    {
        return Math.min(1L << 20, (long)maxCount() * Float.BYTES);
    }

    /**
     * Smallest tensor of the plan.
     *
     * @return bytes.
     */
    long minBytes()
    {
        long min = Long.MAX_VALUE;
        for (final long bytes : sizes)
        {
            min = Math.min(min, bytes);
        }
        return min;
    }

    /**
     * Largest tensor of the plan.
     *
     * @return elements.
     */
    int maxCount()
    {
        long max = 0;
        for (final long bytes : sizes)
        {
            max = Math.max(max, bytes);
        }
        return (int)(max / Float.BYTES);
    }
}
