/*
 * fuzz_inspect_input.c — what a self-inspection takes from outside: the JSON
 * bodies of an answer (answer, note, evidence), a finding, an improvement
 * action's change, a new checklist item and a round, validated by
 * store/inspect.c against a store made once (SQLite in a temporary
 * directory), and clause texts split into chapters. Every input must end in
 * MMR_OK or a clean error code, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/inspect.h"
#include "store/inspect_int.h"

static mmr_store *st;
static mmr_actor sys;
static int64_t answer_id, round_id, action_id;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char dir[] = "/tmp/mamori-fuzz-inspect-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	char db[96], profile[1024];
	snprintf(db, sizeof db, "%s/f.db", dir);
	snprintf(profile, sizeof profile, "%s/policy/toyohashi.yaml", MAMORI_SOURCE_ROOT);
	mmr_error err;
	if (mmr_store_open(db, NULL, &st, &err) ||
	    mmr_tenant_add(st, "toyohashi", "豊橋市", profile, &err))
		abort();
	mmr_actor_system(&sys, "toyohashi");
	json_t *u = json_pack("{s:s, s:s}", "name", "情報企画課", "kind", "section"), *out;
	if (mmr_ledger_create(st, &sys, "units", u, &out, &err))
		abort();
	json_decref(u);
	json_decref(out);
	if (mmr_inspect_checklist_generate(st, &sys, &out, &err))
		abort();
	json_decref(out);
	json_t *r = json_pack("{s:s, s:i, s:s}", "name", "R", "fiscal_year", 2026, "deadline",
			      "2026-12-25");
	if (mmr_inspect_round_create(st, &sys, r, &out, &err))
		abort();
	round_id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_decref(r);
	json_t *a;
	if (mmr_inspect_answers(st, &sys, round_id, 0, &a, &err))
		abort();
	answer_id = json_integer_value(
		json_object_get(json_array_get(json_object_get(a, "items"), 0), "id"));
	json_decref(a);
	json_t *no = json_pack("{s:s}", "answer", "no");
	size_t made;
	if (mmr_inspect_answer(st, &sys, answer_id, no, &out, &err) ||
	    mmr_inspect_actions_generate(st, &sys, round_id, NULL, &made, &err))
		abort();
	json_decref(no);
	json_decref(out);
	if (mmr_inspect_actions(st, &sys, round_id, &a, &err))
		abort();
	action_id = json_integer_value(
		json_object_get(json_array_get(json_object_get(a, "items"), 0), "id"));
	json_decref(a);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char ch[64];
	mmr_inspect_chapter(s, ch, sizeof ch);
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	free(s);
	if (!in)
		return 0;
	mmr_error err;
	json_t *out = NULL;
	/* each call is undone: the store stays as it was made */
	mmr_db *db = mmr_store_db(st);
	if (mmr_db_begin(db, &err))
		abort();
	if (!mmr_inspect_answer(st, &sys, answer_id, in, &out, &err))
		json_decref(out), out = NULL;
	if (!mmr_inspect_finding_add(st, &sys, round_id, in, &out, &err))
		json_decref(out), out = NULL;
	if (!mmr_inspect_action_update(st, &sys, action_id, in, &out, &err))
		json_decref(out), out = NULL;
	if (!mmr_inspect_checklist_change(st, &sys, "add", NULL, in, &out, &err))
		json_decref(out), out = NULL;
	if (!mmr_inspect_round_create(st, &sys, in, &out, &err))
		json_decref(out), out = NULL;
	mmr_db_rollback(db);
	json_decref(in);
	return 0;
}
