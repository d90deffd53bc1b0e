#!/usr/bin/python3
"""Gloo all-reduce benchmark (PyTorch torch.distributed, backend gloo), the peer INA is compared with.

Two ways to run it:

* launcher (default): ``gloo_allreduce.py --workers 4 --sizes 4KiB,64MiB --csv out.csv`` starts N processes on
  127.0.0.1 (torch.multiprocessing) and rank 0 writes the CSV;
* one rank: ``gloo_allreduce.py --rank r --world n --master-addr A --master-port P --ifname IF ...``, one process
  per host or network namespace (bench/emu/ uses this); rank 0 writes the CSV.

Each case: a float32 tensor of ``bytes / 4`` elements, ``--warmup`` untimed calls, then timed calls of
``all_reduce(SUM)``, each after a barrier (the barrier is not timed). Rank 0 reports p50/p99/mean of its call time,
algbw = bytes / p50 (GB = 1e9 bytes), busbw = algbw * 2(n-1)/n and worker_cpu_s = process CPU seconds spent inside
the timed calls, summed over all ranks, per call. The warm-up sets how many timed calls fit in ``--max-seconds``
(never fewer than ``--min-iterations``). Output rows use the header of ``bench/bin/ina-bench`` so that
bench/results/make_results.py reads both.

Run with Debian's /usr/bin/python3 and python3-torch (bench/peers/install.sh).
"""

import argparse
import datetime
import math
import os
import re
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

CSV_HEADER = ("system,transport,workers,codec,mode,bytes,elements_per_packet,window,iterations,p50_ms,p99_ms,"
              "mean_ms,algbw_GBps,busbw_GBps,pkts_per_s,agg_cpu_s,worker_cpu_s,retransmits")

_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024 ** 2, "MB": 1024 ** 2, "MIB": 1024 ** 2,
          "G": 1024 ** 3, "GB": 1024 ** 3, "GIB": 1024 ** 3}


