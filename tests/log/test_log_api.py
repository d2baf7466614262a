#!/usr/bin/env python3
"""test_log_api.py MAMORI SRC_ROOT sqlite|postgres — the audit log end to end.

Serves a fresh database (SQLite file, or the PostgreSQL of tests/pgtmp.sh),
checks /api/v1/log/… (auditors and administrators only), verifies the proofs
it answers independently here (RFC 9162 algorithms in Python), the 監査ログ
page, the checkpoint timer of `mamori serve`, and `mamori log verify` (exit 0,
then exit 1 naming the index after a row is edited behind mamori's back).
"""
import base64
import hashlib
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

MAMORI, ROOT, BACKEND = sys.argv[1], sys.argv[2], sys.argv[3]
PASSWORD = "Correct-Horse-9!"
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)


def run(*args, stdin=None, expect=0, env=None):
    r = subprocess.run([MAMORI, *args], input=stdin, capture_output=True, text=True, env=env)
    if expect is not None and r.returncode != expect:
        print("command failed:", args, r.returncode, r.stdout, r.stderr)
        sys.exit(1)
    return r


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def req(port, method, path, token=None, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body).encode() if body is not None else None,
              headers=h)
    r = c.getresponse()
    text = r.read()
    c.close()
    try:
        j = json.loads(text) if text else None
    except ValueError:
        j = None
    return r.status, j, text.decode("utf-8", "replace"), r


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, r1, r2, proof):
    if m == n:
        return not proof and r1 == r2
    if not proof or m == 0 or m > n:
        return False
    if m & (m - 1) == 0:
        proof = [r1] + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == r1 and sr == r2


