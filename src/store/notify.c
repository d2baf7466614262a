/*
 * notify.c — the inbox and the e-mail sender (notify.h).
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "store/audit.h"
#include "store/notify.h"
#include "store/store_int.h"

#define MAX_ATTEMPTS 5

static int insert(mmr_store *st, const char *tenant, int64_t user_id, const char *kind,
		  const char *subject, const char *body, const char *link, mmr_error *err)
{
	static const char q[] = "INSERT INTO notifications (tenant, user_id, kind, subject, body, "
				"link, created_at) "
				"VALUES ($1, $2, $3, $4, $5, $6, $7)";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	char now[32];
	mmr_now_iso(now);
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user_id);
	mmr_stmt_text(s, 3, kind);
	mmr_stmt_text(s, 4, subject);
	mmr_stmt_text(s, 5, body ? body : "");
	mmr_stmt_text(s, 6, link);
	mmr_stmt_text(s, 7, now);
	return mmr_stmt_run(s, err);
}

int mmr_notify_user(mmr_store *st, const char *tenant, int64_t user_id, const char *kind,
		    const char *subject, const char *body, const char *link, mmr_error *err)
{
	if (!kind || !*kind || !subject || !*subject) {
		mmr_field_error(err, MMR_EINVAL, "subject", "通知の種類と件名が必要です");
		return MMR_EINVAL;
	}
	static const char q[] = "SELECT 1 FROM users WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user_id);
	rc = mmr_stmt_step(s, err);
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_field_error(err, MMR_ENOTFOUND, "user_id", "利用者 %" PRId64 " はいません",
				user_id);
		return MMR_ENOTFOUND;
	}
	if (rc != MMR_DB_ROW)
		return rc;
	return insert(st, tenant, user_id, kind, subject, body, link, err);
}

int mmr_notify_role(mmr_store *st, const char *tenant, const char *role, const char *kind,
		    const char *subject, const char *body, const char *link, int64_t except_user,
		    size_t *count, mmr_error *err)
{
	if (count)
		*count = 0;
	static const char q[] = "SELECT DISTINCT user_id FROM user_roles WHERE tenant = $1 AND "
				"role = $2 ORDER BY user_id";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_text(s, 2, role);
	int64_t ids[256];
	size_t n = 0;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		if (n < sizeof ids / sizeof ids[0])
			ids[n++] = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE)
		return rc;
	size_t done = 0;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == except_user)
			continue;
		if ((rc = insert(st, tenant, ids[i], kind, subject, body, link, err)))
			return rc;
		done++;
	}
	if (count)
		*count = done;
	return MMR_OK;
}

int mmr_notify_list(mmr_store *st, const mmr_actor *who, bool unread_only, int64_t before,
		    int limit, json_t **out, mmr_error *err)
{
	*out = NULL;
	if (limit < 1 || limit > 500) {
		mmr_field_error(err, MMR_EINVAL, "limit", "limit は 1〜500 にしてください");
		return MMR_EINVAL;
	}
	static const char q[] =
		"SELECT id, kind, subject, body, link, created_at, read_at, email_state "
		"FROM notifications WHERE tenant = $1 AND user_id = $2 AND ($3 = 0 OR id < $3) "
		"AND ($4 = 0 OR read_at IS NULL) ORDER BY id DESC LIMIT $5";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, who->user_id);
	mmr_stmt_int(s, 3, before);
	mmr_stmt_int(s, 4, unread_only ? 1 : 0);
	mmr_stmt_int(s, 5, limit + 1);
	json_t *items = json_array();
	int64_t last = 0;
	int n = 0;
	bool more = false;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if (n == limit) {
			more = true;
			continue;
		}
		last = mmr_col_int(s, 0);
		json_array_append_new(
			items, json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s?, s:b, s:s}", "id",
					 (json_int_t)last, "kind", mmr_col_text(s, 1), "subject",
					 mmr_col_text(s, 2), "body", mmr_col_text(s, 3), "link",
					 mmr_col_text(s, 4), "created_at", mmr_col_text(s, 5),
					 "read_at", mmr_col_text(s, 6), "read", !mmr_col_null(s, 6),
					 "email", mmr_col_text(s, 7)));
		n++;
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(items);
		return rc;
	}
	static const char qc[] = "SELECT COUNT(*) FROM notifications WHERE tenant = $1 AND "
				 "user_id = $2 AND read_at IS NULL";
	int64_t unread = 0;
	if (!(rc = mmr_db_prepare(st->db, qc, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, who->user_id);
		if ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			unread = mmr_col_int(s, 0);
			rc = MMR_OK;
		}
		mmr_stmt_reset(s);
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o, s:I, s:o}", "items", items, "unread", (json_int_t)unread, "next",
			 more ? json_integer((json_int_t)last) : json_null());
	return MMR_OK;
}

int mmr_notify_mark_read(mmr_store *st, const mmr_actor *who, int64_t id, mmr_error *err)
{
	static const char q[] = "UPDATE notifications SET read_at = $4 WHERE tenant = $1 AND "
				"user_id = $2 AND ($3 = 0 OR id = $3) AND read_at IS NULL";
	static const char qe[] =
		"SELECT 1 FROM notifications WHERE tenant = $1 AND user_id = $2 AND id = $3";
	mmr_stmt *s;
	int rc;
	if (id > 0) {
		if ((rc = mmr_db_prepare(st->db, qe, &s, err)))
			return rc;
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, who->user_id);
		mmr_stmt_int(s, 3, id);
		rc = mmr_stmt_step(s, err);
		mmr_stmt_reset(s);
		if (rc == MMR_DB_DONE) {
			mmr_error_set(err, MMR_ENOTFOUND, "通知 %" PRId64 " はありません", id);
			return MMR_ENOTFOUND;
		}
		if (rc != MMR_DB_ROW)
			return rc;
	}
	if ((rc = mmr_db_prepare(st->db, q, &s, err)))
		return rc;
	char now[32];
	mmr_now_iso(now);
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, who->user_id);
	mmr_stmt_int(s, 3, id);
	mmr_stmt_text(s, 4, now);
	return mmr_stmt_run(s, err);
}

bool mmr_email_valid(const char *a)
{
	if (!a)
		return false;
	size_t n = strlen(a);
	if (n < 3 || n > 254)
		return false;
	const char *at = strchr(a, '@');
	if (!at || at == a || strchr(at + 1, '@') || !at[1])
		return false;
	for (const char *p = a; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return false;
	}
	const char *dot = strchr(at + 1, '.');
	return dot && dot != at + 1 && dot[1] && a[n - 1] != '.';
}

int mmr_user_set_email(mmr_store *st, const mmr_actor *who, int64_t user_id, const char *email,
		       mmr_error *err)
{
	if (!who->admin && who->user_id != user_id) {
		mmr_field_error(err, MMR_EDENIED, "email",
				"他の利用者のメールアドレスは管理者だけが設定できます");
		return MMR_EDENIED;
	}
	if (email && !*email)
		email = NULL;
	if (email && !mmr_email_valid(email)) {
		mmr_field_error(err, MMR_EINVAL, "email",
				"メールアドレス \"%.200s\" は使えません（例: taro@example.lg.jp）",
				email);
		return MMR_EINVAL;
	}
	static const char q[] = "UPDATE users SET email = $3 WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_begin(st->db, err);
	if (rc)
		return rc;
	if ((rc = mmr_db_prepare(st->db, q, &s, err))) {
		mmr_db_rollback(st->db);
		return rc;
	}
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, user_id);
	mmr_stmt_text(s, 3, email);
	rc = mmr_stmt_step(s, err);
	int64_t changed = rc == MMR_DB_DONE ? mmr_stmt_changes(s) : 0;
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE && !changed) {
		mmr_field_error(err, MMR_ENOTFOUND, "user_id", "利用者 %" PRId64 " はいません",
				user_id);
		rc = MMR_ENOTFOUND;
	} else if (rc == MMR_DB_DONE) {
		/* the address itself is personal data: the log keeps its digest */
		json_t *after = json_pack("{s:I, s:s?}", "id", (json_int_t)user_id, "email", email);
		rc = mmr_audit_record(st, who, "user.email_set", "users", user_id, NULL, after,
				      NULL, err);
		json_decref(after);
	}
	return mmr_db_end(st->db, rc, err);
}

