/* fuzz_sanitize_any.c — the public entry point (libmagic type detection,
 * then whichever sanitizer) on arbitrary bytes under an arbitrary name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mmr_sanitizer *s;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mmr_error err = {0};
	if (!s && mmr_sanitizer_new(&(mmr_sanitize_opts){.max_seconds = 10}, &s, &err))
		return 0;
	mmr_sanitize_result *r = NULL;
	if (mmr_sanitize_buffer(s, "input.docx", data, size, &r, &err) == MMR_OK) {
		char *j = mmr_sanitize_result_json(r, "input.docx", "output");
		free(j);
		mmr_sanitize_result_free(r);
	}
	return 0;
}
