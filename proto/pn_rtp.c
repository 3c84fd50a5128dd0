/*
 * pn_rtp.c: RTP/RTCP header parsing and RFC 4733 events (see pn_rtp.h).
 *
 * Every length read from the packet (CSRC count, extension words, padding count, RTCP length
 * words) is checked against the bytes that remain before anything is read behind it.
 */
#include "pn_rtp.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum pn_rtp_kind pn_rtp_classify(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len < 2 || (buf[0] >> 6) != PN_RTP_VERSION)
		return PN_RTP_KIND_OTHER;
	if (buf[1] >= 192 && buf[1] <= 223)
		return len >= 4 ? PN_RTP_KIND_RTCP : PN_RTP_KIND_OTHER;
	return len >= PN_RTP_HDR_MIN ? PN_RTP_KIND_RTP : PN_RTP_KIND_OTHER;
}

int pn_rtp_parse(const uint8_t *buf, size_t len, struct pn_rtp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (buf == NULL || len < PN_RTP_HDR_MIN)
		return PN_EPARSE;
	uint8_t b0 = buf[0], b1 = buf[1];
	if ((b0 >> 6) != PN_RTP_VERSION)
		return PN_EPARSE;
	if (b1 >= 192 && b1 <= 223)
		return PN_EPARSE; /* RTCP, not RTP (RFC 5761) */
	struct pn_rtp_hdr t;
	memset(&t, 0, sizeof(t));
	t.version = PN_RTP_VERSION;
	t.padding = (b0 >> 5) & 1;
	t.extension = (b0 >> 4) & 1;
	t.cc = b0 & 0x0f;
	t.marker = b1 >> 7;
	t.pt = b1 & 0x7f;
	t.seq = rd16(buf + 2);
	t.ts = rd32(buf + 4);
	t.ssrc = rd32(buf + 8);
	size_t off = PN_RTP_HDR_MIN + 4u * t.cc;
	if (off > len)
		return PN_EPARSE; /* CSRC list beyond the packet */
	if (t.extension) {
		if (len - off < 4)
			return PN_EPARSE;
		t.ext_profile = rd16(buf + off);
		t.ext_words = rd16(buf + off + 2);
		off += 4;
		if ((size_t)t.ext_words * 4 > len - off)
			return PN_EPARSE; /* extension beyond the packet */
		off += (size_t)t.ext_words * 4;
	}
	size_t pad = 0;
	if (t.padding) {
		if (len == off)
			return PN_EPARSE; /* no room for the count byte */
		pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return PN_EPARSE;
	}
	t.hdr_len = off;
	t.payload_off = off;
	t.payload_len = len - off - pad;
	t.pad_len = (uint8_t)pad;
	*h = t;
	return (int)off;
}

