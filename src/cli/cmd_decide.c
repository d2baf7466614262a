/* cmd_decide.c — `mamori decide --profile FILE [--request FILE]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "mamori.h"

#define REQUEST_LIMIT (1024u * 1024u)

static const char help[] =
	"使い方: mamori decide --profile FILE [--request FILE]\n"
	"  要求 (JSON) を一つ読み、判定 (JSON) を標準出力に書きます。\n"
	"  --profile FILE   プロファイル (policy/*.yaml)\n"
	"  --request FILE   要求ファイル（省略時は標準入力）\n"
	"終了コード: 0 判定を出力（permit / deny / needs_approval のどれでも）,\n"
	"            2 入力の誤り（理由を一行で標準エラーに）\n";

int cmd_decide(int argc, char **argv)
{
	const char *profile = NULL, *request = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--profile") && i + 1 < argc) {
			profile = argv[++i];
		} else if (!strcmp(argv[i], "--request") && i + 1 < argc) {
			request = argv[++i];
		} else {
			cli_fail("EINVAL",
				 "decide: 不明な引数 \"%s\"（mamori decide --help）(bad argument)",
				 argv[i]);
			return 2;
		}
	}
	if (!profile) {
		cli_fail("EINVAL", "decide: --profile が必要です (missing --profile)");
		return 2;
	}

	mmr_error err = {0};
	mmr_policy *pol = NULL;
	mmr_request *req = NULL;
	mmr_decision *d = NULL;
	char *text = NULL, *out = NULL;
	size_t len = 0;
	int status = 2;

	if (mmr_policy_load(profile, &pol, &err)) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		goto done;
	}
	FILE *in = stdin;
	if (request) {
		in = fopen(request, "rb");
		if (!in) {
			cli_fail("EIO", "%s: 要求ファイルを読めません: %s", request,
				 strerror(errno));
			goto done;
		}
	}
	int rc = cli_read_all(in, REQUEST_LIMIT, &text, &len);
	if (request)
		fclose(in);
	if (rc) {
		cli_fail(mmr_code_name(rc), "request: 読めません（上限 %u バイト）", REQUEST_LIMIT);
		goto done;
	}
	if (mmr_request_parse(pol, text, len, &req, &err)) {
		cli_fail(mmr_code_name(err.code), "%s", err.message);
		goto done;
	}
	d = mmr_decision_new();
	if (!d) {
		status = 1;
		goto done;
	}
	mmr_decide(pol, req, d);
	out = mmr_decision_json(pol, d);
	if (!out) {
		cli_fail("ENOMEM", "メモリが足りません");
		status = 1;
		goto done;
	}
	puts(out);
	status = fflush(stdout) ? 1 : 0;
done:
	free(out);
	free(text);
	mmr_decision_free(d);
	mmr_request_free(req);
	mmr_policy_free(pol);
	return status;
}
