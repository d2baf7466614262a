/*
 * fuzz_zones.h — shared by the three-layer check's fuzz targets: the profile
 * (loaded once), a fixed ZONES.yaml and ruleset, and the invariants every
 * successful check must keep.
 */
#ifndef MMR_FUZZ_ZONES_H
#define MMR_FUZZ_ZONES_H

#include <stdlib.h>
#include <string.h>

#include "mamori.h"
#include "zones/zones.h"

static const char fuzz_zones_yaml[] =
	"segments:\n"
	"  mynumber: {subnets: [10.10.0.0/16], interfaces: [mn0]}\n"
	"  lgwan:    {subnets: [10.20.0.0/16], interfaces: [lg0]}\n"
	"  internet: {subnets: [10.30.0.0/16], interfaces: [in0, rl0]}\n"
	"relays:\n"
	"  - {name: mail, address: 10.30.1.25, method: text, from: internet, to: lgwan, ports: "
	"[tcp/25]}\n"
	"peers:\n"
	"  - {name: peer, address: 192.0.2.10/32, ports: [tcp/443]}\n";

static const char fuzz_zones_rules[] =
	"*filter\n"
	":FORWARD DROP [0:0]\n"
	":sub - [0:0]\n"
	"-A FORWARD -i lg0 -j sub\n"
	"-A FORWARD -s 10.30.1.25 -d 10.20.0.0/16 -p tcp --dport 25 -j ACCEPT\n"
	"-A sub -d 10.30.0.0/16 -p tcp -m multiport --dports 80,443 -j ACCEPT\n"
	"COMMIT\n";

static const mmr_policy *fuzz_zones_policy(void)
{
	static mmr_policy *pol;
	if (!pol) {
		mmr_error err;
		if (mmr_policy_load(MMR_SOURCE_ROOT "/policy/toyohashi.yaml", &pol, &err) != MMR_OK)
			abort();
	}
	return pol;
}

/* Run the check; a success must give a result whose "clean" matches its
 * violations and a picture. */
static void fuzz_zones_run(const char *zones, size_t zlen, const char *rules, size_t rlen)
{
	static const char *const probes[] = {"10.20.0.5,10.30.0.5,tcp/80",
					     "10.30.1.25,10.20.0.9,tcp/25,rl0,lg0"};
	json_t *res = NULL;
	char *svg = NULL;
	mmr_error err;
	int rc = mmr_zones_check(fuzz_zones_policy(), "zones.yaml", zones, zlen, "rules", rules,
				 rlen, probes, 2, &res, &svg, &err);
	if (rc != MMR_OK) {
		if (res || svg || !err.message[0])
			abort();
		return;
	}
	int clean = json_is_true(json_object_get(res, "clean"));
	if (clean != (json_array_size(json_object_get(res, "violations")) == 0) || !svg ||
	    strncmp(svg, "<svg", 4) || json_array_size(json_object_get(res, "probes")) != 2)
		abort();
	free(svg);
	json_decref(res);
}

#endif
