/*
 * audit.c — the tamper-evident audit log in the store (see audit.h).
 *
 * Layout (migrations/…/0002_audit.sql, 0008_audit_narrow.sql): leaf i of a
 * tenant is the row (tenant, idx = i) of audit_leaves with its columns (the
 * canonical data is rebuilt from them: leaf_data), leaf hash and `nodes`: the
 * hex hashes of the complete nodes of levels 1 … UPPER_LEVEL − 1 leaf i
 * finishes (node (L, j) covers leaves [j·2^L, (j+1)·2^L) and is finished by
 * leaf (j+1)·2^L − 1). Nodes of level ≥ UPPER_LEVEL are rows of audit_upper
 * keyed (tenant, band, anc, level, j): bands of UPPER_BAND levels, under the
 * ancestor just above the band, so that the siblings a proof needs in one
 * band are one range; idx (the leaf that finishes the node) orders them for
 * verify. Pruned leaves keep (hash, nodes) in audit_pruned; their upper nodes
 * stay in audit_upper.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit.h"
#include "store/audit_group.h"
#include "store/canon.h"
#include "store/db_int.h"
#include "util/buf.h"
#include "store/store_int.h"

/* ---- canonical leaf data -------------------------------------------------------- */

/* Whether s[0 … n) holds a byte JSON needs escaped (", \\ or a control
 * byte): eight bytes at a time (SWAR), as most strings here hold none. */
static bool needs_escape(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
		/* a zero byte in q or bs, or a byte < 0x20 in w (high bit clear) */
		uint64_t hit = ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((w - ones * 0x20) & ~w);
		if (hit & highs)
			return true;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\')
			return true;
	}
	return false;
}

/* a JSON string (or null) */
static void sb_jstr(struct mmr_buf *b, const char *s)
{
	if (!s) {
		mmr_buf_put(b, "null", 4);
		return;
	}
	size_t n = strlen(s);
	if (!needs_escape(s, n)) {
		mmr_buf_grow(b, n + 2);
		if (b->oom)
			return;
		char *o = b->p + b->len;
		o[0] = '"';
		memcpy(o + 1, s, n);
		o[n + 1] = '"';
		b->len += n + 2;
		b->p[b->len] = 0;
		return;
	}
	mmr_buf_put(b, "\"", 1);
	const char *run = s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		mmr_buf_put(b, run, (size_t)((const char *)p - run));
		char esc[8];
		switch (*p) {
		case '"': mmr_buf_put(b, "\\\"", 2); break;
		case '\\': mmr_buf_put(b, "\\\\", 2); break;
		case '\n': mmr_buf_put(b, "\\n", 2); break;
		case '\t': mmr_buf_put(b, "\\t", 2); break;
		case '\r': mmr_buf_put(b, "\\r", 2); break;
		default: snprintf(esc, sizeof esc, "\\u%04x", *p); mmr_buf_put(b, esc, 6);
		}
		run = (const char *)p + 1;
	}
	mmr_buf_str(b, run);
	mmr_buf_put(b, "\"", 1);
}

/* Append the canonical data to *bp: fixed key order, decision embedded as
 * stored (compact, sorted keys). Built from the columns, so verify can
 * rebuild it. */
static void leaf_data_slow(struct mmr_buf *bp, const char *tenant, int64_t index, const char *at,
			   const char *actor, const char *action, const char *okind,
			   const char *oid, const char *before, const char *after,
			   const char *decision);

/* The same as leaf_data_slow, in one growth of the buffer and one copy a
 * piece when no string needs escaping (verify builds every leaf). */
