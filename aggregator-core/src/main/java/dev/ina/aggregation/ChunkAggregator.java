package dev.ina.aggregation;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.codec.SumAccumulator;
import dev.ina.config.AggregatorConfig;
import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.protocol.HeaderFlyweight;
import dev.ina.status.CounterDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.FrameHandler;
import dev.ina.transport.FrameSender;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static dev.ina.protocol.FrameDescriptor.FLAG_LAST;
import static dev.ina.protocol.FrameDescriptor.FLAG_PARTIAL;
import static dev.ina.protocol.FrameDescriptor.FLAG_RETRANSMIT;
import static dev.ina.protocol.FrameDescriptor.FLAG_SHADOW_SET;
import static dev.ina.protocol.FrameDescriptor.HEADER_LENGTH;
import static dev.ina.status.CounterDescriptor.DROP_CODEC;
import static dev.ina.status.CounterDescriptor.DROP_CONTROL;
import static dev.ina.status.CounterDescriptor.DROP_DUPLICATE;
import static dev.ina.status.CounterDescriptor.DROP_ENDED_JOB;
import static dev.ina.status.CounterDescriptor.DROP_EXPONENT;
import static dev.ina.status.CounterDescriptor.DROP_LENGTH;
import static dev.ina.status.CounterDescriptor.DROP_RANK;
import static dev.ina.status.CounterDescriptor.DROP_SEQUENCE;
import static dev.ina.status.CounterDescriptor.DROP_SHORT;
import static dev.ina.status.CounterDescriptor.DROP_SLOT;
import static dev.ina.status.CounterDescriptor.DROP_STALE;
import static dev.ina.status.CounterDescriptor.DROP_TOKEN;
import static dev.ina.status.CounterDescriptor.DROP_TYPE;
import static dev.ina.status.CounterDescriptor.DROP_UNKNOWN_JOB;
import static dev.ina.status.CounterDescriptor.DROP_VERSION;

/**
 * The aggregation engine: SwitchML's streaming slot pool, per job, with dedup by rank, the finished result kept
 * for ranks that retransmit, and a JOIN handshake that is the job's barrier.
 * <p>
 * Pure and single-threaded: it never touches a socket or a clock. The transport calls {@link #onFrame} for each
 * datagram and {@link #doWork} periodically, both from the one thread that owns the engine, and passes the
 * time. Malformed or foreign frames are dropped and counted by reason; none can change a sum it has no right to.
 * Jobs are isolated: a frame reaches a job's sets only if its job id, session token, rank and sender address all
 * match that job.
 */
public final class ChunkAggregator implements FrameHandler, AutoCloseable
{
    private static final int ENDED_JOBS_KEPT = 16;
    private static final long HOUSEKEEPING_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int MAX_LISTED_RANKS = 16;
    private static final long MIN_DEADLINE_NS = TimeUnit.MICROSECONDS.toNanos(100);

    private final AggregatorConfig config;
    private final FrameSender sender;
    private final Counters counters;
    private final Int2ObjectHashMap<Job> jobs = new Int2ObjectHashMap<>();
    private final IntArrayList expiredJobs = new IntArrayList();
    /** (job id, session token) of the last {@value #ENDED_JOBS_KEPT} jobs that ended, oldest overwritten first. */
    private final long[] endedJobs = new long[ENDED_JOBS_KEPT];
    private int endedJobsNext;
    private int endedJobsKept;
    private final HeaderFlyweight in = new HeaderFlyweight();
    private final ControlFlyweight inControl = new ControlFlyweight();
    private final UnsafeBuffer ownSendBuffer =
        new UnsafeBuffer(ByteBuffer.allocateDirect(FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH));
    /** The frame being written: the sender's claimed memory (sent without a copy) or {@link #ownSendBuffer}. */
    private MutableDirectBuffer sendBuffer = ownSendBuffer;
    private final ControlFlyweight out = new ControlFlyweight();
    private final SplittableRandom random;
    private final int shard;
    private final int[] shardPorts;
    private final long poolBytes;
    private final int maxJobs;
    private long poolBytesInUse;
    private int boundedJobs;
    private boolean housekeepingScheduled;
    private long nextHousekeepingNs;

