#!/usr/bin/env python3
"""test_incident_api.py MAMORI SRC_ROOT sqlite|postgres — the incident desk over loopback.

Starts a real SMTP server on loopback (aiosmtpd, Debian's python3-aiosmtpd)
and `mamori serve --smtp` against a fresh database (SQLite file, or the
PostgreSQL of tests/pgtmp.sh via MAMORI_TEST_PG), then checks
/api/v1/incidents (report, triage, transitions, refusals in Japanese,
permissions, another tenant), escalation reaching the committee's inbox and
its mailbox through the relay, the Commission's due list, the emergency
response plan, /api/v1/notifications, bad input, and the Japanese pages
(report form, case page showing the plan, inbox) with their CSRF tokens.
"""
import email
import email.policy
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller

MAMORI, ROOT, BACKEND = sys.argv[1], sys.argv[2], sys.argv[3]
PASSWORD = "Correct-Horse-9!"
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(*args, stdin=None, expect=0):
    r = subprocess.run([MAMORI, *args], input=stdin, capture_output=True, text=True)
    if r.returncode != expect:
        print("command failed:", args, r.returncode, r.stdout, r.stderr)
        sys.exit(1)
    return r


class Sink:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content or envelope.content))
        return "250 OK"

    def wait_for(self, rcpt, needle, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                for frm, tos, raw in self.messages:
                    if rcpt in tos:
                        msg = email.message_from_bytes(raw, policy=email.policy.default)
                        text = msg["Subject"] + "\n" + msg.get_content()
                        if needle in text:
                            return msg
            time.sleep(0.1)
        return None


class Client:
    def __init__(self, port):
        self.port = port
        self.token = None
        self.cookie = None
        self.csrf = None

    def req(self, method, path, body=None, raw=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        c.close()
        try:
            j = json.loads(text) if text else None
        except ValueError:
            j = None
        return r.status, j, text

    def login(self, tenant, login):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", "/api/v1/session",
                  body=json.dumps({"tenant": tenant, "login": login, "password": PASSWORD}))
        r = c.getresponse()
        j = json.loads(r.read())
        c.close()
        check(r.status == 200, "sign in %s/%s: %s" % (tenant, login, j))
        self.token = j["token"]
        self.csrf = j["csrf"]
        self.cookie = r.getheader("Set-Cookie").split(";")[0]
        return self

    def page(self, method, path, form=None):
        """A web page with the session cookie (no bearer token)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Cookie": self.cookie}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        c.close()
        return r.status, text, r.getheader("Location")


def main():
    tmp = tempfile.mkdtemp(prefix="mamori-incident-")
    if BACKEND == "postgres":
        db = os.environ["MAMORI_TEST_PG"]
    else:
        db = os.path.join(tmp, "mamori.db")
    run("init", "--db", db)
    run("tenant", "add", "--db", db, "--id", "toyohashi", "--profile",
        os.path.join(ROOT, "policy/toyohashi.yaml"), "--name", "豊橋市")
    run("tenant", "add", "--db", db, "--id", "meguro", "--profile",
        os.path.join(ROOT, "policy/meguro.yaml"), "--name", "目黒区")
    for tenant, login, role in [("toyohashi", "staff1", "staff"), ("toyohashi", "staff2", "staff"),
                                ("toyohashi", "csirt1", "csirt"),
                                ("toyohashi", "committee1", "committee"),
                                ("toyohashi", "ciso1", "ciso"),
                                ("toyohashi", "head1", "info_planning_head"),
                                ("meguro", "mstaff", "staff")]:
        run("user", "add", "--db", db, "--tenant", tenant, "--login", login, "--role", role,
            "--password-stdin", stdin=PASSWORD + "\n")

    sink = Sink()
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    port = free_port()
    log = open(os.path.join(tmp, "serve.log"), "w+")
    srv = subprocess.Popen([MAMORI, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port,
                            "--threads", "2", "--smtp", "127.0.0.1:%d" % smtp_port], stderr=log)
    try:
        for _ in range(200):
            try:
                if Client(port).req("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        body(port, sink)
        cli(db)
    finally:
        srv.terminate()
        try:
            rc = srv.wait(20)
        except subprocess.TimeoutExpired:
            srv.kill()
            rc = "killed"
        smtp.stop()
        log.seek(0)
        text = log.read()
        check(rc == 0, "server exit status %s" % rc)
        check("Sanitizer" not in text and "runtime error" not in text, "server log:\n" + text[-3000:])
    print("mails accepted by the relay: %d" % len(sink.messages))
    print("incident api (%s): %s" % (BACKEND, "ok" if not failures else "%d failures" % failures))
    sys.exit(1 if failures else 0)


def body(port, sink):
    staff1 = Client(port).login("toyohashi", "staff1")
    staff2 = Client(port).login("toyohashi", "staff2")
    csirt = Client(port).login("toyohashi", "csirt1")
    committee = Client(port).login("toyohashi", "committee1")
    head = Client(port).login("toyohashi", "head1")
    other = Client(port).login("meguro", "mstaff")

    # e-mail addresses (each user sets their own; bad ones are refused)
    st, j, _ = committee.req("PUT", "/api/v1/me/email", {"email": "not an address"})
    check(st == 422 and j.get("field") == "email", "bad e-mail refused: %s %s" % (st, j))
    st, j, _ = committee.req("PUT", "/api/v1/me/email", {"email": "committee1@city.example.jp"})
    check(st == 200, "committee e-mail set: %s %s" % (st, j))
    check(staff1.req("PUT", "/api/v1/users/%d/email" % user_id(head, "csirt1"),
                     {"email": "csirt@city.example.jp"})[0] == 403, "staff cannot set another's e-mail")
    check(head.req("PUT", "/api/v1/users/%d/email" % user_id(head, "csirt1"),
                   {"email": "csirt@city.example.jp"})[0] == 200, "admin sets the csirt's e-mail")

    # ---- report ----
    st, j, _ = staff1.req("POST", "/api/v1/incidents", {
        "title": "住民情報を含むファイルの誤送信", "description": "外部の宛先にメールで送信した。",
        "occurred_at": "2026-03-31T10:00:00+09:00"})
    check(st == 201 and j["state"] == "reported", "report: %s %s" % (st, j))
    cid = j["id"]
    check(j["state_name"] == "報告受付（トリアージ待ち）", "state name in Japanese")
    # the CSIRT is told, in the inbox and by mail
    st, j, _ = csirt.req("GET", "/api/v1/notifications?unread=1")
    check(st == 200 and any(n["kind"] == "incident.reported" for n in j["items"]),
          "csirt inbox has the report: %s" % j)
    msg = sink.wait_for("csirt@city.example.jp", "インシデント報告")
    check(msg is not None, "report mailed to the CSIRT through the relay")
    if msg is not None:
        check("誤送信" in msg["Subject"], "subject decoded: %s" % msg["Subject"])
        check("/incidents/%d" % cid in msg.get_content(), "mail links to the case")

    # ---- permissions ----
    check(staff2.req("GET", "/api/v1/incidents/%d" % cid)[0] == 404, "other staff: no such case")
    check(other.req("GET", "/api/v1/incidents/%d" % cid)[0] == 404, "other tenant: no such case")
    st, j, _ = staff1.req("POST", "/api/v1/incidents/%d/triage" % cid,
                          {"incident": True, "severity": "low"})
    check(st == 403, "staff cannot triage: %s %s" % (st, j))
    st, j, _ = other.req("GET", "/api/v1/incidents")
    check(st == 200 and j["items"] == [], "other tenant lists nothing")

    # ---- illegal transition, in Japanese, naming both states ----
    st, j, _ = csirt.req("POST", "/api/v1/incidents/%d/transition" % cid, {"to": "closed"})
    check(st == 409 and "報告受付" in j["error"] and "終結" in j["error"],
          "illegal transition refused: %s %s" % (st, j))

    # ---- triage: serious, personal, wrongful; assign staff2 ----
    st, j, _ = csirt.req("GET", "/api/v1/incidents/%d" % cid)
    st, j, _ = csirt.req("POST", "/api/v1/incidents/%d/triage" % cid, {
        "incident": True, "severity": "high", "personal": True,
        "ppc_triggers": ["over100"], "wrongful": True, "aware_at": "2026-04-01T00:00:00Z",
        "assignee_id": user_id(head, "staff2"), "note": "100 名超"})
    check(st == 200 and j["state"] == "containment", "triage: %s %s" % (st, j))
    check(j.get("ppc", {}).get("prompt_due") == "2026-04-04T00:00:00.000Z", "prompt due: %s" % j.get("ppc"))
    check(j.get("ppc", {}).get("final_due") == "2026-05-31T00:00:00.000Z", "final due (60 days): %s" % j.get("ppc"))
    # escalation to the committee (豊橋市 第5 4(3)), inbox and mail
    st, j, _ = committee.req("GET", "/api/v1/notifications")
    esc = [n for n in j["items"] if n["kind"] == "incident.escalated"]
    check(len(esc) == 1 and "第5 4(3)" in esc[0]["body"], "committee inbox: %s" % j)
    msg = sink.wait_for("committee1@city.example.jp", "情報セキュリティ委員会に報告するものとする")
    check(msg is not None, "escalation mailed to the committee with the clause")
    # the assignee moves it on; the reporter cannot
    st, j, _ = staff1.req("POST", "/api/v1/incidents/%d/transition" % cid, {"to": "recovery"})
    check(st == 403, "reporter cannot advance: %s" % st)
    st, j, _ = staff2.req("POST", "/api/v1/incidents/%d/transition" % cid,
                          {"to": "recovery", "note": "復旧作業開始"})
    check(st == 200 and j["state"] == "recovery", "assignee advances: %s %s" % (st, j))
    st, j, _ = staff2.req("POST", "/api/v1/incidents/%d/transition" % cid, {"to": "closed"})
    check(st == 409 and "復旧" in j["error"] and "終結" in j["error"], "skip refused: %s" % j)
    # the Commission's due list
    st, j, _ = csirt.req("GET", "/api/v1/incidents/ppc-due")
    check(st == 200 and {i["report"] for i in j["items"] if i["incident_id"] == cid} == {"prompt", "final"},
          "ppc due: %s" % j)
    st, j, _ = csirt.req("POST", "/api/v1/incidents/%d/ppc" % cid, {"report": "prompt"})
    check(st == 200 and j["ppc"]["prompt_filed_at"], "prompt report recorded: %s %s" % (st, j))
    # timeline
    st, j, _ = staff1.req("GET", "/api/v1/incidents/%d" % cid)
    actions = [e["action"] for e in j["timeline"]]
    check(actions[:2] == ["reported", "triaged"] and "escalated.serious" in actions
          and "transition" in actions and "ppc.prompt" in actions, "timeline: %s" % actions)
    check(all(e["at"].endswith("Z") and len(e["at"]) == 24 for e in j["timeline"]), "UTC ms times")

    # ---- bad input ----
    st, j, _ = staff1.req("POST", "/api/v1/incidents", raw=b"{broken")
    check(st == 400, "broken JSON: %s" % st)
    st, j, _ = staff1.req("POST", "/api/v1/incidents", {"title": "x", "description": "y", "x": 1})
    check(st == 422 and j.get("field") == "x", "unknown field: %s %s" % (st, j))
    st, j, _ = staff1.req("POST", "/api/v1/incidents", {"title": "x" * 401, "description": "y"})
    check(st == 422 and j.get("field") == "title", "long title: %s %s" % (st, j))
    st, j, _ = staff1.req("POST", "/api/v1/incidents", raw=b'{"title":"\xff","description":"y"}')
    check(st == 400, "invalid UTF-8: %s" % st)
    st, j, _ = staff1.req("POST", "/api/v1/incidents", {"title": "x", "description": "y", "assets": [999999]})
    check(st == 422 and j.get("field") == "assets", "unknown asset: %s %s" % (st, j))
    st, j, _ = staff1.req("POST", "/api/v1/incidents", {"title": "'; DROP TABLE incidents; --", "description": "y"})
    check(st == 201, "SQL metacharacters are data: %s" % st)
    check(staff1.req("GET", "/api/v1/incidents/abc")[0] == 404, "bad id")
    check(staff1.req("GET", "/api/v1/incidents?limit=0")[0] == 400, "bad limit")
    check(staff1.req("GET", "/api/v1/incidents?state=done")[0] == 400, "bad state")
    check(staff1.req("DELETE", "/api/v1/incidents/%d" % cid)[0] == 405, "no DELETE")
    # cookie sessions need the CSRF header on the API
    cookie_only = Client(port)
    cookie_only.cookie = staff1.cookie
    st, j, _ = cookie_only.req("POST", "/api/v1/incidents", {"title": "x", "description": "y"},
                               headers={"Cookie": staff1.cookie})
    check(st == 403, "cookie session without X-CSRF-Token refused: %s" % st)
    st, j, _ = cookie_only.req("POST", "/api/v1/incidents", {"title": "x", "description": "y"},
                               headers={"Cookie": staff1.cookie, "X-CSRF-Token": staff1.csrf})
    check(st == 201, "cookie session with X-CSRF-Token: %s" % st)

    # ---- the plan ----
    plan = {"contacts": "CSIRT 内線 2100", "report_items": "日時・影響", "measures": "切り離し",
            "prevention": "研修"}
    check(staff1.req("PUT", "/api/v1/incident-plan", plan)[0] == 403, "staff cannot edit the plan")
    st, j, _ = head.req("PUT", "/api/v1/incident-plan", plan)
    check(st == 200 and j["contacts"] == "CSIRT 内線 2100", "admin edits the plan: %s %s" % (st, j))
    st, j, _ = other.req("GET", "/api/v1/incident-plan")
    check(st == 200 and j["written"] is False, "another tenant has its own (empty) plan")

    # ---- notifications ----
    st, j, _ = staff1.req("GET", "/api/v1/notifications")
    check(st == 200 and j["unread"] >= 1, "reporter was told of the triage: %s" % j)
    nid = j["items"][0]["id"]
    check(staff2.req("POST", "/api/v1/notifications/%d/read" % nid)[0] == 404, "not another's")
    check(staff1.req("POST", "/api/v1/notifications/%d/read" % nid)[0] == 204, "mark read")
    check(staff1.req("POST", "/api/v1/notifications/read")[0] == 204, "mark all read")
    check(staff1.req("GET", "/api/v1/notifications")[1]["unread"] == 0, "all read")

    # ---- the pages ----
    st, text, _ = staff1.page("GET", "/incidents/new")
    check(st == 200 and "インシデントの報告" in text, "report form page")
    st, text, loc = staff1.page("POST", "/incidents/new", {
        "title": "<script>alert(1)</script>", "description": "ページから報告", "csrf": staff1.csrf,
        "occurred_at": "2026-03-31T09:00"})
    check(st in (302, 303) and loc and loc.startswith("/incidents/"), "form report: %s %s" % (st, loc))
    st, text, _ = staff1.page("POST", "/incidents/new", {"title": "x", "description": "y", "csrf": "0" * 64})
    check(st == 403, "form without the session's CSRF token refused: %s" % st)
    if loc:
        st, text, _ = staff1.page("GET", loc)
        check(st == 200 and "&lt;script&gt;" in text and "<script>alert" not in text,
              "case page escapes the title")
        check("緊急時対応計画" in text and "CSIRT 内線 2100" in text, "case page shows the plan")
    st, text, _ = csirt.page("GET", "/incidents/%d" % cid)
    check(st == 200 and "個人情報保護委員会への報告" in text and "第5 4(3)" in text,
          "case page: PPC and escalation")
    st, text, _ = csirt.page("POST", "/incidents/%d/transition" % cid,
                             {"to": "closed", "csrf": csirt.csrf})
    check(st == 409 and "移れません" in text, "page refuses an illegal move: %s" % st)
    st, text, loc2 = csirt.page("POST", "/incidents/%d/transition" % cid,
                                {"to": "cause", "csrf": csirt.csrf, "note": "原因調査"})
    check(st in (302, 303), "page transition: %s" % st)
    st, text, _ = csirt.page("GET", "/incidents")
    check(st == 200 and "ppc-due" in text, "list page with the due reports")
    st, text, _ = committee.page("GET", "/inbox")
    check(st == 200 and "重大事故の報告" in text, "inbox page")
    st, text, _ = head.page("GET", "/plan")
    check(st == 200 and "plan-form" in text, "plan page editable by the admin")
    st, text, _ = staff1.page("GET", "/plan")
    check(st == 200 and "plan-form" not in text and "CSIRT 内線 2100" in text, "plan page read-only for staff")


def cli(db):
    """`mamori incident due|list` and `mamori notify send` on the same database."""
    r = subprocess.run([MAMORI, "incident", "due", "--db", db, "--tenant", "toyohashi",
                        "--now", "2026-04-02T00:00:00Z", "--format", "json"],
                       capture_output=True, text=True)
    j = json.loads(r.stdout) if r.stdout else {}
    # the prompt report was made; the 60-day final one is not yet due
    check(r.returncode == 0 and [i["report"] for i in j.get("items", [])] == ["final"],
          "incident due (in time): %d %s %s" % (r.returncode, r.stdout, r.stderr))
    r = subprocess.run([MAMORI, "incident", "due", "--db", db, "--tenant", "toyohashi",
                        "--now", "2026-06-01T00:00:00+09:00"], capture_output=True, text=True)
    check(r.returncode == 1 and "期限超過" in r.stdout, "incident due (overdue) exits 1: %s" % r.stdout)
    r = subprocess.run([MAMORI, "incident", "due", "--db", db, "--tenant", "toyohashi",
                        "--now", "yesterday"], capture_output=True, text=True)
    check(r.returncode == 2 and "--now" in r.stderr, "bad --now: %s" % r.stderr)
    r = subprocess.run([MAMORI, "incident", "list", "--db", db, "--tenant", "nowhere"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "nowhere" in r.stderr, "unknown tenant: %s" % r.stderr)
    r = subprocess.run([MAMORI, "incident", "list", "--db", db, "--tenant", "toyohashi",
                        "--state", "cause"], capture_output=True, text=True)
    check(r.returncode == 0 and "誤送信" in r.stdout, "incident list: %s %s" % (r.stdout, r.stderr))
    env = dict(os.environ)
    env.pop("MAMORI_SMTP", None)
    r = subprocess.run([MAMORI, "notify", "send", "--db", db], capture_output=True, text=True, env=env)
    check(r.returncode == 2 and "--smtp" in r.stderr, "notify send needs a relay: %s" % r.stderr)


def user_id(admin, login):
    st, j, _ = admin.req("GET", "/api/v1/users?login=" + login)
    for u in (j or {}).get("items", []):
        if u["login"] == login:
            return u["id"]
    st, j, _ = admin.req("GET", "/api/v1/users?limit=500")
    for u in (j or {}).get("items", []):
        if u["login"] == login:
            return u["id"]
    check(False, "user %s not found" % login)
    return 0


if __name__ == "__main__":
    main()
