package dev.ina.bench.e2e;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the report goes and how its rows are labelled. Written by {@code run}, or by rank 0 of {@code worker}.
 */
final class OutputOptions
{
    @Option(names = "--csv", paramLabel = "FILE", description = "Write the report as CSV.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the report as a JSON array.")
    Path json;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Write the report as a Markdown table.")
    Path markdown;

    @Option(names = "--label", paramLabel = "TEXT", defaultValue = "loopback",
        description = "Free text for the transport column (default ${DEFAULT-VALUE}).")
    String label;

    /**
     * The options as command-line arguments, for rank 0's process.
     *
     * @param csvOverride CSV file to use instead of {@link #csv}, or null.
     * @return arguments.
     */
    List<String> toArgs(final Path csvOverride)
    {
        final List<String> args = new ArrayList<>();
        final Path csvFile = csvOverride != null ? csvOverride : csv;
        if (csvFile != null)
        {
            args.add("--csv=" + csvFile);
        }
        if (json != null)
        {
            args.add("--json=" + json);
        }
        if (markdown != null)
        {
            args.add("--markdown=" + markdown);
        }
        args.add("--label=" + label);
        return args;
    }
}
