package dev.ina.aggregation;

import dev.ina.config.AggregatorConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.protocol.JobSpec;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The aggregator's control plane: which jobs exist, who may join them and what they hold. A JOIN forms a job (or
 * is refused, redirected to the engine thread that serves its id, or replaces a restarted rank's session); LEAVE
 * and expiry end it; the slot pool and the job table are accounted here. Frames of a started job are
 * authenticated here before the data plane sees them. Owned by the aggregation engine's thread.
 */
final class JobRegistry
{
    private final AggregatorConfig config;
    private final AggregatorProxy proxy;
    private final Counters counters;
    private final SplittableRandom random;
    private final int shard;
    private final int[] shardPorts;
    private final long poolBytes;
    private final int maxJobs;
    private final Int2ObjectHashMap<Job> byId = new Int2ObjectHashMap<>();
    /** The same jobs as {@link #byId}, for iteration without allocation. */
    private final ArrayList<Job> jobs = new ArrayList<>();
    private final EndedJobs ended = new EndedJobs();
    private long poolBytesInUse;

    JobRegistry(
        final AggregatorConfig config,
        final AggregatorProxy proxy,
        final Counters counters,
        final long seed,
        final int shard,
        final int[] shardPorts)
    {
        this.config = config;
        this.proxy = proxy;
        this.counters = counters;
        this.random = new SplittableRandom(seed);
        this.shard = shard;
        this.shardPorts = shardPorts.clone();
        this.poolBytes = config.poolBytes() / shardPorts.length;
        this.maxJobs = (config.maxJobs() + shardPorts.length - 1) / shardPorts.length;
    }

    int jobCount()
    {
        return jobs.size();
    }

    Job job(final int index)
    {
        return jobs.get(index);
    }

    long poolBytesInUse()
    {
        return poolBytesInUse;
    }

    /**
     * The started job a frame belongs to, if its job id, session token, rank and sender all match; otherwise null,
     * and the drop is counted by reason. In bounded mode the frame proves its rank alive.
     */
    Job authenticate(final HeaderFlyweight in, final int peer, final long nowNs)
    {
        final Job job = byId.get(in.jobId());
        if (job == null || !job.isStarted())
        {
            counters.increment(ended.contains(in.jobId(), in.sessionToken()) ?
                CounterDescriptor.DROP_ENDED_JOB : CounterDescriptor.DROP_UNKNOWN_JOB);
            return null;
        }
        if (in.sessionToken() != job.token)
        {
            counters.increment(ended.contains(in.jobId(), in.sessionToken()) ?
                CounterDescriptor.DROP_ENDED_JOB : CounterDescriptor.DROP_TOKEN);
            return null;
        }
        final int rank = in.rank();
        if (rank >= job.worldSize() || job.peerOf(rank) != peer)
        {
            counters.increment(CounterDescriptor.DROP_RANK);
            return null;
        }
        job.heard(rank, nowNs);
        return job;
    }

    /**
     * A JOIN: checked, redirected to the shard that serves the job, matched against the job's spec, and answered
     * with JOIN_ACK (the job started), PENDING (ranks are missing) or ERROR.
     */
    void onJoin(final ControlFlyweight join, final int peer, final long nowNs)
    {
        final int jobId = join.jobId();
        final int rank = join.rank();
        final int nonce = join.nonce();
        final String invalid = JobSpec.checkJoin(join, config.maxWindow());
        if (invalid != null)
        {
            counters.increment(CounterDescriptor.DROP_CONTROL);
            proxy.error(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_INVALID_REQUEST,
                "job " + jobId + " rank " + rank + ": " + invalid, peer);
            return;
        }
        final int owner = Math.floorMod(jobId, shardPorts.length);
        if (owner != shard)
        {
            proxy.redirect(jobId, rank, nonce, shardPorts[owner], peer);
            return;
        }
        final JobSpec spec = JobSpec.read(join);
        Job job = byId.get(jobId);
        if (job != null && !job.spec.isSameJob(spec))
        {
            proxy.error(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_CONFIG_MISMATCH,
                job.describe() + " already exists; rank " + rank + " asked for " + spec.settings() +
                ": give every rank the same settings", peer);
            return;
        }
        if (job != null && job.hasJoined(rank) && job.nonceOf(rank) != nonce)
        {
            if (job.isStarted())
            {
                // The rank restarted: the old session cannot finish. End it and let the new one form.
                end(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_RANK_REJOINED,
                    job.describe() + ": rank " + rank + " joined again (restarted); the session was ended");
                job = null;
            }
            else
            {
                job.join(rank, peer, nonce);
            }
        }
        if (job == null)
        {
            job = create(jobId, spec, rank, nonce, peer, nowNs);
            if (job == null)
            {
                return;
            }
        }
        job.touch(nowNs);
        if (!job.hasJoined(rank) && job.join(rank, peer, nonce) && job.joinedCount() == job.worldSize())
        {
            job.start(nowNs);
            counters.increment(CounterDescriptor.JOBS_STARTED);
            for (int r = 0; r < job.worldSize(); r++)
            {
                proxy.joinAck(job, r);
            }
        }
        else if (job.isStarted())
        {
            proxy.joinAck(job, rank);
        }
        else
        {
            proxy.joinPending(job, rank, nonce, peer);
        }
    }

