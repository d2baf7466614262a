/*
 * cmd_log.c — `mamori log …`: the tamper-evident audit log (issue 4).
 *
 *   key          print the checkpoint signing key's public half (created when missing)
 *   checkpoint   sign a checkpoint of each tenant's log (or --tenant T)
 *   proof        inclusion proof of entry --index N
 *   consistency  consistency proof between sizes --from M and --to N
 *   verify       recompute every tree and check every checkpoint: exit 0 all holds,
 *                1 naming the first index, checkpoint or row that does not
 *   export       JSON Lines of a range with proofs and the checkpoint
 *   prune        remove exported entries past the retention period (hashes stay)
 *   search       entries by person, object, action and date
 *
 * Exit codes: 0 ok, 1 verify found a problem (or an internal failure),
 * 2 bad input, 3 refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/audit.h"

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
	const char *db, *tenant, *key, *out, *actor, *action, *okind, *oid, *since, *until;
	int64_t index, from, to, size, before, limit;
	bool has_index, has_from, has_to, has_before, help, json;
};

static int num(const char *s, const char *flag, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || !*s || *end || x < 0) {
		cli_fail("EINVAL", "%s \"%s\" は 0 以上の整数にしてください (%s must be a number)",
			 flag, s, flag);
		return 2;
	}
	*v = x;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"tenant", required_argument, NULL, 't'},
		{"key", required_argument, NULL, 'k'},
		{"index", required_argument, NULL, 'i'},
		{"size", required_argument, NULL, 's'},
		{"from", required_argument, NULL, 'F'},
		{"to", required_argument, NULL, 'T'},
		{"out", required_argument, NULL, 'o'},
		{"before", required_argument, NULL, 'b'},
		{"actor", required_argument, NULL, 'a'},
		{"action", required_argument, NULL, 'A'},
		{"object-kind", required_argument, NULL, 'K'},
		{"object-id", required_argument, NULL, 'I'},
		{"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},
		{"limit", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	optind = 1;
	opterr = 0;
	int c, rc = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 't': o->tenant = optarg; break;
		case 'k': o->key = optarg; break;
		case 'o': o->out = optarg; break;
		case 'a': o->actor = optarg; break;
		case 'A': o->action = optarg; break;
		case 'K': o->okind = optarg; break;
		case 'I': o->oid = optarg; break;
		case 'S': o->since = optarg; break;
		case 'U': o->until = optarg; break;
		case 'j': o->json = true; break;
		case 'h': o->help = true; break;
		case 'i': rc = num(optarg, "--index", &o->index), o->has_index = true; break;
		case 's': rc = num(optarg, "--size", &o->size); break;
		case 'F': rc = num(optarg, "--from", &o->from), o->has_from = true; break;
		case 'T': rc = num(optarg, "--to", &o->to), o->has_to = true; break;
		case 'b': rc = num(optarg, "--before", &o->before), o->has_before = true; break;
		case 'l': rc = num(optarg, "--limit", &o->limit); break;
		default:
			cli_fail("EINVAL", "未知の引数 \"%s\"（--help を参照）(unknown option)",
				 argv[optind - 1]);
			return 2;
		}
		if (rc)
			return rc;
	}
	if (optind < argc) {
		cli_fail("EINVAL", "余分な引数 \"%s\" (unexpected argument)", argv[optind]);
		return 2;
	}
	return 0;
}

static int need(bool have, const char *flag)
{
	if (have)
		return 0;
	cli_fail("EINVAL", "%s が必要です (%s is required)", flag, flag);
	return 2;
}

static const char help[] =
	"使い方: mamori log <操作> --db DB [--tenant T] …\n"
	"  key [--key FILE] [--tenant T]   署名鍵の公開鍵を表示（なければ作成, 0600）\n"
	"  checkpoint --db DB [--tenant T] [--key FILE]\n"
	"                                  チェックポイントを署名して保存\n"
	"  proof --db DB --tenant T --index N [--size S]\n"
	"                                  N 番目の記録の包含証明 (JSON)\n"
	"  consistency --db DB --tenant T --from M --to N\n"
	"                                  大きさ M と N の木の整合性証明 (JSON)\n"
	"  verify --db DB [--tenant T] [--key FILE]\n"
	"                                  すべての木と署名を検証。問題があれば最初の索引・\n"
	"                                  チェックポイント・行を示して終了コード 1\n"
	"  export --db DB --tenant T --out FILE [--from M] [--to N]\n"
	"                                  JSON Lines に証明とチェックポイントを付けて書き出し\n"
	"  prune --db DB --tenant T --before N\n"
	"                                  書き出し済みで保存期間 (log.retention_days) を過ぎた\n"
	"                                  記録を削除（ハッシュは残り、検証は成り立つ）\n"
	"  search --db DB --tenant T [--actor L] [--action A] [--object-kind K] [--object-id ID]\n"
	"         [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--limit N] [--json]\n"
	"  署名鍵: --key, なければ $MAMORI_LOG_KEY, なければ var/mamori-log.key\n"
	"  the tamper-evident audit log: RFC 6962 Merkle trees, signed checkpoints.\n";

static int open_store(const struct opts *o, mmr_store **st)
{
	int rc = need(o->db != NULL, "--db");
	if (rc)
		return rc;
	mmr_error err;
	if ((rc = mmr_store_open(o->db, NULL, st, &err)))
		return fail(rc, &err);
	return 0;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s) {
		puts(s);
		free(s);
	}
}

static int do_key(const struct opts *o)
{
	struct mmr_log_key key;
	mmr_error err;
	const char *path = mmr_log_key_path(o->key);
	bool existed = access(path, F_OK) == 0;
	int rc = mmr_log_key_load(path, true, &key, &err);
	if (rc)
		return fail(rc, &err);
	char vk[256], origin[256];
	if (!existed)
		fprintf(stderr, "mamori: 署名鍵を作成しました (created): %s\n", path);
	printf("鍵ファイル (key file): %s\n", path);
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof b64, key.pk, 32, sodium_base64_VARIANT_ORIGINAL);
	printf("公開鍵 (Ed25519 public key, base64): %s\n", b64);
	if (o->tenant) {
		mmr_audit_origin(o->tenant, origin, sizeof origin);
		mmr_log_vkey(origin, key.pk, vk, sizeof vk);
		printf("検証鍵 (note verifier key): %s\n", vk);
	} else {
		mmr_log_vkey("mamori/<団体ID>", key.pk, vk, sizeof vk);
		printf("検証鍵は団体ごとに --tenant T で表示します (per tenant: --tenant T)\n");
	}
	return 0;
}

static struct timeval t_last;
static void progress_bar(void *ud, int64_t done, int64_t total)
{
	(void)ud;
	struct timeval now;
	gettimeofday(&now, NULL);
	bool final = done >= total;
	if (!final &&
	    (now.tv_sec - t_last.tv_sec) * 1000000 + (now.tv_usec - t_last.tv_usec) < 100000)
		return;
	t_last = now;
	int width = 40;
	int fill = total > 0 ? (int)(done * width / total) : width;
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = 0;
	fprintf(stderr, "\r検証中 [%s] %" PRId64 " / %" PRId64, bar, done, total);
	if (final)
		fputc('\n', stderr);
}

static int do_verify(const struct opts *o, mmr_store *st)
{
	struct mmr_log_key key;
	mmr_error err;
	int rc = mmr_log_key_load(o->key, false, &key, &err);
	/* without the key, only a log that holds no checkpoint yet (a fresh
	 * `init --demo`) can be verified: its trees, and nothing signed. A key
	 * named by --key must be there. */
	bool keyless = false;
	if (rc == MMR_ENOTFOUND && !o->key) {
		int64_t stored = 0;
		mmr_error e2;
		int crc = mmr_audit_checkpoints_stored(st, o->tenant, &stored, &e2);
		if (crc)
			return fail(crc, &e2);
		keyless = stored == 0;
	}
	if (rc && !keyless)
		return fail(rc, &err);
	json_t *rep = NULL;
	bool tty = isatty(2);
	rc = mmr_audit_verify(st, o->tenant, keyless ? NULL : key.pk, tty ? progress_bar : NULL,
			      NULL, &rep, &err);
	if (rc)
		return fail(rc, &err);
	int code = 0;
	if (o->json) {
		print_json(rep);
	} else {
		size_t i;
		json_t *t;
		json_array_foreach (json_object_get(rep, "tenants"), i, t) {
			printf("%s: %" JSON_INTEGER_FORMAT
			       " 件, チェックポイント %" JSON_INTEGER_FORMAT " 個, 根 %s\n",
			       json_string_value(json_object_get(t, "tenant")),
			       json_integer_value(json_object_get(t, "size")),
			       json_integer_value(json_object_get(t, "checkpoints")),
			       json_string_value(json_object_get(t, "root")));
		}
	}
	json_t *pb = json_object_get(rep, "problem");
	if (pb) {
		const char *kind = json_string_value(json_object_get(pb, "kind"));
		cli_fail("VERIFY", "団体 %s の%s %" JSON_INTEGER_FORMAT ": %s",
			 json_string_value(json_object_get(pb, "tenant")),
			 !strcmp(kind, "checkpoint") ? "チェックポイント (大きさ)"
			 : !strcmp(kind, "row")	     ? "行 (索引)"
						     : "索引",
			 json_integer_value(json_object_get(pb, "index")),
			 json_string_value(json_object_get(pb, "message")));
		code = 1;
	} else if (!o->json) {
		if (!keyless)
			printf("検証できました: %" JSON_INTEGER_FORMAT
			       " 件の記録とすべてのチェックポイントが成り立っています (ok)\n",
			       json_integer_value(json_object_get(rep, "leaves")));
		else
			printf("検証できました: %" JSON_INTEGER_FORMAT
			       " 件の記録の木が成り立っています (ok)。"
			       "署名付きチェックポイントはまだありません。署名鍵 (%s) "
			       "がないので、記録の木だけを確かめました (no checkpoint yet)\n",
			       json_integer_value(json_object_get(rep, "leaves")),
			       mmr_log_key_path(o->key));
	}
	json_decref(rep);
	return code;
}

