#!/usr/bin/python3
"""Turns bench/train/run-ddp-vs-ina.sh's CSV into a markdown table and a PNG.

Per system: medians over rounds (min-max in brackets) of the time per step (slowest rank) and the all-reduce
time per step (mean over ranks), the compute part (step minus all-reduce), test accuracy after the last epoch,
and payload bytes per step per rank.
"""

import argparse
import csv
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def spread(values, fmt):
    middle = statistics.median(values)
    if len(values) == 1:
        return fmt % middle
    return (fmt + " (" + fmt + "-" + fmt + ")") % (middle, min(values), max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", required=True)
    parser.add_argument("--info", default=None, help="run-info.txt written by the run script")
    parser.add_argument("--md", required=True)
    parser.add_argument("--png", required=True)
    args = parser.parse_args()
    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    systems = []
    for row in rows:
        if row["label"] not in systems:
            systems.append(row["label"])
    first = rows[0]
    lines = []
    if args.info:
        with open(args.info) as f:
            lines += ["`" + line.strip() + "`  " for line in f if line.strip()]
        lines.append("")
    lines.append("Fashion-MNIST, MLP 784-128-10, %s processes, batch %s per rank, %s epochs (%s steps per rank), "
                 "SGD lr 0.05 momentum 0.9; %d rounds, medians (min-max)."
                 % (first["workers"], first["batch"], first["epochs"], first["steps"],
                    len(rows) // max(1, len(systems))))
    lines.append("")
    lines.append("| system | time per step (ms) | all-reduce per step (ms) | compute per step (ms) | test accuracy "
                 "| bytes up + down per step per rank | ranks bit-identical |")
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    summary = {}
    for system in systems:
        runs = [r for r in rows if r["label"] == system]
        step = [float(r["step_ms"]) for r in runs]
        allreduce = [float(r["allreduce_ms"]) for r in runs]
        compute = [s - a for s, a in zip(step, allreduce)]
        accuracy = [100 * float(r["test_accuracy"]) for r in runs]
        up = statistics.median(float(r["bytes_up_per_step"]) for r in runs) / 1024
        down = statistics.median(float(r["bytes_down_per_step"]) for r in runs) / 1024
        identical = "yes" if all(r["ranks_identical"] == "yes" for r in runs) else "no"
        per_epoch = [[100 * float(a) for a in r["accuracy_per_epoch"].split(";")] for r in runs]
        summary[system] = (statistics.median(compute), statistics.median(allreduce),
                           [statistics.mean(e) for e in zip(*per_epoch)], up, down)
        lines.append("| %s | %s | %s | %s | %s %% | %.1f + %.1f KiB | %s |" % (
            system, spread(step, "%.2f"), spread(allreduce, "%.2f"), spread(compute, "%.2f"),
            spread(accuracy, "%.2f"), up, down, identical))
    lines.append("")
    lines.append("Time per step: the slowest rank's training time divided by its steps (rank 0's test evaluation after "
                 "each epoch is not counted; the other ranks wait for it in their next all-reduce, in both systems). "
                 "All-reduce: mean over ranks of the time from handing over the gradients until the "
                 "average is back, including the wait for the slowest rank. Compute: the difference. Bytes: UDP "
                 "payload for INA (from ReduceStats); for Gloo, TCP bytes written (/proc/self/io wchar), and the "
                 "same received (a ring receives what it sends).")
    lines.append("")
    with open(args.md, "w") as out:
        out.write("\n".join(lines))

    figure, (times, traffic, curves) = plt.subplots(1, 3, figsize=(16, 4.5))
    names = [s.replace("DJL + INA ", "INA\n").replace("PyTorch DDP ", "DDP\n") for s in systems]
    compute = [summary[s][0] for s in systems]
    allreduce = [summary[s][1] for s in systems]
    times.bar(names, compute, label="compute (forward, backward, optimizer)", color="#8da0cb")
    times.bar(names, allreduce, bottom=compute, label="gradient all-reduce", color="#fc8d62")
    times.set_ylabel("ms per step (median over rounds)")
    times.set_title("Time per step, %s processes on this host" % first["workers"])
    times.legend()
    up = [summary[s][3] for s in systems]
    down = [summary[s][4] for s in systems]
    traffic.bar(names, up, label="sent", color="#66c2a5")
    traffic.bar(names, down, bottom=up, label="received", color="#e78ac3")
    traffic.set_ylabel("KiB per step per rank (payload)")
    traffic.set_title("Bytes on the wire per step")
    traffic.legend()
    styles = [("-", "o", 7), ("--", "s", 9), (":", "^", 6), ("-.", "D", 5)]
    for i, system in enumerate(systems):
        accuracies = summary[system][2]
        line, marker, size = styles[i % len(styles)]
        curves.plot(range(1, len(accuracies) + 1), accuracies, linestyle=line, marker=marker, markersize=size,
                    label=system)
    curves.set_xlabel("epoch")
    curves.set_ylabel("test accuracy (%)")
    curves.set_title("Test accuracy (mean over rounds)")
    curves.xaxis.get_major_locator().set_params(integer=True)
    curves.legend()
    figure.tight_layout()
    figure.savefig(args.png, dpi=110)


if __name__ == "__main__":
    main()
