/*
 * walbuf.c — an SQLite VFS shim that writes a transaction's WAL frames with
 * one system call (see walbuf.h).
 *
 * SQLite writes each WAL frame as two pwrite calls (its 24-byte header, then
 * the page), so a commit of 50 pages costs 100 system calls: on a virtual
 * machine, where a system call is dear, that was most of the audit log's
 * commit time. This shim gathers the frames appended to a WAL file in a
 * buffer and writes them at once:
 *
 *   - when the commit frame's page has been given (a frame header whose
 *     "database size" field is not zero marks the commit frame, and SQLite
 *     writes it last): the write is made there and then, and its result is
 *     the page write's, so a failed write fails the commit before SQLite
 *     publishes the frames to other connections (the WAL index header);
 *   - before anything else touches the WAL file (a read, its size, a
 *     truncation, a sync, a file control, its close), so SQLite reads back
 *     what it wrote and a sync covers it;
 *   - when an appended write does not continue the buffer or would overflow
 *     it.
 *
 * Only appends are gathered. A write elsewhere in the file (SQLite rewrites
 * frame headers in place after a commit when it recomputes checksums, and
 * writes the 32-byte WAL header at offset 0 when the log starts over) goes
 * straight to the file, after the buffer. Durability is unchanged: nothing
 * was durable before a sync, and a sync writes the buffer first.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/walbuf.h"

#define WALBUF_CAP (1024 * 1024)
/* at most this much a write: the unix VFS takes no more than 128 KiB − 1
 * in one xWrite (it masks the length with 0x1ffff) */
#define WALBUF_WRITE (120 * 1024)
#define WAL_FRAME_HDR 24 /* bytes of a WAL frame header */

struct wb_file {
	sqlite3_file base;  /* our methods */
	sqlite3_file *real; /* the underlying VFS's file, right after this struct */
	bool is_wal;	    /* only WAL files are buffered */
	bool commit_next;   /* the next append is the commit frame's page */
	unsigned char *buf; /* pending bytes: [off, off + len) of the file (NULL: none) */
	sqlite3_int64 off;
	size_t len;
	sqlite3_int64 next_at; /* where the next append goes, as far as this file saw */
};

static sqlite3_vfs g_vfs;
static sqlite3_vfs *g_real;

static int wb_flush(struct wb_file *f)
{
	if (!f->len)
		return SQLITE_OK;
	int rc = SQLITE_OK;
	for (size_t at = 0; rc == SQLITE_OK && at < f->len; at += WALBUF_WRITE) {
		size_t n = f->len - at < WALBUF_WRITE ? f->len - at : WALBUF_WRITE;
		rc = f->real->pMethods->xWrite(f->real, f->buf + at, (int)n,
					       f->off + (sqlite3_int64)at);
	}
	f->len = 0;
	return rc;
}

static int wb_close(sqlite3_file *pf)
{
	struct wb_file *f = (struct wb_file *)pf;
	int frc = wb_flush(f);
	free(f->buf);
	int rc = f->real->pMethods->xClose(f->real);
	return frc != SQLITE_OK ? frc : rc;
}

static int wb_read(sqlite3_file *pf, void *p, int n, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)pf;
	int rc = wb_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, p, n, off);
}

static int wb_write(sqlite3_file *pf, const void *p, int n, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)pf;
	int rc;
	if (!f->buf || n <= 0 || (size_t)n > WALBUF_CAP || off != f->next_at) {
		/* not an append: inside the buffer it is rewritten there, else
		 * written through after it */
		if (f->len && off >= f->off && off + n <= f->off + (sqlite3_int64)f->len) {
			memcpy(f->buf + (off - f->off), p, (size_t)n);
			return SQLITE_OK;
		}
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		if (off + n > f->next_at) /* another connection appended meanwhile */
			f->next_at = off + n;
		if (off == 0) /* the log starts over: its header */
			f->next_at = n;
		f->commit_next = false;
		return f->real->pMethods->xWrite(f->real, p, n, off);
	}
	if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)n > WALBUF_CAP) &&
	    (rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)n);
	f->len += (size_t)n;
	f->next_at = off + n;
	if (f->commit_next) { /* the commit frame is whole: write it all now */
		f->commit_next = false;
		return wb_flush(f);
	}
	const unsigned char *h = p; /* a frame header: page number, database size, … */
	f->commit_next = n == WAL_FRAME_HDR && (h[4] | h[5] | h[6] | h[7]);
	return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct wb_file *f = (struct wb_file *)pf;
	int rc = wb_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *pf, int flags)
{
	struct wb_file *f = (struct wb_file *)pf;
	int rc = wb_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct wb_file *f = (struct wb_file *)pf;
	int rc = wb_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *pf, int lock)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xLock(f->real, lock);
}

