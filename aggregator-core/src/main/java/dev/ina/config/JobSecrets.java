package dev.ina.config;

import dev.ina.protocol.FrameProof;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Int2IntHashMap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The secrets an aggregator holds, by job id: a JOIN for a listed job must prove its secret (see
 * {@link dev.ina.protocol.ControlFlyweight}). Read from a file of lines {@code <job> <secret>} ({@link #read}), the
 * job as in {@code INA_JOB} (a number, or a name that maps to the same id as a launcher's job identity), the secret
 * any text without spaces of at least {@value FrameProof#MIN_SECRET_LENGTH} bytes; blank lines and lines that
 * start with {@code #} are skipped.
 * <p>
 * Immutable and thread safe. No secret ever appears in {@link #toString()} or in an exception message: errors
 * name the file and the line.
 */
public final class JobSecrets
{
    /** No secrets: every job is open (unless the aggregator requires a secret for every job). */
    public static final JobSecrets NONE = new JobSecrets(new Int2ObjectHashMap<>());

    private static final Set<PosixFilePermission> TOO_OPEN = Set.of(
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.GROUP_WRITE);

    private final Int2ObjectHashMap<byte[]> byJob;

    private JobSecrets(final Int2ObjectHashMap<byte[]> byJob)
    {
        this.byJob = byJob;
    }

    /**
     * Secrets given in code, e.g. by tests or an embedding scheduler.
     *
     * @param secrets secret bytes by job id; each at least {@value FrameProof#MIN_SECRET_LENGTH} bytes; copied.
     * @return the secrets.
     * @throws IllegalArgumentException naming the job whose secret is too short.
     */
    public static JobSecrets of(final Map<Integer, byte[]> secrets)
    {
        final Int2ObjectHashMap<byte[]> byJob = new Int2ObjectHashMap<>();
        for (final Map.Entry<Integer, byte[]> entry : secrets.entrySet())
        {
            final byte[] secret = entry.getValue();
            if (secret == null || secret.length < FrameProof.MIN_SECRET_LENGTH)
            {
                throw new IllegalArgumentException("the secret for job " + entry.getKey() + " has " +
                    (secret == null ? 0 : secret.length) + " bytes, fewer than " + FrameProof.MIN_SECRET_LENGTH +
                    ": generate one with 'openssl rand -hex 32'");
            }
            byJob.put((int)entry.getKey(), secret.clone());
        }
        return new JobSecrets(byJob);
    }

    /**
     * Reads a secrets file, refusing one that other users may read or that anyone but its owner may change.
     *
     * @param file   the file.
     * @param source what named it, for messages, e.g. {@code INA_AGGREGATOR_SECRETS}.
     * @return the secrets.
     * @throws IllegalArgumentException naming the source, the file and the line (never a secret) when the file
     *                                  cannot be read, is too open, or a line is malformed.
     */
    public static JobSecrets read(final Path file, final String source)
    {
        checkPermissions(file, source);
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(source + ": cannot read " + file + " (" + ex + ")", ex);
        }
        final Int2ObjectHashMap<byte[]> byJob = new Int2ObjectHashMap<>();
        final Int2IntHashMap lineOfJob = new Int2IntHashMap(0);
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final int number = i + 1;
            final String where = source + ": " + file + " line " + number;
            final String[] fields = line.split("\\s+");
            if (fields.length != 2)
            {
                throw new IllegalArgumentException(where + " has " + fields.length + " fields; each line must be " +
                    "'<job> <secret>' (a job id or name, then a secret without spaces)");
            }
            final int jobId = jobId(fields[0]);
            final byte[] secret = fields[1].getBytes(StandardCharsets.UTF_8);
            if (secret.length < FrameProof.MIN_SECRET_LENGTH)
            {
                throw new IllegalArgumentException(where + ": the secret for job " + jobId + " has " +
                    secret.length + " bytes, fewer than " + FrameProof.MIN_SECRET_LENGTH + ": generate one with " +
                    "'openssl rand -hex 32'");
            }
            final int first = lineOfJob.get(jobId);
            if (first != 0)
            {
                throw new IllegalArgumentException(where + ": job " + jobId + " is listed again (first on line " +
                    first + ")");
            }
            lineOfJob.put(jobId, number);
            byJob.put(jobId, secret);
        }
        return new JobSecrets(byJob);
    }

    /**
     * The job id a secrets file's job field names: a decimal int as it is (negative allowed, as {@code INA_JOB}),
     * any other text as a launcher's job identity maps to one (its FNV-1a hash).
     *
     * @param field the job field.
     * @return the job id.
     */
    static int jobId(final String field)
    {
        if (field.matches("-?[0-9]{1,10}"))
        {
            final long number = Long.parseLong(field);
            if (number >= Integer.MIN_VALUE && number <= Integer.MAX_VALUE)
            {
                return (int)number;
            }
        }
        return Launcher.jobId(field);
    }

    /**
     * Refuses a secrets file that users other than its owner and group may read, or that anyone but its owner may
     * change. Files without POSIX permissions (another file system) are not checked.
     *
     * @param file   the file.
     * @param source what named it, for messages.
     * @throws IllegalArgumentException saying what to run.
     */
    static void checkPermissions(final Path file, final String source)
    {
        final Set<PosixFilePermission> permissions = permissionsOf(file, source);
        if (permissions != null && permissions.stream().anyMatch(TOO_OPEN::contains))
        {
            throw new IllegalArgumentException(source + ": the secrets file " + file + " has mode " +
                PosixFilePermissions.toString(permissions) + ": other users may read it or change it, and it holds " +
                "the jobs' secrets; run 'chmod 600 " + file + "' (or 640 for a group of operators)");
        }
    }

    /**
     * A file's POSIX permissions.
     *
     * @param file   the file.
     * @param source what named it, for messages.
     * @return its permissions, or null if the file system has none.
     * @throws IllegalArgumentException if the file cannot be read.
     */
    static Set<PosixFilePermission> permissionsOf(final Path file, final String source)
    {
        final PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null)
        {
            return null;
        }
        try
        {
            return view.readAttributes().permissions();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(source + ": cannot read " + file + " (" + ex + ")", ex);
        }
    }

    /**
     * Whether a job has a secret.
     *
     * @param jobId the job.
     * @return true if listed.
     */
    public boolean contains(final int jobId)
    {
        return byJob.containsKey(jobId);
    }

    /**
     * A job's secret. Never log it.
     *
     * @param jobId the job.
     * @return a copy of its bytes, or null if the job has none.
     */
    public byte[] secretOf(final int jobId)
    {
        final byte[] secret = byJob.get(jobId);
        return secret == null ? null : secret.clone();
    }

    /**
     * Number of jobs with a secret.
     *
     * @return jobs.
     */
    public int size()
    {
        return byJob.size();
    }

    /**
     * How many jobs, never their secrets.
     *
     * @return e.g. {@code 3 job secrets}.
     */
    @Override
    public String toString()
    {
        return byJob.size() + " job secret" + (byJob.size() == 1 ? "" : "s");
    }
}
