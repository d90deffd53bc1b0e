package dev.ina.sim;

import dev.ina.aggregation.ChunkAggregator;
import dev.ina.api.Codec;
import dev.ina.api.ReduceOp;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.WorkerConfig;
import dev.ina.status.Counters;
import dev.ina.transport.FrameSender;
import dev.ina.worker.WorkerSession;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.FloatBuffer;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * An in-process, deterministic network of one {@link ChunkAggregator} and {@code N} {@link WorkerSession}s with a
 * manual clock: no sockets, no threads, no sleeps.
 * <p>
 * Every frame an engine sends through its {@link FrameSender} is copied and queued with a delivery time; the
 * {@link FrameFilter} and the direction's {@link LinkProfile} (seeded) may drop it, deliver it twice or hold it
 * back so that later frames overtake it. {@link #step()} advances the clock to the next delivery (or by one tick
 * when nothing is in flight), delivers every frame that is due, then calls {@code doWork} on the aggregator and on
 * every worker, in rank order. The same seed and the same calls give the same run, frame for frame.
 * <p>
 * Node and peer ids: the aggregator is node {@link #AGGREGATOR_NODE}; rank {@code r} is node {@code r + 1}. A
 * worker sends to peer {@link WorkerSession#AGGREGATOR_PEER}; the aggregator sees rank {@code r} as peer
 * {@code r + 1} (see {@link #peerOf}) and sends back by that peer id. A send to any other peer returns
 * {@link FrameSender#NOT_CONNECTED}.
 * <p>
 * Not thread safe: one test thread drives it. Loops are bounded: {@link #runUntil} gives up after a number of
 * steps with an {@link AssertionError} that describes every engine's state.
 */
public final class SimulatedNetwork
{
    /** Node id of the aggregator; also the peer id a worker sends to. */
    public static final int AGGREGATOR_NODE = WorkerSession.AGGREGATOR_PEER;

    private final Builder config;
    private final long tickNs;
    private final long delayNs;
    private final SplittableRandom random;
    private final SplittableRandom nonces;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>(SimulatedNetwork::compare);
    private final UnsafeBuffer deliveryBuffer = new UnsafeBuffer(new byte[0]);
    private final Counters aggregatorCounters = new Counters("aggregator");
    private final ChunkAggregator aggregator;
    private final WorkerConfig[] workerConfigs;
    private final WorkerSession[] workers;
    private final Counters[] workerCounters;
    private final FrameSender aggregatorSender = new AggregatorSender();
    private final long[] pausedUntilNs;
    private long aggregatorPausedUntilNs;
    private final boolean[] dead;
    private final SplittableRandom pauses;
    private FrameFilter filter;
    private LinkProfile uplink;
    private LinkProfile downlink;
    private long nowNs;
    private long sequence;
    private long framesSent;
    private long framesLost;
    private long framesFiltered;
    private long framesDuplicated;
    private long framesHeldBack;
    private long framesDelivered;

    private SimulatedNetwork(final Builder b)
    {
        config = b;
        tickNs = b.tickNs;
        delayNs = b.delayNs;
        random = new SplittableRandom(b.seed);
        nonces = new SplittableRandom(b.seed ^ 0x5DEECE66DL);
        filter = b.filter;
        uplink = b.uplink;
        downlink = b.downlink;
        nowNs = b.startNs;
        aggregator = new ChunkAggregator(b.aggregatorConfig, aggregatorSender, aggregatorCounters, random.nextLong());
        final int n = b.worldSize;
        workerConfigs = new WorkerConfig[n];
        workers = new WorkerSession[n];
        workerCounters = new Counters[n];
        pausedUntilNs = new long[n];
        java.util.Arrays.fill(pausedUntilNs, b.startNs);
        aggregatorPausedUntilNs = b.startNs;
        dead = new boolean[n];
        pauses = new SplittableRandom(b.seed ^ 0x9E3779B97F4A7C15L);
        for (int r = 0; r < n; r++)
        {
            workerConfigs[r] = b.workerConfigs.apply(r);
            if (workerConfigs[r].rank() != r)
            {
                throw new IllegalArgumentException("worker config " + r + " has rank " + workerConfigs[r].rank());
            }
            workerCounters[r] = new Counters("worker-" + r);
            workers[r] = new WorkerSession(workerConfigs[r], new WorkerSender(r), workerCounters[r], nextNonce());
        }
    }

    /**
     * A builder with a perfect network, seed 1 and worker timeouts suited to simulated time.
     *
     * @param worldSize number of workers, 1 to 1024.
     * @return a new builder.
     */
    public static Builder builder(final int worldSize)
    {
        return new Builder(worldSize);
    }

    /**
     * A worker configuration suited to the simulation: small retransmission timeouts (1 ms initial, 200 us
     * minimum, 20 ms maximum) and 5 s call and join timeouts.
     *
     * @param rank              rank.
     * @param worldSize         ranks.
     * @param codec             codec.
     * @param window            window, a power of two.
     * @param elementsPerPacket elements per chunk.
     * @return a builder to adjust further.
     */
    public static WorkerConfig.Builder workerConfig(
        final int rank, final int worldSize, final Codec codec, final int window, final int elementsPerPacket)
    {
        return WorkerConfig.builder()
            .aggregator("127.0.0.1", 47_100)
            .jobId(1)
            .rank(rank)
            .worldSize(worldSize)
            .codec(codec)
            .window(window)
            .elementsPerPacket(elementsPerPacket)
            .timeoutNs(TimeUnit.SECONDS.toNanos(5))
            .joinTimeoutNs(TimeUnit.SECONDS.toNanos(5))
            .retransmitTimeouts(
                TimeUnit.MILLISECONDS.toNanos(1),
                TimeUnit.MICROSECONDS.toNanos(200),
                TimeUnit.MILLISECONDS.toNanos(20));
    }

    /**
     * Peer id under which the aggregator sees a rank.
     *
     * @param rank worker rank.
     * @return {@code rank + 1}.
     */
    public static int peerOf(final int rank)
    {
        return rank + 1;
    }

    /**
     * Simulated time.
     *
     * @return nanoseconds.
     */
    public long nowNs()
    {
        return nowNs;
    }

    /**
     * Number of workers.
     *
     * @return world size.
     */
    public int worldSize()
    {
        return workers.length;
    }

    /**
     * The aggregation engine.
     *
     * @return the aggregator.
     */
    public ChunkAggregator aggregator()
    {
        return aggregator;
    }

    /**
     * The aggregator's counters.
     *
     * @return counters.
     */
    public Counters aggregatorCounters()
    {
        return aggregatorCounters;
    }

    /**
     * A worker's session.
     *
     * @param rank worker rank.
     * @return the session.
     */
    public WorkerSession worker(final int rank)
    {
        return workers[rank];
    }

    /**
     * A worker's counters.
     *
     * @param rank worker rank.
     * @return counters.
     */
    public Counters workerCounters(final int rank)
    {
        return workerCounters[rank];
    }

    /**
     * A worker's configuration.
     *
     * @param rank worker rank.
     * @return configuration.
     */
    public WorkerConfig workerConfig(final int rank)
    {
        return workerConfigs[rank];
    }

    /**
     * Replaces a worker by a new session with a new nonce at the same node, as a restarted process that binds the
     * same address would be. Frames in flight to the node reach the new session.
     *
     * @param rank worker rank.
     * @return the new session, state NEW.
     */
    public WorkerSession restartWorker(final int rank)
    {
        workerCounters[rank] = new Counters("worker-" + rank);
        workers[rank] = new WorkerSession(
            workerConfigs[rank], new WorkerSender(rank), workerCounters[rank], nextNonce());
        return workers[rank];
    }

    /**
     * Replaces the frame filter.
     *
     * @param filter consulted for every frame sent from now on.
     */
    public void filter(final FrameFilter filter)
    {
        this.filter = filter;
    }

    /**
     * Replaces the fault profiles of both directions, e.g. to heal a lossy network.
     *
     * @param uplink   worker to aggregator.
     * @param downlink aggregator to worker.
     */
    public void links(final LinkProfile uplink, final LinkProfile downlink)
    {
        this.uplink = uplink;
        this.downlink = downlink;
    }

    /**
     * Sends JOIN from one worker.
     *
     * @param rank worker rank.
     */
    public void startJoin(final int rank)
    {
        workers[rank].startJoin(nowNs);
    }

    /**
     * Sends JOIN from every worker and runs until all are READY.
     *
     * @param maxSteps bound on the steps.
     * @throws AssertionError if a worker failed or the bound was hit.
     */
    public void joinAll(final int maxSteps)
    {
        for (int r = 0; r < workers.length; r++)
        {
            startJoin(r);
        }
        runUntil(this::noneJoining, maxSteps);
        assertNoneFailed();
    }

    /**
     * Starts an all-reduce of a whole array on one worker.
     *
     * @param rank worker rank.
     * @param data values, overwritten in place by the result.
     * @param op   reduction.
     */
    public void startCall(final int rank, final float[] data, final ReduceOp op)
    {
        workers[rank].startCall(data, 0, data.length, op, nowNs);
    }

    /**
     * Starts an all-reduce of a FloatBuffer range on one worker.
     *
     * @param rank  worker rank.
     * @param data  values, overwritten in place by the result.
     * @param index first element.
     * @param count elements.
     * @param op    reduction.
     */
    public void startCall(final int rank, final FloatBuffer data, final int index, final int count, final ReduceOp op)
    {
        workers[rank].startCall(data, index, count, op, nowNs);
    }

    /**
     * Runs one all-reduce on every worker, each over its own array, until no call is in progress.
     *
     * @param data     one array per rank, overwritten in place.
     * @param op       reduction.
     * @param maxSteps bound on the steps.
     * @return steps taken.
     * @throws AssertionError if a worker failed or the bound was hit.
     */
    public int allReduce(final float[][] data, final ReduceOp op, final int maxSteps)
    {
        for (int r = 0; r < workers.length; r++)
        {
            startCall(r, data[r], op);
        }
        final int steps = runUntil(this::noneInCall, maxSteps);
        assertNoneFailed();
        return steps;
    }

    /**
     * Whether no worker is in a call.
     *
     * @return true when every worker is READY, FAILED or CLOSED (or not started).
     */
    public boolean noneInCall()
    {
        for (final WorkerSession worker : workers)
        {
            if (worker.state() == WorkerSession.State.CALL)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether no worker is joining.
     *
     * @return true when no worker is in state JOINING.
     */
    public boolean noneJoining()
    {
        for (final WorkerSession worker : workers)
        {
            if (worker.state() == WorkerSession.State.JOINING)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Throws if a worker failed.
     *
     * @throws AssertionError naming the first failed rank, with its failure as cause.
     */
    public void assertNoneFailed()
    {
        for (int r = 0; r < workers.length; r++)
        {
            if (workers[r].state() == WorkerSession.State.FAILED)
            {
                throw new AssertionError("rank " + r + " failed: " + workers[r].failure().getMessage() + "; " +
                    describe(), workers[r].failure());
            }
        }
    }

    /**
     * Queues a frame from one node to another, past the filter and the link faults, delivered after the base
     * delay: for replaying captured frames or forging foreign ones.
     *
     * @param fromNode sender node ({@link #AGGREGATOR_NODE} or {@code rank + 1}).
     * @param toNode   destination node.
     * @param buffer   holding the frame; copied.
     * @param offset   of the frame.
     * @param length   of the frame in bytes.
     */
    public void inject(final int fromNode, final int toNode, final DirectBuffer buffer, final int offset,
        final int length)
    {
        checkNode(toNode);
        enqueue(fromNode, toNode, buffer, offset, length, delayNs);
    }

    /**
     * Advances the clock to the next delivery, or by one tick if none is due sooner, delivers every frame due by
     * then and calls {@code doWork} on every engine.
     *
     * @return frames delivered.
     */
    public int step()
    {
        final InFlight head = queue.peek();
        long target = nowNs + tickNs;
        if (head != null && head.deliverAtNs - target < 0)
        {
            target = head.deliverAtNs;
        }
        nowNs = target;
        if (config.pauseProbability > 0)
        {
            for (int r = 0; r < workers.length; r++)
            {
                if (!isPaused(r) && pauses.nextDouble() < config.pauseProbability)
                {
                    pausedUntilNs[r] = nowNs + 1 + pauses.nextLong(config.maxPauseNs);
                }
            }
            if (config.aggregatorPauses && !isAggregatorPaused() && pauses.nextDouble() < config.pauseProbability)
            {
                aggregatorPausedUntilNs = nowNs + 1 + pauses.nextLong(config.maxPauseNs);
            }
        }
        int delivered = 0;
        while (!queue.isEmpty() && queue.peek().deliverAtNs - nowNs <= 0)
        {
            final InFlight frame = queue.poll();
            if (frame.toNode == AGGREGATOR_NODE && isAggregatorPaused())
            {
                queue.add(new InFlight(
                    frame.fromNode, frame.toNode, frame.bytes, aggregatorPausedUntilNs, frame.sequence));
                continue;
            }
            final int to = frame.toNode - 1;
            if (frame.toNode != AGGREGATOR_NODE && dead[to])
            {
                continue;
            }
            if (frame.toNode != AGGREGATOR_NODE && isPaused(to))
            {
                // A descheduled process reads its socket when it runs again.
                queue.add(new InFlight(frame.fromNode, frame.toNode, frame.bytes, pausedUntilNs[to], frame.sequence));
                continue;
            }
            deliver(frame);
            delivered++;
        }
        if (!isAggregatorPaused())
        {
            aggregator.doWork(nowNs);
        }
        for (int r = 0; r < workers.length; r++)
        {
            if (!isPaused(r) && !dead[r])
            {
                workers[r].doWork(nowNs);
            }
        }
        return delivered;
    }

    /**
     * Whether a rank is descheduled now: it neither reads frames nor runs its timers.
     *
     * @param rank the rank.
     * @return true while paused.
     */
    public boolean isPaused(final int rank)
    {
        return nowNs - pausedUntilNs[rank] < 0;
    }

    private boolean isAggregatorPaused()
    {
        return nowNs - aggregatorPausedUntilNs < 0;
    }

    /**
     * Pauses a rank (its process is descheduled) until a time.
     *
     * @param rank    the rank.
     * @param untilNs when it runs again.
     */
    public void pause(final int rank, final long untilNs)
    {
        pausedUntilNs[rank] = untilNs;
    }

    /**
     * Kills a rank's process: from now on it sends nothing, and frames to it are lost.
     *
     * @param rank the rank.
     */
    public void kill(final int rank)
    {
        dead[rank] = true;
    }

    /**
     * Steps until a condition holds.
     *
     * @param condition checked before every step.
     * @param maxSteps  bound on the steps.
     * @return steps taken.
     * @throws AssertionError with every engine's state if the condition does not hold within the bound.
     */
    public int runUntil(final BooleanSupplier condition, final int maxSteps)
    {
        for (int steps = 0; steps < maxSteps; steps++)
        {
            if (condition.getAsBoolean())
            {
                return steps;
            }
            step();
        }
        if (condition.getAsBoolean())
        {
            return maxSteps;
        }
        throw new AssertionError("condition not met within " + maxSteps + " steps; " + describe());
    }

    /**
     * Steps until the clock has advanced by at least a duration.
     *
     * @param durationNs simulated nanoseconds.
     * @param maxSteps   bound on the steps.
     * @return steps taken.
     */
    public int runFor(final long durationNs, final int maxSteps)
    {
        final long endNs = nowNs + durationNs;
        return runUntil(() -> nowNs - endNs >= 0, maxSteps);
    }

    /**
     * Frames queued and not yet delivered.
     *
     * @return frames in flight.
     */
    public int inFlight()
    {
        return queue.size();
    }

    /**
     * Frames engines sent (before filter and faults).
     *
     * @return count.
     */
    public long framesSent()
    {
        return framesSent;
    }

    /**
     * Frames the links lost at random.
     *
     * @return count.
     */
    public long framesLost()
    {
        return framesLost;
    }

    /**
     * Frames the filter dropped.
     *
     * @return count.
     */
    public long framesFiltered()
    {
        return framesFiltered;
    }

    /**
     * Extra copies the links delivered.
     *
     * @return count.
     */
    public long framesDuplicated()
    {
        return framesDuplicated;
    }

    /**
     * Frames (copies) held back for reordering.
     *
     * @return count.
     */
    public long framesHeldBack()
    {
        return framesHeldBack;
    }

    /**
     * Frames handed to an engine.
     *
     * @return count.
     */
    public long framesDelivered()
    {
        return framesDelivered;
    }

    /**
     * One line per engine with state and counters, for failure messages.
     *
     * @return description.
     */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder()
            .append("t=").append(nowNs - config.startNs).append(" ns, inFlight=").append(queue.size())
            .append(", sent=").append(framesSent).append(", lost=").append(framesLost)
            .append(", duplicated=").append(framesDuplicated).append(", heldBack=").append(framesHeldBack)
            .append("\n  aggregator: jobs=").append(aggregator.jobCount()).append(", ").append(aggregatorCounters);
        for (int r = 0; r < workers.length; r++)
        {
            sb.append("\n  rank ").append(r).append(": ").append(workers[r].state())
                .append(", cwnd=").append(workers[r].congestionWindow())
                .append(", ").append(workers[r].stats()).append(", ").append(workerCounters[r]);
            if (workers[r].failure() != null)
            {
                sb.append(", failure=").append(workers[r].failure().getMessage());
            }
        }
        return sb.toString();
    }

    private int nextNonce()
    {
        int nonce;
        do
        {
            nonce = nonces.nextInt();
        }
        while (nonce == 0);
        return nonce;
    }

    private void checkNode(final int node)
    {
        if (node < 0 || node > workers.length)
        {
            throw new IllegalArgumentException("no node " + node + " (0 = aggregator, 1.." + workers.length + ")");
        }
    }

    private int transmit(final int fromNode, final int toNode, final DirectBuffer buffer, final int offset,
        final int length)
    {
        framesSent++;
        if (filter.shouldDrop(fromNode, toNode, buffer, offset, length, nowNs))
        {
            framesFiltered++;
            return FrameSender.OK;
        }
        final LinkProfile link = toNode == AGGREGATOR_NODE ? uplink : downlink;
        if (link.lossRate() > 0 && random.nextDouble() < link.lossRate())
        {
            framesLost++;
            return FrameSender.OK;
        }
        final int copies = link.duplicateRate() > 0 && random.nextDouble() < link.duplicateRate() ? 2 : 1;
        framesDuplicated += copies - 1;
        for (int i = 0; i < copies; i++)
        {
            long delay = delayNs;
            if (link.reorderRate() > 0 && random.nextDouble() < link.reorderRate())
            {
                delay += 1 + random.nextLong(link.reorderDelayNs());
                framesHeldBack++;
            }
            enqueue(fromNode, toNode, buffer, offset, length, delay);
        }
        return FrameSender.OK;
    }

    private void enqueue(final int fromNode, final int toNode, final DirectBuffer buffer, final int offset,
        final int length, final long delay)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        queue.add(new InFlight(fromNode, toNode, bytes, nowNs + Math.max(1, delay), sequence++));
    }

    private void deliver(final InFlight frame)
    {
        framesDelivered++;
        deliveryBuffer.wrap(frame.bytes);
        if (frame.toNode == AGGREGATOR_NODE)
        {
            aggregator.onFrame(deliveryBuffer, 0, frame.bytes.length, frame.fromNode, nowNs);
        }
        else
        {
            workers[frame.toNode - 1].onFrame(
                deliveryBuffer, 0, frame.bytes.length, WorkerSession.AGGREGATOR_PEER, nowNs);
        }
    }

    private static int compare(final InFlight a, final InFlight b)
    {
        final long d = a.deliverAtNs - b.deliverAtNs;
        return d != 0 ? Long.signum(d) : Long.compare(a.sequence, b.sequence);
    }

    private static final class InFlight
    {
        final int fromNode;
        final int toNode;
        final byte[] bytes;
        final long deliverAtNs;
        final long sequence;

        InFlight(final int fromNode, final int toNode, final byte[] bytes, final long deliverAtNs, final long sequence)
        {
            this.fromNode = fromNode;
            this.toNode = toNode;
            this.bytes = bytes;
            this.deliverAtNs = deliverAtNs;
            this.sequence = sequence;
        }
    }

    private final class WorkerSender implements FrameSender
    {
        private final int rank;

        WorkerSender(final int rank)
        {
            this.rank = rank;
        }

        @Override
        public int send(final DirectBuffer buffer, final int offset, final int length, final int peer)
        {
            if (peer != WorkerSession.AGGREGATOR_PEER)
            {
                return NOT_CONNECTED;
            }
            if (dead[rank])
            {
                return OK;
            }
            return transmit(peerOf(rank), AGGREGATOR_NODE, buffer, offset, length);
        }
    }

    private final class AggregatorSender implements FrameSender
    {
        @Override
        public int send(final DirectBuffer buffer, final int offset, final int length, final int peer)
        {
            if (peer < 1 || peer > workers.length)
            {
                return NOT_CONNECTED;
            }
            return transmit(AGGREGATOR_NODE, peer, buffer, offset, length);
        }
    }

    /**
     * Builder of a {@link SimulatedNetwork}. Not thread safe.
     */
    public static final class Builder
    {
        private final int worldSize;
        private IntFunction<WorkerConfig> workerConfigs;
        private AggregatorConfig aggregatorConfig = AggregatorConfig.builder().build();
        private long seed = 1;
        private long startNs = TimeUnit.SECONDS.toNanos(1000);
        private long tickNs = TimeUnit.MICROSECONDS.toNanos(100);
        private long delayNs = TimeUnit.MICROSECONDS.toNanos(5);
        private LinkProfile uplink = LinkProfile.PERFECT;
        private LinkProfile downlink = LinkProfile.PERFECT;
        private FrameFilter filter = FrameFilter.NONE;
        private double pauseProbability;
        private long maxPauseNs;
        private boolean aggregatorPauses;

        private Builder(final int worldSize)
        {
            if (worldSize < 1 || worldSize > 1024)
            {
                throw new IllegalArgumentException("worldSize must be within [1, 1024], got " + worldSize);
            }
            this.worldSize = worldSize;
            workerConfigs = r -> workerConfig(r, worldSize, Codec.FP32, 4, 16).build();
        }

        /**
         * Worker configuration per rank.
         *
         * @param workerConfigs maps a rank to its configuration (whose rank must match).
         * @return this.
         */
        public Builder workerConfigs(final IntFunction<WorkerConfig> workerConfigs)
        {
            this.workerConfigs = workerConfigs;
            return this;
        }

        /**
         * The same settings for every rank, built by {@link SimulatedNetwork#workerConfig}.
         *
         * @param codec             codec.
         * @param window            window.
         * @param elementsPerPacket elements per chunk.
         * @return this.
         */
        public Builder workers(final Codec codec, final int window, final int elementsPerPacket)
        {
            final int n = worldSize;
            workerConfigs = r -> workerConfig(r, n, codec, window, elementsPerPacket).build();
            return this;
        }

        /**
         * Aggregator configuration.
         *
         * @param aggregatorConfig configuration.
         * @return this.
         */
        public Builder aggregatorConfig(final AggregatorConfig aggregatorConfig)
        {
            this.aggregatorConfig = aggregatorConfig;
            return this;
        }

        /**
         * Seed of the link faults, the session token and the workers' nonces.
         *
         * @param seed any value.
         * @return this.
         */
        public Builder seed(final long seed)
        {
            this.seed = seed;
            return this;
        }

        /**
         * Clock value at start; engines must not care (any value, negative included).
         *
         * @param startNs nanoseconds.
         * @return this.
         */
        public Builder startNs(final long startNs)
        {
            this.startNs = startNs;
            return this;
        }

        /**
         * Clock advance of a step when no frame is due sooner.
         *
         * @param tickNs nanoseconds, at least 1.
         * @return this.
         */
        public Builder tickNs(final long tickNs)
        {
            if (tickNs < 1)
            {
                throw new IllegalArgumentException("tickNs must be at least 1");
            }
            this.tickNs = tickNs;
            return this;
        }

        /**
         * Base delivery delay of every frame.
         *
         * @param delayNs nanoseconds, at least 1.
         * @return this.
         */
        public Builder delayNs(final long delayNs)
        {
            if (delayNs < 1)
            {
                throw new IllegalArgumentException("delayNs must be at least 1");
            }
            this.delayNs = delayNs;
            return this;
        }

        /**
         * Faults of both directions.
         *
         * @param uplink   worker to aggregator.
         * @param downlink aggregator to worker.
         * @return this.
         */
        public Builder links(final LinkProfile uplink, final LinkProfile downlink)
        {
            this.uplink = uplink;
            this.downlink = downlink;
            return this;
        }

        /**
         * Frame filter consulted before the link faults.
         *
         * @param filter the filter.
         * @return this.
         */
        public Builder filter(final FrameFilter filter)
        {
            this.filter = filter;
            return this;
        }

        /**
         * Descheduled ranks, as on a machine with more busy processes than cores: at each step, a running rank is
         * paused with this probability for a uniform random time up to {@code maxPauseNs}; while paused it reads no
         * frames (they wait for it) and runs no timers. Seeded from the network's seed.
         *
         * @param probabilityPerStep chance per step that a running rank is paused.
         * @param maxPauseNs         longest pause.
         * @return this.
         */
        public Builder pauses(final double probabilityPerStep, final long maxPauseNs)
        {
            this.pauseProbability = probabilityPerStep;
            this.maxPauseNs = maxPauseNs;
            return this;
        }

        /**
         * The aggregator is descheduled too, as the ranks are with {@link #pauses}: frames to it wait, its timers
         * do not run.
         *
         * @return this.
         */
        public Builder aggregatorPauses()
        {
            this.aggregatorPauses = true;
            return this;
        }

        /**
         * Builds the network and its engines; nothing is sent yet.
         *
         * @return the network.
         */
        public SimulatedNetwork build()
        {
            return new SimulatedNetwork(this);
        }
    }
}
