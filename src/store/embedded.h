/* embedded.h — files compiled into the binary (scripts/embed.py): SQL
 * migrations, page templates, static files. */
#ifndef MMR_STORE_EMBEDDED_H
#define MMR_STORE_EMBEDDED_H

#include <stddef.h>

struct mmr_embedded_file {
	const char *name; /* e.g. "migrations/sqlite/0001_ledgers.sql" */
	const char *data; /* NUL-terminated */
	size_t size;
};

/* Ended by an entry whose name is NULL; sorted by name. */
extern const struct mmr_embedded_file mmr_embedded[];

/* The file called `name`, or NULL. */
const struct mmr_embedded_file *mmr_embedded_find(const char *name);

#endif
