/*
 * session.c — sign-in: passwords (Argon2id), lockout, TOTP, sessions.
 * Every number comes from the tenant's profile settings (see
 * docs/profile-language.md "settings"); the defaults are the guideline's.
 *
 * Sessions are stored by the SHA-256 of their bearer token: a copy of the
 * database does not let anyone sign in. Tokens and passwords are never
 * logged nor put in an error message.
 *
 * mmr_session_check answers from the session cache (session_cache.h) when
 * the server has turned it on: a session read less than 1 s ago is not read
 * again, its limits are checked against the cached timestamps, and the
 * writes here that end or change a session make the cache stale once they
 * have committed. A change made by another process is seen within 1 s.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "store/audit.h"
#include "store/session_cache.h"
#include "store/store_int.h"

#define DEFAULT_LOCKOUT 5
#define DEFAULT_IDLE_MINUTES 15
#define DEFAULT_ADMIN_MINUTES 60
#define SESSION_MAX_SECONDS (12 * 3600) /* a working day, whatever the activity */

static long setting(const mmr_policy *pol, const char *key, long dflt)
{
	long v;
	return mmr_policy_setting_int(pol, key, &v) == MMR_OK && v > 0 ? v : dflt;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void token_hash(const char *token, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	hex(h, sizeof h, out);
}

static void random_hex(char out[65])
{
	unsigned char b[32];
	randombytes_buf(b, sizeof b);
	hex(b, sizeof b, out);
}

/* Pass `rc` through after making the session cache stale: for the writes
 * here that change whether a session may go on (password, lock), called
 * once they have committed (see session_cache.h; when they run inside a
 * caller's transaction, the HTTP server invalidates again after the request). */
static int invalidating(int rc)
{
	mmr_session_cache_invalidate();
	return rc;
}

int mmr_user_find_login(mmr_store *st, const char *tenant, const char *login, int64_t *user_id,
			mmr_error *err)
{
	static const char q[] = "SELECT id FROM users WHERE tenant = $1 AND login = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_text(s, 2, login);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW)
		*user_id = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "利用者 \"%s\" はありません", login);
		return MMR_ENOTFOUND;
	}
	return rc == MMR_DB_ROW ? MMR_OK : rc;
}

int mmr_user_set_password(mmr_store *st, const char *tenant, int64_t user_id, const char *password,
			  bool temporary, mmr_error *err)
{
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, tenant, &pol, err);
	if (rc)
		return rc;
	struct mmr_password_rule rule;
	mmr_auth_password_rule_from_policy(pol, &rule);
	if ((rc = mmr_auth_password_check(&rule, password, err))) {
		char msg[sizeof err->message];
		snprintf(msg, sizeof msg, "%s", err->message);
		mmr_field_error(err, rc, "password", "%s", msg);
		return rc;
	}
	char hash[MMR_PWHASH_MAX];
	if ((rc = mmr_auth_password_hash(password, hash, err)))
		return rc;
	static const char q[] = "UPDATE users SET password_hash = $3, password_temporary = $4, "
				"failed_logins = 0 WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	if ((rc = mmr_db_prepare(st->db, q, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user_id);
	mmr_stmt_text(s, 3, hash);
	mmr_stmt_int(s, 4, temporary);
	if ((rc = mmr_db_begin(st->db, err))) {
		sodium_memzero(hash, sizeof hash);
		return rc;
	}
	rc = mmr_stmt_run(s, err);
	sodium_memzero(hash, sizeof hash);
	if (!rc && mmr_stmt_changes(s) != 1) {
		mmr_error_set(err, MMR_ENOTFOUND, "利用者 %" PRId64 " はありません", user_id);
		rc = MMR_ENOTFOUND;
	}
	if (!rc) {
		/* that it changed, and whether temporary; never the password */
		mmr_actor sys;
		mmr_actor_system(&sys, tenant);
		json_t *after = json_pack("{s:b}", "temporary", temporary);
		rc = mmr_audit_record(st, &sys, "user.password_set", "users", user_id, NULL, after,
				      NULL, err);
		json_decref(after);
	}
	return invalidating(mmr_db_end(st->db, rc, err));
}

