#!/bin/sh
# bench/run.sh BUILD_DIR — print every benchmark's `name: value unit` lines.
set -eu
B="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$B/bench/bench_decide" "$ROOT" "$B/mamori" 2>/dev/null
