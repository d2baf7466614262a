/* fuzz_zones_iptables.c — the iptables-save reader and the netfilter
 * evaluation on arbitrary bytes, against a fixed ZONES.yaml. Input that
 * starts with '{' would go to the JSON reader; its first byte is changed. */
#include <stdint.h>

#include "fuzz_zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')
			continue;
		if (buf[i] == '{')
			buf[i] = '#';
		break;
	}
	fuzz_zones_run(fuzz_zones_yaml, sizeof fuzz_zones_yaml - 1, buf, size);
	free(buf);
	return 0;
}
