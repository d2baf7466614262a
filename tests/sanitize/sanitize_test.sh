#!/bin/sh
# sanitize_test.sh MAMORI SRC_ROOT — `mamori sanitize` as an operator uses
# it, on documents built by make_fixtures.py (and on the public samples in
# ../shared/testdata/files/ when present): what is removed, what is
# refused and why, exit codes, the report, the re-scan (sanitizing the
# output again removes nothing), qpdf --check, the batch form, --flatten
# and the profile's sanitize.* settings.
set -u
M="$1"
ROOT="$2"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F="$T/fx"
O="$T/out"
mkdir -p "$O"
python3 "$ROOT/tests/sanitize/make_fixtures.py" "$F" || { echo "FAIL fixtures"; exit 1; }
fails=0

ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
expect() { # expect NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got $3, want $2"; fi
}
contains() { # contains NAME FILE TEXT
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		bad "$1: $2 lacks: $3"; sed 's/^/     | /' "$2"; fi
}
lacks() { # lacks NAME FILE TEXT
	if grep -qaF -- "$3" "$2"; then bad "$1: $2 has: $3"; else ok "$1"; fi
}
# jq-less JSON field reader: json FILE EXPR (python expression on d)
json() { python3 -c "import json,sys; d=json.loads(open(sys.argv[1]).readline()); print($2)" "$1"; }

# sanitized OUT_NAME — the output must sanitize again with nothing removed
rescan() {
	"$M" sanitize "$1" -o "$T/rescan.$2" --report "$T/rescan.json" >/dev/null 2>&1
	expect "re-scan $(basename "$1") exit" 0 $?
	expect "re-scan $(basename "$1") finds nothing active" 0 "$(json "$T/rescan.json" "d['removed_total']")"
}

# ---- Office Open XML ----
"$M" sanitize "$F/macro.docm" -o "$O/macro.docm" --report "$T/docm.json" >"$T/stdout" 2>"$T/stderr"
expect "docm exit" 0 $?
[ -f "$O/macro.docx" ] && ok "docm renamed to docx" || bad "docm renamed to docx"
[ ! -f "$O/macro.docm" ] && ok "no .docm written" || bad "no .docm written"
contains "docm rename told" "$T/stderr" "macro.docx"
expect "docm type" docx "$(json "$T/docm.json" "d['type']")"
expect "docm vba removed" 2 "$(json "$T/docm.json" "d['removed']['vba_project']['count']")"
expect "docm vba part named" True "$(json "$T/docm.json" "'word/vbaProject.bin' in d['removed']['vba_project']['parts']")"
expect "docm activex" 1 "$(json "$T/docm.json" "d['removed']['activex']['count']")"
expect "docm ole" 1 "$(json "$T/docm.json" "d['removed']['embedded_object']['count']")"
expect "docm custom ui" 1 "$(json "$T/docm.json" "d['removed']['custom_ui']['count']")"
expect "docm dde fields" 2 "$(json "$T/docm.json" "d['removed']['dde_field']['count']")"
expect "docm sha256 before" "$(sha256sum "$F/macro.docm" | cut -c1-64)" "$(json "$T/docm.json" "d['sha256_before']")"
expect "docm sha256 after" "$(sha256sum "$O/macro.docx" | cut -c1-64)" "$(json "$T/docm.json" "d['sha256_after']")"
unzip -l "$O/macro.docx" >"$T/list" 2>&1
lacks "docx has no vbaProject" "$T/list" "vbaProject"
lacks "docx has no embeddings" "$T/list" "embeddings/"
lacks "docx has no activeX" "$T/list" "activeX"
lacks "docx has no customUI" "$T/list" "customUI"
unzip -p "$O/macro.docx" "\[Content_Types\].xml" >"$T/ct"
lacks "content types macro-free" "$T/ct" "macroEnabled"
lacks "content types no vbaProject" "$T/ct" "vbaProject"
contains "content types main part" "$T/ct" "wordprocessingml.document.main+xml"
unzip -p "$O/macro.docx" word/document.xml >"$T/doc"
lacks "no DDEAUTO" "$T/doc" "DDEAUTO"
lacks "no DDE field" "$T/doc" " DDE "
lacks "no OLEObject" "$T/doc" "OLEObject"
contains "text kept" "$T/doc" "予算書（案）"
contains "hyperlink kept by default" "$T/doc" 'r:id="rId7"'
unzip -p "$O/macro.docx" word/_rels/document.xml.rels >"$T/rels"
lacks "rels: no vbaProject" "$T/rels" "vbaProject"
lacks "rels: no control" "$T/rels" "/control"
# every relationship id used in document.xml is defined in its .rels
python3 - "$T/doc" "$T/rels" <<'PY' && ok "rels consistent" || bad "rels consistent"
import re, sys
used = set(re.findall(r'r:id="([^"]+)"', open(sys.argv[1]).read()))
have = set(re.findall(r'Id="([^"]+)"', open(sys.argv[2]).read()))
sys.exit(0 if used <= have else 1)
PY
rescan "$O/macro.docx" docx

