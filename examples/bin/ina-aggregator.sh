#!/usr/bin/env bash
# Runs an aggregator (options: --help). Stop it with Ctrl-C or SIGTERM: ranks then receive ABORT.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ina_run dev.ina.examples.aggregator.AggregatorNode "$@"
