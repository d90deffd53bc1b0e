package dev.ina.worker;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.FrameProof;
import dev.ina.protocol.JobSpec;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * A worker's JOIN: sent, and repeated with back-off (10 ms doubling to 250 ms) until the aggregator acknowledges
 * that every rank has joined or the join timeout passes; followed to another engine thread's port when the
 * aggregator redirects; withdrawn (LEAVE without a token) when the worker gives up before the job started.
 * With a job secret, the JOIN proves it and carries the cookie of the aggregator's last CHALLENGE (sent again at
 * once when a CHALLENGE brings a new cookie), and only a JOIN_ACK or CHALLENGE that proves the secret back is
 * accepted. Single-threaded.
 */
final class JoinHandshake
{
    private static final long RETRY_MIN_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long RETRY_MAX_NS = TimeUnit.MILLISECONDS.toNanos(250);

    private final WorkerProxy proxy;
    private final JobSpec spec;
    private final int rank;
    private final int nonce;
    private final long timeoutNs;
    private final StallReport stall;
    private final String host;
    private final FrameProof proof;
    private final UnsafeBuffer cookie = new UnsafeBuffer(new byte[ControlFlyweight.COOKIE_LENGTH]);
    private final UnsafeBuffer lastCookie = new UnsafeBuffer(new byte[ControlFlyweight.COOKIE_LENGTH]);
    private int unprovenReplies;
    private long lastSendNs;
    private long deadlineNs;
    private long nextSendNs;
    private long retryNs;
    private int redirectPort;

    JoinHandshake(
        final WorkerProxy proxy,
        final JobSpec spec,
        final int rank,
        final int nonce,
        final long timeoutNs,
        final StallReport stall,
        final String host,
        final FrameProof proof)
    {
        this.proof = proof;
        this.proxy = proxy;
        this.spec = spec;
        this.rank = rank;
        this.nonce = nonce;
        this.timeoutNs = timeoutNs;
        this.stall = stall;
        this.host = host;
    }

    int nonce()
    {
        return nonce;
    }

    /**
     * Why the join timed out: ranks missing if the aggregator answered, else that it is silent.
     */
    String describeTimeout()
    {
        final String detail = stall.hasPending() ?
            "the aggregator at " + stall.aggregator() + " answers, but rank(s) " + stall.missingRanks() +
            " have not joined: start them with the same job id, world size and aggregator" :
            "no answer from the aggregator at " + stall.aggregator() + ": is it running and reachable " +
            "(address, port, firewall)?";
        final String unproven = unprovenReplies == 0 ? "" : "; " + unprovenReplies + " replies that claimed to " +
            "come from the aggregator did not prove the job's secret and were ignored: the aggregator holds another " +
            "secret for this job than INA_SECRET or INA_SECRET_FILE gives (or the replies were forged)";
        return "not every rank joined within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms (joinTimeoutNs, " +
            "INA_JOIN_TIMEOUT_MS); " + detail + unproven;
    }

    /**
     * Whether a control frame from the aggregator proves the job's secret.
     *
     * @return true if the job has a secret and the frame's proof verifies.
     */
    boolean isProven(final ControlFlyweight frame, final int length)
    {
        return proof != null && proof.verify(frame.buffer(), frame.offset(), length);
    }

    /**
     * Whether the job has a secret.
     */
    boolean hasSecret()
    {
        return proof != null;
    }

    /**
     * A reply was dropped because it did not prove the job's secret: told in the timeout message.
     */
    void onUnprovenReply()
    {
        unprovenReplies++;
    }

    void start(final long nowNs)
    {
        deadlineNs = nowNs + timeoutNs;
        retryNs = RETRY_MIN_NS;
        send(nowNs);
    }

    /**
     * Repeats the JOIN when due.
     *
     * @return 1 if sent, 0 if not, -1 once the join timed out.
     */
    int doWork(final long nowNs)
    {
        if (nowNs - deadlineNs >= 0)
        {
            return -1;
        }
        if (nowNs - nextSendNs >= 0)
        {
            send(nowNs);
            return 1;
        }
        return 0;
    }

