/*
 * fuzz_sdp.c: libFuzzer target for the SDP parser and rewriter.
 * Oracles beyond "no crash": a successful parse consumed every byte; a rewrite of a valid body
 * either fits or says PN_EFULL, never writes past outsz, and its output parses again with the
 * same number of media sections and the ports we asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pn_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pn_sdp sdp;
	int rc = pn_sdp_parse((const char *)data, size, &sdp);
	if (rc < 0)
		return 0;
	if ((size_t)rc != size)
		abort();
	struct pn_sdp_rewrite rw = {
	    size % 2 ? "198.18.0.1" : "2001:db8::1", size % 2 ? 4 : 6, {0}, (uint8_t)(size % 5)};
	for (unsigned i = 0; i < PN_SDP_MAX_MEDIA; i++)
		rw.port[i] = (uint16_t)(i == 1 && size % 3 == 0 ? 0 : 20000 + 2 * i);
	static char out[1 << 17];
	size_t cap = size * 2 + 512 < sizeof(out) ? size * 2 + 512 : sizeof(out);
	/* guard bytes behind the allowed area must stay untouched */
	memset(out + cap, 0x5a, 16 < sizeof(out) - cap ? 16 : sizeof(out) - cap);
	int n = pn_sdp_rewrite(&sdp, &rw, out, cap);
	for (size_t i = cap; i < cap + 16 && i < sizeof(out); i++)
		if (out[i] != 0x5a)
			abort();
	if (n == PN_EFULL)
		return 0;
	if (n < 0)
		abort();
	struct pn_sdp again;
	if (pn_sdp_parse(out, (size_t)n, &again) != n || again.nmedia != sdp.nmedia)
		abort();
	for (unsigned i = 0; i < sdp.nmedia; i++) {
		unsigned want = sdp.media[i].port == 0 ? 0 : rw.port[i];
		if (again.media[i].port != want)
			abort();
		/* every address is the relay's, except an RFC 2543 hold (0.0.0.0) kept as is */
		const struct pn_sdp_conn *c0 = pn_sdp_media_conn(&sdp, i);
		const struct pn_sdp_conn *c = pn_sdp_media_conn(&again, i);
		int hold = c0 && c0->family == 4 && pn_span_eq(c0->addr, "0.0.0.0");
		if (!c || (hold ? !pn_span_eq(c->addr, "0.0.0.0")
		                : (c->family != rw.family || !pn_span_eq(c->addr, rw.addr))))
			abort();
		if (rw.dir && pn_sdp_media_dir(&again, i) != rw.dir)
			abort();
	}
	/* a one-byte-short buffer must be refused */
	if (n > 0 && pn_sdp_rewrite(&sdp, &rw, out, (size_t)n - 1) != PN_EFULL)
		abort();
	return 0;
}
