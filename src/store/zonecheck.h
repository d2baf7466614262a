/*
 * zonecheck.h — the three-layer check (src/zones) for a tenant, from the web
 * and the API, with each result kept as evidence for the self-inspection
 * item on the three-layer model (issue 9).
 */
#ifndef MMR_STORE_ZONECHECK_H
#define MMR_STORE_ZONECHECK_H

#include <jansson.h>
#include <stddef.h>

#include "store/store.h"

/* Run the check under the tenant's profile (administrators and the system
 * role), store the result and its SVG picture, and record it in the audit
 * log. *out = {"id","clean","violations","created_at","result":{…}}.
 * Bad input: MMR_EINVAL naming the file and line or JSON path. */
int mmr_zonecheck_run(mmr_store *st, const mmr_actor *who, const char *zones_name,
		      const char *zones_yaml, size_t zones_len, const char *rules_name,
		      const char *rules, size_t rules_len, json_t **out, mmr_error *err);
/* {"items":[{"id","clean","violations","zones_name","rules_name","created_at"}…]} */
int mmr_zonecheck_list(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err);
/* One kept check with its result. */
int mmr_zonecheck_get(mmr_store *st, const mmr_actor *who, int64_t id, json_t **out,
		      mmr_error *err);
/* Its SVG picture (malloc'd). */
int mmr_zonecheck_svg(mmr_store *st, const mmr_actor *who, int64_t id, char **svg, mmr_error *err);

#endif
