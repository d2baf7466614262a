/*
 * cmd_incident.c — `mamori incident due|list` (the CSIRT's lists for a body,
 * for cron or a terminal) and `mamori notify send` (mail the pending
 * notifications once through an SMTP relay). Exit codes: 0 done (nothing
 * overdue), 1 something is overdue / a mail could not be sent / internal
 * failure, 2 bad input.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/incident.h"
#include "store/notify.h"
#include "store/store.h"

static const char help[] =
	"使い方: mamori incident due --db DB --tenant T [--now ISO8601] [--format text|json]\n"
	"        mamori incident list --db DB --tenant T [--state STATE] [--format text|json]\n"
	"        mamori notify send --db DB --smtp HOST:PORT [--from ADDR]\n"
	"  due: 個人情報保護委員会への未了の報告（速報 3 日・確報 30 日／不正目的 60 日）を\n"
	"       期限順に表示します。期限を過ぎたものがあれば終了コード 1。\n"
	"  list: 事案の一覧（状態で絞り込み）。\n"
	"  notify send: 未送信の通知を SMTP リレーでメール送信します（送れないものがあれば 1）。\n"
	"  due: reports to the Personal Information Protection Commission not yet made (exit 1 if\n"
	"  any is overdue); list: the cases; notify send: mail pending notifications once.\n";

struct opts {
	const char *db, *tenant, *now, *format, *state, *smtp, *from;
	bool help;
};

static int parse(int argc, char **argv, int first, struct opts *o)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"tenant", required_argument, NULL, 't'},
		{"now", required_argument, NULL, 'n'},
		{"format", required_argument, NULL, 'f'},
		{"state", required_argument, NULL, 's'},
		{"smtp", required_argument, NULL, 'm'},
		{"from", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	optind = first;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 't': o->tenant = optarg; break;
		case 'n': o->now = optarg; break;
		case 'f': o->format = optarg; break;
		case 's': o->state = optarg; break;
		case 'm': o->smtp = optarg; break;
		case 'F': o->from = optarg; break;
		case 'h': o->help = true; break;
		default:
			cli_fail("EINVAL", "未知の引数 \"%s\"（--help を参照）(unknown option)",
				 argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		cli_fail("EINVAL", "余分な引数 \"%s\" (unexpected argument)", argv[optind]);
		return 2;
	}
	if (o->format && strcmp(o->format, "text") && strcmp(o->format, "json")) {
		cli_fail("EINVAL", "--format は text か json です（\"%s\"）", o->format);
		return 2;
	}
	return 0;
}

static int need(const char *v, const char *flag)
{
	if (v)
		return 0;
	cli_fail("EINVAL", "%s が必要です (%s is required)", flag, flag);
	return 2;
}

static int fail(int rc, const mmr_error *err)
{
	cli_fail(mmr_code_name(rc), "%s", err->message);
	return rc == MMR_EINVAL || rc == MMR_ENOTFOUND ? 2 : 1;
}

static int open_tenant(const struct opts *o, mmr_store **st, mmr_actor *sys)
{
	int rc;
	if ((rc = need(o->db, "--db")) || (rc = need(o->tenant, "--tenant")))
		return rc;
	mmr_error err;
	if ((rc = mmr_store_open(o->db, NULL, st, &err)))
		return fail(rc, &err);
	const mmr_policy *pol;
	if ((rc = mmr_tenant_policy(*st, o->tenant, &pol, &err))) {
		mmr_store_close(*st);
		*st = NULL;
		cli_fail("ENOTFOUND", "団体 \"%s\" はありません (--tenant)", o->tenant);
		return 2;
	}
	mmr_actor_system(sys, o->tenant);
	return 0;
}

static bool json_out(const struct opts *o)
{
	return o->format && !strcmp(o->format, "json");
}

static int due(const struct opts *o)
{
	int64_t now = mmr_now_ms();
	if (o->now && (now = mmr_iso_to_ms(o->now)) < 0) {
		cli_fail("EINVAL",
			 "--now \"%s\" を日時として読めません（例: 2026-04-05T09:00:00+09:00）",
			 o->now);
		return 2;
	}
	mmr_store *st;
	mmr_actor sys;
	int rc = open_tenant(o, &st, &sys);
	if (rc)
		return rc;
	json_t *d;
	mmr_error err;
	if ((rc = mmr_incident_ppc_due(st, &sys, now, &d, &err))) {
		mmr_store_close(st);
		return fail(rc, &err);
	}
	size_t overdue = 0, i;
	json_t *it;
	json_t *items = json_object_get(d, "items");
	json_array_foreach (items, i, it)
		overdue += json_is_true(json_object_get(it, "overdue"));
	if (json_out(o)) {
		json_dumpf(d, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
	} else {
		json_array_foreach (items, i, it)
			printf("#%-5" JSON_INTEGER_FORMAT " %s  期限 %s  %s  %s\n",
			       json_integer_value(json_object_get(it, "incident_id")),
			       json_string_value(json_object_get(it, "report_name")),
			       json_string_value(json_object_get(it, "due_at")),
			       json_is_true(json_object_get(it, "overdue")) ? "期限超過" : "期限内",
			       json_string_value(json_object_get(it, "title")));
		printf("未了 %zu 件（うち期限超過 %zu 件）\n", json_array_size(items), overdue);
	}
	json_decref(d);
	mmr_store_close(st);
	return overdue ? 1 : 0;
}

static int list(const struct opts *o)
{
	mmr_store *st;
	mmr_actor sys;
	int rc = open_tenant(o, &st, &sys);
	if (rc)
		return rc;
	json_t *l;
	mmr_error err;
	if ((rc = mmr_incident_list(st, &sys, o->state, false, 0, 500, mmr_now_ms(), &l, &err))) {
		mmr_store_close(st);
		return fail(rc, &err);
	}
	if (json_out(o)) {
		json_dumpf(l, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
	} else {
		size_t i;
		json_t *c;
		json_array_foreach (json_object_get(l, "items"), i, c) {
			const char *sev = json_string_value(json_object_get(c, "severity_name"));
			printf("#%-5" JSON_INTEGER_FORMAT " %-8s 深刻度:%-3s %s\n",
			       json_integer_value(json_object_get(c, "id")),
			       json_string_value(json_object_get(c, "state_name")), sev ? sev : "-",
			       json_string_value(json_object_get(c, "title")));
		}
	}
	json_decref(l);
	mmr_store_close(st);
	return 0;
}

static int send(const struct opts *o)
{
	int rc;
	const char *relay = o->smtp ? o->smtp : getenv("MAMORI_SMTP");
	if ((rc = need(o->db, "--db")) || (rc = need(relay, "--smtp")))
		return rc;
	const char *from = o->from ? o->from : getenv("MAMORI_SMTP_FROM");
	if (from && !mmr_email_valid(from)) {
		cli_fail("EINVAL", "--from \"%s\" はメールアドレスではありません", from);
		return 2;
	}
	mmr_store *st;
	mmr_error err;
	if ((rc = mmr_store_open(o->db, NULL, &st, &err)))
		return fail(rc, &err);
	struct mmr_smtp_config cfg = {.relay = relay, .from = from};
	size_t sent = 0, failed = 0, s, f;
	do {
		rc = mmr_notify_deliver(st, &cfg, 100, &s, &f, &err);
		sent += s;
		failed += f;
	} while (!rc && s == 100);
	mmr_store_close(st);
	if (rc)
		return fail(rc, &err);
	printf("送信 %zu 通、失敗 %zu 通 (sent, failed)\n", sent, failed);
	return failed ? 1 : 0;
}

int cmd_incident(int argc, char **argv)
{
	bool notify = !strcmp(argv[0], "notify");
	const char *sub = argc > 1 ? argv[1] : NULL;
	struct opts o = {0};
	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		fputs(help, sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	int rc = parse(argc, argv, 2, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(help, stdout);
		return 0;
	}
	if (notify && !strcmp(sub, "send"))
		return send(&o);
	if (!notify && !strcmp(sub, "due"))
		return due(&o);
	if (!notify && !strcmp(sub, "list"))
		return list(&o);
	cli_fail("EINVAL", "未知のサブコマンド \"%s\"（%s）", sub, notify ? "send" : "due / list");
	return 2;
}
