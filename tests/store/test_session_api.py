#!/usr/bin/env python3
"""test_session_api.py MAMORI SRC_ROOT sqlite|postgres — the session cache
seen from the HTTP API (store/session_cache.h).

A server caches a checked session for a short window (1 s), so that
POST /api/v1/decide does not read the database on every request. What must
still hold:
- through the same server, sign-out, lockout, a role change and a user's
  deletion take effect on the very next request. The first server runs with
  a 60 s window (MAMORI_SESSION_CACHE_MS), so that only the invalidation, not
  the entry timing out, can explain the 401 or 403;
- through another process (a second `mamori serve` on the same database, or
  SQL run directly) they take effect once the window (1 s) has passed.
"""
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

from apiclient import (BACKEND, PASSWORD, ROOT, Client, Server, check, failed, fresh_db, run)

DECIDE = {"action": "info.send", "subject": {"roles": ["staff"]},
          "resource": {"kind": "information", "classification": {"importance": "I"}},
          "context": {"destination": "external", "channel": "internet-mail"}}
WINDOW_S = 1.0


def main():
    db, tmp = fresh_db("mamori-session-")
    run("init", "--db", db)
    run("tenant", "add", "--db", db, "--id", "toyohashi", "--profile",
        os.path.join(ROOT, "policy/toyohashi.yaml"), "--name", "豊橋市")
    for login, role in [("admin1", "ciso"), ("staff1", "staff"), ("victim", "staff"),
                        ("chief", "ciso"), ("gone", "staff"), ("far", "ciso")]:
        run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", login, "--role", role,
            "--password-stdin", stdin=PASSWORD + "\n")

    os.environ["MAMORI_SESSION_CACHE_MS"] = "60000"
    with Server(db, tmp) as srv:
        same_process(srv.port)
    del os.environ["MAMORI_SESSION_CACHE_MS"]

    with Server(db, tmp) as a, Server(db, tempfile.mkdtemp(prefix="mamori-session-b-")) as b:
        other_process(a.port, b.port, db)
    print("session cache (%s): %s" % (BACKEND, "ok" if not failed() else "%d failures" % failed()))
    sys.exit(1 if failed() else 0)


def user_id(admin, login):
    st, j, _ = admin.req("GET", "/api/v1/users?limit=100")
    return next(u["id"] for u in j["items"] if u["login"] == login)


def signed_in(port, login):
    c = Client(port)
    st, _ = c.login("toyohashi", login)
    check(st == 200, "%s signs in (%d)" % (login, st))
    return c


def decide_ok(c, what):
    for _ in range(3):  # the first reads the database, the others the cache
        st, j, _ = c.req("POST", "/api/v1/decide", DECIDE)
        check(st == 200 and j["effect"] in ("permit", "deny", "needs_approval"),
              "%s: decide (%d)" % (what, st))


def same_process(port):
    admin = signed_in(port, "admin1")

    # sign-out: the same token is refused at once
    s = signed_in(port, "staff1")
    decide_ok(s, "before sign-out")
    check(s.req("DELETE", "/api/v1/session")[0] == 204, "sign out")
    st, _, _ = s.req("POST", "/api/v1/decide", DECIDE)
    check(st == 401, "signed-out token refused at once (%d)" % st)

    # lockout: five wrong passwords end the open session at once
    v = signed_in(port, "victim")
    decide_ok(v, "before lockout")
    for _ in range(5):
        st, _ = Client(port).login("toyohashi", "victim", "wrong-password")
    check(st == 423, "fifth failure locks (%d)" % st)
    st, _, _ = v.req("POST", "/api/v1/decide", DECIDE)
    check(st == 401, "locked user's session refused at once (%d)" % st)

    # a role change: a CISO made staff may no longer add a unit
    c = signed_in(port, "chief")
    check(c.req("GET", "/api/v1/units")[0] == 200, "chief reads units")
    decide_ok(c, "before role change")
    st, _, _ = admin.req("PATCH", "/api/v1/users/%d" % user_id(admin, "chief"),
                         {"roles": [{"role": "staff", "scope": "body"}]})
    check(st == 200, "role changed (%d)" % st)
    st, _, _ = c.req("POST", "/api/v1/units", {"name": "権限のない課"})
    check(st == 403, "role change seen at once (%d)" % st)

    # a deleted user: the session goes with the user
    g = signed_in(port, "gone")
    decide_ok(g, "before deletion")
    st, _, _ = admin.req("DELETE", "/api/v1/users/%d" % user_id(admin, "gone"))
    check(st in (200, 204), "user deleted (%d)" % st)
    st, _, _ = g.req("POST", "/api/v1/decide", DECIDE)
    check(st == 401, "deleted user's session refused at once (%d)" % st)

    # decide itself does not empty the cache: still the same actor after many
    decide_ok(admin, "admin")


def sql(db, statement, *params):
    """Run SQL outside mamori (another process, as an operator would)."""
    if BACKEND == "postgres":
        text = statement
        for p in params:  # psql variables would do, but the values here are hex and digits
            text = text.replace("?", "'%s'" % p, 1)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", text, db], check=True)
    else:
        con = sqlite3.connect(db)
        con.execute(statement, params)
        con.commit()
        con.close()


def other_process(a, b, db):
    # sign-out through server A, the token cached by server B
    s = signed_in(a, "staff1")
    on_b = Client(b)
    on_b.token = s.token
    decide_ok(on_b, "on B")
    check(s.req("DELETE", "/api/v1/session")[0] == 204, "sign out on A")
    time.sleep(WINDOW_S + 0.2)
    st, _, _ = on_b.req("POST", "/api/v1/decide", DECIDE)
    check(st == 401, "sign-out on A seen by B after the window (%d)" % st)

    # a session deleted directly in the database
    f = signed_in(b, "far")
    decide_ok(f, "far on B")
    sql(db, "DELETE FROM sessions WHERE token_hash = ?", hashlib.sha256(f.token.encode()).hexdigest())
    time.sleep(WINDOW_S + 0.2)
    st, _, _ = f.req("POST", "/api/v1/decide", DECIDE)
    check(st == 401, "session deleted in the database refused after the window (%d)" % st)

    # a role change made through A, used on B
    f = signed_in(b, "far")
    check(f.req("GET", "/api/v1/units")[0] == 200, "far reads units on B")
    admin = signed_in(a, "admin1")
    st, _, _ = admin.req("PATCH", "/api/v1/users/%d" % user_id(admin, "far"),
                         {"roles": [{"role": "staff", "scope": "body"}]})
    check(st == 200, "far made staff on A (%d)" % st)
    time.sleep(WINDOW_S + 0.2)
    st, _, _ = f.req("POST", "/api/v1/units", {"name": "権限のない課"})
    check(st == 403, "role change on A seen by B after the window (%d)" % st)


if __name__ == "__main__":
    main()
