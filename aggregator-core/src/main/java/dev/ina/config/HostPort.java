package dev.ina.config;

/**
 * A host and a UDP port, as written {@code host:port}, {@code host} (the default port) or {@code [v6addr]:port}.
 *
 * @param host name or address, without brackets.
 * @param port UDP port.
 */
record HostPort(String host, int port)
{
    /** The aggregator's default UDP port. */
    static final int DEFAULT_PORT = 47_100;
    /** What the text must be, for messages. */
    static final String EXPECTED = "host:port (or host for port " + DEFAULT_PORT + "; IPv6 as [::1]:port)";

    /**
     * Parses {@code host:port}, {@code host} or {@code [address]:port}.
     *
     * @param text trimmed text.
     * @return host and port ({@link #DEFAULT_PORT} when the text has none).
     * @throws IllegalArgumentException saying what is wrong with the text.
     */
    static HostPort parse(final String text)
    {
        if (text.isEmpty())
        {
            throw new IllegalArgumentException("it is empty");
        }
        final String host;
        final String rest;
        if (text.startsWith("["))
        {
            final int close = text.indexOf(']');
            if (close < 0)
            {
                throw new IllegalArgumentException("'[' has no closing ']'");
            }
            host = text.substring(1, close);
            rest = text.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":"))
            {
                throw new IllegalArgumentException("only ':port' may follow ']'");
            }
        }
        else
        {
            final int colon = text.indexOf(':');
            if (colon >= 0 && text.indexOf(':', colon + 1) >= 0)
            {
                throw new IllegalArgumentException("it has more than one ':' (write an IPv6 address in brackets)");
            }
            host = colon < 0 ? text : text.substring(0, colon);
            rest = colon < 0 ? "" : text.substring(colon);
        }
        if (host.isBlank() || host.indexOf(' ') >= 0 || host.indexOf('[') >= 0 || host.indexOf(']') >= 0)
        {
            throw new IllegalArgumentException(host.isBlank() ? "the host is empty" : "the host '" + host +
                "' is not a host name or address");
        }
        return new HostPort(host, rest.isEmpty() ? DEFAULT_PORT : port(rest.substring(1)));
    }

    private static int port(final String text)
    {
        final int port;
        try
        {
            port = Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("the port '" + text + "' is not a number", ex);
        }
        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException("the port " + port + " is outside [1, 65535]");
        }
        return port;
    }

    @Override
    public String toString()
    {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ':' + port;
    }
}