"$M" sanitize "$F/macro.docm" -o "$O/nolinks.docx" --remove-links --report "$T/nl.json" >/dev/null 2>&1
expect "remove-links exit" 0 $?
expect "remove-links hyperlink" 1 "$(json "$T/nl.json" "d['removed']['hyperlink']['count']")"
unzip -p "$O/nolinks.docx" word/_rels/document.xml.rels >"$T/rels2"
lacks "remove-links: no External" "$T/rels2" 'TargetMode="External"'
unzip -p "$O/nolinks.docx" word/document.xml >"$T/doc2"
lacks "remove-links: reference gone" "$T/doc2" 'r:id="rId7"'
contains "remove-links: text kept" "$T/doc2" "市のサイト"

"$M" sanitize "$F/remote_template.docx" -o "$O/remote_template.docx" --report "$T/rt.json" >/dev/null 2>&1
expect "remote template exit" 0 $?
expect "remote template removed" 1 "$(json "$T/rt.json" "d['removed']['remote_template']['count']")"
unzip -p "$O/remote_template.docx" word/settings.xml >"$T/set"
lacks "settings: attachedTemplate gone" "$T/set" "attachedTemplate"
unzip -p "$O/remote_template.docx" word/_rels/settings.xml.rels >"$T/srels" 2>/dev/null
lacks "settings rels: address gone" "$T/srels" "203.0.113.9"
rescan "$O/remote_template.docx" docx

"$M" sanitize "$F/dde.xlsx" -o "$O/dde.xlsx" --report "$T/x.json" >/dev/null 2>&1
expect "xlsx exit" 0 $?
expect "xlsx dde formula" 1 "$(json "$T/x.json" "d['removed']['dde_formula']['count']")"
expect "xlsx macro sheet" 1 "$(json "$T/x.json" "d['removed']['macro_sheet']['count']")"
expect "xlsx external link" 1 "$(json "$T/x.json" "d['removed']['external_link']['count']")"
unzip -p "$O/dde.xlsx" xl/worksheets/sheet1.xml >"$T/sheet"
lacks "sheet: no cmd|" "$T/sheet" "cmd|"
contains "sheet: ordinary formula kept" "$T/sheet" "<f>A1*2</f>"
unzip -p "$O/dde.xlsx" xl/workbook.xml >"$T/wb"
lacks "workbook: macro sheet entry gone" "$T/wb" "Macro1"
lacks "workbook: externalReferences gone" "$T/wb" "externalReference"
rescan "$O/dde.xlsx" xlsx

"$M" sanitize "$F/clean.docx" -o "$O/clean.docx" --report "$T/c.json" >/dev/null 2>&1
expect "clean docx exit" 0 $?
expect "clean docx nothing removed" 0 "$(json "$T/c.json" "d['removed_total']")"

# ---- PDF ----
"$M" sanitize "$F/hostile.pdf" -o "$O/hostile.pdf" --report "$T/p.json" >/dev/null 2>&1
expect "pdf exit" 0 $?
for k in open_action javascript launch embedded_file file_attachment xfa additional_actions; do
	n=$(json "$T/p.json" "d['removed'].get('$k', {}).get('count', 0)")
	[ "$n" -ge 1 ] && ok "pdf removed $k ($n)" || bad "pdf removed $k"
