/*
 * test_crash.c — a process appending to the audit log is killed with SIGKILL
 * many times; after each kill, every append it acknowledged (committed, then
 * reported on a pipe) is present with its content, and verify is clean.
 * Even rounds append one by one, each its own transaction; odd rounds append
 * from GROUP_THREADS threads through one mmr_audit_group (group commit, the
 * syncer's flushes and checkpoints, the WAL written through walbuf.c).
 * `test_crash SRC_ROOT sqlite|postgres` (PostgreSQL under tests/pgtmp.sh).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "store/audit.h"
#include "store/audit_group.h"

#define ROUNDS 25

static char target[512], keypath[512];

static void die(const char *what, const mmr_error *err)
{
	fprintf(stderr, "test_crash: %s: %s\n", what, err ? err->message : strerror(errno));
	exit(1);
}

/* append i of a round: its object id names both (the parent searches by it) */
static struct mmr_audit_event crash_event(int round, int i, char id[32])
{
	snprintf(id, 32, "r%d-%d", round, i);
	return (struct mmr_audit_event){.tenant = "toyohashi",
					.actor = "crash",
					.action = "test.append",
					.object_kind = "test",
					.object_id = id};
}

/* tell the parent that append i, index idx, is durable; a closed pipe ends
 * the child */
static void acknowledge(int fd, int64_t idx, int i)
{
	int64_t ack[2] = {idx, i};
	if (write(fd, ack, sizeof ack) != sizeof ack)
		_exit(0);
}

#define GROUP_THREADS 16

struct gchild {
	mmr_audit_group *g;
	int fd, round, t;
};

/* one thread of a group child: append forever, acknowledging each append
 * the group reports durable (a 16-byte write to a pipe is atomic) */
static void *group_thread(void *arg)
{
	struct gchild *c = arg;
	mmr_error err;
	for (int i = c->t;; i += GROUP_THREADS) {
		char id[32];
		struct mmr_audit_event ev = crash_event(c->round, i, id);
		int64_t idx;
		if (mmr_audit_group_append(c->g, &ev, &idx, &err))
			die("group append", &err);
		acknowledge(c->fd, idx, i);
	}
	return NULL;
}

static void group_child(int fd, int round)
{
	mmr_error err;
	mmr_audit_group *g;
	if (mmr_audit_group_open(target, NULL, &g, &err))
		die("group open", &err);
	pthread_t t[GROUP_THREADS];
	struct gchild c[GROUP_THREADS];
	for (int i = 0; i < GROUP_THREADS; i++) {
		c[i] = (struct gchild){g, fd, round, i};
		if (pthread_create(&t[i], NULL, group_thread, &c[i]))
			die("thread", NULL);
	}
	for (int i = 0; i < GROUP_THREADS; i++) /* until killed */
		pthread_join(t[i], NULL);
}

