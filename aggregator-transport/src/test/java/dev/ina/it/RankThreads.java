package dev.ina.it;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one task per rank, each on its own thread (a {@code Collective} blocks its caller), and collects the
 * results in rank order. The first rank that fails fails the whole run at once, naming the rank; a run that does
 * not finish in time fails with the stack of every rank that is still running, so a hang can be diagnosed.
 */
final class RankThreads
{
    /**
     * Work of one rank.
     *
     * @param <T> result type.
     */
    @FunctionalInterface
    interface RankTask<T>
    {
        T run(int rank) throws Exception;
    }

    private RankThreads()
    {
    }

    static <T> List<T> run(final String name, final int worldSize, final long timeoutMs, final RankTask<T> task)
        throws InterruptedException
    {
        final List<CompletableFuture<T>> futures = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        final CompletableFuture<Throwable> firstFailure = new CompletableFuture<>();
        for (int r = 0; r < worldSize; r++)
        {
            final int rank = r;
            final CompletableFuture<T> future = new CompletableFuture<>();
            final Thread thread = new Thread(() ->
            {
                try
                {
                    future.complete(task.run(rank));
                }
                catch (final Throwable ex)
                {
                    future.completeExceptionally(ex);
                    firstFailure.complete(new AssertionError(name + ": rank " + rank + " failed: " + ex, ex));
                }
            }, name + "-rank-" + rank);
            thread.setDaemon(true);
            futures.add(future);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
        // Completes normally when every rank has finished, failed or not; a failure is reported by firstFailure.
        final CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
            .exceptionally(ex -> null);
        try
        {
            CompletableFuture.anyOf(all, firstFailure).get(timeoutMs, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw new AssertionError(name + ": unexpected failure", ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new AssertionError(name + ": ranks did not finish within " + timeoutMs + " ms\n" + stacks(threads));
        }
        if (firstFailure.isDone())
        {
            throw (AssertionError)firstFailure.join();
        }
        final List<T> results = new ArrayList<>();
        for (final CompletableFuture<T> future : futures)
        {
            results.add(future.join());
        }
        return results;
    }

    private static String stacks(final List<Thread> threads)
    {
        final StringBuilder sb = new StringBuilder();
        for (final Thread thread : threads)
        {
            if (thread.isAlive())
            {
                sb.append(thread.getName()).append(" is still running:\n");
                for (final StackTraceElement frame : thread.getStackTrace())
                {
                    sb.append("    at ").append(frame).append('\n');
                }
            }
        }
        return sb.toString();
    }
}
