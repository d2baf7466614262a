/*
 * main.c — the `mamori` command: one binary, subcommands. This file turns
 * library results into exit codes and messages; it holds no policy.
 *
 * Exit codes: 0 success (for `decide`: any decision), 1 internal failure,
 * 2 bad input (a request, a profile, an argument), with one line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mamori.h"

static const char usage[] =
	"使い方 (usage): mamori <コマンド> [引数]\n"
	"\n"
	"  decide --profile FILE [--request FILE]\n"
	"        要求 (JSON) に対する判定を出力します。要求は標準入力か --request から。\n"
	"        decide a request (JSON on stdin or --request) under a profile.\n"
	"  policy check FILE...\n"
	"        "
	"プロファイルを検査します（未知のキー、未定義の役割・レベル、引用の誤り、矛盾する規則）。\n"
	"  policy show FILE [--level AXIS=LEVEL] [--format text|json]\n"
	"        役割・分類と取扱制限・規則と根拠条項を表示します。\n"
	"  init --db DB [--demo]\n"
	"        データベースを作成・移行します（--demo で五団体の見本データ）。\n"
	"  tenant add --db DB --id ID --profile FILE [--name NAME] | tenant list --db DB\n"
	"  user add --db DB --tenant T --login L --role ROLE [--unit U] --password-stdin\n"
	"  serve --db DB [--listen 127.0.0.1:8080]\n"
	"        Web 画面と JSON API を提供します。\n"
	"  backup --db DB --to FILE | restore --db DB --from FILE\n"
	"  import units|assets|systems|users --db DB --tenant T FILE.csv\n"
	"  export units|assets|systems|users --db DB --tenant T --format csv|xlsx --to FILE\n"
	"  zones check --profile FILE --zones ZONES.yaml --rules RULESET [--format text|json|svg]\n"
	"        ファイアウォールの規則が三層の分離を守っているか確かめます（違反があれば 1）。\n"
	"  mail textize [--profile FILE] [--quarantine DIR] [--db DB --tenant T] < in > out\n"
	"        メールを本文のテキストだけに変換します（メールテキスト化）。\n"
	"  milter --socket inet:PORT@127.0.0.1 [--profile FILE] [--quarantine DIR]\n"
	"        Postfix の milter としてメールテキスト化を行います。\n"
	"  log key|checkpoint|proof|consistency|verify|export|prune|search --db DB [--tenant T]\n"
	"        改ざんを検出できる監査ログ（検証は問題があれば終了コード 1）。\n"
	"  sanitize IN -o OUT [--report F] [--flatten] | sanitize --in DIR --out DIR\n"
	"        ファイルを無害化します（危険因子の除去、対応しない形式は拒否・終了コード 3）。\n"
	"  report inspection --db DB --tenant T --round R --format xlsx|csv|html -o FILE\n"
	"        自己点検の結果報告を書き出します。\n"
	"  incident due|list --db DB --tenant T | notify send --db DB --smtp HOST:PORT\n"
	"        委員会への報告の期限（超過があれば 1）、事案の一覧、通知メールの送信。\n"
	"  help [コマンド]      この説明を表示します。\n"
	"  version            版を表示します。\n"
	"\n"
	"終了コード: 0 成功（decide はどの判定でも 0）, 1 内部エラー, 2 入力の誤り。\n";

void cli_fail(const char *code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mamori: エラー [%s]: ", code);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_read_all(FILE *f, size_t limit, char **out, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *b = malloc(cap + 1);
	if (!b)
		return MMR_ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > limit) {
				free(b);
				return MMR_ELIMIT;
			}
			cap *= 2;
			char *nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				return MMR_ENOMEM;
			}
			b = nb;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (!got)
			break;
	}
	if (ferror(f)) {
		free(b);
		return MMR_EIO;
	}
	if (n > limit) {
		free(b);
		return MMR_ELIMIT;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return MMR_OK;
}

/*
 * The subcommands. Each module adds its own line (and its lines in `usage`);
 * `mamori help NAME` passes --help to the command.
 */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"decide", cmd_decide},	    {"policy", cmd_policy},
#ifndef MAMORI_CLI_CORE
	{"init", cmd_init},	    {"tenant", cmd_tenant},	{"user", cmd_user},
	{"serve", cmd_serve},	    {"backup", cmd_backup},	{"restore", cmd_backup},
	{"import", cmd_import},	    {"export", cmd_import},	{"zones", cmd_zones},
	{"mail", cmd_mail},	    {"milter", cmd_mail},	{"log", cmd_log},
	{"sanitize", cmd_sanitize}, {"incident", cmd_incident}, {"notify", cmd_incident},
	{"report", cmd_report},
#endif
};

#ifdef MAMORI_CLI_CORE
/*
 * `mamori` itself links only the core (libyaml, jansson): `mamori decide`
 * starts in a few milliseconds, where loading the hundred libraries of the
 * store, web, mail and sanitization modules took 45 ms. Every other command
 * runs in `mamori-tools`, installed beside it, with the same arguments.
 */
static int run_tools(char **argv)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
	if (n <= 0) {
		cli_fail("EIO", "実行ファイルの場所がわかりません: %s", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	snprintf(slash ? slash + 1 : self, sizeof self - (size_t)(slash ? slash + 1 - self : 0),
		 "mamori-tools");
	/* An import holds every row of its file in memory until it writes them
	 * (nothing is written unless all are good): 100,000 assets are some
	 * 200 MB of small allocations. Faulting their pages in one by one took
	 * a quarter of the client's time (55,000 faults): transparent huge
	 * pages for the heap (glibc malloc, madvise mode) fault it in 2 MB at a
	 * time. And the fast bins, which keep small freed chunks apart until
	 * some larger request gathers them all, made one such request walk
	 * hundreds of thousands of chunks across the heap: without them
	 * (tcache still serves the small sizes) the import takes 5% less CPU.
	 * Each measured in alternating runs (10% and 5% of user time). Not for
	 * the server, whose memory stays small and long-lived; tunables of the
	 * caller's own are kept. */
	if (argv[1] && !strcmp(argv[1], "import"))
		setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1:glibc.malloc.mxfast=0", 0);
	execv(self, argv);
	cli_fail("EIO", "%s を実行できません: %s", self, strerror(errno));
	return 1;
}
#endif

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		const struct command *c = argc > 2 ? command_find(argv[2]) : NULL;
		if (c)
			return c->run(2, (char *[]){argv[2], "--help", NULL});
#ifdef MAMORI_CLI_CORE
		if (argc > 2)
			return run_tools(argv);
#endif
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("mamori %s\n", MAMORI_VERSION);
		return 0;
	}
	const struct command *c = command_find(cmd);
	if (c)
		return c->run(argc - 1, argv + 1);
#ifdef MAMORI_CLI_CORE
	return run_tools(argv);
#endif
	cli_fail("EINVAL", "未知のコマンド \"%s\"（mamori help を参照）(unknown command)", cmd);
	return 2;
}
