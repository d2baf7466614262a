#!/bin/sh
# cli_test.sh MAMORI SRC_ROOT — the `mamori` command as a person uses it:
# exit codes (0 for any decision, 2 + one line naming the field for bad
# input), help, policy check and show.
set -u
M="$1"
ROOT="$2"
P="$ROOT/tests/data/profiles"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

expect() { # expect NAME WANT_EXIT GOT_EXIT
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: exit $3, want $2"; fails=$((fails + 1))
	else
		echo "ok   $1"
	fi
}
contains() { # contains NAME FILE TEXT
	if grep -qF -- "$3" "$2"; then echo "ok   $1"; else
		echo "FAIL $1: $2 lacks: $3"; sed 's/^/     | /' "$2"; fails=$((fails + 1)); fi
}
lines() { # lines NAME FILE N
	n=$(wc -l < "$2")
	if [ "$n" -eq "$3" ]; then echo "ok   $1"; else echo "FAIL $1: $n lines, want $3"; fails=$((fails + 1)); fi
}

req='{"action":"info.send","subject":{"roles":["staff"]},"resource":{"kind":"information","classification":{"confidentiality":"3A"}},"context":{"destination":"external"}}'

printf '%s' "$req" | "$M" decide --profile "$P/base.yaml" > "$T/out" 2> "$T/err"
expect "decide deny exits 0" 0 $?
contains "decide prints the effect" "$T/out" '"effect": "deny"'
contains "decide cites the clause" "$T/out" '"clause": "第2条"'
contains "decide gives a Japanese reason" "$T/out" '認められません'

printf '%s' "$req" > "$T/req.json"
"$M" decide --profile "$P/base.yaml" --request "$T/req.json" > "$T/out2" 2>&1
expect "decide --request" 0 $?
cmp -s "$T/out" "$T/out2" && echo "ok   stdin and --request agree" || { echo "FAIL stdin and --request differ"; fails=$((fails + 1)); }

printf '{"action":"info.send","subject":{"roles":["staff"]},"resource":{"classification":{"confidentiality":"7"}}}' |
	"$M" decide --profile "$P/base.yaml" > "$T/out" 2> "$T/err"
expect "bad level exits 2" 2 $?
lines "bad input: one line on stderr" "$T/err" 1
contains "bad input names the field and value" "$T/err" 'request.resource.classification.confidentiality: 未定義のレベル (unknown level) "7"'
lines "bad input: nothing on stdout" "$T/out" 0

printf '{"action": ' | "$M" decide --profile "$P/base.yaml" > /dev/null 2> "$T/err"
expect "malformed JSON exits 2" 2 $?
contains "malformed JSON is named" "$T/err" 'JSON の構文誤り'

printf '%s' "$req" | "$M" decide --profile "$ROOT/tests/data/bad/profile/syntax.yaml" > /dev/null 2> "$T/err"
expect "broken profile exits 2" 2 $?
contains "broken profile names file:line:col" "$T/err" 'syntax.yaml:15:4: YAML の構文誤り'

"$M" decide > /dev/null 2> "$T/err"
expect "decide without --profile exits 2" 2 $?
"$M" decide --profile "$P/base.yaml" --request /nonexistent.json > /dev/null 2> "$T/err"
expect "missing request file exits 2" 2 $?

"$M" policy check "$P/base.yaml" "$P/child.yaml" > "$T/out" 2> "$T/err"
expect "policy check clean" 0 $?
"$M" policy check "$ROOT/tests/data/bad/multi.yaml" > "$T/out" 2> "$T/err"
expect "policy check with problems exits 2" 2 $?
lines "policy check lists every problem" "$T/out" 3
contains "policy check names file:line" "$T/out" 'multi.yaml:11:13:'

"$M" policy show "$P/child.yaml" > "$T/out" 2> "$T/err"
expect "policy show" 0 $?
contains "policy show lists roles in Japanese" "$T/out" '最高情報セキュリティ責任者'
contains "policy show gives the base" "$T/out" '基底: base'
contains "policy show gives citations" "$T/out" '根拠: 子規程 第10条'
"$M" policy show "$P/base.yaml" --level confidentiality=3A > "$T/out" 2> "$T/err"
expect "policy show --level" 0 $?
contains "show --level gives the definition" "$T/out" '定義: 秘密文書に相当'
contains "show --level gives the restriction" "$T/out" '取扱制限: 復元不可能な処理を施しての廃棄'
"$M" policy show "$P/base.yaml" --format json > "$T/out" 2> "$T/err"
expect "policy show --format json" 0 $?
contains "show json" "$T/out" '"profile": "base"'
"$M" policy show "$P/base.yaml" --level colour=1 > /dev/null 2> "$T/err"
expect "show unknown axis exits 2" 2 $?

"$M" help > "$T/out"
expect "help" 0 $?
contains "help is Japanese" "$T/out" '使い方'
"$M" decide --help > "$T/out"
expect "decide --help" 0 $?
"$M" nonsense > /dev/null 2> "$T/err"
expect "unknown command exits 2" 2 $?

# the shipped profiles decide from the README's example
if [ -f "$ROOT/policy/kameoka.yaml" ]; then
	printf '{"action":"info.send","subject":{"roles":["staff"]},"resource":{"kind":"information","classification":{"importance":"Ⅰ"}},"context":{"destination":"external","channel":"internet-mail"}}' |
		"$M" decide --profile "$ROOT/policy/kameoka.yaml" > "$T/out" 2> "$T/err"
	expect "kameoka class I by internet mail" 0 $?
	contains "kameoka class I by internet mail is denied" "$T/out" '"effect": "deny"'
fi

# mamori is the core alone: decide runs without mamori-tools; any other
# command runs in mamori-tools beside it (and says so when it is missing)
mkdir -p "$T/alone"
cp "$M" "$T/alone/mamori"
echo "$req" | "$T/alone/mamori" decide --profile "$P/base.yaml" > "$T/out" 2>&1
expect "decide without mamori-tools" 0 $?
"$T/alone/mamori" tenant list --db "$T/x.db" > "$T/out" 2>&1
expect "another command without mamori-tools" 1 $?
contains "names what is missing" "$T/out" "mamori-tools"
"$M" help serve > "$T/out" 2>&1
expect "help for a command of mamori-tools" 0 $?
contains "help comes from mamori-tools" "$T/out" "--listen"
"$M" no-such-command > "$T/out" 2>&1
expect "unknown command" 2 $?
contains "unknown command is named" "$T/out" "no-such-command"

"$M" init --db "$T/no-such-dir/m.db" > "$T/out" 2>&1
expect "init into a missing directory" 1 $?
contains "the missing directory is said" "$T/out" "そのディレクトリがありません"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
