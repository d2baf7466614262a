/*
 * session_cache.h — a process-wide cache of checked sessions, so that a
 * request whose session was read from the database less than
 * MMR_SESSION_CACHE_WINDOW_MS ago does not read it again (issue 3: the
 * decision point at 20,000 requests/s on PostgreSQL, where every read is a
 * round trip to another process).
 *
 * What it promises (mmr_session_check relies on it; see session.c):
 * - An entry is keyed by the SHA-256 of the bearer token (the key of the
 *   sessions table), never the token, and holds what one database read
 *   answered: the actor (tenant, user, roles), the CSRF token, whether the
 *   password is temporary, last_seen_at, expires_at and the idle timeout.
 *   The idle and absolute limits are checked against those timestamps on
 *   every hit, exactly as a database read would; the cache never extends a
 *   session, and a session whose idle clock is due an update (10 s) or that
 *   has ended goes back to the database.
 * - Writes made through this process invalidate at once: the writers bump a
 *   generation counter (mmr_session_cache_invalidate) after they commit, and
 *   an entry filled under an older generation is never served. The HTTP
 *   server bumps it after every request that may write (any method but GET
 *   and HEAD, except POST /api/v1/decide); session.c bumps it itself after a
 *   sign-out, password change, unlock or lockout.
 * - A change made by ANOTHER process (another `mamori serve`, the CLI, psql)
 *   is seen at most MMR_SESSION_CACHE_WINDOW_MS (1 s) after it commits: an
 *   entry is served only for that long after the read that filled it began.
 * - Bounded (MMR_SESSION_CACHE_ENTRIES entries, the least recently filled of
 *   a set replaced) and thread-safe (one mutex per stripe of sets).
 *
 * The cache is off until mmr_session_cache_start(): `mamori serve` turns it
 * on; the CLI and the store tests that do not ask for it read the database
 * every time, as before.
 */
#ifndef MMR_SESSION_CACHE_H
#define MMR_SESSION_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define MMR_SESSION_CACHE_WINDOW_MS 1000
#define MMR_SESSION_CACHE_ENTRIES 4096

/* What a session read answered (see mmr_session_check). */
struct mmr_session_cached {
	mmr_actor actor;
	char csrf[65];
	bool temporary;	   /* must change the password first */
	int64_t last_seen; /* last_seen_at as the database holds it */
	int64_t expires;   /* expires_at */
	int64_t idle;	   /* the tenant's idle timeout, seconds */
};

/* Turn the cache on, serving an entry for `window_ms` after the read that
 * filled it began (the server passes MMR_SESSION_CACHE_WINDOW_MS; tests a
 * longer one, to tell an invalidation from an entry timing out), allocating
 * its table on first use. MMR_OK, MMR_EINVAL for a window outside 1 ms–60 s,
 * or MMR_ENOMEM (the cache stays off). Stop empties and frees it. Call both
 * before the threads that check sessions start or after they stop. */
int mmr_session_cache_start(int64_t window_ms);
void mmr_session_cache_stop(void);

/* When a database read began, and under which generation: take it BEFORE
 * the read whose answer is then put, so that a write committed meanwhile
 * makes the entry stale, and the window counts from the read. */
struct mmr_session_cache_mark {
	uint64_t gen;
	int64_t at_ms; /* CLOCK_MONOTONIC */
};
void mmr_session_cache_mark(struct mmr_session_cache_mark *mark);

/* Make every entry stale (a write that may change a session, a user or their
 * roles has committed). Cheap: one atomic increment. */
void mmr_session_cache_invalidate(void);

/* Copy the entry of `key` (a token's SHA-256) into `out`: true when there is
 * one of the current generation filled less than the window ago. */
bool mmr_session_cache_get(const unsigned char key[32], struct mmr_session_cached *out);

/* Remember `val` for `key`, read from the database after `mark` was taken
 * (a stale mark puts nothing). */
void mmr_session_cache_put(const unsigned char key[32], const struct mmr_session_cache_mark *mark,
			   const struct mmr_session_cached *val);

/* Forget the entry of `key` (the session ended). */
void mmr_session_cache_evict(const unsigned char key[32]);

#endif
