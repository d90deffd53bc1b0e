#!/usr/bin/env bash
# Data-parallel training on Fashion-MNIST through INA (options: --help). Starts an aggregator and, per variant
# (FP32, FIXED32, INT8_EF, BOUNDED), N worker JVMs; writes training.md, training.csv and training.png to --out.
# Needs the data: apt-get install dataset-fashion-mnist (or --data DIR with the four IDX files).
#   ina-train.sh --workers 4 --epochs 5 --out ina-train-out
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
JAVA_OPTS="-Djava.awt.headless=true ${JAVA_OPTS:-}" ina_run dev.ina.examples.train.TrainLauncher "$@"
