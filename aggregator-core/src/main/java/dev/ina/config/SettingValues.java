package dev.ina.config;

import java.util.StringJoiner;

/**
 * A value for every setting of a {@link SettingList}, and where each came from: the builder and the immutable
 * configuration share this holder (the builder mutates its own, {@code build()} freezes a checked copy). The
 * source names what to change in a message: an environment variable ({@code INA_RANK}), a system property
 * ({@code -Dina.rank}), a launcher's variable ({@code OMPI_COMM_WORLD_RANK}), a builder method
 * ({@code rank(..)}), or null for the default. Not thread safe while it is a builder's.
 */
final class SettingValues
{
    private final SettingList list;
    private final Object[] values;
    private final String[] sources;

    SettingValues(final SettingList list)
    {
        this.list = list;
        values = new Object[list.size()];
        sources = new String[list.size()];
        for (final Setting<?> setting : list.settings())
        {
            values[setting.index] = setting.defaultValue;
        }
    }

    private SettingValues(final SettingValues other)
    {
        list = other.list;
        values = other.values.clone();
        sources = other.sources.clone();
    }

    /**
     * A setting's value.
     *
     * @param setting one of this list's settings.
     * @param <T>     its type.
     * @return the value.
     */
    @SuppressWarnings("unchecked") // set() only stores a T at setting.index
    <T> T get(final Setting<T> setting)
    {
        return (T)values[setting.index];
    }

    /**
     * Sets a value.
     *
     * @param setting one of this list's settings.
     * @param value   the value.
     * @param source  where it came from, null for the default.
     * @param <T>     its type.
     */
    <T> void set(final Setting<T> setting, final T value, final String source)
    {
        values[setting.index] = value;
        sources[setting.index] = source;
    }

    /**
     * Sets a value from code, through the setting's builder method.
     *
     * @param setting one of this list's settings.
     * @param value   the value.
     * @param <T>     its type.
     */
    <T> void setFromCode(final Setting<T> setting, final T value)
    {
        set(setting, value, setting.codeSource());
    }

    /**
     * Where a value came from.
     *
     * @param setting one of this list's settings.
     * @return the variable, property or builder method; null for the default.
     */
    String source(final Setting<?> setting)
    {
        return sources[setting.index];
    }

    boolean isSet(final Setting<?> setting)
    {
        return sources[setting.index] != null;
    }

    SettingValues copy()
    {
        return new SettingValues(this);
    }

    /**
     * Runs every setting's own check.
     *
     * @throws IllegalArgumentException for the first value that fails, naming its source and what it must be.
     */
    void checkEach()
    {
        for (final Setting<?> setting : list.settings())
        {
            check(setting);
        }
    }

    private <T> void check(final Setting<T> setting)
    {
        final T value = get(setting);
        if (value == null)
        {
            if (!setting.nullable)
            {
                throw new IllegalArgumentException(setting.name + " is not set: set " + setting.howToSet() +
                    (setting.unsetAdvice == null ? "" : ", " + setting.unsetAdvice));
            }
            return;
        }
        if (!setting.accepts(value))
        {
            throw new IllegalArgumentException(subject(setting) + " must be " + setting.expected + ", got " +
                setting.display(value) + hint(setting));
        }
    }

    /**
     * How messages name a setting: by its source if it was set, else by its name.
     *
     * @param setting the setting.
     * @return e.g. {@code INA_WINDOW}, {@code window(..)} or {@code window}.
     */
    String subject(final Setting<?> setting)
    {
        final String source = source(setting);
        return source == null ? setting.name : source;
    }

    /**
     * A setting's value and source, for messages that compare settings.
     *
     * @param setting the setting.
     * @param <T>     its type.
     * @return e.g. {@code worldSize 4 (from INA_WORLD_SIZE)}.
     */
    <T> String describe(final Setting<T> setting)
    {
        final String source = source(setting);
        return setting.name + " " + setting.display(get(setting)) +
            (source == null ? " (the default)" : " (from " + source + ")");
    }

    /**
     * What to change, for a message about a setting's value.
     *
     * @param setting the setting.
     * @return e.g. {@code " (the default; set window(..), INA_WINDOW or -Dina.window)"}, or empty when the
     *         message's subject already names the source.
     */
    String hint(final Setting<?> setting)
    {
        return source(setting) == null ? " (the default; set " + setting.howToSet() + ")" : "";
    }

    @Override
    public String toString()
    {
        final StringJoiner joiner = new StringJoiner(", ", list.typeName() + "{", "}");
        for (final Setting<?> setting : list.settings())
        {
            append(joiner, setting);
        }
        return joiner.toString();
    }

    private <T> void append(final StringJoiner joiner, final Setting<T> setting)
    {
        final String text = setting.display(get(setting));
        if (text != null)
        {
            joiner.add(setting.label() + '=' + text);
        }
    }
}
