#!/bin/sh
# mail_valgrind_test.sh VALGRIND TEST_MAIL MAMORI SRC_ROOT — the text-izer
# under valgrind: test_mail (every fixture and built message in one
# process) and `mamori mail textize` on a few fixtures end to end. Fails on
# any invalid access, use of uninitialised memory or definite leak.
set -u
V="$1"
TM="$2"
M="$3"
ROOT="$4"
SUPP="$ROOT/tests/mail/valgrind.supp"
run() {
	# --trace-children: `mamori mail` runs in mamori-tools (exec'd by mamori)
	"$V" -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--trace-children=yes --suppressions="$SUPP" "$@"
}
status=0
run "$TM" "$ROOT" > /tmp/mamori-valgrind-tm.$$ 2>&1 || {
	echo "valgrind: test_mail" >&2
	grep -v '^\[' /tmp/mamori-valgrind-tm.$$ | head -80 >&2
	status=1
}
for f in "$ROOT"/tests/data/mail/iso2022jp_alternative_attachment.eml \
	"$ROOT"/tests/data/mail/html_only_sjis.eml \
	"${MAMORI_TESTDATA:-$ROOT/../shared/testdata}"/mail/mikel-mail/attachment_emails/attachment_message_rfc822.eml; do
	run "$M" mail textize < "$f" > /dev/null 2> /tmp/mamori-valgrind.$$
	if [ $? = 99 ]; then
		echo "valgrind: $f" >&2
		head -80 /tmp/mamori-valgrind.$$ >&2
		status=1
	fi
done
rm -f /tmp/mamori-valgrind.$$ /tmp/mamori-valgrind-tm.$$
exit $status
