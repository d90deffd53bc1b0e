package dev.ina.examples.train;

import dev.ina.api.Codec;
import dev.ina.api.Mode;
import dev.ina.config.WorkerConfig;
import dev.ina.transport.LossGenerator;

import java.util.Locale;

/**
 * One way of averaging the gradients, compared against the others on the same seed.
 *
 * @param name          label in reports.
 * @param codec         number format on the wire.
 * @param errorFeedback whether the gradient goes through a registered tensor that keeps the quantisation residual.
 * @param bounded       BOUNDED mode: a chunk finishes at its deadline with the ranks it has.
 * @param deadlineMs    BOUNDED mode: deadline after a chunk's first contribution.
 * @param lossRate      probability of dropping each datagram, sent and received, on every rank.
 * @param slowMs        the last rank sleeps this long every step before its all-reduce (a straggler).
 */
record Variant(
    String name,
    Codec codec,
    boolean errorFeedback,
    boolean bounded,
    double deadlineMs,
    double lossRate,
    long slowMs)
{
    /** Names accepted by {@link #of(String, Codec, double, double, long)}. */
    static final String NAMES = "FP32, FIXED32, INT8_EF, BOUNDED";

    /**
     * A variant by name.
     *
     * @param name          FP32, FIXED32, INT8_EF (INT8 with error feedback) or BOUNDED.
     * @param boundedCodec  codec of the BOUNDED variant.
     * @param deadlineMs    deadline of the BOUNDED variant.
     * @param lossRate      datagram loss of the BOUNDED variant.
     * @param slowMs        straggler delay per step of the BOUNDED variant.
     * @return the variant.
     * @throws IllegalArgumentException for an unknown name.
     */
    static Variant of(
        final String name, final Codec boundedCodec, final double deadlineMs, final double lossRate, final long slowMs)
    {
        switch (name.toUpperCase(Locale.ROOT))
        {
            case "FP32":
                return new Variant("FP32", Codec.FP32, false, false, 0, 0, 0);
            case "FIXED32":
                return new Variant("FIXED32", Codec.FIXED32, false, false, 0, 0, 0);
            case "INT8_EF":
                return new Variant("INT8_EF", Codec.INT8, true, false, 0, 0, 0);
            case "BOUNDED":
                return new Variant("BOUNDED", boundedCodec, boundedCodec.isStochastic(), true, deadlineMs, lossRate,
                    slowMs);
            default:
                throw new IllegalArgumentException("unknown variant '" + name + "': one of " + NAMES);
        }
    }

    /**
     * Applies this variant to a rank's configuration: codec, mode and deadline, and loss generators seeded per rank.
     *
     * @param builder the rank's configuration.
     * @param rank    the rank.
     * @param seed    run seed.
     * @return the builder.
     */
    WorkerConfig.Builder configure(final WorkerConfig.Builder builder, final int rank, final long seed)
    {
        builder.codec(codec);
        if (bounded)
        {
            builder.mode(Mode.BOUNDED).deadlineNs((long)(deadlineMs * 1e6));
        }
        if (lossRate > 0)
        {
            builder.loss(LossGenerator.random(lossRate, seed * 1_000_003L + 2L * rank),
                LossGenerator.random(lossRate, seed * 1_000_003L + 2L * rank + 1));
        }
        return builder;
    }

    /**
     * One line for logs and reports.
     *
     * @return description.
     */
    String describe()
    {
        final StringBuilder text = new StringBuilder(name).append(": ").append(codec);
        if (errorFeedback)
        {
            text.append(" + error feedback");
        }
        text.append(bounded ? String.format(Locale.ROOT, ", BOUNDED (deadline %s ms)", deadlineMs) : ", EXACT");
        if (lossRate > 0)
        {
            text.append(String.format(Locale.ROOT, ", %.1f %% loss each way", lossRate * 100));
        }
        if (slowMs > 0)
        {
            text.append(", last rank ").append(slowMs).append(" ms slow per step");
        }
        return text.toString();
    }
}
