/*
 * inspect_dash.c — the dashboard's figures: compliance per department of the
 * latest round, the classification mix of the ledger, the three-layer
 * picture (systems and assets per segment), the ledgers' sizes, incidents
 * per month by severity, applications waiting and exceptions ending.
 * Each figure is one aggregate query (GROUP BY on an index), so the page
 * costs the same for 100 assets and 100,000. The geometry of the SVG charts
 * (bar widths, offsets) is computed here; the template only draws it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/inspect_int.h"

#define BAR_W 360 /* pixels of a full bar */
#define ROW_H 26

static const char *const ledger_names[] = {"assets", "systems", "devices", "users", "units"};

/* The ledgers' sizes for the whole body: kept by triggers (migration 0007). */
static int ledger_counts(mmr_store *st, const char *tenant, json_t *out, mmr_error *err)
{
	for (size_t i = 0; i < sizeof ledger_names / sizeof ledger_names[0]; i++) {
		int64_t n;
		int rc = mmr_ledger_total(st, tenant, ledger_names[i], &n, err);
		if (rc)
			return rc;
		json_object_set_new(out, ledger_names[i], json_integer(n));
	}
	return MMR_OK;
}

/* The ledgers' sizes as this person may see them (the ledgers' own
 * visibility: their unit's, their systems', what they hold). */
static int visible_counts(mmr_store *st, const mmr_actor *who, json_t *out, mmr_error *err)
{
	for (size_t i = 0; i < sizeof ledger_names / sizeof ledger_names[0]; i++) {
		struct mmr_ledger_query q = {.limit = 1};
		json_t *l;
		int rc = mmr_ledger_list(st, who, ledger_names[i], &q, &l, err);
		if (rc)
			return rc;
		json_object_set(out, ledger_names[i], json_object_get(l, "total"));
		json_decref(l);
	}
	return MMR_OK;
}

/* Compliance per department of the newest round. */
static int compliance(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err)
{
	static const char q[] = "SELECT id FROM inspection_rounds WHERE tenant = $1 ORDER BY "
				"fiscal_year DESC, id DESC LIMIT 1";
	int64_t round = 0;
	bool found;
	int rc = mmr_iq_int(st->db, q, IPARAMS(IP_S(who->tenant)), &round, &found, err);
	if (rc)
		return rc;
	if (!found) {
		*out = json_pack("{s:b}", "available", 0);
		return MMR_OK;
	}
	json_t *r;
	if ((rc = mmr_inspect_round_get(st, who, round, &r, err)))
		return rc;
	json_t *deps = json_object_get(json_object_get(r, "rollup"), "departments");
	size_t i;
	json_t *d;
	json_array_foreach (deps, i, d) {
		json_t *p = json_object_get(d, "rate_permille");
		int64_t w = json_is_integer(p) ? json_integer_value(p) * BAR_W / 1000 : 0;
		json_object_set_new(d, "width", json_integer(w));
		json_object_set_new(d, "y", json_integer((json_int_t)i * ROW_H));
		json_object_set_new(d, "ty", json_integer((json_int_t)i * ROW_H + 16));
		json_object_set_new(d, "tx", json_integer(w + 206));
	}
	*out = json_pack("{s:b, s:O, s:O, s:O, s:O, s:I}", "available", 1, "round",
			 json_object_get(r, "id"), "name", json_object_get(r, "name"), "body",
			 json_object_get(json_object_get(r, "rollup"), "body"), "departments", deps,
			 "height", (json_int_t)(json_array_size(deps) * ROW_H + 4));
	json_decref(r);
	return MMR_OK;
}

/* Per axis: the count of assets at each level and of those with no level on
 * it, as a stacked bar. */
static int classes(mmr_store *st, const char *tenant, const mmr_policy *pol, int64_t total,
		   json_t **out, mmr_error *err)
{
	static const char q[] = "SELECT axis, level, count(*) FROM asset_classes WHERE tenant = "
				"$1 GROUP BY axis, level";
	json_t *rows;
	int rc =
		mmr_iq_rows(st->db, q, IPARAMS(IP_S(tenant)), "axis:s,level:s,count:i", &rows, err);
	if (rc)
		return rc;
	json_t *axes = json_array();
	size_t na = mmr_policy_axis_count(pol);
	for (size_t a = 0; a < na; a++) {
		const char *id, *name;
		size_t nl;
		mmr_policy_axis_at(pol, a, &id, &name, &nl);
		json_t *levels = json_array();
		int64_t sum = 0, x = 0;
		for (size_t l = 0; l <= nl; l++) {
			const char *lid = NULL, *lname = "未分類";
			int64_t n = 0;
			if (l < nl) {
				mmr_policy_level_at(pol, a, l, &lid, &lname);
				size_t i;
				json_t *r;
				json_array_foreach (rows, i, r)
					if (!strcmp(json_string_value(json_object_get(r, "axis")),
						    id) &&
					    !strcmp(json_string_value(json_object_get(r, "level")),
						    lid))
						n = json_integer_value(json_object_get(r, "count"));
				sum += n;
			} else {
				n = total - sum;
				if (n < 0)
					n = 0;
			}
			int64_t w = total ? n * 560 / total : 0;
			json_t *o = json_pack("{s:s?, s:s, s:I, s:I, s:I, s:I}", "level", lid,
					      "name", lname ? lname : lid, "count", (json_int_t)n,
					      "x", (json_int_t)x, "width", (json_int_t)w, "color",
					      (json_int_t)(l < nl ? l % 6 : 6));
			x += w;
			json_array_append_new(levels, o);
		}
		json_array_append_new(axes, json_pack("{s:s, s:s, s:o}", "axis", id, "name",
						      name ? name : id, "levels", levels));
	}
	json_decref(rows);
	*out = axes;
	return MMR_OK;
}

