"""apiclient.py — what the API tests share: a JSON client over loopback,
checks that count failures, the CLI runner, a free port, TOTP codes, and a
server started on a fresh database."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import struct
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


def failed():
    return failures
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


class Client:
    def __init__(self, port):
        self.port = port
        self.token = None

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
        return r.status, j, r

    def login(self, tenant, login, password=PASSWORD, totp=None):
        body = {"tenant": tenant, "login": login, "password": password}
        if totp:
            body["totp"] = totp
        st, j, _ = self.req("POST", "/api/v1/session", body)
        if st == 200:
            self.token = j["token"]
        return st, j


def totp(secret_b32, t, step_offset=0):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int(t // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    code = (struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code




def fresh_db(prefix):
    """A fresh database target and a temporary directory."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    db = os.environ["MAMORI_TEST_PG"] if BACKEND == "postgres" else os.path.join(tmp, "mamori.db")
    return db, tmp


class Server:
    """`mamori serve` on a free port; on exit it must stop cleanly on SIGTERM
    and (under the sanitizers) print nothing of theirs."""

    def __init__(self, db, tmp, extra=()):
        self.port = free_port()
        self.log = open(os.path.join(tmp, "serve.log"), "w+")
        self.proc = subprocess.Popen([MAMORI, "serve", "--db", db, "--listen",
                                      "127.0.0.1:%d" % self.port, "--threads", "2", *extra],
                                     stderr=self.log)

    def __enter__(self):
        j = None
        for _ in range(200):
            try:
                st, j, _ = Client(self.port).req("GET", "/healthz")
                if st == 200:
                    break
            except OSError:
                time.sleep(0.05)
        check(j == {"status": "ok"}, "healthz")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            rc = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed"
        self.log.seek(0)
        text = self.log.read()
        check(rc == 0, "server exit status %s" % rc)
        check("Sanitizer" not in text and "runtime error" not in text,
              "server log:\n" + text[-3000:])
        return False
