#!/usr/bin/env bash
# Installs what the peer benchmarks need, from Debian's packages (idempotent: only missing packages are installed,
# and `apt-get update` runs only when something is missing). Root (or sudo) needed for the install itself.
#   python3-torch      Gloo through torch.distributed (run with /usr/bin/python3, not a pyenv python)
#   openmpi-bin, libopenmpi-dev, gcc   Open MPI's mpirun and mpicc for mpi_allreduce.c
#   iperf3, sockperf   the raw UDP ceiling (ceiling.sh)
#   python3-matplotlib the charts of bench/results/make_results.py
#   iproute2           ip/tc for the emulated network (bench/emu/)
# Usage: bench/peers/install.sh [--check]   (--check: report what is missing, install nothing; exit 1 if any)
set -euo pipefail
packages=(python3-torch python3-matplotlib openmpi-bin libopenmpi-dev gcc iperf3 sockperf iproute2)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install.sh: all peer packages present"
    exit 0
fi
echo "install.sh: missing: ${missing[*]}"
if [[ "${1:-}" == "--check" ]]; then
    exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q "${missing[@]}"
echo "install.sh: installed ${missing[*]}"
