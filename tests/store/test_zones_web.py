#!/usr/bin/env python3
"""test_zones_web.py MAMORI SRC_ROOT sqlite|postgres — the three-layer check
from the API and the web pages (issue 9): a clean design and a stray accept
are checked for a tenant and kept as evidence with their picture; staff may
neither run nor see them; bad input names the file and line; another
tenant sees nothing.
"""
import http.client
import os
import sys

from apiclient import BACKEND, PASSWORD, ROOT, Client, Server, check, failed, fresh_db, run

DATA = os.path.join(ROOT, "tests/data/zones")


def read(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return f.read()


def main():
    db, tmp = fresh_db("mamori-zones-web-")
    run("init", "--db", db)
    run("tenant", "add", "--db", db, "--id", "toyohashi", "--profile",
        os.path.join(ROOT, "policy/toyohashi.yaml"), "--name", "豊橋市")
    run("tenant", "add", "--db", db, "--id", "meguro", "--profile",
        os.path.join(ROOT, "policy/meguro.yaml"), "--name", "目黒区")
    for tenant, login, role in [("toyohashi", "admin1", "info_planning_head"),
                                ("toyohashi", "staff1", "staff"), ("meguro", "madmin", "ciso")]:
        run("user", "add", "--db", db, "--tenant", tenant, "--login", login, "--role", role,
            "--password-stdin", stdin=PASSWORD + "\n")
    with Server(db, tmp) as srv:
        body(srv.port)
    print("zones web (%s): %s" % (BACKEND, "ok" if not failed() else "%d failures" % failed()))
    sys.exit(1 if failed() else 0)


def body(port):
    admin, staff, other = Client(port), Client(port), Client(port)
    check(admin.login("toyohashi", "admin1")[0] == 200, "admin login")
    check(staff.login("toyohashi", "staff1")[0] == 200, "staff login")
    check(other.login("meguro", "madmin")[0] == 200, "other tenant login")
    zones = read("zones.yaml")
    st, clean, _ = admin.req("POST", "/api/v1/zones/checks",
                             {"zones": zones, "rules": read("clean.json"), "rules_name": "clean.json"})
    check(st == 201 and clean["clean"] is True and clean["violations"] == 0,
          "clean design: %s %s" % (st, clean and clean.get("violations")))
    st, bad, _ = admin.req("POST", "/api/v1/zones/checks",
                           {"zones": zones, "rules": read("stray_accept.iptables")})
    check(st == 201 and bad["clean"] is False and bad["violations"] == 1, "stray accept: %s" % st)
    v = bad["result"]["violations"][0]
    check(v["from"] == "lgwan" and v["to"] == "internet" and v["clause"] == "第3 2(1)",
          "the violation and its clause: %s" % v)
    # the self-inspection knows the latest result as a fact, with the check as evidence
    st, facts, _ = admin.req("GET", "/api/v1/inspection/facts")
    z = [f for f in (facts or {}).get("items", []) if f.get("fact") == "zones.violations"]
    check(st == 200 and z and z[0].get("count") == 1 and z[0]["evidence"][0]["kind"] == "zones"
          and z[0]["evidence"][0]["ref"] == str(bad["id"]), "zones fact: %s %s" % (st, z or facts))
    st, l, _ = admin.req("GET", "/api/v1/zones/checks")
    check(st == 200 and [x["id"] for x in l["items"]] == [bad["id"], clean["id"]], "kept: %s" % l)
    # bad input names the file and line
    st, j, _ = admin.req("POST", "/api/v1/zones/checks",
                         {"zones": zones, "rules": "*filter\n-A FORWARD -j WHATEVER --bogus\n"})
    check(st == 422 and "ruleset" in j["error"], "bad ruleset named: %s %s" % (st, j))
    st, j, _ = admin.req("POST", "/api/v1/zones/checks", {"zones": zones})
    check(st == 422 and j.get("field") == "rules", "rules required: %s %s" % (st, j))
    # least privilege and tenancy
    st, _, _ = staff.req("POST", "/api/v1/zones/checks", {"zones": zones, "rules": read("clean.json")})
    check(st == 403, "staff may not run the check: %s" % st)
    st, _, _ = staff.req("GET", "/api/v1/zones/checks/%d" % bad["id"])
    check(st == 403, "staff may not see it: %s" % st)
    st, _, _ = other.req("GET", "/api/v1/zones/checks/%d" % bad["id"])
    check(st == 404, "another tenant: %s" % st)
    # the pages: the result in Japanese, the picture with violations in red
    st, _, r = admin.req("GET", "/zones/%d" % bad["id"])
    check(st == 200, "result page %s" % st)
    st, _, r = admin.req("GET", "/zones")
    check(st == 200, "list page %s" % st)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/zones/%d" % bad["id"], headers={"Authorization": "Bearer " + admin.token})
    resp = conn.getresponse()
    html = resp.read().decode()
    check("違反が 1 件あります" in html and "第3 2(1)" in html, "result page text")
    conn.request("GET", "/zones/%d.svg" % bad["id"], headers={"Authorization": "Bearer " + admin.token})
    resp = conn.getresponse()
    svg = resp.read().decode()
    check(resp.status == 200 and resp.getheader("Content-Type") == "image/svg+xml" and
          svg.startswith("<") and "<svg" in svg, "svg picture")
    check('#c00000' in svg,
          "a violation drawn in red")
    conn.close()


if __name__ == "__main__":
    main()