static void leaf_data_into(struct mmr_buf *bp, const char *tenant, int64_t index, const char *at,
			   const char *actor, const char *action, const char *okind,
			   const char *oid, const char *before, const char *after,
			   const char *decision)
{
	/* the JSON strings in order, each preceded by its key */
	static const char *const key[] = {
		",\"at\":",	   ",\"actor\":",  ",\"action\":", ",\"object_kind\":",
		",\"object_id\":", ",\"before\":", ",\"after\":"};
	static const size_t key_len[] = {6, 9, 10, 15, 13, 10, 9};
	const char *str[] = {at, actor, action, okind, oid, before, after};
	size_t len[7], tlen = strlen(tenant), dlen = decision ? strlen(decision) : 4;
	size_t total = 20 + tlen + 2 + 9 + 21 + 13 + dlen + 1;
	if (needs_escape(tenant, tlen))
		goto slow;
	for (int i = 0; i < 7; i++) {
		len[i] = str[i] ? strlen(str[i]) : 0;
		if (str[i] && needs_escape(str[i], len[i]))
			goto slow;
		total += key_len[i] + (str[i] ? len[i] + 2 : 4);
	}
	mmr_buf_grow(bp, total);
	if (bp->oom)
		return;
	char *o = bp->p + bp->len;
	memcpy(o, "{\"v\":1,\"tenant\":\"", 17);
	o += 17;
	memcpy(o, tenant, tlen);
	o += tlen;
	memcpy(o, "\",\"index\":", 10);
	o += 10;
	char dig[24];
	size_t nd = 0;
	uint64_t u = index < 0 ? (uint64_t)0 - (uint64_t)index : (uint64_t)index;
	do {
		dig[nd++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (index < 0)
		*o++ = '-';
	while (nd)
		*o++ = dig[--nd];
	for (int i = 0; i < 7; i++) {
		memcpy(o, key[i], key_len[i]);
		o += key_len[i];
		if (!str[i]) {
			memcpy(o, "null", 4);
			o += 4;
			continue;
		}
		*o++ = '"';
		memcpy(o, str[i], len[i]);
		o += len[i];
		*o++ = '"';
	}
	memcpy(o, ",\"decision\":", 12);
	o += 12;
	memcpy(o, decision ? decision : "null", dlen);
	o += dlen;
	*o++ = '}';
	*o = 0;
	bp->len = (size_t)(o - bp->p);
	return;
slow:
	leaf_data_slow(bp, tenant, index, at, actor, action, okind, oid, before, after, decision);
}

static void leaf_data_slow(struct mmr_buf *bp, const char *tenant, int64_t index, const char *at,
			   const char *actor, const char *action, const char *okind,
			   const char *oid, const char *before, const char *after,
			   const char *decision)
{
	struct mmr_buf b = *bp; /* appended to */
	char num[48], dig[24];
	mmr_buf_str(&b, "{\"v\":1,\"tenant\":");
	sb_jstr(&b, tenant);
	/* ,"index":N,"at": — the number by hand (snprintf shows in verify) */
	size_t nd = 0;
	uint64_t u = index < 0 ? (uint64_t)0 - (uint64_t)index : (uint64_t)index;
	do {
		dig[nd++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	size_t nl = 0;
	memcpy(num, ",\"index\":", 9);
	nl = 9;
	if (index < 0)
		num[nl++] = '-';
	while (nd)
		num[nl++] = dig[--nd];
	memcpy(num + nl, ",\"at\":", 6);
	nl += 6;
	mmr_buf_put(&b, num, nl);
	sb_jstr(&b, at);
	mmr_buf_str(&b, ",\"actor\":");
	sb_jstr(&b, actor);
	mmr_buf_str(&b, ",\"action\":");
	sb_jstr(&b, action);
	mmr_buf_str(&b, ",\"object_kind\":");
	sb_jstr(&b, okind);
	mmr_buf_str(&b, ",\"object_id\":");
	sb_jstr(&b, oid);
	mmr_buf_str(&b, ",\"before\":");
	sb_jstr(&b, before);
	mmr_buf_str(&b, ",\"after\":");
	sb_jstr(&b, after);
	mmr_buf_str(&b, ",\"decision\":");
	mmr_buf_str(&b, decision ? decision : "null");
	mmr_buf_str(&b, "}");
	*bp = b;
}

static char *leaf_data(const char *tenant, int64_t index, const char *at, const char *actor,
		       const char *action, const char *okind, const char *oid, const char *before,
		       const char *after, const char *decision)
{
	struct mmr_buf b = {0};
	leaf_data_into(&b, tenant, index, at, actor, action, okind, oid, before, after, decision);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static char *decision_text(const json_t *d)
{
	if (!d || json_is_null(d))
		return NULL;
	return json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

char *mmr_audit_leaf_data(const struct mmr_audit_event *ev, int64_t index, const char *at)
{
	char *d = decision_text(ev->decision);
	char *out = leaf_data(ev->tenant, index, at, ev->actor, ev->action, ev->object_kind,
			      ev->object_id, ev->before, ev->after, d);
	free(d);
	return out;
}

void mmr_audit_digest(const json_t *obj, char out[65])
{
	/* the canonical text (store/canon.h: compact, keys sorted, secrets
	 * left out), SHA-256 in hex */
	struct mmr_canon c = {0};
	mmr_canon_digest(&c, obj, out);
	mmr_canon_free(&c);
}

void mmr_audit_origin(const char *tenant, char *out, size_t n)
{
	snprintf(out, n, "mamori/%s", tenant);
}

/* ---- node access ------------------------------------------------------------------- */

struct nodesrc {
	mmr_store *st;
	const char *tenant;
};

/* Nodes of this level and above live in audit_upper (one leaf in 16 finishes
 * one), so that a proof's upper siblings come from a small table. */
#define UPPER_LEVEL 5
#define UPPER_BAND 4

static unsigned upper_band(unsigned level)
{
	return (level - UPPER_LEVEL) / UPPER_BAND;
}

/* the node's ancestor at the level just above its band */
static uint64_t upper_anc(unsigned level, uint64_t j)
{
	unsigned above = UPPER_LEVEL + UPPER_BAND * (upper_band(level) + 1);
	return j >> (above - level);
}

static const char q_upper[] = "SELECT hash FROM audit_upper WHERE tenant = $1 AND band = $2 "
			      "AND anc = $3 AND level = $4 AND j = $5";

static int upper_node(struct nodesrc *ns, unsigned level, uint64_t row, mmr_hash out,
		      mmr_error *err)
{
	mmr_stmt *s;
	int rc = mmr_db_prepare(ns->st->db, q_upper, &s, err);
	if (rc)
		return rc;
	uint64_t j = ((row + 1) >> level) - 1;
	mmr_stmt_text(s, 1, ns->tenant);
	mmr_stmt_int(s, 2, (int64_t)upper_band(level));
	mmr_stmt_int(s, 3, (int64_t)upper_anc(level, j));
	mmr_stmt_int(s, 4, (int64_t)level);
	mmr_stmt_int(s, 5, (int64_t)j);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW) {
		rc = mmr_hash_from_hex(mmr_col_text(s, 0), out) ? MMR_EIO : MMR_OK;
		if (rc)
			mmr_error_set(err, MMR_EIO,
				      "監査ログ %s の節点 (行 %" PRIu64 ", 高さ %u) が壊れています",
				      ns->tenant, row, level);
	} else if (rc == MMR_DB_DONE) {
		rc = MMR_ENOTFOUND;
		mmr_error_set(err, rc, "監査ログ %s に節点 (行 %" PRIu64 ", 高さ %u) がありません",
			      ns->tenant, row, level);
	}
	mmr_stmt_reset(s);
	return rc;
}

static const char q_row[] = "SELECT hash, nodes FROM audit_leaves WHERE tenant = $1 AND idx = $2";
static const char q_row_pruned[] =
	"SELECT hash, nodes FROM audit_pruned WHERE tenant = $1 AND idx = $2";

static int db_node(void *ud, unsigned level, uint64_t index, mmr_hash out, mmr_error *err)
{
	struct nodesrc *ns = ud;
	uint64_t row = level ? ((index + 1) << level) - 1 : index;
	if (level >= UPPER_LEVEL)
		return upper_node(ns, level, row, out, err);
	mmr_stmt *s;
	int rc = mmr_db_prepare(ns->st->db, q_row, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, ns->tenant);
	mmr_stmt_int(s, 2, (int64_t)row);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_DONE) { /* a pruned leaf keeps its hashes */
		mmr_stmt_reset(s);
		if ((rc = mmr_db_prepare(ns->st->db, q_row_pruned, &s, err)))
			return rc;
		mmr_stmt_text(s, 1, ns->tenant);
		mmr_stmt_int(s, 2, (int64_t)row);
		rc = mmr_stmt_step(s, err);
	}
	if (rc == MMR_DB_ROW) {
		const char *hex;
		char buf[65];
		if (level == 0) {
			hex = mmr_col_text(s, 0);
		} else {
			const char *nodes = mmr_col_text(s, 1);
			size_t off = (size_t)(level - 1) * 64;
			if (!nodes || strlen(nodes) < off + 64) {
				mmr_stmt_reset(s);
				mmr_error_set(err, MMR_EIO,
					      "監査ログ %s の行 %" PRIu64
					      " に節点 (高さ %u) がありません",
					      ns->tenant, row, level);
				return MMR_EIO;
			}
			memcpy(buf, nodes + off, 64);
			buf[64] = 0;
			hex = buf;
		}
		rc = mmr_hash_from_hex(hex, out) ? MMR_EIO : MMR_OK;
		if (rc)
			mmr_error_set(err, MMR_EIO,
				      "監査ログ %s の行 %" PRIu64 " のハッシュが壊れています",
				      ns->tenant, row);
	} else if (rc == MMR_DB_DONE) {
		rc = MMR_ENOTFOUND;
		mmr_error_set(err, rc, "監査ログ %s に行 %" PRIu64 " がありません", ns->tenant,
			      row);
	}
	mmr_stmt_reset(s);
	return rc;
}

/* The last leaf: the newest row, or (everything pruned) the newest kept hash. */
static const char q_last[] = "SELECT idx, hash, nodes FROM audit_leaves WHERE tenant = $1 "
			     "ORDER BY idx DESC LIMIT 1";
static const char q_last_pruned[] = "SELECT idx, hash, nodes FROM audit_pruned WHERE tenant = $1 "
				    "ORDER BY idx DESC LIMIT 1";

/* Step to the last leaf's row (MMR_DB_ROW with *out positioned) or MMR_DB_DONE. */
static int last_leaf(mmr_db *db, const char *tenant, mmr_stmt **out, mmr_error *err)
{
	mmr_stmt *s;
	int rc = mmr_db_prepare(db, q_last, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_DONE) {
		mmr_stmt_reset(s);
		if ((rc = mmr_db_prepare(db, q_last_pruned, &s, err)))
			return rc;
		mmr_stmt_text(s, 1, tenant);
		rc = mmr_stmt_step(s, err);
	}
	*out = s;
	return rc;
}

int mmr_audit_size(mmr_store *st, const char *tenant, int64_t *size, mmr_error *err)
{
	mmr_stmt *s = NULL;
	int rc = last_leaf(st->db, tenant, &s, err);
	*size = 0;
	if (rc == MMR_DB_ROW) {
		*size = mmr_col_int(s, 0) + 1;
		rc = MMR_OK;
	} else if (rc == MMR_DB_DONE) {
		rc = MMR_OK;
	}
	if (s)
		mmr_stmt_reset(s);
	return rc;
}

int mmr_audit_root(mmr_store *st, const char *tenant, int64_t size, mmr_hash root, mmr_error *err)
{
	struct nodesrc ns = {st, tenant};
	return mmr_log_root(db_node, &ns, (uint64_t)size, root, err);
}

/* ---- append ------------------------------------------------------------------------ */

struct newnodes {
	char hex[64 * (UPPER_LEVEL - 1) + 1]; /* levels 1 … UPPER_LEVEL − 1 */
	size_t len;
	unsigned n_upper;
	unsigned upper_level[64];
	mmr_hash upper[64];
};

static void collect_node(void *ud, unsigned level, uint64_t index, const mmr_hash h)
{
	(void)index;
	struct newnodes *nn = ud;
	if (level >= UPPER_LEVEL) {
		nn->upper_level[nn->n_upper] = level;
		memcpy(nn->upper[nn->n_upper++], h, MMR_HASH_LEN);
		return;
	}
	mmr_hash_hex(h, nn->hex + nn->len);
	nn->len += 64;
	nn->hex[nn->len] = 0;
}

static int64_t tenant_lock_key(const char *tenant)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)tenant; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (int64_t)(h & 0x7fffffffffffffffULL);
}

/* The right edge of each log this store appended to last, so that an append
 * reads one row (the last leaf, to check that the edge is still the log's)
 * instead of the O(log n) nodes it merges with. An edge is trusted when the
 * log's last row is the leaf it ends with (same index, same hash): a
 * rollback, or an append through another connection, makes it stale and it
 * is loaded again from the stored nodes. Within the write transaction that
 * set it (same db epoch: no rollback since), it is trusted without reading
 * the row: no other connection can append meanwhile (SQLite holds the write
 * lock, PostgreSQL the tenant's advisory lock) — so a group commit's appends
 * after the first in a transaction read nothing. */
#define EDGE_SLOTS 8
struct edge {
	char tenant[65];
	bool valid;
	uint64_t epoch; /* the db epoch of the transaction that last appended */
	mmr_hash last;	/* hash of leaf f.size - 1 */
	struct mmr_log_frontier f;
};
struct mmr_audit_cache {
	struct edge e[EDGE_SLOTS];
	unsigned next;
};

static struct edge *edge_slot(mmr_store *st, const char *tenant)
{
	if (!st->audit && !(st->audit = calloc(1, sizeof *st->audit)))
		return NULL;
	struct mmr_audit_cache *c = st->audit;
	for (unsigned i = 0; i < EDGE_SLOTS; i++)
		if (c->e[i].valid && !strcmp(c->e[i].tenant, tenant))
			return &c->e[i];
	struct edge *e = &c->e[c->next++ % EDGE_SLOTS];
	e->valid = false;
	snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
	return e;
}

/* Load the right edge of the first n leaves (last leaf hash `prev`) from the
 * stored nodes: one subtree root per set bit of n, largest first. */
static int edge_load(mmr_store *st, const char *tenant, uint64_t n, const mmr_hash prev,
		     struct mmr_log_frontier *f, mmr_error *err)
{
	struct nodesrc ns = {st, tenant};
	f->size = n;
	f->n = 0;
	uint64_t begin = 0;
	for (int level = 63; level >= 0; level--) {
		uint64_t span = (uint64_t)1 << level;
		if (!(n & span))
			continue;
		mmr_hash *slot = &f->h[f->n++];
		if (level == 0) {
			memcpy(*slot, prev, MMR_HASH_LEN);
		} else {
			int rc = db_node(&ns, (unsigned)level, begin >> level, *slot, err);
			if (rc)
				return rc;
		}
		begin += span;
	}
	return MMR_OK;
}

/* Take the tenant's append lock (PostgreSQL: an advisory lock held until the
 * transaction ends; SQLite: the write lock the transaction holds already) and
 * find the log's right edge: *f (the frontier of its n leaves, f->size = n)
 * and *ep, the edge cache slot to update after the append (may be NULL when
 * out of memory). */
static int edge_open(mmr_store *st, const char *tenant, struct edge **ep,
		     struct mmr_log_frontier *f, mmr_error *err)
{
	mmr_db *db = st->db;
	int rc;
	mmr_stmt *s;
	if (mmr_db_kind(db) == MMR_DB_POSTGRES) {
		/* appends of one tenant are serialised until the transaction ends */
		static const char q_lock[] = "SELECT pg_advisory_xact_lock($1)";
		if ((rc = mmr_db_prepare(db, q_lock, &s, err)))
			return rc;
		mmr_stmt_int(s, 1, tenant_lock_key(tenant));
		if ((rc = mmr_stmt_run(s, err)))
			return rc;
	}
	struct edge *e = edge_slot(st, tenant);
	*ep = e;
	bool trusted = e && e->valid && e->epoch == db->epoch;
	/* the last leaf: the log's size and the hash its right edge ends with */
	s = NULL;
	rc = trusted ? MMR_DB_DONE : last_leaf(db, tenant, &s, err);
	uint64_t n = trusted ? e->f.size : 0;
	mmr_hash prev = {0};
	if (trusted)
		memcpy(prev, e->last, MMR_HASH_LEN);
	if (rc == MMR_DB_ROW) {
		n = (uint64_t)mmr_col_int(s, 0) + 1;
		if (mmr_hash_from_hex(mmr_col_text(s, 1), prev)) {
			mmr_stmt_reset(s);
			mmr_error_set(err, MMR_EIO,
				      "監査ログ %s の最後の行のハッシュが壊れています", tenant);
			return MMR_EIO;
		}
		rc = MMR_OK;
	} else if (rc == MMR_DB_DONE) {
		rc = MMR_OK;
	}
	if (s)
		mmr_stmt_reset(s);
	if (rc)
		return rc;
	if (e && e->valid && e->f.size == n && !memcmp(e->last, prev, MMR_HASH_LEN)) {
		*f = e->f;
		return MMR_OK;
	}
	if (e)
		e->valid = false;
	return edge_load(st, tenant, n, prev, f, err);
}

/* After appends that ended with leaf hash `last` (rc: their outcome): the
 * edge is the log's in this transaction, or (failed) not trusted at all. */
static void edge_close(mmr_store *st, struct edge *e, const struct mmr_log_frontier *f,
		       const mmr_hash last, int rc)
{
	if (!e)
		return;
	if (rc) {
		e->valid = false;
		return;
	}
	e->f = *f;
	memcpy(e->last, last, MMR_HASH_LEN);
	e->valid = true;
	e->epoch = st->db->epoch;
}

/* One leaf made ready to insert: its `at`, decision text (owned), hash and
 * the nodes it completes. */
struct newleaf {
	char at[32];
	char *dec;
	char lhx[65];
	mmr_hash lh;
	struct newnodes nn;
};

/* Make leaf n = f->size from `ev` and push it onto *f. `now` is the time
 * used when ev->at is NULL; `buf` a scratch buffer for the leaf data. */
static int leaf_make(const struct mmr_audit_event *ev, const char *now, struct mmr_buf *buf,
		     struct mmr_log_frontier *f, struct newleaf *l, mmr_error *err)
{
	snprintf(l->at, sizeof l->at, "%s", ev->at ? ev->at : now);
	l->dec = decision_text(ev->decision);
	buf->len = 0;
	leaf_data_into(buf, ev->tenant, (int64_t)f->size, l->at, ev->actor, ev->action,
		       ev->object_kind, ev->object_id, ev->before, ev->after, l->dec);
	if (buf->oom || (ev->decision && !json_is_null(ev->decision) && !l->dec)) {
		free(l->dec);
		l->dec = NULL;
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	mmr_log_leaf_hash(buf->p, buf->len, l->lh);
	l->nn.len = 0;
	l->nn.n_upper = 0;
	l->nn.hex[0] = 0;
	mmr_log_frontier_push(f, l->lh, collect_node, &l->nn);
	mmr_hash_hex(l->lh, l->lhx);
	return MMR_OK;
}

static const char q_ins_leaf[] =
	"INSERT INTO audit_leaves (tenant, idx, at, actor, action, object_kind, object_id, "
	"before_digest, after_digest, decision, hash, nodes) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
static const char q_ins_upper[] =
	"INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7)";

/* Insert leaf `n` (made by leaf_make) and its upper nodes, one row a
 * statement. */
static int leaf_insert(mmr_db *db, const struct mmr_audit_event *ev, uint64_t n,
		       const struct newleaf *l, mmr_error *err)
{
	mmr_stmt *s;
	int rc = mmr_db_prepare(db, q_ins_leaf, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, ev->tenant);
	mmr_stmt_int(s, 2, (int64_t)n);
	mmr_stmt_text(s, 3, l->at);
	mmr_stmt_text(s, 4, ev->actor);
	mmr_stmt_text(s, 5, ev->action);
	mmr_stmt_text(s, 6, ev->object_kind);
	mmr_stmt_text(s, 7, ev->object_id);
	mmr_stmt_text(s, 8, ev->before);
	mmr_stmt_text(s, 9, ev->after);
	mmr_stmt_text(s, 10, l->dec);
	mmr_stmt_text(s, 11, l->lhx);
	mmr_stmt_text(s, 12, l->nn.hex);
	rc = mmr_stmt_run(s, err);
	for (unsigned i = 0; !rc && i < l->nn.n_upper; i++) {
		char hx[65];
		mmr_hash_hex(l->nn.upper[i], hx);
		unsigned level = l->nn.upper_level[i];
		uint64_t j = ((n + 1) >> level) - 1;
		if (!(rc = mmr_db_prepare(db, q_ins_upper, &s, err))) {
			mmr_stmt_text(s, 1, ev->tenant);
			mmr_stmt_int(s, 2, (int64_t)upper_band(level));
			mmr_stmt_int(s, 3, (int64_t)upper_anc(level, j));
			mmr_stmt_int(s, 4, (int64_t)level);
			mmr_stmt_int(s, 5, (int64_t)j);
			mmr_stmt_int(s, 6, (int64_t)n);
			mmr_stmt_text(s, 7, hx);
			rc = mmr_stmt_run(s, err);
		}
	}
	return rc;
}

static int append_locked(mmr_store *st, const struct mmr_audit_event *ev, int64_t *index_out,
			 mmr_error *err)
{
	struct edge *e;
	struct mmr_log_frontier f;
	int rc = edge_open(st, ev->tenant, &e, &f, err);
	if (rc)
		return rc;
	char now[32] = "";
	if (!ev->at)
		mmr_now_iso(now);
	struct mmr_buf buf = {0};
	struct newleaf l;
	uint64_t n = f.size;
	rc = leaf_make(ev, now, &buf, &f, &l, err);
	free(buf.p);
	if (!rc)
		rc = leaf_insert(st->db, ev, n, &l, err);
	free(l.dec);
	edge_close(st, e, &f, l.lh, rc);
	if (!rc && index_out)
		*index_out = (int64_t)n;
	return rc;
}

/* ---- batch append ------------------------------------------------------------------ */

/* Leaves a chunk holds on PostgreSQL (one statement, one round trip). */
#define PG_CHUNK 1000
#define PG_LEAF_COLS 11 /* the leaf columns but tenant */
#define PG_UPPER_COLS 6 /* the upper node columns but tenant */

/* One statement inserts a chunk's leaves and the upper nodes they complete. */
static const char q_ins_chunk[] =
	"WITH up AS (INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash) "
	"SELECT $1::text, * FROM unnest($13::integer[], $14::bigint[], $15::integer[], "
	"$16::bigint[], $17::bigint[], $18::text[])) "
	"INSERT INTO audit_leaves (tenant, idx, at, actor, action, object_kind, object_id, "
	"before_digest, after_digest, decision, hash, nodes) "
	"SELECT $1::text, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], "
	"$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])";

struct pgchunk {
	struct mmr_buf leaf[PG_LEAF_COLS];
	struct mmr_buf upper[PG_UPPER_COLS];
	size_t rows;
	mmr_stmt *sent; /* a full chunk the server works on meanwhile */
};

static void pgchunk_add(struct pgchunk *c, const struct mmr_audit_event *ev, uint64_t n,
			const struct newleaf *l)
{
	struct mmr_buf *a = c->leaf;
	mmr_buf_arr_int(&a[0], (int64_t)n);
	mmr_buf_arr_text(&a[1], l->at);
	mmr_buf_arr_text(&a[2], ev->actor);
	mmr_buf_arr_text(&a[3], ev->action);
	mmr_buf_arr_text(&a[4], ev->object_kind);
	mmr_buf_arr_text(&a[5], ev->object_id);
	mmr_buf_arr_text(&a[6], ev->before);
	mmr_buf_arr_text(&a[7], ev->after);
	mmr_buf_arr_text(&a[8], l->dec);
	mmr_buf_arr_text(&a[9], l->lhx);
	mmr_buf_arr_text(&a[10], l->nn.hex);
	for (unsigned i = 0; i < l->nn.n_upper; i++) {
		char hx[65];
		mmr_hash_hex(l->nn.upper[i], hx);
		unsigned level = l->nn.upper_level[i];
		uint64_t j = ((n + 1) >> level) - 1;
		a = c->upper;
		mmr_buf_arr_int(&a[0], (int64_t)upper_band(level));
		mmr_buf_arr_int(&a[1], (int64_t)upper_anc(level, j));
		mmr_buf_arr_int(&a[2], (int64_t)level);
		mmr_buf_arr_int(&a[3], (int64_t)j);
		mmr_buf_arr_int(&a[4], (int64_t)n);
		mmr_buf_arr_text(&a[5], hx);
	}
	c->rows++;
}

/* Insert the chunk's rows. A full chunk is only sent: the caller makes the
 * next chunk's leaves (their hashes) while the server inserts it, and the
 * next flush (the last one, with the rows left or none, runs at once) waits
 * for it first and answers its result. Nothing else uses the connection in
 * between: making leaves reads nothing. */
static int pgchunk_flush(mmr_db *db, const char *tenant, struct pgchunk *c, mmr_error *err)
{
	int rc = MMR_OK;
	if (c->sent) {
		rc = mmr_stmt_finish(c->sent, err);
		c->sent = NULL;
	}
	if (rc || !c->rows) {
		c->rows = 0;
		return rc;
	}
	mmr_stmt *s;
	if ((rc = mmr_db_prepare(db, q_ins_chunk, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	bool oom = false;
	for (int i = 0; i < PG_LEAF_COLS; i++) {
		const char *t = mmr_buf_arr_done(&c->leaf[i]);
		oom |= !t;
		mmr_stmt_text(s, 2 + i, t);
		c->leaf[i].len = 0;
	}
	for (int i = 0; i < PG_UPPER_COLS; i++) {
		const char *t = mmr_buf_arr_done(&c->upper[i]);
		oom |= !t;
		mmr_stmt_text(s, 2 + PG_LEAF_COLS + i, t);
		c->upper[i].len = 0;
	}
	bool full = c->rows == PG_CHUNK;
	c->rows = 0;
	if (oom) {
		mmr_stmt_reset(s);
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	if (!full)
		return mmr_stmt_run(s, err);
	if (!(rc = mmr_stmt_send(s, err)))
		c->sent = s;
	return rc;
}

/* (a chunk still sent, when the appends stopped on an error: its result is
 * taken so that the connection is free again; the error was reported) */
static void pgchunk_free(struct pgchunk *c)
{
	if (c->sent) {
		mmr_error ignored;
		(void)mmr_stmt_finish(c->sent, &ignored);
		c->sent = NULL;
	}
	for (int i = 0; i < PG_LEAF_COLS; i++)
		free(c->leaf[i].p);
	for (int i = 0; i < PG_UPPER_COLS; i++)
		free(c->upper[i].p);
}

/* Appends of at least this many leaves go by COPY on PostgreSQL: the leaves
 * stream to the server, which inserts them while the next ones are made
 * (no statement planned, no array parsed); the upper nodes they complete go
 * by a second COPY after them. */
#define PG_COPY_MIN PG_CHUNK
/* bytes of leaf rows sent at a time */
#define PG_COPY_PIECE (64 * 1024)

static const char q_copy_leaves[] =
	"COPY audit_leaves (tenant, idx, at, actor, action, object_kind, object_id, "
	"before_digest, after_digest, decision, hash, nodes) FROM STDIN";
static const char q_copy_upper[] =
	"COPY audit_upper (tenant, band, anc, level, j, idx, hash) FROM STDIN";

/* leaf n as a COPY row of q_copy_leaves into `rows`, the upper nodes it
 * completes as rows of q_copy_upper into `up` */
static void copy_leaf(struct mmr_buf *rows, struct mmr_buf *up, const struct mmr_audit_event *ev,
		      uint64_t n, const struct newleaf *l)
{
	mmr_buf_copy_text(rows, ev->tenant);
	mmr_buf_copy_int(rows, (int64_t)n);
	mmr_buf_copy_text(rows, l->at);
	mmr_buf_copy_text(rows, ev->actor);
	mmr_buf_copy_text(rows, ev->action);
	mmr_buf_copy_text(rows, ev->object_kind);
	mmr_buf_copy_text(rows, ev->object_id);
	mmr_buf_copy_text(rows, ev->before);
	mmr_buf_copy_text(rows, ev->after);
	mmr_buf_copy_text(rows, l->dec);
	mmr_buf_copy_text(rows, l->lhx);
	mmr_buf_copy_text(rows, l->nn.hex);
	mmr_buf_copy_row(rows);
	for (unsigned i = 0; i < l->nn.n_upper; i++) {
		char hx[65];
		mmr_hash_hex(l->nn.upper[i], hx);
		unsigned level = l->nn.upper_level[i];
		uint64_t j = ((n + 1) >> level) - 1;
		mmr_buf_copy_text(up, ev->tenant);
		mmr_buf_copy_int(up, (int64_t)upper_band(level));
		mmr_buf_copy_int(up, (int64_t)upper_anc(level, j));
		mmr_buf_copy_int(up, (int64_t)level);
		mmr_buf_copy_int(up, (int64_t)j);
		mmr_buf_copy_int(up, (int64_t)n);
		mmr_buf_copy_text(up, hx);
		mmr_buf_copy_row(up);
	}
}

/* Send the rows in `b` (emptied) to the COPY in progress. */
static int copy_send(mmr_db *db, struct mmr_buf *b, mmr_error *err)
{
	if (b->oom) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	int rc = mmr_db_copy_put(db, b->p, b->len, err);
	b->len = 0;
	return rc;
}

static int append_many_locked(mmr_store *st, const struct mmr_audit_event *evs, size_t n,
			      int64_t *first_index, mmr_error *err)
{
	mmr_db *db = st->db;
	struct edge *e;
	struct mmr_log_frontier f;
	int rc = edge_open(st, evs[0].tenant, &e, &f, err);
	if (rc)
		return rc;
	uint64_t first = f.size;
	char now[32] = "";
	mmr_now_iso(now);
	bool pg = mmr_db_kind(db) == MMR_DB_POSTGRES;
	bool copy = pg && n >= PG_COPY_MIN;
	struct pgchunk *c = pg && !copy ? calloc(1, sizeof *c) : NULL;
	if (pg && !copy && !c) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		rc = MMR_ENOMEM;
	}
	struct mmr_buf rows = {0}, up = {0};
	bool copying = copy && !(rc = mmr_db_copy_begin(db, q_copy_leaves, err));
	struct mmr_buf buf = {0};
	struct newleaf l;
	mmr_hash last = {0};
	for (size_t i = 0; !rc && i < n; i++) {
		uint64_t idx = f.size;
		if ((rc = leaf_make(&evs[i], now, &buf, &f, &l, err)))
			break;
		if (copy) {
			copy_leaf(&rows, &up, &evs[i], idx, &l);
			if (rows.len >= PG_COPY_PIECE || rows.oom)
				rc = copy_send(db, &rows, err);
		} else if (pg) {
			pgchunk_add(c, &evs[i], idx, &l);
			if (c->rows == PG_CHUNK)
				rc = pgchunk_flush(db, evs[0].tenant, c, err);
		} else {
			rc = leaf_insert(db, &evs[i], idx, &l, err);
		}
		memcpy(last, l.lh, MMR_HASH_LEN);
		free(l.dec);
	}
	if (!rc && c)
		rc = pgchunk_flush(db, evs[0].tenant, c, err);
	if (copying) {
		if (!rc)
			rc = copy_send(db, &rows, err);
		rc = mmr_db_copy_end(db, rc, err);
	}
	if (!rc && copy && (up.len || up.oom) && !(rc = mmr_db_copy_begin(db, q_copy_upper, err)))
		rc = mmr_db_copy_end(db, copy_send(db, &up, err), err);
	free(rows.p);
	free(up.p);
	if (c) {
		pgchunk_free(c);
		free(c);
	}
	free(buf.p);
	edge_close(st, e, &f, last, rc);
	if (!rc && first_index)
		*first_index = (int64_t)first;
	return rc;
}

static bool event_ok(const struct mmr_audit_event *ev, mmr_error *err)
{
	if (!ev || !ev->tenant || !*ev->tenant || !ev->actor || !ev->action || !*ev->action) {
		mmr_error_set(err, MMR_EINVAL,
			      "監査ログの記録には tenant, actor, action が必要です");
		return false;
	}
	return true;
}

int mmr_audit_append_many(mmr_store *st, const struct mmr_audit_event *evs, size_t n,
			  int64_t *first_index, mmr_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!event_ok(&evs[i], err))
			return MMR_EINVAL;
		if (strcmp(evs[i].tenant, evs[0].tenant)) {
			mmr_error_set(err, MMR_EINVAL,
				      "一度に記録できるのは一つの団体の監査ログだけです (%s と %s)",
				      evs[0].tenant, evs[i].tenant);
			return MMR_EINVAL;
		}
	}
	if (n == 0) { /* nothing to append: no first leaf */
		if (first_index)
			*first_index = -1;
		return MMR_OK;
	}
	mmr_db *db = st->db;
	bool own = db->depth == 0;
	int rc;
	if (own && (rc = mmr_db_begin(db, err)))
		return rc;
	rc = append_many_locked(st, evs, n, first_index, err);
	return own ? mmr_db_end(db, rc, err) : rc;
}

int mmr_audit_append(mmr_store *st, const struct mmr_audit_event *ev, int64_t *index_out,
		     mmr_error *err)
{
	if (!event_ok(ev, err))
		return MMR_EINVAL;
	mmr_db *db = st->db;
	bool own = db->depth == 0;
	if (own && st->group) /* group-committed (mmr_audit_group_attach) */
		return mmr_audit_group_append(st->group, ev, index_out, err);
	int rc;
	if (own && (rc = mmr_db_begin(db, err)))
		return rc;
	rc = append_locked(st, ev, index_out, err);
	return own ? mmr_db_end(db, rc, err) : rc;
}

int mmr_audit_record(mmr_store *st, const mmr_actor *who, const char *action,
		     const char *object_kind, int64_t object_id, const json_t *before,
		     const json_t *after, const json_t *decision, mmr_error *err)
{
	char id[32], b[65], a[65];
	if (object_id > 0)
		snprintf(id, sizeof id, "%" PRId64, object_id);
	if (before)
		mmr_audit_digest(before, b);
	if (after)
		mmr_audit_digest(after, a);
	struct mmr_audit_event ev = {
		.tenant = who->tenant,
		.actor = who->user_id ? who->login : "system",
		.action = action,
		.object_kind = object_kind,
		.object_id = object_id > 0 ? id : NULL,
		.before = before ? b : NULL,
		.after = after ? a : NULL,
		.decision = decision,
	};
	return mmr_audit_append(st, &ev, NULL, err);
}

/* ---- checkpoints ----------------------------------------------------------------- */

static json_t *checkpoint_json(const char *tenant, int64_t size, const char *root, const char *note,
			       const char *created)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s}", "tenant", tenant, "size", (json_int_t)size,
			 "root", root, "note", note, "created_at", created);
}

static const char q_latest_cp[] = "SELECT size, root, note, created_at FROM audit_checkpoints "
				  "WHERE tenant = $1 ORDER BY size DESC LIMIT 1";

int mmr_audit_latest_checkpoint(mmr_store *st, const char *tenant, const uint8_t *pk, json_t **out,
				mmr_error *err)
{
	*out = NULL;
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q_latest_cp, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW) {
		const char *note = mmr_col_text(s, 2);
		json_t *o = checkpoint_json(tenant, mmr_col_int(s, 0), mmr_col_text(s, 1), note,
					    mmr_col_text(s, 3));
		if (pk) {
			struct mmr_checkpoint cp;
			mmr_error e2;
			bool ok = !mmr_checkpoint_parse(note, strlen(note), pk, &cp, &e2) &&
				  (int64_t)cp.size == mmr_col_int(s, 0);
			char hx[65];
			mmr_hash_hex(cp.root, hx);
			ok = ok && !strcmp(hx, mmr_col_text(s, 1));
			json_object_set_new(o, "verified", json_boolean(ok));
		} else {
			json_object_set_new(o, "verified", json_null());
		}
		*out = o;
		rc = MMR_OK;
	} else if (rc == MMR_DB_DONE) {
		rc = MMR_ENOTFOUND;
		mmr_error_set(err, rc, "団体 %s の監査ログにチェックポイントがまだありません",
			      tenant);
	}
	mmr_stmt_reset(s);
	return rc;
}

