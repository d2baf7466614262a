/*
 * policy_int.h — the inside of a loaded policy, shared by the loader, the
 * compiler, the request parser and the decision point. Not installed.
 *
 * A profile is read into this model (strings, with the position each came
 * from), merged over its base, then compiled: every name a rule uses is
 * resolved to an index, every condition to bit masks, and each action gets
 * the list of its rules. A decision then costs a few mask tests per rule of
 * the action, with no string work.
 */
#ifndef MMR_POLICY_INT_H
#define MMR_POLICY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "mamori.h"

#define MMR_MAX_ROLES 64
#define MMR_MAX_AXES 8
#define MMR_MAX_LEVELS 15     /* level i is bit i of a level mask */
#define MMR_LEVEL_NONE_BIT 15 /* "not classified on this axis" */
#define MMR_LEVEL_NONE 0xFF
#define MMR_MAX_KINDS 32
#define MMR_MAX_SEGMENTS 15 /* bit 0 = absent, bit i+1 = segment i */
#define MMR_MAX_CTX 32
#define MMR_MAX_CTX_VALUES 15 /* value 0 = absent, 1..15 */
#define MMR_MAX_OBLIGATIONS 256
#define MMR_MAX_RULES 4096
#define MMR_MAX_MATCH 128
#define MMR_MAX_EXTENDS 8

/* Where a piece of a profile came from. `file` is owned by the arena. */
struct mmr_pos {
	const char *file;
	int line, col; /* 1-based */
};

/* A string from a profile, with its position. */
struct mmr_sref {
	const char *s;
	struct mmr_pos pos;
};

struct mmr_slist {
	struct mmr_sref *v;
	size_t n;
};

/* One named entry of a vocabulary: a role, segment, kind, action, obligation. */
struct mmr_named {
	const char *id;
	const char *name;	/* Japanese */
	const char *definition; /* may be NULL */
	const char *clause;	/* may be NULL */
	const char *access;	/* roles only: see MMR_ACCESS_* in mamori.h; NULL = staff */
	struct mmr_pos pos;
	bool builtin;
};

struct mmr_namelist {
	struct mmr_named *v;
	size_t n;
};

struct mmr_level {
	const char *id;
	const char *name;
	const char *definition;
	struct mmr_slist aliases;
	struct mmr_slist restrictions;
	struct mmr_pos pos;
};

struct mmr_axis {
	const char *id;
	const char *name;
	const char *clause;
	struct mmr_level levels[MMR_MAX_LEVELS]; /* highest first */
	size_t n_levels;
	struct mmr_pos pos;
};

enum mmr_ctx_type { MMR_CTX_BOOL, MMR_CTX_ENUM, MMR_CTX_SEGMENT, MMR_CTX_ROLES, MMR_CTX_CLASSES };

struct mmr_ctxkey {
	const char *id;
	const char *name;
	enum mmr_ctx_type type;
	const char *values[MMR_MAX_CTX_VALUES]; /* ENUM: values 1..n */
	size_t n_values;
	bool builtin;
	struct mmr_pos pos;
};

enum mmr_cond_op { MMR_OP_IN, MMR_OP_AT_LEAST, MMR_OP_AT_MOST };

/* One key of a `when` / `unless` block, as written. */
struct mmr_rawcond {
	enum { RC_ROLES, RC_KIND, RC_SEGMENT, RC_AXIS, RC_CTX } what;
	const char *key; /* axis id or context key */
	enum mmr_cond_op op;
	struct mmr_slist values; /* bool context values are "true"/"false" */
	struct mmr_pos pos;
};

struct mmr_rawblock {
	struct mmr_rawcond *v;
	size_t n;
	bool present;
};

/* A condition block compiled to masks; a zero mask means "no constraint". */
struct mmr_cond {
	uint64_t roles;
	uint32_t kinds;
	uint16_t segments;
	uint16_t axis[MMR_MAX_AXES];
	uint32_t ctx_used;
	uint16_t ctx[MMR_MAX_CTX];
};

struct mmr_citation {
	const char *clause;
	const char *text;
	const char *document;
	const char *source;	/* path relative to source_dir, may be NULL */
	const char *source_dir; /* directory of the file that defined it */
	struct mmr_pos pos, text_pos;
};

struct mmr_rule {
	const char *id;
	const char *title;
	struct mmr_slist actions;
	struct mmr_rawblock when, unless;
	int effect;
	struct mmr_slist approvers;
	bool approvers_all;
	struct mmr_slist obligations;
	struct mmr_citation citation;
	const char *note;
	struct mmr_pos pos;
	int depth; /* 0 = the top profile, 1 = its base, … */

