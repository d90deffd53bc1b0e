package dev.ina.internal.netty;

import dev.ina.protocol.FrameDescriptor;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;

/**
 * The MTU of the route to an address, and the longest UDP datagram that crosses it without IP fragmentation. The
 * route is the kernel's: a UDP socket connected to the address (which sends nothing) takes the local address of
 * the interface the route leaves by, and that interface's MTU is the answer; loopback (MTU 65536) gives the
 * largest datagram. A path MTU lower than the first hop's (a tunnel further on) is not seen. Internal to INA.
 */
public final class PathMtu
{
    /** IPv4 header without options, in bytes. */
    public static final int IPV4_HEADER_LENGTH = 20;
    /** IPv6 header without extension headers, in bytes. */
    public static final int IPV6_HEADER_LENGTH = 40;
    /** UDP header, in bytes. */
    public static final int UDP_HEADER_LENGTH = 8;
    /** Largest UDP payload over IPv6 without jumbograms: 65535 minus the UDP header. */
    public static final int MAX_UDP_PAYLOAD_LENGTH_IPV6 = 65_535 - UDP_HEADER_LENGTH;
    /** The smallest MTU IPv4 hosts must take (RFC 791). */
    public static final int MIN_MTU_IPV4 = 68;
    /** The smallest MTU IPv6 links have (RFC 8200). */
    public static final int MIN_MTU_IPV6 = 1280;

    /** Any port: connecting a UDP socket sends nothing. */
    private static final int DISCARD_PORT = 9;

    private PathMtu()
    {
    }

    /**
     * The MTU of the interface the route to {@code destination} leaves by.
     *
     * @param destination address to reach.
     * @return MTU in bytes (the IP packet, headers included).
     * @throws IOException if there is no route to it or the interface cannot be found.
     */
    public static int mtu(final InetAddress destination) throws IOException
    {
        final InetAddress local;
        try (DatagramSocket socket = new DatagramSocket())
        {
            socket.connect(new InetSocketAddress(destination, DISCARD_PORT));
            local = socket.getLocalAddress();
        }
        catch (final SocketException ex)
        {
            throw new IOException("no route to " + destination.getHostAddress() + " to take its MTU from: " +
                ex.getMessage(), ex);
        }
        if (local == null || local.isAnyLocalAddress())
        {
            throw new IOException("no route to " + destination.getHostAddress() + " to take its MTU from");
        }
        final NetworkInterface networkInterface = NetworkInterface.getByInetAddress(local);
        if (networkInterface == null)
        {
            throw new IOException("no interface holds " + local.getHostAddress() + ", the local address of the " +
                "route to " + destination.getHostAddress());
        }
        final int mtu = networkInterface.getMTU();
        if (mtu <= 0)
        {
            throw new IOException("interface " + networkInterface.getName() + " (route to " +
                destination.getHostAddress() + ") reports no MTU");
        }
        return mtu;
    }

    /**
     * The longest UDP payload that reaches {@code destination} in one unfragmented IP packet.
     *
     * @param destination address to reach.
     * @return length in bytes.
     * @throws IOException if there is no route to it or the interface cannot be found.
     */
    public static int maxDatagramLength(final InetAddress destination) throws IOException
    {
        return maxDatagramLength(mtu(destination), destination instanceof Inet6Address);
    }

    /**
     * The longest UDP payload that fits one IP packet of {@code mtu} bytes: the MTU less the IP and UDP headers,
     * and at most what one UDP datagram can carry ({@value FrameDescriptor#MAX_UDP_PAYLOAD_LENGTH} bytes over
     * IPv4, {@value #MAX_UDP_PAYLOAD_LENGTH_IPV6} over IPv6).
     *
     * @param mtu  the MTU, in bytes.
     * @param ipv6 whether the packet is IPv6.
     * @return length in bytes.
     * @throws IllegalArgumentException if the MTU is below the protocol's minimum.
     */
    public static int maxDatagramLength(final int mtu, final boolean ipv6)
    {
        final int minimum = ipv6 ? MIN_MTU_IPV6 : MIN_MTU_IPV4;
        if (mtu < minimum)
        {
            throw new IllegalArgumentException("MTU " + mtu + " is below the " + (ipv6 ? "IPv6" : "IPv4") +
                " minimum of " + minimum + " bytes");
        }
        final int headers = (ipv6 ? IPV6_HEADER_LENGTH : IPV4_HEADER_LENGTH) + UDP_HEADER_LENGTH;
        return Math.min(mtu - headers, ipv6 ? MAX_UDP_PAYLOAD_LENGTH_IPV6 : FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH);
    }
}
