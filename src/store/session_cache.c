/*
 * session_cache.c — the process-wide cache of checked sessions (see
 * session_cache.h for what it promises).
 *
 * A set-associative table: the key (a SHA-256, uniformly spread) picks a set
 * of WAYS entries; a mutex guards each stripe of sets, so the pool threads
 * rarely wait for one another. Entries hold a CSRF token: they are wiped
 * when evicted, replaced or when the cache is turned off.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/session_cache.h"

#define WAYS 4
#define SETS (MMR_SESSION_CACHE_ENTRIES / WAYS)
#define STRIPES 64

struct entry {
	unsigned char key[32];
	bool used;
	uint64_t gen;
	int64_t at_ms; /* when the read that filled it began */
	struct mmr_session_cached val;
};

static struct entry *table; /* SETS * WAYS entries, NULL while off */
static pthread_mutex_t stripes[STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t generation = 1;
static int64_t window = MMR_SESSION_CACHE_WINDOW_MS;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t set_of(const unsigned char key[32])
{
	uint32_t h;
	memcpy(&h, key, sizeof h);
	return h % SETS;
}

static void wipe(struct entry *e)
{
	sodium_memzero(e, sizeof *e);
}

/* Whether `e` may still be served at `now` under generation `gen`. */
static bool fresh(const struct entry *e, uint64_t gen, int64_t now)
{
	return e->used && e->gen == gen && now >= e->at_ms && now - e->at_ms < window;
}

static void stripes_init(void)
{
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
}

int mmr_session_cache_start(int64_t window_ms)
{
	pthread_once(&stripes_once, stripes_init);
	if (window_ms < 1 || window_ms > 60000)
		return MMR_EINVAL;
	if (!table && !(table = calloc((size_t)SETS * WAYS, sizeof *table)))
		return MMR_ENOMEM;
	window = window_ms;
	return MMR_OK;
}

void mmr_session_cache_stop(void)
{
	if (!table)
		return;
	sodium_memzero(table, (size_t)SETS * WAYS * sizeof *table);
	free(table);
	table = NULL;
}

void mmr_session_cache_mark(struct mmr_session_cache_mark *mark)
{
	mark->gen = atomic_load(&generation);
	mark->at_ms = mono_ms();
}

void mmr_session_cache_invalidate(void)
{
	atomic_fetch_add(&generation, 1);
}

bool mmr_session_cache_get(const unsigned char key[32], struct mmr_session_cached *out)
{
	if (!table)
		return false;
	uint64_t gen = atomic_load(&generation);
	int64_t now = mono_ms();
	size_t set = set_of(key);
	struct entry *e = &table[set * WAYS];
	bool hit = false;
	pthread_mutex_lock(&stripes[set % STRIPES]);
	for (size_t i = 0; i < WAYS; i++) {
		if (!e[i].used || sodium_memcmp(e[i].key, key, 32))
			continue;
		if (fresh(&e[i], gen, now)) {
			*out = e[i].val;
			hit = true;
		} else {
			wipe(&e[i]);
		}
		break;
	}
	pthread_mutex_unlock(&stripes[set % STRIPES]);
	return hit;
}

void mmr_session_cache_put(const unsigned char key[32], const struct mmr_session_cache_mark *mark,
			   const struct mmr_session_cached *val)
{
	if (!table)
		return;
	uint64_t gen = atomic_load(&generation);
	if (mark->gen != gen)
		return; /* a write committed during the read: its answer may be stale */
	int64_t now = mono_ms();
	size_t set = set_of(key);
	struct entry *e = &table[set * WAYS], *victim = NULL;
	pthread_mutex_lock(&stripes[set % STRIPES]);
	for (size_t i = 0; i < WAYS && !victim; i++)
		if (e[i].used && !sodium_memcmp(e[i].key, key, 32))
			victim = &e[i];
	if (victim && fresh(victim, gen, now) && victim->at_ms > mark->at_ms) {
		/* another thread put a later read: keep it */
		pthread_mutex_unlock(&stripes[set % STRIPES]);
		return;
	}
	for (size_t i = 0; i < WAYS && !victim; i++)
		if (!fresh(&e[i], gen, now))
			victim = &e[i];
	if (!victim) {
		victim = &e[0];
		for (size_t i = 1; i < WAYS; i++)
			if (e[i].at_ms < victim->at_ms)
				victim = &e[i];
	}
	wipe(victim);
	memcpy(victim->key, key, 32);
	victim->used = true;
	victim->gen = mark->gen;
	victim->at_ms = mark->at_ms;
	victim->val = *val;
	pthread_mutex_unlock(&stripes[set % STRIPES]);
}

void mmr_session_cache_evict(const unsigned char key[32])
{
	if (!table)
		return;
	size_t set = set_of(key);
	struct entry *e = &table[set * WAYS];
	pthread_mutex_lock(&stripes[set % STRIPES]);
	for (size_t i = 0; i < WAYS; i++)
		if (e[i].used && !sodium_memcmp(e[i].key, key, 32))
			wipe(&e[i]);
	pthread_mutex_unlock(&stripes[set % STRIPES]);
}
