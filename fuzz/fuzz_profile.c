/*
 * fuzz_profile.c — libFuzzer target for the profile loader and compiler:
 * any bytes either load into a policy that describes itself, or are refused
 * with a file:line:column message; never a crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mamori.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mmr_policy *pol;
	mmr_error err;
	err.message[0] = '\0';
	if (mmr_policy_load_buffer("fuzz.yaml", (const char *)data, size, NULL, &pol, &err) ==
	    MMR_OK) {
		free(mmr_policy_describe_json(pol, NULL, NULL, &err));
		mmr_policy_free(pol);
	} else if (strncmp(err.message, "fuzz.yaml", 9) && err.code != MMR_ENOMEM &&
		   err.code != MMR_ELIMIT) {
		abort(); /* a refusal names the place */
	}
	return 0;
}
