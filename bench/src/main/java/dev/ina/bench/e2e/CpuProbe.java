package dev.ina.bench.e2e;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of a set of threads, sampled as thread id to cumulative nanoseconds, so that a thread that starts between
 * two samples counts from zero and one that ends does not make the difference negative (its last share is lost).
 * <ul>
 *     <li>{@link #threads(String)}: threads of this JVM whose name starts with a prefix (ThreadMXBean), e.g. the
 *     Netty event loops {@code ina-aggregator-*} or {@code ina-worker-<rank>-*};</li>
 *     <li>{@link #currentThread()}: the calling thread;</li>
 *     <li>{@link #process(long)}: every thread of a process, from {@code /proc/<pid>/task/<tid>/schedstat}
 *     (nanoseconds), falling back to the process's total CPU (clock ticks) off Linux.</li>
 * </ul>
 */
@FunctionalInterface
interface CpuProbe
{
    /** A probe that measures nothing: {@link #sample()} returns null. */
    CpuProbe NONE = () -> null;

    /**
     * Samples the cumulative CPU time of the probed threads.
     *
     * @return thread id to nanoseconds, or null when unknown.
     */
    Map<Long, Long> sample();

    /**
     * CPU time between two samples.
     *
     * @param before earlier sample, or null.
     * @param after  later sample, or null.
     * @return nanoseconds, or -1 if either sample is unknown.
     */
    static long deltaNs(final Map<Long, Long> before, final Map<Long, Long> after)
    {
        if (before == null || after == null)
        {
            return -1;
        }
        long sum = 0;
        for (final Map.Entry<Long, Long> entry : after.entrySet())
        {
            sum += Math.max(0, entry.getValue() - before.getOrDefault(entry.getKey(), 0L));
        }
        return sum;
    }

    /**
     * Both probes' threads; their ids must not collide (use probes of the same kind).
     *
     * @param other another probe.
     * @return a probe sampling both.
     */
    default CpuProbe plus(final CpuProbe other)
    {
        return () ->
        {
            final Map<Long, Long> a = sample();
            final Map<Long, Long> b = other.sample();
            if (a == null || b == null)
            {
                return null;
            }
            final Map<Long, Long> sum = new HashMap<>(a);
            sum.putAll(b);
            return sum;
        };
    }

    /**
     * Threads of this JVM whose names start with a prefix.
     *
     * @param prefix e.g. {@code ina-aggregator-}.
     * @return the probe.
     */
    static CpuProbe threads(final String prefix)
    {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported())
        {
            return NONE;
        }
        return () ->
        {
            final Map<Long, Long> sample = new HashMap<>();
            for (final ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds()))
            {
                if (info != null && info.getThreadName().startsWith(prefix))
                {
                    final long ns = mx.getThreadCpuTime(info.getThreadId());
                    if (ns >= 0)
                    {
                        sample.put(info.getThreadId(), ns);
                    }
                }
            }
            return sample;
        };
    }

    /**
     * The calling thread: sample it on one thread only, and do not add it to a probe of that same thread.
     *
     * @return the probe.
     */
    static CpuProbe currentThread()
    {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isCurrentThreadCpuTimeSupported())
        {
            return NONE;
        }
        // One key for whichever thread samples: Thread.getId() is deprecated on newer JDKs.
        return () -> Map.of(Long.MIN_VALUE, mx.getCurrentThreadCpuTime());
    }

    /**
     * Every thread of a process.
     *
     * @param pid process id, e.g. {@code ProcessHandle.current().pid()}.
     * @return the probe.
     */
    static CpuProbe process(final long pid)
    {
        final Path tasks = Path.of("/proc", Long.toString(pid), "task");
        return () ->
        {
            if (Files.isDirectory(tasks))
            {
                final Map<Long, Long> sample = new HashMap<>();
                try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks))
                {
                    for (final Path task : dir)
                    {
                        readSchedstat(task, sample);
                    }
                    return sample;
                }
                catch (final IOException ex)
                {
                    // The process ended or /proc is not readable: fall back below.
                }
            }
            return ProcessHandle.of(pid).flatMap(handle -> handle.info().totalCpuDuration())
                .map(cpu -> Map.of(-1L, cpu.toNanos())).orElse(null);
        };
    }

    /**
     * This process's total CPU time since start (all threads, ended ones included; clock-tick resolution).
     *
     * @return seconds, or NaN if unknown.
     */
    static double processTotalSeconds()
    {
        return ProcessHandle.current().info().totalCpuDuration().map(cpu -> cpu.toNanos() / 1e9).orElse(Double.NaN);
    }

    private static void readSchedstat(final Path task, final Map<Long, Long> sample)
    {
        try
        {
            // First field: nanoseconds the thread has run on a CPU.
            final String line = Files.readString(task.resolve("schedstat")).trim();
            final int space = line.indexOf(' ');
            sample.put(Long.parseLong(task.getFileName().toString()),
                Long.parseLong(space < 0 ? line : line.substring(0, space)));
        }
        catch (final IOException | NumberFormatException ex)
        {
            // The thread ended while listing: its time is lost, as documented.
        }
    }
}