int mmr_user_unlock(mmr_store *st, const char *tenant, int64_t user_id, mmr_error *err)
{
	static const char q[] = "UPDATE users SET locked_at = NULL, failed_logins = 0 "
				"WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user_id);
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	rc = mmr_stmt_run(s, err);
	if (!rc) {
		mmr_actor sys;
		mmr_actor_system(&sys, tenant);
		rc = mmr_audit_record(st, &sys, "user.unlock", "users", user_id, NULL, NULL, NULL,
				      err);
	}
	return invalidating(mmr_db_end(st->db, rc, err));
}

/* Whether the profile requires MFA of this user: a role in
 * mfa.required_roles, or a system in a segment of mfa.required_segments that
 * the user manages or is scoped to. */
static int mfa_required(mmr_store *st, const mmr_policy *pol, const mmr_actor *who, bool *required,
			mmr_error *err)
{
	*required = false;
	const char *items[32];
	size_t n = 0;
	if (mmr_policy_setting_list(pol, "mfa.required_roles", items, 32, &n) == MMR_OK) {
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(items[i]);
			for (const char *p = who->roles; p && *p;) {
				const char *e = strchr(p, ',');
				size_t pl = e ? (size_t)(e - p) : strlen(p);
				if (pl == l && !strncmp(p, items[i], l))
					*required = true;
				p = e ? e + 1 : NULL;
			}
		}
	}
	if (*required)
		return MMR_OK;
	if (mmr_policy_setting_list(pol, "mfa.required_segments", items, 32, &n) != MMR_OK)
		n = 1, items[0] = "mynumber";
	static const char q[] =
		"SELECT count(*) FROM systems WHERE tenant = $1 AND segment = $3 AND (manager_id "
		"= $2 OR id IN (SELECT scope_id FROM user_roles WHERE tenant = $1 AND user_id = $2 "
		"AND scope_kind = 'system'))";
	for (size_t i = 0; i < n && !*required; i++) {
		mmr_stmt *s;
		int rc = mmr_db_prepare(st->db, q, &s, err);
		if (rc)
			return rc;
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, who->user_id);
		mmr_stmt_text(s, 3, items[i]);
		rc = mmr_stmt_step(s, err);
		if (rc == MMR_DB_ROW)
			*required = mmr_col_int(s, 0) > 0;
		mmr_stmt_reset(s);
		if (rc != MMR_DB_ROW)
			return rc;
	}
	return MMR_OK;
}

int mmr_user_mfa_required(mmr_store *st, const mmr_actor *who, bool *required, mmr_error *err)
{
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	return mfa_required(st, pol, who, required, err);
}

static int bad_credentials(mmr_error *err)
{
	mmr_error_set(err, MMR_EAUTH, "ログイン名またはパスワードが違います");
	return MMR_EAUTH;
}

/* A sign-in event in the audit log (issue 4): the login as typed, never the
 * password. Answers `keep` unless recording fails. */
static int signin_event(mmr_store *st, const char *tenant, const char *login, int64_t uid,
			const char *action, int keep, mmr_error *err)
{
	char id[32];
	snprintf(id, sizeof id, "%" PRId64, uid);
	struct mmr_audit_event ev = {.tenant = tenant,
				     .actor = login ? login : "",
				     .action = action,
				     .object_kind = "users",
				     .object_id = uid > 0 ? id : NULL};
	mmr_error e2;
	int rc = mmr_audit_append(st, &ev, NULL, &e2);
	if (rc) {
		*err = e2;
		return rc;
	}
	return keep;
}

