#!/usr/bin/python3
"""PyTorch DDP (Gloo, CPU) baseline of the DJL + INA Fashion-MNIST example (integrations/djl).

Same model (784-hidden-ReLU-10, nn.Linear's default initialisation, which the DJL example copies), same data
(rank r trains on examples r, r+n, ... of the training set, n equal shards, last partial batch dropped, reshuffled
every epoch), same batch per rank, SGD with momentum, the same number of steps. Gradients are averaged by DDP's
all-reduce over Gloo (TCP on loopback). A comm hook times each all-reduce from the moment DDP hands over the
bucket until its result is back. Bytes sent per rank are measured from /proc/self/io (wchar: Gloo's TCP writes,
framing included); Gloo's receives do not show in rchar, and a ring all-reduce receives what it sends, so the
received column repeats the sent one.

Rank 0 appends one CSV row with the columns of integrations/djl's TrainLauncher (--csv).
Run with Debian's /usr/bin/python3 and python3-torch (bench/peers/install.sh).
"""

import argparse
import datetime
import gzip
import os
import socket
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

CSV_HEADER = ("label,codec,mode,workers,epochs,batch,steps,step_ms,allreduce_ms,bytes_up_per_step,"
              "bytes_down_per_step,retransmits_per_step,test_accuracy,train_loss,ranks_identical,accuracy_per_epoch")


def read_idx(directory, name, magic):
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            found, count = struct.unpack(">II", data[:8])
            if found != magic:
                raise ValueError("%s: IDX magic %#x, expected %#x" % (path, found, magic))
            dims = (magic & 0xFF)
            header = 4 + 4 * dims
            return np.frombuffer(data, dtype=np.uint8, offset=header), count
    raise FileNotFoundError("Fashion-MNIST file %s(.gz) not found in %s: apt-get install dataset-fashion-mnist "
                            "or pass --data DIR" % (name, directory))


def load(directory, split, rank, world):
    pixels, count = read_idx(directory, split + "-images-idx3-ubyte", 0x803)
    labels, _ = read_idx(directory, split + "-labels-idx1-ubyte", 0x801)
    images = pixels.reshape(count, 784)
    per_rank = count // world
    index = rank + world * np.arange(per_rank)
    x = torch.from_numpy(images[index].astype(np.float32) / 255.0)
    y = torch.from_numpy(labels[index].astype(np.int64))
    return x, y


def io_bytes():
    """Bytes this process wrote through write system calls: Gloo's TCP sends."""
    with open("/proc/self/io") as f:
        for line in f:
            key, value = line.split(":")
            if key == "wchar":
                return int(value)
    raise RuntimeError("no wchar in /proc/self/io")


def timed_allreduce_hook(state, bucket):
    """DDP's default: average the bucket with one all_reduce, timed until its result is back."""
    start = time.perf_counter()
    tensor = bucket.buffer()
    tensor.div_(state["world"])
    future = dist.all_reduce(tensor, async_op=True).get_future()

    def done(fut):
        state["seconds"] += time.perf_counter() - start
        return fut.value()[0]

    return future.then(done)


def accuracy(model, x, y):
    with torch.no_grad():
        correct = 0
        for start in range(0, len(y), 1000):
            correct += (model(x[start:start + 1000]).argmax(1) == y[start:start + 1000]).sum().item()
    return correct / len(y)


def rank_main(rank, world, args):
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % args.master_port, rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=600))
    try:
        x, y = load(args.data, "train", rank, world)
        test_x, test_y = load(args.data, "t10k", 0, 1) if rank == 0 else (None, None)
        torch.manual_seed(args.seed)
        model = nn.Sequential(nn.Linear(784, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
        ddp = DDP(model)  # broadcasts rank 0's parameters
        state = {"world": world, "seconds": 0.0}
        ddp.register_comm_hook(state, timed_allreduce_hook)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=args.momentum)
        loss_fn = nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(args.seed + rank)
        steps_per_epoch = len(y) // args.batch
        steps = 0
        train_seconds = 0.0
        accuracies = []
        losses = []
        written0 = io_bytes()
        for epoch in range(args.epochs):
            order = torch.randperm(len(y), generator=generator)
            loss_sum = 0.0
            start = time.perf_counter()
            for b in range(steps_per_epoch):
                index = order[b * args.batch:(b + 1) * args.batch]
                loss = loss_fn(ddp(x[index]), y[index])
                optimizer.zero_grad(set_to_none=False)
                loss.backward()
                optimizer.step()
                loss_sum += loss.item()
                steps += 1
            train_seconds += time.perf_counter() - start
            losses.append(loss_sum / steps_per_epoch)
            if rank == 0:
                # The other ranks wait in their next all-reduce, as INA's EXACT ranks do.
                accuracies.append(accuracy(model, test_x, test_y))
                print("epoch %d/%d: train loss %.4f, test accuracy %.2f %%, %.2f ms/step, all-reduce %.2f ms/step, "
                      "%.1f s" % (epoch + 1, args.epochs, losses[-1], 100 * accuracies[-1],
                                  1e3 * train_seconds / steps, 1e3 * state["seconds"] / steps, train_seconds),
                      flush=True)
        written1 = io_bytes()
        crc = 0
        for p in model.parameters():
            crc = zlib.crc32(p.detach().numpy().tobytes(), crc)
        mine = torch.tensor([1e3 * train_seconds / steps, 1e3 * state["seconds"] / steps,
                             (written1 - written0) / steps, losses[-1], float(crc)],
                            dtype=torch.float64)
        gathered = [torch.zeros_like(mine) for _ in range(world)]
        dist.all_gather(gathered, mine)
        if rank == 0:
            table = torch.stack(gathered)
            identical = "yes" if len(set(int(v) for v in table[:, 4].tolist())) == 1 else "no"
            row = "%s,FP32,gloo,%d,%d,%d,%d,%.3f,%.3f,%.0f,%.0f,0,%.4f,%.4f,%s,%s" % (
                args.label, world, args.epochs, args.batch, steps, table[:, 0].max().item(),
                table[:, 1].mean().item(), table[:, 2].mean().item(), table[:, 2].mean().item(), accuracies[-1],
                table[:, 3].mean().item(), identical, ";".join("%.4f" % a for a in accuracies))
            print("%s: test accuracy %.2f %%, time per step %.2f ms (slowest rank), all-reduce %.2f ms per step, "
                  "%.1f KiB sent (and received) per step per rank; ranks bit-identical: %s"
                  % (args.label, 100 * accuracies[-1], table[:, 0].max().item(), table[:, 1].mean().item(),
                     table[:, 2].mean().item() / 1024, identical), flush=True)
            if args.csv:
                fresh = not os.path.exists(args.csv) or os.path.getsize(args.csv) == 0
                with open(args.csv, "a") as out:
                    if fresh:
                        out.write(CSV_HEADER + "\n")
                    out.write(row + "\n")
    finally:
        dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--label", default="PyTorch DDP (Gloo)")
    parser.add_argument("--csv", default=None, help="append rank 0's result row to this CSV file")
    args = parser.parse_args()
    if args.workers < 1 or args.epochs < 1 or args.batch < 1:
        parser.error("workers, epochs and batch must be >= 1")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        args.master_port = probe.getsockname()[1]
    mp.spawn(rank_main, args=(args.workers, args), nprocs=args.workers, join=True)


if __name__ == "__main__":
    sys.exit(main())
