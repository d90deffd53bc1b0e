package dev.ina.aggregation;

import dev.ina.config.AggregatorConfig;
import dev.ina.config.JobSecrets;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.FrameProof;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.protocol.JobSpec;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The aggregator's control plane: which jobs exist, who may join them and what they hold. A JOIN forms a job (or
 * is refused, redirected to the engine thread that serves its id, challenged, or replaces a restarted rank's
 * session); LEAVE and expiry end it; the slot pool and the job table are accounted here. Frames of a started job
 * are authenticated here before the data plane sees them. JOINs of jobs protected by a secret are admitted only
 * when {@link JoinGuard} finds them proven and fresh; their LEAVEs and withdrawals must prove the secret too.
 * Replies to a JOIN are never longer than the JOIN, and those to a JOIN that proved nothing are rate limited and
 * counted ({@code UNPROVEN_BYTES_*}). Owned by the aggregation engine's thread.
 */
final class JobRegistry implements AggregatorProxy.JobLookup
{
    private final AggregatorConfig config;
    private final AggregatorProxy proxy;
    private final Counters counters;
    private final Random random;
    private final JoinGuard guard;
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
        final Random random,
        final int shard,
        final int[] shardPorts)
    {
        this.config = config;
        this.proxy = proxy;
        this.counters = counters;
        this.random = random;
        this.guard = new JoinGuard(config, random);
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

    @Override
    public Job jobOf(final int jobId)
    {
        return byId.get(jobId);
    }

    long poolBytesInUse()
    {
        return poolBytesInUse;
    }

    /**
     * New job secrets: later JOINs are checked against them; jobs formed before keep their secret.
     */
    void jobSecrets(final JobSecrets secrets)
    {
        guard.secrets(secrets);
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
     * A JOIN at least {@link ControlFlyweight#JOIN_LENGTH} long: checked, redirected to the shard that serves the
     * job, checked for the job's secret (refused, challenged or admitted), matched against the job's spec, and
     * answered with JOIN_ACK (the job started), PENDING (ranks are missing) or ERROR.
     */
    void onJoin(final ControlFlyweight join, final int length, final int peer, final long nowNs)
    {
        final int jobId = join.jobId();
        final int rank = join.rank();
        final int nonce = join.nonce();
        final String invalid = JobSpec.checkJoin(join, config.maxWindow());
        if (invalid != null)
        {
            counters.add(CounterDescriptor.UNPROVEN_BYTES_RECEIVED, length);
            counters.increment(CounterDescriptor.DROP_CONTROL);
            refuseUnproven(jobId, rank, nonce, ControlFlyweight.ERROR_INVALID_REQUEST,
                "job " + jobId + " rank " + rank + ": " + invalid, length, peer, nowNs);
            return;
        }
        final int owner = Math.floorMod(jobId, shardPorts.length);
        if (owner != shard)
        {
            counters.add(CounterDescriptor.UNPROVEN_BYTES_RECEIVED, length);
            if (guard.mayReply(peer, nowNs))
            {
                unprovenSent(proxy.redirect(jobId, rank, nonce, shardPorts[owner], peer, length));
            }
            else
            {
                counters.increment(CounterDescriptor.REPLIES_LIMITED);
            }
            return;
        }
        final int verdict = guard.verify(join, length, peer, nowNs);
        if (verdict == JoinGuard.PROVEN)
        {
            counters.increment(CounterDescriptor.JOINS_PROVEN);
            admit(join, length, peer, nowNs, guard.proofOf(jobId));
            return;
        }
        counters.add(CounterDescriptor.UNPROVEN_BYTES_RECEIVED, length);
        switch (verdict)
        {
            case JoinGuard.OPEN:
                admit(join, length, peer, nowNs, null);
                break;
            case JoinGuard.FOREIGN_COOKIE:
            case JoinGuard.NEEDS_COOKIE:
                if (verdict == JoinGuard.FOREIGN_COOKIE)
                {
                    // Sent from another address than the cookie was made for: a replay, unless the worker's
                    // address changed or this aggregator restarted; a holder of the secret completes the challenge.
                    counters.increment(CounterDescriptor.DROP_REPLAY);
                }
                if (guard.mayReply(peer, nowNs))
                {
                    unprovenSent(proxy.challenge(jobId, rank, nonce, guard.cookies(), guard.proofOf(jobId), peer,
                        nowNs));
                }
                else
                {
                    counters.increment(CounterDescriptor.REPLIES_LIMITED);
                }
                break;
            case JoinGuard.REPLAY:
                counters.increment(CounterDescriptor.DROP_REPLAY);
                break;
            case JoinGuard.NO_PROOF:
                counters.increment(CounterDescriptor.DROP_PROOF);
                refuseUnproven(jobId, rank, nonce, ControlFlyweight.ERROR_SECRET_REQUIRED, "job " + jobId +
                    " needs its secret: set INA_SECRET or INA_SECRET_FILE on every rank to the job's secret " +
                    "in the aggregator's secrets file (INA_AGGREGATOR_SECRETS)", length, peer, nowNs);
                break;
            case JoinGuard.NO_SECRET:
                counters.increment(CounterDescriptor.DROP_PROOF);
                refuseUnproven(jobId, rank, nonce, ControlFlyweight.ERROR_NO_SECRET, "job " + jobId + " rank " +
                    rank + " proves a secret, but the aggregator holds none for job " + jobId + ": add a line '" +
                    jobId + " <secret>' to its secrets file (INA_AGGREGATOR_SECRETS), or unset INA_SECRET and " +
                    "INA_SECRET_FILE to run the job unprotected", length, peer, nowNs);
                break;
            default:
                counters.increment(CounterDescriptor.DROP_PROOF);
                refuseUnproven(jobId, rank, nonce, ControlFlyweight.ERROR_PROOF_FAILED, "job " + jobId + " rank " +
                    rank + ": the JOIN's proof does not verify: INA_SECRET or INA_SECRET_FILE must hold the " +
                    "secret that the aggregator's secrets file (INA_AGGREGATOR_SECRETS) gives job " + jobId +
                    ", on every rank", length, peer, nowNs);
                break;
        }
    }

    /**
     * A JOIN admitted by its job's policy: proven ({@code proof} not null) or for an open job. Matched against the
     * job's spec and membership, and answered.
     */
    private void admit(
        final ControlFlyweight join, final int length, final int peer, final long nowNs, final FrameProof proof)
    {
        final int jobId = join.jobId();
        final int rank = join.rank();
        final int nonce = join.nonce();
        final JobSpec spec = JobSpec.read(join);
        Job job = byId.get(jobId);
        if (job != null && job.proof != proof)
        {
            refuse(jobId, rank, nonce, ControlFlyweight.ERROR_CONFIG_MISMATCH, job.describe() + " was formed " +
                (job.proof == null ? "without a secret" : "with another secret") + " than the aggregator now " +
                "holds for it: restart every rank of the job", proof, length, peer, nowNs);
            return;
        }
        if (job != null && !job.spec.isSameJob(spec))
        {
            refuse(jobId, rank, nonce, ControlFlyweight.ERROR_CONFIG_MISMATCH, job.describe() +
                " already exists; rank " + rank + " asked for " + spec.settings() +
                ": give every rank the same settings", proof, length, peer, nowNs);
            return;
        }
        if (job != null && job.hasJoined(rank) && job.nonceOf(rank) != nonce)
        {
            if (job.isStarted())
            {
                // The rank restarted: the old session cannot finish. End it and let the new one form.
                end(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_RANK_REJOINED,
                    job.describe() + ": rank " + rank + " joined again (restarted); the session was ended", nowNs);
                job = null;
            }
            else
            {
                retire(job, rank, nowNs);
                job.join(rank, peer, nonce, length);
            }
        }
        if (job == null)
        {
            job = create(jobId, spec, rank, nonce, peer, length, proof, nowNs);
            if (job == null)
            {
                return;
            }
        }
        job.touch(nowNs);
        if (!job.hasJoined(rank) && job.join(rank, peer, nonce, length) && job.joinedCount() == job.worldSize())
        {
            job.start(nowNs);
            counters.increment(CounterDescriptor.JOBS_STARTED);
            for (int r = 0; r < job.worldSize(); r++)
            {
                final int sent = proxy.joinAck(job, r);
                if (r == rank && proof == null)
                {
                    unprovenSent(sent);
                }
            }
        }
        else if (job.isStarted())
        {
            final int sent = proxy.joinAck(job, rank);
            if (proof == null)
            {
                unprovenSent(sent);
            }
        }
        else
        {
            final int sent = proxy.joinPending(job, rank, nonce, peer, length);
            if (sent < 0)
            {
                counters.increment(CounterDescriptor.REPLIES_LIMITED);
            }
            else if (proof == null)
            {
                unprovenSent(sent);
            }
        }
    }

    /**
     * ERROR to an admitted JOIN: proven with the job's secret if the JOIN proved it, else as
     * {@link #refuseUnproven}.
     */
    private void refuse(
        final int jobId,
        final int rank,
        final int nonce,
        final int code,
        final String message,
        final FrameProof proof,
        final int length,
        final int peer,
        final long nowNs)
    {
        if (proof != null)
        {
            proxy.joinError(jobId, rank, nonce, code, message, proof, length, peer);
        }
        else
        {
            refuseUnproven(jobId, rank, nonce, code, message, length, peer, nowNs);
        }
    }

    /**
     * ERROR to a JOIN that proved nothing: within the rate limits, and no longer than the JOIN.
     */
    private void refuseUnproven(
        final int jobId,
        final int rank,
        final int nonce,
        final int code,
        final String message,
        final int length,
        final int peer,
        final long nowNs)
    {
        if (guard.mayReply(peer, nowNs))
        {
            unprovenSent(proxy.joinError(jobId, rank, nonce, code, message, null, length, peer));
        }
        else
        {
            counters.increment(CounterDescriptor.REPLIES_LIMITED);
        }
    }

    private void unprovenSent(final int bytes)
    {
        if (bytes > 0)
        {
            counters.add(CounterDescriptor.UNPROVEN_BYTES_SENT, bytes);
        }
    }

    /**
     * A rank's nonce of a protected job no longer stands: a later JOIN with it is a replay.
     */
    private void retire(final Job job, final int rank, final long nowNs)
    {
        if (job.proof != null)
        {
            guard.retire(job.jobId, rank, job.nonceOf(rank), nowNs);
        }
    }

    /**
     * LEAVE: a rank of a started job leaves (with the token; the job ends when all have), or a rank withdraws its
     * JOIN from a job still forming (without one). In a job protected by a secret either must prove it.
     */
    void onLeave(final HeaderFlyweight in, final int peer, final long nowNs)
    {
        if (in.sessionToken() == 0)
        {
            withdraw(in, peer, nowNs);
            return;
        }
        final Job job = authenticate(in, peer, nowNs);
        if (job == null)
        {
            return;
        }
        if (job.proof != null && !job.proof.verify(in.buffer(), in.offset(), in.frameLength()))
        {
            counters.increment(CounterDescriptor.DROP_PROOF);
            return;
        }
        final int rank = in.rank();
        job.touch(nowNs);
        if (!job.hasLeft(rank) && job.leave(rank))
        {
            remove(job, nowNs);
        }
    }

    /**
     * A LEAVE without a token withdraws a JOIN from a job still forming (the rank gave up waiting), so the job
     * cannot later start with a rank that is gone. It must come from the address and nonce the rank joined with,
     * and prove the job's secret if it has one.
     */
    private void withdraw(final HeaderFlyweight in, final int peer, final long nowNs)
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
        if (job.proof != null && !job.proof.verify(in.buffer(), in.offset(), in.frameLength()))
        {
            counters.increment(CounterDescriptor.DROP_PROOF);
            return;
        }
        retire(job, rank, nowNs);
        if (job.withdraw(rank))
        {
            remove(job, nowNs);
        }
    }

    /**
     * Ends jobs that never formed or went silent, freeing their slots; forgets retired nonces older than a cookie.
     *
     * @return jobs ended.
     */
    int expire(final long nowNs)
    {
        guard.expire(nowNs);
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
                    " ranks joined, missing " + job.joined().describeAbsent(), nowNs);
                expired++;
            }
            else if (job.isStarted() && nowNs - job.lastActivityNs() > config.jobIdleTimeoutNs())
            {
                end(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_JOB_EXPIRED,
                    job.describe() + " was idle for more than " +
                    TimeUnit.NANOSECONDS.toSeconds(config.jobIdleTimeoutNs()) + " s (the aggregator's " +
                    "INA_JOB_IDLE_TIMEOUT_MS) and has been ended", nowNs);
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
            final Job job = jobs.get(i);
            end(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_SHUTDOWN, "the aggregator shut down",
                job.lastActivityNs());
        }
    }

    /**
     * Ends a job: every rank that joined and has not left gets the frame ({@code type} ERROR or ABORT), proven
     * with the job's secret if it has one, then the job's slots are freed.
     */
    void end(final Job job, final byte type, final int code, final String message, final long nowNs)
    {
        final int token = job.isStarted() ? job.token : 0;
        for (int r = 0; r < job.worldSize(); r++)
        {
            if (job.hasJoined(r) && !job.hasLeft(r))
            {
                proxy.memberError(job, type, token, r, job.nonceOf(r), code, message);
            }
        }
        remove(job, nowNs);
    }

    private Job create(
        final int jobId,
        final JobSpec spec,
        final int rank,
        final int nonce,
        final int peer,
        final int length,
        final FrameProof proof,
        final long nowNs)
    {
        final long bytes = SlotSets.sizeOf(spec);
        if (jobs.size() >= maxJobs)
        {
            refuse(jobId, rank, nonce, ControlFlyweight.ERROR_POOL_EXHAUSTED, "the aggregator serves its maximum " +
                "of " + maxJobs + " jobs per engine thread; raise maxJobs or end a job", proof, length, peer, nowNs);
            return null;
        }
        if (poolBytesInUse + bytes > poolBytes)
        {
            refuse(jobId, rank, nonce, ControlFlyweight.ERROR_POOL_EXHAUSTED, "job " + jobId + " needs " + bytes +
                " bytes of slot pool (window=" + spec.window() + ", elementsPerPacket=" + spec.elementsPerPacket() +
                ") but " + (poolBytes - poolBytesInUse) + " of " + poolBytes + " are free; lower window or " +
                "elementsPerPacket, or raise the aggregator's pool", proof, length, peer, nowNs);
            return null;
        }
        int token;
        do
        {
            token = random.nextInt();
        }
        while (token == 0 || ended.contains(jobId, token));
        final Job job = new Job(jobId, spec, token, proof, nowNs);
        poolBytesInUse += job.poolBytes;
        byId.put(jobId, job);
        jobs.add(job);
        return job;
    }

    private void remove(final Job job, final long nowNs)
    {
        for (int r = 0; r < job.worldSize(); r++)
        {
            if (job.hasJoined(r))
            {
                retire(job, r, nowNs);
            }
        }
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