    /**
     * Creates the engine of a single-threaded aggregator.
     *
     * @param config   aggregator configuration.
     * @param sender   how frames leave the engine.
     * @param counters where drops and traffic are counted.
     * @param seed     seed of the session-token generator (use a secure random value outside tests).
     */
    public ChunkAggregator(
        final AggregatorConfig config, final FrameSender sender, final Counters counters, final long seed)
    {
        this(config, sender, counters, seed, 0, new int[] {0});
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
     * @param seed       seed of the session-token generator.
     * @param shard      index of this shard.
     * @param shardPorts UDP port of every shard, by index.
     */
    public ChunkAggregator(
        final AggregatorConfig config,
        final FrameSender sender,
        final Counters counters,
        final long seed,
        final int shard,
        final int[] shardPorts)
    {
        this.config = config;
        this.sender = sender;
        this.counters = counters;
        this.random = new SplittableRandom(seed);
        this.shard = shard;
        this.shardPorts = shardPorts.clone();
        this.poolBytes = config.poolBytes() / shardPorts.length;
        this.maxJobs = (config.maxJobs() + shardPorts.length - 1) / shardPorts.length;
    }

    /**
     * Number of jobs (forming or started).
     *
     * @return jobs.
     */
    public int jobCount()
    {
        return jobs.size();
    }

    /**
     * Bytes of the slot pool the current jobs hold.
     *
     * @return bytes.
     */
    public long poolBytesInUse()
    {
        return poolBytesInUse;
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
        if (length < HEADER_LENGTH)
        {
            counters.increment(DROP_SHORT);
            return;
        }
        in.wrap(buffer, offset, length);
        if (in.version() != FrameDescriptor.VERSION)
        {
            counters.increment(DROP_VERSION);
            return;
        }
        switch (in.type())
        {
            case FrameDescriptor.TYPE_CONTRIB:
                onContribution(peer, nowNs);
                break;
            case FrameDescriptor.TYPE_JOIN:
                onJoin(buffer, offset, length, peer, nowNs);
                break;
            case FrameDescriptor.TYPE_LEAVE:
                onLeave(peer, nowNs);
                break;
            case FrameDescriptor.TYPE_RESEND:
                onResend(peer, nowNs);
                break;
            default:
                counters.increment(DROP_TYPE);
        }
    }

    /**
     * Timers: in bounded mode, finishes chunks whose deadline passed (call this every millisecond or so while
     * bounded jobs run); every 100 ms, ends jobs that never formed or went silent, freeing their slots.
     *
     * @param nowNs current time.
     * @return number of chunks finished and jobs ended.
     */
    public int doWork(final long nowNs)
    {
        final int finished = boundedJobs > 0 ? checkDeadlines(nowNs) : 0;
        // The first call always runs: a nano clock may start anywhere, negative values included.
        if (housekeepingScheduled && nowNs - nextHousekeepingNs < 0)
        {
            return finished;
        }
        housekeepingScheduled = true;
        nextHousekeepingNs = nowNs + HOUSEKEEPING_INTERVAL_NS;
        expiredJobs.clear();
        for (final Job job : jobs.values())
        {
            if (!job.started && nowNs - job.createdNs > config.jobFormTimeoutNs() ||
                job.started && nowNs - job.lastActivityNs > config.jobIdleTimeoutNs())
            {
                expiredJobs.addInt(job.jobId);
            }
        }
        for (int i = 0; i < expiredJobs.size(); i++)
        {
            final Job job = jobs.get(expiredJobs.getInt(i));
            final String message = job.started ?
                job.describe() + " was idle for more than " +
                TimeUnit.NANOSECONDS.toSeconds(config.jobIdleTimeoutNs()) + " s and has been ended" :
                job.describe() + " did not form within " +
                TimeUnit.NANOSECONDS.toSeconds(config.jobFormTimeoutNs()) + " s: " + job.joinedCount + " of " +
                job.worldSize + " ranks joined, missing " + job.missingRanks(job.joined, 0, MAX_LISTED_RANKS);
            endJob(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_JOB_EXPIRED, message);
        }
        return finished + expiredJobs.size();
    }

    /**
     * Ends every job, telling each rank that the aggregator is shutting down.
     */
    @Override
    public void close()
    {
        expiredJobs.clear();
        for (final Job job : jobs.values())
        {
            expiredJobs.addInt(job.jobId);
        }
        for (int i = 0; i < expiredJobs.size(); i++)
        {
            final Job job = jobs.get(expiredJobs.getInt(i));
            endJob(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_SHUTDOWN, "the aggregator shut down");
        }
    }

    private Job authenticate(final int peer, final long nowNs)
    {
        final Job job = jobs.get(in.jobId());
        if (job == null || !job.started)
        {
            counters.increment(hasEnded(in.jobId(), in.sessionToken()) ? DROP_ENDED_JOB : DROP_UNKNOWN_JOB);
            return null;
        }
        if (in.sessionToken() != job.token)
        {
            counters.increment(hasEnded(in.jobId(), in.sessionToken()) ? DROP_ENDED_JOB : DROP_TOKEN);
            return null;
        }
        final int rank = in.rank();
        if (rank >= job.worldSize || job.rankPeer[rank] != peer)
        {
            counters.increment(DROP_RANK);
            return null;
        }
        if (job.bounded)
        {
            job.heard(rank, nowNs);
        }
        return job;
    }

    private void onContribution(final int peer, final long nowNs)
    {
        final Job job = authenticate(peer, nowNs);
        if (job == null)
        {
            return;
        }
        if (in.codec() != job.codec.id())
        {
            counters.increment(DROP_CODEC);
            return;
        }
        final int sequence = in.sequence();
        final int set = setOf(job, sequence);
        if (set < 0)
        {
            return;
        }
        final int count = in.count();
        if (count > job.elementsPerPacket || in.payloadLength() != count * job.codec.bytesUp())
        {
            counters.increment(DROP_LENGTH);
            return;
        }

        final int rank = in.rank();
        final int delta = FrameDescriptor.compareSequence(sequence, job.setSequence[set]);
        job.lastActivityNs = nowNs;

        if (delta == 0)
        {
            onContributionToCurrent(job, set, rank, peer, count, nowNs);
        }
        else if (job.bounded && delta > 0)
        {
            if (job.setState[set] == Job.SET_OPEN)
            {
                if (nowNs - job.setFirstNs[set] < job.effectiveDeadlineNs)
                {
                    // A rank that gave chunks up runs ahead; it must not take a set from ranks still within its
                    // deadline (they would get GONE and give up in turn). It retries after its timeout.
                    counters.increment(DROP_SEQUENCE);
                    return;
                }
                finishOrAbandon(job, set, nowNs);
            }
            job.resetSet(set, sequence, count, in.exponent(), in.round(), in.flags() & FLAG_LAST, nowNs);
            addContribution(job, set, rank, count, nowNs);
        }
        else if (delta == 2 * job.window && job.setState[set] != Job.SET_OPEN)
        {
            if (job.leftCount > 0)
            {
                refuseAfterLeave(job, peer, rank);
                return;
            }
            job.resetSet(set, sequence, count, in.exponent(), in.round(), in.flags() & FLAG_LAST, nowNs);
            addContribution(job, set, rank, count, nowNs);
        }
        else if (delta < 0 && job.bounded)
        {
            // A straggler's chunk whose set moved on: it fills the chunk from its own values.
            counters.increment(CounterDescriptor.DROP_LATE);
            sendGone(job, sequence, peer, rank);
        }
        else if (delta < 0)
        {
            counters.increment(DROP_STALE);
        }
        else
        {
            counters.increment(DROP_SEQUENCE);
        }
    }

    /**
     * The set a sequence maps to, checked against the frame's slot and shadow-set flag; -1 (counted) if they
     * disagree.
     */
    private int setOf(final Job job, final int sequence)
    {
        final int slot = job.slotOf(sequence);
        final int shadow = job.shadowOf(sequence);
        if (in.slot() != slot || ((in.flags() & FLAG_SHADOW_SET) != 0 ? 1 : 0) != shadow)
        {
            counters.increment(DROP_SLOT);
            return -1;
        }
        return Job.setIndex(slot, shadow);
    }

    private void onResend(final int peer, final long nowNs)
    {
        final Job job = authenticate(peer, nowNs);
        if (job == null)
        {
            return;
        }
        final int sequence = in.sequence();
        final int set = setOf(job, sequence);
        if (set < 0)
        {
            return;
        }
        if (in.payloadLength() != 0)
        {
            counters.increment(DROP_LENGTH);
            return;
        }
        if (job.bounded && FrameDescriptor.compareSequence(sequence, job.setSequence[set]) < 0)
        {
            job.lastActivityNs = nowNs;
            sendGone(job, sequence, peer, in.rank());
            return;
        }
        if (sequence != job.setSequence[set] || job.setState[set] == Job.SET_EMPTY)
        {
            counters.increment(DROP_STALE);
            return;
        }
        job.lastActivityNs = nowNs;
        final int rank = in.rank();
        if (job.setState[set] == Job.SET_DONE && (job.bounded || Job.hasBit(job.setSeen, set * job.words, rank)))
        {
            sendResult(job, set, peer, 1);
            counters.increment(CounterDescriptor.RESULTS_RESENT);
        }
        else if (job.leftCount > 0 && !job.bounded)
        {
            refuseAfterLeave(job, peer, rank);
        }
        else
        {
            // Open, or done without this rank: the bitmap tells the rank whether to send its payload again.
            sendPending(job, set, peer, rank);
        }
    }

    private void onContributionToCurrent(
        final Job job, final int set, final int rank, final int peer, final int count, final long nowNs)
    {
        final int wordBase = set * job.words;
        if (Job.hasBit(job.setSeen, wordBase, rank))
        {
            if (job.setState[set] == Job.SET_DONE)
            {
                // The rank missed the result: send the kept result to it alone.
                sendResult(job, set, peer, 1);
                counters.increment(CounterDescriptor.RESULTS_RESENT);
            }
            else if (job.leftCount > 0 && !job.bounded)
            {
                refuseAfterLeave(job, peer, rank);
            }
            else if ((in.flags() & FLAG_RETRANSMIT) != 0)
            {
                sendPending(job, set, peer, rank);
            }
            else
            {
                counters.increment(DROP_DUPLICATE);
            }
            return;
        }
        if (job.setState[set] == Job.SET_DONE)
        {
            // Bounded mode: the chunk finished without this straggler. Drop its values; the kept result lets it
            // catch up. An adaptive deadline learns how long the chunk would have needed to include it.
            counters.increment(CounterDescriptor.DROP_LATE);
            if (job.adaptiveDeadline)
            {
                job.recordCompletion(nowNs - job.setFirstNs[set]);
            }
            sendResult(job, set, peer, 1);
            return;
        }
        if (job.setState[set] != Job.SET_OPEN)
        {
            counters.increment(DROP_STALE);
            return;
        }
        if (count != job.setElements[set])
        {
            counters.increment(DROP_LENGTH);
            return;
        }
        if (in.exponent() != job.setExponent[set] && !job.bounded)
        {
            counters.increment(DROP_EXPONENT);
            return;
        }
        addContribution(job, set, rank, count, nowNs);
    }

    private void addContribution(final Job job, final int set, final int rank, final int count, final long nowNs)
    {
        if (count > 0)
        {
            if (job.setCount[set] == 0)
            {
                job.sums.store(in.buffer(), in.payloadOffset(), count, set);
            }
            else if (in.exponent() == job.setExponent[set])
            {
                job.sums.add(in.buffer(), in.payloadOffset(), count, set);
            }
            else
            {
                addRescaled(job, set, count);
            }
        }
        Job.setBit(job.setSeen, set * job.words, rank);
        job.setNextExponent[set] = (byte)Math.max(job.setNextExponent[set], in.nextExponent());
        counters.increment(CounterDescriptor.CONTRIBUTIONS);
        job.setCount[set]++;
        if (job.mayFinish(set, nowNs))
        {
            finish(job, set, nowNs);
        }
    }

    /**
     * Bounded mode: a rank that missed an exponent agreement quantised with its own exponent. Sum at the larger of
     * the two, so no value saturates: shift the smaller side right.
     */
    private void addRescaled(final Job job, final int set, final int count)
    {
        final int exponent = in.exponent();
        final int current = job.setExponent[set];
        if (exponent > current)
        {
            job.sums.rescale(set, count, exponent - current);
            job.setExponent[set] = (byte)exponent;
            job.sums.add(in.buffer(), in.payloadOffset(), count, set);
        }
        else
        {
            job.sums.addShifted(in.buffer(), in.payloadOffset(), count, set, current - exponent);
        }
    }

    private void finish(final Job job, final int set, final long nowNs)
    {
        job.setState[set] = Job.SET_DONE;
        counters.increment(CounterDescriptor.CHUNKS_COMPLETED);
        if (job.setCount[set] < job.worldSize)
        {
            job.setFlags[set] |= FLAG_PARTIAL;
            counters.increment(CounterDescriptor.PARTIAL_COMPLETIONS);
        }
        else if (job.adaptiveDeadline)
        {
            job.recordCompletion(nowNs - job.setFirstNs[set]);
        }
        sendResult(job, set, -1, job.worldSize);
    }

    /**
     * Bounded mode: a rank moved past an unfinished set (it gave the chunk up). Finish the set with what it holds
     * if that reaches the quorum, else abandon it: its contributors will ask again and get GONE.
     */
    private void finishOrAbandon(final Job job, final int set, final long nowNs)
    {
        if (job.setCount[set] >= job.quorum)
        {
            finish(job, set, nowNs);
        }
        else
        {
            counters.increment(CounterDescriptor.CHUNKS_ABANDONED);
        }
    }

    private void sendGone(final Job job, final int sequence, final int peer, final int rank)
    {
        wrapOut();
        out.writeHeader(FrameDescriptor.TYPE_GONE, job.codec.id())
            .flags(FrameDescriptor.shadowSetOf(sequence, job.windowShift) * FLAG_SHADOW_SET)
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank)
            .slot(job.slotOf(sequence))
            .round(in.round())
            .sequence(sequence);
        countSend(sender.send(sendBuffer, 0, HEADER_LENGTH, peer), HEADER_LENGTH, 1);
        counters.increment(CounterDescriptor.GONE_SENT);
    }

