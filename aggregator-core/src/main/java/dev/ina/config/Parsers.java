package dev.ina.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Parsers and formats of setting values. A parser takes trimmed text and throws {@link IllegalArgumentException}
 * with a detail (or none) that {@link Setting#parse} prefixes with the source and the expected form.
 */
final class Parsers
{
    private static final double NS_PER_MS = 1e6;
    private static final long MIB = 1024L * 1024L;

    private Parsers()
    {
    }

    static Integer integer(final String text)
    {
        return Integer.parseInt(text);
    }

    static Boolean bool(final String text)
    {
        switch (text.toLowerCase(Locale.ROOT))
        {
            case "true":
            case "yes":
            case "1":
                return Boolean.TRUE;
            case "false":
            case "no":
            case "0":
                return Boolean.FALSE;
            default:
                throw new IllegalArgumentException((String)null);
        }
    }

    /**
     * Milliseconds, with an optional fraction, as nanoseconds.
     *
     * @param text e.g. {@code 2.5}.
     * @return nanoseconds.
     */
    static Long millisAsNanos(final String text)
    {
        final double ms = Double.parseDouble(text);
        if (!(ms >= 0.0d) || ms > Long.MAX_VALUE / NS_PER_MS)
        {
            throw new IllegalArgumentException((String)null);
        }
        return Math.round(ms * NS_PER_MS);
    }

    static Long mebibytes(final String text)
    {
        final long mib = Long.parseLong(text);
        if (mib < 0 || mib > Long.MAX_VALUE / MIB)
        {
            throw new IllegalArgumentException((String)null);
        }
        return mib * MIB;
    }

    static String host(final String text)
    {
        if (text.isEmpty() || text.indexOf(' ') >= 0)
        {
            throw new IllegalArgumentException((String)null);
        }
        return text;
    }

    /**
     * An enum constant by name, in any case.
     *
     * @param type the enum.
     * @param text the name.
     * @param <E>  the enum.
     * @return the constant.
     * @throws IllegalArgumentException listing the names.
     */
    static <E extends Enum<E>> E enumValue(final Class<E> type, final String text)
    {
        try
        {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("unknown " + type.getSimpleName() + " '" + text + "'; use one of " +
                Arrays.toString(type.getEnumConstants()), ex);
        }
    }

    static String names(final Class<? extends Enum<?>> type)
    {
        return Arrays.stream(type.getEnumConstants()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /**
     * A numeric range for messages.
     *
     * @param min smallest allowed.
     * @param max largest allowed; a type's maximum means no upper bound.
     * @return e.g. {@code " within [1, 64]"}, {@code " of at least 0"}, or empty for any value.
     */
    static String range(final long min, final long max)
    {
        final boolean unbounded = max == Integer.MAX_VALUE || max == Long.MAX_VALUE;
        if (unbounded)
        {
            return min == Integer.MIN_VALUE || min == Long.MIN_VALUE ? "" : " of at least " + min;
        }
        return " within [" + min + ", " + max + "]";
    }

    /**
     * Nanoseconds as milliseconds, without trailing zeros.
     *
     * @param ns nanoseconds.
     * @return e.g. {@code 0.1 ms} or {@code 30000 ms}.
     */
    static String millis(final long ns)
    {
        final String text = ns % 1_000_000L == 0 ? Long.toString(ns / 1_000_000L) :
            java.math.BigDecimal.valueOf(ns, 6).stripTrailingZeros().toPlainString();
        return text + " ms";
    }

    static String bytes(final long bytes)
    {
        if (bytes % MIB == 0)
        {
            return bytes / MIB + " MiB";
        }
        return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " bytes";
    }

    static boolean isPowerOfTwo(final long value)
    {
        return value > 0 && (value & (value - 1)) == 0;
    }
}
