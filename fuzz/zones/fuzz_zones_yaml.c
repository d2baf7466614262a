/* fuzz_zones_yaml.c — the ZONES.yaml reader (and the check behind it) on
 * arbitrary bytes, against a fixed ruleset. */
#include <stdint.h>

#include "fuzz_zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_zones_run((const char *)data, size, fuzz_zones_rules, sizeof fuzz_zones_rules - 1);
	return 0;
}
