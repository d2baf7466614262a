/*
 * cmd_mail.c — `mamori mail textize` (one message, standard input to
 * standard output) and `mamori milter` (the same inside Postfix).
 *
 * Exit codes: 0 text-ized, 1 internal failure (memory, quarantine not
 * writable), 2 bad usage or input that is not a message, 3 refused (a limit
 * was exceeded; the reason on standard error).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pthread.h>

#include "cli/cli.h"
#include "mail/mail.h"
#include "mail/milter.h"
#include "mamori.h"
#include "store/audit.h"
#include "store/store.h"

static const char textize_usage[] =
	"使い方: mamori mail textize [--profile FILE] [--quarantine DIR] [--audit FILE]\n"
	"                            [--db DB --tenant T] < in.eml > out.eml\n"
	"  メールを本文のテキストだけの text/plain (UTF-8) に変換します（メールテキスト化）。\n"
	"  添付ファイルは削除して本文の先頭に一覧を示し、--quarantine DIR があれば DIR/<SHA-256>\n"
	"  に保管します。\n"
	"  --db DB --tenant T: 団体 T の改ざん検知できる監査ログに記録します（--profile が\n"
	"  なければ T のプロファイルの上限を使います）。DB は SQLite のファイルか postgres://…。\n"
	"  --audit FILE: データベースのない所では、監査記録 (JSON 1 行) をファイルに追記します\n"
	"  （- は標準エラー）。どちらも記録できなければ変換結果を出力しません（終了コード 1）。\n"
	"  text-ize a message: one text/plain UTF-8 part, attachments removed and listed.\n"
	"終了コード: 0 成功, 1 内部エラー, 2 使い方・入力の誤り, 3 制限超過で拒否。\n";

static const char milter_usage[] =
	"使い方: mamori milter --socket inet:PORT@127.0.0.1 [--profile FILE] [--quarantine DIR]\n"
	"                      [--db DB --tenant T] [--audit FILE]\n"
	"  Postfix の milter としてメールテキスト化を行います（smtpd_milters = "
	"inet:127.0.0.1:PORT）。\n"
	"  --db DB --tenant T: メールごとに団体 T の監査ログに記録します。--audit FILE: "
	"監査記録を\n"
	"  JSON 1 行ずつファイルに追記します。記録できないメールは一時エラー (451) で返し、\n"
	"  理由を標準エラーに出します（MTA が保持し、送信側が再送します）。\n"
	"  run the text-izer as a milter; SIGTERM stops it.\n";

/* Options shared by both commands. */
struct mail_opts {
	const char *profile, *quarantine, *audit, *socket, *db, *tenant;
	mmr_mail_limits lim;
};

/* 0 ok, 2 usage error (reported), -1 help printed. */
static int parse_opts(int argc, char **argv, int milter, struct mail_opts *o)
{
	memset(o, 0, sizeof *o);
	mmr_mail_limits_default(&o->lim);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(milter ? milter_usage : textize_usage, stdout);
			return -1;
		}
		if (!strcmp(a, "--profile"))
			dst = &o->profile;
		else if (!strcmp(a, "--quarantine"))
			dst = &o->quarantine;
		else if (!strcmp(a, "--audit"))
			dst = &o->audit;
		else if (milter && !strcmp(a, "--socket"))
			dst = &o->socket;
		else if (!strcmp(a, "--db"))
			dst = &o->db;
		else if (!strcmp(a, "--tenant"))
			dst = &o->tenant;
		if (!dst) {
			cli_fail("EINVAL", "未知の引数 \"%s\" (unknown argument)", a);
			return 2;
		}
		if (i + 1 >= argc) {
			cli_fail("EINVAL", "%s の値がありません (missing value)", a);
			return 2;
		}
		*dst = argv[++i];
	}
	if (milter && !o->socket) {
		cli_fail("EINVAL",
			 "--socket が必要です（例: inet:8891@127.0.0.1）(missing --socket)");
		return 2;
	}
	if (!o->db != !o->tenant) {
		cli_fail("EINVAL", "--db と --tenant は一緒に指定します (--db needs --tenant)");
		return 2;
	}
	if (o->profile) {
		mmr_policy *pol;
		mmr_error err;
		if (mmr_policy_load(o->profile, &pol, &err) != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "%s", err.message);
			return 2;
		}
		int rc = mmr_mail_limits_from_policy(pol, &o->lim, &err);
		mmr_policy_free(pol);
		if (rc != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "%s: %s", o->profile, err.message);
			return 2;
		}
	}
	if (o->quarantine && access(o->quarantine, W_OK | X_OK)) {
		cli_fail("EIO", "隔離先のディレクトリに書けません: %s: %s", o->quarantine,
			 strerror(errno));
		return 2;
	}
	return 0;
}