done
qpdf --check "$O/hostile.pdf" >"$T/qc" 2>&1
expect "pdf qpdf --check" 0 $?
qpdf --qdf --object-streams=disable "$O/hostile.pdf" "$T/qdf.pdf" 2>/dev/null
for w in /JavaScript /JS /OpenAction /Launch /EmbeddedFile /XFA /AA /FileAttachment exportDataObject payload.exe; do
	lacks "pdf has no $w" "$T/qdf.pdf" "$w"
done
contains "pdf text kept" "$T/qdf.pdf" "Budget 2026"
contains "pdf URI kept by default" "$T/qdf.pdf" "/URI"
rescan "$O/hostile.pdf" pdf
"$M" sanitize "$F/hostile.pdf" -o "$O/nouri.pdf" --remove-links >/dev/null 2>&1
qpdf --qdf --object-streams=disable "$O/nouri.pdf" "$T/qdf2.pdf" 2>/dev/null
lacks "remove-links: pdf has no URI" "$T/qdf2.pdf" "/URI"

"$M" sanitize "$F/cycle.pdf" -o "$O/cycle.pdf" --report "$T/cy.json" >/dev/null 2>&1
expect "reference cycles exit" 0 $?
qpdf --check "$O/cycle.pdf" >/dev/null 2>&1
expect "reference cycles qpdf --check" 0 $?
qpdf --qdf --object-streams=disable "$O/cycle.pdf" "$T/qdf3.pdf" 2>/dev/null
lacks "cycle: SubmitForm gone" "$T/qdf3.pdf" "SubmitForm"

"$M" sanitize "$F/hostile.pdf" -o "$O/flat.pdf" --flatten --report "$T/fl.json" >/dev/null 2>&1
expect "flatten exit" 0 $?
expect "flatten pages" 1 "$(json "$T/fl.json" "d['pages']")"
qpdf --check "$O/flat.pdf" >/dev/null 2>&1
expect "flatten qpdf --check" 0 $?
qpdf --qdf --object-streams=disable "$O/flat.pdf" "$T/qdf4.pdf" 2>/dev/null
for w in /JavaScript /Annots /Font /URI /EmbeddedFile; do
	lacks "flatten has no $w" "$T/qdf4.pdf" "$w"
done
contains "flatten has an image" "$T/qdf4.pdf" "/Subtype /Image"

# ---- images, text ----
"$M" sanitize "$F/meta.png" -o "$O/meta.png" --report "$T/png.json" >/dev/null 2>&1
expect "png exit" 0 $?
expect "png: text chunk reported" "['tEXt']" "$(json "$T/png.json" "d['removed']['image_metadata']['parts']")"
expect "png: appended bytes reported" 1 "$(json "$T/png.json" "d['removed']['appended_data']['count']")"
lacks "png: text chunk gone" "$O/meta.png" "<script>"
lacks "png: appended data gone" "$O/meta.png" "appended zip"
python3 -c "import sys,zlib,struct; d=open(sys.argv[1],'rb').read(); assert d[:8]==b'\x89PNG\r\n\x1a\n' and d.endswith(b'IEND\xaeB\`\x82')" "$O/meta.png" &&
	ok "png: valid, ends at IEND" || bad "png: valid, ends at IEND"
"$M" sanitize "$F/photo.jpg" -o "$O/photo.jpg" --report "$T/ph.json" >/dev/null 2>"$T/stderr"
expect "lying name exit" 0 $?
expect "lying name reported" True "$(json "$T/ph.json" "d['name_mismatch']")"
[ -f "$O/photo.png" ] && ok "lying name: output named by content" || bad "lying name: output named by content"
contains "lying name told" "$T/stderr" "一致しません"
"$M" sanitize "$F/comment.gif" -o "$O/comment.gif" --report "$T/gif.json" >/dev/null 2>&1
expect "gif exit" 0 $?
expect "gif: comment reported" 1 "$(json "$T/gif.json" "d['removed']['gif_comment']['count']")"
expect "gif: appended bytes reported" 1 "$(json "$T/gif.json" "d['removed']['appended_data']['count']")"
lacks "gif: comment gone" "$O/comment.gif" "hidden note"
lacks "gif: appended php gone" "$O/comment.gif" "<?php"
pdftoppm -r 72 -jpeg -singlefile "$O/hostile.pdf" "$T/page" 2>/dev/null
if [ -f "$T/page.jpg" ]; then
	printf 'TRAILING<script>' >>"$T/page.jpg"
	"$M" sanitize "$T/page.jpg" -o "$O/page.jpg" --report "$T/jpg.json" >/dev/null 2>&1
	expect "jpeg exit" 0 $?
	expect "jpeg: appended bytes reported" 1 "$(json "$T/jpg.json" "d['removed']['appended_data']['count']")"
	lacks "jpeg: appended data gone" "$O/page.jpg" "<script>"
	python3 -c "import sys; d=open(sys.argv[1],'rb').read(); assert d[:2]==b'\xff\xd8' and d[-2:]==b'\xff\xd9'" "$O/page.jpg" &&
		ok "jpeg: valid markers" || bad "jpeg: valid markers"