/* The three-layer picture: per segment of the profile, systems and assets. */
static int segments(mmr_store *st, const char *tenant, const mmr_policy *pol, json_t **out,
		    mmr_error *err)
{
	static const char qs[] = "SELECT segment, count(*) FROM systems WHERE tenant = $1 GROUP "
				 "BY segment";
	static const char qa[] = "SELECT segment, count(*) FROM assets WHERE tenant = $1 GROUP "
				 "BY segment";
	json_t *sys, *as;
	int rc = mmr_iq_rows(st->db, qs, IPARAMS(IP_S(tenant)), "segment:s,count:i", &sys, err);
	if (rc)
		return rc;
	if ((rc = mmr_iq_rows(st->db, qa, IPARAMS(IP_S(tenant)), "segment:s,count:i", &as, err))) {
		json_decref(sys);
		return rc;
	}
	json_t *layers = json_array();
	for (size_t i = 0;; i++) {
		const char *id, *name;
		if (mmr_policy_vocab_at(pol, "segment", i, &id, &name))
			break;
		int64_t ns = 0, nas = 0;
		size_t k;
		json_t *r;
		json_array_foreach (sys, k, r)
			if (json_is_string(json_object_get(r, "segment")) &&
			    !strcmp(json_string_value(json_object_get(r, "segment")), id))
				ns = json_integer_value(json_object_get(r, "count"));
		json_array_foreach (as, k, r)
			if (json_is_string(json_object_get(r, "segment")) &&
			    !strcmp(json_string_value(json_object_get(r, "segment")), id))
				nas = json_integer_value(json_object_get(r, "count"));
		json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
							"segment", id, "name", name ? name : id,
							"systems", (json_int_t)ns, "assets",
							(json_int_t)nas, "y", (json_int_t)(i * 70),
							"ty", (json_int_t)(i * 70 + 28), "ty2",
							(json_int_t)(i * 70 + 48)));
	}
	json_decref(sys);
	json_decref(as);
	*out = json_pack("{s:o, s:I}", "layers", layers, "height",
			 (json_int_t)(json_array_size(layers) * 70 + 4));
	return MMR_OK;
}

/* Incidents per month (the last 12, by when they occurred or were noticed)
 * by severity, as stacked columns. */
static int incidents(mmr_store *st, const char *tenant, json_t **out, mmr_error *err)
{
	static const char *const sev[] = {"critical", "high", "medium", "low", NULL};
	static const char *const sev_name[] = {"重大", "高", "中", "低", "未評価"};
	char months[12][16];
	/* months as the stored times (UTC) name them */
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
	for (int i = 11; i >= 0; i--) {
		snprintf(months[i], sizeof months[i], "%04d-%02d", y % 10000, m % 100);
		if (--m == 0)
			m = 12, y--;
	}
	static const char q[] =
		"SELECT substr(COALESCE(occurred_at, aware_at), 1, 7), severity, count(*) FROM "
		"incidents WHERE tenant = $1 AND COALESCE(occurred_at, aware_at) >= $2 AND state "
		"<> 'not_incident' GROUP BY 1, 2";
	json_t *rows;
	int rc = mmr_iq_rows(st->db, q, IPARAMS(IP_S(tenant), IP_S(months[0])),
			     "month:s,severity:s,count:i", &rows, err);
	if (rc)
		return rc;
	int64_t counts[12][5] = {{0}}, max = 1;
	size_t i;
	json_t *r;
	json_array_foreach (rows, i, r) {
		const char *mo = json_string_value(json_object_get(r, "month"));
		const char *sv = json_string_value(json_object_get(r, "severity"));
		for (int k = 0; k < 12; k++)
			if (mo && !strcmp(mo, months[k])) {
				int s = 4;
				for (int j = 0; j < 4; j++)
					if (sv && !strcmp(sv, sev[j]))
						s = j;
				counts[k][s] += json_integer_value(json_object_get(r, "count"));
			}
	}
	json_decref(rows);
	for (int k = 0; k < 12; k++) {
		int64_t sum = 0;
		for (int j = 0; j < 5; j++)
			sum += counts[k][j];
		if (sum > max)
			max = sum;
	}
	const int H = 160; /* pixels of the tallest column */
	json_t *ms = json_array(), *sevs = json_array();
	for (int j = 0; j < 5; j++)
		json_array_append_new(sevs,
				      json_pack("{s:s, s:i}", "name", sev_name[j], "color", j));
	for (int k = 0; k < 12; k++) {
		json_t *bars = json_array();
		int64_t top = H;
		for (int j = 0; j < 5; j++) {
			int64_t h = counts[k][j] * H / max;
			top -= h;
			json_array_append_new(bars, json_pack("{s:I, s:I, s:I, s:i}", "count",
							      (json_int_t)counts[k][j], "y",
							      (json_int_t)top, "h", (json_int_t)h,
							      "color", j));
		}
		json_array_append_new(ms,
				      json_pack("{s:s, s:s, s:i, s:o}", "month", months[k], "label",
						months[k] + 5, "x", k * 48 + 4, "bars", bars));
	}
	*out = json_pack("{s:b, s:o, s:o, s:i, s:i}", "available", 1, "months", ms, "severities",
			 sevs, "height", H + 24, "label_y", H + 18);
	return MMR_OK;
}