int mmr_session_open(mmr_store *st, const char *tenant, const char *login, const char *password,
		     const char *totp, int64_t now, struct mmr_signin *out, mmr_error *err)
{
	memset(out, 0, sizeof *out);
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, tenant, &pol, err);
	if (rc == MMR_ENOTFOUND)
		return bad_credentials(err);
	if (rc)
		return rc;
	static const char q[] = "SELECT id, password_hash, password_temporary, failed_logins, "
				"locked_at, totp_secret, totp_last_step FROM users "
				"WHERE tenant = $1 AND login = $2";
	mmr_stmt *s;
	if ((rc = mmr_db_prepare(st->db, q, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_text(s, 2, login ? login : "");
	rc = mmr_stmt_step(s, err);
	if (rc != MMR_DB_ROW) {
		mmr_stmt_reset(s);
		if (rc != MMR_DB_DONE)
			return rc;
		/* spend the time a real check would, so that timing tells nothing */
		mmr_auth_password_verify("$argon2id$v=19$m=65536,t=2,p=1$"
					 "c29tZXNhbHRzb21lc2FsdA$"
					 "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
					 password ? password : "");
		rc = bad_credentials(err);
		return signin_event(st, tenant, login, 0, "session.signin_failed", rc, err);
	}
	int64_t uid = mmr_col_int(s, 0);
	char hash[MMR_PWHASH_MAX] = "", secret[129] = "";
	snprintf(hash, sizeof hash, "%s", mmr_col_text(s, 1) ? mmr_col_text(s, 1) : "");
	bool temporary = mmr_col_int(s, 2);
	int64_t failed = mmr_col_int(s, 3);
	bool locked = !mmr_col_null(s, 4);
	if (mmr_col_text(s, 5))
		snprintf(secret, sizeof secret, "%s", mmr_col_text(s, 5));
	int64_t last_step = mmr_col_int(s, 6);
	mmr_stmt_reset(s);
	if (locked) {
		mmr_error_set(err, MMR_ELOCKED,
			      "アカウントはロックされています。管理者に解除を依頼してください");
		return signin_event(st, tenant, login, uid, "session.signin_locked", MMR_ELOCKED,
				    err);
	}
	bool ok = hash[0] && password && mmr_auth_password_verify(hash, password) == MMR_OK;
	sodium_memzero(hash, sizeof hash);
	int64_t step = 0;
	bool totp_ok = true;
	if (ok && secret[0]) {
		totp_ok = totp && mmr_auth_totp_verify(secret, totp, now, 1,
						       last_step ? last_step : -1, &step) == MMR_OK;
	}
	sodium_memzero(secret, sizeof secret);
	if (!ok || !totp_ok) {
		long threshold = setting(pol, "lockout.threshold", DEFAULT_LOCKOUT);
		char iso[32];
		mmr_now_iso(iso);
		static const char f[] = "UPDATE users SET failed_logins = failed_logins + 1, "
					"locked_at = CASE WHEN failed_logins + 1 >= $3 THEN $4 "
					"ELSE locked_at END WHERE tenant = $1 AND id = $2";
		/* the count, the failure and the lockout are recorded together */
		if ((rc = mmr_db_begin(st->db, err)))
			return rc;
		if (!(rc = mmr_db_prepare(st->db, f, &s, err))) {
			mmr_stmt_text(s, 1, tenant);
			mmr_stmt_int(s, 2, uid);
			mmr_stmt_int(s, 3, threshold);
			mmr_stmt_text(s, 4, iso);
			rc = mmr_stmt_run(s, err);
		}
		if (!rc)
			rc = signin_event(st, tenant, login, uid,
					  ok ? "session.signin_failed_totp"
					     : "session.signin_failed",
					  MMR_OK, err);
		if (!rc && failed + 1 >= threshold)
			rc = signin_event(st, tenant, login, uid, "session.lockout", MMR_OK, err);
		rc = invalidating(mmr_db_end(st->db, rc, err));
		if (rc)
			return rc;
		if (failed + 1 >= threshold) {
			mmr_error_set(err, MMR_ELOCKED,
				      "%ld 回続けて誤ったため、アカウントをロックしました",
				      threshold);
			return MMR_ELOCKED;
		}
		if (ok && !totp_ok) {
			mmr_error_set(err, MMR_EAUTH, "ワンタイムパスワード（TOTP）が違います");
			return MMR_EAUTH;
		}
		return bad_credentials(err);
	}
	mmr_actor who;
	if ((rc = mmr_actor_load(st, tenant, uid, &who, err)))
		return rc;
	bool need_mfa = false;
	if (!step && (rc = mfa_required(st, pol, &who, &need_mfa, err)))
		return rc;
	long idle = setting(pol, "session.idle_timeout_minutes", DEFAULT_IDLE_MINUTES);
	long admin_max = setting(pol, "session.admin_max_minutes", DEFAULT_ADMIN_MINUTES);
	int64_t expires = now + (who.admin ? admin_max * 60 : SESSION_MAX_SECONDS);
	(void)idle;
	char th[65];
	random_hex(out->token);
	random_hex(out->csrf);
	token_hash(out->token, th);
	static const char ok_q[] = "UPDATE users SET failed_logins = 0, totp_last_step = "
				   "CASE WHEN $3 > 0 THEN $3 ELSE totp_last_step END "
				   "WHERE tenant = $1 AND id = $2";
	static const char ins[] = "INSERT INTO sessions (token_hash, tenant, user_id, csrf, mfa, "
				  "created_at, last_seen_at, expires_at) VALUES "
				  "($1, $2, $3, $4, $5, $6, $6, $7)";
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	if (!(rc = mmr_db_prepare(st->db, ok_q, &s, err))) {
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, uid);
		mmr_stmt_int(s, 3, step);
		rc = mmr_stmt_run(s, err);
	}
	if (!rc && !(rc = mmr_db_prepare(st->db, ins, &s, err))) {
		mmr_stmt_text(s, 1, th);
		mmr_stmt_text(s, 2, tenant);
		mmr_stmt_int(s, 3, uid);
		mmr_stmt_text(s, 4, out->csrf);
		mmr_stmt_int(s, 5, step > 0);
		mmr_stmt_int(s, 6, now);
		mmr_stmt_int(s, 7, expires);
		rc = mmr_stmt_run(s, err);
	}
	if (!rc)
		rc = signin_event(st, tenant, login, uid, "session.signin", MMR_OK, err);
	rc = mmr_db_end(st->db, rc, err);
	if (rc) {
		sodium_memzero(out, sizeof *out);
		return rc;
	}
	out->user_id = uid;
	out->expires_at = expires;
	out->must_change = temporary;
	out->mfa_enrolment = need_mfa;
	return MMR_OK;
}

enum { SESSION_TOUCH = -100, SESSION_CLOSE = -101 };
static int session_read(mmr_store *st, const char *th, int64_t now, struct mmr_session_cached *c,
			mmr_error *err);

/* Whether a cached read still lets the session through at `now` without the
 * database: not ended by the absolute or idle limit (computed from the
 * timestamps the database held, so never later than a read would end it),
 * and its idle clock not yet due an update. Anything else goes back to the
 * database, which ends the session or advances the clock. */
static bool cached_valid(const struct mmr_session_cached *c, int64_t now)
{
	return now < c->expires && now - c->last_seen <= c->idle && now - c->last_seen < 10;
}

static void session_answer(const struct mmr_session_cached *c, mmr_actor *actor, char csrf[65],
			   bool *must_change)
{
	*actor = c->actor;
	if (csrf)
		memcpy(csrf, c->csrf, 65);
	if (must_change)
		*must_change = c->temporary;
}

int mmr_session_check(mmr_store *st, const char *token, int64_t now, mmr_actor *actor,
		      char csrf[65], bool *must_change, mmr_error *err)
{
	if (!token || strlen(token) != 64) {
		mmr_error_set(err, MMR_EAUTH, "サインインしてください");
		return MMR_EAUTH;
	}
	unsigned char key[crypto_hash_sha256_BYTES];
	char th[65];
	crypto_hash_sha256(key, (const unsigned char *)token, 64);
	hex(key, sizeof key, th);
	struct mmr_session_cached c;
	if (mmr_session_cache_get(key, &c) && cached_valid(&c, now)) {
		session_answer(&c, actor, csrf, must_change);
		sodium_memzero(&c, sizeof c);
		return MMR_OK;
	}
	struct mmr_session_cache_mark mark;
	mmr_session_cache_mark(&mark); /* before the read: see session_cache.h */
	/* SQLite: the reads below share one read transaction (one WAL lock
	 * instead of one per statement); PostgreSQL would only add round trips */
	bool rd = mmr_db_kind(st->db) == MMR_DB_SQLITE && !mmr_db_depth(st->db);
	int rc = rd ? mmr_db_begin_read(st->db, err) : MMR_OK;
	if (rc)
		return rc;
	rc = session_read(st, th, now, &c, err);
	if (rd)
		mmr_db_commit(st->db, NULL); /* a read: nothing to lose if it fails */
	if (rc == SESSION_CLOSE) {
		mmr_session_close(st, token, NULL);
		return MMR_EAUTH;
	}
	if (rc == MMR_EAUTH)
		mmr_session_cache_evict(key); /* gone from the database */
	if (rc != MMR_OK && rc != SESSION_TOUCH)
		return rc;
	if (rc == SESSION_TOUCH) {
		/* the idle clock needs no finer grain than 10 s: spare the writes.
		 * On PostgreSQL the write does not wait for its WAL flush: a crash
		 * may lose it, which only makes the session look idle a little
		 * earlier, and no request waits a disk flush for its idle clock. */
		static const char u[] =
			"UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1";
		bool pg = mmr_db_kind(st->db) == MMR_DB_POSTGRES && !mmr_db_depth(st->db);
		if (pg && (rc = mmr_db_begin(st->db, err)))
			goto done;
		rc = pg ? mmr_db_exec(st->db, "SET LOCAL synchronous_commit = off", err) : MMR_OK;
		mmr_stmt *s;
		if (!rc && !(rc = mmr_db_prepare(st->db, u, &s, err))) {
			mmr_stmt_text(s, 1, th);
			mmr_stmt_int(s, 2, now);
			rc = mmr_stmt_run(s, err);
		}
		if (pg)
			rc = mmr_db_end(st->db, rc, err);
		if (rc)
			goto done;
		c.last_seen = now;
	}
	session_answer(&c, actor, csrf, must_change);
	mmr_session_cache_put(key, &mark, &c);
done:
	sodium_memzero(&c, sizeof c);
	return rc;
}

/* The reads of mmr_session_check into `c`: MMR_OK, SESSION_TOUCH (valid, and
 * last_seen_at is due an update), SESSION_CLOSE (locked, expired or idle: err
 * says which; the caller closes it once the reads are over), or an error. */
static int session_read(mmr_store *st, const char *th, int64_t now, struct mmr_session_cached *c,
			mmr_error *err)
{
	/* the session, its user and the user's roles in one query (one round
	 * trip on PostgreSQL): a row per role, or one row with a NULL role */
	static const char q[] =
		"SELECT s.tenant, s.user_id, s.csrf, s.last_seen_at, s.expires_at, "
		"u.password_temporary, u.locked_at, u.login, r.role, r.scope_kind, r.scope_id "
		"FROM sessions s JOIN users u ON u.tenant = s.tenant AND u.id = s.user_id "
		"LEFT JOIN user_roles r ON r.tenant = s.tenant AND r.user_id = s.user_id "
		"WHERE s.token_hash = $1 ORDER BY r.id";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, th);
	rc = mmr_stmt_step(s, err);
	if (rc != MMR_DB_ROW) {
		mmr_stmt_reset(s);
		if (rc != MMR_DB_DONE)
			return rc;
		mmr_error_set(err, MMR_EAUTH, "サインインしてください（セッションがありません）");
		return MMR_EAUTH;
	}
	memset(c, 0, sizeof *c);
	mmr_actor *actor = &c->actor;
	snprintf(actor->tenant, sizeof actor->tenant, "%s", mmr_col_text(s, 0));
	actor->user_id = mmr_col_int(s, 1);
	snprintf(c->csrf, sizeof c->csrf, "%s", mmr_col_text(s, 2));
	c->last_seen = mmr_col_int(s, 3);
	c->expires = mmr_col_int(s, 4);
	c->temporary = mmr_col_int(s, 5);
	bool locked = !mmr_col_null(s, 6);
	snprintf(actor->login, sizeof actor->login, "%s", mmr_col_text(s, 7));
	const mmr_policy *pol;
	if ((rc = mmr_tenant_policy(st, actor->tenant, &pol, err))) {
		mmr_stmt_reset(s);
		return rc;
	}
	do
		if (!mmr_col_null(s, 8))
			mmr_actor_add_role(pol, actor, mmr_col_text(s, 8), mmr_col_text(s, 9),
					   mmr_col_int(s, 10));
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW);
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE)
		return rc;
	long idle = setting(pol, "session.idle_timeout_minutes", DEFAULT_IDLE_MINUTES);
	c->idle = (int64_t)idle * 60;
	if (locked || now >= c->expires || now - c->last_seen > c->idle) {
		if (locked)
			mmr_error_set(err, MMR_EAUTH, "アカウントがロックされました");
		else if (now >= c->expires)
			mmr_error_set(err, MMR_EAUTH,
				      "セッションの有効期限が切れました。もう一度サ"
				      "インインしてください");
		else
			mmr_error_set(err, MMR_EAUTH,
				      "%ld 分間操作がなかったため、セッションを終了しました", idle);
		return SESSION_CLOSE; /* the caller closes it after the reads */
	}
	return now - c->last_seen >= 10 ? SESSION_TOUCH : MMR_OK;
}