static int do_checkpoint(const struct opts *o, mmr_store *st)
{
	struct mmr_log_key key;
	mmr_error err;
	int rc = mmr_log_key_load(o->key, true, &key, &err);
	if (rc)
		return fail(rc, &err);
	if (!o->tenant) {
		size_t made = 0;
		if ((rc = mmr_audit_checkpoint_all(st, &key, &made, &err)))
			return fail(rc, &err);
		printf("チェックポイントを %zu 個作りました (checkpoints made)\n", made);
		return 0;
	}
	json_t *cp = NULL;
	if ((rc = mmr_audit_checkpoint(st, o->tenant, &key, &cp, &err)))
		return fail(rc, &err);
	fputs(json_string_value(json_object_get(cp, "note")), stdout);
	json_decref(cp);
	return 0;
}

static int do_export(const struct opts *o, mmr_store *st)
{
	int rc;
	if ((rc = need(o->tenant, "--tenant")) || (rc = need(o->out, "--out")))
		return rc;
	int fd = open(o->out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		cli_fail(errno == EEXIST ? "ECONFLICT" : "EIO", "%s: 書き出し先を作れません: %s",
			 o->out, strerror(errno));
		return errno == EEXIST ? 3 : 2;
	}
	FILE *f = fdopen(fd, "w");
	mmr_error err;
	int64_t written = 0;
	rc = mmr_audit_export(st, o->tenant, o->has_from ? o->from : 0, o->has_to ? o->to : 0, f,
			      o->out, &written, &err);
	if (!rc && fsync(fileno(f)))
		rc = MMR_EIO, mmr_error_set(&err, MMR_EIO, "%s: %s", o->out, strerror(errno));
	fclose(f);
	if (rc) {
		unlink(o->out);
		return fail(rc, &err);
	}
	printf("%" PRId64 " 件を書き出しました (exported): %s\n", written, o->out);
	return 0;
}

