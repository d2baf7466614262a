#!/usr/bin/env python3
"""textize_py.py SECONDS DIR... — the Python peer of `mamori mail textize`
for bench_mail: the same job with the standard library only (email +
html.parser): keep From/To/Cc/Reply-To/Date/Subject/Message-ID/In-Reply-To/
References (decoded, re-encoded as UTF-8), the text/plain alternative or the
HTML made into text (scripts and styles dropped, links defanged, images as
alt text), attachments removed and listed with name, type, size and SHA-256,
nested messages text-ized in place, one text/plain UTF-8 base64 part out.
Prints `msgs_per_s: N` and `bytes_per_s: N` over all *.eml files in DIRs,
repeated for at least SECONDS seconds of CPU time, on one CPU."""
import email, glob, hashlib, os, sys, time
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser

KEPT = ["From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID", "In-Reply-To", "References"]
BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr"}
SKIP = {"script", "style", "head", "iframe", "object", "embed", "svg", "template"}


def defang(url):
    url = url.strip()
    for s, r in (("https:", "hxxps:"), ("http:", "hxxp:"), ("ftp:", "fxp:")):
        if url.lower().startswith(s):
            rest = url[len(s):]
            if rest.startswith("//"):
                host, sep, tail = rest[2:].partition("/")
                return r + "//" + host.replace(".", "[.]") + sep + tail
            return r + rest
    if url.lower().startswith("mailto:"):
        return url[7:]
    if url.lower().startswith(("javascript:", "data:", "vbscript:")):
        return "（スクリプト等のリンクは削除）"
    return url


class Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip, self.links = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag in BLOCK:
            self.out.append("\n")
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(alt)
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in SKIP and self.skip:
            self.skip -= 1
        elif tag in BLOCK:
            self.out.append("\n")
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("#"):
                self.out.append(" [" + defang(href) + "]")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(" ".join(data.split()))


def html_text(html):
    p = Text()
    p.feed(html)
    p.close()
    return "".join(p.out)


def part_text(part):
    try:
        return part.get_content()
    except Exception:
        raw = part.get_payload(decode=True) or b""
        return raw.decode("utf-8", "replace")


def walk(part, body, atts, depth):
    ctype = part.get_content_type()
    if part.is_multipart():
        subs = list(part.iter_parts())
        if ctype == "multipart/alternative":
            plain = [p for p in subs if p.get_content_type() == "text/plain"]
            html = [p for p in subs if p.get_content_type() == "text/html"]
            chosen = plain[0] if plain else html[0] if html else subs[0] if subs else None
            for p in subs:
                if p is chosen:
                    walk(p, body, atts, depth)
                elif not p.get_content_type().startswith(("text/plain", "text/html", "multipart/")):
                    walk(p, body, atts, depth)
            return
        for p in subs:
            walk(p, body, atts, depth)
        return
    if ctype == "message/rfc822":
        inner = part.get_payload()[0] if isinstance(part.get_payload(), list) else None
        if inner is not None and depth < 8:
            body.append("\n―――― 添付されていたメッセージ ――――\n")
            for k, label in (("From", "差出人"), ("To", "宛先"), ("Date", "日付"), ("Subject", "件名")):
                if inner[k]:
                    body.append("%s: %s\n" % (label, inner[k]))
            walk(inner, body, atts, depth + 1)
            body.append("―――― 添付されていたメッセージここまで ――――\n")
        return
    disp = part.get_content_disposition()
    if ctype in ("text/plain", "text/html") and disp != "attachment":
        t = part_text(part)
        body.append(html_text(t) if ctype == "text/html" else t)
        return
    data = part.get_payload(decode=True) or b""
    atts.append((part.get_filename() or "", ctype, len(data), hashlib.sha256(data).hexdigest()))


def textize(raw):
    msg = email.message_from_bytes(raw, policy=policy.default)
    body, atts = [], []
    walk(msg, body, atts, 0)
    out = EmailMessage()
    for k in KEPT:
        try:
            v = msg[k]
        except Exception:
            v = None
        if v:
            try:
                out[k] = str(v)
            except Exception:
                pass
    notice = ["［mamori メールテキスト化］インターネットから届いたメールのため、本文のテキストだけを転送しています。"]
    if atts:
        notice.append("削除した添付ファイル（%d 件）:" % len(atts))
        for i, (n, t, s, h) in enumerate(atts, 1):
            notice.append("  %d. %s（%s、%d バイト）\n     SHA-256: %s" % (i, n or "（名前なし）", t, s, h))
    text = "\n".join(notice) + "\n" + "―" * 30 + "\n\n" + "".join(body)
    out.set_content(text, charset="utf-8", cte="base64")
    out["X-Mamori-Textized"] = "python; attachments-removed=%d" % len(atts)
    return out.as_bytes()


def main():
    secs = float(sys.argv[1])
    files = []
    for d in sys.argv[2:]:
        files += sorted(glob.glob(os.path.join(d, "**", "*.eml"), recursive=True))
    msgs = [open(f, "rb").read() for f in files]
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    for m in msgs:  # warm up; a message Python cannot handle is skipped
        try:
            textize(m)
        except Exception:
            pass
    n = size = 0
    t0 = time.process_time()
    while time.process_time() - t0 < secs:
        for m in msgs:
            try:
                textize(m)
            except Exception:
                pass
            n += 1
            size += len(m)
    dt = time.process_time() - t0
    print("msgs_per_s: %.1f" % (n / dt))
    print("bytes_per_s: %.1f" % (size / dt))


if __name__ == "__main__":
    main()
