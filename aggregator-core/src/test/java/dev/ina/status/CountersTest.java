package dev.ina.status;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountersTest
{
    @Test
    void shouldHaveUniqueStableIdsWhenDescriptorsAreListed()
    {
        final Set<Integer> ids = new HashSet<>();
        for (final CounterDescriptor descriptor : CounterDescriptor.values())
        {
            assertTrue(ids.add(descriptor.id()), "duplicate id " + descriptor.id());
        }
        assertEquals(1, CounterDescriptor.FRAMES_RECEIVED.id());
        assertEquals(20, CounterDescriptor.DROP_SHORT.id());
    }

    @Test
    void shouldSumOnlyDropCountersWhenTotallingDrops()
    {
        final Counters counters = new Counters("test");
        counters.increment(CounterDescriptor.DROP_TOKEN);
        counters.add(CounterDescriptor.DROP_STALE, 4);
        counters.add(CounterDescriptor.FRAMES_RECEIVED, 100);
        assertEquals(5, counters.totalDropped());
        assertEquals(1, counters.get(CounterDescriptor.DROP_TOKEN));
        assertEquals(100, counters.get(CounterDescriptor.FRAMES_RECEIVED));
        assertEquals(3, counters.snapshot().size());
        assertTrue(counters.toString().contains("dropped: stale=4"), counters.toString());
    }
}
