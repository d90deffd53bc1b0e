package dev.ina.spark;

import java.security.SecureRandom;

/**
 * What rank 0 tells the other ranks through {@code allGather} before they join: the job id and the aggregator's
 * address, or why it has none. Text, space separated: {@code ok <jobId> <port> <host>} or {@code error <message>}.
 */
final class Rendezvous
{
    private static final String OK = "ok";
    private static final String ERROR = "error";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int jobId;
    private final String host;
    private final int port;

    Rendezvous(final int jobId, final String host, final int port)
    {
        this.jobId = jobId;
        this.host = host;
        this.port = port;
    }

    /**
     * A fresh job id for a stage attempt: random and non-zero, so that a retried attempt (or another
     * application's stage on a shared aggregator) never meets the ranks of an attempt that failed.
     *
     * @return job id.
     */
    static int newJobId()
    {
        int id;
        do
        {
            id = RANDOM.nextInt();
        }
        while (id == 0);
        return id;
    }

    int jobId()
    {
        return jobId;
    }

    String host()
    {
        return host;
    }

    int port()
    {
        return port;
    }

    String encode()
    {
        return OK + ' ' + jobId + ' ' + port + ' ' + host;
    }

    static String encodeFailure(final Throwable failure)
    {
        return ERROR + ' ' + failure;
    }

    /**
     * Parses rank 0's message.
     *
     * @param message as rank 0 sent it.
     * @return the rendezvous.
     * @throws IllegalStateException with rank 0's failure, if it had one.
     */
    static Rendezvous decode(final String message)
    {
        if (message.startsWith(ERROR + ' '))
        {
            throw new IllegalStateException("rank 0 could not provide an aggregator: " +
                message.substring(ERROR.length() + 1));
        }
        final String[] parts = message.split(" ", 4);
        if (parts.length != 4 || !OK.equals(parts[0]))
        {
            throw new IllegalStateException("unexpected message from rank 0: '" + message + "'");
        }
        return new Rendezvous(Integer.parseInt(parts[1]), parts[3], Integer.parseInt(parts[2]));
    }

    @Override
    public String toString()
    {
        return "job " + jobId + " at " + host + ':' + port;
    }
}
