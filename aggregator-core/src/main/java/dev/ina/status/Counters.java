package dev.ina.status;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One Agrona {@link AtomicCounter} per {@link CounterDescriptor}. Written by one thread (the engine's owner)
 * with release semantics; read by any thread.
 */
public final class Counters
{
    private static final CounterDescriptor[] DESCRIPTORS = CounterDescriptor.values();

    private final AtomicCounter[] counters;
    private final Counters[] parts;

    /**
     * Allocates the counters.
     *
     * @param prefix label prefix, e.g. {@code "aggregator"}.
     */
    public Counters(final String prefix)
    {
        parts = null;
        counters = new AtomicCounter[DESCRIPTORS.length];
        final int n = DESCRIPTORS.length;
        final AtomicBuffer metaData = new UnsafeBuffer(
            ByteBuffer.allocateDirect(n * CountersReader.METADATA_LENGTH));
        final AtomicBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(n * CountersReader.COUNTER_LENGTH));
        final CountersManager manager = new CountersManager(metaData, values);
        for (final CounterDescriptor descriptor : DESCRIPTORS)
        {
            counters[descriptor.ordinal()] = manager.newCounter(prefix + ": " + descriptor.label(), descriptor.id());
        }
    }

    private Counters(final Counters[] parts)
    {
        this.parts = parts.clone();
        this.counters = null;
    }

    /**
     * A read-only view that sums several counter sets, e.g. one per engine thread.
     *
     * @param parts the counter sets.
     * @return the view; its {@code increment} and {@code add} throw.
     */
    public static Counters sumOf(final Counters... parts)
    {
        return parts.length == 1 ? parts[0] : new Counters(parts);
    }

    /**
     * Adds one. Single writer.
     *
     * @param descriptor the counter.
     */
    public void increment(final CounterDescriptor descriptor)
    {
        counters[descriptor.ordinal()].incrementRelease();
    }

    /**
     * Adds a delta. Single writer.
     *
     * @param descriptor the counter.
     * @param delta      to add.
     */
    public void add(final CounterDescriptor descriptor, final long delta)
    {
        counters[descriptor.ordinal()].getAndAddRelease(delta);
    }

    /**
     * Reads a counter from any thread.
     *
     * @param descriptor the counter.
     * @return its value.
     */
    public long get(final CounterDescriptor descriptor)
    {
        if (parts != null)
        {
            long sum = 0;
            for (final Counters part : parts)
            {
                sum += part.get(descriptor);
            }
            return sum;
        }
        return counters[descriptor.ordinal()].get();
    }

    /**
     * Sum of all {@code DROP_*} counters.
     *
     * @return dropped frames.
     */
    public long totalDropped()
    {
        long total = 0;
        for (final CounterDescriptor descriptor : DESCRIPTORS)
        {
            if (descriptor.name().startsWith("DROP_"))
            {
                total += get(descriptor);
            }
        }
        return total;
    }

    /**
     * Snapshot of the non-zero counters, by label, in descriptor order. Allocates.
     *
     * @return label to value.
     */
    public Map<String, Long> snapshot()
    {
        final Map<String, Long> snapshot = new LinkedHashMap<>();
        for (final CounterDescriptor descriptor : DESCRIPTORS)
        {
            final long value = get(descriptor);
            if (value != 0)
            {
                snapshot.put(descriptor.label(), value);
            }
        }
        return snapshot;
    }

    /**
     * Snapshot as one line of text, for logs.
     *
     * @return e.g. {@code "frames received=10, dropped: short=1"}.
     */
    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder();
        snapshot().forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return sb.toString();
    }
}
