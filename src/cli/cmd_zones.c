/* cmd_zones.c — `mamori zones check`: does the three-layer separation hold in
 * the firewall rules? (issue 9) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "mamori.h"
#include "zones/zones.h"

#define ZONES_FILE_LIMIT (64u << 20)
#define ZONES_MAX_PROBES 256

static const char help[] =
	"使い方 (usage):\n"
	"  mamori zones check --profile FILE --zones ZONES.yaml --rules RULESET\n"
	"                     [--format text|json|svg] [--probe SRC,DST,PROTO/PORT[,IIF,OIF]]...\n"
	"      ファイアウォールの規則（nft -j list ruleset の JSON か iptables-save の出力）が\n"
	"      三層の分離（マイナンバー利用事務系・LGWAN接続系・インターネット接続系）を守って\n"
	"      いるかを、プロファイルの条項に照らして確かめます。\n"
	"      checks that a ruleset keeps the three-layer separation of the profile.\n"
	"      --probe 一つのパケットの可否も示します (also report one packet's verdict).\n"
	"  終了コード (exit): 0 違反なし (clean), 1 違反あり (violation), 2 入力の誤り (bad "
	"input).\n";

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_fail("EIO", "%s: 読めません (cannot read)", path);
		return 2;
	}
	int rc = cli_read_all(f, ZONES_FILE_LIMIT, out, len);
	fclose(f);
	if (rc) {
		cli_fail(mmr_code_name(rc), "%s: 読めません (cannot read, limit %u bytes)", path,
			 ZONES_FILE_LIMIT);
		return 2;
	}
	return 0;
}

static void print_ranges(const json_t *a)
{
	const json_t *v;
	size_t i;
	json_array_foreach (a, i, v) {
		if (i == 4) {
			printf(",…(%zu)", json_array_size(a));
			break;
		}
		printf("%s%s", i ? "," : "", json_string_value(v));
	}
}

static void print_flow(const char *tag, const json_t *f, int cite)
{
	const char *s;
	printf("  [%s] %s → %s  ", tag, json_string_value(json_object_get(f, "from")),
	       json_string_value(json_object_get(f, "to")));
	print_ranges(json_object_get(f, "services"));
	printf("  ");
	print_ranges(json_object_get(f, "src"));
	printf(" → ");
	print_ranges(json_object_get(f, "dst"));
	printf("\n      規則 (rule): %s\n", json_string_value(json_object_get(f, "rule_text")));
	if ((s = json_string_value(json_object_get(f, "relay"))))
		printf("      中継 (relay): %s (%s)\n", s,
		       json_string_value(json_object_get(f, "method")));
	if ((s = json_string_value(json_object_get(f, "peer"))))
		printf("      外部接続先 (peer): %s\n", s);
	if (!cite)
		return;
	printf("      理由 (reason): %s\n", json_string_value(json_object_get(f, "reason")));
	printf("      判定 (profile): %s", json_string_value(json_object_get(f, "effect")));
	const json_t *r;
	size_t i;
	json_array_foreach (json_object_get(f, "policy_rules"), i, r)
		printf("%s%s", i ? ", " : " ", json_string_value(r));
	printf("\n");
	json_array_foreach (json_object_get(f, "citations"), i, r)
		printf("      条項 (clause) %s「%s」\n",
		       json_string_value(json_object_get(r, "clause")),
		       json_string_value(json_object_get(r, "text")));
	if (json_array_size(json_object_get(f, "citations")) == 0)
		printf("      条項 (clause): プロファイルに定めがありません (none in the "
		       "profile)\n");
}

static void print_text(const json_t *res)
{
	const json_t *rs = json_object_get(res, "ruleset");
	printf("三層の分離の確認 (three-layer check): プロファイル %s, 規則 %s (%s, %lld rules)\n",
	       json_string_value(json_object_get(res, "profile")),
	       json_string_value(json_object_get(rs, "file")),
	       json_string_value(json_object_get(rs, "format")),
	       (long long)json_integer_value(json_object_get(rs, "rules")));
	json_int_t approx = json_integer_value(json_object_get(rs, "approximate_rules"));
	if (approx)
		printf("注意: %lld 件の規則に確かめられない条件があり、通る側に倒して扱いました "
		       "(approximate rules)\n",
		       (long long)approx);
	static const struct {
		const char *key, *title, *tag;
		int cite;
	} parts[] = {
		{"violations", "違反 (violations)", "違反", 1},
		{"relayed", "無害化の中継を通る通信 (through sanitization relays)", "中継", 1},
		{"peers", "外部接続先との通信 (My Number peers)", "外部", 1},
		{"allowed", "その他の許可された通信 (other allowed flows)", "許可", 0},
	};
	for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
		const json_t *a = json_object_get(res, parts[p].key);
		printf("\n%s: %zu\n", parts[p].title, json_array_size(a));
		const json_t *f;
		size_t i;
		json_array_foreach (a, i, f)
			print_flow(parts[p].tag, f, parts[p].cite);
	}
	const json_t *probes = json_object_get(res, "probes");
	if (json_array_size(probes)) {
		printf("\n個別のパケット (probes):\n");
		const json_t *f;
		size_t i;
		json_array_foreach (probes, i, f) {
			const char *rt = json_string_value(json_object_get(f, "rule_text"));
			printf("  %s: %s%s%s\n", json_string_value(json_object_get(f, "probe")),
			       json_string_value(json_object_get(f, "verdict")), rt ? "  " : "",
			       rt ? rt : "");
		}
	}
	size_t nv = json_array_size(json_object_get(res, "violations"));
	if (nv)
		printf("\n結果 (result): 違反 %zu 件 (%zu violations)\n", nv, nv);
	else
		printf("\n結果 (result): 違反なし (clean)\n");
}

static int check(int argc, char **argv)
{
	const char *profile = NULL, *zones = NULL, *rules = NULL, *format = "text";
	const char *probes[ZONES_MAX_PROBES];
	size_t n_probes = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = !strcmp(a, "--profile")  ? &profile
				    : !strcmp(a, "--zones")  ? &zones
				    : !strcmp(a, "--rules")  ? &rules
				    : !strcmp(a, "--format") ? &format
							     : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(help, stdout);
			return 0;
		}
		if (i + 1 >= argc || (!slot && strcmp(a, "--probe"))) {
			cli_fail("EINVAL", "zones check: 引数を読めません (bad argument): %s", a);
			fputs(help, stderr);
			return 2;
		}
		if (slot) {
			*slot = argv[++i];
		} else {
			if (n_probes == ZONES_MAX_PROBES) {
				cli_fail("ELIMIT",
					 "zones check: --probe は %d 個までです (too many probes)",
					 ZONES_MAX_PROBES);
				return 2;
			}
			probes[n_probes++] = argv[++i];
		}
	}
	if (!profile || !zones || !rules) {
		cli_fail("EINVAL",
			 "zones check: --profile, --zones, --rules が必要です (required)");
		return 2;
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "svg")) {
		cli_fail("EINVAL", "zones check: --format は text, json, svg です (bad format): %s",
			 format);
		return 2;
	}
	mmr_policy *pol = NULL;
	mmr_error err;
	if (mmr_policy_load(profile, &pol, &err) != MMR_OK) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		return 2;
	}
	char *zbuf = NULL, *rbuf = NULL, *svg = NULL;
	size_t zlen = 0, rlen = 0;
	json_t *res = NULL;
	int ret = 2;
	if (read_file(zones, &zbuf, &zlen) || read_file(rules, &rbuf, &rlen))
		goto done;
	int rc = mmr_zones_check(pol, zones, zbuf, zlen, rules, rbuf, rlen, probes, n_probes, &res,
				 !strcmp(format, "svg") ? &svg : NULL, &err);
	if (rc != MMR_OK) {
		cli_fail(mmr_code_name(rc), "%s", err.message);
		goto done;
	}
	if (!strcmp(format, "json")) {
		char *out = json_dumps(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (out)
			puts(out);
		free(out);
	} else if (svg) {
		fputs(svg, stdout);
	} else {
		print_text(res);
	}
	ret = json_is_true(json_object_get(res, "clean")) ? 0 : 1;
done:
	json_decref(res);
	free(svg);
	free(zbuf);
	free(rbuf);
	mmr_policy_free(pol);
	return ret;
}

int cmd_zones(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "check"))
		return check(argc - 2, argv + 2);
	cli_fail("EINVAL", "zones: 知らないサブコマンドです (unknown subcommand): %s", argv[1]);
	return 2;
}