/*
 * Where the record of each text-ized message goes: the tenant's audit log
 * (--db, --tenant), a JSON Lines file (--audit: for a gateway without a
 * database), or both. Shared by the milter's threads: one store handle
 * behind a mutex (a handle serves one thread at a time, and the tenant's log
 * appends one leaf after another anyway), dropped after a failure and
 * reopened for the next message, so a restarted PostgreSQL or a broken
 * connection costs one tempfailed message, not the rest of the day.
 */
struct mail_sink {
	pthread_mutex_t mu;
	const char *db, *tenant;
	mmr_store *st; /* NULL: closed (opened on the next record) */
	int fd;	       /* --audit file, or -1 */
	int own_fd;    /* fd is ours to close */
};

/* The audit-log event of res: action "mail.textize", object the Message-ID
 * (the input's SHA-256 when there is none), before/after the SHA-256 of
 * input and output, and the record (mmr_mail_audit_json: addresses, sizes,
 * counts, hashes, never the body) as the event's decision. */
static int sink_append_store(struct mail_sink *k, const mmr_mail_result *res, mmr_error *err)
{
	char *rec = mmr_mail_audit_json(res);
	json_t *j = rec ? json_loads(rec, 0, NULL) : NULL;
	free(rec);
	if (!j) {
		mmr_error_set(err, MMR_ENOMEM,
			      "監査記録を作れません (cannot build the audit record)");
		return MMR_ENOMEM;
	}
	int rc = MMR_OK;
	if (!k->st)
		rc = mmr_store_open(k->db, NULL, &k->st, err);
	if (rc == MMR_OK) {
		struct mmr_audit_event ev = {
			.tenant = k->tenant,
			.actor = "system",
			.action = "mail.textize",
			.object_kind = "mail",
			.object_id = *res->message_id ? res->message_id : res->in_sha256,
			.before = res->in_sha256,
			.after = res->out_sha256,
			.decision = j,
		};
		rc = mmr_audit_append(k->st, &ev, NULL, err);
		if (rc != MMR_OK) {
			mmr_store_close(k->st);
			k->st = NULL;
		}
	}
	json_decref(j);
	if (rc != MMR_OK) {
		char why[sizeof err->message];
		snprintf(why, sizeof why, "%s", err->message);
		mmr_error_set(err, rc, "監査ログに記録できません (audit log): %s", why);
	}
	return rc;
}

static int sink_append_file(struct mail_sink *k, const mmr_mail_result *res, mmr_error *err)
{
	char *rec = mmr_mail_audit_json(res);
	if (!rec) {
		mmr_error_set(err, MMR_ENOMEM,
			      "監査記録を作れません (cannot build the audit record)");
		return MMR_ENOMEM;
	}
	size_t n = strlen(rec);
	rec[n] = '\n'; /* replaces the NUL: written with its length, in one write */
	size_t off = 0;
	while (off < n + 1) {
		ssize_t w = write(k->fd, rec + off, n + 1 - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			mmr_error_set(err, MMR_EIO,
				      "監査記録のファイルに書けません (audit file): %s",
				      strerror(errno));
			free(rec);
			return MMR_EIO;
		}
		off += (size_t)w;
	}
	free(rec);
	return MMR_OK;
}

/* mmr_milter_config.record: the record of res in every destination of the
 * sink. MMR_OK only when all took it. */
static int sink_record(void *ud, const mmr_mail_result *res, mmr_error *err)
{
	struct mail_sink *k = ud;
	int rc = MMR_OK;
	pthread_mutex_lock(&k->mu);
	if (k->db)
		rc = sink_append_store(k, res, err);
	if (rc == MMR_OK && k->fd >= 0)
		rc = sink_append_file(k, res, err);
	pthread_mutex_unlock(&k->mu);
	return rc;
}

/* Open the destinations of o into k: the store, checked to hold the tenant
 * (whose profile gives the limits when there is no --profile), and the
 * --audit file. 0, or the exit code with the error reported. */
