package dev.ina.internal.netty;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.NetworkInterface;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Path MTU arithmetic for IPv4 and IPv6, and the route to loopback; other interfaces are tested between network
 * namespaces in {@code dev.ina.it.PathMtuSystemTest}.
 */
class PathMtuTest
{
    @Test
    void shouldSubtractIpAndUdpHeaders()
    {
        assertEquals(1472, PathMtu.maxDatagramLength(1500, false));
        assertEquals(1452, PathMtu.maxDatagramLength(1500, true));
        assertEquals(8972, PathMtu.maxDatagramLength(9000, false));
        assertEquals(8952, PathMtu.maxDatagramLength(9000, true));
        assertEquals(1232, PathMtu.maxDatagramLength(1280, true));
        assertEquals(40, PathMtu.maxDatagramLength(68, false));
    }

    @Test
    void shouldCapAtTheLargestDatagram()
    {
        assertEquals(65_507, PathMtu.maxDatagramLength(65_536, false));
        assertEquals(65_488, PathMtu.maxDatagramLength(65_536, true));
        assertEquals(65_507, PathMtu.maxDatagramLength(1 << 20, false));
        assertEquals(65_527, PathMtu.maxDatagramLength(1 << 20, true));
    }

    @Test
    void shouldRejectAnMtuBelowTheMinimum()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PathMtu.maxDatagramLength(67, false))
            .getMessage().contains("IPv4 minimum of 68"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PathMtu.maxDatagramLength(1279, true))
            .getMessage().contains("IPv6 minimum of 1280"));
    }

    @Test
    void shouldTakeTheLoopbackMtuForALoopbackAddress() throws Exception
    {
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final int expected = NetworkInterface.getByInetAddress(loopback).getMTU();
        assertEquals(expected, PathMtu.mtu(loopback));
        assertEquals(Math.min(expected - 28, 65_507), PathMtu.maxDatagramLength(loopback));
    }
}
