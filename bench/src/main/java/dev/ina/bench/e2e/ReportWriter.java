package dev.ina.bench.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Writes the report as CSV, JSON and Markdown, rewriting every requested file after each case so that a run cut
 * short keeps what it measured.
 */
final class ReportWriter
{
    private final OutputOptions output;
    private final String machine;

    /**
     * Creates a writer.
     *
     * @param output where to write.
     */
    ReportWriter(final OutputOptions output)
    {
        this.output = output;
        this.machine = machineInfo();
    }

    /**
     * Rewrites every requested file with the rows so far.
     *
     * @param results rows.
     * @throws UncheckedIOException if a file cannot be written.
     */
    void write(final List<CaseResult> results)
    {
        try
        {
            if (output.csv != null)
            {
                Files.writeString(output.csv, csv(results));
            }
            if (output.json != null)
            {
                Files.writeString(output.json, json(results));
            }
            if (output.markdown != null)
            {
                Files.writeString(output.markdown, markdown(results));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the report: " + ex.getMessage(), ex);
        }
    }

    /**
     * The rows as CSV with the header line.
     *
     * @param results rows.
     * @return text.
     */
    static String csv(final List<CaseResult> results)
    {
        final StringBuilder sb = new StringBuilder(CaseResult.CSV_HEADER).append('\n');
        results.forEach(result -> sb.append(result.toCsv()).append('\n'));
        return sb.toString();
    }

    /**
     * Reads a CSV report.
     *
     * @param file written by {@link #csv(List)}.
     * @return rows.
     * @throws IOException if it cannot be read.
     * @throws IllegalArgumentException if it is not a report.
     */
    static List<CaseResult> readCsv(final Path file) throws IOException
    {
        final List<CaseResult> results = new ArrayList<>();
        try (Stream<String> lines = Files.lines(file))
        {
            final List<String> all = lines.toList();
            if (all.isEmpty() || !all.get(0).equals(CaseResult.CSV_HEADER))
            {
                throw new IllegalArgumentException(file + " is not a report: the header is missing");
            }
            for (final String line : all.subList(1, all.size()))
            {
                if (!line.isBlank())
                {
                    results.add(CaseResult.fromCsv(line));
                }
            }
        }
        return results;
    }

    /**
     * The rows as a JSON array of objects.
     *
     * @param results rows.
     * @return text.
     */
    static String json(final List<CaseResult> results)
    {
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < results.size(); i++)
        {
            sb.append(i == 0 ? "\n  " : ",\n  ").append(results.get(i).toJson());
        }
        return sb.append(results.isEmpty() ? "]\n" : "\n]\n").toString();
    }

    /**
     * The rows as a Markdown section: machine line, definitions and a table.
     *
     * @param results rows.
     * @return text.
     */
    String markdown(final List<CaseResult> results)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("### INA end-to-end all-reduce\n\n");
        sb.append("Machine: ").append(machine).append("\n\n");
        sb.append("Time per call on rank 0 after a barrier, float32 SUM. algbw = bytes / p50 time (GB = 1e9 bytes); ")
            .append("busbw = algbw * 2(n-1)/n (nccl-tests' all-reduce bus bandwidth). pkts/s: datagrams up and ")
            .append("down, all workers, per second of call time. CPU and retransmits per call (workers summed); ")
            .append("see bench/E2E.md for what the CPU columns include.\n\n");
        sb.append("| system | transport | workers | codec | mode | size | elements/packet | window | iterations ")
            .append("| p50 ms | p99 ms | mean ms | algbw GB/s | busbw GB/s | pkts/s | agg CPU s | worker CPU s ")
            .append("| retransmits |\n");
        sb.append("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final CaseResult result : results)
        {
            final String[] v = result.values();
            v[1] = v[1].replace("|", "\\|");
            v[5] = ByteSizes.format(result.bytes());
            for (int i = 0; i < v.length; i++)
            {
                sb.append("| ").append(v[i].isEmpty() ? "n/a" : v[i]).append(' ');
            }
            sb.append("|\n");
        }
        return sb.toString();
    }

    /**
     * One line about the machine: cores, CPU model, JDK, OS and the date.
     *
     * @return text.
     */
    static String machineInfo()
    {
        String cpu = "";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo")))
        {
            cpu = lines.filter(line -> line.startsWith("model name")).map(line -> line.replaceFirst(".*:\\s*", ""))
                .findFirst().map(name -> " (" + name + ")").orElse("");
        }
        catch (final IOException | UncheckedIOException ex)
        {
            // Not Linux: leave the CPU model out.
        }
        return String.format(Locale.ROOT, "%d cores%s, JDK %s (%s), %s %s %s, %s",
            Runtime.getRuntime().availableProcessors(), cpu, System.getProperty("java.runtime.version"),
            ManagementFactory.getRuntimeMXBean().getVmName(), System.getProperty("os.name"),
            System.getProperty("os.version"), System.getProperty("os.arch"),
            Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }
}
