package dev.ina.internal.netty;

import dev.ina.codec.BufferArrays;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Start-up check that the JVM was given the flags INA's libraries need, so that a missing flag fails at once
 * with a message naming it rather than deep inside the first packet. Internal to INA's transports.
 */
public final class JvmFlags
{
    /** The flag Agrona 2.x needs to reach {@code jdk.internal.misc.Unsafe}. */
    public static final String AGRONA_FLAG = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    private JvmFlags()
    {
    }

    /**
     * Checks that Agrona's unsafe buffers work.
     *
     * @throws IllegalStateException naming the missing flag.
     */
    public static void check()
    {
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
            BufferArrays.putInts(new int[] {1, 2}, 0, buffer, 0, 2);
            if (buffer.getInt(4, java.nio.ByteOrder.LITTLE_ENDIAN) != 2)
            {
                throw new IllegalStateException("Agrona buffer self-check failed");
            }
        }
        catch (final LinkageError ex)
        {
            if (!isMissingExport(ex))
            {
                throw ex;
            }
            throw new IllegalStateException("INA needs the JVM flag '" + AGRONA_FLAG + "' (Agrona 2.x uses " +
                "jdk.internal.misc.Unsafe). Add it to the java command line, JAVA_TOOL_OPTIONS or the build's " +
                "argLine; the launch scripts in examples/bin do this.", ex);
        }
    }

    private static boolean isMissingExport(final Throwable failure)
    {
        for (Throwable t = failure; t != null; t = t.getCause())
        {
            if (t instanceof IllegalAccessError ||
                String.valueOf(t.getMessage()).contains("jdk.internal.misc") ||
                t instanceof NoClassDefFoundError && String.valueOf(t.getMessage()).contains("UnsafeApi"))
            {
                return true;
            }
        }
        return false;
    }
}