    /**
     * Bounded mode, every tick: ranks silent too long stop being waited for, and open sets past their deadline
     * with the quorum finish.
     */
    private int checkDeadlines(final long nowNs)
    {
        int finished = 0;
        for (final Job job : jobs.values())
        {
            if (!job.bounded || !job.started)
            {
                continue;
            }
            job.updatePresence(nowNs);
            for (int set = 0, sets = 2 * job.window; set < sets; set++)
            {
                if (job.setState[set] == Job.SET_OPEN && job.mayFinish(set, nowNs))
                {
                    finish(job, set, nowNs);
                    finished++;
                }
            }
        }
        return finished;
    }

    /**
     * Sends the result of a finished set to one peer, or to every rank when {@code peer < 0}.
     */
    private void sendResult(final Job job, final int set, final int peer, final int destinations)
    {
        final int sequence = job.setSequence[set];
        wrapOut();
        out.writeHeader(FrameDescriptor.TYPE_RESULT, job.codec.id())
            .flags(job.setFlags[set] | ((set & 1) != 0 ? FLAG_SHADOW_SET : 0))
            .jobId(job.jobId)
            .sessionToken(job.token)
            .slot(set >>> 1)
            .round(job.setRound[set])
            .sequence(sequence)
            .count(job.setElements[set])
            .exponent(job.setExponent[set])
            .nextExponent(job.setNextExponent[set])
            .contributors(job.setCount[set]);
        // The noise key depends on the job and sequence only: a resent result repeats the first one's bytes.
        final int length = HEADER_LENGTH + job.sums.encode(
            set, job.setElements[set], SumAccumulator.resultNoiseKey(job.jobId, sequence), sendBuffer, HEADER_LENGTH);
        final int result = peer < 0 ?
            sender.send(sendBuffer, 0, length, job.rankPeer, job.worldSize) :
            sender.send(sendBuffer, 0, length, peer);
        countSend(result, length, destinations);
    }

