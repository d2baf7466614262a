/*
 * pcache.h — SQLite's own page cache, with the lock page's number kept out
 * of it (pcache.c tells why: without this, every commit that split an index
 * page in its middle walks the whole page cache).
 */
#ifndef MMR_STORE_PCACHE_H
#define MMR_STORE_PCACHE_H

#include <stdbool.h>
#include <stdint.h>

/* Installs the wrapper as SQLite's page cache, once, before SQLite is
 * initialised; false when it could not be (SQLite was initialised already
 * by someone else: then SQLite's page cache is used as it is). Thread-safe. */
bool mmr_pcache_install(void);

/* How many times a page was given the lock page's number (and so key 0
 * instead) in this process: for tests and benchmarks. */
uint64_t mmr_pcache_lock_moves(void);

#endif
