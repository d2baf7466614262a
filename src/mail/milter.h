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
	int audit_fd;		    /* one audit JSON line per message, or -1 */
} mmr_milter_config;

/* Serve until SIGTERM / SIGINT. Returns MMR_OK after a clean stop, MMR_EIO
 * (err says why) when the socket cannot be opened. Only one milter per
 * process (libmilter keeps global state). */
int mmr_milter_run(const mmr_milter_config *cfg, mmr_error *err);

#endif
