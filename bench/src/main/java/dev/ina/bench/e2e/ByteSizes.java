package dev.ina.bench.e2e;

import picocli.CommandLine.ITypeConverter;

import java.util.Locale;

/**
 * Tensor sizes in bytes of float32: parsed from {@code 4096}, {@code 4KiB}, {@code 1MiB}, {@code 1GiB} (binary
 * units; {@code K}, {@code M}, {@code G} mean the same) and printed back the same way.
 */
final class ByteSizes implements ITypeConverter<Long>
{
    /** Largest tensor the benchmark accepts. */
    static final long MAX_BYTES = 256L * 1024 * 1024;

    @Override
    public Long convert(final String value)
    {
        return parse(value);
    }

    /**
     * Parses a size.
     *
     * @param text e.g. {@code 64KiB}.
     * @return bytes, a positive multiple of 4 up to {@link #MAX_BYTES}.
     * @throws IllegalArgumentException saying what is wrong.
     */
    static long parse(final String text)
    {
        final String s = text.trim().toUpperCase(Locale.ROOT);
        int end = s.length();
        while (end > 0 && !Character.isDigit(s.charAt(end - 1)))
        {
            end--;
        }
        final String unit = s.substring(end).trim();
        final long multiplier;
        switch (unit)
        {
            case "":
            case "B":
                multiplier = 1;
                break;
            case "K":
            case "KB":
            case "KIB":
                multiplier = 1024;
                break;
            case "M":
            case "MB":
            case "MIB":
                multiplier = 1024 * 1024;
                break;
            case "G":
            case "GB":
            case "GIB":
                multiplier = 1024 * 1024 * 1024;
                break;
            default:
                throw new IllegalArgumentException("unknown unit in size '" + text + "': use B, KiB, MiB or GiB");
        }
        final long number;
        try
        {
            number = Long.parseLong(s.substring(0, end).trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("not a size: '" + text + "' (e.g. 4096, 64KiB, 16MiB)", ex);
        }
        if (number <= 0 || number > MAX_BYTES / multiplier)
        {
            throw new IllegalArgumentException("size '" + text + "' must be within [4 B, 256 MiB]");
        }
        final long bytes = number * multiplier;
        if (bytes % Float.BYTES != 0)
        {
            throw new IllegalArgumentException("size '" + text + "' must be a multiple of 4 bytes (float32)");
        }
        return bytes;
    }

    /**
     * Formats a size with the largest binary unit that divides it, else with one decimal.
     *
     * @param bytes size.
     * @return e.g. {@code 64 KiB}, {@code 1.5 MiB}, {@code 100 B}.
     */
    static String format(final long bytes)
    {
        final String[] units = {"GiB", "MiB", "KiB"};
        final long[] scales = {1L << 30, 1L << 20, 1L << 10};
        for (int i = 0; i < units.length; i++)
        {
            if (bytes >= scales[i])
            {
                return bytes % scales[i] == 0 ?
                    bytes / scales[i] + " " + units[i] :
                    String.format(Locale.ROOT, "%.1f %s", bytes / (double)scales[i], units[i]);
            }
        }
        return bytes + " B";
    }

    /**
     * Formats a size for a command line, e.g. {@code 64KiB}.
     *
     * @param bytes size.
     * @return text that {@link #parse(String)} reads back exactly.
     */
    static String toArg(final long bytes)
    {
        final String[] units = {"GiB", "MiB", "KiB"};
        final long[] scales = {1L << 30, 1L << 20, 1L << 10};
        for (int i = 0; i < units.length; i++)
        {
            if (bytes >= scales[i] && bytes % scales[i] == 0)
            {
                return bytes / scales[i] + units[i];
            }
        }
        return Long.toString(bytes);
    }
}
