/*
 * request_json.h — the decision request from a JSON value already parsed
 * (jansson), for front ends that parse the body themselves: the HTTP API
 * tells malformed JSON (400) from a request the policy cannot take (422)
 * without parsing the body twice. mmr_request_parse = json_loadb + this.
 */
#ifndef MAMORI_CORE_REQUEST_JSON_H
#define MAMORI_CORE_REQUEST_JSON_H

#include <jansson.h>

#include "mamori.h"

int mmr_request_from_json(const mmr_policy *pol, const json_t *root, mmr_request **out,
			  mmr_error *err);

#endif
