/*
 * fuzz_csv.c — mmr_csv_parse on arbitrary bytes (UTF-8, CP932, neither),
 * with small limits so that the limit paths are reached. Every field handed
 * to the callback must be valid UTF-8; a parse that succeeds must also
 * survive being written back by the CSV writer and read again with the same
 * number of records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csv.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t records;
	FILE *out; /* the records written back, or NULL */
};

static int on_row(void *ud, size_t row, size_t n, const char *const *f, mmr_error *err)
{
	(void)err;
	struct seen *s = ud;
	if (row == 0 || n == 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(f[i]);
		if (mmr_utf8_valid_prefix(f[i], l) != l)
			abort();
	}
	s->records++;
	if (s->out && mmr_csv_write_bom(s->out, n, f) != MMR_OK)
		abort();
	return MMR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mmr_csv_limits lim = {1 << 16, 200, 32, 512};
	mmr_error err = {0};
	char *back = NULL;
	size_t backlen = 0;
	struct seen s = {0, open_memstream(&back, &backlen)};
	if (!s.out)
		return 0;
	if (mmr_csv_bom(s.out) != MMR_OK) /* as an export does */
		abort();
	int rc = mmr_csv_parse((const char *)data, size, &lim, on_row, &s, &err);
	fclose(s.out);
	if (rc == MMR_OK) {
		/* written back: same record count (formula prefixes only add bytes) */
		struct mmr_csv_limits big = {1 << 20, 200, 32, 1024};
		struct seen again = {0, NULL};
		if (mmr_csv_parse(back, backlen, &big, on_row, &again, &err) != MMR_OK ||
		    again.records != s.records)
			abort();
	} else if (err.message[0] == '\0' || err.code != rc) {
		abort();
	}
	free(back);
	return 0;
}
