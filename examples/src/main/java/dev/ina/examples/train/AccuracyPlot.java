package dev.ina.examples.train;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Draws test accuracy per epoch of every variant as a line chart (PNG, Java2D, headless): axes with ticks, a
 * light grid, one coloured line with markers per variant, a legend and a title.
 */
final class AccuracyPlot
{
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 60;
    private static final int BOTTOM = 70;
    private static final Color[] COLOURS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    private AccuracyPlot()
    {
    }

    /**
     * Writes the chart.
     *
     * @param file    PNG to write.
     * @param title   chart title.
     * @param results one line per variant.
     * @throws IOException if the file cannot be written.
     */
    static void write(final Path file, final String title, final List<VariantResult> results) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        final BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        try
        {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            final Axis x = new Axis(1, epochs(results), LEFT, WIDTH - RIGHT, true);
            final double[] range = accuracyRange(results);
            final Axis y = new Axis(range[0], range[1], HEIGHT - BOTTOM, TOP, false);
            drawAxes(g, x, y);
            for (int i = 0; i < results.size(); i++)
            {
                drawLine(g, x, y, results.get(i), i);
            }
            drawLegend(g, results);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            final FontMetrics metrics = g.getFontMetrics();
            g.drawString(title, (WIDTH - metrics.stringWidth(title)) / 2, TOP / 2 + 5);
        }
        finally
        {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", file.toFile()))
        {
            throw new IOException("no PNG writer available");
        }
    }

    private static int epochs(final List<VariantResult> results)
    {
        int epochs = 1;
        for (final VariantResult result : results)
        {
            epochs = Math.max(epochs, result.epochs().size());
        }
        return Math.max(epochs, 2);
    }

    /** Accuracy range in percent, padded and rounded to whole percent. */
    private static double[] accuracyRange(final List<VariantResult> results)
    {
        double min = 100;
        double max = 0;
        for (final VariantResult result : results)
        {
            for (final EpochRecord record : result.epochs())
            {
                min = Math.min(min, 100 * record.testAccuracy());
                max = Math.max(max, 100 * record.testAccuracy());
            }
        }
        if (min > max)
        {
            return new double[] {0, 100};
        }
        final double low = Math.max(0, Math.floor(min - 1));
        final double high = Math.min(100, Math.ceil(max + 1));
        return new double[] {low, Math.max(high, low + 2)};
    }

    private static void drawAxes(final Graphics2D g, final Axis x, final Axis y)
    {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        final FontMetrics metrics = g.getFontMetrics();
        final double xStep = Math.max(1, Math.ceil((x.max - x.min) / 10));
        for (double v = x.min; v <= x.max + 1e-9; v += xStep)
        {
            final int px = x.pixel(v);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(px, y.pixel(y.max), px, y.pixel(y.min));
            g.setColor(Color.BLACK);
            g.drawLine(px, y.pixel(y.min), px, y.pixel(y.min) + 5);
            final String label = String.format(Locale.ROOT, "%.0f", v);
            g.drawString(label, px - metrics.stringWidth(label) / 2, y.pixel(y.min) + 20);
        }
        final double yStep = niceStep((y.max - y.min) / 8);
        for (double v = Math.ceil(y.min / yStep) * yStep; v <= y.max + 1e-9; v += yStep)
        {
            final int py = y.pixel(v);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(x.pixel(x.min), py, x.pixel(x.max), py);
            g.setColor(Color.BLACK);
            g.drawLine(x.pixel(x.min) - 5, py, x.pixel(x.min), py);
            final String label = String.format(Locale.ROOT, yStep < 1 ? "%.1f" : "%.0f", v);
            g.drawString(label, x.pixel(x.min) - 8 - metrics.stringWidth(label), py + 4);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.5f));
        g.drawLine(x.pixel(x.min), y.pixel(y.min), x.pixel(x.max), y.pixel(y.min));
        g.drawLine(x.pixel(x.min), y.pixel(y.min), x.pixel(x.min), y.pixel(y.max));
        final String xLabel = "epoch";
        g.drawString(xLabel, (x.pixel(x.min) + x.pixel(x.max) - metrics.stringWidth(xLabel)) / 2, HEIGHT - 25);
        final String yLabel = "test accuracy (%)";
        final Graphics2D rotated = (Graphics2D)g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(y.pixel(y.min) + y.pixel(y.max) + metrics.stringWidth(yLabel)) / 2, 25);
        rotated.dispose();
    }

    private static double niceStep(final double raw)
    {
        final double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        final double fraction = raw / magnitude;
        final double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    private static void drawLine(
        final Graphics2D g, final Axis x, final Axis y, final VariantResult result, final int index)
    {
        final Color colour = COLOURS[index % COLOURS.length];
        g.setColor(colour);
        g.setStroke(stroke(index));
        final Path2D.Double path = new Path2D.Double();
        final List<EpochRecord> epochs = result.epochs();
        for (int i = 0; i < epochs.size(); i++)
        {
            final double px = x.exact(epochs.get(i).epoch());
            final double py = y.exact(100 * epochs.get(i).testAccuracy());
            if (i == 0)
            {
                path.moveTo(px, py);
            }
            else
            {
                path.lineTo(px, py);
            }
            g.fillOval((int)Math.round(px) - 3, (int)Math.round(py) - 3, 7, 7);
        }
        g.draw(path);
    }

    private static void drawLegend(final Graphics2D g, final List<VariantResult> results)
    {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        final FontMetrics metrics = g.getFontMetrics();
        int width = 0;
        for (final VariantResult result : results)
        {
            width = Math.max(width, metrics.stringWidth(label(result)));
        }
        final int lineHeight = metrics.getHeight() + 2;
        final int boxWidth = width + 45;
        final int boxHeight = lineHeight * results.size() + 10;
        final int left = WIDTH - RIGHT - boxWidth - 10;
        final int top = HEIGHT - BOTTOM - boxHeight - 10;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(left, top, boxWidth, boxHeight);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1.0f));
        g.drawRect(left, top, boxWidth, boxHeight);
        for (int i = 0; i < results.size(); i++)
        {
            final int baseline = top + 5 + lineHeight * (i + 1) - 4;
            g.setColor(COLOURS[i % COLOURS.length]);
            g.setStroke(stroke(i));
            g.drawLine(left + 8, baseline - 4, left + 30, baseline - 4);
            g.setColor(Color.BLACK);
            g.drawString(label(results.get(i)), left + 36, baseline);
        }
    }

    /** Solid, then dashed patterns, so that lines that coincide stay visible. */
    private static BasicStroke stroke(final int index)
    {
        final float[][] dashes = {null, {8, 5}, {2, 4}, {10, 4, 2, 4}};
        final float[] dash = dashes[index % dashes.length];
        return dash == null ? new BasicStroke(2.0f) :
            new BasicStroke(2.0f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10.0f, dash, 0.0f);
    }

    private static String label(final VariantResult result)
    {
        return String.format(Locale.ROOT, "%s (%.2f %%)", result.variant().name(), 100 * result.last().testAccuracy());
    }

    /** Linear map from data values to pixels. */
    private static final class Axis
    {
        private final double min;
        private final double max;
        private final int from;
        private final int to;

        Axis(final double min, final double max, final int from, final int to, final boolean integral)
        {
            this.min = min;
            this.max = integral ? Math.ceil(max) : max;
            this.from = from;
            this.to = to;
        }

        double exact(final double value)
        {
            return from + (value - min) / (max - min) * (to - from);
        }

        int pixel(final double value)
        {
            return (int)Math.round(exact(value));
        }
    }
}
