/*
 * cmd_admin.c — administration: `mamori init`, `tenant add`, `user add`,
 * `serve`, `backup`, `restore`. Exit codes: 0 done, 1 internal failure or
 * an unreachable database, 2 bad input (an argument, a profile, a password
 * the profile refuses), 3 refused (already exists).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "http/http.h"
#include "store/notify.h"
#include "store/store.h"

static int exit_for(int rc)
{
	switch (rc) {
	case MMR_OK: return 0;
	case MMR_EINVAL:
	case MMR_ENOTFOUND:
	case MMR_ELIMIT: return 2;
	case MMR_ECONFLICT:
	case MMR_EDENIED: return 3;
	default: return 1;
	}
}

static int fail(int rc, const mmr_error *err)
{
	cli_fail(mmr_code_name(rc), "%s", err->message);
	return exit_for(rc);
}

struct opts {
	const char *db, *id, *profile, *name, *tenant, *login, *role, *unit, *listen, *to, *from,
		*policy_dir, *scope, *format, *smtp;
	bool demo, password_stdin, help, temporary;
	unsigned threads;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"id", required_argument, NULL, 'i'},
		{"profile", required_argument, NULL, 'p'},
		{"name", required_argument, NULL, 'n'},
		{"tenant", required_argument, NULL, 't'},
		{"login", required_argument, NULL, 'l'},
		{"role", required_argument, NULL, 'r'},
		{"unit", required_argument, NULL, 'u'},
		{"scope", required_argument, NULL, 's'},
		{"listen", required_argument, NULL, 'L'},
		{"to", required_argument, NULL, 'T'},
		{"from", required_argument, NULL, 'F'},
		{"policy-dir", required_argument, NULL, 'P'},
		{"format", required_argument, NULL, 'f'},
		{"threads", required_argument, NULL, 'j'},
		{"smtp", required_argument, NULL, 'M'},
		{"demo", no_argument, NULL, 'D'},
		{"password-stdin", no_argument, NULL, 'S'},
		{"temporary", no_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'i': o->id = optarg; break;
		case 'p': o->profile = optarg; break;
		case 'f': o->format = optarg; break;
		case 'n': o->name = optarg; break;
		case 't': o->tenant = optarg; break;
		case 'l': o->login = optarg; break;
		case 'r': o->role = optarg; break;
		case 'u': o->unit = optarg; break;
		case 's': o->scope = optarg; break;
		case 'L': o->listen = optarg; break;
		case 'T': o->to = optarg; break;
		case 'F': o->from = optarg; break;
		case 'P': o->policy_dir = optarg; break;
		case 'M': o->smtp = optarg; break;
		case 'j': o->threads = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'D': o->demo = true; break;
		case 'S': o->password_stdin = true; break;
		case 'X': o->temporary = true; break;
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
	return 0;
}

static int need(const char *v, const char *flag)
{
	if (v)
		return 0;
	cli_fail("EINVAL", "%s が必要です (%s is required)", flag, flag);
	return 2;
}

static void demo_report(void *ud, const char *tenant, const char *login, const char *role,
			const char *password)
{
	(void)ud;
	printf("  %-14s %-28s %s  (%s)\n", tenant, login, password, role);
}

static const char init_help[] =
	"使い方: mamori init --db DB [--demo] [--policy-dir DIR]\n"
	"  データベースを作成し、最新の形に移行します。--demo で五団体の見本データを入れ、\n"
	"  サインイン情報を表示します。\n"
	"  create (or migrate) the database; --demo adds the five bodies of the seeds.\n";

int cmd_init(int argc, char **argv)
{
	struct opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(init_help, stdout);
		return 0;
	}
	if ((rc = need(o.db, "--db")))
		return rc;
	mmr_store *st;
	mmr_error err;
	if ((rc = mmr_store_open(o.db, o.policy_dir, &st, &err)))
		return fail(rc, &err);
	int v = 0;
	mmr_store_schema_version(st, &v, &err);
	printf("データベースを用意しました (schema %d): %s\n", v, o.db);
	if (o.demo) {
		puts("見本データ（五団体）を作成しています…\n  団体           ログイン名           "
		     "        パスワード");
		rc = mmr_store_demo(st, demo_report, NULL, &err);
		if (rc) {
			mmr_store_close(st);
			return fail(rc, &err);
		}
	}
	mmr_store_close(st);
	return 0;
}

static const char tenant_help[] =
	"使い方: mamori tenant add --db DB --id ID --profile FILE [--name NAME]\n"
	"        mamori tenant list --db DB\n"
	"  団体（テナント）を方針プロファイルとともに登録します。\n";

int cmd_tenant(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "list"))) {
		bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		fputs(tenant_help, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	struct opts o = {0};
	int rc = parse(argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(tenant_help, stdout);
		return 0;
	}
	if ((rc = need(o.db, "--db")))
		return rc;
	bool add = !strcmp(argv[1], "add");
	if (add && ((rc = need(o.id, "--id")) || (rc = need(o.profile, "--profile"))))
		return rc;
	mmr_store *st;
	mmr_error err;
	if ((rc = mmr_store_open(o.db, o.policy_dir, &st, &err)))
		return fail(rc, &err);
	if (add) {
		rc = mmr_tenant_add(st, o.id, o.name, o.profile, &err);
		if (!rc)
			printf("団体 %s を登録しました (profile %s)\n", o.id, o.profile);
	} else {
		json_t *l = mmr_tenant_list(st, &err);
		size_t i;
		json_t *t;
		json_array_foreach (l, i, t)
			printf("%s\t%s\t%s\n", json_string_value(json_object_get(t, "id")),
			       json_string_value(json_object_get(t, "name")),
			       json_string_value(json_object_get(t, "profile")));
		json_decref(l);
		rc = l ? MMR_OK : MMR_EIO;
	}
	mmr_store_close(st);
	return rc ? fail(rc, &err) : 0;
}

static const char user_help[] =
	"使い方: mamori user add --db DB --tenant T --login L --role ROLE [--scope "
	"body|unit|system]\n"
	"                        [--unit UNIT] [--name NAME] --password-stdin [--temporary]\n"
	"  利用者を登録します。パスワードは標準入力の 1 "
	"行目から読みます（プロファイルの規則で検査）。\n"
	"  --temporary: 管理者が発行する仮パスワード（初回サインイン時に変更が必要）。\n"
	"  --unit は組織の番号か名称。--scope unit のとき、その組織が役割の範囲になります。\n";

static int unit_lookup(mmr_store *st, const char *tenant, const char *unit, int64_t *id,
		       mmr_error *err)
{
	char *end;
	long long v = strtoll(unit, &end, 10);
	if (!*end && v > 0) {
		*id = v;
		return MMR_OK;
	}
	mmr_actor sys;
	mmr_actor_system(&sys, tenant);
	struct mmr_ledger_query q = {.n_filters = 1, .filters = {{"name", unit}}, .limit = 1};
	json_t *l;
	int rc = mmr_ledger_list(st, &sys, "units", &q, &l, err);
	if (rc)
		return rc;
	json_t *first = json_array_get(json_object_get(l, "items"), 0);
	*id = first ? json_integer_value(json_object_get(first, "id")) : 0;
	json_decref(l);
	if (!*id) {
		mmr_error_set(err, MMR_ENOTFOUND, "[unit] 組織 \"%s\" はありません", unit);
		return MMR_ENOTFOUND;
	}
	return MMR_OK;
}

int cmd_user(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "add")) {
		bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		fputs(user_help, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	struct opts o = {0};
	int rc = parse(argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(user_help, stdout);
		return 0;
	}
	if ((rc = need(o.db, "--db")) || (rc = need(o.tenant, "--tenant")) ||
	    (rc = need(o.login, "--login")) || (rc = need(o.role, "--role")))
		return rc;
	if (!o.password_stdin) {
		cli_fail("EINVAL", "--password-stdin が必要です（パスワードを引数に書かないため）");
		return 2;
	}
	char pw[1100];
	if (!fgets(pw, sizeof pw, stdin)) {
		cli_fail("EINVAL", "標準入力からパスワードを読めません");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	mmr_store *st;
	mmr_error err;
	if ((rc = mmr_store_open(o.db, o.policy_dir, &st, &err)))
		return fail(rc, &err);
	mmr_actor sys;
	mmr_actor_system(&sys, o.tenant);
	int64_t unit = 0;
	const mmr_policy *pol;
	rc = mmr_tenant_policy(st, o.tenant, &pol, &err);
	if (!rc && o.unit)
		rc = unit_lookup(st, o.tenant, o.unit, &unit, &err);
	json_t *out = NULL;
	if (!rc) {
		json_t *role = json_pack("{s:s, s:s}", "role", o.role, "scope",
					 o.scope ? o.scope : "body");
		if (o.scope && strcmp(o.scope, "body"))
			json_object_set_new(role, "scope_id", json_integer(unit));
		json_t *u = json_pack("{s:s, s:s, s:[o]}", "login", o.login, "name",
				      o.name ? o.name : o.login, "roles", role);
		if (unit)
			json_object_set_new(u, "unit_id", json_integer(unit));
		mmr_db_begin(mmr_store_db(st), &err);
		rc = mmr_ledger_create(st, &sys, "users", u, &out, &err);
		json_decref(u);
		if (!rc)
			rc = mmr_user_set_password(st, o.tenant,
						   json_integer_value(json_object_get(out, "id")),
						   pw, o.temporary, &err);
		if (!rc)
			rc = mmr_db_commit(mmr_store_db(st), &err);
		else
			mmr_db_rollback(mmr_store_db(st));
	}
	memset(pw, 0, sizeof pw);
	if (!rc)
		printf("利用者 %s を登録しました (id %" JSON_INTEGER_FORMAT ", %s)\n", o.login,
		       json_integer_value(json_object_get(out, "id")), o.role);
	json_decref(out);
	mmr_store_close(st);
	return rc ? fail(rc, &err) : 0;
}

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char serve_help[] =
	"使い方: mamori serve --db DB [--listen 127.0.0.1:8080] [--threads N] [--smtp HOST:PORT]\n"
	"  Web 画面と JSON API を提供します。SIGINT / SIGTERM で停止します。\n"
	"  --smtp（または環境変数 MAMORI_SMTP）: 通知をこの SMTP リレーでメール送信します\n"
	"  （差出人は MAMORI_SMTP_FROM、既定 mamori@localhost）。\n";

int cmd_serve(int argc, char **argv)
{
	struct opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(serve_help, stdout);
		return 0;
	}
	if ((rc = need(o.db, "--db")))
		return rc;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct mmr_http_config cfg = {.db = o.db,
				      .listen = o.listen ? o.listen : "127.0.0.1:8080",
				      .policy_dir = o.policy_dir,
				      .threads = o.threads,
				      .stop = &stop_flag};
	fprintf(stderr, "mamori: http://%s/ で待ち受けます (serving)\n", cfg.listen);
	mmr_error err;
	const char *smtp = o.smtp ? o.smtp : getenv("MAMORI_SMTP");
	mmr_notify_sender *sender = NULL;
	if (smtp && *smtp) {
		struct mmr_smtp_config sc = {.relay = smtp, .from = getenv("MAMORI_SMTP_FROM")};
		if ((rc = mmr_notify_sender_start(o.db, o.policy_dir, &sc, 1000, &stop_flag,
						  &sender, &err)))
			return fail(rc, &err);
		fprintf(stderr, "mamori: 通知メールを %s へ送ります (smtp relay)\n", smtp);
	}
	rc = mmr_http_serve(&cfg, &err);
	stop_flag = 1;
	mmr_notify_sender_join(sender);
	return rc ? fail(rc, &err) : 0;
}

static const char backup_help[] =
	"使い方: mamori backup --db DB --to FILE\n"
	"        mamori restore --db DB --from FILE\n"
	"  SQLite はオンラインバックアップ API、PostgreSQL は pg_dump / pg_restore を使います。\n";

int cmd_backup(int argc, char **argv)
{
	struct opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(backup_help, stdout);
		return 0;
	}
	bool restore = !strcmp(argv[0], "restore");
	if ((rc = need(o.db, "--db")) ||
	    (rc = need(restore ? o.from : o.to, restore ? "--from" : "--to")))
		return rc;
	mmr_error err;
	rc = restore ? mmr_store_restore(o.db, o.from, &err) : mmr_store_backup(o.db, o.to, &err);
	if (rc)
		return fail(rc, &err);
	printf("%s しました: %s\n", restore ? "復元" : "バックアップ", restore ? o.db : o.to);
	return 0;
}

static const char import_help[] =
	"使い方: mamori import units|assets|systems|users --db DB --tenant T FILE.csv\n"
	"        mamori export units|assets|systems|users --db DB --tenant T --format csv|xlsx "
	"--to FILE\n"
	"  CSV は UTF-8（BOM 有無どちらも）か CP932 (Shift_JIS)。見出し行の列名は日本語の項目名\n"
	"  （名称, 種別, 所管課, 重要性分類 …）か英語のフィールド名。1 行でも誤りがあれば、\n"
	"  誤りのある行・列・理由をすべて示し、何も取り込みません（終了コード 2）。\n"
	"  CSV の書き出しは Excel で開ける BOM 付き UTF-8 です。\n";

static void progress(void *ud, size_t rows)
{
	(void)ud;
	fprintf(stderr, "\r取り込み中… %zu 行", rows);
}

int cmd_import(int argc, char **argv)
{
	bool is_export = !strcmp(argv[0], "export");
	if (argc < 2 || argv[1][0] == '-') {
		bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		fputs(import_help, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	const char *kind = argv[1];
	const char *file = NULL;
	/* the file is the last argument of import */
	if (!is_export && argc >= 3 && argv[argc - 1][0] != '-') {
		file = argv[argc - 1];
		argc--;
	}
	struct opts o = {0};
	int rc = parse(argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	if ((rc = need(o.db, "--db")) || (rc = need(o.tenant, "--tenant")))
		return rc;
	if (is_export ? (rc = need(o.to, "--to")) : (rc = need(file, "FILE.csv")))
		return rc;
	mmr_store *st;
	mmr_error err;
	if ((rc = mmr_store_open(o.db, o.policy_dir, &st, &err)))
		return fail(rc, &err);
	mmr_actor sys;
	mmr_actor_system(&sys, o.tenant);
	if (is_export) {
		size_t rows;
		rc = mmr_export(st, &sys, kind, o.format ? o.format : "csv", o.to, &rows, &err);
		if (!rc)
			printf("%zu 件を書き出しました: %s\n", rows, o.to);
		mmr_store_close(st);
		return rc ? fail(rc, &err) : 0;
	}
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	size_t len = 0;
	if (!f) {
		mmr_store_close(st);
		cli_fail("EIO", "\"%s\" を開けません", file);
		return 2;
	}
	rc = cli_read_all(f, (size_t)64 << 20, &buf, &len);
	fclose(f);
	if (rc) {
		mmr_store_close(st);
		cli_fail(mmr_code_name(rc), "\"%s\" を読めません%s", file,
			 rc == MMR_ELIMIT ? "（64 MiB を超えています）" : "");
		return 2;
	}
	json_t *errors = NULL;
	size_t imported = 0;
	bool tty = isatty(2);
	rc = mmr_import_csv(st, &sys, kind, buf, len, tty ? progress : NULL, NULL, &errors,
			    &imported, &err);
	if (tty)
		fputc('\n', stderr);
	free(buf);
	mmr_store_close(st);
	if (errors) {
		size_t i;
		json_t *e;
		json_array_foreach (errors, i, e)
			fprintf(stderr, "%s: %" JSON_INTEGER_FORMAT " 行目 [%s]: %s\n", file,
				json_integer_value(json_object_get(e, "row")),
				json_string_value(json_object_get(e, "column")),
				json_string_value(json_object_get(e, "error")));
		json_decref(errors);
	}
	if (rc)
		return fail(rc, &err);
	printf("%zu 件を取り込みました (%s)\n", imported, kind);
	return 0;
}
