/*
 * cmd_sanitize.c — `mamori sanitize`: file sanitization (ファイル無害化)
 * of one file or of a directory (issue 8).
 *
 * Exit codes: 0 sanitized (every file, in the batch form), 2 bad usage or
 * an input that cannot be read, 3 refused (a file of the batch refused),
 * with the reason in Japanese.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mamori.h"
#include "sanitize/sanitize.h"
#include "store/audit.h"
#include "store/store.h"

static const char help[] =
	"使い方: mamori sanitize IN -o OUT [--report FILE.json] [--flatten] [--remove-links]\n"
	"                        [--profile FILE]\n"
	"        mamori sanitize --in DIR --out DIR [--report FILE.jsonl] [同上の選択肢]\n"
	"  ファイルの危険因子を除去して作り直します（ファイル無害化）。形式は名前ではなく\n"
	"  内容から判定します。Office 文書 (docx/xlsx/pptx、docm 等はマクロなしの形式へ),\n"
	"  PDF, PNG/JPEG/GIF, テキスト/CSV に対応し、それ以外は理由を示して拒否します。\n"
	"  -o OUT           出力ファイル（形式に合わせて拡張子を直します）\n"
	"  --in/--out DIR   ディレクトリの全ファイルを処理します（一ファイル一行の結果）\n"
	"  --report FILE    報告 (JSON; 一括処理では一ファイル一行) を書きます（- で標準出力）\n"
	"  --flatten        PDF の全ページを画像にして作り直します\n"
	"  --remove-links   ハイパーリンク・URI アクションも除去します\n"
	"  --profile FILE   sanitize.max_input_mb / max_seconds / remove_links を読みます\n"
	"  --db DB --tenant T [--actor LOGIN]\n"
	"                   一ファイルごとに監査ログへ記録します (action file.sanitize)\n"
	"終了コード: 0 無害化した, 2 使い方の誤り・入力を読めない, 3 拒否した\n";

/* The input mapped read-only: a file over the size limit is refused
 * without being read into memory. */
struct mapped {
	unsigned char *data;
	size_t len;
};

static int map_file(const char *path, struct mapped *m)
{
	static unsigned char empty[1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	m->len = (size_t)st.st_size;
	m->data = empty;
	if (m->len) {
		void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return -1;
		}
		m->data = p;
	}
	close(fd);
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->len)
		munmap(m->data, m->len);
}

static int write_file(const char *path, const unsigned char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	if (fclose(f) != 0 || w != len)
		return -1;
	return 0;
}

/* The hard stop behind the library's own time checks. */
static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] =
		"mamori: エラー [EDENIED]: 処理時間の上限を超えたため拒否しました (time limit)\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	_exit(3);
}

static bool same_ext(const char *path, const char *ext)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return false;
	if (!strcasecmp(dot + 1, ext))
		return true;
	return !strcmp(ext, "jpg") && !strcasecmp(dot + 1, "jpeg");
}

static void print_removed(FILE *f, const mmr_sanitize_result *r)
{
	char kinds[512];
	mmr_sanitize_result_removed_summary(r, kinds, sizeof kinds);
	fprintf(f, "（除去 %zu 件%s%s）", mmr_sanitize_result_removed_count(r),
		kinds[0] ? ": " : "", kinds);
}

struct run {
	mmr_sanitizer *s;
	mmr_sanitize_opts opts;
	FILE *report;
	unsigned alarm_s;
	mmr_store *store; /* the audit log, when --db is given */
	const char *tenant, *actor;
};

/* One record in the audit log: the verdict as the action's outcome, the
 * digests of the file before and after, and the whole report as the
 * decision. */
static int audit(struct run *run, const mmr_sanitize_result *r, const char *in, const char *out)
{
	char before[65], after[65];
	mmr_sanitize_result_sha256(r, before, after);
	json_t *report = mmr_sanitize_result_report(r, in, out);
	struct mmr_audit_event ev = {
		.tenant = run->tenant,
		.actor = run->actor,
		.action = mmr_sanitize_result_ok(r) ? "file.sanitize" : "file.sanitize.refused",
		.object_kind = "file",
		.object_id = in,
		.before = before,
		.after = after[0] ? after : NULL,
		.decision = report,
	};
	mmr_error err = {0};
	int rc = report ? mmr_audit_append(run->store, &ev, NULL, &err) : MMR_ENOMEM;
	json_decref(report);
	if (rc) {
		cli_fail(mmr_code_name(rc), "%s: 監査ログに記録できません: %s", in, err.message);
		return 2;
	}
	return 0;
}

/* Sanitize one file to out_path (its extension corrected); returns 0, 2
 * or 3 as the command does. */
