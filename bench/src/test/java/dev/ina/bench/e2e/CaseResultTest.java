package dev.ina.bench.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaseResultTest
{
    private static final CaseResult ROW = new CaseResult("ina", "veth, 10 Gbit/s \"tbf\"", 4, "FIXED32", "EXACT",
        1L << 20, 16368, 8, 20, 1.5, 2.25, 1.625, 0.699, 1.048, 12345, Double.NaN, 0.0123, 0.5);

    @Test
    void shouldReadBackTheSameRowWhenWrittenAsCsv(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("report.csv");
        Files.writeString(file, ReportWriter.csv(List.of(ROW, ROW)));
        assertEquals(CaseResult.CSV_HEADER, Files.readAllLines(file).get(0));
        final List<CaseResult> rows = ReportWriter.readCsv(file);
        assertEquals(2, rows.size());
        assertEquals(ROW.transport(), rows.get(0).transport());
        assertEquals(ROW.toCsv(), rows.get(0).toCsv());
        assertTrue(Double.isNaN(rows.get(0).aggCpuS()));
    }

    @Test
    void shouldWriteNullAndEscapedTextWhenWrittenAsJson()
    {
        final String json = ROW.toJson();
        assertTrue(json.contains("\"transport\": \"veth, 10 Gbit/s \\\"tbf\\\"\""), json);
        assertTrue(json.contains("\"agg_cpu_s\": null"), json);
        assertTrue(json.contains("\"bytes\": 1048576"), json);
        for (final String key : CaseResult.KEYS)
        {
            assertTrue(json.contains("\"" + key + "\": "), key);
        }
    }

    @Test
    void shouldShowHumanSizesWhenWrittenAsMarkdown()
    {
        final OutputOptions output = new OutputOptions();
        final String markdown = new ReportWriter(output).markdown(List.of(ROW));
        assertTrue(markdown.contains("| 1 MiB |"), markdown);
        assertTrue(markdown.contains("algbw = bytes / p50 time (GB = 1e9 bytes)"), markdown);
        assertTrue(markdown.contains("| n/a |"), markdown);
    }
}
