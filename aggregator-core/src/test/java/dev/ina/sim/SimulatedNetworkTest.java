package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.worker.WorkerSession;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedNetworkTest
{
    @Test
    void shouldSumExactlyWhenNetworkIsPerfect()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(3).workers(Codec.FP32, 4, 4).build();
        net.joinAll(10_000);
        final float[][] data = {{1, 2, 3, 4, 5}, {10, 20, 30, 40, 50}, {100, 200, 300, 400, 500}};
        net.allReduce(data, ReduceOp.SUM, 10_000);
        for (int r = 0; r < 3; r++)
        {
            assertArrayEquals(new float[]{111, 222, 333, 444, 555}, data[r]);
            assertEquals(WorkerSession.State.READY, net.worker(r).state());
        }
        assertEquals(0, net.framesLost() + net.framesDuplicated() + net.framesHeldBack() + net.framesFiltered());
        assertEquals(net.framesSent(), net.framesDelivered());
        assertEquals(0, net.inFlight());
    }

    @Test
    void shouldAddressEachRankByItsOwnPeerIdWhenFramesFlow()
    {
        final List<int[]> routes = new ArrayList<>();
        final SimulatedNetwork net = SimulatedNetwork.builder(3).workers(Codec.FP32, 2, 2)
            .filter((from, to, buffer, offset, length, nowNs) ->
            {
                routes.add(new int[]{from, to, buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET),
                    buffer.getShort(offset + FrameDescriptor.RANK_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN)});
                return false;
            })
            .build();
        net.joinAll(10_000);
        for (final int[] route : routes)
        {
            if (route[2] == FrameDescriptor.TYPE_JOIN)
            {
                assertEquals(SimulatedNetwork.AGGREGATOR_NODE, route[1]);
                assertEquals(SimulatedNetwork.peerOf(route[3]), route[0]);
            }
            else
            {
                assertEquals(SimulatedNetwork.AGGREGATOR_NODE, route[0]);
                assertEquals(SimulatedNetwork.peerOf(route[3]), route[1], "reply to rank " + route[3]);
            }
        }
        assertTrue(routes.size() >= 6, routes.size() + " frames");
    }

    @Test
    void shouldReplayFrameForFrameWhenTheSeedIsTheSame()
    {
        final long[] first = lossyRun(5);
        final long[] again = lossyRun(5);
        final long[] other = lossyRun(6);
        assertArrayEquals(first, again);
        assertNotEquals(first[0], other[0]);
    }

    private static long[] lossyRun(final long seed)
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(4).workers(Codec.FP32, 4, 3)
            .links(LinkProfile.of(0.1, 0.1, 0.3), LinkProfile.of(0.1, 0.1, 0.3)).seed(seed).build();
        net.joinAll(100_000);
        final float[][] data = ReferenceSums.gradients(1, 4, 40);
        net.allReduce(data, ReduceOp.SUM, 100_000);
        return new long[]{net.framesSent(), net.framesLost(), net.framesDuplicated(), net.framesHeldBack(),
            net.nowNs(), Float.floatToRawIntBits(data[0][17])};
    }

    @Test
    void shouldApplyEachFaultAtRoughlyItsRateWhenLinksAreFaulty()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(4).workers(Codec.FP32, 8, 2)
            .links(LinkProfile.of(0.1, 0.05, 0.2), LinkProfile.of(0.1, 0.05, 0.2)).seed(9).build();
        net.joinAll(100_000);
        for (int call = 0; call < 5; call++)
        {
            net.allReduce(ReferenceSums.gradients(call, 4, 400), ReduceOp.SUM, 1_000_000);
        }
        final double sent = net.framesSent();
        assertTrue(sent > 2000, "sent " + sent);
        assertEquals(0.10, net.framesLost() / sent, 0.03);
        assertEquals(0.05 * 0.9, net.framesDuplicated() / sent, 0.02);
        assertEquals(0.20 * 0.95, net.framesHeldBack() / sent, 0.04);
        assertEquals(net.framesSent() - net.framesLost() + net.framesDuplicated(),
            net.framesDelivered() + net.inFlight());
    }

    @Test
    void shouldWorkWhenTheClockStartsNegative()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(2).workers(Codec.FIXED32, 2, 3)
            .startNs(-1_000_000_000_000_000_000L).links(LinkProfile.of(0.05, 0, 0), LinkProfile.PERFECT).build();
        net.joinAll(100_000);
        final float[][] data = {{1, 2, 3, 4}, {4, 3, 2, 1}};
        net.allReduce(data, ReduceOp.SUM, 100_000);
        assertArrayEquals(new float[]{5, 5, 5, 5}, data[0]);
        assertTrue(net.nowNs() < 0);
    }

    @Test
    void shouldFailWithEveryEnginesStateWhenRunUntilHitsItsBound()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(2).build();
        net.startJoin(0);
        final AssertionError error = assertThrows(AssertionError.class, () -> net.runUntil(() -> false, 50));
        assertTrue(error.getMessage().contains("within 50 steps"), error.getMessage());
        assertTrue(error.getMessage().contains("rank 0: JOINING"), error.getMessage());
        assertTrue(error.getMessage().contains("rank 1: NEW"), error.getMessage());
        assertEquals(50, net.runFor(5_000_000, 100));
    }

    @Test
    void shouldDeliverNothingWhenALinkIsDead()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(1).links(LinkProfile.dead(), LinkProfile.PERFECT)
            .build();
        net.startJoin(0);
        net.runFor(100_000_000, 10_000);
        assertEquals(0, net.framesDelivered());
        assertEquals(net.framesSent(), net.framesLost());
        assertEquals(0, net.aggregator().jobCount());
    }
}
