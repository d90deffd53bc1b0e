#!/usr/bin/python3
"""Writes bench/RESULTS.md (and bench/results/algbw.png, emu.png) from the CSVs of a benchmark run.

Reads every *.csv in the data directory (default bench/results/data, as bench/run-all.sh writes it):
  * rows with ina-bench's header (system,transport,workers,...): INA, Gloo and MPI all-reduce cases. A transport
    starting with "emu" is the emulated network (bench/emu), anything else is loopback on this host;
  * rows with the header tool,datagram_bytes,gbit_per_s,loss_pct,latency_us: the UDP ceiling (ceiling.csv) and the
    fragmentation check of the emulated network (emu-frag.csv);
  * run-info.txt (key=value lines, optional): when and how the run was made, load averages.
When the same case appears in several files (bench/run-all.sh --repeat K writes *.r1.csv .. *.rK.csv), the run with
the median p50 stands for it (the lower middle one for an even count), and the spread max/min p50 is shown.

Usage: /usr/bin/python3 bench/results/make_results.py [--data DIR] [--out bench/RESULTS.md] [--charts DIR]
Needs python3-matplotlib for the charts (without it the Markdown is still written, without pictures).
"""

import argparse
import csv
import datetime
import glob
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)

# Link rate of the emulated network, bytes per second (1 Gbit/s).
LINK_BYTES_PER_S = 125e6

# Bytes per element on the wire: (up, down) for a world of n ranks (down: INT8 sums are int16, INT16 sums int32).
WIRE_BYTES = {"FP32": (4, 4), "FIXED32": (4, 4), "INT16": (2, 4), "INT8": (1, 2), "INT8_NARROW": (1, 1)}

PEERS = ["gloo", "mpi", "mpi-shm"]
PEER_NAMES = {"gloo": "Gloo (TCP)", "mpi": "Open MPI (TCP)", "mpi-shm": "Open MPI (shared memory)"}

# The targets of the benchmark issue, checked against the data. Each: id, text, kind and its parameters.
#   algbw_ratio:   INA (codec, size) time / peer time <= 1/threshold, i.e. peer p50 / INA p50 >= threshold
#   emu_fraction:  on the emulated network, (S/B) / INA p50 >= threshold (fraction of the aggregator bound)
#   emu_vs_ring:   on the emulated network, Gloo ring p50 / INA p50 >= threshold
#   ceiling_share: INA loopback algbw (GB/s) * 8 / iperf3 UDP Gbit/s at the given datagram size >= threshold
# Adjust thresholds here when the issue changes; RESULTS.md shows each as met or missed with its ratio.
TARGETS = [  # issue 4's targets, measured side by side in one run
    {"id": "T1", "kind": "algbw_ratio", "codec": "FIXED32", "bytes": 64 << 20, "peer": "gloo", "threshold": 1.0,
     "text": "Loopback, 4 worker processes, 64 MiB: FIXED32 at least at Gloo's algbw"},
    {"id": "T2", "kind": "algbw_ratio", "codec": "INT8", "bytes": 64 << 20, "peer": "gloo", "threshold": 3.0,
     "also": ["INT8_NARROW"], "text": "Loopback, 4 worker processes, 64 MiB: INT8 at least 3x Gloo's algbw"},
    {"id": "T3", "kind": "emu_vs_ring", "codec": "FIXED32", "bytes": 64 << 20, "threshold": 1.4,
     "text": "Emulated 1 Gbit/s links, 4 hosts, 64 MiB: FIXED32 at least 1.4x the Gloo ring"},
    {"id": "T4", "kind": "emu_fraction", "codec": "FIXED32", "bytes": 64 << 20, "threshold": 0.9,
     "text": "Emulated 1 Gbit/s links, 4 hosts, 64 MiB: FIXED32 at least 90 % of the S/B bound"},
    {"id": "T5", "kind": "emu_vs_ring", "codec": "INT8", "bytes": 64 << 20, "threshold": 4.0,
     "also": ["INT8_NARROW"], "text": "Emulated 1 Gbit/s links, 4 hosts, 64 MiB: INT8 at least 4x the Gloo ring"},
    {"id": "T6", "kind": "p50_below", "codec": "FP32", "bytes": 4 << 10, "threshold": 0.1,
     "text": "4 KiB all-reduce, 4 workers: p50 below 0.1 ms (threshold in ms)"},
]

