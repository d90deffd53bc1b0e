package dev.ina.internal.netty;

import org.agrona.collections.Object2IntHashMap;

import java.net.InetSocketAddress;
import java.util.ArrayList;

/**
 * Maps sender addresses to the small integer peer ids the engines use, and back. Addresses are added only when
 * asked (on a JOIN), and the table is bounded, so a flood of foreign senders cannot grow it. Single-threaded.
 * Internal to INA's transports.
 */
public final class PeerTable
{
    /** Peer id of an address that is not in the table. */
    public static final int UNKNOWN_PEER = -1;

    private final Object2IntHashMap<InetSocketAddress> ids = new Object2IntHashMap<>(UNKNOWN_PEER);
    private final ArrayList<InetSocketAddress> addresses = new ArrayList<>();
    private final int capacity;

    /**
     * Creates a table.
     *
     * @param capacity most addresses it holds.
     */
    public PeerTable(final int capacity)
    {
        this.capacity = capacity;
    }

    /**
     * Peer id of an address.
     *
     * @param address sender.
     * @return id, or {@link #UNKNOWN_PEER}.
     */
    public int lookup(final InetSocketAddress address)
    {
        return ids.getValue(address);
    }

    /**
     * Peer id of an address, adding it if there is room.
     *
     * @param address sender.
     * @return id, or {@link #UNKNOWN_PEER} if the table is full.
     */
    public int register(final InetSocketAddress address)
    {
        int id = ids.getValue(address);
        if (id == UNKNOWN_PEER && addresses.size() < capacity)
        {
            id = addresses.size();
            addresses.add(address);
            ids.put(address, id);
        }
        return id;
    }

    /**
     * Address of a peer id.
     *
     * @param peer id.
     * @return the address, or null if unknown.
     */
    public InetSocketAddress address(final int peer)
    {
        return peer >= 0 && peer < addresses.size() ? addresses.get(peer) : null;
    }

    /**
     * Number of addresses held.
     *
     * @return size.
     */
    public int size()
    {
        return addresses.size();
    }
}