int mmr_audit_checkpoint(mmr_store *st, const char *tenant, const struct mmr_log_key *key,
			 json_t **out, mmr_error *err)
{
	*out = NULL;
	mmr_db *db = st->db;
	int rc = mmr_db_begin(db, err);
	if (rc)
		return rc;
	int64_t size = 0;
	json_t *last = NULL;
	if ((rc = mmr_audit_size(st, tenant, &size, err)))
		goto fail;
	rc = mmr_audit_latest_checkpoint(st, tenant, NULL, &last, err);
	if (rc && rc != MMR_ENOTFOUND)
		goto fail;
	if (last && json_integer_value(json_object_get(last, "size")) >= size) {
		mmr_db_rollback(db);
		json_object_set_new(last, "new", json_false());
		*out = last;
		return MMR_OK;
	}
	json_decref(last);
	struct mmr_checkpoint cp = {.size = (uint64_t)size};
	mmr_audit_origin(tenant, cp.origin, sizeof cp.origin);
	if ((rc = mmr_audit_root(st, tenant, size, cp.root, err)))
		goto fail;
	char note[1024], hx[65], now[32];
	if ((rc = mmr_checkpoint_sign(&cp, key, note, sizeof note, err)))
		goto fail;
	mmr_hash_hex(cp.root, hx);
	mmr_now_iso(now);
	static const char ins[] = "INSERT INTO audit_checkpoints (tenant, size, root, note, "
				  "created_at) VALUES ($1, $2, $3, $4, $5)";
	mmr_stmt *s;
	if ((rc = mmr_db_prepare(db, ins, &s, err)))
		goto fail;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, size);
	mmr_stmt_text(s, 3, hx);
	mmr_stmt_text(s, 4, note);
	mmr_stmt_text(s, 5, now);
	if ((rc = mmr_stmt_run(s, err)))
		goto fail;
	if ((rc = mmr_db_commit(db, err)))
		return rc;
	*out = checkpoint_json(tenant, size, hx, note, now);
	json_object_set_new(*out, "new", json_true());
	return MMR_OK;
