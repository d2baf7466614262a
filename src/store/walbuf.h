/*
 * walbuf.h — an SQLite VFS shim ("mamori-walbuf") over the default one that
 * writes the frames a transaction appends to a WAL file with one system
 * call instead of two a frame (walbuf.c tells how, and why it keeps SQLite's
 * guarantees). The store opens its SQLite connections through it.
 */
#ifndef MMR_STORE_WALBUF_H
#define MMR_STORE_WALBUF_H

#define MMR_WALBUF_VFS "mamori-walbuf"

/* The shim's name, registered on the first call (not as the default VFS);
 * NULL when it could not be (then use the default). Thread-safe. */
const char *mmr_walbuf_vfs(void);

#endif
