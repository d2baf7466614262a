/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *tu_root = ".";

char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0, got;
	char *b = malloc(cap + 1);
	while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			char *nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				b = NULL;
			}
			b = nb;
		}
	}
	fclose(f);
	if (!b)
		return NULL;
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tu_list(const char *dir, const char *suffix, size_t *n)
{
	*n = 0;
	DIR *d = opendir(dir);
	size_t cap = 16;
	char **l = calloc(cap + 1, sizeof *l);
	if (!d || !l) {
		if (d)
			closedir(d);
		return l;
	}
	struct dirent *e;
	bool want_dirs = !strcmp(suffix, "/");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char full[4096];
		snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(full, &st))
			continue;
		if (want_dirs) {
			if (!S_ISDIR(st.st_mode))
				continue;
		} else {
			size_t ln = strlen(e->d_name), ls = strlen(suffix);
			if (!S_ISREG(st.st_mode) || ln < ls || strcmp(e->d_name + ln - ls, suffix))
				continue;
		}
		if (*n == cap) {
			cap *= 2;
			char **nl = realloc(l, (cap + 1) * sizeof *l);
			if (!nl)
				break;
			l = nl;
		}
		l[(*n)++] = strdup(e->d_name);
		l[*n] = NULL;
	}
	closedir(d);
	qsort(l, *n, sizeof *l, cmp);
	return l;
}

void tu_free_list(char **l)
{
	for (char **p = l; p && *p; p++)
		free(*p);
	free(l);
}

const char *tu_path(const char *fmt, ...)
{
	static char bufs[8][4096];
	static int next;
	char *b = bufs[next++ % 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof bufs[0], fmt, ap);
	va_end(ap);
	return b;
}

char *tu_read_expect(const char *dir, const char *file)
{
	const char *dot = strrchr(file, '.');
	int stem = dot ? (int)(dot - file) : (int)strlen(file);
	char *want = tu_read(tu_path("%s/%.*s.expect", dir, stem, file), NULL);
	if (want)
		want[strcspn(want, "\n")] = '\0';
	return want;
}