/* Applications waiting for approval; exceptions ending within 30 days, and
 * those past their end still granted. */
static int waiting(mmr_store *st, const char *tenant, json_t **out, mmr_error *err)
{
	char today[16], soon[16];
	time_t t = time(NULL) + 9 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	t += 30 * 86400;
	gmtime_r(&t, &tm);
	strftime(soon, sizeof soon, "%Y-%m-%d", &tm);
	static const char qw[] =
		"SELECT count(*) FROM applications WHERE tenant = $1 AND state = 'pending'";
	static const char qs[] = "SELECT count(*) FROM exceptions WHERE tenant = $1 AND state = "
				 "'granted' AND ends_on >= $2 AND ends_on <= $3";
	static const char qx[] = "SELECT count(*) FROM exceptions WHERE tenant = $1 AND state = "
				 "'granted' AND ends_on < $2";
	int64_t w = 0, e = 0, x = 0;
	bool found;
	int rc;
	if ((rc = mmr_iq_int(st->db, qw, IPARAMS(IP_S(tenant)), &w, &found, err)) ||
	    (rc = mmr_iq_int(st->db, qs, IPARAMS(IP_S(tenant), IP_S(today), IP_S(soon)), &e, &found,
			     err)) ||
	    (rc = mmr_iq_int(st->db, qx, IPARAMS(IP_S(tenant), IP_S(today)), &x, &found, err)))
		return rc;
	int64_t max = w > e ? w : e;
	max = max > x ? max : x;
	if (!max)
		max = 1;
	*out = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "available", 1, "waiting",
			 (json_int_t)w, "expiring", (json_int_t)e, "expired", (json_int_t)x,
			 "w_waiting", (json_int_t)(w * BAR_W / max), "w_expiring",
			 (json_int_t)(e * BAR_W / max), "w_expired", (json_int_t)(x * BAR_W / max));
	return MMR_OK;
}

int mmr_dashboard(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err)
{
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	json_t *counts = json_object(), *comp = NULL, *cls = NULL, *seg = NULL, *wait = NULL,
	       *inc = NULL;
	/* the body at a glance is for those who see the whole body (CISO,
	 * 統括, auditors, body-wide managers); everyone else gets the sizes of
	 * what they may see, and no body-wide incidents, applications,
	 * compliance or classification figures (least privilege) */
	if (!mmr_actor_sees_all(who)) {
		if ((rc = visible_counts(st, who, counts, err))) {
			json_decref(counts);
			return rc;
		}
		*out = json_pack("{s:b, s:o}", "scoped", 1, "counts", counts);
		return MMR_OK;
	}
	if ((rc = ledger_counts(st, who->tenant, counts, err)) ||
	    (rc = incidents(st, who->tenant, &inc, err)) ||
	    (rc = waiting(st, who->tenant, &wait, err)) || (rc = compliance(st, who, &comp, err)) ||
	    (rc = classes(st, who->tenant, pol,
			  json_integer_value(json_object_get(counts, "assets")), &cls, err)) ||
	    (rc = segments(st, who->tenant, pol, &seg, err))) {
		json_decref(counts);
		json_decref(comp);
		json_decref(cls);
		json_decref(wait);
		json_decref(inc);
		return rc;
	}
	*out = json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:o}", "scoped", 0, "counts", counts,
			 "compliance", comp, "classes", cls, "segments", seg, "incidents", inc,
			 "applications", wait);
	return MMR_OK;
}
