package dev.ina.djl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one task per rank on its own thread and returns the results in rank order; the first failure fails the
 * run at once, naming the rank, and a run that does not finish in time fails with every live rank's stack.
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
        final CompletableFuture<AssertionError> firstFailure = new CompletableFuture<>();
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
            final StringBuilder stacks = new StringBuilder();
            for (final Thread thread : threads)
            {
                stacks.append(thread.getName()).append('\n');
                for (final StackTraceElement element : thread.getStackTrace())
                {
                    stacks.append("    at ").append(element).append('\n');
                }
            }
            throw new AssertionError(name + ": ranks did not finish within " + timeoutMs + " ms\n" + stacks);
        }
        if (firstFailure.isDone())
        {
            throw firstFailure.join();
        }
        final List<T> results = new ArrayList<>();
        for (final CompletableFuture<T> future : futures)
        {
            results.add(future.join());
        }
        return results;
    }
}