fi
"$M" sanitize "$F/memo_sjis.txt" -o "$O/memo.txt" >/dev/null 2>&1
expect "sjis text exit" 0 $?
contains "sjis text now UTF-8" "$O/memo.txt" "庁内連絡：来週の会議は第二会議室"
"$M" sanitize "$F/list.csv" -o "$O/list.csv" >/dev/null 2>&1
expect "csv exit" 0 $?
cmp -s "$F/list.csv" "$O/list.csv" && ok "utf-8 csv passes unchanged" || bad "utf-8 csv passes unchanged"

"$M" sanitize "$F/dde.csv" -o "$O/dde.csv" --report "$T/csv.json" >/dev/null 2>&1
expect "csv dde exit" 0 $?
expect "csv dde cell defused" 1 "$(json "$T/csv.json" "d['removed']['dde_formula']['count']")"
contains "csv dde cell now text" "$O/dde.csv" "'=cmd|"
contains "csv ordinary formula untouched" "$O/dde.csv" '"=1+2",@SUM(A1)'
"$M" sanitize "$F/utf16.txt" -o "$O/utf16.txt" >/dev/null 2>&1
expect "utf-16 text exit" 0 $?
contains "utf-16 text now UTF-8" "$O/utf16.txt" "全角テキスト UTF-16"

# ---- refusals: exit 3, reason in Japanese, nothing written ----
refuse() { # refuse FILE REASON_FRAGMENT
	rm -f "$O/refused"*
	"$M" sanitize "$F/$1" -o "$O/refused" --report "$T/r.json" >/dev/null 2>"$T/stderr"
	expect "refuse $1 exit" 3 $?
	contains "refuse $1 reason" "$T/stderr" "$2"
	expect "refuse $1 verdict" refused "$(json "$T/r.json" "d['verdict']")"
	[ -z "$(ls "$O" | grep '^refused')" ] && ok "refuse $1 writes nothing" || bad "refuse $1 writes nothing"
}
refuse invoice.docx "実行ファイル"
expect "renamed executable: name lie reported" True "$(json "$T/r.json" "d['name_mismatch']")"
refuse tool.exe "実行ファイル"
refuse script.txt "スクリプト"
refuse archive.zip "ZIP アーカイブ"
refuse bomb.docx "ZIP 爆弾"
refuse xmlbomb.docx "DTD"
refuse deep.docx "入れ子が深すぎます"
refuse traversal.docx "不正な項目名"
refuse truncated.pdf "PDF が壊れて"
refuse password.pdf "パスワード"
refuse legacy.doc "OLE"
if command -v zip >/dev/null; then
	(cd "$T" && printf x >a.txt && zip -q -P secret enc.zip a.txt)
	cp "$T/enc.zip" "$F/enc.docx"
	refuse enc.docx "暗号化"
fi

# ---- usage and unreadable input: exit 2 ----
"$M" sanitize "$F/none.pdf" -o "$O/x.pdf" >/dev/null 2>"$T/stderr"
expect "unreadable exit" 2 $?
contains "unreadable names the file" "$T/stderr" "none.pdf"
"$M" sanitize "$F/clean.pdf" >/dev/null 2>&1
expect "missing -o exit" 2 $?
"$M" sanitize --bogus >/dev/null 2>&1
expect "bad option exit" 2 $?
"$M" sanitize --help | grep -q "無害化" && ok "help" || bad "help"

