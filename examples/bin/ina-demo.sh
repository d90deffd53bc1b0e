#!/usr/bin/env bash
# Local demo: an embedded aggregator and N worker threads in one JVM (options: --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ina_run dev.ina.examples.demo.LocalDemo "$@"
