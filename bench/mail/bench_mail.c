/*
 * bench_mail.c — mail text-ization throughput on one core: a generated
 * corpus of 30 KB multipart Japanese mails (bench/mail/gen_corpus.py) plus
 * the public fixtures, text-ized in memory by one textizer, repeated for
 * about 3 s, then the generated mails alone for as long (the goal is stated
 * over them: mail.generated_msgs_per_s); then the Python standard-library peer
 * (bench/mail/textize_py.py) on the same files in the same run. Times are CPU time of the process
 * (the machine is shared), both sides pinned to one CPU.
 *
 *   bench_mail SOURCE_ROOT [PATH_TO_MAMORI]
 */
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail.h"

struct msg {
	char *p;
	size_t n;
};

static struct msg *msgs;
static size_t n_msgs, cap_msgs;

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 4, ".eml")) {
			load_dir(path); /* subdirectories */
			continue;
		}
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		long sz = ftell(f);
		rewind(f);
		char *p = malloc((size_t)sz + 1);
		if (p && fread(p, 1, (size_t)sz, f) == (size_t)sz) {
			if (n_msgs == cap_msgs) {
				cap_msgs = cap_msgs ? cap_msgs * 2 : 256;
				msgs = realloc(msgs, cap_msgs * sizeof *msgs);
			}
			msgs[n_msgs].p = p;
			msgs[n_msgs++].n = (size_t)sz;
		} else {
			free(p);
		}
		fclose(f);
	}
	closedir(d);
}

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : ".";
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof one, &one);

	char dir[] = "/tmp/mamori-bench-mail-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "python3 '%s/bench/mail/gen_corpus.py' '%s' 200", root, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_mail: gen_corpus.py failed\n");
		return 1;
	}
	char fixtures[4096];
	const char *td = getenv("MAMORI_TESTDATA");
	if (td)
		snprintf(fixtures, sizeof fixtures, "%s/mail/mikel-mail", td);
	else
		snprintf(fixtures, sizeof fixtures, "%s/../shared/testdata/mail/mikel-mail", root);
	load_dir(dir);
	size_t generated = n_msgs;
	load_dir(fixtures);
	if (!n_msgs) {
		fprintf(stderr, "bench_mail: no messages\n");
		return 1;
	}
	mmr_mail_limits lim;
	mmr_mail_limits_default(&lim);
	mmr_textizer *tz;
	mmr_error err;
	if (mmr_textizer_new(&lim, &tz, &err) != MMR_OK) {
		fprintf(stderr, "bench_mail: %s\n", err.message);
		return 1;
	}
	const mmr_mail_result *r;
	size_t refused = 0;
	for (size_t i = 0; i < n_msgs; i++) /* warm up */
		if (mmr_textize(tz, msgs[i].p, msgs[i].n, &r, &err) != MMR_OK)
			refused++;
	double seconds =
		getenv("MAMORI_BENCH_SECONDS") ? atof(getenv("MAMORI_BENCH_SECONDS")) : 3.0;
	size_t done = 0, bytes = 0;
	double t0 = cpu_now(), dt;
	do {
		for (size_t i = 0; i < n_msgs; i++) {
			mmr_textize(tz, msgs[i].p, msgs[i].n, &r, &err);
			bytes += msgs[i].n;
		}
		done += n_msgs;
		dt = cpu_now() - t0;
	} while (dt < seconds);
	double mps = (double)done / dt;
	/* The goal is stated over the generated 30 KB mails alone. */
	size_t gdone = 0;
	double gdt = 0;
	if (generated) {
		double g0 = cpu_now();
		do {
			for (size_t i = 0; i < generated; i++)
				mmr_textize(tz, msgs[i].p, msgs[i].n, &r, &err);
			gdone += generated;
			gdt = cpu_now() - g0;
		} while (gdt < seconds);
	}
	mmr_textizer_free(tz);

	/* The Python peer on the same files, CPU time of its process. */
	snprintf(cmd, sizeof cmd, "python3 '%s/bench/mail/textize_py.py' 3 '%s' '%s'", root, dir,
		 fixtures);
	double py = 0;
	FILE *p = getenv("MAMORI_BENCH_NO_PEER") ? NULL : popen(cmd, "r");
	if (p) {
		char line[256];
		while (fgets(line, sizeof line, p))
			if (!strncmp(line, "msgs_per_s: ", 12))
				py = atof(line + 12);
		pclose(p);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_mail: could not remove %s\n", dir);

	printf("mail.msgs_per_s: %.0f msgs/s (%zu messages: %zu generated ~30 KB, %zu fixtures; "
	       "%zu refused)\n",
	       mps, n_msgs, generated, n_msgs - generated, refused);
	printf("mail.mb_per_s: %.1f MB/s\n", (double)bytes / dt / 1e6);
	printf("mail.msgs_per_s.goal_ratio: %.2f (goal 5000 msgs/s)\n", mps / 5000.0);
	if (gdone) {
		double gmps = (double)gdone / gdt;
		printf("mail.generated_msgs_per_s: %.0f msgs/s (the %zu generated ~30 KB mails "
		       "only)\n",
		       gmps, generated);
		printf("mail.generated_msgs_per_s.goal_ratio: %.2f (goal 5000 msgs/s)\n",
		       gmps / 5000.0);
	}
	if (py > 0) {
		printf("mail.python_msgs_per_s: %.0f msgs/s\n", py);
		printf("mail.vs_python: %.1f x\n", mps / py);
		printf("mail.vs_python.goal_ratio: %.2f (goal 20 x)\n", mps / py / 20.0);
	}
	return 0;
}
