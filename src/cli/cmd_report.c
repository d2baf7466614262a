/*
 * cmd_report.c — `mamori report inspection`: the report of a self-inspection
 * round to the CISO / 責任者 as XLSX, CSV (BOM) or printable HTML.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/inspect.h"

static const char help[] =
	"使い方: mamori report inspection --db DB --tenant T --round R --format xlsx|csv|html "
	"-o FILE\n"
	"  自己点検の結果報告を書き出します。R は点検の番号か名称。\n"
	"  xlsx: 概要（グラフ付き）、章ごとのシート、改善策、指摘事項。\n"
	"  csv: 回答ごとに 1 行（Excel で開ける BOM 付き UTF-8）。\n"
	"  html: A4 で印刷できる報告書。\n"
	"  FILE が既にあれば上書きせず終了コード 3。\n"
	"Write the report of an inspection round (R: its number or name).\n";

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

int cmd_report(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "inspection")) {
		bool h = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		if (!h && argc >= 2)
			cli_fail("EINVAL", "未知の報告 \"%s\"（inspection のみ）(unknown report)",
				 argv[1]);
		fputs(help, h ? stdout : stderr);
		return h ? 0 : 2;
	}
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"tenant", required_argument, NULL, 't'},
		{"round", required_argument, NULL, 'r'},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"policy-dir", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db = NULL, *tenant = NULL, *round = NULL, *format = NULL, *out = NULL,
		   *policy_dir = NULL;
	optind = 1;
	opterr = 0;
	int c;
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 't': tenant = optarg; break;
		case 'r': round = optarg; break;
		case 'f': format = optarg; break;
		case 'o': out = optarg; break;
		case 'P': policy_dir = optarg; break;
		case 'h': fputs(help, stdout); return 0;
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
	const char *missing = !db	? "--db"
			      : !tenant ? "--tenant"
			      : !round	? "--round"
			      : !format ? "--format"
			      : !out	? "-o"
					: NULL;
	if (missing) {
		cli_fail("EINVAL", "%s が必要です (%s is required)", missing, missing);
		return 2;
	}
	if (strcmp(format, "xlsx") && strcmp(format, "csv") && strcmp(format, "html")) {
		cli_fail("EINVAL", "--format は xlsx, csv, html のどれかです: \"%s\"", format);
		return 2;
	}
	mmr_store *st;
	mmr_error err;
	int rc = mmr_store_open(db, policy_dir, &st, &err);
	if (rc) {
		cli_fail(mmr_code_name(rc), "%s: %s", db, err.message);
		return exit_for(rc);
	}
	mmr_actor sys;
	mmr_actor_system(&sys, tenant);
	const mmr_policy *pol;
	int64_t id = 0;
	if ((rc = mmr_tenant_policy(st, tenant, &pol, &err)) ||
	    (rc = mmr_inspect_round_find(st, &sys, round, &id, &err)) ||
	    (rc = mmr_inspect_report(st, &sys, id, format, out, NULL, &err))) {
		cli_fail(mmr_code_name(rc), "%s", err.message);
		mmr_store_close(st);
		return exit_for(rc);
	}
	mmr_store_close(st);
	printf("点検 %s の報告を書き出しました: %s\n", round, out);
	return 0;
}