# ---- the profile's settings ----
cp "$ROOT/tests/data/profiles/base.yaml" "$ROOT/tests/data/profiles/source.txt" "$T/" 2>/dev/null
sed -i 's/^settings:$/settings:\n  sanitize: {max_input_mb: 1, max_seconds: 30, remove_links: true}/' "$T/base.yaml"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
"$M" sanitize "$T/big.txt" -o "$O/big.txt" --profile "$T/base.yaml" >/dev/null 2>"$T/stderr"
expect "profile max_input_mb refuses" 3 $?
contains "profile max_input_mb reason" "$T/stderr" "大きすぎます"
"$M" sanitize "$T/big.txt" -o "$O/big.txt" >/dev/null 2>&1
expect "default limit accepts 2 MB" 0 $?
"$M" sanitize "$F/macro.docm" -o "$O/p.docx" --profile "$T/base.yaml" --report "$T/pr.json" >/dev/null 2>&1
expect "profile remove_links" 1 "$(json "$T/pr.json" "d['removed'].get('hyperlink', {}).get('count', 0)")"

# ---- the batch form ----
"$M" sanitize --in "$F" --out "$O/batch" --report "$T/batch.jsonl" >"$T/batch.out" 2>&1
expect "batch exit (some refused)" 3 $?
expect "batch: one report line per file" "$(find "$F" -type f | wc -l)" "$(wc -l <"$T/batch.jsonl")"
contains "batch: refusal line" "$T/batch.out" "拒否   invoice.docx"
contains "batch: removal line" "$T/batch.out" "無害化 macro.docm  → macro.docx  除去 7 件"
contains "batch: total line" "$T/batch.out" "合計"
[ -f "$O/batch/macro.docx" ] && ok "batch: docm written as docx" || bad "batch: docm written as docx"
[ ! -e "$O/batch/invoice.docx" ] && ok "batch: refused file not written" || bad "batch: refused file not written"
mkdir -p "$T/okdir" && cp "$F/clean.pdf" "$F/clean.docx" "$T/okdir/"
"$M" sanitize --in "$T/okdir" --out "$O/okbatch" >/dev/null 2>&1
expect "batch exit (all sanitized)" 0 $?

# ---- the audit log (--db): one record per file, verdict as the action ----
"$M" init --db "$T/a.db" >/dev/null 2>&1 &&
	"$M" tenant add --db "$T/a.db" --id city --profile "$ROOT/policy/guideline.yaml" >/dev/null 2>&1
"$M" sanitize "$F/macro.docm" -o "$O/audited.docx" --db "$T/a.db" --tenant city --actor yamada >/dev/null 2>&1
expect "audit: sanitized exit" 0 $?
"$M" sanitize "$F/tool.exe" -o "$O/audited.exe" --db "$T/a.db" --tenant city --actor yamada >/dev/null 2>&1
expect "audit: refused exit" 3 $?
"$M" log search --db "$T/a.db" --tenant city --actor yamada >"$T/log" 2>&1
contains "audit: sanitize recorded" "$T/log" "file.sanitize "
contains "audit: refusal recorded" "$T/log" "file.sanitize.refused"
"$M" sanitize "$F/clean.pdf" -o "$O/x.pdf" --db "$T/a.db" >/dev/null 2>&1
expect "audit: --db without --tenant" 2 $?

# ---- public sample documents, when the shared test data has them ----
S="$ROOT/../shared/testdata/files"
[ -d "$S" ] || S="/work/shared/testdata/files"
if [ -d "$S" ]; then
	"$M" sanitize --in "$S" --out "$O/samples" --report "$T/samples.jsonl" >/dev/null 2>&1
	st=$?
	[ "$st" -eq 0 ] || [ "$st" -eq 3 ] && ok "samples batch ($st)" || bad "samples batch exit $st"
	for f in $(find "$O/samples" -type f); do
		rescan "$f" "$(echo "$f" | sed 's/.*\.//')"
		case "$f" in *.pdf) qpdf --check "$f" >/dev/null 2>&1; expect "sample qpdf --check $(basename "$f")" 0 $? ;; esac
	done
else
	echo "skip public samples: $S not present"
fi

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
