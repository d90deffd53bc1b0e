package dev.ina.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The settings of one configuration type, in declaration order, which is also the order {@code toString} prints.
 * Filled once, during the declaring class's static initialisation; read-only after.
 */
final class SettingList
{
    private final String typeName;
    private final List<Setting<?>> settings = new ArrayList<>();

    SettingList(final String typeName)
    {
        this.typeName = typeName;
    }

    /**
     * Adds a setting and gives it the next index.
     *
     * @param setting the descriptor.
     * @param <T>     its type.
     * @return the descriptor with its index, to keep in a constant.
     */
    <T> Setting<T> add(final Setting<T> setting)
    {
        final Setting<T> indexed = setting.withIndex(settings.size());
        settings.add(indexed);
        return indexed;
    }

    List<Setting<?>> settings()
    {
        return Collections.unmodifiableList(settings);
    }

    int size()
    {
        return settings.size();
    }

    String typeName()
    {
        return typeName;
    }

    /**
     * Every setting at its default.
     *
     * @return new values.
     */
    SettingValues defaults()
    {
        return new SettingValues(this);
    }

    /**
     * Values from system properties and the environment, defaults for the rest.
     *
     * @param source where to read.
     * @return new values; each read value remembers its variable or property.
     * @throws IllegalArgumentException naming the variable or property whose text is empty or does not parse.
     */
    SettingValues read(final SettingSource source)
    {
        final SettingValues values = defaults();
        for (final Setting<?> setting : settings)
        {
            source.readInto(values, setting);
        }
        return values;
    }
}