static int one_file(struct run *run, const char *in, const char *out_path, bool quiet,
		    const char **why)
{
	struct mapped m;
	*why = "";
	if (map_file(in, &m) != 0) {
		cli_fail("EIO", "%s: 入力ファイルを読めません: %s", in, strerror(errno));
		return 2;
	}
	mmr_sanitize_result *r = NULL;
	mmr_error err = {0};
	alarm(run->alarm_s);
	int rc = mmr_sanitize_buffer(run->s, in, m.data, m.len, &r, &err);
	alarm(0);
	unmap_file(&m);
	if (rc) {
		cli_fail(mmr_code_name(err.code), "%s: %s", in, err.message);
		return 2;
	}
	int status = 0;
	char *final = NULL;
	if (mmr_sanitize_result_ok(r)) {
		const char *ext = mmr_sanitize_result_extension(r);
		final = same_ext(out_path, ext) ? strdup(out_path)
						: mmr_sanitize_rename(out_path, ext);
		size_t n;
		const unsigned char *d = mmr_sanitize_result_data(r, &n);
		if (!final || write_file(final, d, n) != 0) {
			cli_fail("EIO", "%s: 出力ファイルを書けません: %s",
				 final ? final : out_path, strerror(errno));
			status = 2;
		} else if (!quiet) {
			printf("無害化しました: %s → %s ", in, final);
			print_removed(stdout, r);
			putchar('\n');
			if (strcmp(final, out_path))
				fprintf(stderr,
					"mamori: 注意: 内容 (%s) に合わせ出力名を %s にしました\n",
					mmr_sanitize_result_type(r), final);
		}
	} else {
		status = 3;
		if (!quiet)
			cli_fail("EDENIED", "%s: 取り込みを拒否しました: %s", in,
				 mmr_sanitize_result_reason(r));
	}
	if (!quiet && mmr_sanitize_result_name_mismatch(r))
		fprintf(stderr, "mamori: 注意: %s の名前（拡張子）は内容 (%s) と一致しません\n", in,
			mmr_sanitize_result_type(r));
	if (run->store && audit(run, r, in, final))
		status = 2;
	if (run->report) {
		char *json = mmr_sanitize_result_json(r, in, final);
		if (json) {
			fprintf(run->report, "%s\n", json);
			free(json);
		}
	}
	/* For the batch's line: the reason, or what was removed. */
	static char reason[1200];
	const char *mismatch = mmr_sanitize_result_name_mismatch(r) ? "（名前が内容と不一致）" : "";
	if (status == 0) {
		char kinds[600];
		mmr_sanitize_result_removed_summary(r, kinds, sizeof kinds);
		const char *slash = final ? strrchr(final, '/') : NULL;
		snprintf(reason, sizeof reason, "→ %s  除去 %zu 件%s%s%s",
			 slash ? slash + 1 : (final ? final : ""),
			 mmr_sanitize_result_removed_count(r), kinds[0] ? ": " : "", kinds,
			 mismatch);
	} else {
		snprintf(reason, sizeof reason, "%s%s", mmr_sanitize_result_reason(r), mismatch);
	}
	*why = reason;
	free(final);
	mmr_sanitize_result_free(r);
	return status;
}

/* ---- the batch form ---- */

static char **g_files;
static size_t g_nfiles, g_cap;
static size_t g_root_len;

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	if (g_nfiles == g_cap) {
		size_t cap = g_cap ? g_cap * 2 : 64;
		char **f = realloc(g_files, cap * sizeof *f);
		if (!f)
			return -1;
		g_files = f;
		g_cap = cap;
	}
	g_files[g_nfiles] = strdup(path + g_root_len);
	return g_files[g_nfiles++] ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static void progress(size_t done, size_t total, const char *name)
{
	int width = 30, fill = total ? (int)(done * (size_t)width / total) : width;
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu %-40.40s", fill, "##############################",
		width - fill, "", done, total, name);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int batch(struct run *run, const char *in_dir, const char *out_dir)
{
	struct stat st;
	if (stat(in_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_fail("EIO", "%s: 入力ディレクトリを読めません", in_dir);
		return 2;
	}
	if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
		cli_fail("EIO", "%s: 出力ディレクトリを作れません: %s", out_dir, strerror(errno));
		return 2;
	}
	g_root_len = strlen(in_dir);
	while (g_root_len > 1 && in_dir[g_root_len - 1] == '/')
		g_root_len--;
	g_root_len++; /* the slash */
	if (nftw(in_dir, collect, 16, FTW_PHYS) != 0) {
		cli_fail("EIO", "%s: 入力ディレクトリを読めません: %s", in_dir, strerror(errno));
		return 2;
	}
	qsort(g_files, g_nfiles, sizeof *g_files, cmp_str);
	bool tty = isatty(2);
	size_t ok = 0, refused = 0, failed = 0;
	for (size_t i = 0; i < g_nfiles; i++) {
		char in[4096], out[4096];
		snprintf(in, sizeof in, "%.*s/%s", (int)(g_root_len - 1), in_dir, g_files[i]);
		snprintf(out, sizeof out, "%s/%s", out_dir, g_files[i]);
		if (tty)
			progress(i, g_nfiles, g_files[i]);
		const char *why = "";
		int rc = mkdirs(out) == 0 ? one_file(run, in, out, true, &why) : 2;
		if (tty)
			fputs("\r\033[K", stderr);
		if (rc == 0) {
			ok++;
			printf("無害化 %s  %s\n", g_files[i], why);
		} else if (rc == 3) {
			refused++;
			printf("拒否   %s  理由: %s\n", g_files[i], why);
		} else {
			failed++;
			printf("失敗   %s\n", g_files[i]);
		}
		fflush(stdout);
	}
	if (tty)
		progress(g_nfiles, g_nfiles, "");
	printf("合計 %zu 件: 無害化 %zu, 拒否 %zu, 失敗 %zu\n", g_nfiles, ok, refused, failed);
	for (size_t i = 0; i < g_nfiles; i++)
		free(g_files[i]);
	free(g_files);
	g_files = NULL;
	g_nfiles = g_cap = 0;
	return failed ? 2 : refused ? 3 : 0;
}

