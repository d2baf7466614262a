#!/bin/sh
# bench_work ROOT MAMORI — workflow.applications_per_s on SQLite and on a
# throwaway PostgreSQL (tests/pgtmp.sh, with fsync on: durable commits),
# same program, same run.
set -eu
ROOT="$1"
HERE="$(dirname "$0")"
"$HERE/work_store_bench" "$ROOT" "/tmp/mamori-bench-work-$$.db" sqlite 2000
PGTMP_FSYNC=on "$ROOT/tests/pgtmp.sh" sh -c '"$0" "$1" "$MAMORI_TEST_PG" postgres 1000' "$HERE/work_store_bench" "$ROOT"
