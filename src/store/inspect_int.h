/* inspect_int.h — what inspect.c, inspect_facts.c, inspect_report.c and
 * inspect_dash.c share: query helpers binding parameters from a list, JSON
 * rows from a column spec. */
#ifndef MMR_STORE_INSPECT_INT_H
#define MMR_STORE_INSPECT_INT_H

#include <stddef.h>

#include "store/inspect.h"
#include "store/store_int.h"

/* A bound parameter: 's' text (NULL binds NULL), 'i' integer, 'n' NULL. */
struct mmr_iparam {
	char t;
	const char *s;
	int64_t i;
};
#define IP_S(x) ((struct mmr_iparam){'s', (x), 0})
#define IP_I(x) ((struct mmr_iparam){'i', NULL, (int64_t)(x)})
#define IP_NULL ((struct mmr_iparam){'n', NULL, 0})
#define IPARAMS(...)                                                                               \
	(const struct mmr_iparam[]){__VA_ARGS__},                                                  \
		sizeof((const struct mmr_iparam[]){__VA_ARGS__}) / sizeof(struct mmr_iparam)

/* Prepare `sql` (static storage) and bind the parameters. */
int mmr_iq_prepare(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n,
		   mmr_stmt **out, mmr_error *err);
/* Run a statement returning nothing. */
int mmr_iq_run(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n, mmr_error *err);
/* The first column of the first row as an integer (*found false when no row). */
int mmr_iq_int(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n, int64_t *v,
	       bool *found, mmr_error *err);
/* Rows as a JSON array of objects. `spec` names the columns in order,
 * "name:T" separated by commas, T one of i (integer, null for NULL),
 * s (text or null), b (boolean), j (JSON text, parsed; null when NULL). */
int mmr_iq_rows(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n, const char *spec,
		json_t **out, mmr_error *err);

/* One fact mamori already knows: evaluates to a count of the records that
 * break the item and the first few of them as evidence. `available` false
 * when the records it needs are not kept yet. */
struct mmr_fact_result {
	bool available;
	int64_t count;
	json_t *evidence; /* [{"kind","ref","title"}…], at most MMR_FACT_EVIDENCE */
};
#define MMR_FACT_EVIDENCE 20

struct mmr_fact {
	const char *id;
	const char *label;    /* what is counted, Japanese */
	const char *question; /* the item's question when the fact gets its own item */
	/* the clause in the profile (describe JSON) the fact answers, or NULL */
	const char *(*anchor)(json_t *describe);
	int (*eval)(mmr_store *st, const char *tenant, int64_t unit, struct mmr_fact_result *r,
		    mmr_error *err);
};
extern const struct mmr_fact mmr_facts[];
extern const size_t mmr_n_facts;
const struct mmr_fact *mmr_fact_find(const char *id);

/* The chapter of a clause: its leading part (第3 1(1) → 第3, 第2条(12) →
 * 第2条, 鶴岡市基本方針 第2条(9) → 第2条, 10(2) → 10). */
void mmr_inspect_chapter(const char *clause, char *out, size_t n);

/* Rate in per mille, rounded half up; -1 when nothing counts. */
int64_t mmr_inspect_rate(int64_t yes, int64_t partial, int64_t no);

#endif
