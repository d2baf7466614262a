/*
 * bench_work.c — workflow.applications_per_s: file a take-out application
 * (decided by the profile), approve it as the section head (decided again),
 * each a durable transaction (SQLite WAL with synchronous=FULL; PostgreSQL
 * with its default synchronous_commit=on), on the store given as TARGET.
 *
 *   work_store_bench ROOT TARGET LABEL [N]
 *
 * Prints workflow.<label>.applications_per_s and the per-application time.
 * The wrapper bench_work runs it on SQLite and on a throwaway PostgreSQL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/work.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

_Noreturn static void die(const char *what, const mmr_error *err)
{
	fprintf(stderr, "bench_work: %s: %s\n", what, err->message);
	exit(1);
}

static int64_t create(mmr_store *st, const mmr_actor *who, const char *kind, const char *json)
{
	mmr_error err;
	json_t *in = json_loads(json, 0, NULL), *out = NULL;
	if (mmr_ledger_create(st, who, kind, in, &out, &err))
		die(kind, &err);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(out);
	return id;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: work_store_bench ROOT TARGET LABEL [N]\n");
		return 2;
	}
	const char *root = argv[1], *target = argv[2], *label = argv[3];
	int n = argc > 4 ? atoi(argv[4]) : 2000;
	mmr_error err;
	mmr_store *st;
	if (strncmp(target, "postgres", 8))
		unlink(target);
	if (mmr_store_open(target, NULL, &st, &err))
		die("open", &err);
	char p[1024];
	snprintf(p, sizeof p, "%s/policy/toyohashi.yaml", root);
	if (mmr_tenant_add(st, "toyohashi", "豊橋市", p, &err))
		die("tenant", &err);
	mmr_actor sys, staff, mgr;
	mmr_actor_system(&sys, "toyohashi");
	int64_t sec = create(st, &sys, "units", "{\"name\":\"情報企画課\",\"kind\":\"section\"}");
	char j[512];
	snprintf(j, sizeof j,
		 "{\"login\":\"staff1\",\"name\":\"職員\",\"unit_id\":%" PRId64
		 ",\"roles\":[{\"role\":\"staff\",\"scope\":\"body\"}]}",
		 sec);
	int64_t u_staff = create(st, &sys, "users", j);
	snprintf(j, sizeof j,
		 "{\"login\":\"mgr1\",\"name\":\"課長\",\"unit_id\":%" PRId64
		 ",\"roles\":[{\"role\":\"security_manager\",\"scope\":\"unit\",\"scope_id\":"
		 "%" PRId64 "}]}",
		 sec, sec);
	int64_t u_mgr = create(st, &sys, "users", j);
	if (mmr_actor_load(st, "toyohashi", u_staff, &staff, &err) ||
	    mmr_actor_load(st, "toyohashi", u_mgr, &mgr, &err))
		die("actor", &err);
	int64_t t0 = (int64_t)time(NULL);
	char due[16];
	time_t d = (time_t)(t0 + 3 * 86400 + 9 * 3600);
	struct tm tm;
	gmtime_r(&d, &tm);
	strftime(due, sizeof due, "%Y-%m-%d", &tm);
	snprintf(j, sizeof j,
		 "{\"type\":\"takeout\",\"title\":\"持ち出し\",\"resource\":{\"kind\":\"device\","
		 "\"classification\":{\"importance\":\"II\"}},\"context\":{\"destination\":"
		 "\"external\"},\"detail\":{\"destination\":\"出張先\",\"purpose\":\"説明会\","
		 "\"due_on\":\"%s\"}}",
		 due);
	json_t *in = json_loads(j, 0, NULL);
	double start = now_s();
	for (int i = 0; i < n; i++) {
		json_t *a = NULL, *o = NULL;
		if (mmr_app_create(st, &staff, in, t0, &a, &err))
			die("create", &err);
		int64_t id = json_integer_value(json_object_get(a, "id"));
		if (mmr_app_approve(st, &mgr, id, true, NULL, t0, &o, &err))
			die("approve", &err);
		if (strcmp(json_string_value(json_object_get(o, "state")), "approved")) {
			fprintf(stderr, "bench_work: not approved\n");
			return 1;
		}
		json_decref(a);
		json_decref(o);
	}
	double secs = now_s() - start;
	json_decref(in);
	/* the limit: a filing and an approval are two durable commits; measure
	 * what this store does with one small durable commit each, same run */
	mmr_db *db = mmr_store_db(st);
	if (mmr_db_exec(db, "CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, v TEXT)", &err))
		die("bench table", &err);
	int nc = n;
	double c0 = now_s();
	for (int i = 0; i < nc; i++) {
		mmr_stmt *s = NULL;
		static const char ins[] = "INSERT INTO bench_commit (id, v) VALUES ($1, $2)";
		if (mmr_db_begin(db, &err) || mmr_db_prepare(db, ins, &s, &err))
			die("commit", &err);
		mmr_stmt_int(s, 1, i + 1);
		mmr_stmt_text(s, 2, "x");
		if (mmr_stmt_run(s, &err) || mmr_db_commit(db, &err))
			die("commit", &err);
	}
	double commits_per_s = nc / (now_s() - c0);
	mmr_store_close(st);
	if (strncmp(target, "postgres", 8)) {
		unlink(target);
		char w[1100];
		snprintf(w, sizeof w, "%s-wal", target);
		unlink(w);
		snprintf(w, sizeof w, "%s-shm", target);
		unlink(w);
	}
	printf("workflow.%s.applications: %d (create + decide + approve, durable)\n", label, n);
	printf("workflow.%s.applications_per_s: %.0f applications/s\n", label, n / secs);
	printf("workflow.%s.application_ms: %.2f ms\n", label, secs * 1000 / n);
	printf("workflow.%s.durable_commits_per_s: %.0f commits/s (one-row transactions, same "
	       "store)\n",
	       label, commits_per_s);
	printf("workflow.%s.vs_commit_limit: %.2f (applications/s against commits/s / 2: an "
	       "application is two durable transactions)\n",
	       label, (n / secs) / (commits_per_s / 2));
	return 0;
}
