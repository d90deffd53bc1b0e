package dev.ina.sim;

import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.JobSecrets;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.worker.WorkerSession;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job protected by a secret on a simulated lossy network, attacked by someone on the path: it sees every frame
 * (the JOINs, the session token), sends from any address (the ranks' included, and its own) and replays what it
 * captured, but does not know the secret. The job must form, reduce exactly and not be ended by any forged control
 * frame; every forgery is counted.
 */
class ProvenJobSimulationTest
{
    static final String SECRET = "0123456789abcdef0123456789abcdef";
    static final byte[] WRONG = "not the secret, but just as long".getBytes(StandardCharsets.UTF_8);
    static final int WORLD_SIZE = 4;
    static final int WINDOW = 8;
    static final int EPP = 17;
    static final int ATTACKER_NODE = 99;
    static final int MAX_STEPS = 2_000_000;
    static final LinkProfile LOSSY = LinkProfile.of(0.05, 0.03, 0.2);

    static AggregatorConfig aggregatorConfig()
    {
        return AggregatorConfig.builder()
            .jobSecrets(JobSecrets.of(Map.of(1, SECRET.getBytes(StandardCharsets.UTF_8)))).build();
    }

    @Test
    void shouldReduceExactlyWhileAnOnPathAttackerForgesAndReplaysControlFrames()
    {
        final List<UnsafeBuffer> capturedJoins = new ArrayList<>();
        final int[] token = new int[1];
        final SimulatedNetwork net = SimulatedNetwork.builder(WORLD_SIZE)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, WORLD_SIZE, Codec.FIXED32, WINDOW, EPP)
                .secret(SECRET).build())
            .aggregatorConfig(aggregatorConfig())
            .links(LOSSY, LOSSY).seed(11)
            .filter((from, to, buffer, offset, length, nowNs) ->
            {
                final byte type = buffer.getByte(offset + FrameDescriptor.TYPE_OFFSET);
                if (type == FrameDescriptor.TYPE_JOIN)
                {
                    final UnsafeBuffer copy = new UnsafeBuffer(new byte[length]);
                    copy.putBytes(0, buffer, offset, length);
                    capturedJoins.add(copy);
                }
                else if (type == FrameDescriptor.TYPE_JOIN_ACK)
                {
                    token[0] = buffer.getInt(offset + FrameDescriptor.SESSION_TOKEN_OFFSET,
                        java.nio.ByteOrder.LITTLE_ENDIAN);
                }
                return false;
            })
            .build();
        net.joinAll(MAX_STEPS);
        final Counters counters = net.aggregatorCounters();
        assertEquals(1, counters.get(CounterDescriptor.JOBS_STARTED));
        assertTrue(counters.get(CounterDescriptor.CHALLENGES_SENT) >= WORLD_SIZE);

        final Frames frames = new Frames(1, Codec.FIXED32, WORLD_SIZE, WINDOW, EPP);
        int forged = 0;
        int replayedElsewhere = 0;
        for (int call = 0; call < 3; call++)
        {
            for (int rank = 0; rank < WORLD_SIZE; rank++)
            {
                final int node = SimulatedNetwork.peerOf(rank);
                // From the rank's own address: LEAVE with the token, withdraw, a JOIN as if it restarted.
                forged += inject(net, node, frames.leave(token[0], rank));
                forged += inject(net, node, Frames.prove(frames.leave(token[0], rank), WRONG));
                forged += inject(net, node, frames.withdraw(rank, 1234));
                forged += inject(net, node, frames.join(rank, 4321 + call));
                forged += inject(net, node, Frames.prove(frames.join(rank, 4321 + call,
                    ControlFlyweight.PADDED_JOIN_LENGTH - FrameProof.LENGTH), WRONG));
            }
            for (final UnsafeBuffer join : capturedJoins)
            {
                // From the attacker's own address: challenged (or refused), never admitted.
                replayedElsewhere += hasCookie(join) ? 1 : 0;
                net.inject(ATTACKER_NODE, SimulatedNetwork.AGGREGATOR_NODE, join, 0, join.capacity());
            }
            final float[][] inputs = ReferenceSums.gradients(40 + call, WORLD_SIZE, (3 * WINDOW + 1) * EPP + 5);
            final float[][] data = ReferenceSums.copy(inputs);
            net.allReduce(data, ReduceOp.SUM, MAX_STEPS);
            AllReducePropertyTest.assertSameBits(data, "call " + call);
            assertNull(ReferenceSums.check(inputs, data[0], EPP, Codec.FIXED32, ReduceOp.SUM), "call " + call);
        }
        net.assertNoneFailed();
        assertEquals(0, counters.get(CounterDescriptor.JOBS_ENDED), counters.toString());
        assertEquals(1, counters.get(CounterDescriptor.JOBS_STARTED), "no forged JOIN may restart the job");
        // Withdrawals of a started job are refused by their missing token; everything else by its proof.
        assertEquals(forged - 3 * WORLD_SIZE, counters.get(CounterDescriptor.DROP_PROOF), counters.toString());
        assertEquals(replayedElsewhere, counters.get(CounterDescriptor.DROP_REPLAY), counters.toString());
        assertTrue(replayedElsewhere > 0);
        assertTrue(counters.get(CounterDescriptor.UNPROVEN_BYTES_SENT) <=
            counters.get(CounterDescriptor.UNPROVEN_BYTES_RECEIVED), counters.toString());
        for (int r = 0; r < WORLD_SIZE; r++)
        {
            assertEquals(WorkerSession.State.READY, net.worker(r).state());
        }
    }

    private static int inject(final SimulatedNetwork net, final int node, final UnsafeBuffer frame)
    {
        net.inject(node, SimulatedNetwork.AGGREGATOR_NODE, frame, 0, frame.capacity());
        return 1;
    }

    private static boolean hasCookie(final UnsafeBuffer join)
    {
        for (int i = 0; i < ControlFlyweight.COOKIE_LENGTH; i++)
        {
            if (join.getByte(ControlFlyweight.COOKIE_OFFSET + i) != 0)
            {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldRefuseARankWhoseSecretDiffersAndSayWhichSettingToFix()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(2)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, 2, Codec.FP32, 4, 8)
                .secret(r == 0 ? SECRET : new String(WRONG, StandardCharsets.UTF_8)).build())
            .aggregatorConfig(aggregatorConfig())
            .build();
        net.startJoin(0);
        net.startJoin(1);
        net.runUntil(() -> net.worker(1).state() == WorkerSession.State.FAILED, MAX_STEPS);
        final CollectiveException failure = net.worker(1).failure();
        assertEquals(CollectiveException.Reason.REFUSED, failure.reason());
        assertTrue(failure.getMessage().contains("the JOIN's proof does not verify: INA_SECRET or INA_SECRET_FILE " +
            "must hold the secret"), failure.getMessage());
        assertEquals(WorkerSession.State.JOINING, net.worker(0).state());
        assertEquals(0, net.aggregatorCounters().get(CounterDescriptor.JOBS_STARTED));
    }

    @Test
    void shouldRefuseAWorkerWithASecretWhenTheAggregatorHoldsNoneForItsJob()
    {
        final SimulatedNetwork net = SimulatedNetwork.builder(1)
            .workerConfigs(r -> SimulatedNetwork.workerConfig(r, 1, Codec.FP32, 4, 8).jobId(5).secret(SECRET).build())
            .aggregatorConfig(aggregatorConfig())
            .build();
        net.startJoin(0);
        net.runUntil(() -> net.worker(0).state() == WorkerSession.State.FAILED, MAX_STEPS);
        assertTrue(net.worker(0).failure().getMessage().contains("proves a secret, but the aggregator holds none " +
            "for job 5: add a line '5 <secret>' to its secrets file (INA_AGGREGATOR_SECRETS)"),
            net.worker(0).failure().getMessage());
    }
}
