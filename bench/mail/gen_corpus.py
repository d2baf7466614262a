#!/usr/bin/env python3
"""gen_corpus.py DIR N — N multipart Japanese mails of about 30 KB each into DIR
(deterministic): ISO-2022-JP text + HTML alternatives with a PDF attachment,
UTF-8 HTML-only (quoted-printable) with an image, Shift_JIS 8-bit text + HTML."""
import base64, os, random, sys
from email.message import EmailMessage
from email.policy import SMTP

PHRASES = [
    "お世話になっております。", "市民課の山田です。", "来週の会議資料を送付いたします。",
    "ご確認のほどよろしくお願いいたします。", "①本件は㈱マモリとの契約に関するものです。",
    "住民票の写しの交付について", "令和8年度の予算要求資料", "添付ファイルをご参照ください。",
    "情報セキュリティ研修の日程を調整しています。", "以上、よろしくお願い申し上げます。",
]

def text(rng, size):
    out = []
    n = 0
    while n < size:
        p = rng.choice(PHRASES)
        out.append(p)
        n += len(p.encode("utf-8"))
        if rng.random() < 0.3:
            out.append("\n")
    return "".join(out) + "\n"

def html_of(t, rng):
    paras = "".join("<p>%s<br><a href=\"https://example.com/doc/%d\">資料%d</a></p>\n" % (
        line, rng.randrange(1000), i) for i, line in enumerate(t.split("\n")) if line)
    return ("<html><head><style>p{margin:0}</style><script>var x=1;</script></head>"
            "<body>%s<img src=\"cid:logo\" alt=\"ロゴ\"></body></html>\n" % paras)

def jis(s):
    # ISO-2022-JP with the CP50220 characters ① and ㈱
    out = b""
    for part in s.replace("①", "\0①\0").replace("㈱", "\0㈱\0").split("\0"):
        if part == "①":
            out += b"\x1b$B-!\x1b(B"
        elif part == "㈱":
            out += b"\x1b$B-j\x1b(B"
        else:
            out += part.encode("iso2022_jp")
    return out

def headers(rng, i, extra=""):
    return ("From: =?UTF-8?B?%s?= <sender%d@example.com>\r\n"
            "To: user@city.example.lg.jp\r\nCc: kikaku@city.example.lg.jp\r\n"
            "Subject: =?ISO-2022-JP?B?%s?=\r\n"
            "Date: Tue, 1 Dec 2026 10:00:00 +0900\r\nMessage-ID: <bench-%d@example.com>\r\n"
            "X-Mailer: bench\r\nMIME-Version: 1.0\r\n%s" % (
                base64.b64encode("差出人%d" % i).decode() if False else
                base64.b64encode(("差出人%d" % i).encode()).decode(), i,
                base64.b64encode(("会議のご案内 %d" % i).encode("iso2022_jp")).decode(), i, extra)).encode()

def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")

def mail(rng, i):
    kind = i % 4
    blob = bytes(rng.randrange(256) for _ in range(20000))
    if kind in (0, 1):
        t = text(rng, 3000)
        h = html_of(t, rng)
        return headers(rng, i, "Content-Type: multipart/mixed; boundary=\"outer\"\r\n") + b"\r\n" + (
            b"--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
            b"--alt\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + jis(t).replace(b"\n", b"\r\n") +
            b"\r\n--alt\r\nContent-Type: text/html; charset=ISO-2022-JP\r\n\r\n" + jis(h).replace(b"\n", b"\r\n") +
            b"\r\n--alt--\r\n--outer\r\nContent-Type: application/pdf; name=\"=?UTF-8?B?" +
            base64.b64encode("見積書.pdf".encode()) + b"?=\"\r\nContent-Disposition: attachment; "
            b"filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            b64(b"%PDF-1.4\n" + blob) + b"--outer--\r\n")
    if kind == 2:
        h = html_of(text(rng, 2500), rng)
        lines, cur = [], ""
        for c in h.encode():
            tok = "=%02X" % c if c >= 0x80 or c == 0x3D else ("" if c == 0x0A else chr(c))
            if c == 0x0A:
                lines.append(cur.encode() + b"\r\n")
                cur = ""
                continue
            if len(cur) + len(tok) > 72:
                lines.append(cur.encode() + b"=\r\n")
                cur = ""
            cur += tok
        lines.append(cur.encode())
        return headers(rng, i, "Content-Type: multipart/related; boundary=\"rel\"\r\n") + b"\r\n" + (
            b"--rel\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
            b"".join(lines) + b"\r\n--rel\r\nContent-Type: image/png; name=logo.png\r\n"
            b"Content-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(b"\x89PNG" + blob[:14000]) +
            b"--rel--\r\n")
    t = text(rng, 14000)
    h = html_of(text(rng, 11000), rng)
    return headers(rng, i, "Content-Type: multipart/alternative; boundary=\"alt\"\r\n") + b"\r\n" + (
        b"--alt\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
        t.encode("cp932").replace(b"\n", b"\r\n") +
        b"\r\n--alt\r\nContent-Type: text/html; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
        h.encode("cp932").replace(b"\n", b"\r\n") + b"\r\n--alt--\r\n")

def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(7)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        with open(os.path.join(out, "m%04d.eml" % i), "wb") as f:
            f.write(mail(rng, i))

if __name__ == "__main__":
    main()