/* ---- e-mail ---- */

struct msg {
	char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct msg *m = ud;
	size_t want = size * nitems, left = m->len - m->off;
	if (want > left)
		want = left;
	memcpy(buf, m->data + m->off, want);
	m->off += want;
	return want;
}

/* base64 of s, wrapped at 76 columns with CRLF when `wrap`. */
static char *b64(const char *s, size_t n, bool wrap)
{
	size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	char *raw = malloc(cap);
	if (!raw)
		return NULL;
	sodium_bin2base64(raw, cap, (const unsigned char *)s, n, sodium_base64_VARIANT_ORIGINAL);
	if (!wrap)
		return raw;
	size_t rl = strlen(raw);
	char *o = malloc(rl + (rl / 76 + 1) * 2 + 1);
	if (!o) {
		free(raw);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < rl; i += 76) {
		size_t c = rl - i < 76 ? rl - i : 76;
		memcpy(o + k, raw + i, c);
		k += c;
		o[k++] = '\r';
		o[k++] = '\n';
	}
	o[k] = '\0';
	free(raw);
	return o;
}

/* The message as RFC 5322 text: UTF-8 subject as an RFC 2047 encoded word,
 * body base64 (so no line of the stored text can end the DATA phase). */
static char *compose(const char *from, const char *to, const char *subject, const char *body,
		     const char *link, int64_t id, size_t *len)
{
	char *text = NULL;
	size_t tl = 0;
	FILE *f = open_memstream(&text, &tl);
	if (!f)
		return NULL;
	fprintf(f, "%s\n", body);
	if (link)
		fprintf(f, "\nmamori: %s\n", link);
	fputs("\n-- \nmamori（情報セキュリティポリシー実施支援システム）からの自動送信です。\n", f);
	fclose(f);
	char *sb = b64(subject, strlen(subject), false);
	char *bb = b64(text, tl, true);
	free(text);
	char date[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	char *m = NULL;
	size_t ml = 0;
	f = open_memstream(&m, &ml);
	if (!f || !sb || !bb) {
		if (f)
			fclose(f);
		free(m);
		free(sb);
		free(bb);
		return NULL;
	}
	const char *dom = strchr(from, '@');
	fprintf(f,
		"Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\n"
		"Message-ID: <mamori-notification-%" PRId64 "-%lld%s>\r\nMIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
		"Auto-Submitted: auto-generated\r\n\r\n%s",
		date, from, to, sb, id, (long long)t, dom ? dom : "@localhost", bb);
	fclose(f);
	free(sb);
	free(bb);
	*len = ml;
	return m;
}

/* One message on handle `c` (reused across a batch, so that libcurl keeps
 * the connection to the relay open between messages). */
static int send_one(CURL *c, const struct mmr_smtp_config *cfg, const char *to, const char *msg,
		    size_t len, char *errbuf)
{
	if (!c) {
		snprintf(errbuf, CURL_ERROR_SIZE, "libcurl を初期化できません");
		return -1;
	}
	char url[300];
	snprintf(url, sizeof url, "smtp://%s", cfg->relay);
	const char *from = cfg->from ? cfg->from : "mamori@localhost";
	char env_from[300];
	snprintf(env_from, sizeof env_from, "<%s>", from);
	char rcpt_s[300];
	snprintf(rcpt_s, sizeof rcpt_s, "<%s>", to);
	struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_s);
	struct msg m = {(char *)msg, len, 0};
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &m);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode res = curl_easy_perform(c);
	if (res != CURLE_OK && !errbuf[0])
		snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(res));
	curl_slist_free_all(rcpt);
	return res == CURLE_OK ? 0 : -1;
}

