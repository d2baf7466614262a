#!/bin/sh
# browser_test.sh MAMORI SRC_ROOT WORKDIR — sign in, add an asset and run the
# 「この操作はできますか？」 check in Debian's chromium (playwright-core from
# npm, installed into WORKDIR from the committed package-lock.json).
set -eu
M="$1"
ROOT="$2"
W="$3"
mkdir -p "$W"
if [ ! -x /usr/bin/chromium ]; then
	echo "browser: chromium is not installed (scripts/deps.sh installs it)"
	exit 1
fi
cp "$ROOT/tests/browser/package.json" "$ROOT/tests/browser/package-lock.json" \
	"$ROOT/tests/browser/signin_asset_check.mjs" "$W/"
if [ ! -d "$W/node_modules/playwright-core" ]; then
	(cd "$W" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
T=$(mktemp -d /tmp/mamori-browser.XXXXXX)
DB="$T/m.db"
"$M" init --db "$DB" >/dev/null
"$M" tenant add --db "$DB" --id toyohashi --profile "$ROOT/policy/toyohashi.yaml" >/dev/null
echo "Correct-Horse-9!" | "$M" user add --db "$DB" --tenant toyohashi --login admin1 --role ciso --password-stdin >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$M" serve --db "$DB" --listen "127.0.0.1:$PORT" 2>"$T/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
	sleep 0.05
done
node "$W/signin_asset_check.mjs" "http://127.0.0.1:$PORT" "$W/asset-check.png"

# issue 5: one full take-out (apply, approve, confirm obligations, take out, return)
cp "$ROOT/tests/browser/takeout.mjs" "$W/"
TOKEN=$(curl -sf -X POST -H 'Content-Type: application/json' \
	-d '{"tenant":"toyohashi","login":"admin1","password":"Correct-Horse-9!"}' \
	"http://127.0.0.1:$PORT/api/v1/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"name":"情報企画課","kind":"section"}' "http://127.0.0.1:$PORT/api/v1/units" >/dev/null
echo "Correct-Horse-9!" | "$M" user add --db "$DB" --tenant toyohashi --login staff1 --role staff --unit 情報企画課 --password-stdin >/dev/null
echo "Correct-Horse-9!" | "$M" user add --db "$DB" --tenant toyohashi --login mgr1 --role security_manager --scope unit --unit 情報企画課 --password-stdin >/dev/null
node "$W/takeout.mjs" "http://127.0.0.1:$PORT" "$W/takeout.png"

# issue 6: the dashboard of a demo tenant after a self-inspection round
cp "$ROOT/tests/browser/dashboard.mjs" "$W/"
"$M" init --db "$T/demo.db" --demo >/dev/null
PORT6=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$M" serve --db "$T/demo.db" --listen "127.0.0.1:$PORT6" 2>"$T/serve6.log" &
PID6=$!
trap 'kill $PID $PID6 2>/dev/null; wait $PID $PID6 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT6/healthz" >/dev/null && break
	sleep 0.05
done
node "$W/dashboard.mjs" "http://127.0.0.1:$PORT6" "$W/dashboard.png"