    private void sendPending(final Job job, final int set, final int peer, final int rank)
    {
        wrapOut();
        out.writeHeader(FrameDescriptor.TYPE_PENDING, job.codec.id())
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank)
            .slot(set >>> 1)
            .round(job.setRound[set])
            .sequence(job.setSequence[set]);
        out.rankBitmap(job.setSeen, set * job.words, job.worldSize);
        countSend(sender.send(sendBuffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.PENDING_SENT);
    }

    private void refuseAfterLeave(final Job job, final int peer, final int rank)
    {
        sendError(FrameDescriptor.TYPE_ABORT, job.jobId, job.token, rank, in.round(), ControlFlyweight.ERROR_RANK_LEFT,
            job.describe() + ": rank(s) " + listRanks(job, job.left) + " left the job, so this all-reduce " +
            "cannot complete", peer);
    }

    private static String listRanks(final Job job, final long[] bitmap)
    {
        final StringBuilder sb = new StringBuilder("[");
        int listed = 0;
        for (int r = 0; r < job.worldSize && listed < MAX_LISTED_RANKS; r++)
        {
            if (Job.hasBit(bitmap, 0, r))
            {
                sb.append(listed++ == 0 ? "" : ", ").append(r);
            }
        }
        return sb.append(']').toString();
    }