int mmr_session_close(mmr_store *st, const char *token, mmr_error *err)
{
	if (!token)
		return MMR_OK;
	unsigned char key[crypto_hash_sha256_BYTES];
	char th[65];
	crypto_hash_sha256(key, (const unsigned char *)token, strlen(token));
	hex(key, sizeof key, th);
	static const char q[] = "DELETE FROM sessions WHERE token_hash = $1";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, th);
	rc = mmr_stmt_run(s, err);
	/* evicting alone would race a read begun before the delete: the
	 * generation makes such a read's answer stale too */
	mmr_session_cache_evict(key);
	mmr_session_cache_invalidate();
	return rc;
}

int mmr_user_totp_enrol(mmr_store *st, const mmr_actor *who, const char *secret, const char *code,
			int64_t now, mmr_error *err)
{
	int64_t step;
	if (mmr_auth_totp_verify(secret, code, now, 1, -1, &step) != MMR_OK) {
		mmr_field_error(err, MMR_EINVAL, "totp",
				"確認コードが違います。アプリに表示された 6 桁を入力してください");
		return MMR_EINVAL;
	}
	static const char q[] = "UPDATE users SET totp_secret = $3, totp_last_step = $4 "
				"WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, who->user_id);
	mmr_stmt_text(s, 3, secret);
	mmr_stmt_int(s, 4, step);
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	rc = mmr_stmt_run(s, err);
	if (!rc)
		rc = mmr_audit_record(st, who, "user.totp_enrol", "users", who->user_id, NULL, NULL,
				      NULL, err);
	return mmr_db_end(st->db, rc, err);
}
