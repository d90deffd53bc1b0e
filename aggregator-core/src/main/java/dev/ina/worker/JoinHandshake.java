package dev.ina.worker;

import dev.ina.protocol.ControlFlyweight;
import dev.ina.protocol.JobSpec;

import java.util.concurrent.TimeUnit;

/**
 * A worker's JOIN: sent, and repeated with back-off (10 ms doubling to 250 ms) until the aggregator acknowledges
 * that every rank has joined or the join timeout passes; followed to another engine thread's port when the
 * aggregator redirects; withdrawn (LEAVE without a token) when the worker gives up before the job started.
 * Single-threaded.
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
        final String host)
    {
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
        return "not every rank joined within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms (joinTimeoutNs, " +
            "INA_JOIN_TIMEOUT_MS); " + detail;
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
     * Whether a JOIN_ACK answers this JOIN: this rank and nonce, a token, and the spec this rank asked for.
     *
     * @return 0 if it does; -1 if it is for someone else (stale); 1 if it is for us but the spec differs.
     */
    int check(final ControlFlyweight ack, final int length)
    {
        if (length < ControlFlyweight.JOIN_LENGTH || ack.nonce() != nonce || ack.rank() != rank ||
            ack.sessionToken() == 0)
        {
            return -1;
        }
        return spec.isSameJob(JobSpec.read(ack)) ? 0 : 1;
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
        proxy.join(spec, nonce);
        nextSendNs = nowNs + retryNs;
        retryNs = Math.min(RETRY_MAX_NS, retryNs * 2);
    }
}
