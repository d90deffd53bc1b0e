package dev.ina.client;

import dev.ina.internal.netty.EventLoops;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Who runs a collective's socket, and how a caller waits for it: a network thread of the collective's own
 * ({@link ThreadedIoDriver}), or the calling thread itself, inside each call ({@link CallerRunsIoDriver}). The
 * I/O side ({@link WorkerEndpoint}) is the same either way; only this decides which thread runs it.
 */
interface IoDriver
{
    /**
     * The event loops the channel is registered with.
     *
     * @return the loops.
     */
    EventLoops loops();

    /**
     * Binds the driver to the channel's loop, the action that releases the I/O side on close (leave the job, fail
     * queued calls, close the channel) and the future of the channel's close.
     *
     * @param loop        the channel's event loop.
     * @param release     run once, on the I/O side, when the collective closes.
     * @param closeFuture completes when the channel has closed.
     */
    void attach(EventLoop loop, Runnable release, ChannelFuture closeFuture);

    /**
     * Throws unless the calling thread may make calls.
     *
     * @param operation what the caller does, for the message.
     */
    void checkCaller(String operation);

    /**
     * Whether calls are still accepted; a caller-runs driver closed from another thread releases the I/O side here.
     *
     * @return false once closed.
     */
    boolean isOpen();

    /**
     * Runs a task on the I/O side (now, if this thread runs the I/O).
     *
     * @param task the task.
     */
    void execute(Runnable task);

    /**
     * Blocks until a request is done: a caller-runs driver runs the I/O meanwhile.
     *
     * @param request the request.
     */
    void await(CallRequest request);

    /**
     * An async request was submitted: a caller-runs driver runs it to completion now; a threaded one returns.
     *
     * @param request the request.
     */
    void progress(CallRequest request);

    /**
     * Waits for a future completed on the I/O side, such as the join.
     *
     * @param future    the future.
     * @param timeoutNs how long to wait.
     * @throws InterruptedException if interrupted while waiting.
     * @throws ExecutionException   if the future failed.
     * @throws TimeoutException     if it did not complete in time.
     */
    void await(CompletableFuture<?> future, long timeoutNs)
        throws InterruptedException, ExecutionException, TimeoutException;

    /**
     * Waits for a channel operation.
     *
     * @param future the operation.
     * @return the future, done.
     * @throws InterruptedException if interrupted while waiting.
     */
    ChannelFuture await(ChannelFuture future) throws InterruptedException;

    /**
     * Closes: releases the I/O side (once) and stops the loop.
     */
    void close();
}
