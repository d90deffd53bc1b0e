/*
 * MPI all-reduce benchmark, the peer INA is compared with (bench/peers/run-mpi.sh builds and runs it).
 *
 *   mpi_allreduce SYSTEM LABEL ITERATIONS MIN_ITERATIONS WARMUP MAX_SECONDS SIZE_BYTES...
 *
 * Per size: a float buffer of SIZE_BYTES / 4 elements, WARMUP untimed calls, a checked call (every element must be
 * the world size), then timed MPI_Allreduce(MPI_IN_PLACE, MPI_FLOAT, MPI_SUM) calls, each after an untimed
 * MPI_Barrier. The checked call sets how many timed calls fit in MAX_SECONDS (between MIN_ITERATIONS and
 * ITERATIONS). Rank 0 prints one CSV row per size on stdout, in ina-bench's column order: p50/p99/mean of its call
 * time, algbw = bytes / p50 (GB = 1e9 bytes), busbw = algbw * 2(n-1)/n, and worker_cpu_s = getrusage CPU seconds
 * spent inside the timed calls, summed over all ranks, per call (Open MPI polls while it waits, so this counts
 * busy waiting too).
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

static double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
        (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a;
    const double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of an ascending array. */
static double percentile(const double *sorted, int n, double pct)
{
    int index = (int)ceil(pct / 100.0 * n) - 1;
    if (index < 0)
    {
        index = 0;
    }
    if (index > n - 1)
    {
        index = n - 1;
    }
    return sorted[index];
}

static void fill(float *buffer, long count)
{
    for (long i = 0; i < count; i++)
    {
        buffer[i] = 1.0f;
    }
}

static int run_case(const char *system, const char *label, int iterations, int min_iterations, int warmup,
    double max_seconds, long bytes, int rank, int world)
{
    const long count = bytes / 4;
    float *buffer = malloc((size_t)count * sizeof(float));
    double *times = malloc((size_t)iterations * sizeof(double));
    if (buffer == NULL || times == NULL)
    {
        fprintf(stderr, "mpi_allreduce: out of memory for %ld bytes\n", bytes);
        return 1;
    }
    for (int i = 0; i < warmup; i++)
    {
        fill(buffer, count);
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    fill(buffer, count);
    MPI_Barrier(MPI_COMM_WORLD);
    const double probe0 = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    const double probe = MPI_Wtime() - probe0;
    if (buffer[0] != (float)world || buffer[count - 1] != (float)world)
    {
        fprintf(stderr, "mpi_allreduce: wrong sum %f, %f (expected %d)\n", buffer[0], buffer[count - 1], world);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    int planned = iterations;
    if (rank == 0)
    {
        const double fit = max_seconds / (probe > 1e-6 ? probe : 1e-6);
        planned = fit < iterations ? (int)fit : iterations;
        planned = planned < min_iterations ? min_iterations : planned;
        planned = planned > iterations ? iterations : planned;
    }
    MPI_Bcast(&planned, 1, MPI_INT, 0, MPI_COMM_WORLD);
    double cpu = 0.0;
    for (int i = 0; i < planned; i++)
    {
        fill(buffer, count);
        MPI_Barrier(MPI_COMM_WORLD);
        const double cpu0 = cpu_seconds();
        const double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        times[i] = MPI_Wtime() - t0;
        cpu += cpu_seconds() - cpu0;
    }
    double cpu_per_call = cpu / planned;
    double cpu_sum = 0.0;
    MPI_Reduce(&cpu_per_call, &cpu_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
    {
        qsort(times, (size_t)planned, sizeof(double), compare_doubles);
        double total = 0.0;
        for (int i = 0; i < planned; i++)
        {
            total += times[i];
        }
        const double p50 = percentile(times, planned, 50) * 1e3;
        const double p99 = percentile(times, planned, 99) * 1e3;
        const double mean = total / planned * 1e3;
        const double algbw = bytes / (p50 / 1e3) / 1e9;
        const double busbw = algbw * 2.0 * (world - 1) / world;
        printf("%s,%s,%d,FP32,EXACT,%ld,0,0,%d,%.4f,%.4f,%.4f,%.4f,%.4f,,,%.6f,0\n", system, label, world, bytes,
            planned, p50, p99, mean, algbw, busbw, cpu_sum);
        fflush(stdout);
        fprintf(stderr, "[%s] %d workers %ld B: p50 %.3f ms p99 %.3f ms algbw %.3f GB/s (%d iterations)\n", system,
            world, bytes, p50, p99, algbw, planned);
    }
    free(times);
    free(buffer);
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0;
    int world = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    if (argc < 8)
    {
        if (rank == 0)
        {
            fprintf(stderr,
                "usage: mpi_allreduce SYSTEM LABEL ITERATIONS MIN_ITERATIONS WARMUP MAX_SECONDS SIZE_BYTES...\n");
        }
        MPI_Finalize();
        return 2;
    }
    const char *system = argv[1];
    const char *label = argv[2];
    const int iterations = atoi(argv[3]);
    const int min_iterations = atoi(argv[4]);
    const int warmup = atoi(argv[5]);
    const double max_seconds = atof(argv[6]);
    int status = 0;
    for (int i = 7; i < argc && status == 0; i++)
    {
        const long bytes = atol(argv[i]);
        if (bytes <= 0 || bytes % 4 != 0 || bytes / 4 > 2147483647L || iterations < 1 || min_iterations < 1)
        {
            if (rank == 0)
            {
                fprintf(stderr, "mpi_allreduce: bad size %s or iterations\n", argv[i]);
            }
            status = 2;
            break;
        }
        status = run_case(system, label, iterations, min_iterations, warmup, max_seconds, bytes, rank, world);
    }
    MPI_Finalize();
    return status;
}
