/*
 * request_json.h — requests and decisions as JSON values (jansson) rather
 * than text, for the parts of mamori that hold them as values already: the
 * HTTP API tells malformed JSON (400) from a request the policy cannot take
 * (422) without parsing the body twice, and services that build a request
 * get the decision back as an object, not as text to parse again.
 * mmr_request_parse = json_loadb + mmr_request_from_json.
 */
#ifndef MAMORI_CORE_REQUEST_JSON_H
#define MAMORI_CORE_REQUEST_JSON_H

#include <jansson.h>

#include "mamori.h"

int mmr_request_from_json(const mmr_policy *pol, const json_t *root, mmr_request **out,
			  mmr_error *err);

/* The decision as the object mmr_decision_json prints (new reference). */
json_t *mmr_decision_value(const mmr_policy *pol, const mmr_decision *d);

/* Decide a request given as a value: *out the decision object; a request the
 * profile does not take is MMR_EINVAL with err naming its field. */
int mmr_decide_value(const mmr_policy *pol, const json_t *req, json_t **out, mmr_error *err);

#endif
