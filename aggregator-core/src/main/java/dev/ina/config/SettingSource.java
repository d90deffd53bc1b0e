package dev.ina.config;

import java.util.Map;
import java.util.Properties;

/**
 * Where {@code fromEnvironment} reads: system properties, which win, then environment variables. A variable or
 * property that is present but empty or blank is an error naming it, never "unset": {@code INA_AGGREGATOR=} in a
 * launch script is a mistake to report, not a reason to fall back to the default silently. To use a default,
 * leave the variable or property out.
 */
final class SettingSource
{
    private final Map<String, String> env;
    private final Properties properties;

    /**
     * A source.
     *
     * @param env        environment variables.
     * @param properties system properties.
     */
    SettingSource(final Map<String, String> env, final Properties properties)
    {
        this.env = env;
        this.properties = properties;
    }

    /**
     * The process's system properties and the given environment.
     *
     * @param env environment variables.
     * @return a source.
     */
    static SettingSource of(final Map<String, String> env)
    {
        return new SettingSource(env, System.getProperties());
    }

    /**
     * Reads a setting's property, else its variable, into the values, remembering which one gave it.
     *
     * @param values  to set.
     * @param setting the setting; nothing happens if it has no environment variable.
     * @param <T>     its type.
     * @throws IllegalArgumentException naming the property or variable if it is blank or does not parse.
     */
    <T> void readInto(final SettingValues values, final Setting<T> setting)
    {
        if (setting.envName == null)
        {
            return;
        }
        final String propertySource = "-D" + setting.propName;
        final String property = nonBlank(propertySource, properties.getProperty(setting.propName), setting);
        if (property != null)
        {
            values.set(setting, setting.parse(property, propertySource), propertySource);
            return;
        }
        final String variable = nonBlank(setting.envName, env.get(setting.envName), setting);
        if (variable != null)
        {
            values.set(setting, setting.parse(variable, setting.envName), setting.envName);
        }
    }

    /**
     * An environment variable that is not one of INA's own, such as a launcher's.
     *
     * @param name variable.
     * @return its trimmed value, or null if it is not set.
     * @throws IllegalArgumentException naming the variable if it is set but blank.
     */
    String variable(final String name)
    {
        final String value = nonBlank(name, env.get(name), null);
        return value == null ? null : value.trim();
    }

    private static String nonBlank(final String source, final String value, final Setting<?> setting)
    {
        if (value != null && value.isBlank())
        {
            throw new IllegalArgumentException(source + " is set but empty: " +
                (setting == null ? "give it a value or unset it" :
                "set it to " + setting.expected + ", or remove it for the default"));
        }
        return value;
    }
}