fail:
	mmr_db_rollback(db);
	return rc;
}

/* tenants that have a log (leaves or pruned leaves) */
static json_t *log_tenants(mmr_store *st, mmr_error *err)
{
	static const char q[] = "SELECT DISTINCT tenant FROM audit_leaves UNION "
				"SELECT DISTINCT tenant FROM audit_pruned ORDER BY 1";
	mmr_stmt *s;
	if (mmr_db_prepare(st->db, q, &s, err))
		return NULL;
	json_t *a = json_array();
	int rc;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		json_array_append_new(a, json_string(mmr_col_text(s, 0)));
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int mmr_audit_checkpoint_all(mmr_store *st, const struct mmr_log_key *key, size_t *made,
			     mmr_error *err)
{
	*made = 0;
	json_t *ts = log_tenants(st, err);
	if (!ts)
		return err->code ? err->code : MMR_EIO;
	size_t i;
	json_t *t;
	int rc = MMR_OK;
	json_array_foreach (ts, i, t) {
		json_t *cp = NULL;
		rc = mmr_audit_checkpoint(st, json_string_value(t), key, &cp, err);
		if (rc)
			break;
		if (json_is_true(json_object_get(cp, "new")))
			(*made)++;
		json_decref(cp);
	}
	json_decref(ts);
	return rc;
}

static int64_t iso_to_ms(const char *iso);

int mmr_audit_checkpoint_due(mmr_store *st, const struct mmr_log_key *key, int64_t now_ms,
			     size_t *made, mmr_error *err)
{
	*made = 0;
	json_t *ts = log_tenants(st, err);
	if (!ts)
		return err->code ? err->code : MMR_EIO;
	size_t i;
	json_t *t;
	int rc = MMR_OK;
	json_array_foreach (ts, i, t) {
		const char *tenant = json_string_value(t);
		const mmr_policy *pol;
		long interval = 0;
		if (mmr_tenant_policy(st, tenant, &pol, err) ||
		    mmr_policy_setting_int(pol, "log.checkpoint_interval_seconds", &interval) ||
		    interval <= 0)
			interval = MMR_AUDIT_DEFAULT_CHECKPOINT_SECONDS;
		json_t *last = NULL;
		rc = mmr_audit_latest_checkpoint(st, tenant, NULL, &last, err);
		if (rc && rc != MMR_ENOTFOUND)
			break;
		rc = MMR_OK;
		int64_t at =
			last ? iso_to_ms(json_string_value(json_object_get(last, "created_at")))
			     : -1;
		json_decref(last);
		if (at >= 0 && now_ms - at < (int64_t)interval * 1000)
			continue;
		json_t *cp = NULL;
		if ((rc = mmr_audit_checkpoint(st, tenant, key, &cp, err)))
			break;
		if (json_is_true(json_object_get(cp, "new")))
			(*made)++;
		json_decref(cp);
	}
	json_decref(ts);
	return rc;
}

/* ---- proofs --------------------------------------------------------------------------- */

static json_t *hex_array(const void *hv, size_t n)
{
	const uint8_t *h = hv;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		char hx[65];
		mmr_hash_hex(h + MMR_HASH_LEN * i, hx);
		/* hex digits: nothing for jansson to check */
		json_array_append_new(a, json_stringn_nocheck(hx, 2 * MMR_HASH_LEN));
	}
	return a;
}

static json_t *entry_json(mmr_stmt *s, int c0)
{
	/* columns from c0: idx, at, actor, action, object_kind, object_id,
	 * before_digest, after_digest, decision */
	json_t *o = json_object();
	json_object_set_new(o, "index", json_integer(mmr_col_int(s, c0)));
	const char *names[] = {"at",	    "actor",  "action", "object_kind",
			       "object_id", "before", "after"};
	for (int i = 0; i < 7; i++) {
		const char *v = mmr_col_text(s, c0 + 1 + i);
		json_object_set_new(o, names[i], v ? json_string(v) : json_null());
	}
	const char *d = mmr_col_text(s, c0 + 8);
	json_t *dj = d ? json_loads(d, JSON_DECODE_ANY, NULL) : NULL;
	json_object_set_new(o, "decision", dj ? dj : json_null());
	return o;
}

static const char q_entry[] =
	"SELECT idx, at, actor, action, object_kind, object_id, before_digest, after_digest, "
	"decision, hash FROM audit_leaves WHERE tenant = $1 AND idx = $2";

/* Upper tree nodes, cached per process: a complete node never changes once
 * its leaves are in a signed checkpoint (prune keeps the hashes), and the
 * upper levels are shared by every proof. Direct-mapped; entries are keyed by
 * store, tenant, level and index; mmr_store_close forgets a store's. Only
 * proofs read it: verify always recomputes from the rows. */
#define NODE_CACHE_BITS 17
#define NODE_CACHE_MIN_LEVEL 6
struct centry {
	const mmr_store *st;
	uint64_t tenant;
	uint64_t index;
	unsigned level; /* 0: empty */
	mmr_hash h;
};
static struct centry *g_cache;
static pthread_mutex_t g_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv64(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static size_t cache_slot(const mmr_store *st, uint64_t tenant, unsigned level, uint64_t index)
{
	uint64_t h = tenant ^ ((uint64_t)(uintptr_t)st * 0x9e3779b97f4a7c15ULL) ^
		     ((uint64_t)level << 56) ^ (index * 0xff51afd7ed558ccdULL);
	h ^= h >> 29;
	return (size_t)(h & ((1u << NODE_CACHE_BITS) - 1));
}

static bool cache_get(const mmr_store *st, uint64_t tenant, unsigned level, uint64_t index,
		      mmr_hash out)
{
	bool hit = false;
	pthread_mutex_lock(&g_cache_lock);
	if (g_cache) {
		struct centry *e = &g_cache[cache_slot(st, tenant, level, index)];
		if (e->level == level && e->st == st && e->tenant == tenant && e->index == index) {
			memcpy(out, e->h, MMR_HASH_LEN);
			hit = true;
		}
	}
	pthread_mutex_unlock(&g_cache_lock);
	return hit;
}

static void cache_put(const mmr_store *st, uint64_t tenant, unsigned level, uint64_t index,
		      const mmr_hash h)
{
	pthread_mutex_lock(&g_cache_lock);
	if (!g_cache)
		g_cache = calloc((size_t)1 << NODE_CACHE_BITS, sizeof *g_cache);
	if (g_cache) {
		struct centry *e = &g_cache[cache_slot(st, tenant, level, index)];
		e->st = st;
		e->tenant = tenant;
		e->level = level;
		e->index = index;
		memcpy(e->h, h, MMR_HASH_LEN);
	}
	pthread_mutex_unlock(&g_cache_lock);
}

void mmr_audit_forget(mmr_store *st)
{
	free(st->audit);
	st->audit = NULL;
	pthread_mutex_lock(&g_cache_lock);
	if (g_cache)
		for (size_t i = 0; i < (size_t)1 << NODE_CACHE_BITS; i++)
			if (g_cache[i].st == st)
				g_cache[i].level = 0;
	pthread_mutex_unlock(&g_cache_lock);
}

/* A proof's nodes, fetched together: the nodes a proof needs depend only on
 * the index and the size, so a first pass records them (answering zeros),
 * then they are read in a few queries of up to 23 rows, and the second pass
 * answers from memory (pruned rows fall back to db_node). */
#define CACHE_MAX 160
#define CACHE_SLOTS 512
struct nodecache {
	struct nodesrc *ns;
	uint64_t tenant;       /* fnv64 of the tenant */
	uint64_t stable_below; /* rows below this are in a signed checkpoint */
	bool recording;
	size_t n;
	unsigned level[CACHE_MAX];
	uint64_t index[CACHE_MAX];
	bool have[CACHE_MAX];
	mmr_hash h[CACHE_MAX];
	uint16_t slot[CACHE_SLOTS]; /* 1 + the entry of a (level, index); 0: none */
	int64_t entry_index;	    /* the proof's leaf: its entry, when a range read it */
	json_t *entry;
};

static uint64_t node_row(unsigned level, uint64_t index)
{
	return level ? ((index + 1) << level) - 1 : index;
}

/* the slot of (level, index) in c->slot: where it is, or the empty one it
 * would take (open addressing; CACHE_SLOTS > 2 · CACHE_MAX) */
static size_t cache_slot_of(const struct nodecache *c, unsigned level, uint64_t index)
{
	uint64_t h = (index * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)level * 0xff51afd7ed558ccdULL);
	size_t s = (size_t)(h >> 40) & (CACHE_SLOTS - 1);
	while (c->slot[s] &&
	       (c->level[c->slot[s] - 1] != level || c->index[c->slot[s] - 1] != index))
		s = (s + 1) & (CACHE_SLOTS - 1);
	return s;
}

static int cache_node(void *ud, unsigned level, uint64_t index, mmr_hash out, mmr_error *err)
{
	struct nodecache *c = ud;
	size_t s = cache_slot_of(c, level, index);
	if (c->recording) {
		if (!c->slot[s] && c->n < CACHE_MAX) {
			c->level[c->n] = level;
			c->index[c->n] = index;
			c->have[c->n] = level >= NODE_CACHE_MIN_LEVEL &&
					cache_get(c->ns->st, c->tenant, level, index, c->h[c->n]);
			c->slot[s] = (uint16_t)++c->n;
		}
		memset(out, 0, MMR_HASH_LEN);
		return MMR_OK;
	}
	if (c->slot[s] && c->have[c->slot[s] - 1]) {
		memcpy(out, c->h[c->slot[s] - 1], MMR_HASH_LEN);
		return MMR_OK;
	}
	return db_node(c->ns, level, index, out, err);
}

static const char q_rows[] =
	"SELECT idx, hash, nodes FROM audit_leaves WHERE tenant = $1 AND idx IN ($2, $3, $4, $5, "
	"$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, "
	"$24)";

