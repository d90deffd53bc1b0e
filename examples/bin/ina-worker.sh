#!/usr/bin/env bash
# Runs one rank from INA_AGGREGATOR, INA_JOB, INA_RANK, INA_WORLD_SIZE, ... (options: --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ina_run dev.ina.examples.worker.WorkerNode "$@"
