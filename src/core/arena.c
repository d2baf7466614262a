/* arena.c — see arena.h. */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (64 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct mmr_arena {
	struct chunk *head;
};

mmr_arena *mmr_arena_new(void)
{
	return calloc(1, sizeof(mmr_arena));
}

void mmr_arena_free(mmr_arena *a)
{
	if (!a)
		return;
	struct chunk *c = a->head;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(a);
}

void *mmr_arena_alloc(mmr_arena *a, size_t size)
{
	size_t need = (size + 15u) & ~(size_t)15u;
	if (need < size)
		return NULL;
	struct chunk *c = a->head;
	if (!c || c->size - c->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		if (cap > SIZE_MAX - sizeof(struct chunk))
			return NULL;
		c = malloc(sizeof(struct chunk) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += need;
	memset(p, 0, need);
	return p;
}

char *mmr_arena_strndup(mmr_arena *a, const char *s, size_t len)
{
	char *p = mmr_arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *mmr_arena_strdup(mmr_arena *a, const char *s)
{
	return mmr_arena_strndup(a, s, strlen(s));
}

void *mmr_arena_grow(mmr_arena *a, void *old, size_t old_count, size_t new_count, size_t elem_size)
{
	if (new_count && elem_size > SIZE_MAX / new_count)
		return NULL;
	void *p = mmr_arena_alloc(a, new_count * elem_size);
	if (p && old && old_count)
		memcpy(p, old, old_count * elem_size);
	return p;
}
