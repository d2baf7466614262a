/*
 * pcache.c — SQLite's own page cache (pcache1), with the lock page's
 * number kept out of it.
 *
 * Why. When SQLite splits a b-tree page in the middle of an index
 * (balance_nonroot), it renumbers the new pages so that they stay in
 * ascending order, and it swaps two pages' numbers through a spare one: the
 * lock page's (PENDING_BYTE / page size + 1, 262,145 for 4 KiB pages), a
 * page no database uses. pcache1 remembers the largest key it has held since
 * its last truncation, and at every commit the pager truncates the cache to
 * the database's size. When that remembered key lies further beyond the
 * size than the cache's hash table is long — always, once it is the lock
 * page's — pcache1 walks every slot of its hash table and every page in it.
 * So every transaction that split an index page in its middle paid, at
 * commit, a walk over the whole cache (32 MiB: ~8,000 pages, each a cache
 * miss). In the audit group's committer that walk was ~10% of its time: two
 * indexes of the audit log (actor, object) split in their middles about once
 * a transaction.
 *
 * How. This cache hands every call to pcache1 and changes only the key: a
 * page given the lock page's number is kept under key 0. SQLite never uses
 * page 0 (page numbers start at 1, and the pager refuses 0 before it asks
 * its cache), so key 0 is free; the swap leaves the page there only between
 * two renumberings; and key 0 is never larger than anything pcache1 has
 * remembered. A truncation keeps key 0 (it drops keys from 1 up), which is
 * right: the pager never truncates between the renumberings, and destroying
 * the cache drops every key.
 */
#include <pthread.h>
#include <sqlite3.h>

#include "store/pcache.h"

/* SQLite's PENDING_BYTE (sqlite3.c); its page is the lock page. */
#define LOCK_BYTE 0x40000000u

struct wcache {
	sqlite3_pcache *inner;
	unsigned lock; /* the lock page's number at this cache's page size */
};

static sqlite3_pcache_methods2 g_inner;
static uint64_t g_moves;
static bool g_installed;

static unsigned key(const struct wcache *c, unsigned k)
{
	return k == c->lock ? 0 : k;
}

static int w_init(void *arg)
{
	(void)arg;
	return g_inner.xInit ? g_inner.xInit(g_inner.pArg) : SQLITE_OK;
}

static void w_shutdown(void *arg)
{
	(void)arg;
	if (g_inner.xShutdown)
		g_inner.xShutdown(g_inner.pArg);
}

static sqlite3_pcache *w_create(int page, int extra, int purgeable)
{
	struct wcache *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return NULL;
	c->inner = g_inner.xCreate(page, extra, purgeable);
	if (!c->inner) {
		sqlite3_free(c);
		return NULL;
	}
	c->lock = page > 0 ? LOCK_BYTE / (unsigned)page + 1 : 0;
	return (sqlite3_pcache *)c;
}

static void w_cachesize(sqlite3_pcache *p, int n)
{
	g_inner.xCachesize(((struct wcache *)p)->inner, n);
}

static int w_pagecount(sqlite3_pcache *p)
{
	return g_inner.xPagecount(((struct wcache *)p)->inner);
}

static sqlite3_pcache_page *w_fetch(sqlite3_pcache *p, unsigned k, int create)
{
	struct wcache *c = (struct wcache *)p;
	return g_inner.xFetch(c->inner, key(c, k), create);
}

static void w_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
	g_inner.xUnpin(((struct wcache *)p)->inner, pg, discard);
}

static void w_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned from, unsigned to)
{
	struct wcache *c = (struct wcache *)p;
	if (to == c->lock)
		__atomic_fetch_add(&g_moves, 1, __ATOMIC_RELAXED);
	g_inner.xRekey(c->inner, pg, key(c, from), key(c, to));
}

static void w_truncate(sqlite3_pcache *p, unsigned limit)
{
	g_inner.xTruncate(((struct wcache *)p)->inner, limit);
}

static void w_destroy(sqlite3_pcache *p)
{
	struct wcache *c = (struct wcache *)p;
	g_inner.xDestroy(c->inner);
	sqlite3_free(c);
}

static void w_shrink(sqlite3_pcache *p)
{
	g_inner.xShrink(((struct wcache *)p)->inner);
}

static void install(void)
{
	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &g_inner) != SQLITE_OK ||
	    g_inner.iVersion < 1 || !g_inner.xCreate)
		return;
	static sqlite3_pcache_methods2 wrap = {
		.iVersion = 1,
		.xInit = w_init,
		.xShutdown = w_shutdown,
		.xCreate = w_create,
		.xCachesize = w_cachesize,
		.xPagecount = w_pagecount,
		.xFetch = w_fetch,
		.xUnpin = w_unpin,
		.xRekey = w_rekey,
		.xTruncate = w_truncate,
		.xDestroy = w_destroy,
		.xShrink = w_shrink,
	};
	/* SQLITE_MISUSE once SQLite is initialised: then it keeps its own */
	g_installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrap) == SQLITE_OK;
}

bool mmr_pcache_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install);
	return g_installed;
}

uint64_t mmr_pcache_lock_moves(void)
{
	return __atomic_load_n(&g_moves, __ATOMIC_RELAXED);
}
