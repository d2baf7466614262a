/*
 * bench_report SRC_ROOT MAMORI — the report of a self-inspection round of
 * 1,000 items × 100 sections (100,000 answers) on SQLite:
 *
 *   inspect.round_create_ms   open the round (100,000 answer rows, facts answered)
 *   inspect.rollup_ms         the roll-up (chapters, sections, departments, body)
 *   report.xlsx_ms            the XLSX report (summary with charts, a sheet per chapter)
 *   report.csv_ms             the CSV report
 *   report.html_ms            the printable HTML report
 *
 * Each report is written three times; the fastest is printed (the machine is
 * shared). The issue sets no goal for these figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/inspect.h"
#include "store/inspect_int.h"

#ifndef N_ITEMS
#define N_ITEMS 1000
#endif
#define N_SECTIONS 100

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* CPU time of the process: the machine is shared, wall time is not ours alone */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static void must(int rc, const mmr_error *err, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench_report: %s: %s\n", what, err->message);
		exit(1);
	}
}

static int64_t create(mmr_store *st, const mmr_actor *sys, const char *kind, const char *json)
{
	mmr_error err;
	json_t *in = json_loads(json, 0, NULL), *out;
	must(mmr_ledger_create(st, sys, kind, in, &out, &err), &err, json);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(out);
	return id;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_report SRC_ROOT [MAMORI]\n");
		return 2;
	}
	char dir[] = "/tmp/mamori-bench-report-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char db[128], profile[1024];
	snprintf(db, sizeof db, "%s/bench.db", dir);
	snprintf(profile, sizeof profile, "%s/policy/toyohashi.yaml", argv[1]);
	mmr_store *st;
	mmr_error err;
	must(mmr_store_open(db, NULL, &st, &err), &err, "open");
	must(mmr_tenant_add(st, "toyohashi", "豊橋市", profile, &err), &err, "tenant");
	mmr_actor sys;
	mmr_actor_system(&sys, "toyohashi");
	mmr_db *d = mmr_store_db(st);
	must(mmr_db_begin(d, &err), &err, "begin");
	json_t *units = json_array();
	for (int dep = 0; dep < 10; dep++) {
		char j[256];
		snprintf(j, sizeof j, "{\"name\":\"部%02d\",\"kind\":\"department\"}", dep);
		int64_t did = create(st, &sys, "units", j);
		for (int s = 0; s < N_SECTIONS / 10; s++) {
			snprintf(j, sizeof j,
				 "{\"name\":\"部%02d課%02d\",\"kind\":\"section\",\"parent_id\":"
				 "%" PRId64 "}",
				 dep, s, did);
			json_array_append_new(units, json_integer(create(st, &sys, "units", j)));
		}
	}
	must(mmr_db_commit(d, &err), &err, "commit");
	json_t *c;
	must(mmr_inspect_checklist_generate(st, &sys, &c, &err), &err, "checklist");
	int64_t cl = json_integer_value(json_object_get(c, "id"));
	int64_t have = json_integer_value(json_object_get(c, "items"));
	json_decref(c);
	/* more items, in the chapters the profile has, up to 1,000 */
	must(mmr_db_begin(d, &err), &err, "begin");
	static const char ins[] =
		"INSERT INTO inspection_items (tenant, checklist_id, item_key, position, chapter, "
		"clause, question, clause_text, how, fact) SELECT tenant, checklist_id, $3, $4, "
		"chapter, clause, question, clause_text, how, NULL FROM inspection_items WHERE "
		"tenant "
		"= $1 AND checklist_id = $2 AND position = $5";
	for (int64_t i = have; i < N_ITEMS; i++) {
		char key[32];
		snprintf(key, sizeof key, "B%04" PRId64, i + 1);
		must(mmr_iq_run(d, ins,
				IPARAMS(IP_S("toyohashi"), IP_I(cl), IP_S(key), IP_I(i + 1),
					IP_I(i % have + 1)),
				&err),
		     &err, "item");
	}
	must(mmr_db_commit(d, &err), &err, "commit");
	json_t *in = json_pack("{s:s, s:i, s:s, s:o}", "name", "令和8年度", "fiscal_year", 2026,
			       "deadline", "2026-12-25", "units", units),
	       *out;
	double t0 = now_ms();
	must(mmr_inspect_round_create(st, &sys, in, &out, &err), &err, "round");
	double t_round = now_ms() - t0;
	int64_t round = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_decref(in);
	static const char ans[] =
		"UPDATE inspection_answers SET answer = CASE id % 7 WHEN 0 THEN 'no' WHEN 1 THEN "
		"'partial' WHEN 2 THEN 'na' ELSE 'yes' END, note = '確認した記録: 台帳と手順書', "
		"answered_at = '2026-11-30T00:00:00.000Z' WHERE tenant = $1 AND round_id = $2 AND "
		"answer IS NULL";
	must(mmr_iq_run(d, ans, IPARAMS(IP_S("toyohashi"), IP_I(round)), &err), &err, "answers");
	size_t made;
	must(mmr_inspect_actions_generate(st, &sys, round, NULL, &made, &err), &err, "actions");
	t0 = now_ms();
	json_t *r;
	must(mmr_inspect_rollup(st, &sys, round, &r, &err), &err, "rollup");
	double t_rollup = now_ms() - t0;
	json_decref(r);
	static const char *const formats[] = {"xlsx", "csv", "html"};
	double best[3], best_cpu[3];
	long size[3] = {0};
	for (int f = 0; f < 3; f++) {
		best[f] = best_cpu[f] = 1e18;
		for (int k = 0; k < 3; k++) {
			char path[160];
			snprintf(path, sizeof path, "%s/report-%d.%s", dir, k, formats[f]);
			t0 = now_ms();
			double c0 = cpu_ms();
			must(mmr_inspect_report(st, &sys, round, formats[f], path, NULL, &err),
			     &err, formats[f]);
			double t = now_ms() - t0, tc = cpu_ms() - c0;
			if (t < best[f])
				best[f] = t;
			if (tc < best_cpu[f])
				best_cpu[f] = tc;
			FILE *fp = fopen(path, "rb");
			if (fp) {
				fseek(fp, 0, SEEK_END);
				size[f] = ftell(fp);
				fclose(fp);
			}
			unlink(path);
		}
	}
	mmr_store_close(st);
	if (getenv("MAMORI_BENCH_KEEP")) {
		fprintf(stderr, "bench_report: kept %s\n", db);
		return 0;
	}
	char w[160];
	const char *sfx[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(w, sizeof w, "%s%s", db, sfx[i]);
		unlink(w);
	}
	rmdir(dir);
	printf("inspect.round_create_ms: %.1f ms (%d items × %d sections)\n", t_round, N_ITEMS,
	       N_SECTIONS);
	printf("inspect.rollup_ms: %.1f ms (%d answers)\n", t_rollup, N_ITEMS * N_SECTIONS);
	printf("report.xlsx_ms: %.1f ms (%d answers, %zu actions, %ld bytes)\n", best[0],
	       N_ITEMS * N_SECTIONS, made, size[0]);
	printf("report.xlsx_cpu_ms: %.1f ms (CPU time of the same)\n", best_cpu[0]);
	printf("report.csv_ms: %.1f ms (%ld bytes)\n", best[1], size[1]);
	printf("report.csv_cpu_ms: %.1f ms\n", best_cpu[1]);
	printf("report.html_ms: %.1f ms (%ld bytes)\n", best[2], size[2]);
	printf("report.html_cpu_ms: %.1f ms\n", best_cpu[2]);
	return 0;
}
