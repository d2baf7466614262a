#!/bin/sh
# scripts/run.sh MAMORI — `make run`: create the demo database if there is
# none (the five bodies of the seeds, with their sign-ins), then serve the web
# pages and the API on http://127.0.0.1:8080 until Ctrl-C.
#   MAMORI_DB      the database (default var/mamori.db; a postgres:// URI works)
#   MAMORI_LISTEN  the address (default 127.0.0.1:8080)
set -eu
M="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DB="${MAMORI_DB:-$ROOT/var/mamori.db}"
LISTEN="${MAMORI_LISTEN:-127.0.0.1:8080}"
case "$DB" in
postgres://* | postgresql://*) fresh=0 ;;
*)
	mkdir -p "$(dirname "$DB")"
	if [ -f "$DB" ]; then fresh=0; else fresh=1; fi
	;;
esac
if [ "$fresh" = 1 ]; then
	"$M" init --db "$DB" --demo --policy-dir "$ROOT/policy" > "$ROOT/var/demo-signins.txt"
fi
echo "mamori: http://$LISTEN/ を開いてください (open in a browser)"
echo "見本のサインイン (demo sign-ins; all from $ROOT/var/demo-signins.txt):"
grep -E "^  (toyohashi|kameoka|meguro|tsuruoka|ibaraki-gikai) +(ciso|chief.information.officer|council.chief|staff|auditor) " \
	"$ROOT/var/demo-signins.txt" 2>/dev/null || true
exec "$M" serve --db "$DB" --listen "$LISTEN" --policy-dir "$ROOT/policy"
