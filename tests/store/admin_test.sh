#!/bin/sh
# admin_test.sh MAMORI SRC_ROOT sqlite|postgres — init, tenant, user, backup
# and restore through the CLI, with their exit codes and messages.
set -eu
M="$1"
ROOT="$2"
BACKEND="$3"
T=$(mktemp -d /tmp/mamori-admin.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ "$BACKEND" = postgres ]; then DB="$MAMORI_TEST_PG"; else DB="$T/m.db"; fi
fail() { echo "FAIL: $*"; exit 1; }

"$M" init --db "$DB" >/dev/null
"$M" tenant add --db "$DB" --id kameoka --profile "$ROOT/policy/kameoka.yaml" --name 亀岡市 >/dev/null
# the same id twice: refused (3), a profile that does not load: bad input (2)
set +e
"$M" tenant add --db "$DB" --id kameoka --profile "$ROOT/policy/kameoka.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] || fail "duplicate tenant exit $rc"
grep -q "すでにあります" "$T/err" || fail "duplicate tenant message: $(cat "$T/err")"
"$M" tenant add --db "$DB" --id bad --profile "$ROOT/tests/data/bad/profile/bad-effect.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "bad profile exit $rc"
grep -q "bad-effect.yaml:17:13" "$T/err" || fail "bad profile names file:line:col: $(cat "$T/err")"
echo "Strong-Passw0rd!" | "$M" user add --db "$DB" --tenant kameoka --login boss --role no_such_role --password-stdin 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown role exit $rc"
grep -q "no_such_role" "$T/err" || fail "unknown role message"
"$M" user add --db "$DB" --tenant kameoka --login boss --role chief_information_officer 2>/dev/null </dev/null; rc=$?
[ $rc -eq 2 ] || fail "no --password-stdin exit $rc"
set -e
echo "Strong-Passw0rd!" | "$M" user add --db "$DB" --tenant kameoka --login boss --role chief_information_officer --password-stdin >/dev/null
"$M" tenant list --db "$DB" | grep -q "^kameoka	亀岡市" || fail "tenant list"

# backup, change, restore: the change is gone, the backup's content is back
B="$T/backup.bin"
"$M" backup --db "$DB" --to "$B" >/dev/null
[ -s "$B" ] || fail "backup file empty"
set +e
"$M" backup --db "$DB" --to "$B" 2>/dev/null; rc=$?
set -e
[ $rc -eq 3 ] || fail "backup over an existing file exit $rc"
echo "Strong-Passw0rd!" | "$M" user add --db "$DB" --tenant kameoka --login later --role staff --password-stdin >/dev/null
"$M" restore --db "$DB" --from "$B" >/dev/null
set +e
echo "Strong-Passw0rd!" | "$M" user add --db "$DB" --tenant kameoka --login boss --role staff --password-stdin 2>/dev/null; rc=$?
set -e
[ $rc -eq 3 ] || fail "restored database lacks boss (exit $rc)"
echo "Strong-Passw0rd!" | "$M" user add --db "$DB" --tenant kameoka --login later --role staff --password-stdin >/dev/null \
	|| fail "'later' (added after the backup) should be gone after restore"
echo "admin ($BACKEND): ok"