    private void onJoin(
        final MutableDirectBuffer buffer, final int offset, final int length, final int peer, final long nowNs)
    {
        if (length < ControlFlyweight.JOIN_LENGTH)
        {
            counters.increment(DROP_SHORT);
            return;
        }
        inControl.wrap(buffer, offset, length);
        final int jobId = inControl.jobId();
        final int rank = inControl.rank();
        final int nonce = inControl.round();
        final int worldSize = inControl.worldSize();
        final int window = inControl.window();
        final int elementsPerPacket = inControl.elementsPerPacket();
        final int mode = inControl.mode();
        final int quorum = inControl.quorum();
        final long deadlineNs = TimeUnit.MICROSECONDS.toNanos(inControl.deadlineUs());
        final boolean adaptive = (inControl.modeFlags() & ControlFlyweight.MODE_FLAG_ADAPTIVE_DEADLINE) != 0;
        final Codec codec = Codec.fromId(inControl.codec());

        final String invalid = checkJoin(codec, rank, worldSize, window, elementsPerPacket, mode, quorum, deadlineNs);
        if (invalid != null)
        {
            counters.increment(DROP_CONTROL);
            sendError(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_INVALID_REQUEST,
                "job " + jobId + " rank " + rank + ": " + invalid, peer);
            return;
        }

        final int owner = Math.floorMod(jobId, shardPorts.length);
        if (owner != shard)
        {
            redirect(jobId, rank, nonce, owner, peer);
            return;
        }

        Job job = jobs.get(jobId);
        if (job != null && !(matches(job, codec, worldSize, window, elementsPerPacket, mode) &&
            (!job.bounded || job.quorum == quorum && job.deadlineNs == deadlineNs && job.adaptiveDeadline == adaptive)))
        {
            sendError(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_CONFIG_MISMATCH,
                job.describe() + " already exists; rank " + rank + " asked for " + inControlSettings() +
                ": give every rank the same settings", peer);
            return;
        }
        if (job != null && Job.hasBit(job.joined, 0, rank) && job.rankNonce[rank] != nonce)
        {
            if (job.started)
            {
                // The rank restarted: the old session cannot finish. End it and let the new one form.
                endJob(job, FrameDescriptor.TYPE_ABORT, ControlFlyweight.ERROR_RANK_REJOINED,
                    job.describe() + ": rank " + rank + " joined again (restarted); the session was ended");
                job = null;
            }
            else
            {
                job.rankPeer[rank] = peer;
                job.rankNonce[rank] = nonce;
            }
        }
        if (job == null)
        {
            job = createJob(jobId, codec, worldSize, window, elementsPerPacket, mode, rank, nonce, peer, nowNs,
                quorum, deadlineNs, adaptive);
            if (job == null)
            {
                return;
            }
        }
        job.lastActivityNs = nowNs;

        if (!Job.hasBit(job.joined, 0, rank))
        {
            Job.setBit(job.joined, 0, rank);
            job.rankPeer[rank] = peer;
            job.rankNonce[rank] = nonce;
            if (++job.joinedCount == job.worldSize)
            {
                job.started = true;
                job.markAllPresent(nowNs);
                counters.increment(CounterDescriptor.JOBS_STARTED);
                for (int r = 0; r < job.worldSize; r++)
                {
                    sendJoinAck(job, r);
                }
                return;
            }
        }
        if (job.started)
        {
            sendJoinAck(job, rank);
        }
        else
        {
            sendJoinPending(job, rank, nonce, peer);
        }
    }

