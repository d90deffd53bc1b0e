package dev.ina.client;

import dev.ina.api.CollectiveException;
import dev.ina.config.WorkerConfig;
import dev.ina.internal.netty.DatagramChannels;
import dev.ina.internal.netty.DatagramFrameHandler;
import dev.ina.internal.netty.LoggingErrorHandler;
import dev.ina.internal.netty.NettyFrameSender;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.Counters;
import dev.ina.worker.WorkerSession;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.MutableDirectBuffer;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The I/O side of a {@link Collective}: its UDP socket, connected to the aggregator, and the {@link WorkerSession}
 * that runs on it. Callers hand requests over through a bounded MPSC queue ({@link #offer}), which the I/O side
 * drains one call at a time, in order; a timer tick drives retransmissions and timeouts; every batch of reads or
 * a finished call ends with one flush (sendmmsg). Everything but {@link #offer} runs on the I/O side, whichever
 * thread the {@link IoDriver} makes that.
 */
final class WorkerEndpoint
{
    /** Calls queued beyond the one in progress; an async caller beyond this is told to wait. */
    static final int MAX_QUEUED_CALLS = 1024;

    private static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int RECEIVE_BUFFER_BYTES = 1024 * 1024;
    private static final int MAX_RECEIVE_BATCH = 64;

    private final IoDriver driver;
    private final InetSocketAddress remote;
    private final Channel channel;
    private final NettyFrameSender sender;
    private final WorkerSession session;
    private final ScheduledFuture<?> tick;
    private final MpscAtomicArrayQueue<CallRequest> requests = new MpscAtomicArrayQueue<>(MAX_QUEUED_CALLS);
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final CompletableFuture<Void> joined = new CompletableFuture<>();
    private CallRequest current;
    private boolean redirecting;

    WorkerEndpoint(final WorkerConfig config, final IoDriver driver, final Counters counters)
        throws InterruptedException
    {
        this.driver = driver;
        final int maxFrame = FrameDescriptor.HEADER_LENGTH + config.elementsPerPacket() *
            Math.max(config.codec().bytesUp(), config.codec().bytesDown(config.worldSize()));
        // One receive buffer holds a batch of datagrams (recvmmsg); keep it within the pooled allocator's chunk
        // size, or every read allocates, zeroes and frees a huge direct buffer.
        final int datagramLength = Math.max(maxFrame, 2048);
        final int batch = Math.max(1, Math.min(MAX_RECEIVE_BATCH, RECEIVE_BUFFER_BYTES / datagramLength));
        final DatagramFrameHandler handler = new DatagramFrameHandler(
            this::onFrame,
            (address, frame, length) -> WorkerSession.AGGREGATOR_PEER,
            config.receiveLoss(),
            this::afterIo,
            counters,
            new LoggingErrorHandler("dev.ina.client", "the worker engine"));
        final InetSocketAddress local = config.bindAddress() == null ?
            new InetSocketAddress(0) : new InetSocketAddress(config.bindAddress(), 0);
        remote = new InetSocketAddress(config.aggregatorHost(), config.aggregatorPort());
        if (remote.isUnresolved())
        {
            throw new IllegalArgumentException("cannot resolve the aggregator host '" + config.aggregatorHost() +
                "' (set by WorkerConfig.aggregator(..) or INA_AGGREGATOR): check the name, or give an IP address");
        }
        try
        {
            channel = driver.await(DatagramChannels.bootstrap(driver.loops(), config.socketBufferBytes(),
                datagramLength, batch, MAX_RECEIVE_BATCH, handler).bind(local)).channel();
            // Connected: the kernel drops datagrams from anyone but the aggregator, and sends need no address.
            driver.await(channel.connect(remote));
            DatagramChannels.checkReceive(channel, datagramLength, batch, MAX_RECEIVE_BATCH);
        }
        catch (final InterruptedException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            // Netty rethrows the bind's own exception (e.g. a BindException) undeclared.
            throw new IllegalStateException("cannot open a UDP socket from " + local + " to " + remote + ": " +
                ex.getMessage(), ex);
        }
        final EventLoop loop = channel.eventLoop();
        sender = new NettyFrameSender(channel, null, config.sendLoss());
        channel.closeFuture().addListener(closedChannel -> sender.close());
        session = new WorkerSession(config, sender, counters, nonce());
        tick = loop.scheduleAtFixedRate(this::onTick, TICK_NS, TICK_NS, TimeUnit.NANOSECONDS);
        driver.attach(loop, this::release, channel.closeFuture());
    }

    private static int nonce()
    {
        final SecureRandom random = new SecureRandom();
        int nonce;
        do
        {
            nonce = random.nextInt();
        }
        while (nonce == 0);
        return nonce;
    }

    /**
     * Completes when every rank joined, or exceptionally when the join failed.
     */
    CompletableFuture<Void> joined()
    {
        return joined;
    }

    /**
     * I/O side: sends the JOIN.
     */
    void startJoin()
    {
        session.startJoin(System.nanoTime());
        afterIo();
    }

    /**
     * Any thread: queues a request and makes sure the I/O side drains the queue.
     *
     * @return false if the queue is full.
     */
    boolean offer(final CallRequest request)
    {
        if (!requests.offer(request))
        {
            return false;
        }
        if (drainScheduled.compareAndSet(false, true))
        {
            driver.execute(drainTask);
        }
        return true;
    }

    /**
     * I/O side, once, on close: leaves the job, fails every queued call, closes the socket.
     */
    void release()
    {
        tick.cancel(false);
        session.leave(System.nanoTime());
        sender.flush();
        // A call in flight fails with the session's reason ("closed during allReduce round n").
        failQueued(failureOrClosed());
        channel.close();
    }

    private void drain()
    {
        drainScheduled.set(false);
        startNext();
        afterIo();
    }

    private void onFrame(
        final MutableDirectBuffer frame, final int offset, final int length, final int peer, final long nowNs)
    {
        session.onFrame(frame, offset, length, peer, nowNs);
    }

    private void onTick()
    {
        session.doWork(System.nanoTime());
        afterIo();
    }

    private void afterIo()
    {
        sender.flush();
        if (session.redirectPort() != 0 && !redirecting)
        {
            redirect(session.redirectPort());
        }
        if (!joined.isDone())
        {
            final WorkerSession.State state = session.state();
            if (state == WorkerSession.State.FAILED)
            {
                joined.completeExceptionally(session.failure());
            }
            else if (state != WorkerSession.State.JOINING && state != WorkerSession.State.NEW)
            {
                joined.complete(null);
            }
        }
        if (current != null && session.state() != WorkerSession.State.CALL)
        {
            final CallRequest done = current;
            current = null;
            if (session.state() == WorkerSession.State.READY)
            {
                done.complete(session.stats());
            }
            else
            {
                done.fail(failureOrClosed());
            }
            startNext();
            sender.flush();
        }
    }

    /**
     * The job is served by another engine thread of the aggregator: reconnect the socket to its port and join
     * there. If that fails, the join times out with the usual message.
     */
    private void redirect(final int port)
    {
        redirecting = true;
        final InetSocketAddress target = new InetSocketAddress(remote.getAddress(), port);
        channel.disconnect().addListener(disconnected -> channel.connect(target).addListener(connected ->
        {
            redirecting = false;
            if (connected.isSuccess())
            {
                session.redirected(System.nanoTime());
                afterIo();
            }
        }));
    }

    /**
     * Starts queued calls while the session is ready; a call that completes at once (no elements) or fails at
     * once is answered and the next one starts.
     */
    private void startNext()
    {
        while (current == null)
        {
            final WorkerSession.State state = session.state();
            if (state == WorkerSession.State.FAILED || state == WorkerSession.State.CLOSED)
            {
                failQueued(failureOrClosed());
                return;
            }
            if (state != WorkerSession.State.READY)
            {
                return;
            }
            final CallRequest request = requests.poll();
            if (request == null)
            {
                return;
            }
            try
            {
                final long nowNs = System.nanoTime();
                if (request.array != null)
                {
                    session.startCall(
                        request.array, request.offset, request.count, request.op, request.residual, nowNs);
                }
                else
                {
                    session.startCall(
                        request.buffer, request.offset, request.count, request.op, request.residual, nowNs);
                }
            }
            catch (final RuntimeException ex)
            {
                request.fail(ex instanceof CollectiveException ? (CollectiveException)ex :
                    new CollectiveException(CollectiveException.Reason.INVALID_INPUT, ex.getMessage(), ex));
                continue;
            }
            if (session.state() == WorkerSession.State.CALL)
            {
                current = request;
            }
            else if (session.state() == WorkerSession.State.READY)
            {
                request.complete(session.stats());
            }
            else
            {
                request.fail(failureOrClosed());
            }
        }
    }

    private CollectiveException failureOrClosed()
    {
        final CollectiveException failure = session.failure();
        return failure != null ? failure :
            new CollectiveException(CollectiveException.Reason.CLOSED, "the collective was closed");
    }

    private void failQueued(final CollectiveException failure)
    {
        if (current != null)
        {
            current.fail(failure);
            current = null;
        }
        CallRequest request;
        while ((request = requests.poll()) != null)
        {
            request.fail(failure);
        }
    }
}
