#!/bin/sh
# import_test.sh MAMORI SRC_ROOT [DB] — CSV import (UTF-8 and CP932, all or
# nothing, every bad row named) and export (CSV with BOM, XLSX).
set -eu
M="$1"
ROOT="$2"
D="$ROOT/tests/data/store/import"
T=$(mktemp -d /tmp/mamori-import.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# refused KIND FILE WHAT: `mamori import KIND FILE` must exit 2 (bad input),
# its messages in $T/err
refused() {
	set +e
	"$M" import "$1" --db "$DB" --tenant toyohashi "$2" 2>"$T/err"
	rc=$?
	set -e
	[ $rc -eq 2 ] || fail "$3 exit $rc"
}
DB="${3:-$T/m.db}" # a SQLite file, or the postgres:// URI of tests/pgtmp.sh
"$M" init --db "$DB" >/dev/null
"$M" tenant add --db "$DB" --id toyohashi --profile "$ROOT/policy/toyohashi.yaml" >/dev/null
"$M" import units --db "$DB" --tenant toyohashi "$D/units.csv" | grep -q "5 件を取り込みました" || fail "units"

# CP932 with NEC/IBM extensions, a quoted comma and a quoted newline
"$M" import assets --db "$DB" --tenant toyohashi "$D/assets-cp932.csv" | grep -q "3 件" || fail "cp932 import"
"$M" export assets --db "$DB" --tenant toyohashi --format csv --to "$T/a.csv" >/dev/null
head -c 3 "$T/a.csv" | od -An -tx1 | grep -q "ef bb bf" || fail "export lacks the BOM"
grep -q "①髙橋・山﨑家の申請書（令和7年度）,information,,[0-9]*,,,mynumber,書庫①,,,はい,はい,I" "$T/a.csv" || fail "CP932 row did not round-trip: $(cat "$T/a.csv")"
grep -q "㈱髙﨑商事との契約書" "$T/a.csv" || fail "㈱ lost"
grep -q '^[0-9]*,"カンマ, を含む名称"' "$T/a.csv" || fail "quoted comma"

# the ledger's kept total (ledger_counts, migration 0007) equals its rows,
# after an import and after a refused one
sql() {
	case "$DB" in
	postgres*) psql -qAt "$DB" -c "$1" ;;
	*) python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$DB" "$1" ;;
	esac
}
counts_agree() {
	kept=$(sql "SELECT n FROM ledger_counts WHERE tenant = 'toyohashi' AND ledger = 'assets'")
	rows=$(sql "SELECT count(*) FROM assets WHERE tenant = 'toyohashi'")
	[ "$kept" = "$rows" ] && [ "$rows" = "$1" ] || fail "ledger_counts $kept, rows $rows, want $1 ($2)"
}
counts_agree 3 "after the CP932 import"

# a file with bad rows: each named (row, column, reason), nothing imported
refused assets "$D/assets-bad.csv" "bad rows"
while IFS= read -r line; do
	grep -qF "$line" "$T/err" || fail "missing error line: $line (got: $(cat "$T/err"))"
done < "$D/assets-bad.expect"
grep -q "何も取り込みませんでした" "$T/err" || fail "says nothing was imported"
"$M" export assets --db "$DB" --tenant toyohashi --format csv --to "$T/b.csv" >/dev/null
[ "$(wc -l < "$T/b.csv")" = "$(wc -l < "$T/a.csv")" ] || fail "the good row of a bad file was imported"
grep -q "正しい行" "$T/b.csv" && fail "the good row of a bad file was imported"
counts_agree 3 "after a refused import"

# bad rows late in a large file (PostgreSQL writes the rows while it reads
# the file): every one named, nothing kept; then a system name already
# taken, late in a large file, named by its row
python3 -c "
import sys
w = sys.stdout.write
w('名称,種別,重要性分類,所管課\\n')
for i in range(6000):
    w('後の行%04d,information,%s,%s\\n' % (i, 'V' if i == 5990 else 'I', '無い課' if i == 4500 else ('財政課' if i >= 3000 else '市民課')))
" > "$T/late.csv"
refused assets "$T/late.csv" "late bad rows"
grep -qF '4502 行目 [所管課]: 組織 "無い課" が見つかりません' "$T/err" || fail "late bad unit: $(cat "$T/err")"
grep -qF '5992 行目 [重要性分類]: レベル "V" は軸 "importance" にありません' "$T/err" || fail "late bad level: $(cat "$T/err")"
grep -q "何も取り込みませんでした" "$T/err" || fail "late bad rows: says nothing was imported"
counts_agree 3 "after a refused large import"
python3 -c "
import sys
sys.stdout.write('システム名,ネットワーク\\n' + ''.join('系%04d,lgwan\\n' % i for i in range(4000)) + '系0100,lgwan\\n')
" > "$T/sys.csv"
refused systems "$T/sys.csv" "duplicate system"
grep -q "4002 行目 \[システム名\]" "$T/err" || fail "duplicate system not named: $(cat "$T/err")"
[ "$(sql "SELECT count(*) FROM systems WHERE tenant = 'toyohashi'")" = 0 ] || fail "systems kept"

# an oversized file is refused before anything is parsed
python3 -c "import sys; sys.stdout.write('名称,種別,重要性分類\n' + 'x,information,I\n' * 4500000)" > "$T/big.csv"
refused assets "$T/big.csv" "oversized"
grep -q "64 MiB" "$T/err" || fail "oversized message: $(cat "$T/err")"

# XLSX export opens as a workbook holding the Japanese text
"$M" export assets --db "$DB" --tenant toyohashi --format xlsx --to "$T/a.xlsx" >/dev/null
unzip -p "$T/a.xlsx" xl/worksheets/sheet1.xml xl/sharedStrings.xml 2>/dev/null | grep -q "山﨑" || fail "xlsx lacks the text"
# an existing file is never overwritten
set +e
"$M" export assets --db "$DB" --tenant toyohashi --format csv --to "$T/a.csv" 2>/dev/null; rc=$?
set -e
[ $rc -ne 0 ] || fail "export overwrote a file"
echo "import: ok"
