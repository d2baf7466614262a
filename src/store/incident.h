/*
 * incident.h — the incident desk (CSIRT): reports, triage, the case's
 * states, its timeline, escalation by the tenant's profile, the report to the
 * Personal Information Protection Commission (個人情報保護委員会) with its due
 * dates, violations (違反時の対応) and the emergency response plan
 * (緊急時対応計画).
 *
 * States: reported → (triage) not_incident | containment → recovery → cause →
 * prevention → closed; not_incident → closed. Every other move is refused
 * (MMR_ECONFLICT, "[state] 状態「…」から「…」へは移れません…").
 *
 * Who: anyone of the tenant reports; the CSIRT (a role `csirt`, or an
 * administrator) triages, updates, records violations and reports filed;
 * the assignee or the CSIRT advance the case. A case is visible to the CSIRT,
 * auditors, its reporter and its assignee; to anyone else (and to another
 * tenant) it does not exist (MMR_ENOTFOUND).
 *
 * Times are UTC ISO 8601 ("2026-04-01T09:00:00.000Z"); `now_ms` is Unix
 * milliseconds (tests pass a fixed one). Each call is one transaction: the
 * change, its timeline entry and its notifications commit together.
 */
#ifndef MMR_STORE_INCIDENT_H
#define MMR_STORE_INCIDENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Report: {"title", "description", "occurred_at"?, "aware_at"? (default:
 * now), "assets"?: [id…], "systems"?: [id…], "devices"?: [id…]}. *out is
 * the case (as mmr_incident_get). */
int mmr_incident_report(mmr_store *st, const mmr_actor *who, json_t *in, int64_t now_ms,
			json_t **out, mmr_error *err);
/* The case with its targets, timeline, PPC due dates, next states and the
 * escalation rules of the profile. */
int mmr_incident_get(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now_ms, json_t **out,
		     mmr_error *err);
/* Cases the actor sees, newest first: {"items":[…], "next": id|null}.
 * `state` filters (NULL: all); `open_only` leaves out closed and not_incident. */
int mmr_incident_list(mmr_store *st, const mmr_actor *who, const char *state, bool open_only,
		      int64_t before, int limit, int64_t now_ms, json_t **out, mmr_error *err);
/* Triage a reported case (CSIRT): {"incident": bool, "severity":
 * low|medium|high|critical, "personal": bool, "ppc_triggers": [sensitive|
 * financial|wrongful|over100|ordinance…], "wrongful": bool, "assignee_id",
 * "deadline", "aware_at", "note"}. incident=false → not_incident; true →
 * containment (severity required). */
int mmr_incident_triage(mmr_store *st, const mmr_actor *who, int64_t id, json_t *in, int64_t now_ms,
			json_t **out, mmr_error *err);
/* Change the triage fields later (CSIRT; not on a closed case): the same
 * keys as triage but "incident". */
int mmr_incident_update(mmr_store *st, const mmr_actor *who, int64_t id, json_t *in, int64_t now_ms,
			json_t **out, mmr_error *err);
/* Move the case to state `to` (assignee or CSIRT). */
int mmr_incident_transition(mmr_store *st, const mmr_actor *who, int64_t id, const char *to,
			    const char *note, int64_t now_ms, json_t **out, mmr_error *err);
/* Add a note to the timeline (anyone who sees the case). */
int mmr_incident_note(mmr_store *st, const mmr_actor *who, int64_t id, const char *note,
		      int64_t now_ms, mmr_error *err);
/* Record that the prompt ("prompt", 速報) or final ("final", 確報) report to
 * the Commission was made (CSIRT). */
int mmr_incident_ppc_filed(mmr_store *st, const mmr_actor *who, int64_t id, const char *which,
			   const char *note, int64_t now_ms, mmr_error *err);
/* A step of 違反時の対応 on user `user_id`: "warning" (注意), "guidance"
 * (指導), "suspension" (使用する権利の停止: the account is locked and its
 * sessions end; only after a warning or guidance on this case). CSIRT. */
int mmr_incident_violation(mmr_store *st, const mmr_actor *who, int64_t id, int64_t user_id,
			   const char *step, const char *note, int64_t now_ms, mmr_error *err);
/* Reports to the Commission not yet made, of the cases the actor sees:
 * {"items":[{"incident_id","title","report","report_name","due_at",
 * "overdue"}…]} ordered by due date. */
int mmr_incident_ppc_due(mmr_store *st, const mmr_actor *who, int64_t now_ms, json_t **out,
			 mmr_error *err);

/* The tenant's emergency response plan: {"contacts","report_items",
 * "measures","prevention","updated_at","updated_by","clause"}; empty texts
 * when none was written. Put: administrators only. */
int mmr_incident_plan_get(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err);
int mmr_incident_plan_put(mmr_store *st, const mmr_actor *who, json_t *in, int64_t now_ms,
			  json_t **out, mmr_error *err);

/* Whether the actor is of the CSIRT (role `csirt` or an administrator). */
bool mmr_incident_is_csirt(const mmr_actor *who);
/* Japanese name of a state / severity id (NULL when unknown). */
const char *mmr_incident_state_name(const char *state);
const char *mmr_incident_severity_name(const char *severity);
/* Unix ms of an ISO 8601 time ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.mmm]]"
 * with "Z" or "±HH:MM"; a bare date is 00:00 JST; years 1971–9999). -1 when malformed. */
int64_t mmr_iso_to_ms(const char *s);
void mmr_ms_to_iso(int64_t ms, char out[32]);

/* Unix ms now. */
int64_t mmr_now_ms(void);

/* Demo incidents and a plan in every tenant, for `mamori init --demo`
 * (demo.c). */
int mmr_incident_demo(mmr_store *st, mmr_error *err);

#endif
