/*
 * fuzz_number.c: libFuzzer target for number normalisation, packing and subscriptionIds.
 * Oracles: a normalised number passes the strict global check and survives pack/unpack; a
 * second normalisation of the output is the identity; packing round-trips; any 64-bit value
 * either unpacks to something that packs back to it or is rejected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pn_binding.h"
#include "pn_number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct pn_number_ctx ctx;
	pn_number_ctx_default(&ctx);
	if (size > 0 && data[0] == 'N') /* also drive a NANP-style context */
		ctx = (struct pn_number_ctx){"1", "1", "011"};
	char out[PN_NUM_STRLEN];
	int rc = pn_number_normalize(&ctx, s, size, out, sizeof(out));
	if (rc > 0) {
		if (!pn_number_is_global(out, (size_t)rc) || strlen(out) != (size_t)rc)
			abort();
		pn_num_t p = pn_num_pack(out, (size_t)rc);
		char back[PN_NUM_STRLEN];
		if (p == PN_NUM_NONE || pn_num_unpack(p, back) != rc || strcmp(back, out) != 0)
			abort();
		char again[PN_NUM_STRLEN];
		if (pn_number_normalize(&ctx, out, (size_t)rc, again, sizeof(again)) != rc ||
		    strcmp(again, out) != 0)
			abort();
	} else if (rc > PN_NUMBER_EEMPTY || rc < PN_NUMBER_ENATIONAL) {
		abort(); /* 0 or an undocumented code (PN_EINVAL cannot happen: out is big) */
	}
	pn_num_t p = pn_num_pack(s, size);
	if (p != PN_NUM_NONE) {
		char back[PN_NUM_STRLEN];
		if (pn_num_unpack(p, back) != (int)size || memcmp(back, s, size) != 0)
			abort();
	}
	if (size >= 8) {
		uint64_t v;
		memcpy(&v, data, 8);
		char back[PN_NUM_STRLEN];
		int n = pn_num_unpack(v, back);
		if (n > 0 && pn_num_pack(back, (size_t)n) != v)
			abort();
		if ((n > 0) != pn_num_is_valid(v))
			abort();
	}
	uint64_t id;
	if (pn_binding_subid_parse(s, size, &id) == 0) {
		char sub[PN_SUBID_LEN];
		pn_binding_subid_format(id, sub);
		uint64_t id2;
		if (pn_binding_subid_parse(sub, 16, &id2) != 0 || id2 != id)
			abort();
	}
	return 0;
}