static int wb_unlock(sqlite3_file *pf, int lock)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xUnlock(f->real, lock);
}

static int wb_check_lock(sqlite3_file *pf, int *out)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_control(sqlite3_file *pf, int op, void *arg)
{
	struct wb_file *f = (struct wb_file *)pf;
	int rc = wb_flush(f); /* whatever it asks of the file sees it whole */
	if (rc != SQLITE_OK)
		return rc;
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector_size(sqlite3_file *pf)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device(sqlite3_file *pf)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int wb_shm_map(sqlite3_file *pf, int pg, int pgsz, int extend, void volatile **pp)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int wb_shm_lock(sqlite3_file *pf, int offset, int n, int flags)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void wb_shm_barrier(sqlite3_file *pf)
{
	struct wb_file *f = (struct wb_file *)pf;
	f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *pf, int del)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int wb_fetch(sqlite3_file *pf, sqlite3_int64 off, int n, void **pp)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xFetch(f->real, off, n, pp);
}

static int wb_unfetch(sqlite3_file *pf, sqlite3_int64 off, void *p)
{
	struct wb_file *f = (struct wb_file *)pf;
	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods wb_methods = {
	3,
	wb_close,
	wb_read,
	wb_write,
	wb_truncate,
	wb_sync,
	wb_file_size,
	wb_lock,
	wb_unlock,
	wb_check_lock,
	wb_control,
	wb_sector_size,
	wb_device,
	wb_shm_map,
	wb_shm_lock,
	wb_shm_barrier,
	wb_shm_unmap,
	wb_fetch,
	wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags,
		   int *out_flags)
{
	(void)vfs;
	struct wb_file *f = (struct wb_file *)pf;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods) {
		/* xClose is not called on a file whose open failed */
		f->base.pMethods = NULL;
		return rc;
	}
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	if (f->is_wal) {
		f->buf = malloc(WALBUF_CAP); /* without: writes go straight through */
		sqlite3_int64 size = 0;
		if (f->real->pMethods->xFileSize(f->real, &size) == SQLITE_OK)
			f->next_at = size;
	}
	f->base.pMethods = &wb_methods;
	return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return g_real->xDelete(g_real, name, sync);
}

static int wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return g_real->xAccess(g_real, name, flags, out);
}

static int wb_full_path(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return g_real->xFullPathname(g_real, name, n, out);
}

static void *wb_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return g_real->xDlOpen(g_real, name);
}

static void wb_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	g_real->xDlError(g_real, n, out);
}

static void (*wb_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return g_real->xDlSym(g_real, h, sym);
}

static void wb_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	g_real->xDlClose(g_real, h);
}

static int wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return g_real->xRandomness(g_real, n, out);
}

static int wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return g_real->xSleep(g_real, us);
}

static int wb_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return g_real->xCurrentTime(g_real, out);
}

static int wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return g_real->xGetLastError(g_real, n, out);
}

static int wb_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return g_real->xCurrentTimeInt64(g_real, out);
}

static int g_rc = SQLITE_ERROR;

static void wb_register(void)
{
	g_real = sqlite3_vfs_find(NULL);
	if (!g_real || g_real->iVersion < 2 || !g_real->xCurrentTimeInt64)
		return;
	g_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wb_file) + g_real->szOsFile,
		.mxPathname = g_real->mxPathname,
		.zName = MMR_WALBUF_VFS,
		.xOpen = wb_open,
		.xDelete = wb_delete,
		.xAccess = wb_access,
		.xFullPathname = wb_full_path,
		.xDlOpen = wb_dl_open,
		.xDlError = wb_dl_error,
		.xDlSym = wb_dl_sym,
		.xDlClose = wb_dl_close,
		.xRandomness = wb_randomness,
		.xSleep = wb_sleep,
		.xCurrentTime = wb_current_time,
		.xGetLastError = wb_last_error,
		.xCurrentTimeInt64 = wb_current_time64,
	};
	g_rc = sqlite3_vfs_register(&g_vfs, 0);
}

const char *mmr_walbuf_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, wb_register);
	return g_rc == SQLITE_OK ? MMR_WALBUF_VFS : NULL;
}
