package dev.ina.it;

import dev.ina.api.CollectiveException;
import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Worker process for multi-process tests:
 * {@code <aggregatorHost:port> <job> <rank> <worldSize> <codec> <elements> <calls> <elementsPerPacket> <timeoutMs>
 * <resultFile> [BOUNDED:<deadlineMs>:<quorum>]}. Fills its tensor with {@link TestData#value}, all-reduces (SUM)
 * {@code calls} times and writes the
 * last result as raw little-endian floats to {@code resultFile}. Prints {@code JOINED}, {@code CALL n} after each
 * call, and {@code DONE} or {@code FAILED <reason>: <message>}; exits 0 on success, 2 on a
 * {@link CollectiveException}.
 */
public final class TestWorkerMain
{
    private TestWorkerMain()
    {
    }

    /**
     * Entry point.
     *
     * @param args see the class comment.
     * @throws Exception on unexpected failure.
     */
    public static void main(final String[] args) throws Exception
    {
        final int rank = Integer.parseInt(args[2]);
        final int elements = Integer.parseInt(args[5]);
        final int calls = Integer.parseInt(args[6]);
        WorkerConfig config = WorkerConfig.builder()
            .aggregator(args[0])
            .jobId(Integer.parseInt(args[1]))
            .rank(rank)
            .worldSize(Integer.parseInt(args[3]))
            .codec(Codec.valueOf(args[4]))
            .elementsPerPacket(Integer.parseInt(args[7]))
            .timeoutNs(TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[8])))
            .joinTimeoutNs(TimeUnit.MILLISECONDS.toNanos(Math.max(30_000, Long.parseLong(args[8]))))
            .build();
        if (args.length > 10)
        {
            final String[] bounded = args[10].split(":");
            config = config.toBuilder().mode(Mode.valueOf(bounded[0]))
                .deadlineNs(TimeUnit.MILLISECONDS.toNanos(Long.parseLong(bounded[1])))
                .quorum(Integer.parseInt(bounded[2])).build();
        }
        final float[] data = new float[elements];
        try (Collective collective = Collective.join(config))
        {
            System.out.println("JOINED");
            System.out.flush();
            for (int call = 0; call < calls; call++)
            {
                TestData.fill(data, rank, call);
                final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM);
                System.out.println("CALL " + call + " " + stats);
                System.out.flush();
            }
        }
        catch (final CollectiveException ex)
        {
            System.out.println("FAILED " + ex.reason() + ": " + ex.getMessage());
            System.out.flush();
            System.exit(2);
        }
        final java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(elements * Float.BYTES)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        Files.write(Path.of(args[9]), bytes.array());
        System.out.println("DONE");
        System.out.flush();
    }
}
