package dev.ina.it;

import dev.ina.api.Codec;
import dev.ina.api.CollectiveException;
import dev.ina.api.ReduceOp;
import dev.ina.api.ReduceStats;
import dev.ina.client.Collective;
import dev.ina.config.WorkerConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Worker process for the offload tests:
 * {@code <aggregatorHost:port> <jobBase> <rank> <worldSize> <codecs> <elements> <calls> <elementsPerPacket>
 * <window> <timeoutMs> <resultPrefix>}. For each codec of the comma-separated list, in order, joins job
 * {@code jobBase + codec.ordinal()}, fills its tensor with {@link TestData#value}, all-reduces (SUM) {@code calls}
 * times and writes the last result as raw little-endian floats to {@code <resultPrefix>-<codec>.bin}. Prints
 * {@code CALL <codec> <n> <stats>} after each call and {@code DONE}, or {@code FAILED <reason>: <message>} and
 * exits 2.
 */
public final class OffloadWorkerMain
{
    private OffloadWorkerMain()
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
        final int jobBase = Integer.parseInt(args[1]);
        final int rank = Integer.parseInt(args[2]);
        final int elements = Integer.parseInt(args[5]);
        final int calls = Integer.parseInt(args[6]);
        final long timeoutMs = Long.parseLong(args[9]);
        final float[] data = new float[elements];
        for (final String name : args[4].split(","))
        {
            final Codec codec = Codec.valueOf(name);
            final WorkerConfig config = WorkerConfig.builder()
                .aggregator(args[0])
                .jobId(jobBase + codec.ordinal())
                .rank(rank)
                .worldSize(Integer.parseInt(args[3]))
                .codec(codec)
                .elementsPerPacket(Integer.parseInt(args[7]))
                .window(Integer.parseInt(args[8]))
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs))
                .joinTimeoutNs(TimeUnit.MILLISECONDS.toNanos(Math.max(30_000, timeoutMs)))
                .build();
            try (Collective collective = Collective.join(config))
            {
                for (int call = 0; call < calls; call++)
                {
                    TestData.fill(data, rank, call);
                    final ReduceStats stats = collective.allReduce(data, ReduceOp.SUM);
                    System.out.println("CALL " + codec + " " + call + " " + stats);
                    System.out.flush();
                }
            }
            catch (final CollectiveException ex)
            {
                System.out.println("FAILED " + ex.reason() + ": " + ex.getMessage());
                System.out.flush();
                System.exit(2);
            }
            final ByteBuffer bytes = ByteBuffer.allocate(elements * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(data);
            Files.write(Path.of(args[10] + "-" + codec + ".bin"), bytes.array());
        }
        System.out.println("DONE");
        System.out.flush();
    }
}
