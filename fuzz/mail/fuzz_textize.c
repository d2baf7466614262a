/*
 * fuzz_textize.c — libFuzzer target for the mail text-izer: any bytes as a
 * message (MIME structure, headers, charsets, HTML, nested messages) under
 * small limits, one textizer reused across inputs as in the milter; the
 * output and the audit record must be produced or the input refused, never
 * a crash, a leak or a hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mmr_textizer *tz;
	if (!tz) {
		mmr_mail_limits lim;
		mmr_mail_limits_default(&lim);
		lim.max_message_bytes = 1 << 20;
		lim.max_depth = 4;
		lim.max_parts = 50;
		mmr_error err;
		if (mmr_textizer_new(&lim, &tz, &err) != MMR_OK)
			abort();
	}
	const mmr_mail_result *r;
	mmr_error err;
	int rc = mmr_textize(tz, (const char *)data, size, &r, &err);
	if (rc == MMR_OK) {
		static const char ct[] = "\r\nContent-Type: text/plain; charset=UTF-8\r\n";
		if (!r->out || !memmem(r->out, r->out_len, ct, sizeof ct - 1))
			abort();
		char *rec = mmr_mail_audit_json(r);
		if (!rec)
			abort();
		free(rec);
	} else if (rc != MMR_ELIMIT && rc != MMR_EINVAL) {
		abort();
	}
	return 0;
}