/* the child: append forever, acknowledging each committed index */
static void child(int fd, int round)
{
	if (round % 2) {
		group_child(fd, round);
		return;
	}
	mmr_error err;
	mmr_store *st;
	if (mmr_store_open(target, NULL, &st, &err))
		die("child open", &err);
	struct mmr_log_key key;
	if (mmr_log_key_load(keypath, false, &key, &err))
		die("child key", &err);
	for (int i = 0;; i++) {
		char id[32];
		struct mmr_audit_event ev = crash_event(round, i, id);
		int64_t idx;
		if (mmr_audit_append(st, &ev, &idx, &err))
			die("append", &err);
		acknowledge(fd, idx, i); /* committed (durable) */
		if (i % 37 == 36) {
			json_t *cp = NULL;
			if (mmr_audit_checkpoint(st, "toyohashi", &key, &cp, &err))
				die("checkpoint", &err);
			json_decref(cp);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_crash SRC_ROOT sqlite|postgres\n");
		return 2;
	}
	bool pg = !strcmp(argv[2], "postgres");
	mmr_error err;
	if (pg) {
		const char *u = getenv("MAMORI_TEST_PG");
		if (!u) {
			fprintf(stderr, "MAMORI_TEST_PG is not set\n");
			return 1;
		}
		snprintf(target, sizeof target, "%s", u);
		mmr_db *db;
		if (mmr_db_open(target, &db, &err) ||
		    mmr_db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err))
			die("reset", &err);
		mmr_db_close(db);
	} else {
		snprintf(target, sizeof target, "/tmp/mamori-test-crash-%d.db", (int)getpid());
	}
	snprintf(keypath, sizeof keypath, "/tmp/mamori-test-crash-%d.key", (int)getpid());
	struct mmr_log_key key;
	if (mmr_log_key_load(keypath, true, &key, &err))
		die("key", &err);
	mmr_store *st;
	if (mmr_store_open(target, NULL, &st, &err))
		die("open", &err);
	char p[1024];
	snprintf(p, sizeof p, "%s/policy/toyohashi.yaml", argv[1]);
	if (mmr_tenant_add(st, "toyohashi", "豊橋市", p, &err))
		die("tenant", &err);
	mmr_store_close(st);
	srand((unsigned)time(NULL));
	int64_t total_acked = 0;
	int failures = 0;
	for (int round = 0; round < ROUNDS; round++) {
		int fds[2];
		if (pipe(fds))
			die("pipe", NULL);
		pid_t pid = fork();
		if (pid < 0)
			die("fork", NULL);
		if (pid == 0) {
			close(fds[0]);
			child(fds[1], round);
			_exit(0);
		}
		close(fds[1]);
		/* once it is appending, let it run a random while, then kill it */
		int64_t first[2];
		bool got_first = read(fds[0], first, sizeof first) == sizeof first;
		struct timespec ts = {0, (30 + rand() % 120) * 1000000L};
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		/* every acknowledgement that reached the pipe */
		int64_t ack[2], last = -1, n = 0;
		int64_t *acked = NULL;
		size_t cap = 0;
		bool use_first = got_first;
		while (use_first || read(fds[0], ack, sizeof ack) == sizeof ack) {
			if (use_first) {
				memcpy(ack, first, sizeof ack);
				use_first = false;
			}
			if ((size_t)n == cap) {
				cap = cap ? cap * 2 : 256;
				acked = realloc(acked, cap * 2 * sizeof *acked);
			}
			acked[2 * n] = ack[0];
			acked[2 * n + 1] = ack[1];
			n++;
			last = ack[0] > last ? ack[0]
					     : last; /* a group acknowledges out of order */
		}
		close(fds[0]);
		if (mmr_store_open(target, NULL, &st, &err))
			die("reopen", &err);
		for (int64_t i = 0; i < n; i++) {
			char want[32];
			snprintf(want, sizeof want, "r%d-%" PRId64, round, acked[2 * i + 1]);
			struct mmr_audit_query q = {.object_id = want, .limit = 5};
			json_t *r = NULL;
			if (mmr_audit_search(st, "toyohashi", &q, &r, &err))
				die("search", &err);
			json_t *items = json_object_get(r, "items");
			if (json_array_size(items) != 1 ||
			    json_integer_value(json_object_get(json_array_get(items, 0),
							       "index")) != acked[2 * i]) {
				fprintf(stderr,
					"round %d: acknowledged append %s (index %" PRId64
					") is missing\n",
					round, want, acked[2 * i]);
				failures++;
			}
			json_decref(r);
		}
		json_t *rep = NULL;
		if (mmr_audit_verify(st, NULL, key.pk, NULL, NULL, &rep, &err))
			die("verify", &err);
		if (!json_is_true(json_object_get(rep, "ok"))) {
			char *s = json_dumps(rep, 0);
			fprintf(stderr, "round %d: verify: %s\n", round, s);
			free(s);
			failures++;
		}
		json_decref(rep);
		int64_t size = 0;
		mmr_audit_size(st, "toyohashi", &size, &err);
		if (last >= size) {
			fprintf(stderr,
				"round %d: log has %" PRId64 " leaves, acknowledged %" PRId64 "\n",
				round, size, last);
			failures++;
		}
		mmr_store_close(st);
		total_acked += n;
		free(acked);
	}
	printf("crash (%s): %d kills, %" PRId64 " acknowledged appends, %d failures\n", argv[2],
	       ROUNDS, total_acked, failures);
	if (total_acked < ROUNDS) {
		fprintf(stderr, "too few appends were acknowledged to test anything\n");
		failures++;
	}
	unlink(keypath);
	if (!pg) {
		char w[600];
		unlink(target);
		snprintf(w, sizeof w, "%s-wal", target);
		unlink(w);
		snprintf(w, sizeof w, "%s-shm", target);
		unlink(w);
	}
	return failures ? 1 : 0;
}
