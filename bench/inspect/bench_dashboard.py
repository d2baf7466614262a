#!/usr/bin/env python3
"""bench_dashboard SRC_ROOT MAMORI — the dashboard of issue 6 on the demo data
scaled to 100,000 assets (SQLite): the demo's five bodies, 豊橋市's ledger
filled up to 100,000 assets by the CSV import, a checklist and a round opened
(so the compliance chart has a round to roll up), then GET / (the web page,
charts and tables) and GET /api/v1/dashboard under wrk (2 threads, 4
connections, 6 s).

  dashboard.p99_ms        the page, 99th percentile latency (goal < 100 ms)
  dashboard.api_p99_ms    the JSON figures alone

plus 10,000 incidents over the last twelve months (written with Python's
sqlite3 into the demo database, the way the incident desk stores them).
"""
import datetime
import http.client
import sqlite3
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT, MAMORI = sys.argv[1], sys.argv[2]
N_ASSETS = 100_000
N_INCIDENTS = 10_000
DEMO_PASSWORD = "Mamori-Demo-2026!"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def wrk(url, script, seconds=6, conns=4):
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency", "-s", script,
                          url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise SystemExit("wrk saw error responses:\n" + out)
    return p99


def call(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    h = {"Authorization": "Bearer " + token} if token else {}
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:300]))
    return json.loads(data), r


def call_raw(port, path, token):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != 200:
        raise SystemExit("GET %s: %d" % (path, r.status))


def main():
    if not shutil.which("wrk"):
        raise SystemExit("bench_dashboard: wrk is not installed (scripts/deps.sh)")
    tmp = tempfile.mkdtemp(prefix="mamori-bench-dash-")
    db = os.path.join(tmp, "demo.db")
    try:
        sh(MAMORI, "init", "--db", db, "--demo")
        port = free_port()
        log = open(os.path.join(tmp, "serve.log"), "w")
        srv = subprocess.Popen([MAMORI, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port,
                                "--threads", "2"], stderr=log)
        try:
            for _ in range(200):
                try:
                    call(port, "GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.05)
            j, r = call(port, "POST", "/api/v1/session", {"tenant": "toyohashi",
                                                          "login": "info.planning.head",
                                                          "password": DEMO_PASSWORD})
            token, cookie = j["token"], r.getheader("Set-Cookie").split(";")[0]
            d, _ = call(port, "GET", "/api/v1/dashboard", None, token)
            have = d["counts"]["assets"]
            csv = os.path.join(tmp, "assets.csv")
            levels, segs = ["I", "II", "III", "IV"], ["mynumber", "lgwan", "internet"]
            with open(csv, "w") as f:
                f.write("名称,種別,重要性分類,ネットワーク\n")
                for i in range(N_ASSETS - have):
                    f.write("文書%06d,information,%s,%s\n" % (i, levels[i % 4], segs[i % 3]))
            sh(MAMORI, "import", "assets", "--db", db, "--tenant", "toyohashi", csv)
            con = sqlite3.connect(db, timeout=60)
            now = datetime.datetime.now(datetime.timezone.utc)
            sev = ["low", "medium", "high", "critical"]
            rows = []
            for i in range(N_INCIDENTS):
                at = (now - datetime.timedelta(hours=i * 8760 // N_INCIDENTS)).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z")
                rows.append(("toyohashi", "事案%05d" % i, "bench", at, at, "closed", sev[i % 4], at, at))
            con.executemany("INSERT INTO incidents (tenant, title, description, occurred_at, "
                            "aware_at, state, severity, created_at, updated_at) VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            con.commit()
            con.close()
            call(port, "POST", "/api/v1/inspection/checklist", {}, token)
            call(port, "POST", "/api/v1/inspection/rounds",
                 {"name": "令和8年度", "fiscal_year": 2026, "deadline": "2026-12-25"}, token)
            d, _ = call(port, "GET", "/api/v1/dashboard", None, token)
            assert d["counts"]["assets"] == N_ASSETS, d["counts"]
            page_lua = os.path.join(tmp, "page.lua")
            with open(page_lua, "w") as f:
                f.write('wrk.headers["Cookie"] = "%s"\n' % cookie)
            api_lua = os.path.join(tmp, "api.lua")
            with open(api_lua, "w") as f:
                f.write('wrk.headers["Authorization"] = "Bearer %s"\n' % token)
            p99 = wrk("http://127.0.0.1:%d/" % port, page_lua)
            print("dashboard.p99_ms: %.2f ms (%d assets, %d incidents, web page)" %
                  (p99, N_ASSETS, N_INCIDENTS))
            print("dashboard.p99_ms.goal_ratio: %.2f (goal < 100 ms)" % (p99 / 100))
            p99 = wrk("http://127.0.0.1:%d/api/v1/dashboard" % port, api_lua)
            print("dashboard.api_p99_ms: %.2f ms (%d assets, JSON)" % (p99, N_ASSETS))
            # one request at a time, and the server's own CPU time per page
            # (the machine is shared: wall time is not the server's alone)
            tick = os.sysconf("SC_CLK_TCK")

            def cpu():
                f = open("/proc/%d/stat" % srv.pid).read().rsplit(")", 1)[1].split()
                return (int(f[11]) + int(f[12])) / tick

            lat, n = [], 200
            c0 = cpu()
            for _ in range(n):
                t = time.perf_counter()
                call_raw(port, "/", token)
                lat.append((time.perf_counter() - t) * 1000)
            c1 = cpu()
            lat.sort()
            print("dashboard.sequential_p99_ms: %.2f ms (one client, %d requests)" %
                  (lat[int(n * 0.99) - 1], n))
            print("dashboard.server_cpu_ms: %.2f ms per page (server CPU time)" %
                  ((c1 - c0) * 1000 / n))
        finally:
            srv.terminate()
            srv.wait(30)
    finally:
        if os.environ.get("MAMORI_BENCH_KEEP"):
            print("bench_dashboard: kept %s" % db, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
