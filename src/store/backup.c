/*
 * backup.c — backups of mamori's own data, which the policies require of
 * every system: SQLite through its online backup API (a consistent copy
 * while the server runs), PostgreSQL through pg_dump / pg_restore.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store_int.h"

static bool is_pg(const char *target)
{
	return !strncmp(target, "postgres://", 11) || !strncmp(target, "postgresql://", 13);
}

/* Run argv, waiting; MMR_OK when it exits 0. */
static int run(char *const argv[], mmr_error *err)
{
	pid_t pid = fork();
	if (pid < 0) {
		mmr_error_set(err, MMR_EIO, "%s を起動できません: %s", argv[0], strerror(errno));
		return MMR_EIO;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		mmr_error_set(err, MMR_EIO, "%s が失敗しました（終了コード %d）", argv[0],
			      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return MMR_EIO;
	}
	return MMR_OK;
}

static int sqlite_copy(const char *from, const char *to, bool create_only, mmr_error *err)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc = MMR_EIO;
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		mmr_error_set(err, MMR_EIO, "\"%s\" を開けません: %s", from, sqlite3_errmsg(src));
		goto out;
	}
	if (create_only) {
		struct stat sb;
		if (stat(to, &sb) == 0) {
			mmr_error_set(err, MMR_ECONFLICT,
				      "\"%s\" はすでにあります（上書きしません）", to);
			rc = MMR_ECONFLICT;
			goto out;
		}
	}
	if (sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		mmr_error_set(err, MMR_EIO, "\"%s\" を作れません: %s", to, sqlite3_errmsg(dst));
		goto out;
	}
	sqlite3_busy_timeout(dst, 10000);
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		mmr_error_set(err, MMR_EIO, "バックアップを始められません: %s",
			      sqlite3_errmsg(dst));
		goto out;
	}
	int s;
	while ((s = sqlite3_backup_step(b, 256)) == SQLITE_OK || s == SQLITE_BUSY ||
	       s == SQLITE_LOCKED)
		if (s != SQLITE_OK)
			sqlite3_sleep(50);
	sqlite3_backup_finish(b);
	if (s != SQLITE_DONE) {
		mmr_error_set(err, MMR_EIO, "バックアップに失敗しました: %s", sqlite3_errstr(s));
		goto out;
	}
	/* the copy must be whole: check it before saying so */
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(dst, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
		bool ok = sqlite3_step(st) == SQLITE_ROW &&
			  !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
		sqlite3_finalize(st);
		if (!ok) {
			mmr_error_set(err, MMR_EIO, "複製の整合性検査に失敗しました");
			goto out;
		}
	}
	rc = MMR_OK;
out:
	sqlite3_close_v2(src);
	sqlite3_close_v2(dst);
	return rc;
}

int mmr_store_backup(const char *target, const char *file, mmr_error *err)
{
	struct stat sb;
	if (stat(file, &sb) == 0) {
		mmr_error_set(err, MMR_ECONFLICT, "\"%s\" はすでにあります（上書きしません）",
			      file);
		return MMR_ECONFLICT;
	}
	if (is_pg(target)) {
		char *argv[] = {"pg_dump",    "--format=custom", "--no-owner",	 "--file",
				(char *)file, "--dbname",	 (char *)target, NULL};
		return run(argv, err);
	}
	return sqlite_copy(target, file, true, err);
}

int mmr_store_restore(const char *target, const char *file, mmr_error *err)
{
	if (is_pg(target)) {
		char *argv[] = {"pg_restore",
				"--clean",
				"--if-exists",
				"--no-owner",
				"--single-transaction",
				"--dbname",
				(char *)target,
				(char *)file,
				NULL};
		return run(argv, err);
	}
	return sqlite_copy(file, target, false, err);
}
