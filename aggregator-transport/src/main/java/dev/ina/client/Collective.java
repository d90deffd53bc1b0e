package dev.ina.client;

import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.config.WorkerConfig;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.Counters;
import dev.ina.transport.netty.DatagramFrameHandler;
import dev.ina.transport.netty.EventLoops;
import dev.ina.transport.netty.JvmFlags;
import dev.ina.transport.netty.NettyFrameSender;
import dev.ina.worker.WorkerSession;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.MutableDirectBuffer;

import java.net.InetSocketAddress;
import java.nio.FloatBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One rank's membership of a job: the entry point for training code. Join once, then all-reduce every step.
 * <pre>{@code
 * WorkerConfig config = WorkerConfig.fromEnvironment().codec(Codec.FIXED32).build();
 * try (Collective collective = Collective.join(config))      // returns when every rank has joined
 * {
 *     ReduceStats stats = collective.allReduce(gradient, ReduceOp.AVG);   // in place
 * }
 * }</pre>
 * Calls are processed in the order they are made, one at a time, on the collective's network thread; every
 * rank must make the same calls with the same sizes in the same order. Blocking calls do not allocate after
 * warm-up. Thread safe, but one blocking call at a time; async calls may be queued from any thread.
 * <p>
 * With {@link WorkerConfig.Builder#callerRuns(boolean) callerRuns} there is no network thread: the thread that
 * joined runs the socket inside each of its calls (and must make all of them, {@link #close()} included), which
 * saves two thread wake-ups per call.
 */
public final class Collective implements AutoCloseable
{
    private static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int RECEIVE_BUFFER_BYTES = 1024 * 1024;
    private static final int MAX_RECEIVE_BATCH = 64;
    private static final long WAIT_PARK_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long IO_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final WorkerConfig config;
    private final EventLoops loops;
    private final Channel channel;
    private final EventLoop loop;
    private final ManualIoEventLoop driven;
    private final Thread owner;
    private final NettyFrameSender sender;
    private final WorkerSession session;
    private final Counters counters = new Counters("worker");
    private final ArrayDeque<CallRequest> queued = new ArrayDeque<>();
    private final CallRequest blockingRequest = new CallRequest(this);
    private final AtomicBoolean blockingInUse = new AtomicBoolean();
    private final CompletableFuture<Void> joined = new CompletableFuture<>();
    private final ScheduledFuture<?> tick;
    private final InetSocketAddress remote;
    private CallRequest current;
    private boolean redirecting;
    private boolean released;
    private volatile boolean closed;

    private Collective(final WorkerConfig config)
    {
        this.config = config;
        this.owner = config.callerRuns() ? Thread.currentThread() : null;
        this.loops = owner != null ? new EventLoops(config.transport(), owner) :
            new EventLoops(config.transport(), config.busyPoll(), "ina-worker-" + config.rank());
        this.driven = loops.manual();
        final int maxFrame = FrameDescriptor.HEADER_LENGTH +
            config.elementsPerPacket() *
            Math.max(config.codec().bytesUp(), config.codec().bytesDown(config.worldSize()));
        // One receive buffer holds a batch of datagrams (recvmmsg); keep it within the pooled allocator's chunk
        // size, or every read allocates, zeroes and frees a huge direct buffer.
        final int datagramLength = Math.max(maxFrame, 2048);
        final int batch = Math.max(1, Math.min(MAX_RECEIVE_BATCH, RECEIVE_BUFFER_BYTES / datagramLength));
        final Bootstrap bootstrap = new Bootstrap()
            .group(loops.group())
            .channel(loops.channelClass())
            .option(ChannelOption.SO_RCVBUF, config.socketBufferBytes())
            .option(ChannelOption.SO_SNDBUF, config.socketBufferBytes())
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 20, 64 << 20))
            .option(ChannelOption.RECVBUF_ALLOCATOR,
                new FixedRecvByteBufAllocator(datagramLength * batch).maxMessagesPerRead(MAX_RECEIVE_BATCH))
            .handler(new DatagramFrameHandler(
                this::onFrame,
                (address, frame, length) -> WorkerSession.AGGREGATOR_PEER,
                config.receiveLoss(),
                this::afterIo,
                counters));
        if (loops.isEpoll())
        {
            bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramLength);
        }
        final InetSocketAddress local = config.bindAddress() == null ?
            new InetSocketAddress(0) : new InetSocketAddress(config.bindAddress(), 0);
        remote = new InetSocketAddress(config.aggregatorHost(), config.aggregatorPort());
        if (remote.isUnresolved())
        {
            loops.shutdown();
            throw new IllegalArgumentException("cannot resolve aggregator host '" + config.aggregatorHost() + "'");
        }
        try
        {
            channel = awaitIo(bootstrap.bind(local)).channel();
            // Connected: the kernel drops datagrams from anyone but the aggregator, and sends need no address.
            awaitIo(channel.connect(remote));
        }
        catch (final Exception ex)
        {
            loops.shutdown();
            throw new IllegalStateException("cannot open a UDP socket from " + local + " to " + remote + ": " +
                ex.getMessage(), ex);
        }
        loop = channel.eventLoop();
        sender = new NettyFrameSender(channel, null, config.sendLoss());
        channel.closeFuture().addListener(closedChannel -> sender.close());
        int nonce;
        do
        {
            nonce = new SecureRandom().nextInt();
        }
        while (nonce == 0);
        session = new WorkerSession(config, sender, counters, nonce);
        tick = loop.scheduleAtFixedRate(this::onTick, TICK_NS, TICK_NS, TimeUnit.NANOSECONDS);
    }

    /**
     * Joins a job: returns once every rank of the job has joined (the join is the job's barrier).
     *
     * @param config this rank's configuration.
     * @return the collective.
     * @throws CollectiveException   if the join times out or the aggregator refuses it, with the reason.
     * @throws IllegalStateException if a JVM flag is missing or the socket cannot be opened.
     */
    public static Collective join(final WorkerConfig config)
    {
        JvmFlags.check();
        final Collective collective = new Collective(config);
        collective.loop.execute(() ->
        {
            collective.session.startJoin(System.nanoTime());
            collective.afterIo();
        });
        try
        {
            final long timeoutNs = config.joinTimeoutNs() + TimeUnit.SECONDS.toNanos(5);
            if (collective.driven != null)
            {
                collective.loops.runUntil(collective.joined::isDone, timeoutNs, WAIT_PARK_NS);
            }
            collective.joined.get(collective.driven != null ? 0 : timeoutNs, TimeUnit.NANOSECONDS);
            return collective;
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            collective.close();
            throw ex.getCause() instanceof CollectiveException ?
                (CollectiveException)ex.getCause() :
                new CollectiveException(CollectiveException.Reason.REFUSED, ex.getCause().getMessage(), ex);
        }
        catch (final Exception ex)
        {
            collective.close();
            throw new CollectiveException(CollectiveException.Reason.TIMEOUT,
                "job " + config.jobId() + " rank " + config.rank() + ": join did not finish", ex);
        }
    }

    /**
     * This worker's rank.
     *
     * @return rank.
     */
    public int rank()
    {
        return config.rank();
    }

    /**
     * Number of ranks in the job.
     *
     * @return world size.
     */
    public int worldSize()
    {
        return config.worldSize();
    }

    /**
     * The configuration joined with.
     *
     * @return config.
     */
    public WorkerConfig config()
    {
        return config;
    }

    /**
     * Counters: traffic, retransmissions, drops by reason. Readable from any thread.
     *
     * @return counters.
     */
    public Counters counters()
    {
        return counters;
    }

    /**
     * Whether the network thread uses native epoll.
     *
     * @return true for epoll, false for NIO.
     */
    public boolean isEpoll()
    {
        return loops.isEpoll();
    }

    /**
     * All-reduces a whole array in place.
     *
     * @param data values, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails; the array then holds a mix of inputs and results.
     */
    public ReduceStats allReduce(final float[] data, final ReduceOp op)
    {
        return allReduce(data, 0, data.length, op);
    }

    /**
     * All-reduces an array range in place.
     *
     * @param data   values, overwritten with the reduction.
     * @param offset first element.
     * @param count  elements.
     * @param op     SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final float[] data, final int offset, final int count, final ReduceOp op)
    {
        checkRange(offset, count, data.length);
        return await(submitBlocking(data, null, offset, count, op, null));
    }

    /**
     * All-reduces the remaining elements of a buffer (heap or direct) in place; position and limit are unchanged.
     *
     * @param data values from position to limit, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        return await(submitBlocking(null, data, data.position(), data.remaining(), op, null));
    }

    /**
     * Starts an all-reduce of a whole array in place. The array must not be touched until the future completes.
     *
     * @param data values, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final float[] data, final ReduceOp op)
    {
        return submitAsync(data, null, 0, data.length, op, null);
    }

    /**
     * Starts an all-reduce of a buffer's remaining elements in place. The buffer must not be touched until the
     * future completes.
     *
     * @param data values from position to limit, overwritten with the reduction.
     * @param op   SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        return submitAsync(null, data, data.position(), data.remaining(), op, null);
    }

    /**
     * Registers a tensor: a named gradient of fixed size whose error feedback state (the quantisation residual)
     * this collective keeps between steps. Call once per tensor at set-up, then
     * {@link #allReduce(Tensor, float[], ReduceOp)} every step.
     *
     * @param name     name, for messages.
     * @param elements elements of the tensor's gradient.
     * @return the handle.
     */
    public Tensor register(final String name, final int elements)
    {
        if (elements < 0)
        {
            throw new IllegalArgumentException("tensor '" + name + "': elements must be >= 0, got " + elements);
        }
        return new Tensor(name, elements);
    }

    /**
     * All-reduces a registered tensor's gradient in place, with error feedback: the residual of the previous step
     * (what quantisation left out) is added before quantising, and the new residual is kept, so quantisation error
     * does not accumulate over steps. Only scaled codecs quantise; with FP32 this is a plain all-reduce.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient, {@code tensor.elements()} long; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final Tensor tensor, final float[] data, final ReduceOp op)
    {
        tensor.check(data.length);
        return await(submitBlocking(data, null, 0, data.length, op, tensor.residual()));
    }

    /**
     * Starts an all-reduce of a registered tensor's gradient in place, with error feedback (see
     * {@link #allReduce(Tensor, float[], ReduceOp)}). Neither the array nor the tensor may be used by another call
     * until the future completes.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient, {@code tensor.elements()} long; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final Tensor tensor, final float[] data, final ReduceOp op)
    {
        tensor.check(data.length);
        return submitAsync(data, null, 0, data.length, op, tensor.residual());
    }

    /**
     * All-reduces a registered tensor's gradient held in a buffer (heap or direct: e.g. a framework's native
     * gradient memory) in place, with error feedback as {@link #allReduce(Tensor, float[], ReduceOp)}; the elements
     * from position to limit, which must be {@code tensor.elements()}; position and limit are unchanged.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return statistics of the call, overwritten by the next call.
     * @throws CollectiveException if the call fails.
     */
    public ReduceStats allReduce(final Tensor tensor, final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        tensor.check(data.remaining());
        return await(submitBlocking(null, data, data.position(), data.remaining(), op, tensor.residual()));
    }

    /**
     * Starts an all-reduce of a registered tensor's gradient held in a buffer, in place, with error feedback (see
     * {@link #allReduce(Tensor, FloatBuffer, ReduceOp)}). Neither the buffer nor the tensor may be used by another
     * call until the future completes.
     *
     * @param tensor handle from {@link #register}.
     * @param data   gradient from position to limit, {@code tensor.elements()} long; overwritten with the reduction.
     * @param op     SUM or AVG.
     * @return completes with the call's statistics, or exceptionally with a {@link CollectiveException}.
     */
    public CompletableFuture<ReduceStats> allReduceAsync(final Tensor tensor, final FloatBuffer data, final ReduceOp op)
    {
        checkBuffer(data);
        tensor.check(data.remaining());
        return submitAsync(null, data, data.position(), data.remaining(), op, tensor.residual());
    }

    /**
     * Leaves the job (LEAVE to the aggregator), fails queued calls, closes the socket and stops the thread. With
     * {@code callerRuns}, from another thread than the one that joined this only marks the collective closed: that
     * thread's call in progress, or its next call, fails with {@code CLOSED} and releases the socket.
     */
    @Override
    public void close()
    {
        if (driven != null)
        {
            closed = true;
            if (Thread.currentThread() == owner)
            {
                releaseDriven();
            }
            else
            {
                driven.wakeup();
            }
            joined.completeExceptionally(new CollectiveException(CollectiveException.Reason.CLOSED, "closed"));
            return;
        }
        if (closed)
        {
            return;
        }
        closed = true;
        tick.cancel(false);
        if (!loop.isShuttingDown())
        {
            try
            {
                loop.submit(() ->
                {
                    session.leave(System.nanoTime());
                    sender.flush();
                    failQueued(new CollectiveException(CollectiveException.Reason.CLOSED, "the collective was closed"));
                }).get(2, TimeUnit.SECONDS);
            }
            catch (final Exception ignore)
            {
                // Closing anyway; the aggregator expires the job.
            }
        }
        channel.close().awaitUninterruptibly(2_000);
        loops.shutdown();
        joined.completeExceptionally(new CollectiveException(CollectiveException.Reason.CLOSED, "closed"));
    }

    /**
     * Caller-runs: leaves the job and releases the socket, on the owning thread, once.
     */
    private void releaseDriven()
    {
        if (released)
        {
            return;
        }
        released = true;
        tick.cancel(false);
        session.leave(System.nanoTime());
        sender.flush();
        failQueued(new CollectiveException(CollectiveException.Reason.CLOSED, "the collective was closed"));
        try
        {
            awaitIo(channel.close());
        }
        catch (final Exception ignore)
        {
            // Closing anyway.
        }
        loops.shutdown();
    }

    /**
     * Waits for a channel operation; with caller-runs this thread runs the loop meanwhile.
     */
    private ChannelFuture awaitIo(final ChannelFuture future) throws InterruptedException
    {
        if (driven != null && !loops.runUntil(future::isDone, IO_TIMEOUT_NS, WAIT_PARK_NS))
        {
            throw new IllegalStateException("socket operation did not finish within " +
                TimeUnit.NANOSECONDS.toMillis(IO_TIMEOUT_NS) + " ms");
        }
        return future.sync();
    }

    private static void checkRange(final int offset, final int count, final int length)
    {
        if (offset < 0 || count < 0 || offset > length - count)
        {
            throw new IndexOutOfBoundsException("offset=" + offset + " count=" + count + " length=" + length);
        }
    }

    private static void checkBuffer(final FloatBuffer data)
    {
        if (data.isReadOnly())
        {
            throw new IllegalArgumentException("allReduce needs a writable buffer: the result is written in place");
        }
    }

    private CallRequest submitBlocking(
        final float[] array,
        final FloatBuffer buffer,
        final int offset,
        final int count,
        final ReduceOp op,
        final float[] residual)
    {
        checkOwner("allReduce");
        if (!blockingInUse.compareAndSet(false, true))
        {
            throw new IllegalStateException("another thread is in a blocking allReduce on this collective; " +
                "use allReduceAsync to queue calls from several threads");
        }
        final CallRequest request = blockingRequest;
        request.set(array, buffer, offset, count, op, residual);
        request.waiter = driven == null ? Thread.currentThread() : null;
        if (!submit(request))
        {
            blockingInUse.set(false);
            throw new CollectiveException(CollectiveException.Reason.CLOSED, "allReduce after close");
        }
        return request;
    }

    private CompletableFuture<ReduceStats> submitAsync(
        final float[] array,
        final FloatBuffer buffer,
        final int offset,
        final int count,
        final ReduceOp op,
        final float[] residual)
    {
        checkRange(offset, count, array != null ? array.length : buffer.capacity());
        checkOwner("allReduceAsync");
        final CallRequest request = new CallRequest(this);
        request.set(array, buffer, offset, count, op, residual);
        request.future = new CompletableFuture<>();
        if (!submit(request))
        {
            request.future.completeExceptionally(
                new CollectiveException(CollectiveException.Reason.CLOSED, "allReduce after close"));
        }
        else if (driven != null)
        {
            drive(request);
        }
        return request.future;
    }

    private boolean submit(final CallRequest request)
    {
        if (driven != null)
        {
            if (closed)
            {
                releaseDriven();
                return false;
            }
            onRequest(request);
            return true;
        }
        if (closed || loop.isShuttingDown())
        {
            return false;
        }
        loop.execute(request);
        return true;
    }

    /**
     * Caller-runs only: throws unless this is the thread that joined.
     */
    private void checkOwner(final String what)
    {
        if (driven != null && Thread.currentThread() != owner)
        {
            throw new IllegalStateException(what + " from thread '" + Thread.currentThread().getName() +
                "': with callerRuns the thread that joined ('" + owner.getName() + "') drives this collective's " +
                "I/O and must make every call; join with callerRuns(false) to call from other threads");
        }
    }

    /**
     * Caller-runs: this (the owning) thread runs the network loop until the request is done, blocking in
     * {@code epoll_wait} between datagrams, or with {@code busyPoll} polling and yielding the core when idle.
     */
    private void drive(final CallRequest request)
    {
        final boolean spin = config.busyPoll();
        while (request.status == CallRequest.PENDING)
        {
            if (closed)
            {
                releaseDriven();
                if (request.status == CallRequest.PENDING)
                {
                    request.fail(new CollectiveException(CollectiveException.Reason.CLOSED,
                        "the collective was closed during allReduce"));
                }
                return;
            }
            if (spin)
            {
                if (driven.runNow() == 0)
                {
                    Thread.yield();
                }
            }
            else
            {
                driven.run(WAIT_PARK_NS);
            }
        }
    }

    private ReduceStats await(final CallRequest request)
    {
        try
        {
            if (driven != null)
            {
                drive(request);
            }
            final boolean spin = config.busyPoll();
            while (request.status == CallRequest.PENDING)
            {
                if (spin)
                {
                    Thread.yield();
                }
                else
                {
                    LockSupport.parkNanos(this, WAIT_PARK_NS);
                }
                if (loop.isTerminated())
                {
                    throw new CollectiveException(CollectiveException.Reason.CLOSED,
                        "the collective was closed during allReduce");
                }
            }
            if (request.status == CallRequest.FAILED)
            {
                throw request.failure;
            }
            return request.stats;
        }
        finally
        {
            request.waiter = null;
            blockingInUse.set(false);
        }
    }

    // ---------------------------------------------------------------- event loop side

    private void onFrame(
        final MutableDirectBuffer frame, final int offset, final int length, final int peer, final long nowNs)
    {
        session.onFrame(frame, offset, length, peer, nowNs);
    }

    void onRequest(final CallRequest request)
    {
        queued.addLast(request);
        startNext();
        afterIo();
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
            if (session.state() == WorkerSession.State.FAILED)
            {
                joined.completeExceptionally(session.failure());
            }
            else if (session.state() != WorkerSession.State.JOINING && session.state() != WorkerSession.State.NEW)
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

    private void startNext()
    {
        while (current == null && !queued.isEmpty())
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
            final CallRequest request = queued.pollFirst();
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
        while ((request = queued.pollFirst()) != null)
        {
            request.fail(failure);
        }
    }
}
