#!/usr/bin/env python3
"""bench_sanitize SOURCE_ROOT MAMORI — file sanitization throughput.

A mixed corpus is built fresh (tests/sanitize/make_fixtures.py for the
hostile documents, plus larger ordinary ones made here: a 2 MB docx, a
30-page PDF, a 1000x1000 PNG), replicated to COPIES files each, and run
through `mamori sanitize --in DIR --out DIR`. Prints:
  sanitize.files_per_s, sanitize.mb_per_s   (the batch, wall clock, best of 3)
  flatten.pages_per_s                       (--flatten of the 30-page PDF)
  flatten.pdftoppm_pages_per_s              (peer: poppler's own renderer, 150 dpi PNG)
and goal ratios against the figures of the earlier implementation
(951 files/s, 34 pages/s)."""
import os, shutil, struct, subprocess, sys, tempfile, time, zipfile, zlib

root, mamori = sys.argv[1], os.path.abspath(sys.argv[2])
COPIES = int(os.environ.get("BENCH_SANITIZE_COPIES", "20"))
tmp = tempfile.mkdtemp(prefix="bench-sanitize-")
try:
    fx = os.path.join(tmp, "fx")
    subprocess.run([sys.executable, os.path.join(root, "tests/sanitize/make_fixtures.py"), fx], check=True)
    # Larger ordinary documents.
    W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paras = "".join("<w:p><w:r><w:t>第%d条 本市の情報資産は、機密性・完全性・可用性に応じて分類する。</w:t></w:r></w:p>" % i
                    for i in range(12000))
    with zipfile.ZipFile(os.path.join(fx, "large.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="%s"><w:body>%s</w:body></w:document>' % (W, paras))
    # A 30-page text PDF.
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for p in range(30):
        text = b"BT /F1 11 Tf 50 780 Td 14 TL " + b"".join(b"(Page %d line %d: the quick brown fox jumps over the lazy dog) '" % (p + 1, l) for l in range(50)) + b" ET"
        objs.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>" % (len(objs) + 2))
        kids.append(len(objs))
        objs.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
    objs[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join("%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.7\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + (o.encode() if isinstance(o, str) else o) + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    pages30 = os.path.join(fx, "pages30.pdf")
    open(pages30, "wb").write(out)
    # A 1000x1000 PNG.
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    rows = b"".join(b"\0" + bytes((x * 7 + y * 3) & 255 for x in range(3000)) for y in range(1000))
    open(os.path.join(fx, "large.png"), "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1000, 1000, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))

    corpus = os.path.join(tmp, "corpus")
    os.makedirs(corpus)
    skip = {"bomb.docx"}  # the 40 MB bomb measures the refusal, not throughput
    n_bytes = 0
    n_files = 0
    for name in sorted(os.listdir(fx)):
        if name in skip:
            continue
        for c in range(COPIES):
            dst = os.path.join(corpus, "%03d_%s" % (c, name))
            shutil.copy(os.path.join(fx, name), dst)
            n_bytes += os.path.getsize(dst)
            n_files += 1

    def best(cmd, runs=3):
        t = None
        for _ in range(runs):
            outdir = os.path.join(tmp, "out")
            shutil.rmtree(outdir, ignore_errors=True)
            cmd2 = [a.replace("@OUT@", outdir) for a in cmd]
            s = time.perf_counter()
            subprocess.run(cmd2, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            e = time.perf_counter() - s
            t = e if t is None else min(t, e)
        return t

    t = best([mamori, "sanitize", "--in", corpus, "--out", "@OUT@"])
    fps = n_files / t
    print("sanitize.files_per_s: %.0f files/s (%d files, mixed corpus)" % (fps, n_files))
    print("sanitize.mb_per_s: %.1f MB/s (%.1f MB)" % (n_bytes / 1e6 / t, n_bytes / 1e6))
    print("sanitize.files_per_s.goal_ratio: %.2f (goal 951 files/s, earlier implementation)" % (fps / 951))

    t = best([mamori, "sanitize", pages30, "-o", "@OUT@.pdf", "--flatten"])
    pps = 30 / t
    print("flatten.pages_per_s: %.1f pages/s (150 dpi)" % pps)
    print("flatten.pages_per_s.goal_ratio: %.2f (goal 34 pages/s, earlier implementation)" % (pps / 34))
    if shutil.which("pdftoppm"):
        os.makedirs(os.path.join(tmp, "ppm"), exist_ok=True)
        t = best(["pdftoppm", "-r", "150", "-png", pages30, os.path.join(tmp, "ppm", "p")])
        print("flatten.pdftoppm_pages_per_s: %.1f pages/s (peer: rendering alone, 150 dpi PNG)" % (30 / t))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
