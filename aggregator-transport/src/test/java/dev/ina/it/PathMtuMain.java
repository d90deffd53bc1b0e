package dev.ina.it;

import dev.ina.internal.netty.PathMtu;

import java.net.InetAddress;

/**
 * Prints {@code MTU <address> <mtu> <maxDatagramLength>} for each address given, as {@link PathMtu} finds them
 * from this process's network namespace.
 */
public final class PathMtuMain
{
    private PathMtuMain()
    {
    }

    /**
     * Entry point.
     *
     * @param args addresses.
     * @throws Exception on failure.
     */
    public static void main(final String[] args) throws Exception
    {
        for (final String arg : args)
        {
            final InetAddress address = InetAddress.getByName(arg);
            System.out.println("MTU " + arg + " " + PathMtu.mtu(address) + " " + PathMtu.maxDatagramLength(address));
        }
        System.out.flush();
    }
}
