package dev.ina.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a test main class in a separate JVM with this JVM's class path and INA's JVM flags, optionally inside a
 * Linux network namespace ({@code ip netns exec}). Output goes to a log file that {@link #output()} reads.
 */
public final class JvmProcess implements AutoCloseable
{
    private final Process process;
    private final Path log;
    private final String name;

    private JvmProcess(final String name, final Process process, final Path log)
    {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * JVM flags INA needs, from the build ({@code ina.jvm.flags}) or the default.
     *
     * @return flags.
     */
    public static List<String> inaJvmFlags()
    {
        final String flags = System.getProperty("ina.jvm.flags",
            "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED");
        final List<String> list = new ArrayList<>();
        for (final String flag : flags.trim().split("\\s+"))
        {
            if (!flag.isEmpty())
            {
                list.add(flag);
            }
        }
        return list;
    }

    /**
     * Starts a main class.
     *
     * @param name      label for logs.
     * @param namespace network namespace to run in, or null.
     * @param jvmFlags  JVM flags (use {@link #inaJvmFlags()} unless testing their absence).
     * @param mainClass class with a main method on this JVM's class path.
     * @param args      program arguments.
     * @return the started process.
     * @throws IOException if it cannot start.
     */
    public static JvmProcess start(
        final String name,
        final String namespace,
        final List<String> jvmFlags,
        final Class<?> mainClass,
        final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        if (namespace != null)
        {
            command.addAll(Arrays.asList("ip", "netns", "exec", namespace));
        }
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        command.addAll(jvmFlags);
        command.addAll(Arrays.asList("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(Arrays.asList(args));
        final Path log = Files.createTempFile("ina-" + name + "-", ".log");
        log.toFile().deleteOnExit();
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        return new JvmProcess(name, process, log);
    }

    /**
     * Waits for the process to exit.
     *
     * @param timeoutMs most time to wait.
     * @return exit code.
     * @throws AssertionError with the process output if it does not exit in time.
     * @throws InterruptedException if interrupted.
     */
    public int waitFor(final long timeoutMs) throws InterruptedException
    {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError(name + " did not exit within " + timeoutMs + " ms; output:\n" + output());
        }
        return process.exitValue();
    }

    /**
     * Kills the process at once (SIGKILL), as a crash would.
     *
     * @throws InterruptedException if interrupted.
     */
    public void kill() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    /**
     * Whether the process is running.
     *
     * @return true if alive.
     */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * Everything the process printed so far.
     *
     * @return output text.
     */
    public String output()
    {
        try
        {
            return Files.readString(log);
        }
        catch (final IOException ex)
        {
            return "<cannot read " + log + ": " + ex + ">";
        }
    }

    /**
     * Waits until the output contains a text.
     *
     * @param text      to wait for.
     * @param timeoutMs most time to wait.
     * @return the output once it contains the text.
     * @throws AssertionError with the output if it does not appear in time or the process exits.
     * @throws InterruptedException if interrupted.
     */
    public String awaitOutput(final String text, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadline < 0)
        {
            final String out = output();
            if (out.contains(text))
            {
                return out;
            }
            if (!process.isAlive())
            {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(name + ": '" + text + "' did not appear within " + timeoutMs + " ms; output:\n" +
            output());
    }

    @Override
    public void close()
    {
        process.destroyForcibly();
        try
        {
            process.waitFor(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
