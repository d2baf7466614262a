/*
 * inspect.h — self-inspection (自己点検) and audit (監査): checklists
 * generated from the tenant's profile and kept in versions, inspection
 * rounds with answers per section, the roll-up (per chapter, section,
 * department and body), improvement actions (改善策), audit findings
 * (指摘事項), answers from facts mamori already holds, the reports (XLSX,
 * CSV with BOM, printable HTML) and the dashboard's figures.
 *
 * Objects cross this interface as JSON like the ledgers (store.h); results
 * are new references the caller decrefs. Who may do what:
 *   - checklists and rounds: administrators (access: admin) change them;
 *     everyone signed in reads them;
 *   - answers: administrators, body-wide managers, and managers or staff of
 *     the answer's section (their own unit, a unit they are scoped to, or a
 *     section under a department they are scoped to);
 *   - improvement actions: administrators and the action's owner;
 *   - findings: auditors and administrators.
 * Refusals are MMR_EDENIED; bad input MMR_EINVAL with "[field] message".
 *
 * Roll-up arithmetic: 実施している (yes) counts 1, 一部 (partial) ½,
 * していない (no) 0; 該当なし (na) and unanswered items are left out of the
 * denominator (the counts of both are reported beside the rate). A rate is
 * given in per mille (0–1000, rounded half up) and as a percentage text.
 */
#ifndef MMR_STORE_INSPECT_H
#define MMR_STORE_INSPECT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* ---- checklists ---------------------------------------------------------- */

/* Make a new checklist version from the tenant's profile: one item per cited
 * clause (its rules' titles as the question, the clause's words, how to
 * confirm it from the rules' effects and obligations), grouped by chapter
 * (the clause's leading part: 第3 1(1) → 第3), plus the items that facts
 * answer (facts with no clause in the profile get their own item).
 * *out = {"id","version","items":N}. */
int mmr_inspect_checklist_generate(mmr_store *st, const mmr_actor *who, json_t **out,
				   mmr_error *err);
/* A version (0: the newest): {"id","version","created_at","note","items":[{"key",
 * "chapter","clause","question","clause_text","how","fact"}…]}. MMR_ENOTFOUND
 * when the tenant has none. */
int mmr_inspect_checklist_get(mmr_store *st, const mmr_actor *who, int64_t version, json_t **out,
			      mmr_error *err);
/* [{"id","version","created_at","created_by","note","items"}…], newest first. */
int mmr_inspect_checklist_list(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err);
/* Change the newest version into a new one: op "add" (item = {"chapter",
 * "clause","question","clause_text"?,"how"?}), "edit" (key + fields to
 * change) or "retire" (key). *out as mmr_inspect_checklist_generate. */
int mmr_inspect_checklist_change(mmr_store *st, const mmr_actor *who, const char *op,
				 const char *key, json_t *item, json_t **out, mmr_error *err);

/* ---- rounds and answers --------------------------------------------------- */

/* Open a round on the newest checklist: {"name","fiscal_year","deadline"
 * (YYYY-MM-DD), "units":[ids]? (default: every section, or every unit when
 * none is a section), "systems":[{"item":key,"system":id}…]? (items also
 * assigned to a system, answered by its section)}. Facts answer their items
 * at once. *out = the round (as mmr_inspect_round_get without "rollup"). */
int mmr_inspect_round_create(mmr_store *st, const mmr_actor *who, json_t *in, json_t **out,
			     mmr_error *err);
/* [{"id","name","fiscal_year","deadline","status","checklist_version"}…] */
int mmr_inspect_round_list(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err);
/* Find a round by id or name (`ref`). */
int mmr_inspect_round_find(mmr_store *st, const mmr_actor *who, const char *ref, int64_t *id,
			   mmr_error *err);
/* {"id","name",…,"rollup":{…}} */
int mmr_inspect_round_get(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
			  mmr_error *err);
/* Answers of a round, of one unit (unit > 0) or all: {"items":[{"id","key",
 * "chapter","clause","question","unit_id","unit","system_id","answer","note",
 * "evidence","auto"}…]}. */
int mmr_inspect_answers(mmr_store *st, const mmr_actor *who, int64_t round, int64_t unit,
			json_t **out, mmr_error *err);
