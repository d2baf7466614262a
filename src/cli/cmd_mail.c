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
	"  に保管します。--audit FILE には監査記録 (JSON 1 行) を追記します（- は標準エラー）。\n"
	"  --db DB --tenant T: 団体 T の監査ログに記録します（--profile がなければ T "
	"のプロファイルの\n"
	"  上限を使います）。記録できなければ変換結果を出力しません。\n"
	"  text-ize a message: one text/plain UTF-8 part, attachments removed and listed.\n"
	"終了コード: 0 成功, 1 内部エラー, 2 使い方・入力の誤り, 3 制限超過で拒否。\n";

static const char milter_usage[] =
	"使い方: mamori milter --socket inet:PORT@127.0.0.1 [--profile FILE] [--quarantine DIR]\n"
	"                      [--audit FILE]\n"
	"  Postfix の milter としてメールテキスト化を行います（smtpd_milters = "
	"inet:127.0.0.1:PORT）。\n"
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
		else if (!milter && !strcmp(a, "--db"))
			dst = &o->db;
		else if (!milter && !strcmp(a, "--tenant"))
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

static int textize_with(struct mail_opts *po, mmr_store *st);

/* -1 when the file cannot be opened (reported); "-" is standard error. */
static int open_audit(const char *path)
{
	if (!path)
		return -2;
	if (!strcmp(path, "-"))
		return STDERR_FILENO;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		cli_fail("EIO", "監査記録のファイルを開けません: %s: %s", path, strerror(errno));
	return fd;
}

/* Append the audit record of res to the tenant's log: action
 * "mail.textize", object the Message-ID (the input's SHA-256 when there is
 * none), before/after the SHA-256 of input and output, and the record
 * (mmr_mail_audit_json: addresses, sizes, counts, hashes, never the body)
 * as the event's decision. 0, or 1 with the error reported. */
static int audit_to_store(mmr_store *st, const char *tenant, const mmr_mail_result *res)
{
	char *rec = mmr_mail_audit_json(res);
	json_t *j = rec ? json_loads(rec, 0, NULL) : NULL;
	free(rec);
	if (!j) {
		cli_fail("ENOMEM", "監査記録を作れません (cannot build the audit record)");
		return 1;
	}
	struct mmr_audit_event ev = {
		.tenant = tenant,
		.actor = "system",
		.action = "mail.textize",
		.object_kind = "mail",
		.object_id = *res->message_id ? res->message_id : res->in_sha256,
		.before = res->in_sha256,
		.after = res->out_sha256,
		.decision = j,
	};
	mmr_error err;
	int rc = mmr_audit_append(st, &ev, NULL, &err);
	json_decref(j);
	if (rc != MMR_OK) {
		cli_fail(mmr_code_name(err.code), "監査ログに記録できません: %s", err.message);
		return 1;
	}
	return 0;
}

static int textize(int argc, char **argv)
{
	struct mail_opts o;
	int rc = parse_opts(argc, argv, 0, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	mmr_store *st = NULL;
	if (o.db) {
		mmr_error err;
		const mmr_policy *pol;
		if (mmr_store_open(o.db, NULL, &st, &err) != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "%s", err.message);
			return 1;
		}
		if (mmr_tenant_policy(st, o.tenant, &pol, &err) != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "団体 \"%s\": %s", o.tenant, err.message);
			mmr_store_close(st);
			return 2;
		}
		if (!o.profile && mmr_mail_limits_from_policy(pol, &o.lim, &err) != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "%s", err.message);
			mmr_store_close(st);
			return 2;
		}
	}
	rc = textize_with(&o, st);
	mmr_store_close(st);
	return rc;
}

static int textize_with(struct mail_opts *po, mmr_store *st)
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
	if (st && audit_to_store(st, o.tenant, res))
		goto done;
	if (fwrite(res->out, 1, res->out_len, stdout) != res->out_len || fflush(stdout)) {
		cli_fail("EIO", "標準出力に書けません (cannot write standard output)");
		goto done;
	}
	int afd = open_audit(o.audit);
	if (afd == -1)
		goto done;
	if (afd >= 0) {
		char *rec = mmr_mail_audit_json(res);
		if (rec) {
			dprintf(afd, "%s\n", rec);
			free(rec);
		}
		if (afd != STDERR_FILENO)
			close(afd);
	}
	status = 0;
done:
	mmr_textizer_free(tz);
	free(in);
	return status;
}

int cmd_mail(int argc, char **argv)
{
	if (!strcmp(argv[0], "milter")) {
		struct mail_opts o;
		int rc = parse_opts(argc, argv, 1, &o);
		if (rc)
			return rc < 0 ? 0 : rc;
		int afd = open_audit(o.audit);
		if (afd == -1)
			return 1;
		mmr_milter_config cfg = {.socket = o.socket,
					 .limits = o.lim,
					 .quarantine_dir = o.quarantine,
					 .audit_fd = afd >= 0 ? afd : -1};
		mmr_error err;
		rc = mmr_milter_run(&cfg, &err);
		if (rc != MMR_OK) {
			cli_fail(mmr_code_name(err.code), "%s", err.message);
			return rc == MMR_EINVAL ? 2 : 1;
		}
		return 0;
	}
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