static int sink_open(struct mail_opts *o, struct mail_sink *k)
{
	memset(k, 0, sizeof *k);
	pthread_mutex_init(&k->mu, NULL);
	k->fd = -1;
	if (o->db) {
		mmr_error err;
		const mmr_policy *pol;
		k->db = o->db;
		k->tenant = o->tenant;
		if (mmr_store_open(o->db, NULL, &k->st, &err) != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "%s", err.message);
			return 1;
		}
		if (mmr_tenant_policy(k->st, o->tenant, &pol, &err) != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "団体 \"%s\": %s", o->tenant,
				 err.message);
			return 2;
		}
		if (!o->profile && mmr_mail_limits_from_policy(pol, &o->lim, &err) != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "%s", err.message);
			return 2;
		}
	}
	if (o->audit && !strcmp(o->audit, "-")) {
		k->fd = STDERR_FILENO;
	} else if (o->audit) {
		k->fd = open(o->audit, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (k->fd < 0) {
			cli_fail("EIO", "監査記録のファイルを開けません: %s: %s", o->audit,
				 strerror(errno));
			return 1;
		}
		k->own_fd = 1;
	}
	return 0;
}

static void sink_close(struct mail_sink *k)
{
	mmr_store_close(k->st);
	k->st = NULL;
	if (k->own_fd)
		close(k->fd);
	k->fd = -1;
	pthread_mutex_destroy(&k->mu);
}

/* One message from standard input to standard output; its record is
 * written before the output, so no output leaves without it. */
static int textize_with(struct mail_opts *po, struct mail_sink *sink)
{
	struct mail_opts o = *po;
	int rc;
	char *in;
	size_t len;
	rc = cli_read_all(stdin, o.lim.max_message_bytes, &in, &len);
	if (rc == MMR_ELIMIT) {
		cli_fail("ELIMIT", "メールが大きすぎます（上限 %zu バイト）(message too large)",
			 o.lim.max_message_bytes);
		return 3;
	}
	if (rc != MMR_OK) {
		cli_fail(mmr_code_name(rc), "標準入力を読めません (cannot read standard input)");
		return 1;
	}
	mmr_textizer *tz = NULL;
	mmr_error err;
	int status = 1;
	if (mmr_textizer_new(&o.lim, &tz, &err) != MMR_OK) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		goto done;
	}
	mmr_textizer_set_quarantined(tz, o.quarantine != NULL);
	const mmr_mail_result *res;
	rc = mmr_textize(tz, in, len, &res, &err);
	if (rc != MMR_OK) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		status = rc == MMR_ELIMIT ? 3 : rc == MMR_EINVAL ? 2 : 1;
		goto done;
	}
	if (o.quarantine && mmr_mail_quarantine(res, o.quarantine, &err) != MMR_OK) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		goto done;
	}
	if (sink_record(sink, res, &err) != MMR_OK) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		goto done;
	}
	if (fwrite(res->out, 1, res->out_len, stdout) != res->out_len || fflush(stdout)) {
		cli_fail("EIO", "標準出力に書けません (cannot write standard output)");
		goto done;
	}
	status = 0;
done:
	mmr_textizer_free(tz);
	free(in);
	return status;
}

static int textize(int argc, char **argv)
{
	struct mail_opts o;
	int rc = parse_opts(argc, argv, 0, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct mail_sink sink;
	rc = sink_open(&o, &sink);
	if (!rc)
		rc = textize_with(&o, &sink);
	sink_close(&sink);
	return rc;
}

static int run_milter(int argc, char **argv)
{
	struct mail_opts o;
	int rc = parse_opts(argc, argv, 1, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct mail_sink sink;
	rc = sink_open(&o, &sink);
	if (rc) {
		sink_close(&sink);
		return rc;
	}
	mmr_milter_config cfg = {.socket = o.socket,
				 .limits = o.lim,
				 .quarantine_dir = o.quarantine,
				 .record = o.db || o.audit ? sink_record : NULL,
				 .record_ud = &sink};
	mmr_error err;
	rc = mmr_milter_run(&cfg, &err);
	sink_close(&sink);
	if (rc != MMR_OK) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		return rc == MMR_EINVAL ? 2 : 1;
	}
	return 0;
}

int cmd_mail(int argc, char **argv)
{
	if (!strcmp(argv[0], "milter"))
		return run_milter(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "textize"))
		return textize(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(textize_usage, stdout);
		return 0;
	}
	cli_fail("EINVAL", "mail のサブコマンドは textize です（mamori mail textize --help）"
			   "(unknown mail subcommand)");
	return 2;
}