KEY_FIELDS = ("system", "transport", "workers", "codec", "mode", "bytes", "elements_per_packet")


def fmt_size(n):
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div and n % div == 0:
            return "%d %s" % (n // div, unit)
    return "%d B" % n


def num(text):
    try:
        return float(text) if text not in ("", None) else None
    except ValueError:
        return None


def fmt(value, pattern="%.3f", missing="n/a"):
    return missing if value is None else pattern % value


def read_data(data_dir):
    """Returns (cases, tools, frag, info): case rows (dicts with numbers), ceiling rows, frag rows, run info."""
    groups = {}
    tools = []
    frag = []
    for path in sorted(glob.glob(os.path.join(data_dir, "*.csv"))):
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            continue
        if "system" in rows[0]:
            for row in rows:
                case = dict(row)
                for field in ("workers", "bytes", "elements_per_packet", "window", "iterations"):
                    case[field] = int(float(row[field])) if row.get(field) else 0
                for field in ("p50_ms", "p99_ms", "mean_ms", "algbw_GBps", "busbw_GBps", "pkts_per_s", "agg_cpu_s",
                              "worker_cpu_s", "retransmits"):
                    case[field] = num(row.get(field))
                case["file"] = os.path.basename(path)
                if case["system"] != "ina":
                    case["elements_per_packet"] = 0
                groups.setdefault(tuple(case[f] for f in KEY_FIELDS), []).append(case)
        elif "tool" in rows[0]:
            target = frag if os.path.basename(path).startswith("emu-frag") else tools
            target.extend(rows)
    info = {}
    info_path = os.path.join(data_dir, "run-info.txt")
    if os.path.exists(info_path):
        with open(info_path) as handle:
            for line in handle:
                if "=" in line:
                    key, value = line.rstrip("\n").split("=", 1)
                    info[key.strip()] = value.strip()
    cases = []
    for runs in groups.values():
        timed = sorted((c for c in runs if c["p50_ms"]), key=lambda c: c["p50_ms"])
        chosen = dict(timed[(len(timed) - 1) // 2] if timed else runs[-1])
        chosen["runs"] = len(runs)
        chosen["spread"] = timed[-1]["p50_ms"] / timed[0]["p50_ms"] if len(timed) > 1 else None
        cases.append(chosen)
    return cases, tools, frag, info


def machine_lines(info):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
            mem = "%.1f GiB" % (kb / 1024.0 / 1024.0)
    except (OSError, ValueError, IndexError):
        pass
    lines = [
        "| what | value |",
        "|---|---|",
        "| CPU | %d cores, %s |" % (os.cpu_count() or 0, cpu or "unknown"),
        "| memory | %s |" % (mem or "unknown"),
        "| OS | %s %s |" % (platform.system(), platform.release()),
    ]
    for key, label in (("java", "JDK"), ("torch", "PyTorch (Gloo)"), ("openmpi", "Open MPI"),
                       ("iperf3", "iperf3"), ("commit", "INA commit"), ("command", "command"),
                       ("start", "run started"), ("end", "run ended"), ("load_start", "load average at start"),
                       ("load_end", "load average at end"), ("failed", "failed steps")):
        if info.get(key):
            lines.append("| %s | %s |" % (label, info[key].replace("|", "\\|")))
    steps = ["%s: %s" % (key[5:], value.split()[0]) for key, value in info.items()
             if key.startswith("load_") and key not in ("load_start", "load_end") and value]
    if steps:
        lines.append("| 1-minute load average before each step | %s |" % ", ".join(steps))
    return lines


# ina-bench label of the loopback runs with caller-runs I/O and busy polling (bench/run-all.sh: --caller-runs
# --busy-poll).
LATENCY_LABEL = "loopback-callerruns"
# The same settings with the aggregator and the workers as threads of one JVM (bench/run-all.sh, 4 KiB and 64 KiB).
THREADS_LABEL = "loopback-threads-callerruns"


def loopback_cases(cases):
    """The main loopback runs: every system with its default settings (not the low-latency INA runs)."""
    return [c for c in cases if not c["transport"].startswith("emu")
            and c["transport"] not in (LATENCY_LABEL, THREADS_LABEL) and c["mode"] == "EXACT"]


def latency_cases(cases):
    return [c for c in cases if c["transport"] == LATENCY_LABEL and c["mode"] == "EXACT"]


def latency_cell(case):
    """p50 (p99) in ms of a case, or n/a."""
    return "n/a" if case is None else "%s (%s)" % (fmt(case["p50_ms"], "%.3f"), fmt(case["p99_ms"], "%.2f"))


def threads_cases(cases):
    return [c for c in cases if c["transport"] == THREADS_LABEL and c["mode"] == "EXACT"]


def threads_section(cases):
    """One JVM against processes, both with caller-runs I/O and busy polling: p50 (p99) per codec."""
    one_jvm = threads_cases(cases)
    if not one_jvm:
        return []
    fast = latency_cases(cases)
    codecs = ina_codecs(one_jvm)
    out = ["### One JVM", "",
           "The same settings with the aggregator and the workers as threads of one JVM (`ina-bench run "
           "--caller-runs --busy-poll`, no `--processes`): the same UDP sockets on loopback, one process. Every "
           "hop of a small call waits for the next rank to be scheduled; between threads of one process that "
           "switch keeps the address space, between processes it does not. p50 (p99) in ms on rank 0; 1000 calls "
           "per case.", ""]
    names = []
    for codec in codecs:
        names += ["INA %s one JVM" % codec, "INA %s processes" % codec]
    for workers in sorted({c["workers"] for c in one_jvm}):
        out += ["N = %d workers." % workers, "", "| size | " + " | ".join(names) + " |",
                "|---:|" + "---:|" * len(names)]
        for size in sorted({c["bytes"] for c in one_jvm if c["workers"] == workers}):
            cells = []
            for codec in codecs:
                for rows in (one_jvm, fast):
                    c = find(rows, "ina", codec, size, workers)
                    cells.append(latency_cell(c))
            out.append("| %s | %s |" % (fmt_size(size), " | ".join(cells)))
        out.append("")
    return out


def latency_section(cases):
    fast = latency_cases(cases)
    out = ["## Caller-runs I/O and busy polling", ""]
    if not fast:
        return out + ["No caller-runs runs in this data (bench/run-all.sh makes them).", ""]
    loop = loopback_cases(cases)
    codecs = ina_codecs(fast)
    peers = [p for p in PEERS if any(c["system"] == p for c in loop)]
    out += ["INA with `WorkerConfig.callerRuns(true)` and `busyPoll(true)` on the workers and `busyPoll(true)` on "
            "the aggregator (`ina-bench run --processes --caller-runs --busy-poll`): each rank's calling thread "
            "drives its own socket, so a call wakes no network thread, and every process polls, yielding its "
            "core between polls, instead of sleeping in `epoll_wait`. p50 (p99) in ms on rank 0; the default "
            "INA and the peers from the loopback table above. 4 KiB and 64 KiB: 1000 calls per case.", ""]
    for workers in sorted({c["workers"] for c in fast}):
        names = ["INA %s caller-runs" % codec for codec in codecs] + ["INA %s default" % codec for codec in codecs] \
            + [PEER_NAMES[p] for p in peers]
        out += ["N = %d workers." % workers, "", "| size | " + " | ".join(names) + " |",
                "|---:|" + "---:|" * len(names)]
        for size in sorted({c["bytes"] for c in fast if c["workers"] == workers}):
            cells = []
            for rows, system, codec in [(fast, "ina", c) for c in codecs] + [(loop, "ina", c) for c in codecs] + \
                    [(loop, p, None) for p in peers]:
                c = find(rows, system, codec, size, workers)
                cells.append(latency_cell(c))
            out.append("| %s | %s |" % (fmt_size(size), " | ".join(cells)))
        out.append("")
    return out + threads_section(cases)


def emu_cases(cases):
    return [c for c in cases if c["transport"].startswith("emu")]


def ina_codecs(cases):
    order = ["FP32", "FIXED32", "INT16", "INT8", "INT8_NARROW"]
    present = sorted({c["codec"] for c in cases if c["system"] == "ina"},
                     key=lambda codec: (order.index(codec) if codec in order else 99, codec))
    return present


def find(cases, system, codec, size, workers=None):
    best = None
    for c in cases:
        if c["system"] == system and c["bytes"] == size and (codec is None or c["codec"] == codec) and \
                (workers is None or c["workers"] == workers):
            best = c
    return best


def ceiling_section(tools):
    out = ["## Raw UDP ceiling of this host (loopback)", ""]
    if not tools:
        return out + ["No ceiling data (bench/peers/ceiling.sh).", ""]
    out += ["iperf3 UDP unpaced (`-b 0`, 8 MiB socket buffers): Gbit/s received and loss; the offered rate is "
            "what the sender pushed. sockperf ping-pong: one-way latency (RTT/2) in microseconds.", "",
            "| tool | datagram bytes | Gbit/s | loss % | latency µs |", "|---|---:|---:|---:|---:|"]
    for row in tools:
        out.append("| %s | %s | %s | %s | %s |" % (row["tool"], row["datagram_bytes"] or "stream",
                                                  row["gbit_per_s"] or "", row["loss_pct"] or "",
                                                  row["latency_us"] or ""))
    return out + [""]


def loopback_section(cases):
    loop = loopback_cases(cases)
    out = ["## Loopback, side by side", ""]
    if not loop:
        return out + ["No loopback data.", ""]
    codecs = ina_codecs(loop)
    peers = [p for p in PEERS if any(c["system"] == p for c in loop)]
    systems = [("ina", codec) for codec in codecs] + [(p, None) for p in peers]
    names = ["INA %s" % codec for codec in codecs] + [PEER_NAMES[p] for p in peers]
    for workers in sorted({c["workers"] for c in loop}):
        sizes = sorted({c["bytes"] for c in loop if c["workers"] == workers})
        out += ["### N = %d workers" % workers, "",
                "p50 time of one all-reduce on rank 0 in ms (algbw GB/s = bytes / p50, GB = 1e9 bytes). INA runs "
                "the aggregator and every worker as a process of its own (`ina-bench run --processes`); Gloo "
                "and MPI run N processes (MPI ranks with `MALLOC_MMAP_MAX_=0`, see bench/peers/README.md). "
                "float32 SUM, a barrier before every timed call.", "",
                "| size | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
        for size in sizes:
            cells = []
            for system, codec in systems:
                c = find(loop, system, codec, size, workers)
                cells.append("n/a" if c is None else "%s (%s)" % (fmt(c["p50_ms"], "%.3f"),
                                                                   fmt(c["algbw_GBps"], "%.3f")))
            out.append("| %s | %s |" % (fmt_size(size), " | ".join(cells)))
        out.append("")
        if codecs and peers:
            out += ["Speed-up of INA over each peer per size: peer p50 / INA p50 (= INA algbw / peer algbw; "
                    "above 1: INA faster).", ""]
            heads = ["INA %s / %s" % (codec, p) for codec in codecs for p in peers]
            out += ["| size | " + " | ".join(heads) + " |", "|---:|" + "---:|" * len(heads)]
            for size in sizes:
                cells = []
                for codec in codecs:
                    ina = find(loop, "ina", codec, size, workers)
                    for p in peers:
                        peer = find(loop, p, None, size, workers)
                        if ina and peer and ina["p50_ms"] and peer["p50_ms"]:
                            cells.append("%.2f×" % (peer["p50_ms"] / ina["p50_ms"]))
                        else:
                            cells.append("n/a")
                out.append("| %s | %s |" % (fmt_size(size), " | ".join(cells)))
            out.append("")
        runs = max((c["runs"] for c in loop if c["workers"] == workers), default=1)
        if runs > 1:
            out += ["Each figure is the median of %d interleaved runs (INA, Gloo, MPI, INA, ...). Run-to-run spread, "
                    "slowest p50 / fastest p50:" % runs, "",
                    "| size | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
            for size in sizes:
                cells = []
                for system, codec in systems:
                    c = find(loop, system, codec, size, workers)
                    cells.append("n/a" if c is None or c["spread"] is None else "%.2f" % c["spread"])
                out.append("| %s | %s |" % (fmt_size(size), " | ".join(cells)))
            out.append("")
        out += ["CPU seconds per call, all workers summed (INA: every thread of each worker JVM; Gloo, MPI: the "
                "process CPU time spent inside the call; MPI polls while it waits, so its figure includes "
                "spinning). INA's aggregator CPU is shown after the slash.", "",
                "| size | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
        for size in sizes:
            cells = []
            for system, codec in systems:
                c = find(loop, system, codec, size, workers)
                if c is None:
                    cells.append("n/a")
                elif system == "ina" and c["agg_cpu_s"] is not None:
                    cells.append("%s / %s" % (fmt(c["worker_cpu_s"], "%.4f"), fmt(c["agg_cpu_s"], "%.4f")))
                else:
                    cells.append(fmt(c["worker_cpu_s"], "%.4f"))
            out.append("| %s | %s |" % (fmt_size(size), " | ".join(cells)))
        out.append("")
    return out


def emu_bound_s(case):
    """(bound seconds at S/B or the ring's 2(n-1)/n S/B, wire bound for the codec or None)."""
    size = case["bytes"]
    n = case["workers"]
    if case["system"] == "ina":
        up, down = WIRE_BYTES.get(case["codec"], (4, 4))
        return size / LINK_BYTES_PER_S, max(up, down) / 4.0 * size / LINK_BYTES_PER_S
    return 2.0 * (n - 1) / n * size / LINK_BYTES_PER_S, None


def emu_section(cases, frag):
    emu = emu_cases(cases)
    out = ["## Emulated network: 1 Gbit/s per worker link", ""]
    if not emu and not frag:
        return out + ["No emulated-network data (bench/emu/run-emu.sh, needs root).", ""]
    out += ["Network namespaces: each worker behind a veth with a `tc tbf` 1 Gbit/s token bucket in both "
            "directions, a bridge as the switch, the aggregator on an unshaped port (bench/emu/netns.sh). "
            "B = 1 Gbit/s = 125e6 bytes/s, S = tensor bytes. Bound: S/B for INA (each worker sends S and "
            "receives S through an aggregator), 2(n-1)/n · S/B for the ring (Gloo). time/bound = 1 means the "
            "link is full; the wire bound counts the codec's bytes per element (INT8 sends 1 and receives 2, "
            "INT8_NARROW 1 and 1). Transport `emu-1gbit`: 64 KiB datagrams, IP-fragmented to the 9000-byte MTU; "
            "`-jumbo`: the most elements that fit one 9000-byte frame; `-callerruns-busypoll`: INA with caller-runs "
            "I/O and busy polling on every process (`run-emu.sh --caller-runs --busy-poll`).",
            ""]
    if emu:
        out += ["| system | transport | codec | elements/packet | N | size | p50 ms | bound ms | time / bound "
                "| wire bound ms | time / wire bound | retransmits/call | worker CPU s |",
                "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        order = {"ina": 0, "gloo": 1, "mpi": 2, "mpi-shm": 3}
        for c in sorted(emu, key=lambda c: (c["bytes"], order.get(c["system"], 9), c["transport"], c["codec"])):
            bound, wire = emu_bound_s(c)
            p50 = c["p50_ms"]
            out.append("| %s | %s | %s | %s | %d | %s | %s | %.2f | %s | %s | %s | %s | %s |" % (
                c["system"], c["transport"], c["codec"] if c["system"] == "ina" else "FP32",
                c["elements_per_packet"] or "", c["workers"], fmt_size(c["bytes"]), fmt(p50, "%.2f"),
                bound * 1e3, fmt(p50 / 1e3 / bound if p50 else None, "%.2f"),
                fmt(wire * 1e3 if wire else None, "%.2f", ""),
                fmt(p50 / 1e3 / wire if (p50 and wire) else None, "%.2f", ""),
                fmt(c["retransmits"], "%.1f", ""), fmt(c["worker_cpu_s"], "%.4f")))
        out.append("")
    if frag:
        out += ["IP fragmentation under the token bucket: iperf3 UDP from worker 0 to the aggregator namespace "
                "(through the shaped link), paced at 95 % of the rate and offered at 2×. A 65000-byte datagram "
                "is 8 fragments at MTU 9000; losing one loses the datagram.", "",
                "| test | datagram bytes | received Gbit/s | loss % |", "|---|---:|---:|---:|"]
        for row in frag:
            out.append("| %s | %s | %s | %s |" % (row["tool"], row["datagram_bytes"], row["gbit_per_s"],
                                                row["loss_pct"]))
        out.append("")
    return out


def check_target(target, cases, tools):
    """Returns (value text, met bool or None when no data, note)."""
    loop = loopback_cases(cases)
    emu = emu_cases(cases)
    codec = target.get("codec")
    size = target["bytes"]
    workers = target.get("workers", 4)
    note = ""

    # The target's codec and the variants that count for it (INT8_NARROW is int8 both ways): the fastest row.
    codecs = [codec] + target.get("also", [])

    def ina_row(rows):
        found = [r for r in rows if r["system"] == "ina" and r["codec"] in codecs and r["bytes"] == size
                 and r["workers"] == workers and r["p50_ms"]]
        if not found:
            return None, ""
        row = min(found, key=lambda r: r["p50_ms"])
        return row, ("(%s)" % row["codec"]) if len(codecs) > 1 else ""

    if target["kind"] == "p50_below":
        # Any INA row of the size: processes (default or caller-runs) or one JVM; the note names the best
        # processes row when a one-JVM row is the fastest.
        def ina_rows(rows):
            return [c for c in rows if c["system"] == "ina" and c["bytes"] == size and c["workers"] == workers
                    and c["p50_ms"]]
        processes = ina_rows(loop + latency_cases(cases))
        rows = processes + ina_rows(threads_cases(cases))
        if not rows:
            return "no data", None, note
        best = min(rows, key=lambda c: c["p50_ms"])
        if best["transport"] == THREADS_LABEL and processes:
            in_processes = min(processes, key=lambda c: c["p50_ms"])
            note = "(as processes: %.3f ms, %s, %s)" % (in_processes["p50_ms"], in_processes["codec"],
                                                        in_processes["transport"])
        return "%.3f ms (%s, %s)" % (best["p50_ms"], best["codec"], best["transport"]), \
            best["p50_ms"] < target["threshold"], note
    if target["kind"] == "algbw_ratio":
        ina, note = ina_row(loop + latency_cases(cases))
        if ina is not None and ina["transport"] != "loopback":
            note = ("(%s, %s)" % (ina["codec"], ina["transport"])) if len(codecs) > 1 else "(%s)" % ina["transport"]
        peer = find(loop, target["peer"], None, size, workers)
        if not (ina and peer and ina["p50_ms"] and peer["p50_ms"]):
            return "no data", None, note
        ratio = peer["p50_ms"] / ina["p50_ms"]
        return "%.2f× (INA %.3f ms, %s %.3f ms)" % (ratio, ina["p50_ms"], target["peer"], peer["p50_ms"]), \
            ratio >= target["threshold"], note
    if target["kind"] in ("emu_fraction", "emu_vs_ring"):
        candidates = [c for c in emu if c["system"] == "ina" and c["codec"] in codecs and c["bytes"] == size
                      and c["workers"] == workers and c["p50_ms"]]
        if not candidates:
            return "no data", None, note
        ina = min(candidates, key=lambda c: c["p50_ms"])
        note = "(best INA row: %s%s)" % (ina["codec"] + " " if len(codecs) > 1 else "", ina["transport"])
        if target["kind"] == "emu_fraction":
            fraction = (size / LINK_BYTES_PER_S) / (ina["p50_ms"] / 1e3)
            return "%.2f of bound (%.1f ms vs %.1f ms)" % (fraction, ina["p50_ms"], size / LINK_BYTES_PER_S * 1e3), \
                fraction >= target["threshold"], note
        ring = find(emu, "gloo", None, size, workers)
        if not (ring and ring["p50_ms"]):
            return "no data", None, note
        ratio = ring["p50_ms"] / ina["p50_ms"]
        return "%.2f× (INA %.1f ms, Gloo %.1f ms)" % (ratio, ina["p50_ms"], ring["p50_ms"]), \
            ratio >= target["threshold"], note
    if target["kind"] == "ceiling_share":
        ina, note = ina_row(loop)
        udp = [t for t in tools if t["tool"] == "iperf3-udp" and t["datagram_bytes"] == str(target["datagram"])]
        if not (ina and udp and ina["algbw_GBps"]):
            return "no data", None, note
        share = ina["algbw_GBps"] * 8 / float(udp[0]["gbit_per_s"])
        return "%.2f of UDP ceiling" % share, share >= target["threshold"], note
    return "unknown kind", None, note


def targets_section(cases, tools):
    out = ["## Targets", "",
           "Each target is checked against this run's data (bench/results/make_results.py, TARGETS).", "",
           "| id | target | threshold | measured | status |", "|---|---|---:|---|---|"]
    for target in TARGETS:
        value, met, note = check_target(target, cases, tools)
        status = "no data" if met is None else ("**met**" if met else "**missed**")
        out.append("| %s | %s | %s | %s %s | %s |" % (target["id"], target["text"], target["threshold"], value,
                                                     note, status))
    return out + [""]


def charts(cases, chart_dir):
    """Writes algbw.png and emu.png; returns the names written (empty without matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("make_results.py: no matplotlib (apt-get install python3-matplotlib): no charts", file=sys.stderr)
        return []
    written = []
    loop = loopback_cases(cases)
    if loop:
        workers = 4 if any(c["workers"] == 4 for c in loop) else max(c["workers"] for c in loop)
        fig, ax = plt.subplots(figsize=(8, 5))
        fast = latency_cases(cases)
        # One colour per INA codec (default: solid, caller-runs: dotted), greys for the peers.
        colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
        codec_colour = {codec: colours[i % len(colours)] for i, codec in enumerate(ina_codecs(loop + fast))}
        peer_colour = {"gloo": "tab:olive", "mpi": "dimgray", "mpi-shm": "black"}
        series = [(loop, "ina", codec, "INA %s" % codec, "o-", codec_colour[codec]) for codec in ina_codecs(loop)]
        series += [(fast, "ina", codec, "INA %s caller-runs" % codec, "^:", codec_colour[codec])
                   for codec in ina_codecs(fast)]
        series += [(loop, p, None, PEER_NAMES[p], "s--", peer_colour[p]) for p in PEERS]
        for rows_of, system, codec, name, style, colour in series:
            rows = sorted((c for c in rows_of if c["system"] == system and c["workers"] == workers
                           and (codec is None or c["codec"] == codec) and c["algbw_GBps"]),
                          key=lambda c: c["bytes"])
            if rows:
                ax.plot([c["bytes"] for c in rows], [c["algbw_GBps"] for c in rows], style, label=name,
                        color=colour)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        sizes = sorted({c["bytes"] for c in loop})
        ax.set_xticks(sizes)
        ax.set_xticklabels([fmt_size(s).replace(" ", "") for s in sizes])
        ax.set_xlabel("tensor size (float32)")
        ax.set_ylabel("algbw GB/s (bytes / p50)")
        ax.set_title("All-reduce on loopback, N = %d, this host" % workers)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        fig.savefig(os.path.join(chart_dir, "algbw.png"), dpi=110)
        plt.close(fig)
        written.append("algbw.png")
    emu = emu_cases(cases)
    if emu:
        fig, ax = plt.subplots(figsize=(8, 5))
        labels = sorted({(c["system"], c["transport"], c["codec"] if c["system"] == "ina" else "")
                         for c in emu})
        for system, transport, codec in labels:
            rows = sorted((c for c in emu if c["system"] == system and c["transport"] == transport
                           and (system != "ina" or c["codec"] == codec) and c["p50_ms"]), key=lambda c: c["bytes"])
            if rows:
                name = ("INA %s %s" % (codec, transport)) if system == "ina" else ("%s ring %s" % (system, transport))
                ax.plot([c["bytes"] for c in rows], [c["p50_ms"] / 1e3 / emu_bound_s(c)[0] for c in rows],
                        "o-" if system == "ina" else "s--", label=name)
        ax.axhline(1.0, color="grey", linewidth=1)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        sizes = sorted({c["bytes"] for c in emu})
        ax.set_xticks(sizes)
        ax.set_xticklabels([fmt_size(s).replace(" ", "") for s in sizes])
        ax.set_xlabel("tensor size (float32)")
        ax.set_ylabel("time / bound (1 = link full)")
        ax.set_title("Emulated 1 Gbit/s links: time over each system's bound")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(chart_dir, "emu.png"), dpi=110)
        plt.close(fig)
        written.append("emu.png")
    return written


def main():
    parser = argparse.ArgumentParser(description="Writes bench/RESULTS.md from the benchmark CSVs.")
    parser.add_argument("--data", default=os.path.join(HERE, "data"), help="directory of the CSVs")
    parser.add_argument("--out", default=os.path.join(BENCH, "RESULTS.md"), help="Markdown file to write")
    parser.add_argument("--charts", default=HERE, help="directory for algbw.png and emu.png")
    args = parser.parse_args()
    cases, tools, frag, info = read_data(args.data)
    written = charts(cases, args.charts)
    rel = os.path.relpath(args.charts, os.path.dirname(os.path.abspath(args.out)))
    lines = ["# Benchmark results", "",
             "Generated by `bench/results/make_results.py` from the CSVs in `%s` on %s. Do not edit: run "
             "`bench/run-all.sh` (or `--quick`) to measure again and regenerate." % (
                 os.path.relpath(args.data, BENCH if args.data.startswith(BENCH) else os.getcwd()),
                 datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")), "",
             "## Machine", ""]
    lines += machine_lines(info) + [""]
    lines += ["All processes share this machine's cores (and, on a shared development box, other people's "
              "work): the figures are for comparing systems within one run, not absolute.", ""]
    lines += targets_section(cases, tools)
    lines += ceiling_section(tools)
    lines += loopback_section(cases)
    if "algbw.png" in written:
        lines += ["![algbw vs size](%s/algbw.png)" % rel, ""]
    lines += latency_section(cases)
    lines += emu_section(cases, frag)
    if "emu.png" in written:
        lines += ["![emulated network](%s/emu.png)" % rel, ""]
    with open(args.out, "w") as handle:
        handle.write("\n".join(lines).rstrip("\n") + "\n")
    print("make_results.py: wrote %s (%d cases, %d ceiling rows%s)" % (
        args.out, len(cases), len(tools), ", charts: " + ", ".join(written) if written else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
