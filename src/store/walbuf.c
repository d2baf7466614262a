/*
 * walbuf.c — an SQLite VFS shim that writes a transaction's WAL frames with
 * few system calls (see walbuf.h).
 *
 * SQLite writes each WAL frame as two pwrite calls (its 24-byte header, then
 * the page), so a commit of 50 pages costs 100 system calls: on a virtual
 * machine, where a system call is dear, that was most of the audit log's
 * commit time. This shim gathers a connection's WAL writes in a buffer and
 * writes them in pieces of up to 120 KiB. Bytes are only ever pending while
 * the connection is the WAL's writer, and never once other connections may
 * read them:
 *
 *   - the buffer is written at xShmBarrier of the WAL's database file:
 *     SQLite publishes new frames by writing the WAL index header in shared
 *     memory with a barrier between its two copies (walIndexWriteHdr), so no
 *     reader can see a frame that is not in the file yet;
 *   - nothing is left when the WAL write lock is given up (xShmLock of
 *     lock 0 on the database file): the bytes of a transaction rolled back
 *     after spilling pages are dropped there, so none land later over
 *     another writer's frames;
 *   - the commit frame is written as soon as its page is given (a frame
 *     header whose "database size" field is not zero marks it), so that a
 *     failed write fails the commit before SQLite publishes it; what SQLite
 *     writes after it in the same commit (checksums rewritten in place,
 *     padding frames) goes straight to the file, for the same reason;
 *   - before anything else touches the WAL file (a read, its size, a
 *     truncation, a sync, a file control, its close), so SQLite reads back
 *     what it wrote and a sync covers it.
 *
 * A WAL file is paired with its database file by the name SQLite gives it:
 * sqlite3_filename_database() of the WAL's name is the very pointer passed
 * when the connection opened its database file. A WAL that cannot be paired
 * (or whose buffer cannot be allocated) is written straight through. A write
 * that fails at a barrier cannot fail the commit any more (SQLite's barrier
 * returns nothing); it is kept and returned by the WAL file's next call.
 * Durability is unchanged: nothing was durable before a sync, and a sync
 * writes the buffer first.
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
	const char *name;   /* as SQLite opened it (database files: to pair) */
	bool is_wal;
	struct wb_file *wal;  /* a database file's WAL file, once open */
	struct wb_file *db;   /* a WAL file's database file */
	struct wb_file *next; /* open database files (g_dbs, under g_lock) */
	/* WAL files: */
	unsigned char *buf; /* pending bytes: [off, off + len) of the file (NULL: none) */
	sqlite3_int64 off;
	size_t len;
	bool commit_next; /* the next write is the commit frame's page */
	bool committing;  /* the commit frame is written: straight through until unlock */
	int failed;	  /* a write at a barrier failed: the next call reports it */
};

static sqlite3_vfs g_vfs;
static sqlite3_vfs *g_real;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wb_file *g_dbs;

static int wb_flush(struct wb_file *f)
{
	if (f->failed) {
		int rc = f->failed;
		f->failed = SQLITE_OK;
		f->len = 0;
		return rc;
	}
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

/* wb_flush where SQLite takes no error (a barrier, an unlock): a failure is
 * kept and returned by the WAL file's next call. */
static void wb_flush_later(struct wb_file *w)
{
	int rc = wb_flush(w);
	if (rc != SQLITE_OK)
		w->failed = rc;
}

static int wb_close(sqlite3_file *pf)
{
	struct wb_file *f = (struct wb_file *)pf;
	int frc = wb_flush(f);
	pthread_mutex_lock(&g_lock);
	if (f->is_wal) {
		if (f->db)
			f->db->wal = NULL;
	} else {
		if (f->wal)
			f->wal->db = NULL;
		for (struct wb_file **p = &g_dbs; *p; p = &(*p)->next)
			if (*p == f) {
				*p = f->next;
				break;
			}
	}
	pthread_mutex_unlock(&g_lock);
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
	if (f->failed) /* a write at a barrier failed: this one reports it */
		return wb_flush(f);
	/* not buffered: the WAL header (offset 0: written when the log starts
	 * over, it must reach the file even if the transaction rolls back),
	 * anything after the commit frame, and what does not fit */
	if (!f->buf || f->committing || off == 0 || n <= 0 || (size_t)n > WALBUF_CAP) {
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		return f->real->pMethods->xWrite(f->real, p, n, off);
	}
	sqlite3_int64 end = f->off + (sqlite3_int64)f->len;
	if (f->len && off >= f->off && off + n <= end) { /* rewritten in place */
		memcpy(f->buf + (off - f->off), p, (size_t)n);
	} else {
		if (f->len && (off != end || f->len + (size_t)n > WALBUF_CAP) &&
		    (rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		if (!f->len)
			f->off = off;
		memcpy(f->buf + f->len, p, (size_t)n);
		f->len += (size_t)n;
	}
	if (f->commit_next) { /* the commit frame is whole: written now */
		f->commit_next = false;
		f->committing = true;
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

/* Lock 0 of the WAL index is the WAL's write lock (wal.c WAL_WRITE_LOCK):
 * its writer gives it up only with nothing pending. */
static int wb_shm_lock(sqlite3_file *pf, int offset, int n, int flags)
{
	struct wb_file *f = (struct wb_file *)pf;
	struct wb_file *w = f->wal;
	if (w && (flags & SQLITE_SHM_UNLOCK) && offset == 0 && n >= 1) {
		if (w->committing) { /* (written already: the commit flushed it) */
			wb_flush_later(w);
		} else {
			/* no commit frame: the frames of a transaction rolled back
			 * (pages it spilled), past the WAL's published end, where the
			 * next writer writes over them. SQLite leaves such frames in
			 * the file too; the WAL's chained checksums reject them. They
			 * are dropped, not written (nor any error of theirs reported
			 * to a later, unrelated statement). */
			w->len = 0;
		}
		w->commit_next = w->committing = false;
	}
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

/* The publication point of new WAL frames (see the top). */
static void wb_shm_barrier(sqlite3_file *pf)
{
	struct wb_file *f = (struct wb_file *)pf;
	struct wb_file *w = f->wal;
	if (w && w->len)
		wb_flush_later(w);
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
	f->name = name;
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	pthread_mutex_lock(&g_lock);
	if (f->is_wal && name) { /* paired with its database file, or not buffered */
		const char *db = sqlite3_filename_database(name);
		for (struct wb_file *d = g_dbs; d; d = d->next)
			if (d->name == db && !d->wal) {
				d->wal = f;
				f->db = d;
				break;
			}
		if (f->db && !(f->buf = malloc(WALBUF_CAP))) {
			f->db->wal = NULL;
			f->db = NULL;
		}
	} else if (flags & SQLITE_OPEN_MAIN_DB) {
		f->next = g_dbs;
		g_dbs = f;
	}
	pthread_mutex_unlock(&g_lock);
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
