package dev.ina.aggregation;

import dev.ina.config.AggregatorConfig;
import dev.ina.config.JobSecrets;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.FrameHandler;
import dev.ina.transport.FrameSender;
import org.agrona.MutableDirectBuffer;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The aggregation engine: SwitchML's streaming slot pool, per job, with dedup by rank, the finished result kept
 * for ranks that retransmit, and a JOIN handshake that is the job's barrier. It dispatches each datagram to the
 * control plane ({@link JobRegistry}: join, leave, expiry, pool) or, once authenticated, to the data plane
 * ({@link DataPlane}: sums, results, loss detection and NACKs); every reply is written by one
 * {@link AggregatorProxy}.
 * <p>
 * Pure and single-threaded: it never touches a socket or a clock. The transport calls {@link #onFrame} for each
 * datagram and {@link #doWork} periodically, both from the one thread that owns the engine, and passes the
 * time. Malformed or foreign frames are dropped and counted by reason; none can change a sum it has no right to.
 * Jobs are isolated: a frame reaches a job's sets only if its job id, session token, rank and sender address all
 * match that job. Jobs the aggregator holds a secret for (or all jobs, if it requires one) are joined only by
 * JOINs that prove the secret and are fresh, and their control frames are proven (see
 * {@link ControlFlyweight}); no reply to a JOIN is longer than the JOIN.
 */
public final class ChunkAggregator implements FrameHandler, AutoCloseable
{
    private static final long HOUSEKEEPING_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Counters counters;
    private final JobRegistry registry;
    private final DataPlane dataPlane;
    private final ControlBatch control;
    private final HeaderFlyweight in = new HeaderFlyweight();
    private final ControlFlyweight inControl = new ControlFlyweight();
    private boolean housekeepingScheduled;
    private long nextHousekeepingNs;

    /**
     * Creates the engine of a single-threaded aggregator with predictable session tokens and cookie keys: for
     * tests and benchmarks only.
     *
     * @param config   aggregator configuration.
     * @param sender   how frames leave the engine.
     * @param counters where drops and traffic are counted.
     * @param seed     seed of a {@link Random} that draws session tokens and the cookie key.
     */
    public ChunkAggregator(
        final AggregatorConfig config, final FrameSender sender, final Counters counters, final long seed)
    {
        this(config, sender, counters, new Random(seed), 0, new int[] {0});
    }

    /**
     * Creates the engine of one shard of an aggregator with several engine threads. Jobs are sharded by
     * {@code floorMod(jobId, shardPorts.length)}; a JOIN for another shard's job is answered with ERROR
     * {@link ControlFlyweight#ERROR_REDIRECT} naming that shard's port. Each shard holds an equal part of the slot
     * pool and of the job table.
     *
     * @param config     aggregator configuration.
     * @param sender     how frames leave the engine.
     * @param counters   where drops and traffic are counted (one set per shard: single writer).
     * @param random     draws session tokens and the key of JOIN cookies: a {@link java.security.SecureRandom}
     *                   outside tests, so that neither can be guessed; used by the engine's thread only.
     * @param shard      index of this shard.
     * @param shardPorts UDP port of every shard, by index.
     */
    public ChunkAggregator(
        final AggregatorConfig config,
        final FrameSender sender,
        final Counters counters,
        final Random random,
        final int shard,
        final int[] shardPorts)
    {
        this.counters = counters;
        final AggregatorProxy proxy = new AggregatorProxy(sender, counters);
        this.registry = new JobRegistry(config, proxy, counters, random, shard, shardPorts);
        proxy.jobLookup(registry);
        this.control = new ControlBatch(proxy);
        this.dataPlane = new DataPlane(proxy, control, counters);
    }

    /**
     * Replaces the job secrets (the secrets file changed): later JOINs are checked against the new ones; jobs
     * formed before keep theirs. Call on the engine's thread.
     *
     * @param secrets the new secrets.
     */
    public void jobSecrets(final JobSecrets secrets)
    {
        registry.jobSecrets(secrets);
    }

    /**
     * Number of jobs (forming or started).
     *
     * @return jobs.
     */
    public int jobCount()
    {
        return registry.jobCount();
    }

    /**
     * Bytes of the slot pool the current jobs hold.
     *
     * @return bytes.
     */
    public long poolBytesInUse()
    {
        return registry.poolBytesInUse();
    }

    /**
     * The engine's counters.
     *
     * @return counters.
     */
    public Counters counters()
    {
        return counters;
    }

    @Override
    public void onFrame(
        final MutableDirectBuffer buffer, final int offset, final int length, final int peer, final long nowNs)
    {
        counters.increment(CounterDescriptor.FRAMES_RECEIVED);
        counters.add(CounterDescriptor.BYTES_RECEIVED, length);
        if (length < FrameDescriptor.HEADER_LENGTH)
        {
            counters.increment(CounterDescriptor.DROP_SHORT);
            return;
        }
        in.wrap(buffer, offset, length);
        if (in.version() != FrameDescriptor.VERSION)
        {
            counters.increment(CounterDescriptor.DROP_VERSION);
            return;
        }
        final Job job;
        switch (in.type())
        {
            case FrameDescriptor.TYPE_CONTRIB:
                job = registry.authenticate(in, peer, nowNs);
                if (job != null)
                {
                    dataPlane.onContribution(job, in, peer, nowNs);
                }
                break;
            case FrameDescriptor.TYPE_RESEND:
                job = registry.authenticate(in, peer, nowNs);
                if (job != null)
                {
                    dataPlane.onResend(job, in, peer, nowNs);
                }
                break;
            case FrameDescriptor.TYPE_GONE:
                job = registry.authenticate(in, peer, nowNs);
                if (job != null)
                {
                    dataPlane.onGiveUp(job, in, nowNs);
                }
                break;
            case FrameDescriptor.TYPE_JOIN:
                if (length < ControlFlyweight.JOIN_LENGTH)
                {
                    counters.increment(CounterDescriptor.DROP_SHORT);
                    return;
                }
                if (length > ControlFlyweight.MAX_JOIN_LENGTH)
                {
                    counters.increment(CounterDescriptor.DROP_LENGTH);
                    return;
                }
                inControl.wrap(buffer, offset, length);
                registry.onJoin(inControl, length, peer, nowNs);
                break;
            case FrameDescriptor.TYPE_LEAVE:
                registry.onLeave(in, peer, nowNs);
                break;
            default:
                counters.increment(CounterDescriptor.DROP_TYPE);
        }
    }

    /**
     * Timers, to be called every millisecond or so: NACKs ranks whose contributions seem lost, in bounded mode
     * finishes chunks whose deadline passed, and every 100 ms ends jobs that never formed or went silent, freeing
     * their slots.
     *
     * @param nowNs current time.
     * @return chunks finished, sets NACKed and jobs ended: when not 0, frames were written.
     */
    public int doWork(final long nowNs)
    {
        int work = 0;
        for (int i = 0, n = registry.jobCount(); i < n; i++)
        {
            work += dataPlane.onTick(registry.job(i), nowNs);
        }
        // The first call always runs: a nano clock may start anywhere, negative values included.
        if (!housekeepingScheduled || nowNs - nextHousekeepingNs >= 0)
        {
            housekeepingScheduled = true;
            nextHousekeepingNs = nowNs + HOUSEKEEPING_INTERVAL_NS;
            work += registry.expire(nowNs);
        }
        control.flush();
        return work;
    }

    /**
     * Batch the loss-recovery frames (NACKs, PENDING to held ranks) raised while a batch of datagrams is handled,
     * and write them in {@link #flushBatch()}, after the batch's results: each rank's results then leave back to
     * back, one UDP GSO send, and NACKs merge. For a transport that calls {@link #flushBatch()} after every batch
     * of reads ({@link #doWork} flushes by itself). Off by default: every frame goes at once.
     *
     * @param batching whether to batch.
     */
    public void batchControlFrames(final boolean batching)
    {
        control.batching(batching);
    }

    /**
     * Writes the loss-recovery frames the last batch raised (see {@link #batchControlFrames(boolean)}).
     */
    public void flushBatch()
    {
        control.flush();
    }

    /**
     * Ends every job, telling each rank that the aggregator is shutting down.
     */
    @Override
    public void close()
    {
        registry.closeAll();
    }
}