	/* compiled */
	struct mmr_cond c_when, c_unless;
	bool has_unless;
	uint64_t c_approvers;
	uint16_t *c_obligations;
	size_t n_c_obligations;
};

/* Known settings keys and their values. */
enum mmr_setting_type { MMR_SET_INT, MMR_SET_BOOL, MMR_SET_LIST };

struct mmr_setting {
	const char *key; /* "lockout.threshold" */
	enum mmr_setting_type type;
	bool set;
	long ival;
	struct mmr_slist list;
	struct mmr_pos pos;
};

#define MMR_N_SETTINGS 22

struct mmr_diag {
	struct mmr_pos pos;
	char *message;
};

struct mmr_policy {
	mmr_arena *arena;
	const char *id, *title, *body, *document, *source, *source_dir;
	struct mmr_slist extends_chain; /* base ids, nearest first */
	int default_effect;

	struct mmr_namelist roles, segments, kinds, actions, obligations;
	struct mmr_axis axes[MMR_MAX_AXES];
	size_t n_axes;
	struct mmr_ctxkey ctx[MMR_MAX_CTX];
	size_t n_ctx;
	struct mmr_setting settings[MMR_N_SETTINGS];

	struct mmr_rule *rules;
	size_t n_rules, cap_rules;

	/* compiled: for each action, the indexes of its rules in order */
	uint16_t **action_rules;
	size_t *n_action_rules;
	int ctx_approvals, ctx_handles; /* indexes of those keys, or -1 */

	/* diagnostics while loading / checking */
	struct mmr_diag *diags;
	size_t n_diags, cap_diags;
	bool collect_all; /* check mode: keep going after the first problem */
};

struct mmr_request {
	int action;
	uint64_t roles;
	int kind;    /* -1: none */
	int segment; /* -1: none */
	uint8_t level[MMR_MAX_AXES];
	uint8_t ctx[MMR_MAX_CTX]; /* value index; 0 = absent */
	uint64_t approvals;
};

struct mmr_decision {
	int effect;
	int action;
	bool defaulted; /* no rule matched */
	size_t n_matched;
	uint16_t matched[MMR_MAX_MATCH];
	int matched_effect_kind[MMR_MAX_MATCH];
	size_t n_deciding; /* rules the output names: deny rules, or all matched */
	uint16_t deciding[MMR_MAX_MATCH];
	uint64_t approvers;   /* unsatisfied approval roles */
	uint64_t approved_by; /* approvals that satisfied a rule */
	size_t n_unsatisfied;
	uint16_t unsatisfied[MMR_MAX_MATCH];
	bool truncated;
};

/* ---- shared helpers (policy_load.c / policy_compile.c / vocab.c) ---- */

/* Record a problem; returns MMR_EINVAL. The message is formatted. */
int mmr_diag_add(mmr_policy *pol, struct mmr_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int mmr_named_find(const struct mmr_namelist *l, const char *id);
int mmr_axis_find(const mmr_policy *pol, const char *id);
int mmr_ctx_find(const mmr_policy *pol, const char *id);
/* Level index of `s` on axis `ax` (ids, aliases, Ⅰ–Ⅳ, full-width and case
 * folded), or -1. */
int mmr_level_find(const struct mmr_axis *ax, const char *s);
int mmr_ctx_value_find(const mmr_policy *pol, const struct mmr_ctxkey *k, const char *s);
int mmr_setting_find(const mmr_policy *pol, const char *key);
/* Whether `s` is one of the MMR_ACCESS_* classes of a role. */
bool mmr_access_valid(const char *s);
#define MMR_ACCESS_VALUES "admin, manager, system, auditor, staff"

/* Install the built-in vocabularies (actions, kinds, context keys, settings
 * keys) into a fresh policy. */
int mmr_vocab_install(mmr_policy *pol);
/* Japanese name of a built-in role / segment id, or NULL. */
const char *mmr_vocab_role_name(const char *id);
const char *mmr_vocab_segment_name(const char *id);
/* Japanese name of a context key type ("真偽値"…). */
const char *mmr_ctx_type_name(enum mmr_ctx_type t);

/* Compile the merged model; problems go to diagnostics. */
int mmr_policy_compile(mmr_policy *pol);

/* Load into a fresh policy with diagnostics collected (check mode). */
int mmr_policy_load_diag(const char *path, bool collect_all, mmr_policy **out);

#endif