static int do_search(const struct opts *o, mmr_store *st)
{
	int rc = need(o->tenant, "--tenant");
	if (rc)
		return rc;
	struct mmr_audit_query q = {.actor = o->actor,
				    .action = o->action,
				    .object_kind = o->okind,
				    .object_id = o->oid,
				    .from = o->since,
				    .to = o->until,
				    .limit = o->limit ? (int)o->limit : 50};
	json_t *r = NULL;
	mmr_error err;
	if ((rc = mmr_audit_search(st, o->tenant, &q, &r, &err)))
		return fail(rc, &err);
	if (o->json) {
		print_json(r);
	} else {
		size_t i;
		json_t *e;
		json_array_foreach (json_object_get(r, "items"), i, e) {
			const char *ok = json_string_value(json_object_get(e, "object_kind"));
			const char *oi = json_string_value(json_object_get(e, "object_id"));
			printf("%8" JSON_INTEGER_FORMAT "  %s  %-16s %-24s %s%s%s\n",
			       json_integer_value(json_object_get(e, "index")),
			       json_string_value(json_object_get(e, "at")),
			       json_string_value(json_object_get(e, "actor")),
			       json_string_value(json_object_get(e, "action")), ok ? ok : "",
			       oi ? "/" : "", oi ? oi : "");
		}
	}
	json_decref(r);
	return 0;
}