/* A proof's low siblings and its entry lie in one block of rows: one range,
 * of which only the rows named in $4 … $11 come back (the rest is skipped on
 * the key), and only the entry's row ($4) brings its columns (entry_json
 * from column 3). With more rows than that (a proof at the tree's edge),
 * every row of the range comes back. */
#define ENTRY_COLS                                                                                 \
	"idx, CASE WHEN idx = $4 THEN at END, CASE WHEN idx = $4 THEN actor END, "                 \
	"CASE WHEN idx = $4 THEN action END, CASE WHEN idx = $4 THEN object_kind END, "            \
	"CASE WHEN idx = $4 THEN object_id END, CASE WHEN idx = $4 THEN before_digest END, "       \
	"CASE WHEN idx = $4 THEN after_digest END, CASE WHEN idx = $4 THEN decision END "
#define RANGE_PICK 8
static const char q_rows_pick[] =
	"SELECT idx, hash, nodes, " ENTRY_COLS "FROM audit_leaves WHERE tenant = $1 AND idx >= $2 "
	"AND idx <= $3 AND idx IN ($4, $5, $6, $7, $8, $9, $10, $11)";
static const char q_rows_range[] =
	"SELECT idx, hash, nodes, " ENTRY_COLS
	"FROM audit_leaves WHERE tenant = $1 AND idx >= $2 AND idx <= $3";

/* the nodes of one band and ancestor a proof needs: at most one a level */
static const char q_upper_band[] =
	"SELECT level, j, hash FROM audit_upper WHERE tenant = $1 AND band = $2 AND anc = $3 "
	"AND (level = $4 AND j = $5 OR level = $6 AND j = $7 OR level = $8 AND j = $9 OR "
	"level = $10 AND j = $11)";

/* Entry i's hash from its hex text (read in row `row`), kept in the process
 * cache when it is of a cached level and in the signed tree. */
static void cache_take(struct nodecache *c, size_t i, const char *hex, uint64_t row)
{
	c->have[i] = !mmr_hash_from_hex(hex, c->h[i]);
	if (c->have[i] && c->level[i] >= NODE_CACHE_MIN_LEVEL && row < c->stable_below)
		cache_put(c->ns->st, c->tenant, c->level[i], c->index[i], c->h[i]);
}

/* Read the upper nodes among todo[0 … nt) from audit_upper: per band and
 * ancestor, one look-up of up to 4 nodes (one a level, for a proof). */
static int cache_fill_upper(struct nodecache *c, const size_t *todo, size_t nt, mmr_error *err)
{
	bool done[CACHE_MAX] = {false};
	for (size_t t0 = 0; t0 < nt; t0++) {
		if (done[t0])
			continue;
		size_t i0 = todo[t0];
		unsigned band = upper_band(c->level[i0]);
		uint64_t anc = upper_anc(c->level[i0], c->index[i0]);
		size_t grp[CACHE_MAX], ng = 0; /* the others in this range */
		for (size_t t = t0; t < nt; t++)
			if (!done[t] && upper_band(c->level[todo[t]]) == band &&
			    upper_anc(c->level[todo[t]], c->index[todo[t]]) == anc) {
				done[t] = true;
				grp[ng++] = todo[t];
			}
		for (size_t g0 = 0; g0 < ng; g0 += 4) {
			size_t g1 = g0 + 4 < ng ? g0 + 4 : ng;
			mmr_stmt *s;
			int rc = mmr_db_prepare(c->ns->st->db, q_upper_band, &s, err);
			if (rc)
				return rc;
			mmr_stmt_text(s, 1, c->ns->tenant);
			mmr_stmt_int(s, 2, (int64_t)band);
			mmr_stmt_int(s, 3, (int64_t)anc);
			for (size_t k = 0; k < 4; k++) { /* an unused pair matches nothing */
				size_t i = grp[g0 + k < g1 ? g0 + k : g0];
				mmr_stmt_int(s, 4 + 2 * (int)k,
					     g0 + k < g1 ? (int64_t)c->level[i] : -1);
				mmr_stmt_int(s, 5 + 2 * (int)k, (int64_t)c->index[i]);
			}
			while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
				unsigned level = (unsigned)mmr_col_int(s, 0);
				uint64_t j = (uint64_t)mmr_col_int(s, 1);
				for (size_t g = g0; g < g1; g++) {
					size_t i = grp[g];
					if (c->level[i] != level || c->index[i] != j || c->have[i])
						continue;
					cache_take(c, i, mmr_col_text(s, 2), node_row(level, j));
				}
			}
			mmr_stmt_reset(s);
			if (rc != MMR_DB_DONE)
				return rc;
		}
	}
	return MMR_OK;
}

/* The rows of todo[start … end) as read by a statement of cache_fill: their
 * hashes, and the entry's columns from column `ecol` (-1: none). */
static void cache_take_rows(struct nodecache *c, mmr_stmt *s, const size_t *todo, size_t start,
			    size_t end, int ecol)
{
	uint64_t row = (uint64_t)mmr_col_int(s, 0);
	const char *hash = mmr_col_text(s, 1), *nodes = mmr_col_text(s, 2);
	if (ecol >= 0 && (int64_t)row == c->entry_index && !c->entry)
		c->entry = entry_json(s, ecol);
	for (size_t t = start; t < end; t++) {
		size_t i = todo[t];
		if (node_row(c->level[i], c->index[i]) != row)
			continue;
		char buf[65];
		const char *hex = hash;
		if (c->level[i]) {
			size_t off = (size_t)(c->level[i] - 1) * 64;
			if (!nodes || strlen(nodes) < off + 64)
				continue; /* db_node reports it */
			memcpy(buf, nodes + off, 64);
			buf[64] = 0;
			hex = buf;
		}
		cache_take(c, i, hex, row);
	}
}

static int cache_fill(struct nodecache *c, mmr_error *err)
{
	c->recording = false;
	/* the ones still to read: leaf rows (low levels), and upper nodes */
	size_t todo[CACHE_MAX], nt = 0, up[CACHE_MAX], nu = 0;
	for (size_t i = 0; i < c->n; i++)
		if (!c->have[i]) {
			if (c->level[i] >= UPPER_LEVEL)
				up[nu++] = i;
			else
				todo[nt++] = i;
		}
	int urc = cache_fill_upper(c, up, nu, err);
	if (urc)
		return urc;
	/* a proof's low siblings lie in its leaf's block of 2^UPPER_LEVEL rows:
	 * then one range of rows (picked ones when they are few), else lists of
	 * up to 23 */
	uint64_t lo = UINT64_MAX, hi = 0, pick[RANGE_PICK];
	size_t np = 0;
	for (size_t t = 0; t < nt; t++) {
		uint64_t row = node_row(c->level[todo[t]], c->index[todo[t]]);
		lo = row < lo ? row : lo;
		hi = row > hi ? row : hi;
		bool seen = (int64_t)row == c->entry_index;
		for (size_t k = 0; k < np && !seen; k++)
			seen = pick[k] == row;
		if (!seen && np < RANGE_PICK)
			pick[np] = row;
		np += !seen;
	}
	bool range = nt > 1 && hi - lo < 2 * ((uint64_t)1 << UPPER_LEVEL);
	if (range) {
		bool few = np < RANGE_PICK; /* $5 … $11 */
		mmr_stmt *s;
		int rc = mmr_db_prepare(c->ns->st->db, few ? q_rows_pick : q_rows_range, &s, err);
		if (rc)
			return rc;
		mmr_stmt_text(s, 1, c->ns->tenant);
		mmr_stmt_int(s, 2, (int64_t)lo);
		mmr_stmt_int(s, 3, (int64_t)hi);
		mmr_stmt_int(s, 4, c->entry_index);
		for (size_t k = 0; few && k < RANGE_PICK - 1; k++)
			mmr_stmt_int(s, 5 + (int)k, k < np ? (int64_t)pick[k] : -1);
		while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
			cache_take_rows(c, s, todo, 0, nt, 3);
		mmr_stmt_reset(s);
		return rc == MMR_DB_DONE ? MMR_OK : rc;
	}
	for (size_t start = 0; start < nt; start += 23) {
		size_t end = start + 23 < nt ? start + 23 : nt;
		mmr_stmt *s;
		int rc = mmr_db_prepare(c->ns->st->db, q_rows, &s, err);
		if (rc)
			return rc;
		mmr_stmt_text(s, 1, c->ns->tenant);
		for (size_t i = 0; i < 23; i++)
			mmr_stmt_int(s, (int)i + 2,
				     start + i < end ? (int64_t)node_row(c->level[todo[start + i]],
									 c->index[todo[start + i]])
						     : -1);
		while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
			cache_take_rows(c, s, todo, start, end, -1);
		mmr_stmt_reset(s);
		if (rc != MMR_DB_DONE)
			return rc;
	}
	return MMR_OK;
}

static int proof_locked(mmr_store *st, const char *tenant, int64_t index, int64_t size,
			json_t **out, mmr_error *err);

/* Reads of one answer in one read-only transaction: one snapshot, and no
 * write lock taken from appenders. */
int mmr_audit_proof(mmr_store *st, const char *tenant, int64_t index, int64_t size, json_t **out,
		    mmr_error *err)
{
	bool own = st->db->depth == 0;
	int rc;
	if (own && (rc = mmr_db_begin_read(st->db, err)))
		return rc;
	rc = proof_locked(st, tenant, index, size, out, err);
	if (own)
		mmr_db_rollback(st->db);
	return rc;
}

static int proof_locked(mmr_store *st, const char *tenant, int64_t index, int64_t size,
			json_t **out, mmr_error *err)
{
	*out = NULL;
	int rc;
	json_t *cp = NULL;
	if (size == 0 && index >= 0) {
		rc = mmr_audit_latest_checkpoint(st, tenant, NULL, &cp, err);
		if (rc && rc != MMR_ENOTFOUND)
			return rc;
		int64_t cps = cp ? json_integer_value(json_object_get(cp, "size")) : 0;
		if (cps > index) { /* in the signed tree: the current size is not needed */
			size = cps;
		} else {
			json_decref(cp);
			cp = NULL;
		}
	}
	if (!cp) {
		int64_t cur = 0;
		if ((rc = mmr_audit_size(st, tenant, &cur, err)))
			return rc;
		if (index < 0 || index >= cur) {
			mmr_error_set(err, MMR_ENOTFOUND,
				      "索引 %" PRId64 " は団体 %s の監査ログ (%" PRId64
				      " 件) にありません",
				      index, tenant, cur);
			return MMR_ENOTFOUND;
		}
		if (size == 0)
			size = cur;
		if (size <= index || size > cur) {
			mmr_error_set(err, MMR_EINVAL,
				      "木の大きさ %" PRId64 " は索引 %" PRId64
				      " を含みません (最大 %" PRId64 ")",
				      size, index, cur);
			return MMR_EINVAL;
		}
	}
	struct nodesrc ns = {st, tenant};
	mmr_hash proof[MMR_LOG_MAX_PROOF], root, leaf;
	size_t n = 0;
	/* the root: the checkpoint's (signed) when the proof is in its tree */
	bool have_root = cp && json_integer_value(json_object_get(cp, "size")) == size &&
			 !mmr_hash_from_hex(json_string_value(json_object_get(cp, "root")), root);
	struct nodecache *nc = calloc(1, sizeof *nc);
	if (!nc) {
		json_decref(cp);
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	nc->ns = &ns;
	nc->entry_index = index;
	nc->tenant = fnv64(tenant);
	nc->stable_below = cp ? (uint64_t)json_integer_value(json_object_get(cp, "size")) : 0;
	for (int pass = 0; pass < 2; pass++) {
		nc->recording = pass == 0;
		if (pass == 1 && (rc = cache_fill(nc, err)))
			break;
		if ((rc = mmr_log_inclusion_proof(cache_node, nc, (uint64_t)index, (uint64_t)size,
						  proof, &n, err)) ||
		    (!have_root &&
		     (rc = mmr_log_root(cache_node, nc, (uint64_t)size, root, err))) ||
		    (rc = cache_node(nc, 0, (uint64_t)index, leaf, err)))
			break;
	}
	json_t *entry = nc->entry; /* read with the low siblings, or NULL */
	free(nc);
	if (rc) {
		json_decref(entry);
		json_decref(cp);
		return rc;
	}
	if (!mmr_log_verify_inclusion((uint64_t)index, (uint64_t)size, leaf, proof, n, root)) {
		json_decref(entry);
		json_decref(cp);
		mmr_error_set(err, MMR_EIO,
			      "索引 %" PRId64
			      " の包含証明が根と合いません (mamori log verify で調べてください)",
			      index);
		return MMR_EIO;
	}
	char lhx[65], rhx[65];
	mmr_hash_hex(leaf, lhx);
	mmr_hash_hex(root, rhx);
	json_t *o = json_pack("{s:I, s:I, s:s, s:o, s:s}", "index", (json_int_t)index, "tree_size",
			      (json_int_t)size, "leaf_hash", lhx, "proof", hex_array(proof, n),
			      "root", rhx);
	json_object_set_new(o, "checkpoint",
			    cp ? json_incref(json_object_get(cp, "note")) : json_null());
	json_decref(cp);
	mmr_stmt *s;
	if (entry)
		json_object_set_new(o, "entry", entry);
	else if (!(rc = mmr_db_prepare(st->db, q_entry, &s, err))) {
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, index);
		rc = mmr_stmt_step(s, err);
		if (rc == MMR_DB_ROW)
			json_object_set_new(o, "entry", entry_json(s, 0));
		else
			json_object_set_new(o, "entry", json_null()); /* pruned */
		mmr_stmt_reset(s);
		rc = rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
	}
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return MMR_OK;
}

