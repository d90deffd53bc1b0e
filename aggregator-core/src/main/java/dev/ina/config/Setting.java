package dev.ina.config;

import dev.ina.transport.LossGenerator;

import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One setting, declared once: the accessor's name, the builder method that sets it, its environment variable and
 * system property, default, parser, check and how it prints. Immutable; the kind factories ({@link #integer},
 * {@link #duration}, ...) and the modifiers ({@link #check}, {@link #setBy}, ...) return new descriptors, and
 * {@link SettingList#add} gives each its index into a {@link SettingValues}.
 * <p>
 * The system property is the environment variable in lower case with dots for underscores
 * ({@code INA_JOIN_TIMEOUT_MS} is {@code -Dina.join.timeout.ms}).
 *
 * @param <T> the value's type (boxed for primitives).
 */
final class Setting<T>
{
    private static final long NS_PER_MS = 1_000_000L;

    final String name;
    final String method;
    final String envName;
    final String propName;
    final T defaultValue;
    final String expected;
    final Function<String, T> parser;
    final Predicate<T> check;
    final Function<T, String> format;
    final boolean nullable;
    final String unsetAdvice;
    final boolean omitUnset;
    final int index;

    private Setting(
        final String name,
        final String method,
        final String envName,
        final T defaultValue,
        final String expected,
        final Function<String, T> parser,
        final Predicate<T> check,
        final Function<T, String> format,
        final boolean nullable,
        final String unsetAdvice,
        final boolean omitUnset,
        final int index)
    {
        this.name = name;
        this.method = method;
        this.envName = envName;
        this.propName = envName == null ? null : envName.toLowerCase(Locale.ROOT).replace('_', '.');
        this.defaultValue = defaultValue;
        this.expected = expected;
        this.parser = parser;
        this.check = check;
        this.format = format;
        this.nullable = nullable;
        this.unsetAdvice = unsetAdvice;
        this.omitUnset = omitUnset;
        this.index = index;
    }

    /**
     * An int setting.
     *
     * @param name    accessor and builder method.
     * @param envName environment variable, or null if only code sets it.
     * @param value   default, or null if it must be set.
     * @param min     smallest allowed value.
     * @param max     largest allowed value.
     * @return the descriptor.
     */
    static Setting<Integer> integer(
        final String name, final String envName, final Integer value, final int min, final int max)
    {
        return new Setting<>(name, name, envName, value, "an integer" + Parsers.range(min, max),
            Parsers::integer, v -> v >= min && v <= max, String::valueOf, false, null, false, -1);
    }

    /**
     * A duration held in nanoseconds; its environment variable is in milliseconds (a fraction is allowed) and it
     * prints in milliseconds.
     *
     * @param name    accessor and builder method, ending in {@code Ns}.
     * @param envName environment variable ending in {@code _MS}, or null if only code sets it.
     * @param valueNs default.
     * @param minNs   shortest allowed.
     * @param maxNs   longest allowed.
     * @return the descriptor.
     */
    static Setting<Long> duration(
        final String name, final String envName, final long valueNs, final long minNs, final long maxNs)
    {
        final String expected = maxNs != Long.MAX_VALUE ?
            "a duration within [" + Parsers.millis(minNs) + ", " + Parsers.millis(maxNs) + "]" :
            minNs <= 1 ? "a positive duration" : "a duration of at least " + Parsers.millis(minNs);
        return new Setting<>(name, name, envName, valueNs, expected,
            Parsers::millisAsNanos, v -> v >= minNs && v <= maxNs, Parsers::millis, false, null, false, -1);
    }

    /**
     * A byte size; its environment variable is in MiB.
     *
     * @param name     accessor and builder method.
     * @param envName  environment variable ending in {@code _MIB}, or null if only code sets it.
     * @param value    default in bytes.
     * @param minBytes smallest allowed.
     * @return the descriptor.
     */
    static Setting<Long> bytes(final String name, final String envName, final long value, final long minBytes)
    {
        return new Setting<>(name, name, envName, value, "a size of at least " + Parsers.bytes(minBytes),
            Parsers::mebibytes, v -> v >= minBytes, Parsers::bytes, false, null, false, -1);
    }

    /**
     * A boolean setting; text may be {@code true/false}, {@code yes/no} or {@code 1/0}.
     *
     * @param name    accessor and builder method.
     * @param envName environment variable.
     * @return the descriptor, false by default.
     */
    static Setting<Boolean> bool(final String name, final String envName)
    {
        return new Setting<>(name, name, envName, Boolean.FALSE, "true or false (also yes/no, 1/0)",
            Parsers::bool, v -> true, String::valueOf, false, null, false, -1);
    }

    /**
     * An enum setting whose text is a constant's name in any case.
     *
     * @param name    accessor and builder method.
     * @param envName environment variable.
     * @param value   default.
     * @param <E>     the enum.
     * @return the descriptor.
     */
    static <E extends Enum<E>> Setting<E> enumeration(final String name, final String envName, final E value)
    {
        final Class<E> type = value.getDeclaringClass();
        return new Setting<>(name, name, envName, value, "one of " + Parsers.names(type) + " (any case)",
            text -> Parsers.enumValue(type, text), v -> true, Enum::name, false, null, false, -1);
    }

    /**
     * A host name or address.
     *
     * @param name    accessor and builder method.
     * @param envName environment variable.
     * @param value   default, or null for "any" (then {@link #optional()}).
     * @return the descriptor.
     */
    static Setting<String> host(final String name, final String envName, final String value)
    {
        return new Setting<>(name, name, envName, value, "a host name or address", Parsers::host,
            v -> !v.isBlank(), v -> v, false, null, false, -1);
    }

    /**
     * A file name, optional: unset by default, and then left out of {@code toString}.
     *
     * @param name    accessor and builder method.
     * @param envName environment variable.
     * @return the descriptor.
     */
    static Setting<String> file(final String name, final String envName)
    {
        return new Setting<>(name, name, envName, null, "a file name", text -> text, v -> !v.isBlank(),
            v -> v, true, null, true, -1);
    }

    /**
     * A secret, optional: its text never appears in {@code toString} or in a message (shown as {@code (hidden)}),
     * and it is left out of {@code toString} when unset. Any text parses; its length is checked by the owner.
     *
     * @param name    accessor and builder method.
     * @param envName environment variable.
     * @return the descriptor.
     */
    static Setting<String> secret(final String name, final String envName)
    {
        return new Setting<>(name, name, envName, null, "a secret of at least 16 bytes", text -> text,
            v -> !v.isBlank(), v -> "(hidden)", true, null, true, -1);
    }

    /**
     * The aggregator's address.
     *
     * @param name    accessor and builder method.
     * @param envName environment variable.
     * @param value   default.
     * @return the descriptor.
     */
    static Setting<HostPort> hostPort(final String name, final String envName, final HostPort value)
    {
        return new Setting<>(name, name, envName, value, HostPort.EXPECTED, HostPort::parse,
            v -> !v.host().isBlank() && v.port() >= 1 && v.port() <= 65535, HostPort::toString, false, null, false,
            -1);
    }

    /**
     * A setting only code sets (no environment variable), such as a test hook.
     *
     * @param name     accessor.
     * @param value    default.
     * @param expected what a value must be, for messages.
     * @param format   how it prints, null to leave it out of {@code toString}.
     * @param <V>      the value's type.
     * @return the descriptor.
     */
    static <V> Setting<V> codeOnly(
        final String name, final V value, final String expected, final Function<V, String> format)
    {
        return new Setting<>(name, name, null, value, expected, null, v -> true, format, false, null, false, -1);
    }

    /**
     * A test hook that drops datagrams, set by {@code loss(..)}; {@code toString} shows it only when it is on.
     *
     * @param name accessor.
     * @return the descriptor, {@link LossGenerator#NONE} by default.
     */
    static Setting<LossGenerator> lossHook(final String name)
    {
        return Setting.<LossGenerator>codeOnly(name, LossGenerator.NONE, "a loss generator",
            loss -> loss == LossGenerator.NONE ? null : "on").setBy("loss");
    }

    /**
     * The same setting with a further check.
     *
     * @param expected what a value must be, replacing the kind's phrase, e.g. {@code "a power of two"}.
     * @param rule     true when a value is allowed.
     * @return a new descriptor.
     */
    Setting<T> check(final String expected, final Predicate<T> rule)
    {
        return new Setting<>(name, method, envName, defaultValue, expected, parser, check.and(rule), format,
            nullable, unsetAdvice, omitUnset, index);
    }

    /**
     * The same setting, printed another way by {@code toString}.
     *
     * @param display the value as text.
     * @return a new descriptor.
     */
    Setting<T> shownAs(final Function<T, String> display)
    {
        return new Setting<>(name, method, envName, defaultValue, expected, parser, check, display, nullable,
            unsetAdvice, omitUnset, index);
    }

    /**
     * The same setting, set in code by a builder method of another name (one that sets several settings).
     *
     * @param builderMethod the method's name.
     * @return a new descriptor.
     */
    Setting<T> setBy(final String builderMethod)
    {
        return new Setting<>(name, builderMethod, envName, defaultValue, expected, parser, check, format, nullable,
            unsetAdvice, omitUnset, index);
    }

    /**
     * The same setting, allowed to be null (a null default is then a value, not "not set").
     *
     * @return a new descriptor.
     */
    Setting<T> optional()
    {
        return new Setting<>(name, method, envName, defaultValue, expected, parser, check, format, true,
            unsetAdvice, omitUnset, index);
    }

    /**
     * The same setting, with advice for when it is not set (it has no default).
     *
     * @param advice e.g. {@code "or start the workers with a launcher"}.
     * @return a new descriptor.
     */
    Setting<T> whenUnset(final String advice)
    {
        return new Setting<>(name, method, envName, defaultValue, expected, parser, check, format, nullable, advice,
            omitUnset, index);
    }

    Setting<T> withIndex(final int newIndex)
    {
        return new Setting<>(name, method, envName, defaultValue, expected, parser, check, format, nullable,
            unsetAdvice, omitUnset, newIndex);
    }

    /**
     * Parses text, trimmed, from the given source.
     *
     * @param text   the text.
     * @param source where it came from, e.g. {@code INA_AGGREGATOR} or {@code aggregator(..)}.
     * @return the value.
     * @throws IllegalArgumentException naming the source and saying what the text must be.
     */
    T parse(final String text, final String source)
    {
        try
        {
            return parser.apply(text.trim());
        }
        catch (final IllegalArgumentException ex)
        {
            final String detail = ex instanceof NumberFormatException ? null : ex.getMessage();
            throw new IllegalArgumentException(source + " must be " + expected + ", got '" + text + "'" +
                (detail == null ? "" : ": " + detail), ex);
        }
    }

    /**
     * Whether a value passes this setting's own check (not those that compare it with other settings).
     *
     * @param value the value, not null.
     * @return true if allowed.
     */
    boolean accepts(final T value)
    {
        return check.test(value);
    }

    /**
     * The value as {@code toString} prints it, e.g. {@code 30000 ms}.
     *
     * @param value the value.
     * @return text, or null to leave the setting out.
     */
    String display(final T value)
    {
        if (value == null)
        {
            return omitUnset ? null : "any";
        }
        return format == null ? null : format.apply(value);
    }

    /**
     * The name {@code toString} prints: the accessor's, without the {@code Ns} of durations.
     *
     * @return label.
     */
    String label()
    {
        return name.endsWith("Ns") ? name.substring(0, name.length() - 2) : name;
    }

    /**
     * The builder method as messages name it.
     *
     * @return e.g. {@code window(..)}.
     */
    String codeSource()
    {
        return method + "(..)";
    }

    /**
     * Every way to set this setting, for messages.
     *
     * @return e.g. {@code window(..), INA_WINDOW or -Dina.window}.
     */
    String howToSet()
    {
        return envName == null ? codeSource() : codeSource() + ", " + envName + " or -D" + propName;
    }

    /**
     * Milliseconds as nanoseconds, for declarations.
     *
     * @param ms milliseconds.
     * @return nanoseconds.
     */
    static long ms(final long ms)
    {
        return ms * NS_PER_MS;
    }

    @Override
    public String toString()
    {
        return name;
    }
}
