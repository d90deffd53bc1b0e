package dev.ina.djl.example;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;

/**
 * What one rank reports at the end of a run; written by the worker, read by the launcher (a properties file).
 *
 * @param rank             the rank.
 * @param steps            steps taken.
 * @param trainSeconds     time in {@code EasyTrain.fit}, evaluation excluded.
 * @param allReduceSeconds time in gradient synchronisation.
 * @param bytesUp          UDP payload bytes sent.
 * @param bytesDown        UDP payload bytes received.
 * @param retransmits      datagrams sent again.
 * @param gradientElements elements all-reduced per step.
 * @param zeroCopy         whether the gradients were all-reduced in place.
 * @param trainLoss        mean training loss of each epoch.
 * @param testAccuracy     test accuracy after each epoch, 0-1.
 * @param parameterHash    CRC-32 of the final parameters' bits (equal on every rank when ranks agree).
 */
record RankReport(
    int rank,
    long steps,
    double trainSeconds,
    double allReduceSeconds,
    long bytesUp,
    long bytesDown,
    long retransmits,
    int gradientElements,
    boolean zeroCopy,
    double[] trainLoss,
    double[] testAccuracy,
    long parameterHash)
{
    void write(final Path file) throws IOException
    {
        final Properties properties = new Properties();
        properties.setProperty("rank", Integer.toString(rank));
        properties.setProperty("steps", Long.toString(steps));
        properties.setProperty("trainSeconds", Double.toString(trainSeconds));
        properties.setProperty("allReduceSeconds", Double.toString(allReduceSeconds));
        properties.setProperty("bytesUp", Long.toString(bytesUp));
        properties.setProperty("bytesDown", Long.toString(bytesDown));
        properties.setProperty("retransmits", Long.toString(retransmits));
        properties.setProperty("gradientElements", Integer.toString(gradientElements));
        properties.setProperty("zeroCopy", Boolean.toString(zeroCopy));
        properties.setProperty("trainLoss", join(trainLoss));
        properties.setProperty("testAccuracy", join(testAccuracy));
        properties.setProperty("parameterHash", Long.toString(parameterHash));
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))
        {
            properties.store(out, "ina-djl rank report");
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static RankReport read(final Path file) throws IOException
    {
        final Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            p.load(in);
        }
        return new RankReport(
            Integer.parseInt(p.getProperty("rank")),
            Long.parseLong(p.getProperty("steps")),
            Double.parseDouble(p.getProperty("trainSeconds")),
            Double.parseDouble(p.getProperty("allReduceSeconds")),
            Long.parseLong(p.getProperty("bytesUp")),
            Long.parseLong(p.getProperty("bytesDown")),
            Long.parseLong(p.getProperty("retransmits")),
            Integer.parseInt(p.getProperty("gradientElements")),
            Boolean.parseBoolean(p.getProperty("zeroCopy")),
            split(p.getProperty("trainLoss")),
            split(p.getProperty("testAccuracy")),
            Long.parseLong(p.getProperty("parameterHash")));
    }

    private static String join(final double[] values)
    {
        final StringBuilder text = new StringBuilder();
        for (final double value : values)
        {
            text.append(text.length() == 0 ? "" : ",").append(value);
        }
        return text.toString();
    }

    private static double[] split(final String text)
    {
        return text.isEmpty() ? new double[0] : Arrays.stream(text.split(",")).mapToDouble(Double::parseDouble)
            .toArray();
    }
}
