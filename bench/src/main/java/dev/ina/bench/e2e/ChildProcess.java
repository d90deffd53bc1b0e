package dev.ina.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code BenchMain} subcommand in a JVM of its own, with this JVM's flags and class path. Its stderr is this
 * process's stderr; its stdout lines are queued for {@link #awaitLine(String, long)} and optionally echoed to
 * stderr with the child's name. Every child still running when this JVM exits is killed by a shutdown hook.
 */
final class ChildProcess implements AutoCloseable
{
    private static final Set<ChildProcess> LIVE = ConcurrentHashMap.newKeySet();
    private static final String[] DROPPED_JVM_ARGS = {"-agentlib", "-agentpath", "-javaagent", "-Xrunjdwp", "-Xdebug"};

    static
    {
        Runtime.getRuntime().addShutdownHook(
            new Thread(() -> LIVE.forEach(ChildProcess::close), "bench-children-kill"));
    }

    private final String name;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ChildProcess(final String name, final Process process, final boolean echo, final PrintStream err)
    {
        this.name = name;
        this.process = process;
        final Thread reader = new Thread(() -> readOutput(echo, err), "bench-child-output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code java <this JVM's flags> -cp <this class path> dev.ina.bench.e2e.BenchMain <args>}.
     *
     * @param name short name for messages, e.g. {@code rank 1}.
     * @param args subcommand and its options.
     * @param echo whether to copy its stdout lines to stderr.
     * @param err  where echoed lines go.
     * @return the started child.
     * @throws IOException if it cannot start.
     */
    static ChildProcess start(final String name, final List<String> args, final boolean echo, final PrintStream err)
        throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (!isDropped(arg))
            {
                command.add(arg);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BenchMain.class.getName());
        command.addAll(args);
        final Process process = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        final ChildProcess child = new ChildProcess(name, process, echo, err);
        LIVE.add(child);
        return child;
    }

    private static boolean isDropped(final String arg)
    {
        for (final String prefix : DROPPED_JVM_ARGS)
        {
            if (arg.startsWith(prefix))
            {
                return true;
            }
        }
        return false;
    }

    private void readOutput(final boolean echo, final PrintStream err)
    {
        try (BufferedReader reader = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = reader.readLine()) != null)
            {
                lines.add(line);
                if (echo)
                {
                    err.println("[" + name + "] " + line);
                }
            }
        }
        catch (final IOException ex)
        {
            // The child is gone; its exit code tells the rest.
        }
    }

    /**
     * Waits for a stdout line that starts with a prefix; earlier lines are dropped.
     *
     * @param prefix    e.g. {@code ready }.
     * @param timeoutMs most time to wait.
     * @return the line.
     * @throws IllegalStateException if the child exits or the time passes first.
     * @throws InterruptedException  if interrupted.
     */
    String awaitLine(final String prefix, final long timeoutMs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadlineNs)
        {
            final String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(prefix))
            {
                return line;
            }
            if (line == null && !process.isAlive() && lines.isEmpty())
            {
                throw new IllegalStateException(name + " exited with code " + process.exitValue() +
                    " before printing '" + prefix.trim() + "'");
            }
        }
        throw new IllegalStateException(name + " did not print '" + prefix.trim() + "' within " + timeoutMs + " ms");
    }

    /**
     * Closes the child's stdin (the aggregator subcommand exits on EOF).
     */
    void closeStdin()
    {
        try
        {
            process.getOutputStream().close();
        }
        catch (final IOException ex)
        {
            // Already gone.
        }
    }

    /**
     * Process id.
     *
     * @return pid.
     */
    long pid()
    {
        return process.pid();
    }

    /**
     * Name for messages.
     *
     * @return name.
     */
    String name()
    {
        return name;
    }

    /**
     * Whether it runs.
     *
     * @return true while alive.
     */
    boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * Exit code.
     *
     * @return the code.
     * @throws IllegalThreadStateException if still running.
     */
    int exitValue()
    {
        return process.exitValue();
    }

    /**
     * Waits for the exit.
     *
     * @param timeoutMs most time to wait.
     * @return true if it exited.
     * @throws InterruptedException if interrupted.
     */
    boolean waitFor(final long timeoutMs) throws InterruptedException
    {
        return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Ends the child: SIGTERM, then SIGKILL after two seconds.
     */
    @Override
    public void close()
    {
        LIVE.remove(this);
        if (process.isAlive())
        {
            process.destroy();
            try
            {
                if (!process.waitFor(2, TimeUnit.SECONDS))
                {
                    process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
