/*
 * fuzz_request.c — libFuzzer target for the request parser and the decision
 * point: any bytes either parse into a request that decides and renders, or
 * are refused with a message; never a crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mamori.h"

static const char profile[] =
	"profile: fuzz\ntitle: t\nbody: b\ndocument: d\n"
	"roles: {staff: 職員等, security_manager: 情報セキュリティ管理者, system_manager: "
	"情報システム管理者}\n"
	"axes:\n"
	"  confidentiality: {name: 機密性, levels: [{id: 3A, aliases: ['3']}, {id: 3B}, {id: 3C}, "
	"{id: '2'}, {id: '1'}]}\n"
	"  importance: {name: 重要性分類, levels: [{id: I}, {id: II}, {id: III}, {id: IV}]}\n"
	"obligations: {encrypt: 暗号化}\n"
	"rules:\n"
	"  - {id: a, title: a, action: info.send, when: {confidentiality: {at_least: '2'}, "
	"context: {destination: external}}, effect: needs_approval, approvers: [security_manager], "
	"obligations: [encrypt], citation: {clause: '1', text: t}}\n"
	"  - {id: b, title: b, action: 'info.*', when: {importance: [I]}, unless: {context: "
	"{law_basis: true}}, effect: deny, citation: {clause: '2', text: t}}\n"
	"  - {id: c, title: c, action: device.takeout, effect: needs_approval, approvers: {all_of: "
	"[security_manager, system_manager]}, citation: {clause: '3', text: t}}\n"
	"  - {id: d, title: d, action: media.write, when: {segment: [mynumber]}, effect: deny, "
	"citation: {clause: '4', text: t}}\n";

static mmr_policy *pol;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pol) {
		mmr_error err;
		if (mmr_policy_load_buffer("fuzz.yaml", profile, sizeof profile - 1, NULL, &pol,
					   &err))
			abort();
	}
	mmr_request *req;
	mmr_error err;
	if (mmr_request_parse(pol, (const char *)data, size, &req, &err) == MMR_OK) {
		mmr_decision *d = mmr_decision_new();
		mmr_decide(pol, req, d);
		free(mmr_decision_json(pol, d));
		mmr_decision_free(d);
		mmr_request_free(req);
	} else if (!err.message[0]) {
		abort(); /* a refusal always says why */
	}
	return 0;
}
