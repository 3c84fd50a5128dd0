/*
 * fuzz_change.c: libFuzzer target for the change-record msgpack decoder.
 * Oracle: whatever decodes re-encodes into a record that decodes to the identical struct and
 * is consumed whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "pn_binding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pn_change c;
	int rc = pn_change_decode((const char *)data, size, &c);
	if (rc == PN_EPARSE || rc == PN_INCOMPLETE)
		return 0;
	if (rc <= 0 || (size_t)rc > size)
		abort();
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	if (pn_change_encode(&c, &sb) != 0)
		abort();
	struct pn_change d;
	int rc2 = pn_change_decode(sb.data, sb.size, &d);
	if (rc2 != (int)sb.size || memcmp(&c, &d, sizeof(c)) != 0)
		abort();
	msgpack_sbuffer_destroy(&sb);
	return 0;
}
