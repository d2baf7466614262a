/* fuzz_zones_nft.c — the nftables JSON reader and the netfilter evaluation
 * on arbitrary bytes (a leading '{' is forced so the JSON reader is the one
 * that runs), against a fixed ZONES.yaml. */
#include <stdint.h>

#include "fuzz_zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	buf[0] = '{';
	if (size > 1)
		memcpy(buf + 1, data + 1, size - 1);
	fuzz_zones_run(fuzz_zones_yaml, sizeof fuzz_zones_yaml - 1, buf, size ? size : 1);
	free(buf);
	return 0;
}
