/*
 * fuzz_rtp.c: libFuzzer target for RTP/RTCP parsing and RFC 4733 events.
 * Oracles: an accepted RTP header accounts for every byte (header + payload + padding ==
 * length); an accepted RTCP datagram's packets tile it exactly; a parsed telephone event
 * rebuilds to the same bytes (the R bit aside).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pn_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum pn_rtp_kind k = pn_rtp_classify(data, size);
	struct pn_rtp_hdr h;
	int rc = pn_rtp_parse(data, size, &h);
	if (rc > 0) {
		if (k != PN_RTP_KIND_RTP || (size_t)rc != h.hdr_len ||
		    h.hdr_len + h.payload_len + h.pad_len != size)
			abort();
		struct pn_rfc4733_event ev;
		if (pn_rfc4733_parse(data + h.payload_off, h.payload_len, &ev) == 4) {
			uint8_t b[4];
			if (pn_rfc4733_build(&ev, b, sizeof(b)) != 4)
				abort();
			const uint8_t *p = data + h.payload_off;
			if (b[0] != p[0] || b[1] != (p[1] & 0xbf) || b[2] != p[2] || b[3] != p[3])
				abort();
			(void)pn_rfc4733_digit(ev.event);
		}
	}
	struct pn_rtcp_pkt pk[16];
	unsigned n = 16;
	int first;
	rc = pn_rtcp_walk(data, size, pk, &n, &first);
	if (rc >= 0) {
		if ((size_t)rc != size || n == 0 || k != PN_RTP_KIND_RTCP)
			abort();
		size_t off = 0;
		for (unsigned i = 0; i < n; i++) {
			if (pk[i].off != off || pk[i].len < 4)
				abort();
			off += pk[i].len;
		}
		if (off != size)
			abort();
	} else if (n != 0) {
		abort();
	}
	return 0;
}