int mmr_audit_consistency(mmr_store *st, const char *tenant, int64_t m, int64_t n, json_t **out,
			  mmr_error *err)
{
	*out = NULL;
	int64_t cur = 0;
	int rc = mmr_audit_size(st, tenant, &cur, err);
	if (rc)
		return rc;
	if (m < 1 || m > n || n > cur) {
		mmr_error_set(err, MMR_EINVAL,
			      "整合性証明の大きさ %" PRId64 " → %" PRId64
			      " が正しくありません (1 ≤ from ≤ to ≤ %" PRId64 ")",
			      m, n, cur);
		return MMR_EINVAL;
	}
	struct nodesrc ns = {st, tenant};
	mmr_hash proof[MMR_LOG_MAX_PROOF], r1, r2;
	size_t len = 0;
	if ((rc = mmr_log_consistency_proof(db_node, &ns, (uint64_t)m, (uint64_t)n, proof, &len,
					    err)) ||
	    (rc = mmr_log_root(db_node, &ns, (uint64_t)m, r1, err)) ||
	    (rc = mmr_log_root(db_node, &ns, (uint64_t)n, r2, err)))
		return rc;
	if (!mmr_log_verify_consistency((uint64_t)m, (uint64_t)n, r1, r2, proof, len)) {
		mmr_error_set(err, MMR_EIO, "整合性証明が根と合いません");
		return MMR_EIO;
	}
	char h1[65], h2[65];
	mmr_hash_hex(r1, h1);
	mmr_hash_hex(r2, h2);
	*out = json_pack("{s:I, s:I, s:s, s:s, s:o}", "from", (json_int_t)m, "to", (json_int_t)n,
			 "root_from", h1, "root_to", h2, "proof", hex_array(proof, len));
	return MMR_OK;
}

/* ---- verify ------------------------------------------------------------------------------ */

struct vstate {
	json_t *problem; /* the first, or NULL */
};

static void problem(struct vstate *v, const char *tenant, const char *kind, int64_t index,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void problem(struct vstate *v, const char *tenant, const char *kind, int64_t index,
		    const char *fmt, ...)
{
	if (v->problem)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	v->problem = json_pack("{s:s, s:s, s:I, s:s}", "tenant", tenant, "kind", kind, "index",
			       (json_int_t)index, "message", msg);
}

/* The upper nodes (audit_upper) of one batch of rows, by (idx, level). */
struct vupper {
	int64_t idx;
	unsigned level;
	char hex[64];
};

struct vnode {
	const char *stored; /* the row's nodes column */
	size_t stored_len;
	size_t low;  /* low-level nodes seen */
	int64_t row; /* the leaf being pushed */
	const struct vupper *up;
	size_t n_up, *pos; /* the next upper row expected */
	bool bad;
	unsigned level_bad;
};

static void check_node(void *ud, unsigned level, uint64_t index, const mmr_hash h)
{
	(void)index;
	struct vnode *vn = ud;
	if (vn->bad)
		return;
	char hx[65];
	mmr_hash_hex(h, hx);
	if (level >= UPPER_LEVEL) {
		const struct vupper *u = *vn->pos < vn->n_up ? &vn->up[*vn->pos] : NULL;
		if (!u || u->idx != vn->row || u->level != level || memcmp(u->hex, hx, 64)) {
			vn->bad = true;
			vn->level_bad = level;
			return;
		}
		(*vn->pos)++;
		return;
	}
	size_t off = (size_t)(level - 1) * 64;
	vn->low++;
	if (!vn->stored || vn->stored_len < off + 64 || memcmp(vn->stored + off, hx, 64)) {
		vn->bad = true;
		vn->level_bad = level;
	}
}

/* Load the upper nodes of rows [from, to) into *up (grown as needed). */
static int load_upper(mmr_db *db, const char *tenant, int64_t from, int64_t to, struct vupper **up,
		      size_t *n, size_t *cap, mmr_error *err)
{
	static const char q[] = "SELECT idx, level, hash, band, anc, j FROM audit_upper WHERE "
				"tenant = $1 AND idx >= $2 AND idx < $3 ORDER BY idx, level";
	mmr_stmt *s;
	int rc = mmr_db_prepare(db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, from);
	mmr_stmt_int(s, 3, to);
	*n = 0;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if (*n == *cap) {
			size_t nc = *cap ? 2 * *cap : 1024;
			struct vupper *g = realloc(*up, nc * sizeof *g);
			if (!g) {
				mmr_stmt_reset(s);
				mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
				return MMR_ENOMEM;
			}
			*up = g;
			*cap = nc;
		}
		struct vupper *u = &(*up)[(*n)++];
		u->idx = mmr_col_int(s, 0);
		u->level = (unsigned)mmr_col_int(s, 1);
		const char *hx = mmr_col_text(s, 2);
		/* the key must be the node's (proofs look it up by it): a row
		 * under another key, like a malformed hash, never matches */
		bool key_ok = false;
		if (u->level >= UPPER_LEVEL && u->level < 64 && u->idx >= 0) {
			uint64_t j = (((uint64_t)u->idx + 1) >> u->level) - 1;
			key_ok = ((j + 1) << u->level) - 1 == (uint64_t)u->idx &&
				 mmr_col_int(s, 3) == (int64_t)upper_band(u->level) &&
				 mmr_col_int(s, 4) == (int64_t)upper_anc(u->level, j) &&
				 mmr_col_int(s, 5) == (int64_t)j;
		}
		if (key_ok && hx && strlen(hx) == 64)
			memcpy(u->hex, hx, 64);
		else
			memset(u->hex, '?', 64);
	}
	mmr_stmt_reset(s);
	return rc == MMR_DB_DONE ? MMR_OK : rc;
}

#define VERIFY_BATCH 20000

struct vcp {
	int64_t size;
	mmr_hash root;
};

/* The walk over one tenant's rows in index order: the right edge of the tree
 * (f), the upper nodes of the current batch (up, pos: the next expected), and
 * the checkpoints still to reach (next_cp). */
struct vwalk {
	struct vstate *v;
	const char *tenant;
	struct mmr_log_frontier f;
	struct vupper *up;
	size_t n_up, pos;
	const struct vcp *cps;
	size_t n_cps, next_cp;
	mmr_audit_progress_fn progress;
	void *ud;
	int64_t *done, total;
};

/* Push leaf `idx` (hash lh, the row's nodes column) on the tree: it must be
 * the next index, every node it completes must equal the stored one (the
 * row's low levels, audit_upper's higher ones, nothing extra), and each
 * checkpoint reached must have the computed root. false: a problem was
 * reported. */
static bool vwalk_push(struct vwalk *w, int64_t idx, const mmr_hash lh, const char *nodes,
		       size_t nodes_len)
{
	struct vstate *v = w->v;
	if (idx != (int64_t)w->f.size) {
		problem(v, w->tenant, "index", (int64_t)w->f.size,
			"索引 %" PRIu64 " の行がありません (次の行は %" PRId64
			"): 削除または並べ替えられています",
			w->f.size, idx);
		return false;
	}
	struct vnode vn = {.stored = nodes,
			   .stored_len = nodes_len,
			   .row = idx,
			   .up = w->up,
			   .n_up = w->n_up,
			   .pos = &w->pos};
	mmr_log_frontier_push(&w->f, lh, check_node, &vn);
	if (!vn.bad && vn.stored_len != vn.low * 64) { /* extra nodes */
		vn.bad = true;
		vn.level_bad = (unsigned)vn.low + 1;
	}
	if (!vn.bad && w->pos < w->n_up && w->up[w->pos].idx <= idx) {
		problem(v, w->tenant, "index", w->up[w->pos].idx,
			"索引 %" PRId64 " に余分な節点 (高さ %u) があります", w->up[w->pos].idx,
			w->up[w->pos].level);
		return false;
	}
	if (vn.bad) {
		problem(v, w->tenant, "index", idx,
			"索引 %" PRId64 " に記録された節点 (高さ %u) が木と合いません", idx,
			vn.level_bad);
		return false;
	}
	while (w->next_cp < w->n_cps && w->cps[w->next_cp].size <= (int64_t)w->f.size) {
		const struct vcp *c = &w->cps[w->next_cp++];
		mmr_hash root;
		if (c->size == 0)
			mmr_log_empty_root(root);
		else
			mmr_log_frontier_root(&w->f, root);
		if (memcmp(root, c->root, MMR_HASH_LEN)) {
			problem(v, w->tenant, "checkpoint", c->size,
				"チェックポイント (大きさ %" PRId64
				") の根が記録から計算した根と合いません "
				"(索引 %" PRId64 " までのどこかが改ざんされています)",
				c->size, c->size - 1);
			return false;
		}
	}
	(*w->done)++;
	if (w->progress && (*w->done & 0xffff) == 0)
		w->progress(w->ud, *w->done, w->total);
	return true;
}

/* Leaf rows read ahead: their data rebuilt from the columns (in `data`),
 * stored hash and nodes copied, leaf hash filled in by vchunk_hash. */
#define VCHUNK 512
struct vrow {
	int64_t idx;
	size_t off, len; /* the leaf data in the chunk's buffer */
	bool stored_ok;
	mmr_hash stored, lh;
	size_t nodes_len;
	char nodes[64 * (UPPER_LEVEL - 1) + 1]; /* a longer column is wrong anyway */
};
struct vchunk {
	size_t n;
	struct mmr_buf data;
	struct vrow r[VCHUNK];
};

/* Add the current row of `s` (q_leaves' columns); false when out of memory. */
static bool vchunk_add(struct vchunk *c, mmr_stmt *s, const char *tenant)
{
	struct vrow *r = &c->r[c->n];
	r->idx = mmr_col_int(s, 0);
	r->off = c->data.len;
	leaf_data_into(&c->data, tenant, r->idx, mmr_col_text(s, 1), mmr_col_text(s, 2),
		       mmr_col_text(s, 3), mmr_col_text(s, 4), mmr_col_text(s, 5),
		       mmr_col_text(s, 6), mmr_col_text(s, 7), mmr_col_text(s, 8));
	if (c->data.oom)
		return false;
	r->len = c->data.len - r->off;
	const char *h = mmr_col_text(s, 9), *nodes = mmr_col_text(s, 10);
	r->stored_ok = h && !mmr_hash_from_hex(h, r->stored);
	r->nodes_len = nodes ? strlen(nodes) : 0;
	size_t keep = r->nodes_len < sizeof r->nodes - 1 ? r->nodes_len : sizeof r->nodes - 1;
	if (nodes)
		memcpy(r->nodes, nodes, keep);
	r->nodes[keep] = 0;
	c->n++;
	return true;
}

static void vchunk_hash(struct vchunk *c)
{
	for (size_t i = 0; i < c->n; i++)
		mmr_log_leaf_hash(c->data.p + c->r[i].off, c->r[i].len, c->r[i].lh);
}

/* Walk the chunk's rows in order; false: a problem was reported. */
static bool vchunk_walk(struct vwalk *w, const struct vchunk *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct vrow *r = &c->r[i];
		if (r->idx == (int64_t)w->f.size &&
		    (!r->stored_ok || memcmp(r->lh, r->stored, MMR_HASH_LEN))) {
			problem(w->v, w->tenant, "row", r->idx,
				"索引 %" PRId64 " の行の内容が記録された葉のハッシュと合いません "
				"(列が書き換えられたか、行が並べ替えられています)",
				r->idx);
			return false;
		}
		if (!vwalk_push(w, r->idx, r->lh, r->nodes, r->nodes_len))
			return false;
	}
	return true;
}

/* One helper thread hashes a chunk's leaf data and walks it on the tree
 * while the caller reads the next chunk from the database (the two halves of
 * verify take about as long). The walk (w) belongs to the thread from
 * hasher_submit to hasher_wait; the caller reads it only in between. Without
 * the thread (it could not start), chunks are done in place. */
struct vhasher {
	bool started, running, stop;
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct vwalk *w;
	bool failed;	    /* a problem was reported: later chunks are skipped */
	struct vchunk *job; /* being done; NULL when idle */
};

static void hasher_do(struct vhasher *h, struct vchunk *c)
{
	if (h->failed)
		return;
	vchunk_hash(c);
	h->failed = !vchunk_walk(h->w, c);
}

