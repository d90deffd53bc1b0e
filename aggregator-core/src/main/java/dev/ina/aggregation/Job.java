package dev.ina.aggregation;

import dev.ina.protocol.FrameProof;
import dev.ina.protocol.JobSpec;
import dev.ina.protocol.RankBitmap;

import java.util.concurrent.TimeUnit;

/**
 * One job session at the aggregator: what its ranks agreed on, who they are (the address and process nonce each
 * joined from, who left) and its slot sets. Owned by the aggregation engine's thread.
 * <p>
 * A job forms while its ranks join and starts when the last one has; from then on its frames are accepted only
 * with its session token and from the address each rank joined from. A job protected by a secret holds the
 * {@link FrameProof} of that secret: its JOINs, LEAVEs and withdrawals must prove it, and its JOIN_ACK, ERROR and
 * ABORT frames are proven with it. Each rank's JOIN length bounds what the job's control frames may send that rank.
 */
final class Job
{
    static final long MIN_NACK_DELAY_US = 1000;
    private static final long MIN_BOUNDED_NACK_DELAY_NS = TimeUnit.MICROSECONDS.toNanos(200);
    static final long MAX_NACK_DELAY_MS = 20;
    private static final long MIN_NACK_DELAY_NS = TimeUnit.MICROSECONDS.toNanos(MIN_NACK_DELAY_US);
    private static final long MAX_NACK_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(MAX_NACK_DELAY_MS);

    final int jobId;
    final JobSpec spec;
    final int token;
    final long poolBytes;
    final long createdNs;
    final SlotSets sets;
    final ChunkDeadline deadline;
    /** The job's secret's prover, or null for an open job. */
    final FrameProof proof;

    private final int[] rankPeer;
    private final int[] rankNonce;
    private final int[] highestSent;
    private final boolean[] hasSent;
    private final int[] rankJoinLength;
    private final RankBitmap joined;
    private final RankBitmap left;
    /** Bounded mode only, else null. */
    private final Presence presence;
    private boolean started;
    private long lastActivityNs;
    private long spreadNs;

    Job(final int jobId, final JobSpec spec, final int token, final FrameProof proof, final long nowNs)
    {
        this.jobId = jobId;
        this.spec = spec;
        this.token = token;
        this.proof = proof;
        this.poolBytes = SlotSets.sizeOf(spec);
        this.createdNs = nowNs;
        this.lastActivityNs = nowNs;
        final int worldSize = spec.worldSize();
        rankPeer = new int[worldSize];
        rankNonce = new int[worldSize];
        highestSent = new int[worldSize];
        hasSent = new boolean[worldSize];
        rankJoinLength = new int[worldSize];
        joined = new RankBitmap(worldSize);
        left = new RankBitmap(worldSize);
        presence = spec.isBounded() ? new Presence(worldSize, spec.deadlineNs()) : null;
        deadline = new ChunkDeadline(spec.deadlineNs(), spec.isBounded() && spec.adaptiveDeadline());
        sets = new SlotSets(spec);
    }

    int worldSize()
    {
        return spec.worldSize();
    }

    boolean isBounded()
    {
        return presence != null;
    }

    boolean isStarted()
    {
        return started;
    }

    long lastActivityNs()
    {
        return lastActivityNs;
    }

    void touch(final long nowNs)
    {
        lastActivityNs = nowNs;
    }

    // ---------------------------------------------------------------- membership

    boolean hasJoined(final int rank)
    {
        return joined.has(rank);
    }

    int joinedCount()
    {
        return joined.count();
    }

    RankBitmap joined()
    {
        return joined;
    }

    int nonceOf(final int rank)
    {
        return rankNonce[rank];
    }

    int peerOf(final int rank)
    {
        return rankPeer[rank];
    }

    /**
     * Length of the JOIN a rank last joined with: the most a control frame (ERROR, ABORT) sent to it may have.
     */
    int joinLengthOf(final int rank)
    {
        return rankJoinLength[rank];
    }

    /**
     * Peer ids of every rank, by rank: the destinations of a result.
     */
    int[] peers()
    {
        return rankPeer;
    }

