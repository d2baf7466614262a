/* testutil.h — helpers shared by the cmocka tests: files and directories. */
#ifndef MMR_TESTUTIL_H
#define MMR_TESTUTIL_H

#include <stddef.h>

/* The source root given as argv[1] by meson. */
extern const char *tu_root;

/* malloc'd NUL-terminated contents of path, or NULL. */
char *tu_read(const char *path, size_t *len);

/* Sorted names of the entries of dir ending in suffix (NULL-terminated,
 * malloc'd; free with tu_free_list). Subdirectories when suffix is "/". */
char **tu_list(const char *dir, const char *suffix, size_t *n);
void tu_free_list(char **l);

/* The first line of DIR/NAME.expect, where FILE is NAME plus a dot
 * extension ("bad.json" → "bad.expect"); malloc'd, or NULL. */
char *tu_read_expect(const char *dir, const char *file);

/* snprintf into a static rotating buffer: "%s/%s" style paths. */
const char *tu_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