static int load_profile(const char *path, mmr_sanitize_opts *o, bool links_flag)
{
	mmr_policy *pol = NULL;
	mmr_error err = {0};
	if (mmr_policy_load(path, &pol, &err)) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		return 2;
	}
	long v;
	if (mmr_policy_setting_int(pol, "sanitize.max_input_mb", &v) == MMR_OK && v > 0)
		o->max_input_bytes = (size_t)v * 1024u * 1024u;
	if (mmr_policy_setting_int(pol, "sanitize.max_seconds", &v) == MMR_OK && v > 0)
		o->max_seconds = (double)v;
	if (!links_flag && mmr_policy_setting_int(pol, "sanitize.remove_links", &v) == MMR_OK)
		o->remove_links = v != 0;
	mmr_policy_free(pol);
	return 0;
}

int cmd_sanitize(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *in_dir = NULL, *out_dir = NULL, *report = NULL,
		   *profile = NULL, *db = NULL;
	struct run run = {0};
	bool links_flag = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(help, stdout);
			return 0;
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has) {
			out = argv[++i];
		} else if (!strcmp(a, "--in") && has) {
			in_dir = argv[++i];
		} else if (!strcmp(a, "--out") && has) {
			out_dir = argv[++i];
		} else if (!strcmp(a, "--report") && has) {
			report = argv[++i];
		} else if (!strcmp(a, "--profile") && has) {
			profile = argv[++i];
		} else if (!strcmp(a, "--db") && has) {
			db = argv[++i];
		} else if (!strcmp(a, "--tenant") && has) {
			run.tenant = argv[++i];
		} else if (!strcmp(a, "--actor") && has) {
			run.actor = argv[++i];
		} else if (!strcmp(a, "--flatten")) {
			run.opts.flatten = true;
		} else if (!strcmp(a, "--remove-links")) {
			run.opts.remove_links = true;
			links_flag = true;
		} else if (a[0] != '-' && !in) {
			in = a;
		} else {
			cli_fail("EINVAL",
				 "sanitize: 不明な引数 \"%s\"（mamori sanitize --help）(bad "
				 "argument)",
				 a);
			return 2;
		}
	}
	bool single = in || out;
	if (single == (in_dir || out_dir) || (single && (!in || !out)) ||
	    (!single && (!in_dir || !out_dir))) {
		cli_fail("EINVAL",
			 "sanitize: IN -o OUT か --in DIR --out DIR のどちらかを指定してください "
			 "(usage)");
		return 2;
	}
	if (single && !strcmp(in, out)) {
		cli_fail("EINVAL", "sanitize: 入力と出力が同じファイルです (same file)");
		return 2;
	}
	if (profile && load_profile(profile, &run.opts, links_flag))
		return 2;
	if (db && !run.tenant) {
		cli_fail("EINVAL", "sanitize: --db には --tenant が必要です (missing --tenant)");
		return 2;
	}
	if (!run.actor) {
		const char *u = getenv("USER");
		run.actor = u && u[0] ? u : "system";
	}
	if (db) {
		mmr_error serr = {0};
		if (mmr_store_open(db, NULL, &run.store, &serr)) {
			cli_fail(mmr_code_name(serr.code), "%s: %s", db, serr.message);
			return 2;
		}
	}
	mmr_error err = {0};
	if (mmr_sanitizer_new(&run.opts, &run.s, &err)) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		mmr_store_close(run.store);
		return 2;
	}
	double secs =
		run.opts.max_seconds > 0 ? run.opts.max_seconds : MMR_SANITIZE_DEFAULT_MAX_SECONDS;
	run.alarm_s = (unsigned)(secs * 2) + 5;
	signal(SIGALRM, on_alarm);
	int status = 2;
	if (report) {
		run.report = !strcmp(report, "-") ? stdout : fopen(report, "w");
		if (!run.report) {
			cli_fail("EIO", "%s: 報告ファイルを書けません: %s", report,
				 strerror(errno));
			goto done;
		}
	}
	if (single) {
		const char *why;
		status = one_file(&run, in, out, false, &why);
	} else {
		status = batch(&run, in_dir, out_dir);
	}
done:
	if (run.report && run.report != stdout && fclose(run.report) != 0) {
		cli_fail("EIO", "%s: 報告ファイルを書けません", report);
		status = 2;
	}
	mmr_sanitizer_free(run.s);
	mmr_store_close(run.store);
	return status;
}
