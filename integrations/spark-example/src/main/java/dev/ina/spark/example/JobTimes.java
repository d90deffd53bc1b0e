package dev.ina.spark.example;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import scala.jdk.javaapi.CollectionConverters;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Times the Spark jobs of one job group whose stages match a call site, e.g. MLlib's loss evaluations
 * ({@code treeAggregate at RDDLossFunction}): how many ran and how long they took in all. Called on Spark's
 * listener thread; read after the group's jobs ended.
 */
final class JobTimes extends SparkListener
{
    private static final String GROUP_PROPERTY = "spark.jobGroup.id";

    private final String group;
    private final String callSite;
    private final Map<Integer, Long> started = new ConcurrentHashMap<>();
    private final Map<Integer, Long> durationsMs = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> ended = new ConcurrentHashMap<>();
    private final Map<Integer, Long> longestTaskMs = new ConcurrentHashMap<>();

    JobTimes(final String group, final String callSite)
    {
        this.group = group;
        this.callSite = callSite;
    }

    @Override
    public void onJobStart(final SparkListenerJobStart event)
    {
        if (event.properties() == null || !group.equals(event.properties().getProperty(GROUP_PROPERTY)))
        {
            return;
        }
        for (final StageInfo stage : CollectionConverters.asJava(event.stageInfos()))
        {
            if (stage.name().contains(callSite))
            {
                started.put(event.jobId(), event.time());
                for (final StageInfo matching : CollectionConverters.asJava(event.stageInfos()))
                {
                    longestTaskMs.putIfAbsent(matching.stageId(), 0L);
                }
                return;
            }
        }
        started.put(event.jobId(), -1L);
    }

    @Override
    public void onJobEnd(final SparkListenerJobEnd event)
    {
        final Long start = started.get(event.jobId());
        if (start == null)
        {
            return;
        }
        if (start >= 0)
        {
            durationsMs.put(event.jobId(), event.time() - start);
        }
        ended.put(event.jobId(), Boolean.TRUE);
    }

    @Override
    public void onTaskEnd(final SparkListenerTaskEnd event)
    {
        if (event.taskMetrics() != null && longestTaskMs.containsKey(event.stageId()))
        {
            longestTaskMs.merge(event.stageId(), event.taskMetrics().executorRunTime(), Math::max);
        }
    }

    /**
     * Summed over the matching jobs' stages, the run time of each stage's longest task: the time the pass spent
     * computing, the rest of a job's duration being scheduling, task launch and result transfer.
     *
     * @return milliseconds.
     */
    long longestTasksMs()
    {
        long total = 0;
        for (final long ms : longestTaskMs.values())
        {
            total += ms;
        }
        return total;
    }

    /**
     * Jobs of the group seen ending.
     *
     * @return count.
     */
    int jobsEnded()
    {
        return ended.size();
    }

    /**
     * Jobs that matched the call site.
     *
     * @return count.
     */
    int matchingJobs()
    {
        return durationsMs.size();
    }

    /**
     * Their summed duration.
     *
     * @return milliseconds.
     */
    long matchingMs()
    {
        long total = 0;
        for (final long ms : durationsMs.values())
        {
            total += ms;
        }
        return total;
    }
}
