package dev.ina.spark;

import org.apache.spark.TaskContext;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ends a killed task's INA calls at once. When one barrier task fails, Spark kills the others but (by default)
 * does not interrupt their threads: a rank blocked in an all-reduce would wait for the collective's timeout before
 * its slot is free for the retried attempt. This watcher polls the task's kill flag every
 * {@value #POLL_MS} ms and, once it is set, runs the close action (closing the collective makes the blocked call
 * throw {@code CLOSED}; rank 0 also stops its aggregator). One daemon thread per JVM serves all tasks.
 */
final class KillWatcher implements AutoCloseable
{
    static final long POLL_MS = 100;

    private static final ScheduledExecutorService POLLER = newPoller();

    private final TaskContext context;
    private final AtomicBoolean fired = new AtomicBoolean();
    private final ScheduledFuture<?> poll;
    private volatile Runnable onKill;

    private KillWatcher(final TaskContext context)
    {
        this.context = context;
        poll = POLLER.scheduleWithFixedDelay(this::check, POLL_MS, POLL_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts watching a task.
     *
     * @param context the task's context.
     * @return the watcher; close it when the task's INA work is over.
     */
    static KillWatcher watch(final TaskContext context)
    {
        return new KillWatcher(context);
    }

    /**
     * Sets what to run if the task is killed; runs it at once if it already was.
     *
     * @param action closes the task's collective and aggregator; may run on the watcher's thread.
     */
    void onKill(final Runnable action)
    {
        onKill = action;
        check();
    }

    /**
     * Whether the kill action ran.
     *
     * @return true once the task was seen killed.
     */
    boolean wasKilled()
    {
        return fired.get();
    }

    private void check()
    {
        final Runnable action = onKill;
        if (action != null && context.isInterrupted() && fired.compareAndSet(false, true))
        {
            poll.cancel(false);
            action.run();
        }
    }

    @Override
    public void close()
    {
        poll.cancel(false);
    }

    private static ScheduledExecutorService newPoller()
    {
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable ->
        {
            final Thread thread = new Thread(runnable, "ina-spark-kill-watcher");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
