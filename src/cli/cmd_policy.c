/* cmd_policy.c — `mamori policy check FILE...` and `mamori policy show`. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "mamori.h"

static const char help[] =
	"使い方:\n"
	"  mamori policy check FILE...\n"
	"      プロファイルを検査し、問題ごとに file:line:column: 内容 を出力します。\n"
	"      終了コード: 0 問題なし, 2 問題あり。\n"
	"  mamori policy show FILE [--level AXIS=LEVEL] [--format text|json]\n"
	"      役割、分類（定義と取扱制限）、規則と根拠条項を日本語で表示します。\n"
	"      --level confidentiality=3B のように一つのレベルに絞れます。\n";

static void print_problem(void *ud, const char *file, int line, int col, const char *message)
{
	(void)ud;
	printf("%s:%d:%d: %s\n", file, line, col, message);
}

static int check(int argc, char **argv)
{
	if (argc < 1) {
		cli_fail("EINVAL", "policy check: ファイルを指定してください (missing FILE)");
		return 2;
	}
	int total = 0;
	for (int i = 0; i < argc; i++) {
		int n = mmr_policy_check(argv[i], print_problem, NULL);
		if (n < 0) {
			cli_fail("EIO", "%s: 読めません (cannot read)", argv[i]);
			total++;
			continue;
		}
		total += n;
		if (n == 0)
			fprintf(stderr, "%s: 問題はありません (ok)\n", argv[i]);
	}
	if (total) {
		fprintf(stderr, "mamori: %d 件の問題があります (%d problems)\n", total, total);
		return 2;
	}
	return 0;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void print_list(const json_t *a, const char *sep)
{
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v)
		printf("%s%s", i ? sep : "", json_string_value(v));
}

static void print_cond(const json_t *c)
{
	const char *k;
	json_t *v;
	bool first = true;
	json_object_foreach ((json_t *)c, k, v) {
		printf("%s", first ? "" : "; ");
		first = false;
		if (!strcmp(k, "context")) {
			const char *ck;
			json_t *cv;
			bool f2 = true;
			json_object_foreach (v, ck, cv) {
				printf("%s%s=", f2 ? "" : "; ", ck);
				f2 = false;
				print_list(cv, "|");
			}
			continue;
		}
		printf("%s=", k);
		if (json_is_object(v)) {
			if (json_object_get(v, "at_least"))
				printf("%s以上", jstr(v, "at_least"));
			else
				printf("%s以下", jstr(v, "at_most"));
		} else {
			print_list(v, "|");
		}
	}
}

static void show_text(const json_t *o)
{
	size_t i;
	json_t *v;
	printf("プロファイル: %s\n", jstr(o, "profile"));
	printf("  %s（%s）\n", jstr(o, "title"), jstr(o, "body"));
	if (json_array_size(json_object_get(o, "extends"))) {
		printf("  基底: ");
		print_list(json_object_get(o, "extends"), " → ");
		printf("\n");
	}
	printf("  規定がないときの判定: %s\n\n役割:\n", jstr(o, "default_effect"));
	json_array_foreach (json_object_get(o, "roles"), i, v)
		printf("  %-24s %s\n", jstr(v, "id"), jstr(v, "name"));
	printf("\n分類と取扱制限:\n");
	json_array_foreach (json_object_get(o, "axes"), i, v) {
		printf("  %s (%s)\n", jstr(v, "name"), jstr(v, "id"));
		size_t j;
		json_t *lv;
		json_array_foreach (json_object_get(v, "levels"), j, lv) {
			printf("    ■ %s [%s]\n", jstr(lv, "name"), jstr(lv, "id"));
			if (*jstr(lv, "definition"))
				printf("      定義: %s\n", jstr(lv, "definition"));
			size_t k;
			json_t *r;
			json_array_foreach (json_object_get(lv, "restrictions"), k, r)
				printf("      取扱制限: %s\n", json_string_value(r));
		}
	}
	printf("\n系:\n");
	json_array_foreach (json_object_get(o, "segments"), i, v)
		printf("  %-12s %s\n", jstr(v, "id"), jstr(v, "name"));
	json_t *rules = json_object_get(o, "rules");
	printf("\n規則 (%zu):\n", json_array_size(rules));
	json_array_foreach (rules, i, v) {
		printf("  [%s] %s\n", jstr(v, "id"), jstr(v, "title"));
		printf("    対象: ");
		print_list(json_object_get(v, "actions"), ", ");
		printf(" → %s", jstr(v, "effect"));
		json_t *ap = json_object_get(v, "approvers");
		if (ap) {
			json_t *any = json_object_get(ap, "any_of");
			printf("（承認: ");
			print_list(any ? any : json_object_get(ap, "all_of"),
				   any ? " 又は " : " 及び ");
			printf("）");
		}
		printf("\n");
		if (json_object_get(v, "when")) {
			printf("    条件: ");
			print_cond(json_object_get(v, "when"));
			printf("\n");
		}
		if (json_object_get(v, "unless")) {
			printf("    除外: ");
			print_cond(json_object_get(v, "unless"));
			printf("\n");
		}
		if (json_array_size(json_object_get(v, "obligations"))) {
			printf("    義務: ");
			print_list(json_object_get(v, "obligations"), ", ");
			printf("\n");
		}
		json_t *c = json_object_get(v, "citation");
		printf("    根拠: %s %s「%s」\n", jstr(c, "document"), jstr(c, "clause"),
		       jstr(c, "text"));
		if (*jstr(v, "note"))
			printf("    注記: %s\n", jstr(v, "note"));
	}
}

static int show(int argc, char **argv)
{
	const char *file = NULL, *level = NULL, *format = "text";
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--level") && i + 1 < argc)
			level = argv[++i];
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			cli_fail("EINVAL", "policy show: 不明な引数 \"%s\" (bad argument)",
				 argv[i]);
			return 2;
		}
	}
	if (!file) {
		cli_fail("EINVAL", "policy show: ファイルを指定してください (missing FILE)");
		return 2;
	}
	if (strcmp(format, "text") && strcmp(format, "json")) {
		cli_fail("EINVAL", "policy show: --format は text か json です（\"%s\"）", format);
		return 2;
	}
	char axis[64] = {0};
	const char *lv = NULL;
	if (level) {
		const char *eq = strchr(level, '=');
		if (!eq || eq == level || (size_t)(eq - level) >= sizeof axis || !eq[1]) {
			cli_fail("EINVAL",
				 "policy show: --level は 軸=レベル の形で書きます（\"%s\"）",
				 level);
			return 2;
		}
		memcpy(axis, level, (size_t)(eq - level));
		lv = eq + 1;
	}
	mmr_error err = {0};
	mmr_policy *pol;
	if (mmr_policy_load(file, &pol, &err)) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		return 2;
	}
	char *js = mmr_policy_describe_json(pol, level ? axis : NULL, lv, &err);
	mmr_policy_free(pol);
	if (!js) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		return err.code == MMR_ENOMEM ? 1 : 2;
	}
	if (!strcmp(format, "json")) {
		puts(js);
	} else {
		json_t *o = json_loads(js, 0, NULL);
		if (!o) {
			free(js);
			return 1;
		}
		show_text(o);
		json_decref(o);
	}
	free(js);
	return fflush(stdout) ? 1 : 0;
}

int cmd_policy(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "check"))
		return check(argc - 2, argv + 2);
	if (!strcmp(argv[1], "show"))
		return show(argc - 2, argv + 2);
	cli_fail("EINVAL", "policy: 未知のサブコマンド \"%s\"（check, show）", argv[1]);
	return 2;
}