int pn_rtp_write(uint8_t *out, size_t outsz, uint8_t pt, int marker, uint16_t seq, uint32_t ts,
                 uint32_t ssrc)
{
	if (out == NULL || outsz < PN_RTP_HDR_MIN || pt > 127)
		return PN_EINVAL;
	out[0] = PN_RTP_VERSION << 6;
	out[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	wr16(out + 2, seq);
	wr32(out + 4, ts);
	wr32(out + 8, ssrc);
	return PN_RTP_HDR_MIN;
}

int pn_rtcp_walk(const uint8_t *buf, size_t len, struct pn_rtcp_pkt *pkts, unsigned *n,
                 int *first_is_report)
{
	unsigned cap = *n, count = 0;
	*n = 0;
	if (first_is_report)
		*first_is_report = 0;
	if (buf == NULL || len < 4 || len > INT32_MAX)
		return PN_EPARSE;
	size_t off = 0;
	while (off < len) {
		if (len - off < 4)
			return PN_EPARSE;
		const uint8_t *p = buf + off;
		if ((p[0] >> 6) != PN_RTP_VERSION || p[1] < 192 || p[1] > 223)
			return PN_EPARSE;
		size_t plen = ((size_t)rd16(p + 2) + 1) * 4;
		if (plen > len - off)
			return PN_EPARSE;
		if (count >= cap)
			return PN_EPARSE;
		struct pn_rtcp_pkt k;
		memset(&k, 0, sizeof(k));
		k.type = p[1];
		k.count = p[0] & 0x1f;
		k.padding = (p[0] >> 5) & 1;
		k.off = off;
		k.len = plen;
		size_t avail = plen; /* bytes of this packet excluding padding */
		if (k.padding) {
			if (off + plen != len)
				return PN_EPARSE; /* only the last packet may be padded */
			uint8_t pad = p[plen - 1];
			if (pad == 0 || pad > plen - 4)
				return PN_EPARSE;
			avail = plen - pad;
		}
		switch (k.type) {
		case PN_RTCP_SR:
			if (avail < 28 + 24u * k.count)
				return PN_EPARSE;
			k.ssrc = rd32(p + 4);
			k.ntp = ((uint64_t)rd32(p + 8) << 32) | rd32(p + 12);
			k.rtp_ts = rd32(p + 16);
			k.pkt_count = rd32(p + 20);
			k.octet_count = rd32(p + 24);
			break;
		case PN_RTCP_RR:
			if (avail < 8 + 24u * k.count)
				return PN_EPARSE;
			k.ssrc = rd32(p + 4);
			break;
		case PN_RTCP_BYE:
		case PN_RTCP_SDES:
			/* BYE: count SSRCs then an optional reason; SDES: count chunks, each at
			 * least an SSRC and a terminating word */
			if (avail < 4 + (k.type == PN_RTCP_BYE ? 4u : 8u) * k.count)
				return PN_EPARSE;
			if (k.count)
				k.ssrc = rd32(p + 4);
			break;
		case PN_RTCP_APP:
			if (avail < 12)
				return PN_EPARSE;
			k.ssrc = rd32(p + 4);
			break;
		case PN_RTCP_RTPFB:
		case PN_RTCP_PSFB:
			if (avail < 12)
				return PN_EPARSE;
			k.ssrc = rd32(p + 4);
			break;
		case PN_RTCP_XR:
			if (avail < 8)
				return PN_EPARSE;
			k.ssrc = rd32(p + 4);
			break;
		default:
			break; /* other types in 192..223: length-checked only */
		}
		if (count == 0 && first_is_report)
			*first_is_report = k.type == PN_RTCP_SR || k.type == PN_RTCP_RR;
		pkts[count++] = k;
		off += plen;
	}
	*n = count;
	return (int)len;
}

int pn_rfc4733_parse(const uint8_t *buf, size_t len, struct pn_rfc4733_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (buf == NULL || len < PN_RFC4733_LEN)
		return PN_EPARSE;
	ev->event = buf[0];
	ev->end = buf[1] >> 7;
	ev->volume = buf[1] & 0x3f;
	ev->duration = rd16(buf + 2);
	return PN_RFC4733_LEN;
}

int pn_rfc4733_build(const struct pn_rfc4733_event *ev, uint8_t *out, size_t outsz)
{
	if (out == NULL || outsz < PN_RFC4733_LEN || ev->volume > 63)
		return PN_EINVAL;
	out[0] = ev->event;
	out[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	wr16(out + 2, ev->duration);
	return PN_RFC4733_LEN;
}

char pn_rfc4733_digit(uint8_t event)
{
	static const char digits[17] = "0123456789*#ABCD";
	return event < 16 ? digits[event] : 0;
}

int pn_rfc4733_event_code(char digit)
{
	if (digit >= '0' && digit <= '9')
		return digit - '0';
	switch (digit) {
	case '*':
		return 10;
	case '#':
		return 11;
	case 'A':
	case 'a':
		return 12;
	case 'B':
	case 'b':
		return 13;
	case 'C':
	case 'c':
		return 14;
	case 'D':
	case 'd':
		return 15;
	default:
		return -1;
	}
}