    private void sendJoinPending(final Job job, final int rank, final int nonce, final int peer)
    {
        wrapOut();
        out.writeHeader(FrameDescriptor.TYPE_PENDING, FrameDescriptor.CODEC_NONE)
            .jobId(job.jobId)
            .rank(rank)
            .round(nonce)
            .sequence(-1);
        out.rankBitmap(job.joined, 0, job.worldSize);
        countSend(sender.send(sendBuffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.PENDING_SENT);
    }

    private void redirect(final int jobId, final int rank, final int nonce, final int owner, final int peer)
    {
        wrapOut();
        out.writeHeader(FrameDescriptor.TYPE_ERROR, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .rank(rank)
            .round(nonce)
            .sequence(shardPorts[owner])
            .contributors(ControlFlyweight.ERROR_REDIRECT);
        out.message("job " + jobId + " is served on port " + shardPorts[owner]);
        countSend(sender.send(sendBuffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.REDIRECTS);
    }

    private String inControlSettings()
    {
        final Mode mode = Mode.fromId(inControl.mode());
        return "worldSize=" + inControl.worldSize() + ", codec=" + Codec.fromId(inControl.codec()) + ", window=" +
            inControl.window() + ", elementsPerPacket=" + inControl.elementsPerPacket() + ", mode=" + mode +
            (mode == Mode.BOUNDED ? ", quorum=" + inControl.quorum() + ", deadlineUs=" + inControl.deadlineUs() +
            ((inControl.modeFlags() & ControlFlyweight.MODE_FLAG_ADAPTIVE_DEADLINE) != 0 ? " adaptive" : "") : "");
    }

    private String checkJoin(
        final Codec codec,
        final int rank,
        final int worldSize,
        final int window,
        final int elementsPerPacket,
        final int mode,
        final int quorum,
        final long deadlineNs)
    {
        if (codec == null)
        {
            return "unknown codec id " + inControl.codec();
        }
        if (worldSize < 1 || worldSize > FrameDescriptor.MAX_WORLD_SIZE)
        {
            return "worldSize must be within [1, " + FrameDescriptor.MAX_WORLD_SIZE + "], got " + worldSize;
        }
        if (rank >= worldSize)
        {
            return "rank must be below worldSize " + worldSize;
        }
        if (window < 1 || (window & (window - 1)) != 0 || window > config.maxWindow())
        {
            return "window must be a power of two within [1, " + config.maxWindow() + "], got " + window;
        }
        final int maxElements =
            FrameDescriptor.MAX_PAYLOAD_LENGTH / Math.max(codec.bytesUp(), codec.bytesDown(worldSize));
        if (elementsPerPacket < 1 || elementsPerPacket > maxElements)
        {
            return "elementsPerPacket must be within [1, " + maxElements + "], got " + elementsPerPacket;
        }
        if (Mode.fromId(mode) == null)
        {
            return "unsupported mode " + mode;
        }
        if (mode == Mode.BOUNDED.id() && (quorum < 1 || quorum > worldSize))
        {
            return "quorum must be within [1, " + worldSize + "], got " + quorum;
        }
        if (mode == Mode.BOUNDED.id() && deadlineNs < MIN_DEADLINE_NS)
        {
            return "deadline must be at least 100 µs, got " + deadlineNs + " ns";
        }
        return null;
    }

    private static boolean matches(
        final Job job,
        final Codec codec,
        final int worldSize,
        final int window,
        final int elementsPerPacket,
        final int mode)
    {
        return job.codec == codec && job.worldSize == worldSize && job.window == window &&
            job.elementsPerPacket == elementsPerPacket && job.mode == mode;
    }

    private Job createJob(
        final int jobId,
        final Codec codec,
        final int worldSize,
        final int window,
        final int elementsPerPacket,
        final int mode,
        final int rank,
        final int nonce,
        final int peer,
        final long nowNs,
        final int quorum,
        final long deadlineNs,
        final boolean adaptive)
    {
        final long bytes = Job.poolBytes(codec, window, elementsPerPacket, worldSize);
        if (jobs.size() >= maxJobs)
        {
            sendError(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_POOL_EXHAUSTED,
                "the aggregator serves its maximum of " + maxJobs + " jobs per engine thread; raise maxJobs or end " +
                "a job",
                peer);
            return null;
        }
        if (poolBytesInUse + bytes > poolBytes)
        {
            sendError(FrameDescriptor.TYPE_ERROR, jobId, 0, rank, nonce, ControlFlyweight.ERROR_POOL_EXHAUSTED,
                "job " + jobId + " needs " + bytes + " bytes of slot pool (window=" + window +
                ", elementsPerPacket=" + elementsPerPacket + ") but " + (poolBytes - poolBytesInUse) +
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
        final Job job = new Job(
            jobId, codec, worldSize, window, elementsPerPacket, mode, quorum, deadlineNs, adaptive, token, nowNs);
        poolBytesInUse += job.poolBytes;
        if (job.bounded)
        {
            boundedJobs++;
        }
        jobs.put(jobId, job);
        return job;
    }

    private void sendJoinAck(final Job job, final int rank)
    {
        wrapOut();
        out.writeHeader(FrameDescriptor.TYPE_JOIN_ACK, job.codec.id())
            .jobId(job.jobId)
            .sessionToken(job.token)
            .rank(rank)
            .round(job.rankNonce[rank])
            .sequence(0);
        out.worldSize(job.worldSize)
            .window(job.window)
            .elementsPerPacket(job.elementsPerPacket)
            .mode(job.mode)
            .modeFlags(job.adaptiveDeadline ? ControlFlyweight.MODE_FLAG_ADAPTIVE_DEADLINE : 0)
            .quorum(job.quorum)
            .deadlineUs(TimeUnit.NANOSECONDS.toMicros(job.deadlineNs))
            .frameLength(ControlFlyweight.JOIN_LENGTH);
        countSend(sender.send(sendBuffer, 0, ControlFlyweight.JOIN_LENGTH, job.rankPeer[rank]),
            ControlFlyweight.JOIN_LENGTH, 1);
    }

    private void onLeave(final int peer, final long nowNs)
    {
        if (in.sessionToken() == 0)
        {
            onWithdraw(peer);
            return;
        }
        final Job job = authenticate(peer, nowNs);
        if (job == null)
        {
            return;
        }
        final int rank = in.rank();
        job.lastActivityNs = nowNs;
        if (!Job.hasBit(job.left, 0, rank))
        {
            Job.setBit(job.left, 0, rank);
            if (++job.leftCount == job.worldSize)
            {
                removeJob(job);
            }
        }
    }

    /**
     * A LEAVE without a token withdraws a JOIN from a job still forming (the rank gave up waiting), so the job
     * cannot later start with a rank that is gone. It must come from the address and nonce the rank joined with.
     */
    private void onWithdraw(final int peer)
    {
        final Job job = jobs.get(in.jobId());
        if (job == null)
        {
            counters.increment(DROP_UNKNOWN_JOB);
            return;
        }
        if (job.started)
        {
            // A started job's ranks leave with its token; without one this is a foreign or forged frame.
            counters.increment(DROP_TOKEN);
            return;
        }
        final int rank = in.rank();
        if (rank >= job.worldSize || !Job.hasBit(job.joined, 0, rank) || job.rankNonce[rank] != in.round() ||
            job.rankPeer[rank] != peer)
        {
            counters.increment(DROP_RANK);
            return;
        }
        job.joined[rank >>> 6] &= ~(1L << rank);
        if (--job.joinedCount == 0)
        {
            removeJob(job);
        }
    }

    private void endJob(final Job job, final byte type, final int code, final String message)
    {
        for (int r = 0; r < job.worldSize; r++)
        {
            if (Job.hasBit(job.joined, 0, r) && !Job.hasBit(job.left, 0, r))
            {
                final int token = job.started ? job.token : 0;
                sendError(type, job.jobId, token, r, job.rankNonce[r], code, message, job.rankPeer[r]);
            }
        }
        removeJob(job);
    }

    private void removeJob(final Job job)
    {
        jobs.remove(job.jobId);
        if (job.started)
        {
            endedJobs[endedJobsNext] = endedJobKey(job.jobId, job.token);
            endedJobsNext = (endedJobsNext + 1) % ENDED_JOBS_KEPT;
            endedJobsKept = Math.min(endedJobsKept + 1, ENDED_JOBS_KEPT);
        }
        poolBytesInUse -= job.poolBytes;
        if (job.bounded)
        {
            boundedJobs--;
        }
        counters.increment(CounterDescriptor.JOBS_ENDED);
    }

    private boolean hasEnded(final int jobId, final int token)
    {
        // Only the entries written so far: an unused one (0) would otherwise match a frame of job 0 with token 0.
        final long key = endedJobKey(jobId, token);
        for (int i = 0; i < endedJobsKept; i++)
        {
            if (endedJobs[i] == key)
            {
                return true;
            }
        }
        return false;
    }

    private static long endedJobKey(final int jobId, final int token)
    {
        return ((long)jobId << 32) | (token & 0xFFFF_FFFFL);
    }

    private void sendError(
        final byte type,
        final int jobId,
        final int token,
        final int rank,
        final int round,
        final int code,
        final String message,
        final int peer)
    {
        wrapOut();
        out.writeHeader(type, FrameDescriptor.CODEC_NONE)
            .jobId(jobId)
            .sessionToken(token)
            .rank(rank)
            .round(round)
            .contributors(code);
        out.message(message);
        countSend(sender.send(sendBuffer, 0, out.frameLength(), peer), out.frameLength(), 1);
        counters.increment(CounterDescriptor.ERRORS_SENT);
    }

    /**
     * Starts a frame: {@link #out} on the sender's claimed memory (sent without a copy) or on our own buffer.
     */
    private void wrapOut()
    {
        final MutableDirectBuffer claimed = sender.claim();
        sendBuffer = claimed != null ? claimed : ownSendBuffer;
        out.wrap(sendBuffer, 0, sendBuffer.capacity());
    }

    private void countSend(final int result, final int length, final int destinations)
    {
        if (result == FrameSender.OK)
        {
            counters.add(CounterDescriptor.FRAMES_SENT, destinations);
            counters.add(CounterDescriptor.BYTES_SENT, (long)length * destinations);
        }
        else
        {
            counters.increment(CounterDescriptor.SEND_FAILURES);
        }
    }
}
