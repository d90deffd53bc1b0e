package dev.ina.aggregator;

import dev.ina.aggregation.ChunkAggregator;
import dev.ina.config.AggregatorConfig;
import dev.ina.config.JobSecrets;
import dev.ina.protocol.FrameDescriptor;
import dev.ina.status.Counters;
import dev.ina.internal.netty.DatagramChannels;
import dev.ina.internal.netty.DatagramFrameHandler;
import dev.ina.internal.netty.EventLoops;
import dev.ina.internal.netty.JvmFlags;
import dev.ina.internal.netty.LoggingErrorHandler;
import dev.ina.internal.netty.NettyFrameSender;
import dev.ina.internal.netty.PeerTable;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.DirectBuffer;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The aggregator process: per engine thread one UDP socket and one event loop thread that owns a
 * {@link ChunkAggregator}, serving any number of jobs (up to the configured maximum) from a bounded slot pool. With
 * several threads, jobs are sharded by job id and a JOIN on the wrong thread's port is redirected.
 * <pre>{@code
 * try (AggregatorServer server = AggregatorServer.start(AggregatorConfig.builder().port(47100).build()))
 * {
 *     server.awaitClose();
 * }
 * }</pre>
 * Datagrams are received with UDP GRO where the kernel offers it (a sender's datagrams coalesced into one read),
 * else in batches (recvmmsg with native epoll), straight into the engine; results are batched and flushed once per
 * read batch (sendmmsg), each rank's consecutive results as one UDP GSO send where supported. With a secrets file
 * ({@link AggregatorConfig#secretsFile()}), the file is checked once a second and read again when it changes.
 * Thread safe: every method may be called from any thread.
 */
public final class AggregatorServer implements AutoCloseable
{
    private static final int RECEIVE_BATCH = 16;
    private static final int MAX_PEERS = 1 << 16;
    private static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SECRETS_CHECK_NS = TimeUnit.SECONDS.toNanos(1);

    private final AggregatorConfig config;
    private final EventLoops loops;
    private final Shard[] shards;
    private final Counters counters;
    private final ScheduledFuture<?> secretsCheck;
    private volatile boolean closed;

    /** One engine thread: its socket, engine, sender and counters. */
    private static final class Shard
    {
        final Channel channel;
        final PeerTable peers = new PeerTable(MAX_PEERS);
        final Counters counters = new Counters("aggregator");
        ChunkAggregator engine;
        NettyFrameSender sender;
        ScheduledFuture<?> tick;

        Shard(final AggregatorConfig config, final EventLoops loops, final int index)
        {
            final Bootstrap bootstrap = DatagramChannels.bootstrap(
                loops, config.socketBufferBytes(), FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH, RECEIVE_BATCH, RECEIVE_BATCH,
                new DatagramFrameHandler(
                    (frame, offset, length, peer, nowNs) -> engine.onFrame(frame, offset, length, peer, nowNs),
                    (address, frame, length) -> resolve(peers, address, frame, length),
                    config.receiveLoss(),
                    () ->
                    {
                        engine.flushBatch();
                        sender.flush();
                    },
                    counters,
                    new LoggingErrorHandler("dev.ina.aggregator", "the aggregation engine")))
                // Reads start once the engine exists (see start).
                .option(ChannelOption.AUTO_READ, false);
            final int port = config.port() == 0 ? 0 : config.port() + index;
            try
            {
                channel = bootstrap.bind(new InetSocketAddress(config.bindAddress(), port)).sync().channel();
                DatagramChannels.checkReceive(
                    channel, FrameDescriptor.MAX_UDP_PAYLOAD_LENGTH, RECEIVE_BATCH, RECEIVE_BATCH);
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("cannot bind the aggregator to " + config.bindAddress() + ':' +
                    port + " (" + ex.getMessage() + "); choose another port or stop the process using it", ex);
            }
        }

        int port()
        {
            return ((InetSocketAddress)channel.localAddress()).getPort();
        }

        void start(final AggregatorConfig config, final int index, final int[] ports)
        {
            sender = new NettyFrameSender(channel, peers, config.sendLoss());
            channel.closeFuture().addListener(closed -> sender.close());
            // Session tokens and cookie keys must be unguessable: a member of one job must not predict another's.
            engine = new ChunkAggregator(config, sender, counters, new SecureRandom(), index, ports);
            // Each batch of reads ends with flushBatch: a batch's results leave before its NACKs, in runs.
            engine.batchControlFrames(true);
            final EventLoop loop = channel.eventLoop();
            // Publish engine and sender to the event loop before the first datagram is handled.
            loop.execute(() -> channel.config().setAutoRead(true));
            tick = loop.scheduleAtFixedRate(() ->
            {
                if (engine.doWork(System.nanoTime()) > 0)
                {
                    sender.flush();
                }
            }, TICK_NS, TICK_NS, TimeUnit.NANOSECONDS);
        }
    }

    private AggregatorServer(final AggregatorConfig config)
    {
        this.config = config;
        final int n = config.threads();
        this.loops = new EventLoops(config.transport(), config.busyPoll(), "ina-aggregator", n);
        shards = new Shard[n];
        try
        {
            for (int i = 0; i < n; i++)
            {
                shards[i] = new Shard(config, loops, i);
            }
        }
        catch (final RuntimeException ex)
        {
            loops.shutdown();
            throw ex;
        }
        final int[] ports = new int[n];
        final Counters[] parts = new Counters[n];
        for (int i = 0; i < n; i++)
        {
            ports[i] = shards[i].port();
            parts[i] = shards[i].counters;
        }
        for (int i = 0; i < n; i++)
        {
            shards[i].start(config, i, ports);
        }
        counters = Counters.sumOf(parts);
        secretsCheck = config.secretsFile() == null ? null : watchSecrets(config);
    }

    /**
     * Checks the secrets file once a second on the first engine thread, and hands new secrets to every engine on
     * its own thread.
     */
    private ScheduledFuture<?> watchSecrets(final AggregatorConfig config)
    {
        final SecretsFileWatcher watcher = new SecretsFileWatcher(config.secretsFile(), "INA_AGGREGATOR_SECRETS");
        return shards[0].channel.eventLoop().scheduleAtFixedRate(() ->
        {
            final JobSecrets secrets = watcher.poll();
            if (secrets != null)
            {
                for (final Shard shard : shards)
                {
                    shard.channel.eventLoop().execute(() -> shard.engine.jobSecrets(secrets));
                }
            }
        }, SECRETS_CHECK_NS, SECRETS_CHECK_NS, TimeUnit.NANOSECONDS);
    }

    private static int resolve(
        final PeerTable peers, final InetSocketAddress address, final DirectBuffer frame, final int length)
    {
        if (address == null)
        {
            return PeerTable.UNKNOWN_PEER;
        }
        // Only a JOIN may add an address: foreign traffic cannot grow the table.
        if (length > FrameDescriptor.TYPE_OFFSET &&
            frame.getByte(FrameDescriptor.TYPE_OFFSET) == FrameDescriptor.TYPE_JOIN)
        {
            return peers.register(address);
        }
        return peers.lookup(address);
    }

    /**
     * Starts an aggregator: binds the port and serves until closed.
     *
     * @param config configuration.
     * @return the running server.
     * @throws IllegalStateException if a JVM flag is missing or the port cannot be bound.
     */
    public static AggregatorServer start(final AggregatorConfig config)
    {
        JvmFlags.check();
        return new AggregatorServer(config);
    }

    /**
     * The address of the first engine thread's socket, where workers join (with the actual port when configured
     * with port 0).
     *
     * @return local address.
     */
    public InetSocketAddress localAddress()
    {
        return (InetSocketAddress)shards[0].channel.localAddress();
    }

    /**
     * The UDP port workers join on.
     *
     * @return port.
     */
    public int port()
    {
        return localAddress().getPort();
    }

    /**
     * The UDP port of every engine thread, by index; a job is served on {@code ports()[floorMod(jobId, threads)]}.
     *
     * @return ports.
     */
    public int[] ports()
    {
        final int[] ports = new int[shards.length];
        for (int i = 0; i < shards.length; i++)
        {
            ports[i] = shards[i].port();
        }
        return ports;
    }

    /**
     * Whether native epoll is in use.
     *
     * @return true for epoll, false for NIO.
     */
    public boolean isEpoll()
    {
        return loops.isEpoll();
    }

    /**
     * The configuration.
     *
     * @return config.
     */
    public AggregatorConfig config()
    {
        return config;
    }

    /**
     * Counters of all engine threads summed: traffic and drops by reason. Readable from any thread.
     *
     * @return counters.
     */
    public Counters counters()
    {
        return counters;
    }

    /**
     * Number of jobs forming or running, read on the event loops.
     *
     * @return jobs.
     */
    public int jobCount()
    {
        int jobs = 0;
        for (final Shard shard : shards)
        {
            jobs += onLoop(shard, shard.engine::jobCount);
        }
        return jobs;
    }

    /**
     * Bytes of the slot pool held by jobs, read on the event loops.
     *
     * @return bytes.
     */
    public long poolBytesInUse()
    {
        long bytes = 0;
        for (final Shard shard : shards)
        {
            bytes += onLoop(shard, shard.engine::poolBytesInUse);
        }
        return bytes;
    }

    private static <T> T onLoop(final Shard shard, final Callable<T> query)
    {
        try
        {
            return shard.channel.eventLoop().submit(query).get(5, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("aggregator event loop did not answer", ex);
        }
    }

    /**
     * Blocks until the server is closed.
     *
     * @throws InterruptedException if interrupted.
     */
    public void awaitClose() throws InterruptedException
    {
        for (final Shard shard : shards)
        {
            shard.channel.closeFuture().sync();
        }
    }

    /**
     * Ends every job (ranks receive ABORT with "the aggregator shut down"), closes the sockets and stops the
     * threads.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (secretsCheck != null)
        {
            secretsCheck.cancel(false);
        }
        for (final Shard shard : shards)
        {
            shard.tick.cancel(false);
            if (shard.channel.isActive())
            {
                try
                {
                    shard.channel.eventLoop().submit(() ->
                    {
                        shard.engine.close();
                        shard.sender.flush();
                    }).get(2, TimeUnit.SECONDS);
                }
                catch (final Exception ignore)
                {
                    // Closing anyway: ranks then time out instead of being told.
                }
            }
            shard.channel.close().awaitUninterruptibly(2_000);
        }
        loops.shutdown();
    }
}