    /**
     * A rank joins, or an already joined rank's process (address and nonce) is replaced before the job started.
     *
     * @param joinLength bytes of the JOIN, which bound the control frames the rank is sent.
     * @return true if the rank was not a member before.
     */
    boolean join(final int rank, final int peer, final int nonce, final int joinLength)
    {
        rankPeer[rank] = peer;
        rankNonce[rank] = nonce;
        rankJoinLength[rank] = joinLength;
        return joined.add(rank);
    }

    /**
     * Every rank has joined: the session starts.
     */
    void start(final long nowNs)
    {
        started = true;
        if (presence != null)
        {
            presence.markAllPresent(nowNs);
        }
    }

    /**
     * A rank withdraws its JOIN from a job still forming.
     *
     * @return true if no rank is left in the job.
     */
    boolean withdraw(final int rank)
    {
        joined.remove(rank);
        return joined.count() == 0;
    }

    /**
     * A rank leaves a started job.
     *
     * @return true if it was the last to leave.
     */
    boolean leave(final int rank)
    {
        left.add(rank);
        return left.isFull();
    }

    boolean hasLeft(final int rank)
    {
        return left.has(rank);
    }

    boolean anyLeft()
    {
        return left.count() > 0;
    }

    RankBitmap left()
    {
        return left;
    }

    // ---------------------------------------------------------------- bounded mode

    /**
     * Bounded mode: an authenticated frame from a rank proves it is alive.
     */
    void heard(final int rank, final long nowNs)
    {
        if (presence != null)
        {
            presence.heard(rank, left.has(rank), nowNs);
        }
    }

    /**
     * Bounded mode: ranks that left or went silent stop being waited for.
     */
    void updatePresence(final long nowNs)
    {
        if (presence != null)
        {
            presence.update(this, nowNs);
        }
    }

    /**
     * Whether an open set may finish now: all ranks, or (bounded mode) at least the quorum and either every
     * present rank or the deadline passed since the quorum was reached.
     */
    boolean mayFinish(final int set, final long nowNs)
    {
        final int count = sets.contributors(set);
        return count == spec.worldSize() || presence != null && count >= spec.quorum() &&
            (count >= presence.presentCount() || nowNs - sets.quorumNs(set) >= deadline.deadlineNs());
    }

    /**
     * Bounded mode: whether a rank is still waited for (present and not left).
     */
    boolean isPresent(final int rank)
    {
        return presence == null ? !left.has(rank) : presence.isPresent(rank);
    }

    /**
     * A rank's contribution to a chunk arrived: the highest chunk each rank has sent.
     */
    void sent(final int rank, final int sequence)
    {
        if (!hasSent[rank] || sequence - highestSent[rank] > 0)
        {
            hasSent[rank] = true;
            highestSent[rank] = sequence;
        }
    }

    /**
     * Whether a rank has sent a chunk after {@code sequence}: it sent that one too, in order.
     */
    boolean hasSentBeyond(final int rank, final int sequence)
    {
        return hasSent[rank] && highestSent[rank] - sequence > 0;
    }

    /**
     * A chunk completed with every rank: its spread (first to last contribution) feeds the NACK delay.
     */
    void completed(final long sampleNs)
    {
        // EWMA with gain 1/8, as TCP's smoothed round-trip time.
        spreadNs = Math.max(0, spreadNs + (sampleNs - spreadNs) / 8);
    }

    /**
     * How long an open set waits after its latest contribution before the missing ranks are NACKed (their
     * contributions are taken as lost): four times the usual spread of a chunk's contributions plus
     * {@value #MIN_NACK_DELAY_US} µs, at most {@value #MAX_NACK_DELAY_MS} ms, and in bounded mode at most half the
     * deadline (at least 200 µs) so that the repair arrives in time. Conservative on purpose: a contribution may
     * still wait in the aggregator's own socket buffer, and a loss in the middle of a rank's chunks is NACKed at
     * once anyway, when the rank's next chunk arrives.
     */
    long nackDelayNs()
    {
        long delayNs = Math.min(MAX_NACK_DELAY_NS, 4 * spreadNs + MIN_NACK_DELAY_NS);
        if (presence != null)
        {
            delayNs = Math.min(delayNs, Math.max(MIN_BOUNDED_NACK_DELAY_NS, deadline.deadlineNs() / 2));
        }
        return delayNs;
    }

    String describe()
    {
        return spec.describe(jobId);
    }
}
