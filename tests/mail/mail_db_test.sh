#!/bin/sh
# mail_db_test.sh MAMORI SRC_ROOT [DB] — `mamori mail textize --db DB
# --tenant T` writes one record per message into the tenant's tamper-evident
# audit log: its fields match the message (computed here independently with
# Python's email package), it holds none of the body, `mamori log verify`
# accepts the log, and when the record cannot be written nothing is output.
# DB: a SQLite file (default) or the postgres:// URI of tests/pgtmp.sh.
set -u
M="$1"
ROOT="$2"
D="$ROOT/tests/data/mail"
T=$(mktemp -d /tmp/mamori-maildb.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
DB="${3:-$T/m.db}"
KEY="$T/log.key"

"$M" init --db "$DB" > /dev/null 2>&1 || fail "init"
"$M" tenant add --db "$DB" --id t1 --profile "$ROOT/policy/toyohashi.yaml" > /dev/null 2>&1 ||
	fail "tenant add"
"$M" tenant add --db "$DB" --id t2 --profile "$ROOT/policy/toyohashi.yaml" > /dev/null 2>&1 ||
	fail "tenant add t2"
log_size() { # entries in t1's log
	"$M" log verify --db "$DB" --tenant t1 --key "$KEY" 2>/dev/null | sed -n 's/^t1: \([0-9]*\) 件.*/\1/p'
}
"$M" log key --key "$KEY" > /dev/null 2>&1 || fail "log key"
N0=$(log_size)
[ -n "$N0" ] || fail "log size"

# Two messages into t1, one into t2; the output is the same as without --db.
for f in iso2022jp_alternative_attachment html_only_sjis; do
	"$M" mail textize < "$D/$f.eml" > "$T/$f.plain" || fail "textize $f"
	"$M" mail textize --db "$DB" --tenant t1 < "$D/$f.eml" > "$T/$f.out" 2> "$T/err" ||
		fail "textize --db $f: $(cat "$T/err")"
	cmp -s "$T/$f.plain" "$T/$f.out" || fail "--db changed the output of $f"
done
"$M" mail textize --db "$DB" --tenant t2 < "$D/eucjp.eml" > /dev/null || fail "textize t2"

"$M" log search --db "$DB" --tenant t1 --action mail.textize --json > "$T/log.json" ||
	fail "log search"
python3 - "$T/log.json" "$D" "$T" <<'PY' || fail "audit log entries"
import email, hashlib, json, sys
from email import policy
items, d, t = json.load(open(sys.argv[1]))["items"], sys.argv[2], sys.argv[3]
assert len(items) == 2, items
items.sort(key=lambda e: e["index"])
for e, name in zip(items, ("iso2022jp_alternative_attachment", "html_only_sjis")):
    raw = open(f"{d}/{name}.eml", "rb").read()
    out = open(f"{t}/{name}.out", "rb").read()
    m = email.message_from_bytes(raw, policy=policy.default)
    r = e["decision"]
    assert e["actor"] == "system" and e["action"] == "mail.textize", e
    assert e["object_kind"] == "mail", e
    mid = (m["Message-ID"] or "").strip()
    assert e["object_id"] == (mid or hashlib.sha256(raw).hexdigest()), (e["object_id"], mid)
    assert r["message_id"] == mid, r
    assert e["before"] == r["sha256_in"] == hashlib.sha256(raw).hexdigest(), e
    assert e["after"] == r["sha256_out"] == hashlib.sha256(out).hexdigest(), e
    assert r["size_in"] == len(raw) and r["size_out"] == len(out), r
    assert r["to"] == str(m["To"]), (r["to"], str(m["To"]))
    assert m["From"].addresses[0].addr_spec in r["from"], r["from"]
    assert m["From"].addresses[0].display_name in r["from"], r["from"]
    atts = [p for p in m.walk() if p.get_content_disposition() == "attachment"]
    assert r["attachments_removed"] == len(atts) == len(r["attachments"]), r
    for a, p in zip(r["attachments"], atts):
        data = p.get_payload(decode=True)
        assert a["name"] == p.get_filename(), (a, p.get_filename())
        assert a["sha256"] == hashlib.sha256(data).hexdigest() and a["size"] == len(data), a
    # None of the body: the text of every text part, line by line.
    rec = json.dumps(e, ensure_ascii=False)
    for p in m.walk():
        if p.get_content_maintype() == "text":
            for line in p.get_content().splitlines():
                line = line.strip()
                if len(line) >= 6 and "<" not in line:
                    assert line not in rec, ("body text in the record", line)
            assert "%PDF" not in rec
first = items[0]["decision"]
assert first["from"] == "山田太郎 <yamada@example.com>", first["from"]
assert first["attachments"][0]["name"] == "見積書.pdf", first
PY
"$M" log search --db "$DB" --tenant t2 --action mail.textize --json > "$T/log2.json" ||
	fail "log search t2"
python3 -c "import json,sys; i=json.load(open(sys.argv[1]))['items']; assert len(i)==1 and i[0]['object_kind']=='mail', i" \
	"$T/log2.json" || fail "t2 holds its own record"
case "$DB" in
postgres://*) ;;
*) # The body's UTF-8 text is nowhere in the database file.
	for s in お世話になっております 会議は㈱マモリ本社 段落その一; do
		grep -q "$s" "$DB" "$DB-wal" 2>/dev/null && fail "\"$s\" in the database"
	done ;;
