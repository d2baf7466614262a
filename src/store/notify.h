/*
 * notify.h — notifications: an in-app inbox per user and e-mail through an
 * SMTP relay (libcurl). Any service may notify a user or every holder of a
 * role of the tenant's profile; the notification is stored in the caller's
 * transaction (so it exists exactly when the action that caused it does) and
 * is mailed later by the sender (mmr_notify_deliver), to users who have an
 * e-mail address.
 */
#ifndef MMR_STORE_NOTIFY_H
#define MMR_STORE_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Notify user `user_id` of `tenant`. `kind` is a short id ("incident.reported",
 * "application.approved", …), `subject` one line, `body` the text, `link` a
 * path of the web pages ("/incidents/12") or NULL. */
int mmr_notify_user(mmr_store *st, const char *tenant, int64_t user_id, const char *kind,
		    const char *subject, const char *body, const char *link, mmr_error *err);
/* Notify every user holding `role` (any scope) in `tenant`, except
 * `except_user` (0: nobody). *count (may be NULL) is how many were notified. */
int mmr_notify_role(mmr_store *st, const char *tenant, const char *role, const char *kind,
		    const char *subject, const char *body, const char *link, int64_t except_user,
		    size_t *count, mmr_error *err);

/* The actor's inbox, newest first, keyset paged (id < before, 0: from the
 * newest): {"items":[{id,kind,subject,body,link,created_at,read}], "unread":
 * n, "next": id or null}. */
int mmr_notify_list(mmr_store *st, const mmr_actor *who, bool unread_only, int64_t before,
		    int limit, json_t **out, mmr_error *err);
/* Mark one (id > 0) or all (id == 0) of the actor's notifications read.
 * Another user's notification does not exist (MMR_ENOTFOUND). */
int mmr_notify_mark_read(mmr_store *st, const mmr_actor *who, int64_t id, mmr_error *err);

/* Set (or clear, with NULL or "") the e-mail address of a user: the user
 * themself or an administrator. MMR_EINVAL "[email] …" for a bad address. */
int mmr_user_set_email(mmr_store *st, const mmr_actor *who, int64_t user_id, const char *email,
		       mmr_error *err);
/* Whether `addr` is an address the sender accepts (no spaces or control
 * characters, one @, a dotted domain, at most 254 bytes). */
bool mmr_email_valid(const char *addr);

/* ---- e-mail ---- */

struct mmr_smtp_config {
	const char *relay; /* "HOST:PORT" (plain SMTP, STARTTLS when offered) */
	const char *from;  /* envelope and header sender; NULL: "mamori@localhost" */
};

/* Mail up to `max` pending notifications (oldest first) through the relay:
 * sent ones are marked sent; a failed attempt is retried later (backoff),
 * and given up after 5 attempts; users without an address are skipped.
 * *sent / *failed count this run. */
int mmr_notify_deliver(mmr_store *st, const struct mmr_smtp_config *cfg, size_t max, size_t *sent,
		       size_t *failed, mmr_error *err);

/* A background sender for `mamori serve --smtp`: its own store handle on
 * `db`, delivering every `interval_ms` until *stop. */
typedef struct mmr_notify_sender mmr_notify_sender;
int mmr_notify_sender_start(const char *db, const char *policy_dir,
			    const struct mmr_smtp_config *cfg, unsigned interval_ms,
			    volatile int *stop, mmr_notify_sender **out, mmr_error *err);
void mmr_notify_sender_join(mmr_notify_sender *s);

#endif
