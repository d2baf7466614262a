/*
 * bench_decide.c — figures for the decision point, as `name: value unit`.
 *
 *   bench_decide ROOT [MAMORI]
 *
 * decide.per_s        decisions per second in-process, one core, over the
 *                     requests of every case under tests/data/decide/ for
 *                     every shipped profile (pre-parsed), round robin
 * decide.parse_per_s  the same including the JSON request parse
 * policy.load_ms      loading + compiling one profile (mean over profiles)
 * decide.cli_ms       one `mamori decide` process, start to exit (mean of
 *                     runs), when MAMORI is given; and for comparison the
 *                     same spawn of /bin/true in the same run
 * Ratios against the goals (≥ 2,000,000/s; < 10 ms) are printed beside.
 */
#include <dirent.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "mamori.h"

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct req {
	const mmr_policy *pol;
	mmr_request *r;
	char *json;
};

static const char *profiles[] = {"guideline",	  "tsuruoka", "toyohashi",
				 "ibaraki-gikai", "meguro",   "kameoka"};
#define NP (sizeof profiles / sizeof *profiles)

static double spawn_ms(const char *prog, char *const argv[], const char *stdin_file, int runs)
{
	double t0 = now();
	for (int i = 0; i < runs; i++) {
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		if (stdin_file)
			posix_spawn_file_actions_addopen(&fa, 0, stdin_file, O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		pid_t pid;
		if (posix_spawn(&pid, prog, &fa, NULL, argv, environ)) {
			perror(prog);
			exit(1);
		}
		int st;
		waitpid(pid, &st, 0);
		posix_spawn_file_actions_destroy(&fa);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "%s exited with %d\n", prog, WEXITSTATUS(st));
			exit(1);
		}
	}
	return (now() - t0) * 1000.0 / runs;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_decide ROOT [MAMORI]\n");
		return 2;
	}
	const char *root = argv[1];
	mmr_policy *pols[NP];
	struct req *reqs = NULL;
	size_t nreq = 0, cap = 0;
	char path[4096];

	double t0 = now();
	int loads = 0;
	for (int rep = 0; rep < 20; rep++)
		for (size_t p = 0; p < NP; p++) {
			mmr_error err;
			snprintf(path, sizeof path, "%s/policy/%s.yaml", root, profiles[p]);
			mmr_policy *pol;
			if (mmr_policy_load(path, &pol, &err)) {
				fprintf(stderr, "%s\n", err.message);
				return 1;
			}
			loads++;
			if (rep == 0)
				pols[p] = pol;
			else
				mmr_policy_free(pol);
		}
	double load_ms = (now() - t0) * 1000.0 / loads;

	for (size_t p = 0; p < NP; p++) {
		snprintf(path, sizeof path, "%s/tests/data/decide/%s", root, profiles[p]);
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
				continue;
			char f[8400];
			snprintf(f, sizeof f, "%s/%s", path, e->d_name);
			json_t *tc = json_load_file(f, 0, NULL);
			char *js = tc ? json_dumps(json_object_get(tc, "request"), JSON_COMPACT)
				      : NULL;
			json_decref(tc);
			mmr_request *r;
			mmr_error err;
			if (!js || mmr_request_parse(pols[p], js, strlen(js), &r, &err)) {
				free(js);
				continue;
			}
			if (nreq == cap) {
				cap = cap ? cap * 2 : 256;
				reqs = realloc(reqs, cap * sizeof *reqs);
			}
			reqs[nreq++] = (struct req){pols[p], r, js};
		}
		if (d)
			closedir(d);
	}
	if (!nreq) {
		fprintf(stderr, "no requests\n");
		return 1;
	}

	mmr_decision *dec = mmr_decision_new();
	unsigned long sink = 0, n = 0;
	t0 = now();
	double el;
	do {
		for (size_t i = 0; i < nreq; i++)
			sink += (unsigned long)mmr_decide(reqs[i].pol, reqs[i].r, dec);
		n += nreq;
	} while ((el = now() - t0) < 1.0);
	double per_s = (double)n / el;

	unsigned long m = 0;
	t0 = now();
	do {
		for (size_t i = 0; i < nreq; i++) {
			mmr_request *r;
			mmr_error err;
			if (!mmr_request_parse(reqs[i].pol, reqs[i].json, strlen(reqs[i].json), &r,
					       &err)) {
				sink += (unsigned long)mmr_decide(reqs[i].pol, r, dec);
				mmr_request_free(r);
			}
		}
		m += nreq;
	} while ((el = now() - t0) < 1.0);
	double parse_per_s = (double)m / el;

	printf("decide.requests: %zu requests\n", nreq);
	printf("decide.per_s: %.0f decisions/s\n", per_s);
	printf("decide.per_s.goal_ratio: %.2f (goal 2000000/s)\n", per_s / 2e6);
	printf("decide.parse_per_s: %.0f requests/s\n", parse_per_s);
	printf("policy.load_ms: %.3f ms\n", load_ms);

	if (argc > 2) {
		char tmp[] = "/tmp/mamori-bench-XXXXXX";
		int fd = mkstemp(tmp);
		if (fd < 0 || write(fd, reqs[0].json, strlen(reqs[0].json)) < 0)
			return 1;
		close(fd);
		const char *pid = NULL;
		for (size_t p = 0; p < NP; p++)
			if (reqs[0].pol == pols[p])
				pid = profiles[p];
		snprintf(path, sizeof path, "%s/policy/%s.yaml", root, pid);
		char *margv[] = {argv[2], "decide", "--profile", path, NULL};
		char *targv[] = {"/bin/true", NULL};
		spawn_ms(argv[2], margv, tmp, 5); /* warm the page cache */
		double cli = spawn_ms(argv[2], margv, tmp, 200);
		double base = spawn_ms("/bin/true", targv, tmp, 200);
		unlink(tmp);
		printf("decide.cli_ms: %.2f ms (profile %s)\n", cli, pid);
		printf("decide.cli_ms.limit_ratio: %.2f (limit 10 ms)\n", cli / 10.0);
		printf("spawn.true_ms: %.2f ms (same spawn of /bin/true)\n", base);
	}
	for (size_t i = 0; i < nreq; i++) {
		mmr_request_free(reqs[i].r);
		free(reqs[i].json);
	}
	free(reqs);
	mmr_decision_free(dec);
	for (size_t p = 0; p < NP; p++)
		mmr_policy_free(pols[p]);
	fprintf(stderr, "(sink %lu)\n", sink);
	return 0;
}