int cmd_log(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		bool h = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		fputs(help, h ? stdout : stderr);
		return h ? 0 : 2;
	}
	const char *op = argv[1];
	struct opts o = {0};
	int rc = parse(argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(help, stdout);
		return 0;
	}
	if (!strcmp(op, "key"))
		return do_key(&o);
	static const char *const ops[] = {"checkpoint", "proof", "consistency", "verify",
					  "export",	"prune", "search"};
	bool known = false;
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		known |= !strcmp(op, ops[i]);
	if (!known) {
		cli_fail("EINVAL", "log の操作 \"%s\" はありません（mamori log --help）", op);
		return 2;
	}
	mmr_store *st = NULL;
	if ((rc = open_store(&o, &st)))
		return rc;
	mmr_error err;
	json_t *j = NULL;
	if (!strcmp(op, "verify")) {
		rc = do_verify(&o, st);
	} else if (!strcmp(op, "checkpoint")) {
		rc = do_checkpoint(&o, st);
	} else if (!strcmp(op, "export")) {
		rc = do_export(&o, st);
	} else if (!strcmp(op, "search")) {
		rc = do_search(&o, st);
	} else if (!strcmp(op, "proof")) {
		if (!(rc = need(o.tenant, "--tenant")) && !(rc = need(o.has_index, "--index"))) {
			int r2 = mmr_audit_proof(st, o.tenant, o.index, o.size, &j, &err);
			rc = r2 ? fail(r2, &err) : (print_json(j), 0);
		}
	} else if (!strcmp(op, "consistency")) {
		if (!(rc = need(o.tenant, "--tenant")) && !(rc = need(o.has_from, "--from")) &&
		    !(rc = need(o.has_to, "--to"))) {
			int r2 = mmr_audit_consistency(st, o.tenant, o.from, o.to, &j, &err);
			rc = r2 ? fail(r2, &err) : (print_json(j), 0);
		}
	} else if (!strcmp(op, "prune")) {
		if (!(rc = need(o.tenant, "--tenant")) && !(rc = need(o.has_before, "--before"))) {
			struct timeval tv;
			gettimeofday(&tv, NULL);
			int64_t pruned = 0;
			int r2 = mmr_audit_prune(st, o.tenant, o.before,
						 (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000,
						 &pruned, &err);
			if (r2)
				rc = fail(r2, &err);
			else
				printf("%" PRId64
				       " 件を削除しました (pruned; ハッシュは残ります)\n",
				       pruned);
		}
	}
	json_decref(j);
	mmr_store_close(st);
	return rc;
}
