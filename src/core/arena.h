/*
 * arena.h — a bump allocator: many small allocations, one free.
 *
 * Everything a loaded policy holds lives in one arena, so freeing the policy
 * is one call and nothing inside can leak. Allocations are 16-byte aligned
 * and zeroed. Not thread-safe (a policy is built by one thread, then only
 * read).
 */
#ifndef MMR_ARENA_H
#define MMR_ARENA_H

#include <stddef.h>

typedef struct mmr_arena mmr_arena;

mmr_arena *mmr_arena_new(void);
void mmr_arena_free(mmr_arena *a);

/* Zeroed memory of `size` bytes, or NULL when out of memory. */
void *mmr_arena_alloc(mmr_arena *a, size_t size);

/* A NUL-terminated copy of s[0..len) (len may be the string's length). */
char *mmr_arena_strndup(mmr_arena *a, const char *s, size_t len);
char *mmr_arena_strdup(mmr_arena *a, const char *s);

/* Grow an array held in the arena: returns a block of new_count elements
 * holding the old contents (old_count elements), or NULL. The old block is
 * abandoned to the arena. */
void *mmr_arena_grow(mmr_arena *a, void *old, size_t old_count, size_t new_count, size_t elem_size);

#endif