def parse_size(text):
    """'4KiB' -> 4096 (binary units; KB and KiB alike, as ina-bench reads them)."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).upper() not in _UNITS:
        raise argparse.ArgumentTypeError("bad size: " + text)
    value = int(match.group(1)) * _UNITS[match.group(2).upper()]
    if value <= 0 or value % 4 != 0:
        raise argparse.ArgumentTypeError("size must be a positive multiple of 4 bytes: " + text)
    return value


def parse_sizes(text):
    return [parse_size(part) for part in text.split(",") if part.strip()]


def percentile(sorted_values, pct):
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, int(math.ceil(pct / 100.0 * len(sorted_values))) - 1))
    return sorted_values[index]


def log(rank, message):
    if rank == 0:
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        print("[gloo %s] %s" % (stamp, message), file=sys.stderr, flush=True)


def run_case(rank, world, size_bytes, args):
    """Runs one size on every rank; returns the CSV row on rank 0, None elsewhere."""
    count = size_bytes // 4
    tensor = torch.ones(count, dtype=torch.float32)
    for _ in range(args.warmup if args.warmup > 0 else 0):
        tensor.fill_(1.0)
        dist.barrier()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    # Correctness once: every element is the world size.
    tensor.fill_(1.0)
    dist.barrier()
    start = time.perf_counter()
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    probe_s = time.perf_counter() - start
    if not (float(tensor[0]) == world and float(tensor[-1]) == world):
        raise RuntimeError("wrong sum: %r, %r (expected %d)" % (float(tensor[0]), float(tensor[-1]), world))
    # Rank 0 decides how many timed calls fit the time budget and tells the others.
    plan = torch.tensor([0], dtype=torch.int64)
    if rank == 0:
        fit = int(args.max_seconds / max(probe_s, 1e-6))
        plan[0] = max(args.min_iterations, min(args.iterations, fit))
    dist.broadcast(plan, src=0)
    iterations = int(plan[0])
    times = []
    cpu = 0.0
    for _ in range(iterations):
        tensor.fill_(1.0)
        dist.barrier()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        t1 = time.perf_counter()
        cpu += time.process_time() - cpu0
        times.append(t1 - t0)
    cpu_sum = torch.tensor([cpu / iterations], dtype=torch.float64)
    dist.all_reduce(cpu_sum, op=dist.ReduceOp.SUM)
    if rank != 0:
        return None
    times.sort()
    p50 = percentile(times, 50) * 1e3
    p99 = percentile(times, 99) * 1e3
    mean = sum(times) / len(times) * 1e3
    algbw = size_bytes / (p50 / 1e3) / 1e9
    busbw = algbw * 2 * (world - 1) / world
    row = ["gloo", args.label, str(world), "FP32", "EXACT", str(size_bytes), "0", "0", str(iterations),
           "%.4f" % p50, "%.4f" % p99, "%.4f" % mean, "%.4f" % algbw, "%.4f" % busbw, "", "",
           "%.6f" % float(cpu_sum[0]), "0"]
    log(rank, "%d workers %d B: p50 %.3f ms p99 %.3f ms algbw %.3f GB/s (%d iterations)"
        % (world, size_bytes, p50, p99, algbw, iterations))
    return ",".join(row)


def rank_main(rank, world, args):
    if args.ifname:
        os.environ["GLOO_SOCKET_IFNAME"] = args.ifname
    torch.set_num_threads(1)
    init = "tcp://%s:%d" % (args.master_addr, args.master_port)
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=args.timeout))
    rows = []
    try:
        for size in args.sizes:
            row = run_case(rank, world, size, args)
            if row is not None:
                rows.append(row)
                if args.csv:
                    write_rows(args.csv, rows)
                else:
                    print(row, flush=True)
    finally:
        dist.destroy_process_group()


def write_rows(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w") as out:
        out.write(CSV_HEADER + "\n")
        for row in rows:
            out.write(row + "\n")
    os.replace(tmp, path)


def spawned(rank, world, args):
    rank_main(rank, world, args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", "--world", dest="world", type=int, default=4, help="ranks (default 4)")
    parser.add_argument("--rank", type=int, default=None,
                        help="run only this rank (one process per host/namespace); default: spawn all on loopback")
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("4KiB,64KiB,1MiB,16MiB,64MiB"),
                        help="tensor sizes in bytes of float32, e.g. 4KiB,64KiB,1MiB (default 4KiB..64MiB)")
    parser.add_argument("--iterations", type=int, default=100, help="timed calls per size, at most (default 100)")
    parser.add_argument("--min-iterations", type=int, default=5, help="timed calls per size, at least (default 5)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls per size (default 10)")
    parser.add_argument("--max-seconds", type=float, default=20.0,
                        help="time budget of the timed calls per size (default 20)")
    parser.add_argument("--master-addr", default="127.0.0.1", help="rank 0's address (default 127.0.0.1)")
    parser.add_argument("--master-port", type=int, default=0, help="rendezvous TCP port (default: a free one)")
    parser.add_argument("--ifname", default=None, help="GLOO_SOCKET_IFNAME (default lo for the launcher)")
    parser.add_argument("--label", default="loopback", help="transport column (default loopback)")
    parser.add_argument("--timeout", type=float, default=120.0, help="gloo operation timeout in seconds")
    parser.add_argument("--csv", default=None, help="CSV file written by rank 0 (default: rows on stdout)")
    args = parser.parse_args()
    if args.world < 1 or args.iterations < 1 or args.min_iterations < 1:
        parser.error("workers and iterations must be >= 1")
    if args.rank is not None:
        if args.master_port == 0:
            parser.error("--rank needs --master-port")
        rank_main(args.rank, args.world, args)
        return
    if args.ifname is None:
        args.ifname = "lo"
    if args.master_port == 0:
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.master_port = probe.getsockname()[1]
    mp.spawn(spawned, args=(args.world, args), nprocs=args.world, join=True)


if __name__ == "__main__":
    main()
