/*
 * fuzz_sip.c: libFuzzer target for the SIP parser and writer (proto/pn_sip*.c).
 *
 * Each input is copied into a buffer of exactly its size (ASan flags any over-read) and:
 *  1. parsed with stream and datagram semantics under every line-scanning implementation,
 *     which must agree on the result and the header spans;
 *  2. validated, and every structured view parsed: all Via values, every value of every
 *     name-addr header with its URI and tag, CSeq, Max-Forwards, the Request-URI, the display
 *     name unquoted;
 *  3. rewritten by pn_sip_write with no edits and with the B2BUA's typical edits, and each
 *     output parsed back, which must succeed with the expected header count and body;
 *  4. for a valid request, answered with pn_sip_build_response, whose output must validate.
 * A broken invariant aborts (a finding), a parse error is a normal outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pn_sip.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static void touch_nameaddr(struct pn_span s)
{
	struct pn_sip_nameaddr na;
	if (pn_sip_nameaddr_parse(s, &na) < 0 || na.star)
		return;
	struct pn_sip_uri u;
	if (pn_sip_uri_parse(na.uri, &u) == 0) {
		struct pn_span v;
		(void)pn_sip_param_find(u.params, "transport", &v);
		(void)pn_sip_param_find(u.params, "lr", &v);
	}
	struct pn_span v;
	(void)pn_sip_param_find(na.params, "tag", &v);
	char dn[64];
	if (na.display.p)
		(void)pn_sip_unquote(na.display, dn, sizeof(dn));
}

static void structured(const struct pn_sip_msg *m)
{
	struct pn_sip_iter it = {0};
	struct pn_sip_via via;
	int r, guard = 0;
	while ((r = pn_sip_via_next(m, &it, &via)) != 0 && guard++ < 10000)
		;
	CHECK(guard < 10000);
	static const enum pn_sip_hdr lists[] = {
	    PN_SIP_H_FROM,      PN_SIP_H_TO,           PN_SIP_H_CONTACT,
	    PN_SIP_H_ROUTE,     PN_SIP_H_RECORD_ROUTE, PN_SIP_H_P_ASSERTED_IDENTITY,
	    PN_SIP_H_DIVERSION, PN_SIP_H_REFER_TO,     PN_SIP_H_P_PREFERRED_IDENTITY,
	};
	for (size_t k = 0; k < PN_ARRAY_SIZE(lists); k++) {
		struct pn_sip_iter li = {0};
		struct pn_span s;
		guard = 0;
		while ((r = pn_sip_list_next(m, lists[k], &li, &s)) != 0 && guard++ < 10000) {
			if (r > 0) {
				CHECK(s.p >= m->buf && s.p + s.len <= m->buf + m->len);
				touch_nameaddr(s);
			}
		}
		CHECK(guard < 10000);
	}
	for (uint16_t k = 0; k < m->nhdrs; k++) {
		const struct pn_sip_header *h = &m->hdrs[k];
		CHECK(h->name.p >= m->buf && h->value.p + h->value.len <= m->buf + m->len);
		CHECK(h->raw_off + h->raw_len <= m->body_off);
		struct pn_sip_cseq cs;
		uint32_t v;
		if (h->id == PN_SIP_H_CSEQ)
			(void)pn_sip_cseq_parse(h->value, &cs);
		if (h->id == PN_SIP_H_MAX_FORWARDS)
			(void)pn_sip_uint_parse(h->value, 255, &v);
		CHECK(pn_sip_hdr_lookup(h->name.p, h->name.len) == h->id);
	}
	struct pn_sip_core c;
	struct pn_sip_error e;
	(void)pn_sip_core_parse(m, &c, &e);
	if (m->is_request) {
		struct pn_sip_uri u;
		(void)pn_sip_uri_parse(m->ruri, &u);
	}
}

static void reparse(const char *out, int n, const struct pn_sip_msg *m, int expect_hdrs,
                    struct pn_span body)
{
	CHECK(n > 0);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS + 8];
	struct pn_sip_msg o;
	int r = pn_sip_parse(&o, out, (size_t)n, PN_SIP_STREAM, h, PN_ARRAY_SIZE(h));
	CHECK(r == n);
	CHECK(o.is_request == m->is_request);
	if (expect_hdrs >= 0)
		CHECK(o.nhdrs == expect_hdrs);
	CHECK(o.body.len == body.len && (body.len == 0 || memcmp(o.body.p, body.p, body.len) == 0));
}

static void rewrite(const struct pn_sip_msg *m)
{
	static char out[1 << 17];
	int ncl = m->count[PN_SIP_H_CONTENT_LENGTH];
	int expect = m->nhdrs - (ncl > 1 ? ncl - 1 : 0) + (ncl == 0);
	int n = pn_sip_write(m, NULL, 0, out, sizeof(out));
	reparse(out, n, m, expect, m->body);

	static const char sdp[] = "v=0\r\nc=IN IP4 198.18.0.1\r\nm=audio 30000 RTP/AVP 8\r\n";
	struct pn_sip_edit ed[] = {
	    {PN_SIP_EDIT_REMOVE, PN_SIP_H_VIA, PN_SIP_ALL, 0, PN_SPAN_NULL, PN_SPAN_NULL},
	    {PN_SIP_EDIT_ADD, PN_SIP_H_VIA, 0, PN_SIP_AT_TOP, PN_SPAN_NULL,
	     PN_SPAN_LIT("SIP/2.0/UDP 198.18.0.1;branch=z9hG4bKf")},
	    {PN_SIP_EDIT_ADD, PN_SIP_H_RECORD_ROUTE, 0, PN_SIP_AT_SAME, PN_SPAN_NULL,
	     PN_SPAN_LIT("<sip:198.18.0.1;lr>")},
	    {PN_SIP_EDIT_REPLACE, PN_SIP_H_CONTACT, 0, 0, PN_SPAN_NULL,
	     PN_SPAN_LIT("<sip:pn@198.18.0.1>")},
	    {PN_SIP_EDIT_REMOVE, PN_SIP_H_OTHER, PN_SIP_ALL, 0, PN_SPAN_LIT("X-A"), PN_SPAN_NULL},
	    {PN_SIP_EDIT_BODY, 0, 0, 0, PN_SPAN_NULL, PN_SPAN_LIT(sdp)},
	    {PN_SIP_EDIT_RURI, 0, 0, 0, PN_SPAN_NULL, PN_SPAN_LIT("sip:b@198.18.0.2")},
	};
	size_t ne = m->is_request ? PN_ARRAY_SIZE(ed) : PN_ARRAY_SIZE(ed) - 1;
	n = pn_sip_write(m, ed, ne, out, sizeof(out));
	reparse(out, n, m, -1, PN_SPAN_LIT(sdp));
	/* every short output buffer: EFULL, never an overflow (ASan checks the bytes) */
	char *small = malloc(64);
	CHECK(small);
	CHECK(pn_sip_write(m, ed, ne, small, (size_t)n < 64 ? (size_t)n - 1 : 64) == PN_EFULL);
	free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS], h2[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m, m2;

	int rs = pn_sip_parse(&m, buf, size, PN_SIP_STREAM, h, PN_SIP_MAX_HEADERS);
	CHECK(rs == PN_INCOMPLETE || rs == PN_EPARSE || (rs >= 0 && (size_t)rs <= size));
	if (rs == PN_EPARSE)
		CHECK(m.err.code != PN_SIP_E_NONE && m.err.offset <= size && m.err.what);

	int rd = pn_sip_parse(&m, buf, size, PN_SIP_DATAGRAM, h, PN_SIP_MAX_HEADERS);
	CHECK(rd == PN_EPARSE || (rd >= 0 && (size_t)rd <= size));
	/* the other scanning implementations agree */
	for (int l = 0; l <= 2; l++) {
		pn_sip_simd_select(l);
		int r2 = pn_sip_parse(&m2, buf, size, PN_SIP_DATAGRAM, h2, PN_SIP_MAX_HEADERS);
		CHECK(r2 == rd);
		if (rd == PN_EPARSE)
			CHECK(m2.err.code == m.err.code && m2.err.offset == m.err.offset);
		else
			CHECK(m2.nhdrs == m.nhdrs &&
			      (m.nhdrs == 0 || h2[m.nhdrs - 1].raw_len == h[m.nhdrs - 1].raw_len));
	}
	pn_sip_simd_select(-1);

	if (rd >= 0) {
		struct pn_sip_error e;
		int valid = pn_sip_validate(&m, &e) == 0;
		if (!valid)
			CHECK(e.code != PN_SIP_E_NONE && e.offset <= size);
		structured(&m);
		rewrite(&m);
		if (valid && m.is_request) {
			static char out[1 << 17];
			int n = pn_sip_build_response(&m, 200, PN_SPAN_NULL, PN_SPAN_LIT("fz"),
			                              PN_SIP_RESP_COPY_RR, NULL, 0, PN_SPAN_NULL,
			                              PN_SPAN_NULL, out, sizeof(out));
			CHECK(n > 0);
			struct pn_sip_header hr[PN_SIP_MAX_HEADERS + 8];
			struct pn_sip_msg r;
			CHECK(pn_sip_parse(&r, out, (size_t)n, PN_SIP_STREAM, hr,
			                   PN_ARRAY_SIZE(hr)) == n);
			CHECK(pn_sip_validate(&r, &e) == 0);
		}
	}
	free(buf);
	return 0;
}
