package dev.ina.config;

/**
 * Which event loop implementation the transport uses.
 */
public enum TransportKind
{
    /** Native epoll where available (Linux), else NIO. */
    AUTO,
    /** Native epoll; start-up fails if it is not available. */
    EPOLL,
    /** Java NIO, on any platform. */
    NIO
}