static void *hasher_main(void *arg)
{
	struct vhasher *h = arg;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->job && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (!h->job)
			break;
		struct vchunk *c = h->job;
		pthread_mutex_unlock(&h->mu);
		hasher_do(h, c);
		pthread_mutex_lock(&h->mu);
		h->job = NULL;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void hasher_start(struct vhasher *h, struct vwalk *w)
{
	h->started = true;
	h->w = w;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->running = pthread_create(&h->t, NULL, hasher_main, h) == 0;
}

static void hasher_submit(struct vhasher *h, struct vchunk *c)
{
	if (!h->running) {
		hasher_do(h, c);
		return;
	}
	pthread_mutex_lock(&h->mu);
	h->job = c;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* Wait until the submitted chunk is hashed. */
static void hasher_wait(struct vhasher *h)
{
	if (!h->running)
		return;
	pthread_mutex_lock(&h->mu);
	while (h->job)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

static void hasher_stop(struct vhasher *h)
{
	if (!h->started)
		return;
	if (h->running) {
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->t, NULL); /* finishes a chunk it was hashing */
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
}

/* One pass over the tenant's rows in index order (pruned hashes first, then
 * the leaves): each leaf's data is checked against its columns and hashed,
 * the hash pushed on the right edge of the tree (a stack of subtree roots),
 * every node it completes compared with the stored one, and each checkpoint's
 * root compared when the running size reaches it. Columns are read in place. */
static int verify_tenant(mmr_store *st, const char *tenant, const uint8_t *pk,
			 mmr_audit_progress_fn progress, void *ud, int64_t *done, int64_t total,
			 struct vstate *v, json_t *summary, mmr_error *err)
{
	mmr_db *db = st->db;
	int rc;
	mmr_stmt *s;
	struct vcp *cps = NULL;
	size_t n_cps = 0, cap_cps = 0, cap_up = 0;
	struct vwalk w = {0};
	struct vchunk *ch[2] = {NULL, NULL};
	struct vhasher hs = {0};
	/* checkpoints, ascending; a note must be signed and agree with its row */
	static const char q_cps[] =
		"SELECT size, root, note FROM audit_checkpoints WHERE tenant = $1 ORDER BY size";
	char origin[256];
	mmr_audit_origin(tenant, origin, sizeof origin);
	if ((rc = mmr_db_prepare(db, q_cps, &s, err)))
		goto out;
	mmr_stmt_text(s, 1, tenant);
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if (n_cps == cap_cps) {
			size_t cap = cap_cps ? 2 * cap_cps : 64;
			struct vcp *n = realloc(cps, cap * sizeof *n);
			if (!n) {
				mmr_stmt_reset(s);
				mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
				rc = MMR_ENOMEM;
				goto out;
			}
			cps = n;
			cap_cps = cap;
		}
		struct vcp *c = &cps[n_cps++];
		c->size = mmr_col_int(s, 0);
		const char *root = mmr_col_text(s, 1), *note = mmr_col_text(s, 2);
		bool root_ok = root && !mmr_hash_from_hex(root, c->root);
		if (!root_ok)
			memset(c->root, 0, MMR_HASH_LEN);
		if (v->problem)
			continue;
		if (!pk) { /* nothing to check its signature against: not signed */
			problem(v, tenant, "checkpoint", c->size,
				"チェックポイント (大きさ %" PRId64
				") の署名を確かめる鍵がありません (mamori log key)",
				c->size);
			continue;
		}
		struct mmr_checkpoint cp;
		mmr_error e2;
		int prc = mmr_checkpoint_parse(note ? note : "", note ? strlen(note) : 0, pk, &cp,
					       &e2);
		if (prc)
			problem(v, tenant, "checkpoint", c->size,
				"チェックポイント (大きさ %" PRId64 "): %s", c->size, e2.message);
		else if ((int64_t)cp.size != c->size || strcmp(cp.origin, origin) || !root_ok ||
			 memcmp(cp.root, c->root, MMR_HASH_LEN))
			problem(v, tenant, "checkpoint", c->size,
				"チェックポイント (大きさ %" PRId64
				") の行と署名された内容が違います",
				c->size);
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE)
		goto out;
	rc = MMR_OK;
	/* the walk's state, shared by the pruned and the leaf rows */
	w.v = v;
	w.tenant = tenant;
	w.cps = cps;
	w.n_cps = n_cps;
	w.progress = progress;
	w.ud = ud;
	w.done = done;
	w.total = total;
	/* pruned leaves: hashes only */
	static const char q_pruned[] =
		"SELECT idx, hash, nodes FROM audit_pruned WHERE tenant = $1 "
		"AND idx >= $2 ORDER BY idx LIMIT 20000";
	static const char q_leaves[] =
		"SELECT idx, at, actor, action, object_kind, object_id, before_digest, "
		"after_digest, decision, hash, nodes FROM audit_leaves WHERE tenant = $1 "
		"AND idx >= $2 ORDER BY idx LIMIT 20000";
	for (int pass = 0; pass < 2 && !v->problem; pass++) {
		int64_t from = (int64_t)w.f.size;
		for (;;) {
			/* a batch holds rows [from, from + VERIFY_BATCH) unless one is
			 * missing, which is reported at the gap */
			if ((rc = load_upper(db, tenant, from, from + VERIFY_BATCH, &w.up, &w.n_up,
					     &cap_up, err)))
				goto out;
			w.pos = 0;
			if ((rc = mmr_db_prepare(db, pass ? q_leaves : q_pruned, &s, err)))
				goto out;
			mmr_stmt_text(s, 1, tenant);
			mmr_stmt_int(s, 2, from);
			int64_t rows = 0;
			if (pass && !ch[0] &&
			    (!(ch[0] = calloc(1, sizeof *ch[0])) ||
			     !(ch[1] = calloc(1, sizeof *ch[1])))) {
				mmr_stmt_reset(s);
				rc = MMR_ENOMEM;
				mmr_error_set(err, rc, "メモリが足りません");
				goto out;
			}
			if (pass && !hs.started)
				hasher_start(&hs, &w);
			struct vchunk *cur = pass ? ch[0] : NULL, *pending = NULL;
			if (cur) {
				cur->n = 0;
				cur->data.len = 0;
			}
			/* v->problem is the helper's while it walks: pass 1 looks at
			 * hs.failed after hasher_wait instead */
			while ((pass || !v->problem) &&
			       (rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
				rows++;
				if (!pass) {
					mmr_hash lh = {0};
					int64_t idx = mmr_col_int(s, 0);
					const char *stored = mmr_col_text(s, 1),
						   *nodes = mmr_col_text(s, 2);
					if (idx == (int64_t)w.f.size &&
					    (!stored || mmr_hash_from_hex(stored, lh))) {
						problem(v, tenant, "index", idx,
							"索引 %" PRId64 " (削除済みの範囲) "
							"のハッシュが壊れています",
							idx);
						break;
					}
					if (!vwalk_push(&w, idx, lh, nodes,
							nodes ? strlen(nodes) : 0))
						break;
					continue;
				}
				/* leaf rows: gathered in chunks whose leaf data another
				 * thread hashes while the next chunk is read */
				if (!vchunk_add(cur, s, tenant)) {
					mmr_stmt_reset(s);
					rc = MMR_ENOMEM;
					mmr_error_set(err, rc, "メモリが足りません");
					goto out;
				}
				if (cur->n == VCHUNK) {
					hasher_wait(&hs); /* the chunk before */
					if (hs.failed)
						break;
					hasher_submit(&hs, cur);
					struct vchunk *next = pending ? pending : ch[1];
					pending = cur;
					cur = next;
					cur->n = 0;
					cur->data.len = 0;
				}
			}
			mmr_stmt_reset(s);
			if (pass) { /* what was read and not walked yet, in order */
				hasher_wait(&hs);
				if (!hs.failed && cur->n) {
					hasher_submit(&hs, cur);
					hasher_wait(&hs);
				}
			}
			if (v->problem) {
				rc = MMR_OK;
				break;
			}
			if (rc != MMR_DB_DONE && rc != MMR_DB_ROW)
				goto out;
			rc = MMR_OK;
			if (rows < VERIFY_BATCH)
				break;
			from = (int64_t)w.f.size;
		}
	}
	/* upper nodes beyond the last row */
	if (!v->problem) {
		static const char q_extra[] =
			"SELECT idx, level FROM audit_upper WHERE tenant = $1 "
			"AND idx >= $2 ORDER BY idx, level LIMIT 1";
		if ((rc = mmr_db_prepare(db, q_extra, &s, err)))
			goto out;
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, (int64_t)w.f.size);
		rc = mmr_stmt_step(s, err);
		if (rc == MMR_DB_ROW && w.next_cp == n_cps)
			problem(v, tenant, "index", mmr_col_int(s, 0),
				"索引 %" PRId64 " に余分な節点 (高さ %" PRId64 ") があります",
				mmr_col_int(s, 0), mmr_col_int(s, 1));
		mmr_stmt_reset(s);
		if (rc != MMR_DB_ROW && rc != MMR_DB_DONE)
			goto out;
		rc = MMR_OK;
	}
	/* checkpoints beyond the rows: truncated */
	if (!v->problem && w.next_cp < n_cps) {
		int64_t csize = cps[w.next_cp].size;
		if (csize == 0 && w.f.size == 0) {
			/* the empty tree */
		} else {
			problem(v, tenant, "index", (int64_t)w.f.size,
				"索引 %" PRIu64 " 以降の行がありません: チェックポイントは %" PRId64
				" 件を署名しています (末尾が切り詰められています)",
				w.f.size, csize);
		}
	}
	mmr_hash root;
	mmr_log_frontier_root(&w.f, root);
	char rhx[65];
	mmr_hash_hex(root, rhx);
	json_array_append_new(summary, json_pack("{s:s, s:I, s:s, s:I}", "tenant", tenant, "size",
						 (json_int_t)w.f.size, "root", rhx, "checkpoints",
						 (json_int_t)n_cps));
out:
	hasher_stop(&hs);
	for (int i = 0; i < 2; i++)
		if (ch[i]) {
			free(ch[i]->data.p);
			free(ch[i]);
		}
	free(cps);
	free(w.up);
	return rc;
}

int mmr_audit_checkpoints_stored(mmr_store *st, const char *tenant, int64_t *n, mmr_error *err)
{
	static const char q_all[] = "SELECT count(*) FROM audit_checkpoints";
	static const char q_one[] = "SELECT count(*) FROM audit_checkpoints WHERE tenant = $1";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, tenant ? q_one : q_all, &s, err);
	if (rc)
		return rc;
	if (tenant)
		mmr_stmt_text(s, 1, tenant);
	if ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		*n = mmr_col_int(s, 0);
		rc = MMR_OK;
	} else if (rc == MMR_DB_DONE) {
		*n = 0;
		rc = MMR_OK;
	}
	mmr_stmt_reset(s);
	return rc;
}

int mmr_audit_verify(mmr_store *st, const char *tenant, const uint8_t *pk,
		     mmr_audit_progress_fn progress, void *ud, json_t **report, mmr_error *err)
{
	*report = NULL;
	json_t *ts;
	if (tenant) {
		ts = json_array();
		json_array_append_new(ts, json_string(tenant));
	} else {
		ts = log_tenants(st, err);
		if (!ts)
			return err->code ? err->code : MMR_EIO;
		/* tenants with checkpoints but no rows left (everything deleted) */
		static const char q[] = "SELECT DISTINCT tenant FROM audit_checkpoints";
		mmr_stmt *s;
		if (!mmr_db_prepare(st->db, q, &s, err)) {
			while (mmr_stmt_step(s, err) == MMR_DB_ROW) {
				const char *t = mmr_col_text(s, 0);
				bool have = false;
				size_t i;
				json_t *x;
				json_array_foreach (ts, i, x)
					have |= !strcmp(json_string_value(x), t);
				if (!have)
					json_array_append_new(ts, json_string(t));
			}
			mmr_stmt_reset(s);
		}
	}
	int64_t total = 0, done = 0;
	size_t i;
	json_t *t;
	json_array_foreach (ts, i, t) {
		int64_t n = 0;
		if (!mmr_audit_size(st, json_string_value(t), &n, err))
			total += n;
	}
	struct vstate v = {0};
	json_t *summary = json_array();
	int rc = MMR_OK;
	json_array_foreach (ts, i, t) {
		rc = verify_tenant(st, json_string_value(t), pk, progress, ud, &done, total, &v,
				   summary, err);
		if (rc || v.problem)
			break;
	}
	json_decref(ts);
	if (progress)
		progress(ud, done, total);
	if (rc) {
		json_decref(summary);
		json_decref(v.problem);
		return rc;
	}
	*report = json_pack("{s:b, s:o, s:I}", "ok", v.problem == NULL, "tenants", summary,
			    "leaves", (json_int_t)done);
	if (v.problem)
		json_object_set_new(*report, "problem", v.problem);
	return MMR_OK;
}

/* ---- export and prune ------------------------------------------------------------------ */

