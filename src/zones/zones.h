/*
 * zones.h — does the three-layer separation hold in the firewall rules?
 * (issue 9)
 *
 * mmr_zones_check() reads a body's ZONES.yaml (segments' subnets and
 * interfaces, sanitization relays, the My Number segment's outside peers)
 * and a firewall ruleset (nftables JSON from `nft -j list ruleset`, or
 * `iptables-save` output; told apart by content), computes with netfilter's
 * semantics which new IPv4 connections the ruleset forwards between the
 * segments, the peers and the rest of the world, and judges each against the
 * three-layer model and the profile: the flow class is asked of the decision
 * point (action network.connect with context from_segment, to_segment,
 * destination, sanitized), so the clauses cited are the profile's own.
 *
 * The result is one JSON object (see docs/man/mamori-zones.1):
 *   {"profile", "zones", "ruleset": {file, format, chains, rules,
 *    approximate_rules}, "clean": bool, "violations": [flow…],
 *    "relayed": [flow…], "peers": [flow…], "allowed": [flow…],
 *    "probes": [{probe, verdict, rule}…]}
 * where a flow is {from, to, src: [ranges], dst: [ranges], protocol (summary),
 * services: ["tcp/80", "udp", "proto 0-5", …], ports: [ranges of tcp/udp/sctp],
 * rule: {family, table, chain, handle|line|policy|unfiltered, comment?,
 * approximate?}, rule_text, relay?, method?, peer?, reason, effect (the
 * profile's for this class of flow), clause (null when the profile has none),
 * citations: [{clause, text, …}], policy_rules: [ids], obligations?,
 * sample: {src, dst, protocol, port}}; plus "segments", "relay_hosts",
 * "peer_hosts" for drawing.
 *
 * Pure: no I/O, no printing. Thread-safe for distinct calls.
 */
#ifndef MMR_ZONES_H
#define MMR_ZONES_H

#include <jansson.h>
#include <stddef.h>

#include "mamori.h"

/* Check the ruleset `rules` (rules_len bytes, named rules_name in messages)
 * against the zones `zones_yaml` (named zones_name) under profile `pol`.
 * `probes` (n_probes, may be 0) are single packets written
 * "SRC,DST,PROTO[/PORT][,IIF,OIF]" ("10.20.0.5,10.30.0.9,tcp/443,lg0,in0")
 * whose verdict is reported too; without interfaces, the first declared
 * interface of the address's segment (or any) is assumed.
 * On MMR_OK, *result is a new JSON object (json_decref it) and, when `svg`
 * is non-NULL, *svg a malloc'd SVG picture (free it). On failure (MMR_EINVAL
 * for bad input, MMR_ELIMIT when the analysis exceeds its bounds,
 * MMR_ENOMEM) err names the file and line or JSON path, and nothing is
 * returned. */
int mmr_zones_check(const mmr_policy *pol, const char *zones_name, const char *zones_yaml,
		    size_t zones_len, const char *rules_name, const char *rules, size_t rules_len,
		    const char *const *probes, size_t n_probes, json_t **result, char **svg,
		    mmr_error *err);

/* The picture of a result of mmr_zones_check: the segments, the relays and
 * peers, the allowed flows, violations in red. malloc'd (free it); NULL when
 * out of memory. */
char *mmr_zones_svg(const json_t *result);

#endif
