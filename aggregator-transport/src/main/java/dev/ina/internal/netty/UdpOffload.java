package dev.ina.internal.netty;

import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;

/**
 * Whether a datagram socket sends with UDP GSO ({@code UDP_SEGMENT}: one system call, many datagrams, cut by the
 * kernel) and receives with UDP GRO (the kernel hands over several datagrams of one sender in one buffer). Both
 * need native epoll on Linux; both are on by default where supported and can be turned off for A/B comparisons or
 * to rule them out: {@value #GSO_PROP_NAME}{@code =false} and {@value #GRO_PROP_NAME}{@code =false} (system
 * properties), or the environment variables {@value #GSO_ENV_NAME} and {@value #GRO_ENV_NAME}. Internal to INA.
 */
public final class UdpOffload
{
    /** System property: {@code false} turns UDP GSO off. */
    public static final String GSO_PROP_NAME = "ina.udp.gso";
    /** System property: {@code false} turns UDP GRO off. */
    public static final String GRO_PROP_NAME = "ina.udp.gro";
    /** Environment variable read when {@value #GSO_PROP_NAME} is not set. */
    public static final String GSO_ENV_NAME = "INA_UDP_GSO";
    /** Environment variable read when {@value #GRO_PROP_NAME} is not set. */
    public static final String GRO_ENV_NAME = "INA_UDP_GRO";

    private UdpOffload()
    {
    }

    /**
     * Whether frames written to {@code channel} may go out as GSO sends: native epoll with sendmmsg and
     * {@code UDP_SEGMENT}, and not turned off.
     *
     * @param channel the datagram channel.
     * @return true to send runs of frames with GSO.
     */
    public static boolean isGsoEnabled(final Channel channel)
    {
        return channel instanceof EpollDatagramChannel && EpollDatagramChannel.isSegmentedDatagramPacketSupported() &&
            switchedOn(GSO_PROP_NAME, GSO_ENV_NAME);
    }

    /**
     * Whether a datagram socket of {@code loops} should ask for GRO: native epoll, and not turned off. Whether the
     * kernel accepted it shows only once the socket exists ({@link #isGroActive(Channel)}).
     *
     * @param loops event loops the socket will use.
     * @return true to ask for GRO.
     */
    public static boolean isGroWanted(final EventLoops loops)
    {
        return loops.isEpoll() && Epoll.isAvailable() && switchedOn(GRO_PROP_NAME, GRO_ENV_NAME);
    }

    /**
     * Whether GRO is on for a bound socket.
     *
     * @param channel the datagram channel.
     * @return true if the kernel took {@code UDP_GRO}.
     */
    public static boolean isGroActive(final Channel channel)
    {
        return channel instanceof EpollDatagramChannel &&
            Boolean.TRUE.equals(channel.config().getOption(EpollChannelOption.UDP_GRO));
    }

    /**
     * Reads an on/off switch: the system property, else the environment variable, else on.
     *
     * @param property system property name.
     * @param env      environment variable name.
     * @return false only for an explicit {@code false}, {@code 0} or {@code off}.
     * @throws IllegalArgumentException for a value that is neither on nor off.
     */
    static boolean switchedOn(final String property, final String env)
    {
        String value = System.getProperty(property);
        String source = "system property " + property;
        if (value == null)
        {
            value = System.getenv(env);
            source = "environment variable " + env;
        }
        if (value == null)
        {
            return true;
        }
        switch (value.trim().toLowerCase(java.util.Locale.ROOT))
        {
            case "true":
            case "1":
            case "on":
                return true;
            case "false":
            case "0":
            case "off":
                return false;
            default:
                throw new IllegalArgumentException(source + " is '" + value + "'; set it to true or false (or unset " +
                    "it: on where the kernel supports it)");
        }
    }
}
