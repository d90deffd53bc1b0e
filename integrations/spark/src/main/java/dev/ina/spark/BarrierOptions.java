package dev.ina.spark;

import java.io.Serializable;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How {@link InaSpark} runs a barrier stage: the ranks' worker template, where the aggregator runs, and how long
 * the driver waits for enough task slots. Immutable and serialisable.
 * <pre>{@code
 * BarrierOptions options = BarrierOptions.builder()
 *     .worker(b -> b.codec(Codec.FIXED32))
 *     .aggregatorOnRank0(b -> b.poolBytes(64L << 20))     // the default placement
 *     .build();
 * }</pre>
 */
public final class BarrierOptions implements Serializable
{
    private static final long serialVersionUID = 1L;

    /** {@link Builder#slotWaitMs(long)} value meaning: no wait with a local master, 30 s otherwise. */
    public static final long SLOT_WAIT_AUTO = -1;

    private static final long CLUSTER_SLOT_WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    private final WorkerTemplate worker;
    private final AggregatorTemplate aggregator;
    private final String externalAggregator;
    private final long slotWaitMs;

    private BarrierOptions(final Builder b)
    {
        worker = b.worker;
        aggregator = b.aggregator;
        externalAggregator = b.externalAggregator;
        slotWaitMs = b.slotWaitMs;
    }

    /**
     * A builder with the defaults: {@link WorkerTemplate#DEFAULTS}, the aggregator on rank 0, automatic slot wait.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Options with the given worker template and the defaults otherwise.
     *
     * @param worker the ranks' worker template.
     * @return the options.
     */
    public static BarrierOptions of(final WorkerTemplate worker)
    {
        return builder().worker(worker).build();
    }

    /**
     * The ranks' worker template.
     *
     * @return template.
     */
    public WorkerTemplate worker()
    {
        return worker;
    }

    /**
     * The template of the aggregator rank 0 starts, or null when the job uses an external aggregator.
     *
     * @return template or null.
     */
    public AggregatorTemplate aggregator()
    {
        return aggregator;
    }

    /**
     * The external aggregator's {@code host:port}, or null when rank 0 starts one.
     *
     * @return address or null.
     */
    public String externalAggregator()
    {
        return externalAggregator;
    }

    /**
     * Nanoseconds the driver waits for enough task slots before failing.
     *
     * @param localMaster whether the master is {@code local[..]}, whose slots are all there from the start.
     * @return nanoseconds.
     */
    long slotWaitNs(final boolean localMaster)
    {
        if (slotWaitMs == SLOT_WAIT_AUTO)
        {
            return localMaster ? 0 : CLUSTER_SLOT_WAIT_NS;
        }
        return TimeUnit.MILLISECONDS.toNanos(slotWaitMs);
    }

    @Override
    public String toString()
    {
        return "BarrierOptions{aggregator=" + (externalAggregator != null ? externalAggregator : "rank 0") +
            ", slotWaitMs=" + (slotWaitMs == SLOT_WAIT_AUTO ? "auto" : Long.toString(slotWaitMs)) + '}';
    }

    /**
     * Builder of {@link BarrierOptions}. Not thread safe.
     */
    public static final class Builder
    {
        private WorkerTemplate worker = WorkerTemplate.DEFAULTS;
        private AggregatorTemplate aggregator = AggregatorTemplate.DEFAULTS;
        private String externalAggregator;
        private long slotWaitMs = SLOT_WAIT_AUTO;

        private Builder()
        {
        }

        /**
         * The ranks' worker template.
         *
         * @param worker e.g. {@code b -> b.codec(Codec.FIXED32)}.
         * @return this.
         */
        public Builder worker(final WorkerTemplate worker)
        {
            this.worker = Objects.requireNonNull(worker, "worker template");
            return this;
        }

        /**
         * Rank 0 starts an aggregator for each stage attempt and stops it when every rank is done (the default).
         *
         * @param aggregator template of its configuration.
         * @return this.
         */
        public Builder aggregatorOnRank0(final AggregatorTemplate aggregator)
        {
            this.aggregator = Objects.requireNonNull(aggregator, "aggregator template");
            this.externalAggregator = null;
            return this;
        }

        /**
         * The ranks use an aggregator that is already running (e.g. started by the driver, or a dedicated host);
         * each stage attempt joins it with a fresh random job id.
         *
         * @param hostAndPort the aggregator's address as the executors reach it, e.g. {@code 10.0.0.5:47100}.
         * @return this.
         */
        public Builder externalAggregator(final String hostAndPort)
        {
            this.externalAggregator = Objects.requireNonNull(hostAndPort, "aggregator address");
            this.aggregator = null;
            return this;
        }

        /**
         * How long the driver waits for the cluster to offer one task slot per partition before it fails the job
         * with a message (executors may still be registering when an application starts).
         *
         * @param slotWaitMs milliseconds, 0 to check once, or {@link #SLOT_WAIT_AUTO} (the default: 0 with a
         *                   {@code local[..]} master, 30 s otherwise).
         * @return this.
         */
        public Builder slotWaitMs(final long slotWaitMs)
        {
            if (slotWaitMs < 0 && slotWaitMs != SLOT_WAIT_AUTO)
            {
                throw new IllegalArgumentException("slotWaitMs must be >= 0 or SLOT_WAIT_AUTO, got " + slotWaitMs);
            }
            this.slotWaitMs = slotWaitMs;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options.
         */
        public BarrierOptions build()
        {
            return new BarrierOptions(this);
        }
    }
}
