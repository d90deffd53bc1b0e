package dev.ina.config;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LaunchersTest
{
    private static WorkerConfig build(final Map<String, String> env)
    {
        return WorkerConfig.fromSource(new SettingSource(env, new Properties())).build();
    }

    private static String error(final Map<String, String> env)
    {
        return assertThrows(IllegalArgumentException.class, () -> build(env)).getMessage();
    }

    @Test
    void shouldTakeRankWorldAndJobFromOpenMpiSlurmAndTorchrun()
    {
        final WorkerConfig mpi = build(Map.of("OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE", "4",
            "PMIX_NAMESPACE", "1573781505"));
        assertEquals(2, mpi.rank());
        assertEquals(4, mpi.worldSize());
        assertEquals(1573781505, mpi.jobId());

        final WorkerConfig slurm = build(Map.of("SLURM_PROCID", "7", "SLURM_NTASKS", "8", "SLURM_JOB_ID", "123456"));
        assertEquals(7, slurm.rank());
        assertEquals(8, slurm.worldSize());
        assertEquals(123456, slurm.jobId());

        final WorkerConfig torchrun = build(Map.of("RANK", "0", "WORLD_SIZE", "1",
            "TORCHELASTIC_RUN_ID", "my-run"));
        assertEquals(0, torchrun.rank());
        assertEquals(Launcher.jobId("my-run"), torchrun.jobId());
        assertEquals(1, build(Map.of("RANK", "0", "WORLD_SIZE", "1", "TORCHELASTIC_RUN_ID", "none")).jobId(),
            "torchrun's placeholder run id is no job identity: the default job");
        final WorkerConfig rankOnly = build(Map.of("OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2"));
        assertEquals(1, rankOnly.jobId(), "no job identity: the default job");
    }

    @Test
    void shouldTakeTheRankFromAnIndexedJobAndTheWorldSizeFromInaWorldSize()
    {
        final WorkerConfig pod = build(Map.of("JOB_COMPLETION_INDEX", "3", "INA_WORLD_SIZE", "4", "INA_JOB", "9"));
        assertEquals(3, pod.rank());
        assertEquals(4, pod.worldSize());
        assertEquals(9, pod.jobId());
        assertEquals("JOB_COMPLETION_INDEX (a Kubernetes indexed Job) gives the rank but not the number of workers: " +
            "set INA_WORLD_SIZE to the Job's completions", error(Map.of("JOB_COMPLETION_INDEX", "3")));
        assertEquals("rank 4 (from JOB_COMPLETION_INDEX) must be below worldSize 4 (from INA_WORLD_SIZE)",
            error(Map.of("JOB_COMPLETION_INDEX", "4", "INA_WORLD_SIZE", "4")));
    }

    @Test
    void shouldLetInasOwnVariablesAndPropertiesWin()
    {
        final Map<String, String> env = new HashMap<>(Map.of("OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE",
            "4", "PMIX_NAMESPACE", "55", "INA_RANK", "1", "INA_JOB", "12"));
        final WorkerConfig config = build(env);
        assertEquals(1, config.rank());
        assertEquals(4, config.worldSize());
        assertEquals(12, config.jobId());

        final Properties properties = new Properties();
        properties.setProperty("ina.rank", "0");
        properties.setProperty("ina.world.size", "1");
        env.put("OMPI_COMM_WORLD_SIZE", "oops");
        final WorkerConfig overridden = WorkerConfig.fromSource(new SettingSource(env, properties)).build();
        assertEquals(0, overridden.rank());
        assertEquals(1, overridden.worldSize(), "a launcher INA does not need is not read");
    }

    @Test
    void shouldPreferTheLauncherNearestTheProcess()
    {
        // mpirun inside a Slurm allocation: every rank inherits SLURM_PROCID=0 from the batch step.
        final WorkerConfig mpiInSlurm = build(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "4", "SLURM_JOB_ID", "77",
            "OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "4", "PMIX_NAMESPACE", "prterun-node1-4242@1"));
        assertEquals(3, mpiInSlurm.rank());
        assertEquals(Launcher.jobId("prterun-node1-4242@1"), mpiInSlurm.jobId());
        // torchrun started by srun, one per node: SLURM_PROCID is the node's index.
        final WorkerConfig torchrunInSlurm = build(Map.of("SLURM_PROCID", "1", "SLURM_NTASKS", "2",
            "RANK", "5", "WORLD_SIZE", "8"));
        assertEquals(5, torchrunInSlurm.rank());
        assertEquals(8, torchrunInSlurm.worldSize());
    }

    @Test
    void shouldNameTheVariablesWhenALauncherIsPartialOrDisagrees()
    {
        assertEquals("OMPI_COMM_WORLD_RANK is set but OMPI_COMM_WORLD_SIZE is not: Open MPI sets both. Set " +
            "OMPI_COMM_WORLD_SIZE too, or set INA_RANK and INA_WORLD_SIZE (they take precedence)",
            error(Map.of("OMPI_COMM_WORLD_RANK", "0")));
        assertEquals("WORLD_SIZE is set but RANK is not: torchrun sets both. Set RANK too, or set INA_RANK and " +
            "INA_WORLD_SIZE (they take precedence)", error(Map.of("WORLD_SIZE", "2")));
        assertEquals("SLURM_PROCID=4 must be below SLURM_NTASKS=4 (Slurm's variables disagree)",
            error(Map.of("SLURM_PROCID", "4", "SLURM_NTASKS", "4")));
        assertEquals("INA_WORLD_SIZE=8 disagrees with OMPI_COMM_WORLD_SIZE=4 (Open MPI gives this worker's rank in " +
            "OMPI_COMM_WORLD_RANK): remove INA_WORLD_SIZE or set INA_RANK too",
            error(Map.of("OMPI_COMM_WORLD_RANK", "0", "OMPI_COMM_WORLD_SIZE", "4", "INA_WORLD_SIZE", "8")));
        assertEquals("SLURM_NTASKS must be an integer of at least 1, got '0'",
            error(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "0")));
        assertEquals("RANK must be an integer of at least 0, got 'first'",
            error(Map.of("RANK", "first", "WORLD_SIZE", "2")));
        assertTrue(error(Map.of("RANK", " ", "WORLD_SIZE", "2")).startsWith("RANK is set but empty"));
    }

    @Test
    void shouldDeriveTheSameNonNegativeJobIdFromAStringOnEveryRank()
    {
        assertEquals(0, Launcher.jobId("0"));
        assertEquals(Integer.MAX_VALUE, Launcher.jobId("2147483647"));
        // FNV-1a 32 of the UTF-8 bytes, sign bit cleared: fixed values, so every rank and every JVM agree.
        assertEquals(0xE40C292C & Integer.MAX_VALUE, Launcher.jobId("a"));
        assertEquals(0xBF9CF968 & Integer.MAX_VALUE, Launcher.jobId("foobar"));
        assertEquals(Launcher.jobId("2147483648"), Launcher.jobId("2147483648"));
        assertTrue(Launcher.jobId("2147483648") >= 0 && Launcher.jobId("prterun-x@1") >= 0);
    }
}
