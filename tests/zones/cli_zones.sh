#!/bin/sh
# `mamori zones check`: exit codes (0 clean, 1 violation, 2 bad input), the
# one-line error naming the file and line, the three output formats.
set -u
MAMORI=$1
ROOT=$2
D=$ROOT/tests/data/zones
P=$ROOT/policy/toyohashi.yaml
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
expect_exit() { # want, description, command...
	want=$1; what=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want"; cat "$T/err"; fails=$((fails + 1))
	fi
}
expect_exit 0 "clean nft" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/clean.json"
grep -q "違反なし" "$T/out" || { echo "FAIL: clean text lacks 違反なし"; fails=$((fails + 1)); }
expect_exit 0 "clean iptables" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/clean.iptables"
for f in stray_accept peer_all_ports jump_permissive set_wrong_subnet; do
	for e in json iptables; do
		expect_exit 1 "$f.$e" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/$f.$e"
	done
done
# text names the rule and quotes the clause
expect_exit 1 "stray text" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/stray_accept.iptables"
grep -q "FORWARD (line 1[0-9])" "$T/out" || { echo "FAIL: rule line missing"; cat "$T/out"; fails=$((fails + 1)); }
grep -q "第3 2(1)「LGWAN 接続系とインターネット接続系は両環境間の通信環境を分離した上で" "$T/out" ||
	{ echo "FAIL: clause text missing"; fails=$((fails + 1)); }
# json and svg
expect_exit 1 "json" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/stray_accept.json" --format json
grep -q '"clean": false' "$T/out" || { echo "FAIL: json clean flag"; fails=$((fails + 1)); }
grep -q '"handle": ' "$T/out" || { echo "FAIL: json handle"; fails=$((fails + 1)); }
expect_exit 1 "svg" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/stray_accept.json" --format svg
head -c 4 "$T/out" | grep -q "<svg" || { echo "FAIL: svg"; fails=$((fails + 1)); }
grep -q 'stroke="#c00000"' "$T/out" || { echo "FAIL: svg lacks a red violation"; fails=$((fails + 1)); }
# probes
expect_exit 0 "probe" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/clean.json" \
	--probe 10.30.1.25,10.20.0.5,tcp/25 --probe 10.20.0.5,10.30.0.5,tcp/80
grep -q "10.30.1.25,10.20.0.5,tcp/25: accept" "$T/out" && grep -q "10.20.0.5,10.30.0.5,tcp/80: drop" "$T/out" ||
	{ echo "FAIL: probes"; cat "$T/out"; fails=$((fails + 1)); }
# bad input: exit 2, one line naming the file and line
expect_exit 2 "bad rules" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/bad/bad_addr.iptables"
grep -q "^mamori: エラー \[EINVAL\]: .*bad_addr.iptables:3: " "$T/err" || { echo "FAIL: error line"; cat "$T/err"; fails=$((fails + 1)); }
[ "$(wc -l <"$T/err")" -eq 1 ] || { echo "FAIL: error is not one line"; fails=$((fails + 1)); }
expect_exit 2 "bad zones" "$MAMORI" zones check --profile "$P" --zones "$D/bad/overlap.yaml" --rules "$D/clean.json"
expect_exit 2 "missing file" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$T/nope"
expect_exit 2 "missing args" "$MAMORI" zones check --profile "$P"
expect_exit 2 "bad format" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/clean.json" --format pdf
expect_exit 2 "bad probe" "$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$D/clean.json" --probe 10.0.0.1
expect_exit 0 "help" "$MAMORI" zones check --help
expect_exit 0 "help via mamori help" "$MAMORI" help zones
[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "ok"