esac

# The log with these entries verifies, before and after a signed checkpoint.
"$M" log verify --db "$DB" --key "$KEY" > "$T/v" 2>&1 || fail "log verify: $(cat "$T/v")"
"$M" log checkpoint --db "$DB" --key "$KEY" > /dev/null 2>&1 || fail "log checkpoint"
"$M" log verify --db "$DB" --key "$KEY" > "$T/v" 2>&1 || fail "log verify: $(cat "$T/v")"
grep -q "^t1: $((N0 + 2)) 件" "$T/v" || fail "verify t1: $(cat "$T/v")"
"$M" log proof --db "$DB" --tenant t1 --index "$N0" > "$T/proof.json" || fail "log proof"
grep -q '"action": "mail.textize"' "$T/proof.json" || fail "proof entry: $(cat "$T/proof.json")"

# No record, no output: a database that refuses the record (SQLite: another
# process holds the write lock past the busy timeout; PostgreSQL: the
# server is unreachable) gives exit 1 and nothing on standard output.
case "$DB" in
postgres://*)
	"$M" mail textize --db "postgres://postgres@127.0.0.1:1/postgres" --tenant t1 \
		< "$D/eucjp.eml" > "$T/none.eml" 2> "$T/err"
	rc=$? ;;
*)
	python3 - "$DB" "$M" "$D/eucjp.eml" "$T/none.eml" "$T/err" <<'PY'
import sqlite3, subprocess, sys
db, m, eml, out, err = sys.argv[1:]
c = sqlite3.connect(db, isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
r = subprocess.run([m, "mail", "textize", "--db", db, "--tenant", "t1"], stdin=open(eml, "rb"),
                   stdout=open(out, "wb"), stderr=open(err, "wb"))
c.execute("ROLLBACK")
sys.exit(r.returncode)
PY
	rc=$? ;;
esac
[ "$rc" = 1 ] || fail "record refused: exit $rc, not 1: $(cat "$T/err")"
[ -s "$T/none.eml" ] && fail "output written without its record"
case "$DB" in postgres://*) ;; *) grep -q '監査ログに記録できません' "$T/err" || fail "reason: $(cat "$T/err")" ;; esac
"$M" log search --db "$DB" --tenant t1 --action mail.textize --json > "$T/log.json" &&
	python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))['items'])==2" \
		"$T/log.json" || fail "a refused record was counted"
"$M" log verify --db "$DB" --key "$KEY" > "$T/v" 2>&1 || fail "log verify after: $(cat "$T/v")"
echo ok
