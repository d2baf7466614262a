/*
 * fuzz_incident.c — the incident desk's readers of outside input: the first
 * byte picks one, the rest is the input.
 *   0: an ISO 8601 time (mmr_iso_to_ms); whatever parses must print and
 *      parse back to the same instant
 *   1: an e-mail address (mmr_email_valid); an accepted one has no byte that
 *      could break an SMTP command or a header
 *   2: a report (JSON) through mmr_incident_report into an in-memory store
 *   3: a triage (JSON) of a freshly reported case
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/incident.h"
#include "store/notify.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mmr_store *st;
static mmr_actor sys;

static void init(void)
{
	mmr_error err;
	if (mmr_store_open(":memory:", NULL, &st, &err) ||
	    mmr_tenant_add(st, "t", "fuzz", MAMORI_POLICY_DIR "/toyohashi.yaml", &err)) {
		fprintf(stderr, "fuzz_incident: %s\n", err.message);
		abort();
	}
	mmr_actor_system(&sys, "t");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (!st)
		init();
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	mmr_error err;
	switch (data[0] % 4) {
	case 0: {
		int64_t ms = mmr_iso_to_ms(s);
		if (ms >= 0) {
			char back[32];
			mmr_ms_to_iso(ms, back);
			if (mmr_iso_to_ms(back) != ms)
				abort();
		}
		break;
	}
	case 1:
		if (mmr_email_valid(s) && strpbrk(s, "\r\n <>\"\\,;:"))
			abort();
		break;
	case 2:
	case 3: {
		json_t *in = json_loadb((const char *)data + 1, size - 1, 0, NULL), *out = NULL;
		if (!in)
			break;
		if (data[0] % 4 == 2) {
			if (!mmr_incident_report(st, &sys, in, 1775001600000LL, &out, &err) &&
			    !json_integer_value(json_object_get(out, "id")))
				abort();
		} else {
			json_t *r = json_pack("{s:s, s:s}", "title", "x", "description", "y"), *c;
			if (!mmr_incident_report(st, &sys, r, 1775001600000LL, &c, &err)) {
				int64_t id = json_integer_value(json_object_get(c, "id"));
				mmr_incident_triage(st, &sys, id, in, 1775001600000LL, &out, &err);
				json_decref(c);
			}
			json_decref(r);
		}
		json_decref(out);
		json_decref(in);
		break;
	}
	}
	free(s);
	return 0;
}
