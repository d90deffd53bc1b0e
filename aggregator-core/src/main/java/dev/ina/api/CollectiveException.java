package dev.ina.api;

/**
 * An all-reduce, join or leave that could not complete. The message says what happened and what to check.
 */
public final class CollectiveException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** Why a collective operation failed. */
    public enum Reason
    {
        /** No progress within the configured timeout: the aggregator or a rank is gone or unreachable. */
        TIMEOUT,
        /** The aggregator ended the job session, e.g. a rank left, restarted or the aggregator shut down. */
        ABORTED,
        /** The aggregator refused the request, e.g. a configuration that does not match the job. */
        REFUSED,
        /** The collective was closed locally. */
        CLOSED,
        /** The input cannot be carried by the configured codec, e.g. NaN with FIXED32. */
        INVALID_INPUT
    }

    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param reason  why the operation failed.
     * @param message what happened and what to check.
     */
    public CollectiveException(final Reason reason, final String message)
    {
        super(message);
        this.reason = reason;
    }

    /**
     * Creates the exception with a cause.
     *
     * @param reason  why the operation failed.
     * @param message what happened and what to check.
     * @param cause   the underlying failure.
     */
    public CollectiveException(final Reason reason, final String message, final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * Why the operation failed.
     *
     * @return the reason.
     */
    public Reason reason()
    {
        return reason;
    }
}
