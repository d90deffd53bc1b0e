package dev.ina.bench.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One row of the report: a case's latency, bandwidth, packet rate, CPU and retransmits.
 *
 * @param system            always {@code ina}.
 * @param transport         free text, e.g. {@code loopback}.
 * @param workers           ranks.
 * @param codec             codec name.
 * @param mode              mode name.
 * @param bytes             tensor size in bytes of float32.
 * @param elementsPerPacket elements per datagram.
 * @param window            chunks in flight per worker.
 * @param iterations        measured calls.
 * @param p50Ms             median call time on rank 0.
 * @param p99Ms             99th percentile call time on rank 0.
 * @param meanMs            mean call time on rank 0.
 * @param algbwGBps         bytes / p50 time, GB = 1e9 bytes.
 * @param busbwGBps         algbw * 2(n-1)/n.
 * @param pktsPerS          datagrams up and down over all workers per second of measured call time.
 * @param aggCpuS           aggregator CPU seconds per call; NaN when not measured.
 * @param workerCpuS        CPU seconds per call, all workers summed.
 * @param retransmits       retransmitted datagrams per call, all workers summed.
 */
record CaseResult(
    String system,
    String transport,
    int workers,
    String codec,
    String mode,
    long bytes,
    int elementsPerPacket,
    int window,
    int iterations,
    double p50Ms,
    double p99Ms,
    double meanMs,
    double algbwGBps,
    double busbwGBps,
    double pktsPerS,
    double aggCpuS,
    double workerCpuS,
    double retransmits)
{
    /** The CSV header, also the JSON keys. */
    static final String CSV_HEADER = "system,transport,workers,codec,mode,bytes,elements_per_packet,window," +
        "iterations,p50_ms,p99_ms,mean_ms,algbw_GBps,busbw_GBps,pkts_per_s,agg_cpu_s,worker_cpu_s,retransmits";

    /** The keys, in column order. */
    static final String[] KEYS = CSV_HEADER.split(",");

    /**
     * The fields as text, in column order: numbers formatted for the report, unknown values empty.
     *
     * @return values.
     */
    String[] values()
    {
        return new String[] {
            system, transport, Integer.toString(workers), codec, mode, Long.toString(bytes),
            Integer.toString(elementsPerPacket), Integer.toString(window), Integer.toString(iterations),
            number("%.4f", p50Ms), number("%.4f", p99Ms), number("%.4f", meanMs), number("%.4f", algbwGBps),
            number("%.4f", busbwGBps), number("%.0f", pktsPerS), number("%.6f", aggCpuS), number("%.6f", workerCpuS),
            number("%.2f", retransmits)};
    }

    /**
     * The row as CSV (RFC 4180 quoting where needed).
     *
     * @return one line without its line end.
     */
    String toCsv()
    {
        final StringBuilder sb = new StringBuilder();
        for (final String value : values())
        {
            if (sb.length() > 0)
            {
                sb.append(',');
            }
            if (value.indexOf(',') >= 0 || value.indexOf('"') >= 0 || value.indexOf('\n') >= 0)
            {
                sb.append('"').append(value.replace("\"", "\"\"")).append('"');
            }
            else
            {
                sb.append(value);
            }
        }
        return sb.toString();
    }

    /**
     * The row as a JSON object with the CSV header's keys; unknown numbers are {@code null}.
     *
     * @return one line.
     */
    String toJson()
    {
        final String[] values = values();
        final StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < KEYS.length; i++)
        {
            sb.append(i == 0 ? "" : ", ").append('"').append(KEYS[i]).append("\": ");
            if (i <= 1 || i == 3 || i == 4) // system, transport, codec, mode
            {
                sb.append(jsonString(values[i]));
            }
            else
            {
                sb.append(values[i].isEmpty() ? "null" : values[i]);
            }
        }
        return sb.append('}').toString();
    }

    /**
     * Reads a row written by {@link #toCsv()}.
     *
     * @param line one CSV line.
     * @return the row.
     * @throws IllegalArgumentException if the line does not have the report's columns.
     */
    static CaseResult fromCsv(final String line)
    {
        final List<String> v = splitCsv(line);
        if (v.size() != KEYS.length)
        {
            throw new IllegalArgumentException("expected " + KEYS.length + " columns, got " + v.size() + ": " + line);
        }
        return new CaseResult(v.get(0), v.get(1), Integer.parseInt(v.get(2)), v.get(3), v.get(4),
            Long.parseLong(v.get(5)), Integer.parseInt(v.get(6)), Integer.parseInt(v.get(7)),
            Integer.parseInt(v.get(8)), parse(v.get(9)), parse(v.get(10)), parse(v.get(11)), parse(v.get(12)),
            parse(v.get(13)), parse(v.get(14)), parse(v.get(15)), parse(v.get(16)), parse(v.get(17)));
    }

    /**
     * Splits a CSV line, honouring double quotes.
     *
     * @param line the line.
     * @return fields.
     */
    static List<String> splitCsv(final String line)
    {
        final List<String> fields = new ArrayList<>();
        final StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (quoted)
            {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"')
                {
                    field.append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.add(field.toString());
                field.setLength(0);
            }
            else
            {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    private static double parse(final String value)
    {
        return value.isEmpty() ? Double.NaN : Double.parseDouble(value);
    }

    private static String number(final String format, final double value)
    {
        return Double.isNaN(value) || Double.isInfinite(value) ? "" : String.format(Locale.ROOT, format, value);
    }

    private static String jsonString(final String value)
    {
        final StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (c == '"' || c == '\\')
            {
                sb.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
            }
            else
            {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
