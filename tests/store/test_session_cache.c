/*
 * test_session_cache.c — the session cache (store/session_cache.h) on SQLite
 * and PostgreSQL: `test_session_cache SRC_ROOT sqlite|postgres`.
 *
 * What must hold with the cache on: a session ended or changed through this
 * process is seen at once; the idle and absolute limits end a session at
 * the same second as without the cache; a change made by another process
 * (here: another store handle) is seen once the window has passed; a token
 * only ever answers its own tenant's actor, from several threads at once.
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/session_cache.h"
#include "store/store.h"
#include "storefx.h"

#define PASSWORD "Correct-Horse-9!"
#define T0 1900000000 /* a fixed "now": the limits are counted from it */
#define LONG_WINDOW_MS 60000

struct fx {
	mmr_store *st;
	int64_t u_staff, u_admin, u_other;
};

static void must(int rc, const mmr_error *err)
{
	if (rc)
		fail_msg("rc=%d %s", rc, err->message);
}

static int64_t user(mmr_store *st, const char *tenant, const char *json)
{
	mmr_error err;
	mmr_actor sys;
	mmr_actor_system(&sys, tenant);
	json_t *in = json_loads(json, 0, NULL), *out = NULL;
	assert_non_null(in);
	must(mmr_ledger_create(st, &sys, "users", in, &out, &err), &err);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(out);
	must(mmr_user_set_password(st, tenant, id, PASSWORD, false, &err), &err);
	return id;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	mmr_error err;
	must(sfx_open(&f->st, &err), &err);
	must(sfx_tenant(f->st, "toyohashi", "豊橋市", "toyohashi", &err), &err);
	must(sfx_tenant(f->st, "other", "別の団体", "guideline", &err), &err);
	/* the same login in both bodies: only the token tells them apart */
	f->u_staff = user(f->st, "toyohashi",
			  "{\"login\":\"staff1\",\"name\":\"豊橋 花子\",\"roles\":[\"staff\"]}");
	f->u_admin = user(f->st, "toyohashi",
			  "{\"login\":\"admin1\",\"name\":\"管理 一郎\",\"roles\":[\"ciso\"]}");
	f->u_other = user(f->st, "other",
			  "{\"login\":\"staff1\",\"name\":\"別の 花子\",\"roles\":[\"staff\"]}");
	/* a window far longer than any test: what ends a cached session early
	 * is an invalidation, never the entry timing out */
	assert_int_equal(mmr_session_cache_start(LONG_WINDOW_MS), MMR_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mmr_session_cache_stop();
	mmr_store_close(f->st);
	free(f);
	return 0;
}

static void signin(struct fx *f, const char *tenant, const char *login, int64_t now,
		   struct mmr_signin *s)
{
	mmr_error err;
	must(mmr_session_open(f->st, tenant, login, PASSWORD, NULL, now, s, &err), &err);
}

static int check(mmr_store *st, const char *token, int64_t now, mmr_actor *a)
{
	mmr_error err;
	bool must_change;
	char csrf[65];
	return mmr_session_check(st, token, now, a, csrf, &must_change, &err);
}

/* Whether the cache holds a fresh entry for `token`. */
static bool cached(const char *token)
{
	unsigned char key[32];
	crypto_hash_sha256(key, (const unsigned char *)token, strlen(token));
	struct mmr_session_cached c;
	bool hit = mmr_session_cache_get(key, &c);
	sodium_memzero(&c, sizeof c);
	return hit;
}

/* Run `sql` with the token's hash as $1 on another store handle: another
 * process, as far as this one's cache knows. */
static void elsewhere(const char *sql, const char *token)
{
	mmr_error err;
	mmr_store *other;
	must(mmr_store_open(sfx_target, NULL, &other, &err), &err);
	unsigned char h[32];
	char th[65];
	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(th, sizeof th, h, sizeof h);
	mmr_stmt *s;
	must(mmr_db_prepare(mmr_store_db(other), sql, &s, &err), &err);
	mmr_stmt_text(s, 1, th);
	must(mmr_stmt_run(s, &err), &err);
	mmr_store_close(other);
}

static void wait_window(void)
{
	usleep((MMR_SESSION_CACHE_WINDOW_MS + 200) * 1000);
}

static void answers_own_tenant(void **state)
{
	struct fx *f = *state;
	struct mmr_signin a, b;
	signin(f, "toyohashi", "staff1", T0, &a);
	signin(f, "other", "staff1", T0, &b);
	for (int i = 0; i < 4; i++) {
		mmr_actor x;
		assert_int_equal(check(f->st, a.token, T0 + 1, &x), MMR_OK);
		assert_string_equal(x.tenant, "toyohashi");
		assert_int_equal(x.user_id, f->u_staff);
		assert_int_equal(check(f->st, b.token, T0 + 1, &x), MMR_OK);
		assert_string_equal(x.tenant, "other");
		assert_int_equal(x.user_id, f->u_other);
	}
	assert_true(cached(a.token));
	assert_true(cached(b.token));
	/* a token the database does not know is never cached */
	char fake[65];
	memset(fake, 'a', 64);
	fake[64] = '\0';
	mmr_actor x;
	assert_int_equal(check(f->st, fake, T0 + 1, &x), MMR_EAUTH);
	assert_false(cached(fake));
}

static void signout_at_once(void **state)
{
	struct fx *f = *state;
	struct mmr_signin s;
	signin(f, "toyohashi", "staff1", T0, &s);
	mmr_actor x;
	assert_int_equal(check(f->st, s.token, T0, &x), MMR_OK);
	assert_true(cached(s.token));
	mmr_error err;
	must(mmr_session_close(f->st, s.token, &err), &err);
	assert_false(cached(s.token));
	assert_int_equal(check(f->st, s.token, T0, &x), MMR_EAUTH);
}

static void writes_here_at_once(void **state)
{
	struct fx *f = *state;
	struct mmr_signin s, adm;
	signin(f, "toyohashi", "staff1", T0, &s);
	signin(f, "toyohashi", "admin1", T0, &adm);
	mmr_actor x;
	mmr_error err;
	bool must_change = false;
	char csrf[65];
	assert_int_equal(check(f->st, s.token, T0, &x), MMR_OK);
	/* an administrator issues a temporary password: the next request of
	 * the user's session must change it first */
	must(mmr_user_set_password(f->st, "toyohashi", f->u_staff, PASSWORD, true, &err), &err);
	must(mmr_session_check(f->st, s.token, T0, &x, csrf, &must_change, &err), &err);
	assert_true(must_change);
	assert_string_equal(csrf, s.csrf);
	/* five wrong passwords lock the account; its open session ends at once */
	assert_int_equal(check(f->st, adm.token, T0, &x), MMR_OK);
	struct mmr_signin no;
	for (int i = 0; i < 5; i++)
		mmr_session_open(f->st, "toyohashi", "admin1", "wrong", NULL, T0, &no, &err);
	assert_int_equal(mmr_session_check(f->st, adm.token, T0, &x, csrf, &must_change, &err),
			 MMR_EAUTH);
	assert_non_null(strstr(err.message, "ロック"));
}

static void limits_from_cached_times(void **state)
{
	struct fx *f = *state;
	struct mmr_signin s, adm;
	mmr_actor x;
	/* idle: 15 minutes (the guideline's default) */
	signin(f, "toyohashi", "staff1", T0, &s);
	assert_int_equal(check(f->st, s.token, T0, &x), MMR_OK);
	assert_int_equal(check(f->st, s.token, T0 + 9, &x), MMR_OK);
	assert_true(cached(s.token));
	assert_int_equal(check(f->st, s.token, T0 + 15 * 60 + 1, &x), MMR_EAUTH);
	assert_int_equal(check(f->st, s.token, T0, &x), MMR_EAUTH); /* and it is gone */
	/* the administrator's limit: 60 minutes after sign-in, however busy */
	signin(f, "toyohashi", "admin1", T0, &adm);
	int64_t end = adm.expires_at;
	assert_int_equal(end, T0 + 60 * 60);
	for (int64_t t = T0; t < end - 5; t += 10 * 60)
		assert_int_equal(check(f->st, adm.token, t, &x), MMR_OK);
	assert_int_equal(check(f->st, adm.token, end - 5, &x), MMR_OK); /* idle clock moves */
	assert_int_equal(check(f->st, adm.token, end - 1, &x), MMR_OK); /* from the cache */
	assert_true(cached(adm.token));
	assert_int_equal(check(f->st, adm.token, end, &x), MMR_EAUTH); /* not a second more */
	assert_int_equal(check(f->st, adm.token, end - 1, &x), MMR_EAUTH);
}

static void idle_clock_still_advances(void **state)
{
	struct fx *f = *state;
	struct mmr_signin s;
	mmr_actor x;
	signin(f, "toyohashi", "staff1", T0, &s);
	/* a request every 5 s for 20 minutes: the cache answers most of them,
	 * the database's last_seen_at still moves every 10 s, so the session
	 * never looks idle */
	for (int64_t t = T0; t <= T0 + 20 * 60; t += 5)
		assert_int_equal(check(f->st, s.token, t, &x), MMR_OK);
	/* seen from another handle (the cache of this one emptied) */
	mmr_session_cache_stop();
	mmr_session_cache_start(LONG_WINDOW_MS);
	assert_int_equal(check(f->st, s.token, T0 + 20 * 60 + 14 * 60, &x), MMR_OK);
}

static void other_process_within_window(void **state)
{
	struct fx *f = *state;
	struct mmr_signin s, t;
	mmr_actor x;
	mmr_session_cache_start(MMR_SESSION_CACHE_WINDOW_MS); /* the server's */
	signin(f, "toyohashi", "staff1", T0, &s);
	time_t now = time(NULL);
	assert_int_equal(check(f->st, s.token, T0, &x), MMR_OK);
	elsewhere("DELETE FROM sessions WHERE token_hash = $1", s.token);
	/* within the window the cache may still answer (this is its bound) */
	if (time(NULL) - now < 1)
		assert_int_equal(check(f->st, s.token, T0, &x), MMR_OK);
	wait_window();
	assert_int_equal(check(f->st, s.token, T0, &x), MMR_EAUTH);
	/* a lock set by another process, likewise */
	signin(f, "toyohashi", "staff1", T0, &t);
	assert_int_equal(check(f->st, t.token, T0, &x), MMR_OK);
	elsewhere("UPDATE users SET locked_at = '2030-01-01T00:00:00Z' WHERE id = "
		  "(SELECT user_id FROM sessions WHERE token_hash = $1)",
		  t.token);
	wait_window();
	assert_int_equal(check(f->st, t.token, T0, &x), MMR_EAUTH);
}

static void stale_read_not_kept(void **state)
{
	(void)state;
	unsigned char key[32];
	randombytes_buf(key, sizeof key);
	struct mmr_session_cached v = {.expires = T0 + 100, .last_seen = T0, .idle = 900};
	snprintf(v.actor.tenant, sizeof v.actor.tenant, "toyohashi");
	struct mmr_session_cache_mark m;
	/* a write commits between the mark and the put: the answer is dropped */
	mmr_session_cache_mark(&m);
	mmr_session_cache_invalidate();
	mmr_session_cache_put(key, &m, &v);
	struct mmr_session_cached out;
	assert_false(mmr_session_cache_get(key, &out));
	mmr_session_cache_mark(&m);
	mmr_session_cache_put(key, &m, &v);
	assert_true(mmr_session_cache_get(key, &out));
	assert_string_equal(out.actor.tenant, "toyohashi");
	/* after an invalidation nothing older is served */
	mmr_session_cache_invalidate();
	assert_false(mmr_session_cache_get(key, &out));
	/* bounded: many more keys than entries, the newest still found */
	for (int i = 0; i < 3 * MMR_SESSION_CACHE_ENTRIES; i++) {
		randombytes_buf(key, sizeof key);
		mmr_session_cache_mark(&m);
		mmr_session_cache_put(key, &m, &v);
	}
	assert_true(mmr_session_cache_get(key, &out));
}

/* ---- many threads, one store each (as the server's pool) ---- */

struct worker {
	const char *tokens[2];
	const char *tenants[2];
	int64_t users[2];
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	mmr_error err;
	mmr_store *st;
	if (mmr_store_open(sfx_target, NULL, &st, &err)) {
		w->bad++;
		return NULL;
	}
	for (int i = 0; i < 400; i++) {
		int k = i & 1;
		mmr_actor x;
		if (i % 50 == 0)
			mmr_session_cache_invalidate();
		if (check(st, w->tokens[k], T0 + 1, &x) != MMR_OK ||
		    strcmp(x.tenant, w->tenants[k]) || x.user_id != w->users[k])
			w->bad++;
	}
	mmr_store_close(st);
	return NULL;
}

static void threads_answer_their_own(void **state)
{
	struct fx *f = *state;
	struct mmr_signin a, b;
	signin(f, "toyohashi", "staff1", T0, &a);
	signin(f, "other", "staff1", T0, &b);
	struct worker w[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		/* half the threads ask in the other order */
		int k = i & 1;
		w[i] = (struct worker){
			.tokens = {k ? b.token : a.token, k ? a.token : b.token},
			.tenants = {k ? "other" : "toyohashi", k ? "toyohashi" : "other"},
			.users = {k ? f->u_other : f->u_staff, k ? f->u_staff : f->u_other}};
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
}

int main(int argc, char **argv)
{
	int bad = sfx_args(argc, argv, "session-cache");
	if (bad)
		return bad;
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(answers_own_tenant, setup, teardown),
		cmocka_unit_test_setup_teardown(signout_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_here_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_from_cached_times, setup, teardown),
		cmocka_unit_test_setup_teardown(idle_clock_still_advances, setup, teardown),
		cmocka_unit_test_setup_teardown(other_process_within_window, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_read_not_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(threads_answer_their_own, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name(argv[2], tests, NULL, NULL);
	sfx_remove();
	return rc;
}
