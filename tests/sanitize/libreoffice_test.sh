#!/bin/sh
# libreoffice_test.sh MAMORI SRC_ROOT — the sanitized Office documents still
# open: LibreOffice converts each of them to PDF (one invocation, a private
# profile), and qpdf --check accepts the result. Skipped (77) without
# LibreOffice.
set -u
M="$1"
ROOT="$2"
command -v libreoffice >/dev/null || { echo "skip: libreoffice not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$ROOT/tests/sanitize/make_fixtures.py" "$T/fx" || exit 1
mkdir -p "$T/in"
cp "$T/fx/macro.docm" "$T/fx/remote_template.docx" "$T/fx/dde.xlsx" "$T/fx/clean.docx" "$T/in/"
"$M" sanitize --in "$T/in" --out "$T/out" >/dev/null 2>&1 || { echo "FAIL sanitize"; exit 1; }
set -- "$T/out/macro.docx" "$T/out/remote_template.docx" "$T/out/dde.xlsx" "$T/out/clean.docx"
timeout 500 libreoffice -env:UserInstallation=file://"$T/profile" --headless --convert-to pdf \
	--outdir "$T/pdf" "$@" >"$T/lo.log" 2>&1
fails=0
for f in "$@"; do
	b=$(basename "$f" | sed 's/\.[^.]*$//')
	if [ -s "$T/pdf/$b.pdf" ] && qpdf --check "$T/pdf/$b.pdf" >/dev/null 2>&1; then
		echo "ok   LibreOffice opens $(basename "$f")"
	else
		echo "FAIL LibreOffice cannot open $(basename "$f")"; fails=$((fails + 1))
	fi
done
# The text survived: pdftotext of the converted docm shows it.
if command -v pdftotext >/dev/null; then
	pdftotext "$T/pdf/macro.pdf" "$T/macro.txt" 2>/dev/null
	if grep -q "予算書" "$T/macro.txt"; then echo "ok   text kept"; else echo "FAIL text kept"; fails=$((fails + 1)); fi
fi
[ "$fails" -eq 0 ] || sed 's/^/     | /' "$T/lo.log"
[ "$fails" -eq 0 ]
