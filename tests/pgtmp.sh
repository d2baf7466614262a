#!/bin/sh
# tests/pgtmp.sh — run a command against a throwaway PostgreSQL server.
#
#   tests/pgtmp.sh COMMAND [ARGS...]
#
# Starts a fresh cluster (initdb, trust auth) in a temporary directory,
# listening on 127.0.0.1 on a free port, exports MAMORI_TEST_PG as a
# postgres:// URI for it, runs COMMAND, then stops the server and removes the
# directory, keeping COMMAND's exit status. Run as root, the server runs as the
# `postgres` user (PostgreSQL refuses to run as root).
# Tests run it with fsync=off (speed; the cluster is thrown away); benchmarks
# that claim durable commits set PGTMP_FSYNC=on.
set -eu
fsync=${PGTMP_FSYNC:-off}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	echo "pgtmp: PostgreSQL server not installed (run scripts/deps.sh)" >&2
	exit 77
fi

dir=$(mktemp -d /tmp/mamori-pg.XXXXXX)
chmod 755 "$dir"
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	chown postgres:postgres "$dir"
	as_pg() { runuser -u postgres -- "$@"; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
	as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; exit 1; }
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=$fsync -c max_connections=200" start >/dev/null ||
	{ cat "$dir/server.log" >&2; exit 1; }

export MAMORI_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
status=0
"$@" || status=$?
exit $status
