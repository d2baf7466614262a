#!/usr/bin/env python3
"""test_api.py MAMORI SRC_ROOT sqlite|postgres — the HTTP API over loopback.

Starts `mamori serve` on a free port against a fresh database (SQLite file,
or the PostgreSQL of tests/pgtmp.sh via MAMORI_TEST_PG), sets bodies and
people up with the administration CLI, and checks the API contract of issue 3:
sessions, lockout, temporary passwords, TOTP, session expiry, decisions, the
ledgers with their authorization matrix (every endpoint x role x own/other
tenant), and bad input (broken JSON, oversized bodies, unknown fields, SQL
metacharacters, invalid UTF-8).
"""
import hashlib
import http.client
import os
import subprocess
import sys
import time

from apiclient import (BACKEND, MAMORI, PASSWORD, ROOT, Client, Server, check, failed,
                       fresh_db, run, totp)


def main():
    db, tmp = fresh_db("mamori-api-")
    run("init", "--db", db)
    run("tenant", "add", "--db", db, "--id", "toyohashi", "--profile",
        os.path.join(ROOT, "policy/toyohashi.yaml"), "--name", "豊橋市")
    run("tenant", "add", "--db", db, "--id", "meguro", "--profile",
        os.path.join(ROOT, "policy/meguro.yaml"), "--name", "目黒区")
    users = [
        ("toyohashi", "admin1", "ciso", None),
        ("toyohashi", "aud1", "auditor", None),
        ("toyohashi", "staff1", "staff", None),
        ("meguro", "madmin", "ciso", None),
    ]
    for tenant, login, role, unit in users:
        run("user", "add", "--db", db, "--tenant", tenant, "--login", login, "--role", role,
            "--password-stdin", stdin=PASSWORD + "\n")
    # a password the profile refuses is refused by the CLI (exit 2)
    r = run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", "weak", "--role",
            "staff", "--password-stdin", stdin="short\n", expect=2)
    check("パスワード" in r.stderr, "weak password message names the password: " + r.stderr)

    with Server(db, tmp) as srv:
        body(srv.port, db)
    print("api (%s): %s" % (BACKEND, "ok" if not failed() else "%d failures" % failed()))
    sys.exit(1 if failed() else 0)


