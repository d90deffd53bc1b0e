package dev.ina.examples.train;

import dev.ina.api.Codec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest
{
    @TempDir
    Path dir;

    @Test
    void shouldWriteTableCsvAndPlotWhenGivenResults() throws IOException
    {
        final List<VariantResult> results = List.of(
            result(new Variant("FP32", Codec.FP32, false, false, 0, 0, 0), 0.80, 0.85),
            result(new Variant("FIXED32", Codec.FIXED32, false, false, 0, 0, 0), 0.79, 0.84));
        final String table = Report.markdown("title", results);
        assertTrue(table.contains("| FP32 | 85.00 % | +0.00 pp |"), table);
        assertTrue(table.contains("| FIXED32 | 84.00 % | -1.00 pp |"), table);
        assertTrue(table.contains("| 1.0 KiB + 2.0 KiB |"), table);

        final String csv = Report.csv(results);
        assertEquals(5, csv.split("\n").length, csv);
        assertTrue(csv.startsWith("variant,epoch,test_accuracy"), csv);
        assertEquals(0.84, EpochRecord.fromCsv(csv.split("\n")[4].substring("FIXED32,".length())).testAccuracy());

        final Path png = dir.resolve("plot.png");
        AccuracyPlot.write(png, "test plot", results);
        final BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(560, image.getHeight());
    }

    private static VariantResult result(final Variant variant, final double first, final double second)
    {
        final List<EpochRecord> rank0 = List.of(record(1, first, 1), record(2, second, 2));
        final List<EpochRecord> rank1 = List.of(record(1, Double.NaN, 1), record(2, Double.NaN, 2));
        return VariantResult.combine(variant, List.of(rank0, rank1), 1000);
    }

    private static EpochRecord record(final int epoch, final double accuracy, final long checksum)
    {
        return new EpochRecord(epoch, accuracy, 0.5, 1_000_000_000L, 10, 200_000_000L, 10 * 1024, 20 * 1024, 0, 0,
            0, 2, checksum);
    }
}
