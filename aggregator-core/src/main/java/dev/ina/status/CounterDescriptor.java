package dev.ina.status;

/**
 * Counters of the aggregator and of a worker, with stable ids so that tools can read them by id.
 * Drops are counted per reason: a datagram that is dropped moves exactly one {@code DROP_*} counter.
 */
public enum CounterDescriptor
{
    /** Datagrams handed to an engine. */
    FRAMES_RECEIVED(1, "frames received"),
    /** Bytes of datagrams handed to an engine. */
    BYTES_RECEIVED(2, "bytes received"),
    /** Frames sent (one per destination). */
    FRAMES_SENT(3, "frames sent"),
    /** Bytes of frames sent (per destination). */
    BYTES_SENT(4, "bytes sent"),
    /** Contributions added to a sum. */
    CONTRIBUTIONS(5, "contributions added"),
    /** Chunks whose sum was completed. */
    CHUNKS_COMPLETED(6, "chunks completed"),
    /** Results sent again to a rank that retransmitted after the set finished. */
    RESULTS_RESENT(7, "results re-sent"),
    /** PENDING replies to retransmissions or repeated JOINs. */
    PENDING_SENT(8, "pending replies sent"),
    /** Jobs whose ranks all joined. */
    JOBS_STARTED(9, "jobs started"),
    /** Jobs ended: all ranks left, expired or aborted. */
    JOBS_ENDED(10, "jobs ended"),
    /** ERROR or ABORT frames sent. */
    ERRORS_SENT(11, "errors sent"),
    /** Sends the transport refused (back-pressure, no route). */
    SEND_FAILURES(12, "send failures"),
    /** Retransmissions by a worker. */
    RETRANSMITS(13, "retransmits"),
    /** Exceptions an engine threw while handling a frame: a bug; the frame is dropped and the engine serves on. */
    HANDLER_ERRORS(14, "handler errors"),
    /** JOINs answered with the port of the engine thread that serves the job. */
    REDIRECTS(15, "joins redirected"),
    /** Bounded mode: chunks finished at their deadline with fewer than world-size contributions. */
    PARTIAL_COMPLETIONS(16, "chunks completed partially"),
    /** Bounded mode: GONE replies, for chunks whose set was reused after a partial result. */
    GONE_SENT(17, "gone replies sent"),
    /** Bounded mode, worker: chunks filled from the rank's own contribution after its retries. */
    CHUNKS_FILLED_LOCALLY(18, "chunks filled locally"),
    /** Bounded mode: sets given up before reaching the quorum (reused, or a rank moved past them without
     * contributing so the quorum cannot be reached); their partial sums were discarded, contributors get GONE. */
    CHUNKS_ABANDONED(19, "chunks abandoned"),

    /** Dropped: shorter than a header or than its type needs. */
    DROP_SHORT(20, "dropped: short"),
    /** Dropped: another protocol version. */
    DROP_VERSION(21, "dropped: version"),
    /** Dropped: unknown or unexpected frame type. */
    DROP_TYPE(22, "dropped: type"),
    /** Dropped: no such job (or not started). */
    DROP_UNKNOWN_JOB(23, "dropped: unknown job"),
    /** Dropped: wrong session token. */
    DROP_TOKEN(24, "dropped: session token"),
    /** Dropped: rank out of range or sent from another address than the rank joined from. */
    DROP_RANK(25, "dropped: rank or sender"),
    /** Dropped: codec other than the job's. */
    DROP_CODEC(26, "dropped: codec"),
    /** Dropped: slot or shadow set not matching the sequence, or out of range. */
    DROP_SLOT(27, "dropped: slot"),
    /** Dropped: count does not fit the length, the packet size or the set's chunk. */
    DROP_LENGTH(28, "dropped: count or length"),
    /** Dropped: a sequence the set cannot take (ahead of the window). */
    DROP_SEQUENCE(29, "dropped: sequence"),
    /** Dropped: an older sequence or round than the set or call holds. */
    DROP_STALE(30, "dropped: stale"),
    /** Dropped: a rank's second contribution to an unfinished set. */
    DROP_DUPLICATE(31, "dropped: duplicate"),
    /** Dropped: exponent different from the one the set was started with. */
    DROP_EXPONENT(32, "dropped: exponent"),
    /** Dropped: a malformed control frame (bad parameters). */
    DROP_CONTROL(33, "dropped: control"),
    /** Dropped, bounded mode: a contribution that arrived after its chunk finished without it (a straggler); the
     * rank gets the kept result, or GONE, to catch up. */
    DROP_LATE(34, "dropped: late"),
    /**
     * Frames with the session token of a job that has ended since (extra LEAVE copies, a retransmission that
     * crossed the last result): expected after a clean end, unlike {@link #DROP_UNKNOWN_JOB}.
     */
    DROP_ENDED_JOB(35, "dropped: job ended"),

    /** JOINs that proved a secret but carried no cookie, or an expired one, answered with a fresh CHALLENGE. */
    CHALLENGES_SENT(36, "challenges sent"),
    /** JOINs of secret-protected jobs whose proof and cookie verified: a holder of the secret, fresh. */
    JOINS_PROVEN(37, "joins proven"),
    /**
     * Dropped: a control frame of a secret-protected job without a valid proof: a JOIN without one or with a
     * wrong one (also with a proof for a job the aggregator holds no secret for), a JOIN whose cookie the
     * aggregator did not make for its sender, a LEAVE or withdraw without one; at a worker, a JOIN_ACK, CHALLENGE,
     * ERROR or ABORT that does not prove the job's secret.
     */
    DROP_PROOF(38, "dropped: proof"),
    /** Dropped: a proven JOIN whose nonce an earlier process of that rank used, or that of a session that ended
     * since: a replay. */
    DROP_REPLAY(39, "dropped: replay"),
    /** ERROR or CHALLENGE replies to JOINs that proved nothing, not sent because a rate limit was reached (per
     * source or per engine thread), or because the reply would have been longer than the JOIN. */
    REPLIES_LIMITED(40, "replies to unproven joins limited"),
    /** Bytes of JOINs that proved nothing (no proof, a wrong one, no cookie, an open job's). */
    UNPROVEN_BYTES_RECEIVED(41, "bytes received in unproven joins"),
    /** Bytes of the replies to JOINs that proved nothing: never more than {@link #UNPROVEN_BYTES_RECEIVED}. */
    UNPROVEN_BYTES_SENT(42, "bytes sent in replies to unproven joins"),

    /** NACK frames the aggregator sent: contributions it lacks (a rank's later chunk arrived, or the others' did
     * long enough ago), so the rank sends them again without waiting for a timeout. */
    NACKS_SENT(43, "nacks sent"),
    /** Worker: header-only RESEND queries (is my chunk held, is its result ready?), after a timeout or when later
     * results arrived first. */
    QUERIES(44, "queries sent");

    private final int id;
    private final String label;

    CounterDescriptor(final int id, final String label)
    {
        this.id = id;
        this.label = label;
    }

    /**
     * Stable id of the counter.
     *
     * @return id, unique among descriptors.
     */
    public int id()
    {
        return id;
    }

    /**
     * Human-readable label.
     *
     * @return label.
     */
    public String label()
    {
        return label;
    }
}
