#!/bin/sh
# postfix_test.sh MAMORI SRC_ROOT [DB] — a real Postfix on loopback with
# `mamori milter`: a private instance (its own config_directory, queue and
# mailbox in a temporary directory; the system's Postfix is not touched)
# takes mail over SMTP, the milter text-izes it, the virtual delivery agent
# writes it to a mailbox file, and the delivered messages are checked, with
# their records in the tenant's audit log (DB: a SQLite file by default, or
# the postgres:// URI of tests/pgtmp.sh). When the record cannot be written
# the message is tempfailed (451) and accepted once the database is back.
# Installs Postfix first when it is missing (Debian, non-interactive, "No
# configuration"). Skips (77) when not root or Postfix cannot be had.
set -u
M="$1"
ROOT="$2"
D="$ROOT/tests/data/mail"
DB_ARG="${3:-}"

if [ "$(id -u)" != 0 ]; then
	echo "skip: needs root to run a private Postfix" >&2
	exit 77
fi
if ! [ -x /usr/sbin/postfix ]; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix \
		>/dev/null 2>&1 || { echo "skip: postfix not installable" >&2; exit 77; }
fi

T=$(mktemp -d /tmp/mamori-postfix.XXXXXX)
chmod 755 "$T"
MILTER_PID=""
cleanup() {
	/usr/sbin/postfix -c "$T/etc" stop >/dev/null 2>&1
	# master exits shortly after `stop`; wait for it so the queue can go.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -f "$T/queue/pid/master.pid" ] || break
		kill -0 "$(tr -d ' ' < "$T/queue/pid/master.pid")" 2>/dev/null || break
		sleep 0.5
	done
	[ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null && wait "$MILTER_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/postfix.log" ] && tail -30 "$T/postfix.log" >&2
	[ -f "$T/milter.err" ] && cat "$T/milter.err" >&2
	exit 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
SPORT=$(free_port)
MPORT=$(free_port)
[ "$SPORT" = "$MPORT" ] && MPORT=$(free_port)

mkdir -p "$T/etc" "$T/queue" "$T/data" "$T/mail" "$T/q"
DB="${DB_ARG:-$T/m.db}"
"$M" init --db "$DB" > /dev/null 2>&1 || fail "init $DB"
"$M" tenant add --db "$DB" --id gw --profile "$ROOT/policy/toyohashi.yaml" > /dev/null 2>&1 ||
	fail "tenant add"
"$M" log key --key "$T/log.key" > /dev/null 2>&1 || fail "log key"
chown postfix "$T/data"
chown 65534:65534 "$T/mail"

cat > "$T/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mamori-test.invalid
mydomain = invalid
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
smtputf8_enable = no
biff = no
maillog_file = $T/postfix.log
maillog_file_prefixes = $T
smtpd_milters = inet:127.0.0.1:$MPORT
non_smtpd_milters =
milter_default_action = tempfail
virtual_mailbox_domains = city.example.lg.jp
virtual_mailbox_base = $T/mail
virtual_mailbox_maps = static:inbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
message_size_limit = 30000000
EOF
cat > "$T/etc/master.cf" <<EOF
127.0.0.1:$SPORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

"$M" milter --socket "inet:$MPORT@127.0.0.1" --quarantine "$T/q" --audit "$T/audit.jsonl" \
	--db "$DB" --tenant gw 2> "$T/milter.err" &
MILTER_PID=$!
python3 - "$MPORT" <<'PY' || fail "milter does not listen"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY

# postfix reports a fatal configuration error only on a terminal or to syslog.
script -qc "/usr/sbin/postfix -c $T/etc start" "$T/start.log" >/dev/null 2>&1 || fail "postfix start: $(cat "$T/start.log")"

python3 - "$SPORT" "$D" "${MAMORI_TESTDATA:-$ROOT/../shared/testdata}/mail/mikel-mail" <<'PY' || fail "SMTP"
import smtplib, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
for _ in range(100):
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("smtpd does not answer")
for name in ("iso2022jp_alternative_attachment.eml", "html_only_sjis.eml"):
    s.sendmail("sender@example.com", ["user@city.example.lg.jp"], open(f"{d}/{name}", "rb").read())
# A long encoded Subject (folded by the milter) and a Japanese attachment name.
s.sendmail("sender@example.com", ["user@city.example.lg.jp"],
           open(f"{sys.argv[3]}/multi_charset/japanese_attachment_long_name.eml", "rb").read())
# A message beyond the part limit is refused by the milter (550).
big = ["From: a@example.com", "Subject: many parts", "MIME-Version: 1.0",
       "Content-Type: multipart/mixed; boundary=b", ""]
for i in range(300):
    big += ["--b", "Content-Type: application/octet-stream", "", "x%d" % i]
big += ["--b--", ""]
try:
    s.sendmail("sender@example.com", ["user@city.example.lg.jp"], "\r\n".join(big).encode())
    sys.exit("a message with 300 parts was accepted")
except smtplib.SMTPDataError as e:
    if e.smtp_code != 550 or b"too many MIME parts" not in e.smtp_error:
        sys.exit("refusal: %r" % (e,))
s.quit()
PY

python3 - "$T/mail/inbox" "$T/q" <<'PY' || fail "delivered messages"
import mailbox, os, sys, time
from email import policy
path, q = sys.argv[1], sys.argv[2]
for _ in range(600):
    if os.path.exists(path) and open(path, "rb").read().count(b"\nFrom ") + open(path, "rb").read().startswith(b"From ") >= 3:
        break
    time.sleep(0.1)
else:
    sys.exit("no delivery within 60 s")
box = mailbox.mbox(path, factory=None)
# The raw bytes as delivered (as_bytes() would re-fold the headers).
msgs = [box.get_bytes(k) for k in box.keys()]
assert len(msgs) == 3, len(msgs)
import email
def parse(m):
    return email.message_from_bytes(m, policy=policy.default)
a, b, c = parse(msgs[0]), parse(msgs[1]), parse(msgs[2])
for raw, m in zip(msgs, (a, b, c)):
    assert not m.is_multipart(), m.get_content_type()
    assert m.get_content_type() == "text/plain", m.get_content_type()
    assert m.get_content_charset() == "utf-8", m.get_content_charset()
    assert "X-Mamori-Textized" in m, list(m.keys())
    assert "Received" in m
    assert raw.count(b"Content-Type:") == 1, raw[:2000]
body = a.get_content()
assert a["Subject"] == "会議のご案内", a["Subject"]
assert "X-Mailer" not in a
assert "①会議は㈱マモリ本社で行います。" in body, body
assert "見積書.pdf" in body, body
assert "%PDF" not in body and b"JVBERi0" not in msgs[0]
assert "<p>" not in body and "color:red" not in body
stored = os.listdir(q)
assert len(stored) == 2 and any(h in body for h in stored), (stored, body)
hb = b.get_content()
assert "段落その一&記号" in hb, hb
assert "ログイン [hxxps://evil[.]example[.]com/login?id=1]" in hb, hb
assert "alert" not in hb and "<" not in hb, hb
assert c["Subject"] == "まみむめも" * 10, c["Subject"]
assert "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt" in c.get_content()
PY
grep -q '"message_id":"<test-1@example.com>"' "$T/audit.jsonl" || fail "audit record"

# One record per delivered message in the tenant's audit log, matching what
# was delivered, and the log verifies.
"$M" log search --db "$DB" --tenant gw --action mail.textize --json > "$T/log.json" ||
	fail "log search"
python3 - "$T/log.json" "$T/mail/inbox" <<'PY' || fail "audit log after delivery"
import json, mailbox, sys
items = sorted(json.load(open(sys.argv[1]))["items"], key=lambda e: e["index"])
assert len(items) == 3, [e["object_id"] for e in items]
box = mailbox.mbox(sys.argv[2], factory=None)
delivered = [box.get_bytes(k) for k in box.keys()]
import email
for e, raw in zip(items, delivered):
    m = email.message_from_bytes(raw)
    r = e["decision"]
    assert e["object_kind"] == "mail" and e["actor"] == "system", e
    # Postfix adds a Message-ID after the milter when there is none.
    assert r["message_id"] in ("", (m["Message-ID"] or "").strip()), (r, m["Message-ID"])
    assert e["object_id"] == (r["message_id"] or r["sha256_in"]), e
    assert r["to"] == (m["To"] or ""), (r["to"], m["To"])
    assert r["size_out"] > 0 and len(r["sha256_in"]) == 64, r
    body = m.get_payload(decode=True).decode()
    for a in r["attachments"]:
        assert a["sha256"] in body, (a, body)
    rec = json.dumps(e, ensure_ascii=False)
    for text in ("お世話になっております", "会議は㈱マモリ本社", "段落その一"):
        assert text not in rec, ("body text in the record", text)
assert items[0]["object_id"] == "<test-1@example.com>", items[0]
assert items[0]["decision"]["attachments"][0]["name"] == "見積書.pdf", items[0]
PY
"$M" log verify --db "$DB" --tenant gw --key "$T/log.key" > "$T/v" 2>&1 ||
	fail "log verify: $(cat "$T/v")"

# A database that refuses the record: the message is tempfailed (451) with
# the reason in the milter's log, and the next try is accepted (the milter
# reopens the store). SQLite: another process holds the write lock past the
# busy timeout. PostgreSQL: the milter's connection is terminated.
python3 - "$SPORT" "$DB" "$D/eucjp.eml" <<'PY' || fail "tempfail without a record"
import smtplib, sqlite3, subprocess, sys
port, db, eml = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
hold = None
if db.startswith("postgres://"):
    subprocess.run(["psql", "-qAt", db, "-c",
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"],
                   check=True, stdout=subprocess.DEVNULL)
else:
    hold = sqlite3.connect(db, isolation_level=None)
    hold.execute("BEGIN EXCLUSIVE")
s = smtplib.SMTP("127.0.0.1", port, timeout=120)
try:
    s.sendmail("sender@example.com", ["user@city.example.lg.jp"], eml)
    sys.exit("accepted without its record")
except smtplib.SMTPDataError as e:
    if e.smtp_code != 451 or b"audit log unavailable" not in e.smtp_error:
        sys.exit("tempfail: %r" % (e,))
if hold:
    hold.execute("ROLLBACK")
    hold.close()
s.sendmail("sender@example.com", ["user@city.example.lg.jp"], eml)
s.quit()
PY
grep -q '監査記録を残せないため' "$T/milter.err" || fail "no reason logged: $(cat "$T/milter.err")"
for _ in $(seq 100); do
	[ "$(grep -c '^From ' "$T/mail/inbox")" -ge 4 ] && break
	sleep 0.1
done
[ "$(grep -c '^From ' "$T/mail/inbox")" = 4 ] || fail "the retried message was not delivered once"
"$M" log search --db "$DB" --tenant gw --action mail.textize --json > "$T/log.json" ||
	fail "log search"
python3 -c "import json,sys; i=json.load(open(sys.argv[1]))['items']; assert len(i)==4, len(i)" \
	"$T/log.json" || fail "records after the retry"
"$M" log verify --db "$DB" --tenant gw --key "$T/log.key" > "$T/v" 2>&1 ||
	fail "log verify after the retry: $(cat "$T/v")"
echo ok
