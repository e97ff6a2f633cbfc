// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/attest/evidence.h, evidence_from_json() on the input as an evidence
 * document: it either fails with a message or yields a document whose fields are in range
 * and which serializes and parses back to the same values.
 */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "fuzz_common.h"

static void roundtrip(const struct evidence *e)
{
	struct evidence back;
	json_object *doc = NULL;
	char err[256];

	FUZZ_CHECK(evidence_to_json(e, &doc) == 0);
	FUZZ_CHECK(evidence_from_json(json_object_to_json_string(doc), &back, err,
				      sizeof(err)) == 0);
	FUZZ_CHECK(back.nonce_len == e->nonce_len && back.ek_pub_len == e->ek_pub_len &&
		   back.quote_len == e->quote_len && back.nlogs == e->nlogs);
	FUZZ_CHECK(memcmp(back.report_data, e->report_data, 64) == 0);
	for (size_t i = 0; i < e->nlogs; i++)
		FUZZ_CHECK(back.logs[i].len == e->logs[i].len &&
			   memcmp(back.logs[i].text, e->logs[i].text, e->logs[i].len) == 0);
	evidence_free(&back);
	json_object_put(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct evidence e;
	char err[256];

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (evidence_from_json(text, &e, err, sizeof(err)) < 0) {
		fuzz_check_err(err, sizeof(err));
	} else {
		FUZZ_CHECK(e.version == EVIDENCE_VERSION && e.nlogs <= EVIDENCE_MAX_LOGS);
		for (size_t i = 0; i < e.nlogs; i++)
			FUZZ_CHECK(e.logs[i].rtmr < 8 && e.logs[i].alg);
		roundtrip(&e);
		evidence_free(&e);
	}
	free(text);
	return 0;
}
