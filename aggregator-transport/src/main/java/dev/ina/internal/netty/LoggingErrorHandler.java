package dev.ina.internal.netty;

import org.agrona.ErrorHandler;

/**
 * The default {@link ErrorHandler}: errors go to {@link System.Logger} (the application routes them, e.g. to
 * SLF4J or java.util.logging); the first in full, then one line for every {@value #SUMMARY_EVERY} more, so that a
 * bug hit by every datagram cannot flood the log. Internal to INA.
 */
public final class LoggingErrorHandler implements ErrorHandler
{
    private static final int SUMMARY_EVERY = 1000;

    private final System.Logger logger;
    private final String what;
    private long errors;

    /**
     * Creates a handler.
     *
     * @param loggerName name of the logger, e.g. {@code dev.ina.aggregator}.
     * @param what       what failed, for the message, e.g. {@code "the aggregation engine"}.
     */
    public LoggingErrorHandler(final String loggerName, final String what)
    {
        this.logger = System.getLogger(loggerName);
        this.what = what;
    }

    @Override
    public void onError(final Throwable throwable)
    {
        final long n = ++errors;
        if (n == 1)
        {
            logger.log(System.Logger.Level.ERROR, what + " failed on a datagram; it was dropped and the engine " +
                "serves on (later errors are counted, and logged once per " + SUMMARY_EVERY + ")", throwable);
        }
        else if (n % SUMMARY_EVERY == 0)
        {
            logger.log(System.Logger.Level.ERROR, what + " failed on " + n + " datagrams so far; the latest: " +
                throwable);
        }
    }
}