    /**
     * LEAVE: a rank of a started job leaves (with the token; the job ends when all have), or a rank withdraws its
     * JOIN from a job still forming (without one).
     */
    void onLeave(final HeaderFlyweight in, final int peer, final long nowNs)
    {
        if (in.sessionToken() == 0)
        {
            withdraw(in, peer);
            return;
        }
        final Job job = authenticate(in, peer, nowNs);
        if (job == null)
        {
            return;
        }
        final int rank = in.rank();
        job.touch(nowNs);
        if (!job.hasLeft(rank) && job.leave(rank))
        {
            remove(job);
        }
    }

    /**
     * A LEAVE without a token withdraws a JOIN from a job still forming (the rank gave up waiting), so the job
     * cannot later start with a rank that is gone. It must come from the address and nonce the rank joined with.
     */
    private void withdraw(final HeaderFlyweight in, final int peer)
    {
        final Job job = byId.get(in.jobId());
        if (job == null)
        {
            counters.increment(CounterDescriptor.DROP_UNKNOWN_JOB);
            return;
        }
        if (job.isStarted())
        {
            // A started job's ranks leave with its token; without one this is a foreign or forged frame.
            counters.increment(CounterDescriptor.DROP_TOKEN);
            return;
        }
        final int rank = in.rank();
        if (rank >= job.worldSize() || !job.hasJoined(rank) || job.nonceOf(rank) != in.round() ||
            job.peerOf(rank) != peer)
        {
            counters.increment(CounterDescriptor.DROP_RANK);
            return;
        }
        if (job.withdraw(rank))
        {
            remove(job);
        }
    }

    /**
     * Ends jobs that never formed or went silent, freeing their slots.
     *
     * @return jobs ended.
     */
    int expire(final long nowNs)
    {
        int expired = 0;
        for (int i = jobs.size() - 1; i >= 0; i--)
        {
            final Job job = jobs.get(i);
            if (!job.isStarted() && nowNs - job.createdNs > config.jobFormTimeoutNs())
            {
                end(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_JOB_EXPIRED,
                    job.describe() + " did not form within " +
                    TimeUnit.NANOSECONDS.toSeconds(config.jobFormTimeoutNs()) + " s (the aggregator's " +
                    "INA_JOB_FORM_TIMEOUT_MS): " + job.joinedCount() + " of " + job.worldSize() +
                    " ranks joined, missing " + job.joined().describeAbsent());
                expired++;
            }
            else if (job.isStarted() && nowNs - job.lastActivityNs() > config.jobIdleTimeoutNs())
            {
                end(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_JOB_EXPIRED,
                    job.describe() + " was idle for more than " +
                    TimeUnit.NANOSECONDS.toSeconds(config.jobIdleTimeoutNs()) + " s (the aggregator's " +
                    "INA_JOB_IDLE_TIMEOUT_MS) and has been ended");
                expired++;
            }
        }
        return expired;
    }

    /**
     * Ends every job, telling each rank that the aggregator is shutting down.
     */
    void closeAll()
    {
        for (int i = jobs.size() - 1; i >= 0; i--)
        {
            end(jobs.get(i), FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_SHUTDOWN, "the aggregator shut down");
        }
    }

    /**
     * Ends a job: every rank that joined and has not left gets the frame ({@code type} ERROR or ABORT), then the
     * job's slots are freed.
     */
    void end(final Job job, final byte type, final int code, final String message)
    {
        final int token = job.isStarted() ? job.token : 0;
        for (int r = 0; r < job.worldSize(); r++)
        {
            if (job.hasJoined(r) && !job.hasLeft(r))
            {
                proxy.error(type, job.jobId, token, r, job.nonceOf(r), code, message, job.peerOf(r));
            }
        }
        remove(job);
    }

    private Job create(
        final int jobId, final JobSpec spec, final int rank, final int nonce, final int peer, final long nowNs)
    {
        final long bytes = SlotSets.sizeOf(spec);
        if (jobs.size() >= maxJobs)
        {
            proxy.error(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_POOL_EXHAUSTED,
                "the aggregator serves its maximum of " + maxJobs + " jobs per engine thread; raise maxJobs or end " +
                "a job", peer);
            return null;
        }
        if (poolBytesInUse + bytes > poolBytes)
        {
            proxy.error(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_POOL_EXHAUSTED,
                "job " + jobId + " needs " + bytes + " bytes of slot pool (window=" + spec.window() +
                ", elementsPerPacket=" + spec.elementsPerPacket() + ") but " + (poolBytes - poolBytesInUse) +
                " of " + poolBytes + " are free; lower window or elementsPerPacket, or raise the " +
                "aggregator's pool", peer);
            return null;
        }
        int token;
        do
        {
            token = random.nextInt();
        }
        while (token == 0);
        final Job job = new Job(jobId, spec, token, nowNs);
        poolBytesInUse += job.poolBytes;
        byId.put(jobId, job);
        jobs.add(job);
        return job;
    }

    private void remove(final Job job)
    {
        byId.remove(job.jobId);
        jobs.remove(job);
        if (job.isStarted())
        {
            ended.add(job.jobId, job.token);
        }
        poolBytesInUse -= job.poolBytes;
        counters.increment(CounterDescriptor.JOBS_ENDED);
    }
}