    /**
     * Whether a JOIN_ACK answers this JOIN: this rank and nonce, a token, the spec this rank asked for and, with a
     * secret, a proof of it.
     *
     * @return 0 if it does; -1 if it is for someone else (stale); 1 if it is for us but the spec differs; 2 if it
     *         does not prove the job's secret.
     */
    int check(final ControlFlyweight ack, final int length)
    {
        if (length < ControlFlyweight.JOIN_LENGTH || ack.nonce() != nonce || ack.rank() != rank ||
            ack.sessionToken() == 0)
        {
            return -1;
        }
        if (proof != null && !isProven(ack, length))
        {
            onUnprovenReply();
            return 2;
        }
        return spec.isSameJob(JobSpec.read(ack)) ? 0 : 1;
    }

    /**
     * A CHALLENGE: with a proof of the job's secret and a new cookie, the cookie goes into the following JOINs,
     * the first at once (at most one per 10 ms).
     *
     * @return 0 if taken; -1 if it is for another JOIN or brings no new cookie (stale); 1 if it does not prove
     *         the job's secret.
     */
    int onChallenge(final ControlFlyweight challenge, final int length, final long nowNs)
    {
        if (!isForThisJoin(challenge) || length < ControlFlyweight.CHALLENGE_LENGTH)
        {
            return -1;
        }
        if (!isProven(challenge, length))
        {
            onUnprovenReply();
            return 1;
        }
        challenge.buffer().getBytes(challenge.offset() + ControlFlyweight.CHALLENGE_COOKIE_OFFSET, lastCookie, 0,
            ControlFlyweight.COOKIE_LENGTH);
        if (lastCookie.compareTo(cookie) == 0)
        {
            return -1;
        }
        cookie.putBytes(0, lastCookie, 0, ControlFlyweight.COOKIE_LENGTH);
        // Answer at once, but never faster than the shortest retry: a replayed CHALLENGE cannot make us flood.
        nextSendNs = Math.min(nextSendNs, lastSendNs + RETRY_MIN_NS);
        if (nowNs - nextSendNs >= 0)
        {
            send(nowNs);
        }
        return 0;
    }

    /**
     * Whether an ERROR or ABORT (or a PENDING) answers this JOIN.
     */
    boolean isForThisJoin(final ControlFlyweight frame)
    {
        return frame.nonce() == nonce && frame.rank() == rank;
    }

    /**
     * The aggregator redirects the job to another engine thread's port; the owner reconnects and calls
     * {@link #redirected}.
     *
     * @return false if the port is not a valid port.
     */
    boolean onRedirect(final int port)
    {
        if (port > 0 && port < 65536)
        {
            redirectPort = port;
            return true;
        }
        return false;
    }

    /**
     * The port to reconnect to, or 0.
     */
    int redirectPort()
    {
        return redirectPort;
    }

    /**
     * The owner now sends to the redirect port: join there at once, within the original deadline.
     */
    void redirected(final long nowNs)
    {
        stall.aggregator(host + ':' + redirectPort);
        redirectPort = 0;
        // Each engine thread makes its own cookies.
        cookie.setMemory(0, ControlFlyweight.COOKIE_LENGTH, (byte)0);
        retryNs = RETRY_MIN_NS;
        send(nowNs);
    }

    /**
     * Withdraws the JOIN (several copies, best effort), so that the job cannot later start counting this rank.
     */
    void withdraw(final int copies)
    {
        for (int i = 0; i < copies; i++)
        {
            proxy.withdraw(nonce);
        }
    }

    private void send(final long nowNs)
    {
        proxy.join(spec, nonce, cookie);
        lastSendNs = nowNs;
        nextSendNs = nowNs + retryNs;
        retryNs = Math.min(RETRY_MAX_NS, retryNs * 2);
    }
}
