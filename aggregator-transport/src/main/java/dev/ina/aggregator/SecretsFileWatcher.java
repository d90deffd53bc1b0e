package dev.ina.aggregator;

import dev.ina.config.JobSecrets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Notices when the aggregator's secrets file changes (modification time, size or file identity, as when a
 * scheduler writes a new file and renames it into place) and reads it again, so that jobs can be added and removed
 * without restarting the aggregator. A file that cannot be used is reported (never with a secret in the message)
 * and the secrets in use are kept. Called from one thread at a time.
 */
final class SecretsFileWatcher
{
    private static final System.Logger LOGGER = System.getLogger("dev.ina.aggregator");

    private final Path file;
    private final String source;
    private Object stamp;

    SecretsFileWatcher(final String file, final String source)
    {
        this.file = Path.of(file);
        this.source = source;
        this.stamp = stampOf();
    }

    /**
     * Reads the file again if it changed since the last call.
     *
     * @return the new secrets, or null if the file did not change or cannot be used (then a warning is logged).
     */
    JobSecrets poll()
    {
        final Object now = stampOf();
        if (Objects.equals(now, stamp))
        {
            return null;
        }
        stamp = now;
        try
        {
            final JobSecrets secrets = JobSecrets.read(file, source);
            LOGGER.log(System.Logger.Level.INFO, "job secrets reloaded from " + file + ": " + secrets);
            return secrets;
        }
        catch (final IllegalArgumentException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "the secrets file changed but cannot be used, so the secrets " +
                "read before stay in use: " + ex.getMessage());
            return null;
        }
    }

    private Object stampOf()
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return java.util.List.of(attributes.lastModifiedTime(), attributes.size(),
                String.valueOf(attributes.fileKey()));
        }
        catch (final IOException ex)
        {
            return ex.getClass().getName();
        }
    }
}
