#!/bin/sh
# mail_valgrind_test.sh VALGRIND MAMORI SRC_ROOT — `mamori mail textize` on
# every fixture under valgrind: no invalid access, no definite leak.
set -u
V="$1"
M="$2"
ROOT="$3"
status=0
for f in "$ROOT"/tests/data/mail/*.eml "$ROOT"/../shared/testdata/mail/mikel-mail/*/*.eml; do
	"$V" -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$M" mail textize < "$f" > /dev/null 2> /tmp/mamori-valgrind.$$
	rc=$?
	if [ $rc = 99 ]; then
		echo "valgrind: $f" >&2
		cat /tmp/mamori-valgrind.$$ >&2
		status=1
	fi
done
rm -f /tmp/mamori-valgrind.$$
exit $status
