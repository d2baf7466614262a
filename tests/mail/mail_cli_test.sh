#!/bin/sh
# mail_cli_test.sh MAMORI SRC_ROOT — `mamori mail textize` from the outside:
# exit codes (0, 2, 3), the reason on standard error, --profile limits,
# --quarantine files by hash, --audit records, `mamori milter` usage errors.
set -u
M="$1"
ROOT="$2"
D="$ROOT/tests/data/mail"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$M" mail textize < "$D/iso2022jp_alternative_attachment.eml" > "$T/out.eml" 2> "$T/err" ||
	fail "textize exit $?: $(cat "$T/err")"
grep -q '^Content-Type: text/plain; charset=UTF-8' "$T/out.eml" || fail "no text/plain UTF-8"
grep -q '^X-Mamori-Textized: .*attachments-removed=1' "$T/out.eml" || fail "no X-Mamori-Textized"
grep -qi '^X-Mailer' "$T/out.eml" && fail "X-Mailer kept"
grep -q 'JVBERi0' "$T/out.eml" && fail "attachment base64 in the output"
python3 - "$T/out.eml" <<'PY' || fail "decoded body"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
body = m.get_content()
assert "①会議は㈱マモリ本社で行います。" in body, body
assert "見積書.pdf" in body, body
assert "%PDF" not in body
assert m["Subject"] == "会議のご案内", m["Subject"]
PY

# --quarantine stores the attachment under its SHA-256; --audit appends JSON.
mkdir "$T/q"
"$M" mail textize --quarantine "$T/q" --audit "$T/audit.jsonl" \
	< "$D/iso2022jp_alternative_attachment.eml" > "$T/out2.eml" || fail "quarantine run"
n=$(ls "$T/q" | wc -l)
[ "$n" = 1 ] || fail "quarantine holds $n files"
h=$(ls "$T/q")
[ "$(sha256sum "$T/q/$h" | cut -d' ' -f1)" = "$h" ] || fail "quarantine file not named by hash"
grep -q "$h" "$T/out2.eml" || python3 -c "
import email,sys
m=email.message_from_binary_file(open('$T/out2.eml','rb'))
sys.exit(0 if '$h' in m.get_payload(decode=True).decode() else 1)" || fail "hash not listed"
grep -q '"message_id":"<test-1@example.com>"' "$T/audit.jsonl" || fail "audit record"
grep -q 'お世話' "$T/audit.jsonl" && fail "body in the audit record"

# A profile's limits: too large, too deep, too many parts → exit 3 + reason.
cp "$ROOT"/policy/*.yaml "$T/"
cat > "$T/t.yaml" <<YAML
profile: t
extends: guideline
title: t
body: t
document: t
settings:
  mail: {max_message_bytes: 1000, max_depth: 0, max_parts: 3}
rules: []
YAML
"$M" mail textize --profile "$T/t.yaml" < "$D/iso2022jp_alternative_attachment.eml" \
	> /dev/null 2> "$T/err"
[ $? = 3 ] || fail "too large: not exit 3"
grep -q '大きすぎ' "$T/err" || fail "too large: reason $(cat "$T/err")"
"$M" mail textize --profile "$T/t.yaml" < "$D/nested_rfc822.eml" > /dev/null 2> "$T/err"
[ $? = 3 ] || fail "too many parts / deep: not exit 3"
grep -q 'ELIMIT' "$T/err" || fail "limit: reason $(cat "$T/err")"
"$M" mail textize --profile "$T/t.yaml" < "$D/eucjp.eml" > /dev/null || fail "small message refused"

# --db / --tenant: one audit-log entry per message, the record without the body.
"$M" init --db "$T/m.db" > /dev/null 2>&1 || fail "init"
"$M" tenant add --db "$T/m.db" --id t1 --profile "$ROOT/policy/toyohashi.yaml" > /dev/null 2>&1 ||
	fail "tenant add"
"$M" mail textize --db "$T/m.db" --tenant t1 < "$D/iso2022jp_alternative_attachment.eml" \
	> "$T/out3.eml" || fail "textize --db"
cmp -s "$T/out.eml" "$T/out3.eml" || fail "--db changed the output"
"$M" log search --db "$T/m.db" --tenant t1 --action mail.textize --json > "$T/log.json" ||
	fail "log search"
python3 - "$T/log.json" <<'PY' || fail "audit log entry"
import json, sys
items = json.load(open(sys.argv[1]))["items"]
assert len(items) == 1, items
e = items[0]
assert e["object_kind"] == "mail" and e["object_id"] == "<test-1@example.com>", e
d = e["decision"]
assert d["to"] == "soumu@city.example.lg.jp" and d["attachments"][0]["name"] == "見積書.pdf", d
assert len(e["before"]) == 64 and len(e["after"]) == 64
assert "お世話" not in json.dumps(e, ensure_ascii=False)
PY
"$M" mail textize --db "$T/m.db" --tenant nobody < "$D/eucjp.eml" > /dev/null 2>&1
[ $? = 2 ] || fail "unknown tenant: not exit 2"
"$M" mail textize --db "$T/m.db" < "$D/eucjp.eml" > /dev/null 2>&1
[ $? = 2 ] || fail "--db without --tenant: not exit 2"

# Bad usage and bad input → exit 2.
"$M" mail textize --bogus < /dev/null > /dev/null 2>&1
[ $? = 2 ] || fail "unknown argument: not exit 2"
"$M" mail textize < /dev/null > /dev/null 2> "$T/err"
[ $? = 2 ] || fail "empty input: not exit 2"
"$M" mail textize --profile "$T/missing.yaml" < "$D/eucjp.eml" > /dev/null 2>&1
[ $? = 2 ] || fail "missing profile: not exit 2"
"$M" mail textize --quarantine "$T/nope" < "$D/eucjp.eml" > /dev/null 2>&1
[ $? = 2 ] || fail "missing quarantine dir: not exit 2"
"$M" mail frobnicate > /dev/null 2>&1
[ $? = 2 ] || fail "unknown subcommand: not exit 2"
"$M" milter > /dev/null 2>&1
[ $? = 2 ] || fail "milter without --socket: not exit 2"
"$M" milter --socket bogus:x > /dev/null 2> "$T/err" && fail "milter bad socket: exit 0"
grep -q 'ソケット' "$T/err" || fail "milter bad socket: $(cat "$T/err")"
"$M" mail textize --help | grep -q 'textize' || fail "help"
"$M" help milter | grep -q 'socket' || fail "help milter"
echo ok
