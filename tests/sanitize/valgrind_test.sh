#!/bin/sh
# valgrind_test.sh MAMORI SRC_ROOT — the whole corpus of make_fixtures.py
# (hostile and ordinary, the zip bomb left out for time) through the batch
# form, and --flatten, under valgrind memcheck: no invalid access, no
# uninitialised use, no definite leak. Skipped (77) when valgrind is missing
# or the binary is built with AddressSanitizer (the two do not mix).
set -u
M="$1"
ROOT="$2"
command -v valgrind >/dev/null || { echo "skip: no valgrind"; exit 77; }
if nm -D "$M" 2>/dev/null | grep -q __asan_init || ldd "$M" 2>/dev/null | grep -q libasan; then
	echo "skip: $M is built with AddressSanitizer"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$ROOT/tests/sanitize/make_fixtures.py" "$T/fx" || exit 1
rm -f "$T/fx/bomb.docx"
# --trace-children: `mamori sanitize` runs in mamori-tools (exec'd by mamori)
V="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --trace-children=yes --suppressions=$ROOT/tests/sanitize/valgrind.supp"
fails=0
$V "$M" sanitize --in "$T/fx" --out "$T/out" >/dev/null 2>"$T/err"
st=$?
if [ "$st" -eq 3 ]; then echo "ok   corpus under valgrind"; else
	echo "FAIL corpus under valgrind (exit $st)"; cat "$T/err"; fails=$((fails + 1)); fi
$V "$M" sanitize "$T/fx/hostile.pdf" -o "$T/flat.pdf" --flatten >/dev/null 2>"$T/err"
st=$?
if [ "$st" -eq 0 ]; then echo "ok   --flatten under valgrind"; else
	echo "FAIL --flatten under valgrind (exit $st)"; cat "$T/err"; fails=$((fails + 1)); fi
[ "$fails" -eq 0 ]
