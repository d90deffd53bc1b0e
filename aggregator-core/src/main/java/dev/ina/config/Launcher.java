package dev.ina.config;

import java.nio.charset.StandardCharsets;

/**
 * A process launcher whose environment variables give a worker its rank, the world size and a job identity, in
 * the order {@link Launchers} prefers them when several are present: the launcher nearest the process first
 * (torchrun started by srun or mpirun, mpirun inside a Slurm allocation, any of them inside a Kubernetes pod).
 */
enum Launcher
{
    /** torchrun, and launchers in its style (Kubeflow's PyTorchJob): {@code RANK}, {@code WORLD_SIZE}. */
    TORCHRUN("torchrun", "RANK", "WORLD_SIZE", "TORCHELASTIC_RUN_ID"),
    /** Open MPI's mpirun: {@code OMPI_COMM_WORLD_RANK}, {@code OMPI_COMM_WORLD_SIZE}, PMIx namespace. */
    OPEN_MPI("Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_NAMESPACE"),
    /** Slurm's srun: {@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code SLURM_JOB_ID}. */
    SLURM("Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_JOB_ID"),
    /** A Kubernetes indexed Job: {@code JOB_COMPLETION_INDEX}; the world size comes from INA's own setting. */
    KUBERNETES("a Kubernetes indexed Job", "JOB_COMPLETION_INDEX", null, null);

    /** torchrun's run id when none was given: not a job identity. */
    static final String TORCHRUN_NO_RUN_ID = "none";

    private static final int FNV_OFFSET_BASIS = 0x811C9DC5;
    private static final int FNV_PRIME = 0x01000193;

    final String title;
    final String rankVariable;
    final String worldVariable;
    final String jobVariable;

    Launcher(final String title, final String rankVariable, final String worldVariable, final String jobVariable)
    {
        this.title = title;
        this.rankVariable = rankVariable;
        this.worldVariable = worldVariable;
        this.jobVariable = jobVariable;
    }

    /**
     * The job id a launcher's job identity stands for, the same on every rank: the number itself when the
     * identity is a decimal number within [0, 2^31 - 1] (Slurm's job ids, Open MPI 4's PMIx namespaces), else the
     * 32-bit FNV-1a hash of its UTF-8 bytes with the sign bit cleared (torchrun's run ids, Open MPI 5's
     * namespaces). Different identities may map to one id: set {@code INA_JOB} to be sure.
     *
     * @param identity the launcher's job identity, trimmed, not empty.
     * @return a job id, at least 0.
     */
    static int jobId(final String identity)
    {
        if (identity.length() <= 10 && identity.chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            final long number = Long.parseLong(identity);
            if (number <= Integer.MAX_VALUE)
            {
                return (int)number;
            }
        }
        int hash = FNV_OFFSET_BASIS;
        for (final byte b : identity.getBytes(StandardCharsets.UTF_8))
        {
            hash ^= b & 0xFF;
            hash *= FNV_PRIME;
        }
        return hash & Integer.MAX_VALUE;
    }
}
