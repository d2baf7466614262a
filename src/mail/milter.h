/*
 * milter.h — mail text-ization inside an MTA (Postfix, Sendmail) over the
 * milter protocol (libmilter): every message's body is replaced by its
 * text-ized form, its headers by the kept ones, its attachments removed.
 */
#ifndef MMR_MILTER_H
#define MMR_MILTER_H

#include "mail/mail.h"

typedef struct mmr_milter_config {
	const char *socket;	    /* "inet:PORT@127.0.0.1" or "unix:/path" */
	mmr_mail_limits limits;	    /* as mmr_textizer_new */
	const char *quarantine_dir; /* NULL: attachments are not kept */
	/* Called for every text-ized message once the MTA has been sent the
	 * changes and before the message is accepted (NULL: none). Anything but
	 * MMR_OK tempfails the message (451, the MTA keeps it and the sender
	 * retries) and err, in Japanese, is logged on standard error: no message
	 * passes without its record. Called from several threads at once. */
	int (*record)(void *ud, const mmr_mail_result *res, mmr_error *err);
	void *record_ud;
} mmr_milter_config;

/* Serve until SIGTERM / SIGINT. Returns MMR_OK after a clean stop, MMR_EIO
 * (err says why) when the socket cannot be opened. Only one milter per
 * process (libmilter keeps global state). */
int mmr_milter_run(const mmr_milter_config *cfg, mmr_error *err);

#endif
