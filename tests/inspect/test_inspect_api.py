#!/usr/bin/env python3
"""test_inspect_api.py MAMORI SRC_ROOT sqlite|postgres — self-inspection over
loopback (issue 6): the checklist from the profile, a round, answers by the
section's people (and refusals for another section), the roll-up, improvement
actions, findings, the reports from the web (XLSX, CSV with BOM, HTML), the
pages in Japanese and the dashboard with its charts and their tables; then the
report CLI with its exit codes.
"""
import http.client
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "store"))
from apiclient import BACKEND, ROOT, Client, Server, check, failed, fresh_db, run, PASSWORD  # noqa: E402


def raw_get(client, path):
    c = http.client.HTTPConnection("127.0.0.1", client.port, timeout=60)
    c.request("GET", path, headers={"Authorization": "Bearer " + client.token})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), data


def user(admin, db, login, role, scope, unit):
    run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", login, "--role", role,
        "--scope", scope, "--unit", unit, "--password-stdin", stdin=PASSWORD + "\n")
    st, l, _ = admin.req("GET", "/api/v1/users?login=" + login)
    check(st == 200 and len(l["items"]) == 1, "user %s listed: %s %s" % (login, st, l))
    return l["items"][0]["id"]


def body(port, db, tmp):
    admin = Client(port)
    st, _ = admin.login("toyohashi", "admin1")
    check(st == 200, "admin login")
    st, dept, _ = admin.req("POST", "/api/v1/units", {"name": "総務部", "kind": "department"})
    st, sec_a, _ = admin.req("POST", "/api/v1/units",
                             {"name": "情報企画課", "kind": "section", "parent_id": dept["id"]})
    st, sec_b, _ = admin.req("POST", "/api/v1/units", {"name": "市民課", "kind": "section"})
    user(admin, db, "mgr_a", "security_manager", "unit", "情報企画課")
    user(admin, db, "staff_b", "staff", "body", "市民課")
    user(admin, db, "aud", "auditor", "body", "総務部")
    mgr, staff_b, aud = Client(port), Client(port), Client(port)
    for c, login in ((mgr, "mgr_a"), (staff_b, "staff_b"), (aud, "aud")):
        st, _ = c.login("toyohashi", login)
        check(st == 200, "login %s: %s" % (login, st))

    # the dashboard before any inspection
    st, d, _ = admin.req("GET", "/api/v1/dashboard")
    check(st == 200 and d["compliance"]["available"] is False, "dashboard: %s %s" % (st, d))

    # checklist: administrators make it; others may not
    st, j, _ = staff_b.req("POST", "/api/v1/inspection/checklist", {})
    check(st == 403, "staff generates a checklist: %s" % st)
    st, j, _ = admin.req("POST", "/api/v1/inspection/checklist", {})
    check(st == 201 and j["version"] == 1 and j["items"] > 20, "generate: %s %s" % (st, j))
    st, c, _ = mgr.req("GET", "/api/v1/inspection/checklist")
    check(st == 200 and len(c["items"]) == j["items"], "checklist read: %s" % st)

    # a round: bad input names the field
    st, j, _ = admin.req("POST", "/api/v1/inspection/rounds",
                         {"name": "令和8年度", "fiscal_year": 2026, "deadline": "2026-13-01"})
    check(st == 422 and j.get("field") == "deadline", "bad deadline: %s %s" % (st, j))
    st, j, _ = admin.req("POST", "/api/v1/inspection/rounds", raw=b"{oops")
    check(st == 400, "bad JSON: %s" % st)
    st, rnd, _ = admin.req("POST", "/api/v1/inspection/rounds",
                           {"name": "令和8年度", "fiscal_year": 2026, "deadline": "2026-12-25"})
    check(st == 201 and rnd["name"] == "令和8年度", "round: %s %s" % (st, rnd))
    rid = rnd["id"]

    st, a, _ = mgr.req("GET", "/api/v1/inspection/rounds/%d/answers?unit=%d" % (rid, sec_a["id"]))
    check(st == 200 and len(a["items"]) > 20, "answers of 情報企画課: %s" % st)
    st, _, _ = mgr.req("GET", "/api/v1/inspection/rounds/%d/answers?unit=%d" % (rid, sec_b["id"]))
    check(st == 403, "another section's answers are not the manager's to read: %s" % st)
    st, b, _ = admin.req("GET", "/api/v1/inspection/rounds/%d/answers?unit=%d" % (rid, sec_b["id"]))
    first_a, first_b = a["items"][0]["id"], b["items"][0]["id"]
    st, j, _ = mgr.req("POST", "/api/v1/inspection/answers/%d" % first_a,
                       {"answer": "partial", "note": "一部の端末",
                        "evidence": [{"kind": "url", "ref": "/assets"}]})
    check(st == 200 and j["answer"] == "partial", "manager answers: %s %s" % (st, j))
    st, j, _ = mgr.req("POST", "/api/v1/inspection/answers/%d" % first_b, {"answer": "yes"})
    check(st == 403, "manager answers another section: %s" % st)
    st, j, _ = staff_b.req("POST", "/api/v1/inspection/answers/%d" % first_b, {"answer": "no"})
    check(st == 200, "staff answers own section: %s %s" % (st, j))
    st, j, _ = staff_b.req("POST", "/api/v1/inspection/answers/%d" % first_b, {"answer": "sometimes"})
    check(st == 422 and j.get("field") == "answer", "bad answer: %s %s" % (st, j))

    st, r, _ = admin.req("GET", "/api/v1/inspection/rounds/%d" % rid)
    body_t = r["rollup"]["body"]
    check(st == 200 and body_t["partial"] >= 1 and body_t["no"] >= 1, "rollup: %s %s" % (st, body_t))
    check(len(r["rollup"]["departments"]) == 2, "departments: %s" % r["rollup"]["departments"])

    st, j, _ = admin.req("POST", "/api/v1/inspection/rounds/%d/actions" % rid, {"due": "2027-03-31"})
    check(st == 201 and j["created"] >= 2, "actions: %s %s" % (st, j))
    st, acts, _ = admin.req("GET", "/api/v1/inspection/rounds/%d/actions" % rid)
    check(st == 200 and all(x["due"] == "2027-03-31" for x in acts["items"]), "action list")
    key = a["items"][0]["key"]
    st, j, _ = staff_b.req("POST", "/api/v1/inspection/rounds/%d/findings" % rid,
                           {"item": key, "severity": "low", "finding": "x"})
    check(st == 403, "staff records a finding: %s" % st)
    st, j, _ = aud.req("POST", "/api/v1/inspection/rounds/%d/findings" % rid,
                       {"item": key, "severity": "medium", "finding": "記録の保存期間が不明確"})
    check(st == 201 and j["severity"] == "medium", "finding: %s %s" % (st, j))
    st, facts, _ = admin.req("GET", "/api/v1/inspection/facts")
    check(st == 200 and any(f["fact"] == "users.mfa_missing" for f in facts["items"]), "facts")

    # reports from the web
    st, ctype, data = raw_get(admin, "/api/v1/inspection/rounds/%d/report.xlsx" % rid)
    check(st == 200 and "spreadsheetml" in ctype and data[:2] == b"PK", "xlsx: %s %s" % (st, ctype))
    st, ctype, data = raw_get(admin, "/inspection/rounds/%d/report.csv" % rid)
    check(st == 200 and data[:3] == b"\xef\xbb\xbf" and "点検項目".encode() in data, "csv: %s" % st)
    st, ctype, data = raw_get(admin, "/inspection/rounds/%d/report.html" % rid)
    check(st == 200 and b'lang="ja"' in data and "令和8年度".encode() in data
          and b"/static/report.css" in data, "html report: %s" % st)
    st, ctype, data = raw_get(admin, "/static/report.css")
    check(st == 200 and b"A4" in data, "report.css: %s" % st)

    # pages in Japanese
    for page in ("/inspection", "/inspection/checklist", "/inspection/rounds/%d" % rid):
        st, ctype, data = raw_get(mgr, page)
        check(st == 200 and "自己点検".encode() in data or "点検表".encode() in data,
              "page %s: %s" % (page, st))
    st, ctype, data = raw_get(admin, "/")
    text = data.decode()
    for part in ('id="chart-compliance"', 'id="compliance-table"', 'id="chart-classes"',
                 'id="segments-table"', "<svg", "部ごとの遵守率", "総務部"):
        check(part in text, "dashboard shows %s" % part)

    # the report CLI: written, refused over an existing file (3), bad input (2)
    out = os.path.join(tmp, "r.xlsx")
    r = run("report", "inspection", "--db", db, "--tenant", "toyohashi", "--round", "令和8年度",
            "--format", "xlsx", "-o", out)
    check(os.path.getsize(out) > 1000, "cli xlsx written")
    run("report", "inspection", "--db", db, "--tenant", "toyohashi", "--round", str(rid),
        "--format", "xlsx", "-o", out, expect=3)
    r = run("report", "inspection", "--db", db, "--tenant", "toyohashi", "--round", "nope",
            "--format", "csv", "-o", out + ".csv", expect=2)
    check("mamori: エラー [ENOTFOUND]" in r.stderr, "cli unknown round: %s" % r.stderr)
    run("report", "inspection", "--db", db, "--tenant", "toyohashi", "--round", "1",
        "--format", "pdf", "-o", out + ".pdf", expect=2)
    run("report", "inspection", "--db", db, "--tenant", "toyohashi", "--format", "csv", "-o", "x",
        expect=2)


def main():
    db, tmp = fresh_db("mamori-inspect-api-")
    run("init", "--db", db)
    run("tenant", "add", "--db", db, "--id", "toyohashi", "--profile",
        os.path.join(ROOT, "policy/toyohashi.yaml"), "--name", "豊橋市")
    run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", "admin1", "--role",
        "info_planning_head", "--password-stdin", stdin=PASSWORD + "\n")
    with Server(db, tmp) as srv:
        body(srv.port, db, tmp)
    print("inspect api (%s): %s" % (BACKEND, "ok" if not failed() else "%d failures" % failed()))
    sys.exit(1 if failed() else 0)


if __name__ == "__main__":
    main()
