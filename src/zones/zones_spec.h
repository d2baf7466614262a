/*
 * zones_spec.h — ZONES.yaml in memory (see zones_spec.c for the format).
 * One arena holds everything; free with zspec_free().
 */
#ifndef MMR_ZONES_SPEC_H
#define MMR_ZONES_SPEC_H

#include "zones/zones_int.h"

#define ZSPEC_MAX_SEGMENTS 16
#define ZSPEC_MAX_IFS 16
#define ZSPEC_MAX_PORTS 64
#define ZSPEC_MAX_RELAYS 64
#define ZSPEC_MAX_PEERS 64

typedef struct zport {
	ziv proto, port; /* port is the destination port; 0-65535 when not given */
} zport;

typedef struct zports {
	size_t n;
	zport v[ZSPEC_MAX_PORTS];
} zports;

typedef struct zsegment {
	const char *id;
	zivs subnets;
	const char *ifnames[ZSPEC_MAX_IFS];
	size_t n_ifnames;
	int line;
} zsegment;

typedef struct zrelay {
	const char *name, *method, *from, *to;
	ziv addr;
	int from_seg, to_seg, at_seg;
	zports ports;
	int line;
} zrelay;

typedef struct zpeer {
	const char *name, *mac, *kind;
	ziv addr;
	int via_lgwan;
	zports ports;
	int line;
} zpeer;

typedef struct zspec {
	mmr_arena *arena;
	zsegment segments[ZSPEC_MAX_SEGMENTS];
	size_t n_segments;
	zrelay relays[ZSPEC_MAX_RELAYS];
	size_t n_relays;
	zpeer peers[ZSPEC_MAX_PEERS];
	size_t n_peers;
} zspec;

/* Read ZONES.yaml from buf; segment ids are checked against pol. */
int zspec_read(const mmr_policy *pol, const char *name, const char *buf, size_t len, zspec **out,
	       mmr_error *err);
void zspec_free(zspec *s);
int zspec_segment_index(const zspec *s, const char *id);
int zspec_segment_of(const zspec *s, ziv iv);

#endif