def body(port, db):
    admin = Client(port)
    st, j = admin.login("toyohashi", "admin1")
    check(st == 200 and len(j["token"]) == 64 and j["expires_at"].endswith("Z"), "admin login")

    # ---- the organisation and a manager scoped to one section ----
    st, dept, _ = admin.req("POST", "/api/v1/units", {"name": "総務部", "kind": "department"})
    check(st == 201 and dept["id"] > 0, "create unit 201")
    st, sec_a, _ = admin.req("POST", "/api/v1/units", {"name": "情報企画課", "parent_id": dept["id"]})
    st, sec_b, _ = admin.req("POST", "/api/v1/units", {"name": "市民課"})
    st, mgr, _ = admin.req("POST", "/api/v1/users", {
        "login": "mgr1", "name": "管理 一郎", "unit_id": sec_a["id"],
        "roles": [{"role": "security_manager", "scope": "unit", "scope_id": sec_a["id"]}]})
    check(st == 201 and mgr["roles"][0]["role"] == "security_manager", "create user with role")
    check("password_hash" not in mgr, "no hash in user JSON")
    run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", "tmp1", "--role", "staff",
        "--password-stdin", "--temporary", stdin=PASSWORD + "\n")
    # set mgr1's password through the CLI path used by administrators
    r = subprocess.run([MAMORI, "user", "add", "--db", db, "--tenant", "toyohashi", "--login",
                        "mgr1", "--role", "staff", "--password-stdin"], input=PASSWORD + "\n",
                       capture_output=True, text=True)
    check(r.returncode == 3, "user add of an existing login is refused (exit 3): %d" % r.returncode)

    # ---- assets: only name, kind, classification needed ----
    st, a, _ = admin.req("POST", "/api/v1/assets", {
        "name": "住民基本台帳", "kind": "information", "classification": {"importance": "Ⅰ"},
        "unit_id": sec_a["id"]})
    check(st == 201 and a["classification"]["importance"] == "I" and a["handling"], "asset 201")
    st, b, _ = admin.req("POST", "/api/v1/assets", {
        "name": "市民課の名簿", "kind": "information", "classification": {"importance": "II"},
        "unit_id": sec_b["id"]})
    st, j, _ = admin.req("POST", "/api/v1/assets", {"name": "x", "kind": "information"})
    check(st == 422 and j.get("field") == "classification", "missing classification 422 %s" % j)
    st, j, _ = admin.req("POST", "/api/v1/assets", {"name": "x", "kind": "information",
                                                      "classification": {"importance": "I"},
                                                      "owner": "me"})
    check(st == 422 and j.get("field") == "owner", "unknown field 422")
    st, j, _ = admin.req("POST", "/api/v1/assets", raw=b'{"name": "x", ')
    check(st == 400 and "error" in j, "broken JSON 400")
    # the decision point: broken JSON and a key given twice are 400, an unknown action 422
    st, j, _ = admin.req("POST", "/api/v1/decide", raw=b'{"action": ')
    check(st == 400 and "error" in j, "decide: broken JSON 400 (%d)" % st)
    st, j, _ = admin.req("POST", "/api/v1/decide",
                         raw=b'{"action":"info.send","action":"info.copy","subject":{"roles":["staff"]}}')
    check(st == 400, "decide: duplicate key 400 (%d %s)" % (st, j))
    st, j, _ = admin.req("POST", "/api/v1/decide", {"action": "info.fly", "subject": {"roles": ["staff"]}})
    check(st == 422 and j.get("field") == "action", "decide: unknown action 422 (%d %s)" % (st, j))
    st, j, _ = admin.req("POST", "/api/v1/assets", raw=b'{"name":"\xff\xfe","kind":"information",'
                         b'"classification":{"importance":"I"}}')
    check(st == 400, "invalid UTF-8 400 (%d)" % st)
    st, j, _ = admin.req("POST", "/api/v1/assets", raw=b'{"name":"' + b"a" * (1100 * 1024) + b'"}')
    check(st == 413, "oversized body 413 (%d)" % st)
    evil = "x'); DROP TABLE assets; --"
    st, j, _ = admin.req("POST", "/api/v1/assets", {"name": evil, "kind": "information",
                                                      "classification": {"importance": "IV"}})
    check(st == 201 and j["name"] == evil, "SQL metacharacters are data")
    st, j, _ = admin.req("GET", "/api/v1/assets?name=%27%20OR%201%3D1")
    check(st == 400 and j.get("field") == "name", "unknown filter 400")
    st, j, _ = admin.req("GET", "/api/v1/assets?limit=2")
    check(st == 200 and len(j["items"]) == 2 and j["next"] and j["total"] == 3, "paging")
    st, j2, _ = admin.req("GET", "/api/v1/assets?limit=2&after=%d" % j["next"])
    check(st == 200 and len(j2["items"]) == 1 and j2["next"] is None, "second page")
    st, j, _ = admin.req("GET", "/api/v1/assets?class.importance=I")
    check(st == 200 and j["total"] == 1, "class filter")
    st, j, _ = admin.req("PATCH", "/api/v1/assets/%d" % a["id"], {"location": "書庫A"})
    check(st == 200 and j["location"] == "書庫A" and j["name"] == "住民基本台帳", "patch merges")

    # ---- decisions with the session's tenant profile ----
    req = {"action": "info.send", "subject": {"roles": ["staff"]},
           "resource": {"kind": "information", "classification": {"importance": "I"}},
           "context": {"destination": "external"}}
    st, j, _ = admin.req("POST", "/api/v1/decide", req)
    check(st == 200 and j["effect"] in ("permit", "deny", "needs_approval") and j["citations"],
          "decide")
    bad = dict(req, resource={"kind": "information", "classification": {"importance": "V"}})
    st, j, _ = admin.req("POST", "/api/v1/decide", bad)
    check(st == 422 and "V" in j["error"] and j.get("field", "").startswith("resource"),
          "decide bad level 422 %s" % j)

    # ---- the authorization matrix ----
    # a manager of section A, with a password set the administrators' way
    run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", "mgr2", "--role",
        "security_manager", "--scope", "unit", "--unit", str(sec_a["id"]), "--password-stdin",
        stdin=PASSWORD + "\n")
    clients = {"admin": admin}
    logins = {"auditor": ("toyohashi", "aud1"), "staff": ("toyohashi", "staff1"),
              "manager": ("toyohashi", "mgr2"), "other": ("meguro", "madmin")}
    for name, (tenant, login) in logins.items():
        clients[name] = Client(port)
        st, j = clients[name].login(tenant, login)
        check(st == 200, "login %s" % name)
    new_a = {"name": "課Aの新資産", "kind": "information", "classification": {"importance": "III"},
             "unit_id": sec_a["id"]}
    new_b = dict(new_a, name="課Bの新資産", unit_id=sec_b["id"])
    # expected status per role: list, read A, read B, create in A, create in B,
    # patch A, delete-created-A, create unit, read user list
    want = {
        "admin":   dict(list=200, get_a=200, get_b=200, post_a=201, post_b=201, patch_a=200,
                        delete=204, unit=201, users=200),
        "auditor": dict(list=200, get_a=200, get_b=200, post_a=403, post_b=403, patch_a=403,
                        delete=403, unit=403, users=200),
        "manager": dict(list=200, get_a=200, get_b=404, post_a=201, post_b=403, patch_a=200,
                        delete=204, unit=403, users=200),
        "staff":   dict(list=200, get_a=404, get_b=404, post_a=403, post_b=403, patch_a=404,
                        delete=404, unit=403, users=200),
        "other":   dict(list=200, get_a=404, get_b=404, post_a=422, post_b=422, patch_a=404,
                        delete=404, unit=201, users=200),
    }
    for name, exp in want.items():
        c = clients[name]
        got = {}
        got["list"] = c.req("GET", "/api/v1/assets")[0]
        got["get_a"] = c.req("GET", "/api/v1/assets/%d" % a["id"])[0]
        got["get_b"] = c.req("GET", "/api/v1/assets/%d" % b["id"])[0]
        st, made, _ = c.req("POST", "/api/v1/assets", new_a)
        got["post_a"] = st
        got["post_b"] = c.req("POST", "/api/v1/assets", new_b)[0]
        got["patch_a"] = c.req("PATCH", "/api/v1/assets/%d" % a["id"], {"retention": "30年"})[0]
        target = made["id"] if st == 201 else a["id"]
        got["delete"] = c.req("DELETE", "/api/v1/assets/%d" % target)[0]
        got["unit"] = c.req("POST", "/api/v1/units", {"name": "新しい課 " + name})[0]
        got["users"] = c.req("GET", "/api/v1/users")[0]
        for k, v in exp.items():
            check(got[k] == v, "matrix %s %s: want %d got %d" % (name, k, v, got[k]))
    # every ledger endpoint refuses an unauthenticated call, and another tenant sees 404
    anon = Client(port)
    for kind in ("units", "users", "systems", "assets", "devices"):
        check(anon.req("GET", "/api/v1/" + kind)[0] == 401, "anon %s 401" % kind)
        check(anon.req("POST", "/api/v1/" + kind, {})[0] == 401, "anon post %s 401" % kind)
    for kind, oid in (("units", sec_a["id"]), ("assets", a["id"]), ("users", mgr["id"])):
        check(clients["other"].req("GET", "/api/v1/%s/%d" % (kind, oid))[0] == 404,
              "other tenant %s 404" % kind)
        check(clients["other"].req("PATCH", "/api/v1/%s/%d" % (kind, oid), {"name": "x"})[0] == 404,
              "other tenant patch %s 404" % kind)
        check(clients["other"].req("DELETE", "/api/v1/%s/%d" % (kind, oid))[0] == 404,
              "other tenant delete %s 404" % kind)
    st, lst, _ = clients["other"].req("GET", "/api/v1/assets")
    check(st == 200 and lst["total"] == 0, "other tenant lists none of ours")

    # ---- cookie sessions need the CSRF token for changes ----
    st, j, resp = Client(port).req("POST", "/api/v1/session",
                                   {"tenant": "toyohashi", "login": "admin1", "password": PASSWORD})
    cookie = resp.getheader("Set-Cookie")
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie, "cookie flags")
    ck = Client(port)
    hdr = {"Cookie": cookie.split(";")[0]}
    check(ck.req("GET", "/api/v1/assets", headers=hdr)[0] == 200, "cookie GET")
    check(ck.req("POST", "/api/v1/units", {"name": "CSRF課"}, headers=hdr)[0] == 403, "no CSRF 403")
    hdr["X-CSRF-Token"] = j["csrf"]
    check(ck.req("POST", "/api/v1/units", {"name": "CSRF課"}, headers=hdr)[0] == 201, "CSRF 201")

    # ---- lockout: 5 failures lock; then even the right password gets 423 ----
    for i in range(5):
        st, _ = Client(port).login("toyohashi", "staff1", "wrong-password")
    check(st == 423, "fifth failure locks (%d)" % st)
    st, j = Client(port).login("toyohashi", "staff1")
    check(st == 423 and "ロック" in j["error"], "locked account 423")
    # the locked user's existing session ends too
    check(clients["staff"].req("GET", "/api/v1/assets")[0] == 401, "locked session ends")
    st, j = Client(port).login("toyohashi", "nobody", "x")
    check(st == 401, "unknown login 401")
    st, j = Client(port).login("nowhere", "admin1")
    check(st == 401, "unknown tenant 401")
    st, j, _ = Client(port).req("POST", "/api/v1/session", {"tenant": "toyohashi", "login": "a",
                                                             "password": "b", "extra": 1})
    check(st == 422 and j["field"] == "extra", "session unknown field")

    # ---- temporary password: must be changed before anything else ----
    t = Client(port)
    st, j = t.login("toyohashi", "tmp1")
    check(st == 200 and j["must_change_password"] is True, "temporary flagged")
    check(t.req("GET", "/api/v1/assets")[0] == 403, "temporary cannot list")
    st, j, _ = t.req("POST", "/api/v1/password", {"current": PASSWORD, "new": "short"})
    check(st == 422 and j["field"] == "password", "new password checked against rule %s" % j)
    st, j, _ = t.req("POST", "/api/v1/password", {"current": PASSWORD, "new": "Another-Horse-7?"})
    check(st == 200, "password changed")
    check(t.req("GET", "/api/v1/assets")[0] == 200, "after change, list works")

    # ---- TOTP: enrolment through the web form, then required at sign-in ----
    m = Client(port)
    m.login("toyohashi", "mgr2")
    st, _, resp = m.req("POST", "/api/v1/session", {"tenant": "toyohashi", "login": "mgr2",
                                                     "password": PASSWORD})
    ck = resp.getheader("Set-Cookie").split(";")[0]
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/mfa", headers={"Cookie": ck})
    page = c.getresponse().read().decode()
    import re
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    check('src="data:image/svg+xml;base64,' in page, "QR code shown")
    now = time.time()
    form = "csrf=%s&secret=%s&code=%s" % (csrf, secret, totp(secret, now))
    c.request("POST", "/mfa", body=form, headers={"Cookie": ck, "Content-Type":
                                                  "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    check(r.status == 303, "TOTP enrolled (%d)" % r.status)
    st, j = Client(port).login("toyohashi", "mgr2")
    check(st == 401 and "TOTP" in j["error"], "TOTP now required")
    code = totp(secret, time.time(), 1)  # one code, used twice: the replay must fail
    st, j = Client(port).login("toyohashi", "mgr2", totp=code)
    check(st == 200, "TOTP sign-in (%d %s)" % (st, j))
    st, j = Client(port).login("toyohashi", "mgr2", totp=code)
    check(st == 401, "TOTP code cannot be replayed")

    # ---- an idle session ends (the idle clock is moved back in the database) ----
    idle = Client(port)
    idle.login("toyohashi", "aud1")
    check(idle.req("GET", "/api/v1/units")[0] == 200, "fresh session works")
    token_hash = hashlib.sha256(idle.token.encode()).hexdigest()

    def move_idle_clock(minutes):
        sql = "UPDATE sessions SET last_seen_at = last_seen_at - %d * 60 WHERE token_hash = '%s'" % (
            minutes, token_hash)
        if BACKEND == "postgres":
            subprocess.run(["psql", "-q", "-c", sql, db], check=True)
        else:
            import sqlite3
            con = sqlite3.connect(db)
            con.execute(sql)
            con.commit()
            con.close()
        # a change made outside the server is seen once its session cache's
        # window (1 s, store/session_cache.h) has passed
        time.sleep(1.2)
    # a request restarts the idle clock: 5 minutes idle, a request, then 12
    # more minutes is 12 idle minutes (not 17) and the session still works
    move_idle_clock(5)
    check(idle.req("GET", "/api/v1/units")[0] == 200, "5 minutes idle: still signed in")
    move_idle_clock(12)
    check(idle.req("GET", "/api/v1/units")[0] == 200, "a request restarted the idle clock")
    move_idle_clock(16)
    st, j, _ = idle.req("GET", "/api/v1/units")
    check(st == 401, "idle session expired (%d)" % st)

    # ---- sign out ends the session ----
    check(admin.req("DELETE", "/api/v1/session")[0] == 204, "sign out")
    check(admin.req("GET", "/api/v1/assets")[0] == 401, "signed-out token refused")


if __name__ == "__main__":
    main()
