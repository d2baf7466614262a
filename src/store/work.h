/*
 * work.h — applications (申請), approvals, exceptions (例外措置) and the
 * records the policies ask for (issue 5, part A).
 *
 * Every application is decided by the decision point with the tenant's
 * profile: `approvers` becomes the route (any of / all of), `obligations` a
 * checklist the applicant confirms before the thing is done, the citations
 * say why. Each transition is one service call in one transaction: checked
 * (who may, from which state), stored, and — where the audit log is
 * present — recorded.
 *
 * Times: `now` is Unix seconds (UTC); dates are "YYYY-MM-DD" (JST calendar
 * days, as a city hall counts them). Objects cross as JSON (jansson), the
 * shape of the HTTP API; results are new references.
 */
#ifndef MMR_STORE_WORK_H
#define MMR_STORE_WORK_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* The application types: [{"id","name","action","clause","fields":[…]}…]. */
json_t *mmr_app_types(void);

/* File an application as `who`. `in`:
 *   {"type": "takeout", "title": "…",
 *    "asset_id": N | "resource": {kind, classification, segment, contents},
 *    "system_id": N, "context": {…decision context…},
 *    "detail": {…type's fields…}}
 * The decision is taken at once: deny → state "denied" (kept, with its
 * reason); permit → "approved"; needs_approval → "pending" with the route.
 * MMR_EINVAL names the bad field. */
int mmr_app_create(mmr_store *st, const mmr_actor *who, json_t *in, int64_t now, json_t **out,
		   mmr_error *err);
int mmr_app_get(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		mmr_error *err);
/* filter: "mine", "to_approve" (what `who` may approve now), "overdue"
 * (take-outs not returned by their due date), "all" (admins, auditors: the
 * whole body; managers: their sections). {"items":[…]} */
int mmr_app_list(mmr_store *st, const mmr_actor *who, const char *filter, int64_t now, json_t **out,
		 mmr_error *err);
/* Approve or reject (`approve` false) as one of the route's roles, or as the
 * deputy (代理者) of an absent holder of one. Nobody approves their own
 * application. When the approvals given satisfy the route, the decision is
 * taken again with them and the application becomes "approved". */
int mmr_app_approve(mmr_store *st, const mmr_actor *who, int64_t id, bool approve,
		    const char *comment, int64_t now, json_t **out, mmr_error *err);
/* The applicant confirms obligations (`ids`: array of obligation ids, or
 * NULL for all). */
int mmr_app_confirm(mmr_store *st, const mmr_actor *who, int64_t id, json_t *ids, int64_t now,
		    json_t **out, mmr_error *err);
/* Carry it out (approved, every obligation confirmed): a take-out becomes
 * "active" until returned; anything else "done". */
int mmr_app_start(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		  mmr_error *err);
/* Return a take-out ("active" → "returned"). */
int mmr_app_return(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		   mmr_error *err);
/* The applicant withdraws a pending application. */
int mmr_app_withdraw(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		     mmr_error *err);

/* Name `deputy` the 代理者 of `principal` (administrators). A deputy acts for
 * the principal's roles only while the principal is marked absent (users
 * ledger, "absent"). `remove` takes the designation back. */
int mmr_user_set_deputy(mmr_store *st, const mmr_actor *who, int64_t principal, int64_t deputy,
			bool remove, mmr_error *err);

/* ---- exceptions (例外措置) ---- */

/* {"items":[…]} with "status": active | expiring (within 30 days) | expired |
 * revoked | not_started, and "report_overdue" / "review_due" flags. Admins,
 * auditors and the approver roles see all; others their own. */
int mmr_exc_list(mmr_store *st, const mmr_actor *who, int64_t now, json_t **out, mmr_error *err);
int mmr_exc_get(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		mmr_error *err);
/* The after-the-fact report of an emergency exception (by its holder). */
int mmr_exc_report(mmr_store *st, const mmr_actor *who, int64_t id, const char *report, int64_t now,
		   json_t **out, mmr_error *err);
/* Periodic review by a holder of an approver role (or an admin): the next
 * review falls exception.review_interval_days later. */
int mmr_exc_review(mmr_store *st, const mmr_actor *who, int64_t id, const char *note, int64_t now,
		   json_t **out, mmr_error *err);
int mmr_exc_revoke(mmr_store *st, const mmr_actor *who, int64_t id, const char *note, int64_t now,
		   json_t **out, mmr_error *err);

/* ---- records ---- */

/* kind: "two_person" (茨城町議会 6-1(2)②: `partner_id` a different person who
 * confirms), "maintenance" (豊橋市 第6 1(3)), "room_entry" (入退室管理簿,
 * 第4 2(2)), "media_handover" (第2 2(2)). `in` = {"partner_id", "system_id",
 * "asset_id", "data": {…}}. */
int mmr_record_create(mmr_store *st, const mmr_actor *who, const char *kind, json_t *in,
		      int64_t now, json_t **out, mmr_error *err);
/* The partner of a two-person record confirms it. */
int mmr_record_confirm(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		       mmr_error *err);
int mmr_record_list(mmr_store *st, const mmr_actor *who, const char *kind, json_t **out,
		    mmr_error *err);

/* ---- reminders ---- */

/* Once a day per item, in every tenant: the applicant of a take-out past its
 * return date; the holder of an exception whose emergency report is late,
 * which ends within 14 days or is due for review. *sent: notifications made.
 * `mamori serve` runs this every few minutes. */
int mmr_work_remind(mmr_store *st, int64_t now, size_t *sent, mmr_error *err);

/* Demo applications in every tenant (mmr_store_demo). */
int mmr_work_demo(mmr_store *st, int64_t now, mmr_error *err);

#endif
