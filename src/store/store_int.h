/* store_int.h — what the store's files share. */
#ifndef MMR_STORE_INT_H
#define MMR_STORE_INT_H

#include <limits.h>

#include "store/store.h"

#define MMR_STORE_MAX_TENANTS 256

struct mmr_tenant_entry {
	char id[65];
	mmr_policy *pol;
};

struct mmr_store {
	mmr_db *db;
	char policy_dir[PATH_MAX];
	struct mmr_tenant_entry tenants[MMR_STORE_MAX_TENANTS];
	size_t n_tenants;
};

/* err = "[field] message" */
void mmr_field_error(mmr_error *err, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