/* Answer: {"answer": yes|partial|no|na, "note"?, "evidence"?: [{"kind":
 * file|url|application|incident|log|asset|system, "ref", "title"?}…]}. A
 * closed round refuses answers (MMR_ECONFLICT). */
int mmr_inspect_answer(mmr_store *st, const mmr_actor *who, int64_t answer_id, json_t *in,
		       json_t **out, mmr_error *err);
/* Answer again, from the facts, every item of the round that a fact answers
 * (answers a person gave are kept). *answered = rows written. */
int mmr_inspect_auto_answer(mmr_store *st, const mmr_actor *who, int64_t round, size_t *answered,
			    mmr_error *err);
/* Close (status "closed") or reopen ("open") a round. */
int mmr_inspect_round_status(mmr_store *st, const mmr_actor *who, int64_t round, const char *status,
			     mmr_error *err);

/* ---- roll-up and comparison -------------------------------------------------- */

/* {"body":{…},"chapters":[{"chapter",…}],"sections":[{"unit_id","unit",…}],
 * "departments":[{"unit_id","unit",…}]}, each with "yes","partial","no","na",
 * "open" (unanswered), "rate_permille" (null when nothing counts), "rate". */
int mmr_inspect_rollup(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
		       mmr_error *err);
/* Year over year: {"round":…, "previous":…, "body":{"rate_permille","previous_permille",
 * "delta_permille"}, "chapters":[…]}; `prev` 0 = the latest earlier fiscal year.
 * MMR_ENOTFOUND when there is no earlier round. */
int mmr_inspect_compare(mmr_store *st, const mmr_actor *who, int64_t round, int64_t prev,
			json_t **out, mmr_error *err);

/* ---- improvement actions and findings ------------------------------------------ */

/* Make an action for every answer "no" or "partial" that has none: owner the
 * section's manager (a unit-scoped role holder), due `due` (YYYY-MM-DD; NULL:
 * three months after the round's deadline). *made = actions created. */
int mmr_inspect_actions_generate(mmr_store *st, const mmr_actor *who, int64_t round,
				 const char *due, size_t *made, mmr_error *err);
/* {"items":[{"id","key","chapter","clause","question","unit","owner_id","owner",
 * "description","due","status","closing_note","closed_at"}…]} */
int mmr_inspect_actions(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
			mmr_error *err);
/* {"description"?,"owner_id"?,"due"?,"status"?: open|done,"closing_note"?} */
int mmr_inspect_action_update(mmr_store *st, const mmr_actor *who, int64_t id, json_t *patch,
			      json_t **out, mmr_error *err);
/* {"item": key, "unit_id"?, "severity": high|medium|low, "finding", "follow_up"?} */
int mmr_inspect_finding_add(mmr_store *st, const mmr_actor *who, int64_t round, json_t *in,
			    json_t **out, mmr_error *err);
int mmr_inspect_findings(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
			 mmr_error *err);
/* {"follow_up"?, "status"?: open|closed} */
int mmr_inspect_finding_update(mmr_store *st, const mmr_actor *who, int64_t id, json_t *patch,
			       json_t **out, mmr_error *err);

/* ---- facts ----------------------------------------------------------------- */

/* Evaluate every fact for the body (unit 0) or one unit: [{"fact","label",
 * "available","count","evidence":[{"kind","ref","title"}…]}…]. A fact whose
 * records mamori does not hold yet is "available": false. */
int mmr_inspect_facts(mmr_store *st, const mmr_actor *who, int64_t unit, json_t **out,
		      mmr_error *err);

/* ---- reports ----------------------------------------------------------------- */

/* Write the report of `round` to `path` (must not exist) as "xlsx" (summary
 * sheet with charts, one sheet per chapter, the improvement actions, the
 * findings), "csv" (UTF-8 with BOM, one row per answer) or "html" (printable,
 * A4; `css_href` NULL puts the style in the file, else links it). */
int mmr_inspect_report(mmr_store *st, const mmr_actor *who, int64_t round, const char *format,
		       const char *path, const char *css_href, mmr_error *err);

/* ---- dashboard ------------------------------------------------------------ */

/* The dashboard's figures for the tenant (aggregates of the whole body):
 * {"compliance":{round, departments:[…]}, "classes":[axis…], "segments":[…],
 * "incidents":…, "applications":…, "counts":{…}}. */
int mmr_dashboard(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err);

#endif
