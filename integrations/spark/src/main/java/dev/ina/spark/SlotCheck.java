package dev.ina.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.resource.ResourceProfile;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The driver's check that the cluster can run every task of a barrier stage at once. Spark checks the same on job
 * submission, but when it fails Spark waits and checks again,
 * {@code spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures} (40) times
 * {@code spark.scheduler.barrier.maxConcurrentTasksCheck.interval} (15 s) apart: ten minutes before a job that
 * cannot run says so. Those settings are read once when the {@code SparkContext} starts, so INA checks up front
 * and fails with a message that says what to change.
 */
final class SlotCheck
{
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private SlotCheck()
    {
    }

    /**
     * Checks that the cluster offers one task slot per partition, waiting up to {@code waitNs} for executors to
     * register.
     *
     * @param context    the driver's context.
     * @param profile    the stage's resource profile, or null for the default one.
     * @param partitions tasks of the barrier stage.
     * @param waitNs     how long to wait for enough slots.
     * @throws IllegalStateException if there are fewer slots than partitions after the wait.
     */
    static void check(
        final SparkContext context, final ResourceProfile profile, final int partitions, final long waitNs)
    {
        final ResourceProfile stageProfile = profile != null ? profile :
            context.resourceProfileManager().defaultResourceProfile();
        final long deadlineNs = System.nanoTime() + waitNs;
        int slots = context.maxNumConcurrentTasks(stageProfile);
        // Bounded by the deadline: at most waitNs / 100 ms checks.
        while (slots < partitions && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(POLL_NS);
            slots = context.maxNumConcurrentTasks(stageProfile);
        }
        if (slots < partitions)
        {
            throw new IllegalStateException(message(context, partitions, slots, waitNs));
        }
    }

    static String message(final SparkContext context, final int partitions, final int slots, final long waitNs)
    {
        return "INA barrier stage needs " + partitions + " task slots at once (one per partition: rank = " +
            "partition id), but the cluster (master " + context.master() + ", spark.task.cpus=" +
            context.getConf().get("spark.task.cpus", "1") + ") offers " + slots +
            (waitNs > 0 ? " after waiting " + TimeUnit.NANOSECONDS.toMillis(waitNs) + " ms for executors" : "") +
            ". Repartition the input to at most " + Math.max(slots, 1) + " partitions (rdd.repartition(n)), or " +
            "give the application more executors or cores (BarrierOptions.slotWaitMs sets how long to wait for " +
            "them). Spark itself would retry such a submission for up to " +
            "spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures x .interval (40 x 15 s by default).";
    }
}
