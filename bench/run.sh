#!/bin/sh
# bench/run.sh BUILD_DIR — print every benchmark's `name: value unit` lines.
# Each bench_* executable under BUILD_DIR/bench is run as
#   bench_x SOURCE_ROOT PATH_TO_MAMORI
set -eu
B="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
for b in $(find "$B/bench" -type f -name 'bench_*' -perm -u+x | sort); do
	"$b" "$ROOT" "$B/mamori" 2>/dev/null
done