static void iso_after(int64_t seconds, char out[32])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	time_t t = tv.tv_sec + (time_t)seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(tv.tv_usec / 1000) % 1000u);
}

struct pending {
	int64_t id, attempts;
	char *to, *subject, *body, *link;
};

int mmr_notify_deliver(mmr_store *st, const struct mmr_smtp_config *cfg, size_t max, size_t *sent,
		       size_t *failed, mmr_error *err)
{
	*sent = *failed = 0;
	if (!cfg || !cfg->relay || !*cfg->relay) {
		mmr_error_set(err, MMR_EINVAL, "SMTP リレーが設定されていません（HOST:PORT）");
		return MMR_EINVAL;
	}
	if (max < 1 || max > 1000)
		max = 100;
	char now[32];
	mmr_now_iso(now);
	/* users without an address are not mailed */
	static const char qn[] =
		"UPDATE notifications SET email_state = 'none' WHERE email_state = 'pending' AND "
		"NOT EXISTS (SELECT 1 FROM users u WHERE u.tenant = notifications.tenant AND "
		"u.id = notifications.user_id AND u.email IS NOT NULL AND u.email <> '')";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, qn, &s, err);
	if (!rc)
		rc = mmr_stmt_run(s, err);
	if (rc)
		return rc;
	static const char q[] =
		"SELECT n.id, n.email_attempts, u.email, n.subject, n.body, n.link "
		"FROM notifications n JOIN users u ON u.tenant = n.tenant AND u.id = n.user_id "
		"WHERE n.email_state = 'pending' AND (n.email_next_at IS NULL OR "
		"n.email_next_at <= $1) ORDER BY n.id LIMIT $2";
	if ((rc = mmr_db_prepare(st->db, q, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, now);
	mmr_stmt_int(s, 2, (int64_t)max);
	struct pending *p = calloc(max, sizeof *p);
	size_t n = 0;
	if (!p) {
		mmr_stmt_reset(s);
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW && n < max) {
		p[n].id = mmr_col_int(s, 0);
		p[n].attempts = mmr_col_int(s, 1);
		p[n].to = strdup(mmr_col_text(s, 2));
		p[n].subject = strdup(mmr_col_text(s, 3));
		p[n].body = strdup(mmr_col_text(s, 4));
		p[n].link = mmr_col_null(s, 5) ? NULL : strdup(mmr_col_text(s, 5));
		n++;
	}
	mmr_stmt_reset(s);
	if (rc == MMR_DB_ROW || rc == MMR_DB_DONE)
		rc = MMR_OK;
	const char *from = cfg->from ? cfg->from : "mamori@localhost";
	CURL *curl = n ? curl_easy_init() : NULL;
	for (size_t i = 0; i < n && !rc; i++) {
		char eb[CURL_ERROR_SIZE];
		size_t len = 0;
		int ok = -1;
		if (!p[i].to || !p[i].subject || !p[i].body) {
			snprintf(eb, sizeof eb, "メモリが足りません");
		} else if (!mmr_email_valid(p[i].to)) {
			snprintf(eb, sizeof eb, "宛先のメールアドレスが正しくありません");
		} else {
			char *m = compose(from, p[i].to, p[i].subject, p[i].body, p[i].link,
					  p[i].id, &len);
			if (m)
				ok = send_one(curl, cfg, p[i].to, m, len, eb);
			else
				snprintf(eb, sizeof eb, "メモリが足りません");
			free(m);
		}
		if (!ok) {
			static const char qs[] =
				"UPDATE notifications SET email_state = 'sent', emailed_at = $2, "
				"email_attempts = email_attempts + 1, email_error = NULL WHERE id "
				"= $1";
			if (!(rc = mmr_db_prepare(st->db, qs, &s, err))) {
				char t[32];
				mmr_now_iso(t);
				mmr_stmt_int(s, 1, p[i].id);
				mmr_stmt_text(s, 2, t);
				rc = mmr_stmt_run(s, err);
			}
			(*sent)++;
		} else {
			static const char qf[] =
				"UPDATE notifications SET email_attempts = email_attempts + 1, "
				"email_error = $2, email_next_at = $3, email_state = CASE WHEN "
				"email_attempts + 1 >= $4 THEN 'failed' ELSE 'pending' END WHERE "
				"id = $1";
			if (!(rc = mmr_db_prepare(st->db, qf, &s, err))) {
				char next[32];
				iso_after(30LL << (p[i].attempts < 10 ? p[i].attempts : 10), next);
				mmr_stmt_int(s, 1, p[i].id);
				mmr_stmt_text(s, 2, eb);
				mmr_stmt_text(s, 3, next);
				mmr_stmt_int(s, 4, MAX_ATTEMPTS);
				rc = mmr_stmt_run(s, err);
			}
			(*failed)++;
		}
	}
	if (curl)
		curl_easy_cleanup(curl);
	for (size_t i = 0; i < n; i++) {
		free(p[i].to);
		free(p[i].subject);
		free(p[i].body);
		free(p[i].link);
	}
	free(p);
	return rc;
}

struct mmr_notify_sender {
	pthread_t thread;
	mmr_store *st;
	char relay[256], from[256];
	struct mmr_smtp_config cfg;
	unsigned interval_ms;
	volatile int *stop;
};

static void *sender_main(void *arg)
{
	struct mmr_notify_sender *s = arg;
	while (!*s->stop) {
		size_t sent, failed;
		mmr_error err;
		if (mmr_notify_deliver(s->st, &s->cfg, 100, &sent, &failed, &err))
			fprintf(stderr, "mamori: 通知メールの送信に失敗しました: %s\n",
				err.message);
		else if (failed)
			fprintf(stderr,
				"mamori: 通知メール %zu 通を送れませんでした（再試行します）\n",
				failed);
		for (unsigned w = 0; w < s->interval_ms && !*s->stop; w += 50)
			usleep(50 * 1000);
	}
	return NULL;
}

int mmr_notify_sender_start(const char *db, const char *policy_dir,
			    const struct mmr_smtp_config *cfg, unsigned interval_ms,
			    volatile int *stop, mmr_notify_sender **out, mmr_error *err)
{
	*out = NULL;
	if (!cfg->relay || !strchr(cfg->relay, ':') || strlen(cfg->relay) >= 256 ||
	    strpbrk(cfg->relay, "/@ \r\n")) {
		mmr_error_set(err, MMR_EINVAL,
			      "SMTP リレー \"%.200s\" は HOST:PORT の形で指定してください",
			      cfg->relay ? cfg->relay : "");
		return MMR_EINVAL;
	}
	if (cfg->from && !mmr_email_valid(cfg->from)) {
		mmr_error_set(err, MMR_EINVAL, "差出人 \"%.200s\" はメールアドレスではありません",
			      cfg->from);
		return MMR_EINVAL;
	}
	struct mmr_notify_sender *s = calloc(1, sizeof *s);
	if (!s) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	int rc = mmr_store_open(db, policy_dir, &s->st, err);
	if (rc) {
		free(s);
		return rc;
	}
	snprintf(s->relay, sizeof s->relay, "%s", cfg->relay);
	snprintf(s->from, sizeof s->from, "%s", cfg->from ? cfg->from : "mamori@localhost");
	s->cfg.relay = s->relay;
	s->cfg.from = s->from;
	s->interval_ms = interval_ms ? interval_ms : 1000;
	s->stop = stop;
	if (pthread_create(&s->thread, NULL, sender_main, s)) {
		mmr_store_close(s->st);
		free(s);
		mmr_error_set(err, MMR_EIO, "送信スレッドを開始できません");
		return MMR_EIO;
	}
	*out = s;
	return MMR_OK;
}

void mmr_notify_sender_join(mmr_notify_sender *s)
{
	if (!s)
		return;
	pthread_join(s->thread, NULL);
	mmr_store_close(s->st);
	free(s);
}