int mmr_audit_export(mmr_store *st, const char *tenant, int64_t from, int64_t to, FILE *out,
		     const char *file_name, int64_t *written, mmr_error *err)
{
	*written = 0;
	json_t *cp = NULL;
	int rc = mmr_audit_latest_checkpoint(st, tenant, NULL, &cp, err);
	if (rc)
		return rc;
	int64_t cps = json_integer_value(json_object_get(cp, "size"));
	if (to <= 0 || to > cps)
		to = cps;
	if (from < 0 || from >= to) {
		json_decref(cp);
		mmr_error_set(err, MMR_EINVAL,
			      "書き出す範囲 %" PRId64 "..%" PRId64
			      " が正しくありません (最新のチェックポイントは %" PRId64 " 件)",
			      from, to, cps);
		return MMR_EINVAL;
	}
	struct nodesrc ns = {st, tenant};
	static const char q[] =
		"SELECT idx, at, actor, action, object_kind, object_id, before_digest, "
		"after_digest, decision, hash FROM audit_leaves WHERE tenant = $1 AND idx >= $2 "
		"AND idx < $3 ORDER BY idx LIMIT 1000";
	char *all = NULL; /* file digest over the lines */
	size_t all_len = 0;
	FILE *mem = open_memstream(&all, &all_len);
	int64_t next = from;
	while (next < to && !rc) {
		mmr_stmt *s;
		if ((rc = mmr_db_prepare(st->db, q, &s, err)))
			break;
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, next);
		mmr_stmt_int(s, 3, to);
		/* collect the batch first: proofs use the same connection */
		json_t *batch = json_array();
		int r2;
		while ((r2 = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			json_t *e = entry_json(s, 0);
			json_object_set_new(e, "leaf_hash", json_string(mmr_col_text(s, 9)));
			/* the leaf data (what was hashed), rebuilt from the columns */
			char *data = leaf_data(
				tenant, mmr_col_int(s, 0), mmr_col_text(s, 1), mmr_col_text(s, 2),
				mmr_col_text(s, 3), mmr_col_text(s, 4), mmr_col_text(s, 5),
				mmr_col_text(s, 6), mmr_col_text(s, 7), mmr_col_text(s, 8));
			json_object_set_new(e, "data", data ? json_string(data) : json_null());
			free(data);
			json_array_append_new(batch, e);
		}
		mmr_stmt_reset(s);
		if (r2 != MMR_DB_DONE) {
			json_decref(batch);
			rc = r2;
			break;
		}
		if (json_array_size(batch) == 0) {
			json_decref(batch);
			mmr_error_set(err, MMR_ENOTFOUND,
				      "索引 %" PRId64 " 以降の行がありません (削除済み)", next);
			rc = MMR_ENOTFOUND;
			break;
		}
		size_t i;
		json_t *e;
		json_array_foreach (batch, i, e) {
			int64_t idx = json_integer_value(json_object_get(e, "index"));
			if (idx != next) {
				mmr_error_set(err, MMR_ENOTFOUND,
					      "索引 %" PRId64 " の行がありません (削除済み)", next);
				rc = MMR_ENOTFOUND;
				break;
			}
			mmr_hash proof[MMR_LOG_MAX_PROOF];
			size_t n = 0;
			if ((rc = mmr_log_inclusion_proof(db_node, &ns, (uint64_t)idx,
							  (uint64_t)cps, proof, &n, err)))
				break;
			json_object_set_new(e, "tree_size", json_integer(cps));
			json_object_set_new(e, "proof", hex_array(proof, n));
			char *line = json_dumps(e, JSON_COMPACT);
			if (line) {
				fputs(line, out);
				fputc('\n', out);
				if (mem) {
					fputs(line, mem);
					fputc('\n', mem);
				}
				free(line);
			}
			(*written)++;
			next = idx + 1;
		}
		json_decref(batch);
	}
	if (!rc) {
		json_t *tail = json_pack("{s:O}", "checkpoint", cp);
		char *line = json_dumps(tail, JSON_COMPACT);
		json_decref(tail);
		if (line) {
			fputs(line, out);
			fputc('\n', out);
			free(line);
		}
		if (fflush(out)) {
			mmr_error_set(err, MMR_EIO, "書き出しに失敗しました");
			rc = MMR_EIO;
		}
	}
	if (mem)
		fclose(mem);
	if (!rc && file_name) {
		mmr_hash h;
		mmr_log_leaf_hash(all ? all : "", all ? all_len : 0, h);
		char hx[65], now[32];
		mmr_hash_hex(h, hx);
		mmr_now_iso(now);
		static const char ins[] = "INSERT INTO audit_exports (tenant, upto, file, sha256, "
					  "created_at) VALUES ($1, $2, $3, $4, $5)";
		mmr_stmt *s;
		if (!(rc = mmr_db_prepare(st->db, ins, &s, err))) {
			mmr_stmt_text(s, 1, tenant);
			mmr_stmt_int(s, 2, to);
			mmr_stmt_text(s, 3, file_name);
			mmr_stmt_text(s, 4, hx);
			mmr_stmt_text(s, 5, now);
			rc = mmr_stmt_run(s, err);
		}
	}
	free(all);
	json_decref(cp);
	return rc;
}

static int64_t iso_to_ms(const char *iso)
{
	struct tm tm = {0};
	int ms = 0;
	if (!iso || sscanf(iso, "%d-%d-%dT%d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

int mmr_audit_prune(mmr_store *st, const char *tenant, int64_t before, int64_t now_ms,
		    int64_t *pruned, mmr_error *err)
{
	*pruned = 0;
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, tenant, &pol, err);
	if (rc)
		return rc;
	long days = 0;
	if (mmr_policy_setting_int(pol, "log.retention_days", &days) || days <= 0)
		days = MMR_AUDIT_DEFAULT_RETENTION_DAYS;
	mmr_db *db = st->db;
	mmr_stmt *s;
	/* the bounds: exported, checkpointed, and old enough */
	static const char q_exp[] = "SELECT COALESCE(MAX(upto), 0) FROM audit_exports "
				    "WHERE tenant = $1";
	int64_t exported = 0, cps = 0, lo = 0;
	if ((rc = mmr_db_prepare(db, q_exp, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	if ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		exported = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	if (rc != MMR_DB_ROW)
		return rc;
	json_t *cp = NULL;
	if (!mmr_audit_latest_checkpoint(st, tenant, NULL, &cp, err)) {
		cps = json_integer_value(json_object_get(cp, "size"));
		json_decref(cp);
	}
	static const char q_lo[] =
		"SELECT COALESCE(MIN(idx), 0) FROM audit_leaves WHERE tenant = $1";
	if ((rc = mmr_db_prepare(db, q_lo, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	if ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		lo = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	if (rc != MMR_DB_ROW)
		return rc;
	if (before > exported) {
		mmr_error_set(err, MMR_EDENIED,
			      "索引 %" PRId64
			      " より前はまだ書き出されていません (書き出し済み: %" PRId64
			      " まで; mamori log export を先に)",
			      before, exported);
		return MMR_EDENIED;
	}
	if (before > cps) {
		mmr_error_set(err, MMR_EDENIED,
			      "索引 %" PRId64 " より前はチェックポイント (%" PRId64
			      " 件) に含まれていません",
			      before, cps);
		return MMR_EDENIED;
	}
	if (before <= lo)
		return MMR_OK;
	/* every leaf to prune must be older than the retention period */
	static const char q_at[] =
		"SELECT MAX(at) FROM audit_leaves WHERE tenant = $1 AND idx < $2";
	if ((rc = mmr_db_prepare(db, q_at, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, before);
	int64_t at_ms = -1;
	if ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		at_ms = iso_to_ms(mmr_col_text(s, 0));
	mmr_stmt_reset(s);
	if (rc != MMR_DB_ROW && rc != MMR_DB_DONE)
		return rc;
	rc = MMR_OK;
	if (at_ms < 0 || now_ms - at_ms < (int64_t)days * 86400000) {
		mmr_error_set(err, MMR_EDENIED,
			      "索引 %" PRId64
			      " より前に保存期間 (%ld 日) を過ぎていない記録があるので"
			      "削除できません",
			      before, days);
		return MMR_EDENIED;
	}
	if ((rc = mmr_db_begin(db, err)))
		return rc;
	static const char q_keep[] =
		"INSERT INTO audit_pruned (tenant, idx, hash, nodes) SELECT tenant, idx, hash, "
		"nodes FROM audit_leaves WHERE tenant = $1 AND idx < $2";
	static const char q_gate[] = "INSERT INTO audit_prune_gate (tenant, below) VALUES ($1, $2)";
	static const char q_del[] = "DELETE FROM audit_leaves WHERE tenant = $1 AND idx < $2";
	static const char q_ungate[] = "DELETE FROM audit_prune_gate WHERE tenant = $1";
	const char *steps[] = {q_keep, q_gate, q_del, q_ungate};
	for (size_t i = 0; i < 4 && !rc; i++) {
		if ((rc = mmr_db_prepare(db, steps[i], &s, err)))
			break;
		mmr_stmt_text(s, 1, tenant);
		if (i < 3)
			mmr_stmt_int(s, 2, before);
		rc = mmr_stmt_run(s, err);
		if (!rc && i == 2)
			*pruned = mmr_stmt_changes(s);
	}
	if (rc) {
		mmr_db_rollback(db);
		*pruned = 0;
		return rc;
	}
	return mmr_db_commit(db, err);
}

/* ---- search ------------------------------------------------------------------------------ */

int mmr_audit_search(mmr_store *st, const char *tenant, const struct mmr_audit_query *q,
		     json_t **out, mmr_error *err)
{
	*out = NULL;
	int limit = q->limit < 1 ? 50 : q->limit > 500 ? 500 : q->limit;
	static const char sql[] =
		"SELECT idx, at, actor, action, object_kind, object_id, before_digest, "
		"after_digest, decision FROM audit_leaves WHERE tenant = $1 "
		"AND (CAST($2 AS TEXT) IS NULL OR actor = $2) "
		"AND (CAST($3 AS TEXT) IS NULL OR action = $3) "
		"AND (CAST($4 AS TEXT) IS NULL OR object_kind = $4) "
		"AND (CAST($5 AS TEXT) IS NULL OR object_id = $5) "
		"AND (CAST($6 AS TEXT) IS NULL OR at >= $6) AND (CAST($7 AS TEXT) IS NULL OR at < "
		"$7) "
		"AND (CAST($8 AS BIGINT) = 0 OR idx < $8) "
		"ORDER BY idx DESC LIMIT $9";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, sql, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_text(s, 2, q->actor && *q->actor ? q->actor : NULL);
	mmr_stmt_text(s, 3, q->action && *q->action ? q->action : NULL);
	mmr_stmt_text(s, 4, q->object_kind && *q->object_kind ? q->object_kind : NULL);
	mmr_stmt_text(s, 5, q->object_id && *q->object_id ? q->object_id : NULL);
	mmr_stmt_text(s, 6, q->from && *q->from ? q->from : NULL);
	mmr_stmt_text(s, 7, q->to && *q->to ? q->to : NULL);
	mmr_stmt_int(s, 8, q->before > 0 ? q->before : 0);
	mmr_stmt_int(s, 9, limit + 1);
	json_t *items = json_array();
	int64_t next = -1;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if ((int)json_array_size(items) == limit) {
			next = json_integer_value(
				json_object_get(json_array_get(items, (size_t)limit - 1), "index"));
			continue;
		}
		json_array_append_new(items, entry_json(s, 0));
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o}", "items", items);
	json_object_set_new(*out, "next", next >= 0 ? json_integer(next) : json_null());
	return MMR_OK;
}

/* ---- what must be recorded ------------------------------------------------------------ */

bool mmr_audit_asset_is_top(mmr_store *st, const char *tenant, const json_t *asset)
{
	const mmr_policy *pol;
	mmr_error err;
	if (!asset || mmr_tenant_policy(st, tenant, &pol, &err))
		return false;
	json_t *cls = json_object_get(asset, "classification");
	if (!json_is_object(cls))
		return false;
	/* the confidentiality axis: the one with that id, else the first */
	size_t n_axes = mmr_policy_axis_count(pol), ax = 0;
	const char *axis_id = NULL, *name;
	size_t n_levels = 0;
	for (size_t i = 0; i < n_axes; i++) {
		const char *id;
		size_t nl;
		if (!mmr_policy_axis_at(pol, i, &id, &name, &nl) &&
		    !strcmp(id, "confidentiality")) {
			ax = i;
			break;
		}
	}
	if (n_axes == 0 || mmr_policy_axis_at(pol, ax, &axis_id, &name, &n_levels) || !n_levels)
		return false;
	const char *have = json_string_value(json_object_get(cls, axis_id));
	if (!have)
		return false;
	const char *top;
	if (mmr_policy_level_at(pol, ax, 0, &top, &name))
		return false;
	if (!strcmp(have, top))
		return true;
	/* lettered sub-levels of the top number (機密性3A → 3B): the class the
	 * guideline names together with the top one */
	const char *second;
	if (n_levels > 1 && !mmr_policy_level_at(pol, ax, 1, &second, &name) &&
	    !strcmp(have, second) && strlen(top) == 2 && strlen(second) == 2 &&
	    top[0] == second[0] && top[0] >= '0' && top[0] <= '9')
		return true;
	return false;
}
