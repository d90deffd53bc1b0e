package dev.ina.bench.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@code ina-bench run} on loopback, with worker threads and with worker processes, and checks the report.
 */
class BenchMainSystemTest
{
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldReportEveryCaseWhenRunWithThreads(@TempDir final Path dir) throws Exception
    {
        final Path csv = dir.resolve("report.csv");
        final Path json = dir.resolve("report.json");
        final Path markdown = dir.resolve("report.md");
        assertEquals(0, BenchMain.execute("run", "--workers", "2", "--sizes", "4KiB,256KiB", "--iterations", "3",
            "--warmup", "1", "--group-warmup-seconds", "0.2", "--first-warmup-seconds", "0",
            "--csv", csv.toString(), "--json", json.toString(), "--markdown", markdown.toString()));

        final List<String> lines = Files.readAllLines(csv);
        assertEquals("system,transport,workers,codec,mode,bytes,elements_per_packet,window,iterations,p50_ms,p99_ms," +
            "mean_ms,algbw_GBps,busbw_GBps,pkts_per_s,agg_cpu_s,worker_cpu_s,retransmits", lines.get(0));
        final List<CaseResult> rows = ReportWriter.readCsv(csv);
        assertEquals(4, rows.size(), lines::toString);
        assertEquals(List.of("FP32", "FP32", "FIXED32", "FIXED32"), rows.stream().map(CaseResult::codec).toList());
        assertEquals(List.of(4096L, 262144L, 4096L, 262144L), rows.stream().map(CaseResult::bytes).toList());
        for (final CaseResult row : rows)
        {
            assertPlausible(row, 2);
            assertFalse(Double.isNaN(row.aggCpuS()), row::toCsv);
        }
        final String jsonText = Files.readString(json);
        assertTrue(jsonText.startsWith("[") && jsonText.trim().endsWith("]"), jsonText);
        assertEquals(4, jsonText.split("\"system\": \"ina\"").length - 1, jsonText);
        assertTrue(Files.readString(markdown).contains("| 256 KiB |"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldReportAggregatorCpuWhenRunWithProcesses(@TempDir final Path dir) throws Exception
    {
        final Path csv = dir.resolve("report.csv");
        assertEquals(0, BenchMain.execute("run", "--processes", "--workers", "2", "--sizes", "64KiB",
            "--codecs", "FIXED32", "--iterations", "3", "--warmup", "1", "--group-warmup-seconds", "0.2",
            "--first-warmup-seconds", "0",
            "--label", "loopback, processes",
            "--csv", csv.toString()));
        final List<CaseResult> rows = ReportWriter.readCsv(csv);
        assertEquals(1, rows.size());
        assertPlausible(rows.get(0), 2);
        assertEquals("loopback, processes", rows.get(0).transport());
        assertFalse(Double.isNaN(rows.get(0).aggCpuS()), rows.get(0)::toCsv);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCheckEveryResultWhenNarrowCodecsRunInBothModes(@TempDir final Path dir) throws Exception
    {
        final Path csv = dir.resolve("report.csv");
        assertEquals(0, BenchMain.execute("run", "--workers", "3", "--sizes", "64KiB", "--codecs",
            "INT8,INT16,INT8_NARROW", "--modes", "EXACT,BOUNDED", "--iterations", "3", "--warmup", "1",
            "--group-warmup-seconds", "0.1", "--first-warmup-seconds", "0",
            "--csv", csv.toString()));
        final List<CaseResult> rows = ReportWriter.readCsv(csv);
        assertEquals(List.of("INT8 EXACT", "INT8 BOUNDED", "INT16 EXACT", "INT16 BOUNDED", "INT8_NARROW EXACT",
            "INT8_NARROW BOUNDED"), rows.stream().map(row -> row.codec() + " " + row.mode()).toList());
        // INT8 results of 3 ranks fit int16: half the bytes of an INT16 or FP32 packet each way at most.
        assertTrue(rows.get(0).elementsPerPacket() > rows.get(2).elementsPerPacket(), rows::toString);
        // INT8_NARROW results are int8 too: twice INT8's elements fit a datagram.
        assertTrue(rows.get(4).elementsPerPacket() > rows.get(0).elementsPerPacket(), rows::toString);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldStopWithCodeThreeWhenMaxSecondsPass(@TempDir final Path dir) throws Exception
    {
        final Path csv = dir.resolve("report.csv");
        assertEquals(RankRunner.STOPPED, BenchMain.execute("run", "--workers", "2", "--sizes", "4KiB",
            "--max-seconds", "0.001", "--csv", csv.toString()));
        assertFalse(Files.exists(csv));
    }

    @Test
    void shouldExitWithUsageCodeWhenAnOptionIsBad()
    {
        assertEquals(2, BenchMain.execute("run", "--sizes", "3KiB+1"));
        assertEquals(2, BenchMain.execute("run", "--window", "6"));
        assertEquals(2, BenchMain.execute("run", "--modes", "BOUNDED,FAST"));
        assertEquals(2, BenchMain.execute("worker", "--rank", "0"));
    }

    private static void assertPlausible(final CaseResult row, final int workers)
    {
        assertEquals("ina", row.system(), row::toCsv);
        assertEquals(workers, row.workers());
        assertEquals(3, row.iterations());
        assertEquals(8, row.window());
        assertTrue(row.elementsPerPacket() > 16_000, row::toCsv);
        assertTrue(row.p50Ms() > 0 && row.p50Ms() < 10_000, row::toCsv);
        assertTrue(row.p99Ms() >= row.p50Ms() && row.meanMs() > 0, row::toCsv);
        assertEquals(row.bytes() / (row.p50Ms() / 1e3) / 1e9, row.algbwGBps(), 1e-3 + row.algbwGBps() * 1e-3);
        assertEquals(row.algbwGBps() * 2 * (workers - 1) / workers, row.busbwGBps(), 1e-3);
        // Each worker sends at least one datagram and receives one per call.
        assertTrue(row.pktsPerS() >= 2.0 * workers / (row.meanMs() / 1e3) * 0.99, row::toCsv);
        assertTrue(row.workerCpuS() > 0 && row.workerCpuS() < 10, row::toCsv);
        assertTrue(Double.isNaN(row.aggCpuS()) || row.aggCpuS() >= 0, row::toCsv);
        assertTrue(row.retransmits() >= 0, row::toCsv);
    }
}
