package dev.ina.config;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.ina.config.WorkerSettings.JOB;
import static dev.ina.config.WorkerSettings.RANK;
import static dev.ina.config.WorkerSettings.WORLD_SIZE;

/**
 * Fills a worker's rank, world size and job id from the launcher that started it, for whichever of the three
 * INA's own variables and properties ({@code INA_RANK}, {@code -Dina.rank}, ...) leave out: those always win.
 * <p>
 * A launcher is present when its rank or world-size variable is set; of those present, the first in
 * {@link Launcher}'s order is used and the others are ignored. The one used must be complete and consistent
 * (both variables, a rank below the world size, the same world size as {@code INA_WORLD_SIZE} if that is set too),
 * else {@code fromEnvironment} fails naming the variables. Its job identity, if any, gives the job id (see
 * {@link Launcher#jobId(String)}). The outcome is logged once per process at INFO through {@link System.Logger}
 * ({@code dev.ina.config}), later ones at DEBUG.
 */
final class Launchers
{
    private static final System.Logger LOGGER = System.getLogger("dev.ina.config");
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private Launchers()
    {
    }

    /**
     * Sets what a launcher gives and INA's own settings leave out.
     *
     * @param source where to read the launcher's variables.
     * @param values the values read so far from INA's own variables and properties.
     * @throws IllegalArgumentException naming the variables when the launcher's are partial or disagree.
     */
    static void apply(final SettingSource source, final SettingValues values)
    {
        final List<Launcher> present = new ArrayList<>();
        for (final Launcher launcher : Launcher.values())
        {
            if (source.variable(launcher.rankVariable) != null ||
                launcher.worldVariable != null && source.variable(launcher.worldVariable) != null)
            {
                present.add(launcher);
            }
        }
        if (present.isEmpty())
        {
            return;
        }
        final Launcher launcher = present.get(0);
        if (!values.isSet(RANK) || !values.isSet(WORLD_SIZE))
        {
            applyRankAndWorld(launcher, source, values);
        }
        if (!values.isSet(JOB) && launcher.jobVariable != null)
        {
            final String identity = source.variable(launcher.jobVariable);
            if (identity != null && !(launcher == Launcher.TORCHRUN && Launcher.TORCHRUN_NO_RUN_ID.equals(identity)))
            {
                values.set(JOB, Launcher.jobId(identity), launcher.jobVariable);
            }
        }
        log(launcher, present, values);
    }

    private static void applyRankAndWorld(
        final Launcher launcher, final SettingSource source, final SettingValues values)
    {
        final Integer rank = number(source, launcher.rankVariable, 0);
        final Integer world = launcher.worldVariable == null ? null : number(source, launcher.worldVariable, 1);
        if (rank == null || launcher.worldVariable != null && world == null)
        {
            final String set = rank == null ? launcher.worldVariable : launcher.rankVariable;
            final String unset = rank == null ? launcher.rankVariable : launcher.worldVariable;
            throw new IllegalArgumentException(set + " is set but " + unset + " is not: " + launcher.title +
                " sets both. Set " + unset + " too, or set " + RANK.envName + " and " + WORLD_SIZE.envName +
                " (they take precedence)");
        }
        if (world == null && !values.isSet(WORLD_SIZE))
        {
            throw new IllegalArgumentException(launcher.rankVariable + " (" + launcher.title + ") gives the rank " +
                "but not the number of workers: set " + WORLD_SIZE.envName + " to the Job's completions");
        }
        if (world != null && rank >= world)
        {
            throw new IllegalArgumentException(launcher.rankVariable + "=" + rank + " must be below " +
                launcher.worldVariable + "=" + world + " (" + launcher.title + "'s variables disagree)");
        }
        if (values.isSet(WORLD_SIZE) && world != null && !values.isSet(RANK) && world != (int)values.get(WORLD_SIZE))
        {
            throw new IllegalArgumentException(values.source(WORLD_SIZE) + "=" + values.get(WORLD_SIZE) +
                " disagrees with " + launcher.worldVariable + "=" + world + " (" + launcher.title + " gives this " +
                "worker's rank in " + launcher.rankVariable + "): remove " + values.source(WORLD_SIZE) +
                " or set " + RANK.envName + " too");
        }
        if (!values.isSet(RANK))
        {
            values.set(RANK, rank, launcher.rankVariable);
        }
        if (!values.isSet(WORLD_SIZE))
        {
            values.set(WORLD_SIZE, world, launcher.worldVariable);
        }
    }

    private static Integer number(final SettingSource source, final String variable, final int min)
    {
        final String text = source.variable(variable);
        if (text == null)
        {
            return null;
        }
        try
        {
            final int value = Integer.parseInt(text);
            if (value >= min)
            {
                return value;
            }
        }
        catch (final NumberFormatException ex)
        {
            // Reported below with the variable's name.
        }
        throw new IllegalArgumentException(variable + " must be an integer of at least " + min + ", got '" +
            text + "'");
    }

    private static void log(final Launcher launcher, final List<Launcher> present, final SettingValues values)
    {
        final StringBuilder message = new StringBuilder("launcher: ").append(launcher.title).append(" detected; ")
            .append(part(values, RANK, "rank")).append(", ")
            .append(part(values, WORLD_SIZE, "world size")).append(", ")
            .append(part(values, JOB, "job"));
        for (int i = 1; i < present.size(); i++)
        {
            message.append(i == 1 ? "; ignored (an outer launcher): " : ", ").append(present.get(i).title);
        }
        LOGGER.log(LOGGED.compareAndSet(false, true) ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
            message.toString());
    }

    private static String part(final SettingValues values, final Setting<Integer> setting, final String what)
    {
        final String source = values.source(setting);
        return what + " " + values.get(setting) + " from " + (source == null ? "the default" : source);
    }
}
