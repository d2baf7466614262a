#!/usr/bin/env python3
"""test_work_api.py MAMORI SRC_ROOT sqlite|postgres — /api/v1/applications,
/api/v1/exceptions, /api/v1/records and /api/v1/deputies over loopback
(issue 5): a take-out from application to return, the permission rules (own
application, another section, a deputy without and with absence, another
tenant), illegal transitions (409 naming the state), bad input naming the
field, and the same pages in Japanese.
"""
import datetime
import os
import sys

from apiclient import BACKEND, ROOT, Client, Server, check, failed, fresh_db, run, PASSWORD


def main():
    db, tmp = fresh_db("mamori-work-api-")
    run("init", "--db", db)
    run("tenant", "add", "--db", db, "--id", "toyohashi", "--profile",
        os.path.join(ROOT, "policy/toyohashi.yaml"), "--name", "豊橋市")
    run("tenant", "add", "--db", db, "--id", "meguro", "--profile",
        os.path.join(ROOT, "policy/meguro.yaml"), "--name", "目黒区")
    for tenant, login, role in [("toyohashi", "admin1", "info_planning_head"),
                                ("meguro", "madmin", "ciso")]:
        run("user", "add", "--db", db, "--tenant", tenant, "--login", login, "--role", role,
            "--password-stdin", stdin=PASSWORD + "\n")
    with Server(db, tmp) as srv:
        body(srv.port, db)
    print("work api (%s): %s" % (BACKEND, "ok" if not failed() else "%d failures" % failed()))
    sys.exit(1 if failed() else 0)


def user(admin, db, login, role, scope, unit):
    """A person with a password, through the administrators' CLI."""
    run("user", "add", "--db", db, "--tenant", "toyohashi", "--login", login, "--role", role,
        "--scope", scope, "--unit", unit, "--password-stdin", stdin=PASSWORD + "\n")
    st, l, _ = admin.req("GET", "/api/v1/users?login=" + login)
    check(st == 200 and len(l["items"]) == 1, "user %s listed: %s %s" % (login, st, l))
    return l["items"][0]["id"]


