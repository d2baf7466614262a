#!/bin/sh
# libreoffice_test.sh MAMORI SRC_ROOT — the sanitized Office documents still
# open. Two sets: the documents make_fixtures.py builds (a docm with VBA,
# ActiveX, OLE and DDE; a docx with a remote template; an xlsx with DDE),
# and documents LibreOffice itself writes (docx, xlsx, pptx) made
# macro-enabled by inject_macro.py (docm, xlsm, pptm). After sanitization
# LibreOffice converts each to PDF (one invocation, a private profile) and
# qpdf --check accepts the result. Skipped (77) without LibreOffice.
set -u
M="$1"
ROOT="$2"
command -v libreoffice >/dev/null || { echo "skip: libreoffice not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
LO="libreoffice -env:UserInstallation=file://$T/profile --headless"
python3 "$ROOT/tests/sanitize/make_fixtures.py" "$T/fx" || exit 1
mkdir -p "$T/in" "$T/gen"
cp "$T/fx/macro.docm" "$T/fx/remote_template.docx" "$T/fx/dde.xlsx" "$T/fx/clean.docx" "$T/in/"
fails=0

# Documents as an office suite writes them.
cat >"$T/gen/w.fodt" <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text><text:h>庁内通知</text:h><text:p>文書本文 writer-body</text:p></office:text></office:body></office:document>
X
cat >"$T/gen/c.fods" <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body><office:spreadsheet><table:table table:name="集計"><table:table-row><table:table-cell office:value-type="string"><text:p>calc-cell</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document>
X
cat >"$T/gen/i.fodp" <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation"><office:body><office:presentation><draw:page draw:name="p1"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>impress-slide</text:p></draw:text-box></draw:frame></draw:page></office:presentation></office:body></office:document>
X
(cd "$T/gen" && timeout 300 $LO --convert-to docx w.fodt >/dev/null 2>&1 &&
	timeout 300 $LO --convert-to xlsx c.fods >/dev/null 2>&1 &&
	timeout 300 $LO --convert-to pptx i.fodp >/dev/null 2>&1)
for x in w.docx:w.docm c.xlsx:c.xlsm i.pptx:i.pptm; do
	if [ -s "$T/gen/${x%%:*}" ] && python3 "$ROOT/tests/sanitize/inject_macro.py" "$T/gen/${x%%:*}" "$T/in/${x##*:}"; then
		echo "ok   LibreOffice wrote ${x%%:*}, made ${x##*:}"
	else
		echo "FAIL LibreOffice could not write ${x%%:*}"; fails=$((fails + 1))
	fi
done

"$M" sanitize --in "$T/in" --out "$T/out" --report "$T/report.jsonl" >"$T/batch.log" 2>&1 ||
	{ echo "FAIL sanitize"; cat "$T/batch.log"; exit 1; }
for x in w c i; do
	python3 - "$T/report.jsonl" "$x" <<'PY' && echo "ok   $x: VBA and external link removed" || { echo "FAIL $x: removals"; exit 1; }
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["input"].endswith("/" + sys.argv[2] + "." + d["declared_extension"]):
        r = d["removed"]
        sys.exit(0 if r.get("vba_project", {}).get("count") == 1 and r.get("linked_object", {}).get("count") == 1 else 1)
sys.exit(1)
PY
	[ $? -eq 0 ] || fails=$((fails + 1))
done
set -- "$T"/out/*
timeout 500 $LO --convert-to pdf --outdir "$T/pdf" "$@" >"$T/lo.log" 2>&1
for f in "$@"; do
	b=$(basename "$f" | sed 's/\.[^.]*$//')
	if [ -s "$T/pdf/$b.pdf" ] && qpdf --check "$T/pdf/$b.pdf" >/dev/null 2>&1; then
		echo "ok   LibreOffice opens $(basename "$f")"
	else
		echo "FAIL LibreOffice cannot open $(basename "$f")"; fails=$((fails + 1))
	fi
done
# The text survived.
if command -v pdftotext >/dev/null; then
	for x in macro:予算書 w:writer-body c:calc-cell i:impress-slide; do
		pdftotext "$T/pdf/${x%%:*}.pdf" "$T/t.txt" 2>/dev/null
		if grep -q "${x##*:}" "$T/t.txt"; then echo "ok   ${x%%:*}: text kept"; else
			echo "FAIL ${x%%:*}: text lost"; fails=$((fails + 1)); fi
	done
fi
[ "$fails" -eq 0 ] || sed 's/^/     | /' "$T/lo.log"
[ "$fails" -eq 0 ]
