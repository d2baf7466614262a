/* fuzz_sanitize_pdf.c — the pdf sanitizer on arbitrary bytes. Whatever it
 * rebuilds must sanitize again with nothing left to remove. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sanitize/sanitize_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mmr_sanitize_opts o = {.max_seconds = 10};
	san_ctx c;
	if (san_ctx_init(&c, &o))
		return 0;
	if (san_pdf(&c, data, size) == MMR_OK) {
		san_ctx c2;
		if (san_ctx_init(&c2, &o) == MMR_OK) {
			int rc = san_pdf(&c2, c.res->out, c.res->out_len);
			assert(rc == MMR_OK);
			assert(json_object_size(c2.res->removed) == 0);
			(void)rc;
			san_ctx_done(&c2);
		}
	}
	san_ctx_done(&c);
	return 0;
}