def body(port, db):
    admin = Client(port)
    st, _ = admin.login("toyohashi", "admin1")
    check(st == 200, "admin login")
    st, dept, _ = admin.req("POST", "/api/v1/units", {"name": "総務部", "kind": "department"})
    st, sec_a, _ = admin.req("POST", "/api/v1/units", {"name": "情報企画課", "parent_id": dept["id"]})
    st2, sec_b, _ = admin.req("POST", "/api/v1/units", {"name": "市民課"})
    check(st == 201 and st2 == 201, "units created: %s %s %s" % (st, st2, sec_b))
    ids = {}
    for login, role, scope, unit in [("staff1", "staff", "body", "情報企画課"),
                                     ("mgr_a", "security_manager", "unit", "情報企画課"),
                                     ("mgr_b", "security_manager", "unit", "市民課"),
                                     ("deputy", "staff", "body", "情報企画課")]:
        ids[login] = user(admin, db, login, role, scope, unit)
    clients = {}
    for login in ids:
        c = Client(port)
        st, _ = c.login("toyohashi", login)
        check(st == 200, "login %s: %s" % (login, st))
        clients[login] = c
    staff, mgr_a, mgr_b, deputy = (clients[k] for k in ("staff1", "mgr_a", "mgr_b", "deputy"))
    st, _, _ = admin.req("POST", "/api/v1/deputies", {"principal_id": ids["mgr_a"],
                                                      "deputy_id": ids["deputy"]})
    check(st == 204, "deputy designated: %s" % st)
    st, _, _ = staff.req("POST", "/api/v1/deputies", {"principal_id": ids["mgr_a"],
                                                      "deputy_id": ids["staff1"]})
    check(st == 403, "staff may not designate deputies: %s" % st)

    st, types, _ = staff.req("GET", "/api/v1/applications/types")
    check(st == 200 and {t["id"] for t in types["types"]} >= {"takeout", "cloud", "exception",
                                                                "dispose", "byod"}, "types")
    due = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    takeout = {"type": "takeout", "title": "説明会用ノートPC",
               "resource": {"kind": "device", "classification": {"importance": "II"}},
               "context": {"destination": "external"},
               "detail": {"destination": "名古屋市", "purpose": "説明会", "due_on": due}}
    st, a, _ = staff.req("POST", "/api/v1/applications", takeout)
    check(st == 201 and a["state"] == "pending", "takeout filed: %s %s" % (st, a))
    check(a["decision"]["citations"][0]["clause"] == "第5 1(2)", "the clause is cited")
    check("security_manager" in a["route"]["roles"], "route from approvers: %s" % a["route"])
    aid = a["id"]
    path = "/api/v1/applications/%d" % aid
    st, j, _ = staff.req("POST", path + "/start")
    check(st == 409 and "承認待ち" in j["error"], "start before approval: %s %s" % (st, j))
    st, j, _ = staff.req("POST", path + "/approve", {})
    check(st == 403 and "自分" in j["error"], "own application: %s %s" % (st, j))
    st, j, _ = mgr_b.req("POST", path + "/approve", {})
    check(st == 404, "another section's head: %s" % st)
    st, j, _ = deputy.req("POST", path + "/approve", {})
    check(st == 404, "deputy while the principal is present: %s" % st)
    other = Client(port)
    other.login("meguro", "madmin")
    st, j, _ = other.req("GET", path)
    check(st == 404, "another tenant: %s" % st)
    st, l, _ = mgr_a.req("GET", "/api/v1/applications?filter=to_approve")
    check(st == 200 and [x["id"] for x in l["items"]] == [aid], "to_approve list: %s" % l)
    st, a, _ = mgr_a.req("POST", path + "/approve", {"comment": "了解"})
    check(st == 200 and a["state"] == "approved" and a["decision"]["effect"] == "permit",
          "approved: %s %s" % (st, a))
    st, j, _ = mgr_a.req("POST", path + "/approve", {})
    check(st == 409, "approve twice: %s" % st)
    st, a, _ = staff.req("POST", path + "/confirm", {})
    check(st == 200, "confirm: %s %s" % (st, a))
    st, a, _ = staff.req("POST", path + "/start")
    check(st == 200 and a["state"] == "active", "taken out: %s %s" % (st, a))
    st, a, _ = staff.req("POST", path + "/return")
    check(st == 200 and a["state"] == "returned" and a["returned_at"], "returned: %s" % a)
    st, j, _ = staff.req("POST", path + "/return")
    check(st == 409, "return twice: %s" % st)

    # the deputy approves while the principal is marked absent
    st, a, _ = staff.req("POST", "/api/v1/applications", takeout)
    st, _, _ = admin.req("PATCH", "/api/v1/users/%d" % ids["mgr_a"], {"absent": True})
    check(st == 200, "mark absent: %s" % st)
    st, a, _ = deputy.req("POST", "/api/v1/applications/%d/approve" % a["id"], {})
    check(st == 200 and a["state"] == "approved" and a["approvals"][0]["deputy_for"] == ids["mgr_a"],
          "deputy approval while absent: %s %s" % (st, a))

    # bad input names the field
    for bad, field in [({"type": "takeout"}, "title"),
                       ({**takeout, "detail": {**takeout["detail"], "due_on": "2026-13-01"}},
                        "detail.due_on"),
                       ({**takeout, "colour": "red"}, "colour"),
                       ({**takeout, "context": {"approvals": ["ciso"]}}, "context.approvals")]:
        st, j, _ = staff.req("POST", "/api/v1/applications", bad)
        check(st == 422 and j.get("field") == field, "bad %s: %s %s" % (field, st, j))
    st, j, _ = staff.req("POST", "/api/v1/applications", raw=b"{not json")
    check(st == 400, "broken JSON: %s" % st)

    # records: two different people, each confirming the other
    st, rec, _ = mgr_a.req("POST", "/api/v1/records", {
        "kind": "two_person", "partner_id": ids["staff1"],
        "data": {"work": "FW設定変更", "started_at": "10:00", "ended_at": "11:00"}})
    check(st == 201 and rec["complete"] is False, "two-person record: %s %s" % (st, rec))
    st, j, _ = mgr_a.req("POST", "/api/v1/records/%d/confirm" % rec["id"])
    check(st == 403, "recorder cannot confirm for the partner: %s" % st)
    st, rec, _ = staff.req("POST", "/api/v1/records/%d/confirm" % rec["id"])
    check(st == 200 and rec["complete"] is True, "partner confirmed: %s" % rec)

    # exceptions: list answers even when empty; the web pages render in Japanese
    st, l, _ = admin.req("GET", "/api/v1/exceptions")
    check(st == 200 and l["items"] == [], "exceptions list: %s %s" % (st, l))
    for page in ("/applications", "/applications/%d" % aid, "/applications/new?type=cloud",
                 "/exceptions", "/records"):
        st, _, r = staff.req("GET", page)
        check(st == 200, "page %s: %s" % (page, st))


if __name__ == "__main__":
    main()
