/*
 * test_sip_write.c: unit tests of the SIP writer (proto/pn_sip_write.c): edits on a parsed
 * message, the response and request builders, and bounds (every too-small output buffer gives
 * PN_EFULL and nothing is written past it: outputs sit flush against a PROT_NONE page).
 * Every output is parsed back and validated, so the tests assert the wire result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "pn_sip.h"

struct guarded {
	void *map;
	size_t maplen;
	char *p;
};

/* n writable bytes ending at a PROT_NONE page. */
static struct guarded guard_alloc(size_t n)
{
	struct guarded g;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	g.maplen = ((n + pg - 1) / pg + 1) * pg;
	g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g.map != MAP_FAILED);
	char *guard = (char *)g.map + g.maplen - pg;
	assert_int_equal(mprotect(guard, pg, PROT_NONE), 0);
	g.p = guard - n;
	return g;
}

static void guard_free(struct guarded *g)
{
	munmap(g->map, g->maplen);
}

static int span_is(struct pn_span s, const char *lit)
{
	return s.p && s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

#define assert_span(s, lit)                                                                        \
	do {                                                                                       \
		struct pn_span s_ = (s);                                                           \
		if (!span_is(s_, lit))                                                             \
			fail_msg("span is '%.*s', want '%s'", (int)s_.len, s_.p ? s_.p : "", lit); \
	} while (0)

static int contains(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

static const char invite[] =
    "INVITE sip:+8613900000001@198.18.0.1:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "v: SIP/2.0/UDP 198.18.0.9;branch=z9hG4bKold1, SIP/2.0/UDP 198.18.0.8;branch=z9hG4bKold0\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:+8613800000001@198.18.0.10;user=phone>;tag=1928301774\r\n"
    "To: <sip:+8613900000001@198.18.0.1;user=phone>\r\n"
    "Call-ID: a84b4c76e66710@198.18.0.10\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Record-Route: <sip:198.18.0.9;lr>\r\n"
    "Contact: <sip:+8613800000001@198.18.0.10:5060>\r\n"
    "X-Odd-Spacing :   kept    as is\r\n"
    "Subject: folded\r\n   over two lines\r\n"
    "Content-Type: application/sdp\r\n"
    "l: 27\r\n"
    "\r\n"
    "v=0\r\nc=IN IP4 198.18.0.10\r\n";

static void parse_ok(struct pn_sip_msg *m, struct pn_sip_header *h, const char *p, size_t n)
{
	int r = pn_sip_parse(m, p, n, PN_SIP_STREAM, h, PN_SIP_MAX_HEADERS);
	if (r != (int)n)
		fail_msg("parse: %d (%s at %u) of:\n%.*s", r, m->err.what, m->err.offset, (int)n,
		         p);
}

static void test_sip_write_no_edits_is_identity(void **state)
{
	(void)state;
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	parse_ok(&m, h, invite, sizeof(invite) - 1);
	char out[2048];
	int n = pn_sip_write(&m, NULL, 0, out, sizeof(out));
	assert_int_equal(n, (int)sizeof(invite) - 1);
	assert_memory_equal(out, invite, (size_t)n);
}

static void test_sip_write_proxy_edits(void **state)
{
	(void)state;
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	parse_ok(&m, h, invite, sizeof(invite) - 1);
	const char *sdp = "v=0\r\nc=IN IP4 198.18.0.1\r\nm=audio 30000 RTP/AVP 8\r\n";
	struct pn_sip_edit ed[] = {
	    {PN_SIP_EDIT_RURI, 0, 0, 0, PN_SPAN_NULL, PN_SPAN_LIT("sip:+8613700000009@198.18.1.1")},
	    {PN_SIP_EDIT_REMOVE, PN_SIP_H_VIA, PN_SIP_ALL, 0, PN_SPAN_NULL, PN_SPAN_NULL},
	    {PN_SIP_EDIT_ADD, PN_SIP_H_VIA, 0, PN_SIP_AT_TOP, PN_SPAN_NULL,
	     PN_SPAN_LIT("SIP/2.0/UDP 198.18.1.254:5060;branch=z9hG4bKpn1")},
	    {PN_SIP_EDIT_ADD, PN_SIP_H_RECORD_ROUTE, 0, PN_SIP_AT_SAME, PN_SPAN_NULL,
	     PN_SPAN_LIT("<sip:198.18.1.254;lr>")},
	    {PN_SIP_EDIT_REPLACE, PN_SIP_H_CONTACT, 0, 0, PN_SPAN_NULL,
	     PN_SPAN_LIT("<sip:pn@198.18.1.254:5060>")},
	    {PN_SIP_EDIT_REMOVE, PN_SIP_H_OTHER, 0, 0, PN_SPAN_LIT("x-odd-spacing"), PN_SPAN_NULL},
	    {PN_SIP_EDIT_ADD, PN_SIP_H_OTHER, 0, PN_SIP_AT_END, PN_SPAN_LIT("X-Privnum"),
	     PN_SPAN_LIT("1")},
	    {PN_SIP_EDIT_BODY, 0, 0, 0, PN_SPAN_NULL, pn_span_make(sdp, strlen(sdp))},
	};
	char out[2048];
	int n = pn_sip_write(&m, ed, PN_ARRAY_SIZE(ed), out, sizeof(out));
	assert_true(n > 0);
	struct pn_sip_header h2[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m2;
	parse_ok(&m2, h2, out, (size_t)n);
	assert_int_equal(pn_sip_validate(&m2, NULL), 0);
	assert_span(m2.ruri, "sip:+8613700000009@198.18.1.1");
	/* only our Via, and it is the first header */
	assert_int_equal(m2.count[PN_SIP_H_VIA], 1);
	assert_int_equal(m2.first[PN_SIP_H_VIA], 0);
	struct pn_sip_core c;
	assert_int_equal(pn_sip_core_parse(&m2, &c, NULL), 0);
	assert_int_equal(c.nvia, 1);
	assert_span(c.via.branch, "z9hG4bKpn1");
	/* our Record-Route goes above the existing one */
	assert_int_equal(m2.count[PN_SIP_H_RECORD_ROUTE], 2);
	assert_span(pn_sip_hdr_nth(&m2, PN_SIP_H_RECORD_ROUTE, 0)->value, "<sip:198.18.1.254;lr>");
	assert_span(pn_sip_hdr_nth(&m2, PN_SIP_H_RECORD_ROUTE, 1)->value, "<sip:198.18.0.9;lr>");
	assert_span(c.contact.uri, "sip:pn@198.18.1.254:5060");
	assert_null(pn_sip_hdr_find(&m2, "X-Odd-Spacing", 13));
	assert_span(pn_sip_hdr_find(&m2, "x-privnum", 9)->value, "1");
	assert_span(m2.hdrs[m2.nhdrs - 1].name, "X-Privnum"); /* AT_END: after the last header */
	/* body replaced, Content-Length fixed and its compact name kept */
	assert_int_equal(m2.body.len, strlen(sdp));
	assert_memory_equal(m2.body.p, sdp, strlen(sdp));
	assert_span(pn_sip_hdr_first(&m2, PN_SIP_H_CONTENT_LENGTH)->name, "l");
	/* untouched lines are byte-for-byte the same, folding included */
	assert_true(contains(out, (size_t)n, "Subject: folded\r\n   over two lines\r\n"));
	assert_true(contains(
	    out, (size_t)n,
	    "From: \"Alice\" <sip:+8613800000001@198.18.0.10;user=phone>;tag=1928301774\r\n"));
}

static void test_sip_write_replace_nth_and_status(void **state)
{
	(void)state;
	static const char resp[] = "SIP/2.0 180 Ringing\r\n"
	                           "Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
	                           "Via: SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
	                           "From: <sip:a@x>;tag=1\r\n"
	                           "To: <sip:b@x>;tag=2\r\n"
	                           "Call-ID: r1\r\n"
	                           "CSeq: 1 INVITE\r\n"
	                           "\r\n";
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	int r = pn_sip_parse(&m, resp, sizeof(resp) - 1, PN_SIP_DATAGRAM, h, PN_SIP_MAX_HEADERS);
	assert_int_equal(r, (int)sizeof(resp) - 1);
	struct pn_sip_edit ed[] = {
	    {PN_SIP_EDIT_STATUS, 0, 183, 0, PN_SPAN_NULL, PN_SPAN_NULL},
	    {PN_SIP_EDIT_REPLACE, PN_SIP_H_VIA, 1, 0, PN_SPAN_NULL,
	     PN_SPAN_LIT("SIP/2.0/TCP c;branch=z9hG4bK3")},
	};
	char out[1024];
	int n = pn_sip_write(&m, ed, 2, out, sizeof(out));
	assert_true(n > 0);
	struct pn_sip_header h2[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m2;
	parse_ok(&m2, h2, out, (size_t)n);
	assert_int_equal(m2.status, 183);
	assert_span(m2.reason, "Session Progress");
	assert_span(pn_sip_hdr_nth(&m2, PN_SIP_H_VIA, 0)->value, "SIP/2.0/UDP a;branch=z9hG4bK1");
	assert_span(pn_sip_hdr_nth(&m2, PN_SIP_H_VIA, 1)->value, "SIP/2.0/TCP c;branch=z9hG4bK3");
	assert_int_equal(m2.content_length, 0);

	/* bad edits */
	struct pn_sip_edit bad1 = {PN_SIP_EDIT_RURI, 0, 0, 0, PN_SPAN_NULL, PN_SPAN_LIT("sip:x@y")};
	assert_int_equal(pn_sip_write(&m, &bad1, 1, out, sizeof(out)), PN_EINVAL);
	struct pn_sip_edit bad2 = {(enum pn_sip_edit_op)99, 0, 0, 0, PN_SPAN_NULL, PN_SPAN_NULL};
	assert_int_equal(pn_sip_write(&m, &bad2, 1, out, sizeof(out)), PN_EINVAL);
	struct pn_sip_edit bad3 = {PN_SIP_EDIT_REMOVE, PN_SIP_H_OTHER, 0, 0,
	                           PN_SPAN_NULL,       PN_SPAN_NULL};
	assert_int_equal(pn_sip_write(&m, &bad3, 1, out, sizeof(out)), PN_EINVAL);
}

static void test_sip_write_bounds(void **state)
{
	(void)state;
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	parse_ok(&m, h, invite, sizeof(invite) - 1);
	struct pn_sip_edit ed[] = {
	    {PN_SIP_EDIT_ADD, PN_SIP_H_VIA, 0, PN_SIP_AT_SAME, PN_SPAN_NULL,
	     PN_SPAN_LIT("SIP/2.0/UDP 198.18.1.254;branch=z9hG4bKb")},
	};
	char full[2048];
	int need = pn_sip_write(&m, ed, 1, full, sizeof(full));
	assert_true(need > (int)sizeof(invite) - 1);
	for (int cap = 0; cap < need; cap++) {
		struct guarded g = guard_alloc((size_t)cap);
		assert_int_equal(pn_sip_write(&m, ed, 1, g.p, (size_t)cap), PN_EFULL);
		guard_free(&g);
	}
	struct guarded g = guard_alloc((size_t)need);
	assert_int_equal(pn_sip_write(&m, ed, 1, g.p, (size_t)need), need);
	assert_memory_equal(g.p, full, (size_t)need);
	guard_free(&g);
}

static void test_sip_write_build_response(void **state)
{
	(void)state;
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	parse_ok(&m, h, invite, sizeof(invite) - 1);
	struct pn_sip_hdr_kv extra[] = {
	    {PN_SPAN_LIT("Contact"), PN_SPAN_LIT("<sip:pn@198.18.0.1>")}};
	char out[2048];
	int n = pn_sip_build_response(&m, 180, PN_SPAN_NULL, PN_SPAN_LIT("pn-tag-1"),
	                              PN_SIP_RESP_COPY_RR, extra, 1, PN_SPAN_NULL, PN_SPAN_NULL,
	                              out, sizeof(out));
	assert_true(n > 0);
	struct pn_sip_header h2[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg r;
	parse_ok(&r, h2, out, (size_t)n);
	assert_int_equal(pn_sip_validate(&r, NULL), 0);
	assert_false(r.is_request);
	assert_int_equal(r.status, 180);
	assert_span(r.reason, "Ringing");
	struct pn_sip_core c;
	assert_int_equal(pn_sip_core_parse(&r, &c, NULL), 0);
	assert_int_equal(c.nvia, 3); /* every Via value, in order */
	assert_span(c.via.branch, "z9hG4bK776asdhds");
	assert_span(c.to.tag, "pn-tag-1");
	assert_span(c.from.tag, "1928301774");
	assert_span(c.call_id, "a84b4c76e66710@198.18.0.10");
	assert_int_equal(c.cseq.seq, 314159);
	assert_int_equal(c.cseq.method_id, PN_SIP_M_INVITE);
	assert_int_equal(r.count[PN_SIP_H_RECORD_ROUTE], 1);
	assert_span(c.contact.uri, "sip:pn@198.18.0.1");
	assert_int_equal(r.content_length, 0);

	/* 200 with a body, no RR copy; 100 without a tag */
	n = pn_sip_build_response(&m, 200, PN_SPAN_LIT("OK"), PN_SPAN_LIT("t2"), 0, NULL, 0,
	                          PN_SPAN_LIT("application/sdp"), PN_SPAN_LIT("v=0\r\n"), out,
	                          sizeof(out));
	assert_true(n > 0);
	parse_ok(&r, h2, out, (size_t)n);
	assert_int_equal(r.count[PN_SIP_H_RECORD_ROUTE], 0);
	assert_span(r.body, "v=0\r\n");
	assert_span(pn_sip_hdr_value(&r, PN_SIP_H_CONTENT_TYPE), "application/sdp");
	n = pn_sip_build_response(&m, 100, PN_SPAN_NULL, PN_SPAN_NULL, 0, NULL, 0, PN_SPAN_NULL,
	                          PN_SPAN_NULL, out, sizeof(out));
	parse_ok(&r, h2, out, (size_t)n);
	assert_int_equal(pn_sip_core_parse(&r, &c, NULL), 0);
	assert_null(c.to.tag.p);

	/* an existing To tag is kept, not doubled */
	static const char bye[] = "BYE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK9\r\n"
	                          "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: k\r\n"
	                          "CSeq: 3 BYE\r\n\r\n";
	struct pn_sip_msg b;
	struct pn_sip_header hb[PN_SIP_MAX_HEADERS];
	assert_int_equal(pn_sip_parse(&b, bye, sizeof(bye) - 1, PN_SIP_DATAGRAM, hb, 16),
	                 (int)sizeof(bye) - 1);
	n = pn_sip_build_response(&b, 200, PN_SPAN_NULL, PN_SPAN_LIT("zzz"), 0, NULL, 0,
	                          PN_SPAN_NULL, PN_SPAN_NULL, out, sizeof(out));
	parse_ok(&r, h2, out, (size_t)n);
	assert_int_equal(pn_sip_core_parse(&r, &c, NULL), 0);
	assert_span(c.to.tag, "2");

	/* not a request / too small */
	assert_int_equal(pn_sip_build_response(&r, 200, PN_SPAN_NULL, PN_SPAN_NULL, 0, NULL, 0,
	                                       PN_SPAN_NULL, PN_SPAN_NULL, out, sizeof(out)),
	                 PN_EINVAL);
	for (size_t cap = 0; cap < 64; cap++)
		assert_int_equal(pn_sip_build_response(&m, 486, PN_SPAN_NULL, PN_SPAN_NULL, 0, NULL,
		                                       0, PN_SPAN_NULL, PN_SPAN_NULL, out, cap),
		                 PN_EFULL);
}

static void test_sip_write_build_request(void **state)
{
	(void)state;
	struct pn_sip_hdr_kv extra[] = {
	    {PN_SPAN_LIT("P-Asserted-Identity"), PN_SPAN_LIT("<sip:+8613700000009@pn>")},
	    {PN_SPAN_LIT("Allow"), PN_SPAN_LIT("INVITE, ACK, BYE, CANCEL")},
	};
	struct pn_sip_req_spec s = {
	    .method = PN_SPAN_LIT("INVITE"),
	    .ruri = PN_SPAN_LIT("sip:+8613900000001@198.18.2.1"),
	    .transport = PN_SPAN_LIT("UDP"),
	    .sent_by = PN_SPAN_LIT("198.18.2.254:5060"),
	    .branch = PN_SPAN_LIT("z9hG4bKpn-42"),
	    .max_forwards = 69,
	    .from = PN_SPAN_LIT("<sip:+8613700000009@198.18.2.254>"),
	    .from_tag = PN_SPAN_LIT("pnf1"),
	    .to = PN_SPAN_LIT("<sip:+8613900000001@198.18.2.1>"),
	    .call_id = PN_SPAN_LIT("pn-1-abc@198.18.2.254"),
	    .cseq = 1,
	    .contact = PN_SPAN_LIT("<sip:pn@198.18.2.254:5060>"),
	    .extra = extra,
	    .nextra = 2,
	    .ctype = PN_SPAN_LIT("application/sdp"),
	    .body = PN_SPAN_LIT("v=0\r\n"),
	};
	char out[1024];
	int n = pn_sip_build_request(&s, out, sizeof(out));
	assert_true(n > 0);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	parse_ok(&m, h, out, (size_t)n);
	struct pn_sip_error e;
	assert_int_equal(pn_sip_validate(&m, &e), 0);
	struct pn_sip_core c;
	assert_int_equal(pn_sip_core_parse(&m, &c, NULL), 0);
	assert_int_equal(m.method_id, PN_SIP_M_INVITE);
	assert_span(c.via.branch, "z9hG4bKpn-42");
	assert_span(c.via.host, "198.18.2.254");
	assert_int_equal(c.via.port, 5060);
	assert_true(c.via.has_rport);
	assert_int_equal(c.max_forwards, 69);
	assert_span(c.from.tag, "pnf1");
	assert_null(c.to.tag.p);
	assert_span(c.pai.uri, "sip:+8613700000009@pn");
	assert_span(m.body, "v=0\r\n");
	for (int cap = 0; cap < n; cap++) {
		struct guarded g = guard_alloc((size_t)cap);
		assert_int_equal(pn_sip_build_request(&s, g.p, (size_t)cap), PN_EFULL);
		guard_free(&g);
	}
	s.call_id = PN_SPAN_NULL;
	assert_int_equal(pn_sip_build_request(&s, out, sizeof(out)), PN_EINVAL);
}

static void test_sip_write_wbuf(void **state)
{
	(void)state;
	char b[8];
	struct pn_sip_wbuf w;
	pn_sip_wbuf_init(&w, b, sizeof(b));
	pn_sip_w_u32(&w, 4294967295u);
	assert_int_equal(pn_sip_w_finish(&w), PN_EFULL);
	pn_sip_wbuf_init(&w, b, sizeof(b));
	pn_sip_w_u32(&w, 0);
	pn_sip_w_str(&w, "/");
	pn_sip_w_u32(&w, 65535);
	assert_int_equal(pn_sip_w_finish(&w), 7);
	assert_memory_equal(b, "0/65535", 7);
	pn_sip_w_str(&w, "xy"); /* 9 > 8: overflow is sticky */
	pn_sip_w_str(&w, "");
	assert_int_equal(pn_sip_w_finish(&w), PN_EFULL);
	assert_string_equal(pn_sip_reason(486), "Busy Here");
	assert_string_equal(pn_sip_reason(299), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sip_write_no_edits_is_identity),
	    cmocka_unit_test(test_sip_write_proxy_edits),
	    cmocka_unit_test(test_sip_write_replace_nth_and_status),
	    cmocka_unit_test(test_sip_write_bounds),
	    cmocka_unit_test(test_sip_write_build_response),
	    cmocka_unit_test(test_sip_write_build_request),
	    cmocka_unit_test(test_sip_write_wbuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