def main():
    tmp = tempfile.mkdtemp(prefix="mamori-log-")
    env = dict(os.environ, MAMORI_LOG_KEY=os.path.join(tmp, "keys", "log.key"))
    os.environ["MAMORI_LOG_KEY"] = env["MAMORI_LOG_KEY"]
    db = os.environ["MAMORI_TEST_PG"] if BACKEND == "postgres" else os.path.join(tmp, "m.db")
    run("init", "--db", db)
    run("tenant", "add", "--db", db, "--id", "toyohashi", "--profile",
        os.path.join(ROOT, "policy/toyohashi.yaml"), "--name", "豊橋市")
    for login, role in [("admin1", "ciso"), ("aud1", "auditor"), ("staff1", "staff")]:
        run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", login, "--role",
            role, "--password-stdin", stdin=PASSWORD + "\n")
    # no key yet and no checkpoint: verify checks the trees alone (exit 0)
    r = run("log", "verify", "--db", db)
    check("検証できました" in r.stdout and "チェックポイントはまだありません" in r.stdout,
          "keyless verify before any checkpoint: " + r.stdout)
    # a key named by --key must be there, checkpoints or not
    r = run("log", "verify", "--db", db, "--key", os.path.join(tmp, "no.key"), expect=2)
    check("no.key" in r.stderr, "--key missing is an error: " + r.stderr)
    # the key: created 0600 by `mamori log key`
    r = run("log", "key", "--tenant", "toyohashi")
    check(oct(os.stat(env["MAMORI_LOG_KEY"]).st_mode & 0o777) == "0o600", "key mode 0600")
    vkey = [l for l in r.stdout.splitlines() if "mamori/toyohashi+" in l]
    check(len(vkey) == 1, "vkey printed: " + r.stdout)
    port = free_port()
    log = open(os.path.join(tmp, "serve.log"), "w+")
    srv = subprocess.Popen([MAMORI, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port,
                            "--threads", "2"], stderr=log)
    try:
        for _ in range(200):
            try:
                if req(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        body(port, db)
    finally:
        srv.terminate()
        try:
            rc = srv.wait(20)
        except subprocess.TimeoutExpired:
            srv.kill()
            rc = "killed"
        log.seek(0)
        text = log.read()
        check(rc == 0, "server exit status %s" % rc)
        check("Sanitizer" not in text and "runtime error" not in text, "server log:\n" + text[-3000:])
    cli(db)
    print("log api (%s): %s" % (BACKEND, "ok" if not failures else "%d failures" % failures))
    sys.exit(1 if failures else 0)


def login(port, who, password=PASSWORD):
    st, j, _, r = req(port, "POST", "/api/v1/session",
                      body={"tenant": "toyohashi", "login": who, "password": password})
    return (j or {}).get("token"), r


def body(port, db):
    aud, _ = login(port, "aud1")
    staff, _ = login(port, "staff1")
    check(aud and staff, "sign-ins")
    login(port, "aud1", "wrong-Password-1")
    # staff may not read the log
    for path in ["/api/v1/log/checkpoint", "/api/v1/log/proof?index=0",
                 "/api/v1/log/consistency?from=1&to=2", "/api/v1/log/entries"]:
        check(req(port, "GET", path, staff)[0] == 403, "staff refused " + path)
        check(req(port, "GET", path)[0] == 401, "anonymous refused " + path)
    # the serve timer signs a checkpoint soon after start
    cp = None
    for _ in range(100):
        st, cp, _, _ = req(port, "GET", "/api/v1/log/checkpoint", aud)
        if st == 200:
            break
        time.sleep(0.1)
    check(st == 200 and cp["verified"] is True, "checkpoint from the timer: %s %s" % (st, cp))
    size = cp["size"]
    check(size >= 5, "log has the tenant, users, sign-ins: %d" % size)
    lines = cp["note"].split("\n")
    check(lines[0] == "mamori/toyohashi" and lines[1] == str(size) and lines[3] == ""
          and lines[4].startswith("\u2014 mamori/toyohashi "), "note format: %r" % cp["note"])
    root = base64.b64decode(lines[2])
    check(root.hex() == cp["root"], "note root = row root")
    # inclusion proofs of every entry, verified here
    for i in range(size):
        st, p, _, _ = req(port, "GET", "/api/v1/log/proof?index=%d" % i, aud)
        check(st == 200, "proof %d: %s" % (i, p))
        if st != 200:
            continue
        ok = verify_inclusion(i, p["tree_size"], bytes.fromhex(p["leaf_hash"]),
                              [bytes.fromhex(h) for h in p["proof"]], bytes.fromhex(p["root"]))
        check(ok and p["tree_size"] == size and p["root"] == cp["root"], "proof %d verifies" % i)
    # consistency
    for m in range(1, size + 1):
        st, c, _, _ = req(port, "GET", "/api/v1/log/consistency?from=%d&to=%d" % (m, size), aud)
        check(st == 200 and verify_consistency(m, size, bytes.fromhex(c["root_from"]),
                                               bytes.fromhex(c["root_to"]),
                                               [bytes.fromhex(h) for h in c["proof"]]),
              "consistency %d→%d" % (m, size))
    check(req(port, "GET", "/api/v1/log/proof?index=99999", aud)[0] == 404, "proof out of range")
    check(req(port, "GET", "/api/v1/log/proof?index=-1", aud)[0] == 400, "bad index")
    check(req(port, "GET", "/api/v1/log/proof", aud)[0] == 400, "index required")
    check(req(port, "GET", "/api/v1/log/consistency?from=3&to=1", aud)[0] == 422 or
          req(port, "GET", "/api/v1/log/consistency?from=3&to=1", aud)[0] == 400, "bad sizes")
    check(req(port, "POST", "/api/v1/log/checkpoint", aud)[0] == 405, "POST refused")
    # entries: sign-ins and the failed one are recorded, never a password
    st, e, text, _ = req(port, "GET", "/api/v1/log/entries?action=session.signin", aud)
    check(st == 200 and {x["actor"] for x in e["items"]} >= {"aud1", "staff1"}, "sign-ins: %s" % e)
    st, e, text, _ = req(port, "GET", "/api/v1/log/entries?actor=aud1&limit=500", aud)
    actions = [x["action"] for x in e["items"]]
    check("session.signin_failed" in actions, "failed sign-in recorded: %s" % actions)
    check(PASSWORD not in text and "wrong-Password" not in text, "no password in entries")
    check(req(port, "GET", "/api/v1/log/entries?limit=0", aud)[0] == 400, "limit checked")
    # the page, in Japanese, with the checkpoint state and an entry's proof
    _, r = login(port, "aud1")
    cookie = r.getheader("Set-Cookie").split(";")[0]
    st, _, page, _ = req(port, "GET", "/audit", headers={"Cookie": cookie})
    check(st == 200 and "監査ログ" in page and "署名を検証しました" in page, "audit page")
    st, _, page, _ = req(port, "GET", "/audit?index=1&actor=aud1", headers={"Cookie": cookie})
    check(st == 200 and "包含証明" in page and 'id="proof"' in page, "proof on the page")
    st, _, page, _ = req(port, "GET", "/audit?action=session.signin_failed",
                         headers={"Cookie": cookie})
    check(st == 200 and "session.signin_failed" in page and "ledger.create" not in page,
          "page search by action")
    _, r = login(port, "staff1")
    scookie = r.getheader("Set-Cookie").split(";")[0]
    check(req(port, "GET", "/audit", headers={"Cookie": scookie})[0] == 403, "staff: no page")


def cli(db):
    r = run("log", "checkpoint", "--db", db)
    # checkpoints stored: without the key they cannot be checked (exit 2, the key named)
    nokey = dict(os.environ, MAMORI_LOG_KEY=os.environ["MAMORI_LOG_KEY"] + ".missing")
    r = run("log", "verify", "--db", db, env=nokey, expect=2)
    check(".missing" in r.stderr and "mamori log key" in r.stderr, "keyless verify refused: " + r.stderr)
    r = run("log", "verify", "--db", db)
    check("検証できました" in r.stdout, "verify ok: " + r.stdout)
    r = run("log", "proof", "--db", db, "--tenant", "toyohashi", "--index", "2")
    p = json.loads(r.stdout)
    check(verify_inclusion(2, p["tree_size"], bytes.fromhex(p["leaf_hash"]),
                           [bytes.fromhex(h) for h in p["proof"]], bytes.fromhex(p["root"])),
          "CLI proof verifies")
    run("log", "proof", "--db", db, "--index", "2", expect=2)
    run("log", "proof", "--db", db, "--tenant", "toyohashi", "--index", "x", expect=2)
    run("log", "nosuch", "--db", db, expect=2)
    out = os.path.join(os.path.dirname(os.environ["MAMORI_LOG_KEY"]), "..", "export.jsonl")
    run("log", "export", "--db", db, "--tenant", "toyohashi", "--out", out)
    run("log", "export", "--db", db, "--tenant", "toyohashi", "--out", out, expect=3)
    r = run("log", "prune", "--db", db, "--tenant", "toyohashi", "--before", "2", expect=3)
    check("保存期間" in r.stderr, "prune refused within retention: " + r.stderr)
    if BACKEND == "sqlite":
        c = sqlite3.connect(db)
        c.execute("DROP TRIGGER audit_leaves_no_update")
        c.execute("UPDATE audit_leaves SET actor = 'someone' WHERE idx = 3")
        c.commit()
        c.close()
        r = run("log", "verify", "--db", db, expect=1)
        check("索引) 3" in r.stderr or "索引 3" in r.stderr, "verify names index 3: " + r.stderr)


main()
