/*
 * test_sdp.c: SDP parse and rewrite. Every parsed body sits flush against a PROT_NONE guard
 * page, so reading one byte past it faults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "pn_sdp.h"

static char *guard_base;
static size_t guard_size;

static const char *guard_copy(const char *s, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (n + (size_t)pg - 1) / (size_t)pg + 1;
	if (guard_base)
		munmap(guard_base, guard_size);
	guard_size = (pages + 1) * (size_t)pg;
	guard_base =
	    mmap(NULL, guard_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(guard_base != MAP_FAILED);
	char *guard = guard_base + pages * (size_t)pg;
	assert_int_equal(mprotect(guard, (size_t)pg, PROT_NONE), 0);
	char *p = guard - n;
	if (n)
		memcpy(p, s, n);
	return p;
}

static const char offer[] = "v=0\r\n"
                            "o=- 1234 5678 IN IP4 10.1.2.3\r\n"
                            "s=call\r\n"
                            "c=IN IP4 10.1.2.3\r\n"
                            "t=0 0\r\n"
                            "m=audio 40000 RTP/AVP 8 0 101\r\n"
                            "a=rtpmap:8 PCMA/8000\r\n"
                            "a=rtpmap:0 PCMU/8000\r\n"
                            "a=rtpmap:101 telephone-event/8000\r\n"
                            "a=fmtp:101 0-16\r\n"
                            "a=ptime:20\r\n"
                            "a=rtcp:40001 IN IP4 10.1.2.3\r\n"
                            "a=sendrecv\r\n"
                            "m=video 40002/2 RTP/AVP 96\r\n"
                            "c=IN IP4 10.1.2.4/127\r\n"
                            "b=AS:512\r\n"
                            "a=rtpmap:96 H264/90000\r\n"
                            "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
                            "a=recvonly\r\n";

static int parse_str(const char *s, struct pn_sdp *sdp)
{
	size_t n = strlen(s);
	return pn_sdp_parse(guard_copy(s, n), n, sdp);
}

static void test_sdp_parse_offer_fields(void **state)
{
	(void)state;
	struct pn_sdp sdp;
	size_t n = strlen(offer);
	assert_int_equal(parse_str(offer, &sdp), (int)n);
	assert_true(pn_span_eq(sdp.o_user, "-"));
	assert_true(pn_span_eq(sdp.o_sess_id, "1234"));
	assert_true(pn_span_eq(sdp.o_sess_version, "5678"));
	assert_int_equal(sdp.origin.family, 4);
	assert_true(pn_span_eq(sdp.origin.where, "IP4 10.1.2.3"));
	assert_int_equal(sdp.conn.family, 4);
	assert_int_equal(sdp.conn.ip4, 0x0a010203);
	assert_string_equal(sdp.eol, "\r\n");
	assert_int_equal(sdp.nmedia, 2);

	const struct pn_sdp_media *a = &sdp.media[0];
	assert_true(pn_span_eq(a->media, "audio"));
	assert_int_equal(a->port, 40000);
	assert_int_equal(a->nports, 1);
	assert_true(pn_span_eq(a->proto, "RTP/AVP"));
	assert_true(a->is_rtp);
	assert_int_equal(a->npt, 3);
	assert_int_equal(a->pt[0], 8);
	assert_int_equal(a->pt[1], 0);
	assert_int_equal(a->pt[2], 101);
	assert_true(pn_span_eq(a->fmt_list, "8 0 101"));
	assert_int_equal(a->nrtpmap, 3);
	const struct pn_sdp_rtpmap *r = pn_sdp_find_rtpmap(a, 0);
	assert_non_null(r);
	assert_true(pn_span_eq(r->name, "PCMU"));
	assert_int_equal(r->clock, 8000);
	assert_int_equal(r->channels, 1);
	assert_null(pn_sdp_find_rtpmap(a, 18));
	assert_int_equal(a->te_pt, 101);
	assert_int_equal(a->te_clock, 8000);
	assert_int_equal(a->nfmtp, 1);
	assert_int_equal(a->fmtp[0].pt, 101);
	assert_true(pn_span_eq(a->fmtp[0].params, "0-16"));
	assert_int_equal(a->ptime, 20);
	assert_int_equal(a->rtcp_port, 40001);
	assert_int_equal(a->rtcp_conn.family, 4);
	assert_int_equal(a->rtcp_conn.ip4, 0x0a010203);
	assert_int_equal(a->dir, PN_SDP_DIR_SENDRECV);
	assert_int_equal(a->conn.family, 0);
	assert_ptr_equal(pn_sdp_media_conn(&sdp, 0), &sdp.conn);

	const struct pn_sdp_media *v = &sdp.media[1];
	assert_true(pn_span_eq(v->media, "video"));
	assert_int_equal(v->port, 40002);
	assert_int_equal(v->nports, 2);
	assert_int_equal(v->te_pt, -1);
	assert_int_equal(v->conn.ip4, 0x0a010204);
	assert_true(pn_span_eq(v->conn.addr, "10.1.2.4"));
	assert_ptr_equal(pn_sdp_media_conn(&sdp, 1), &v->conn);
	assert_int_equal(pn_sdp_media_dir(&sdp, 1), PN_SDP_DIR_RECVONLY);
	assert_true(pn_span_eq(v->fmtp[0].params, "profile-level-id=42e01f;packetization-mode=1"));
	assert_int_equal(v->rtpmap[0].clock, 90000);
	assert_true(v->section.p + v->section.len == sdp.buf + n);
	assert_true(a->section.p + a->section.len == v->section.p);
	assert_null(pn_sdp_media_conn(&sdp, 2));
}

static void test_sdp_parse_variants(void **state)
{
	(void)state;
	struct pn_sdp sdp;
	/* LF endings, media-level c= only, no final newline, IPv6, a=rtcp without address,
	 * ptime 20.0, stereo rtpmap, te at 48000 and 8000 (8000 preferred) */
	const char *s = "v=0\n"
	                "o=alice 1 1 IN IP6 2001:db8::1\n"
	                "s=-\n"
	                "t=0 0\n"
	                "m=audio 5004 RTP/SAVP 111 97 98\n"
	                "c=IN IP6 2001:db8::2\n"
	                "a=rtpmap:111 opus/48000/2\n"
	                "a=rtpmap:97 telephone-event/48000\n"
	                "a=rtpmap:98 telephone-event/8000\n"
	                "a=rtcp:5005\n"
	                "a=rtcp-mux\n"
	                "a=ptime:20.0";
	assert_int_equal(parse_str(s, &sdp), (int)strlen(s));
	assert_string_equal(sdp.eol, "\n");
	assert_int_equal(sdp.origin.family, 6);
	assert_int_equal(sdp.conn.family, 0);
	const struct pn_sdp_media *m = &sdp.media[0];
	assert_int_equal(m->conn.family, 6);
	assert_true(pn_span_eq(m->conn.addr, "2001:db8::2"));
	assert_int_equal(m->rtpmap[0].channels, 2);
	assert_int_equal(m->te_pt, 98);
	assert_int_equal(m->rtcp_port, 5005);
	assert_int_equal(m->rtcp_conn.family, 0);
	assert_true(m->rtcp_mux);
	assert_int_equal(m->ptime, 20);
	assert_int_equal(pn_sdp_media_dir(&sdp, 0), PN_SDP_DIR_SENDRECV);

	/* non-RTP media: formats are not payload types */
	s = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=image 6000 udptl t38\r\n"
	    "a=T38FaxVersion:0\r\nm=audio 0 RTP/AVP 0\r\na=inactive\r\n";
	assert_int_equal(parse_str(s, &sdp), (int)strlen(s));
	assert_false(sdp.media[0].is_rtp);
	assert_int_equal(sdp.media[0].npt, 0);
	assert_true(pn_span_eq(sdp.media[0].fmt_list, "t38"));
	assert_int_equal(sdp.media[1].port, 0);
	assert_int_equal(pn_sdp_media_dir(&sdp, 1), PN_SDP_DIR_INACTIVE);
}

#define HDR "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"

static void test_sdp_parse_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *name, *body;
	} t[] = {
	    {"empty", ""},
	    {"no_v", "o=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n"},
	    {"v_1", "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n"},
	    {"v_twice", HDR "v=0\r\n"},
	    {"no_o", "v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"o_short", "v=0\r\no=- 1 IN IP4 1.2.3.4\r\n"},
	    {"o_after_m",
	     "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"},
	    {"missing_c", HDR "m=audio 4000 RTP/AVP 0\r\n"},
	    {"missing_c_second_media",
	     HDR "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\nm=video 4002 RTP/AVP 96\r\n"},
	    {"port_70000", HDR "c=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n"},
	    {"port_65536", HDR "c=IN IP4 1.2.3.4\r\nm=audio 65536 RTP/AVP 0\r\n"},
	    {"port_huge", HDR "c=IN IP4 1.2.3.4\r\nm=audio 99999999999999999999 RTP/AVP 0\r\n"},
	    {"port_alpha", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4x RTP/AVP 0\r\n"},
	    {"port_count_0", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4000/0 RTP/AVP 0\r\n"},
	    {"no_formats", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP\r\n"},
	    {"no_proto", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4000\r\n"},
	    {"pt_128", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 128\r\n"},
	    {"pt_alpha", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP abc\r\n"},
	    {"too_many_pt",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
	         "16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32\r\n"},
	    {"too_many_media",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n"
	         "m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n"
	         "m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n"
	         "m=audio 1 RTP/AVP 0\r\n"},
	    {"c_bad_ip4", HDR "c=IN IP4 300.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_ip4_3_parts", HDR "c=IN IP4 1.2.3\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_ip4_trailing", HDR "c=IN IP4 1.2.3.4.\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_ip5", HDR "c=IN IP5 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_nettype", HDR "c=ATM IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_no_addr", HDR "c=IN IP4\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_bad_ip6", HDR "c=IN IP6 2001:zz::1\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_twice", HDR "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"c_trailing_junk", HDR "c=IN IP4 1.2.3.4 x\r\nm=audio 4000 RTP/AVP 0\r\n"},
	    {"rtpmap_dup", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\n"
	                       "a=rtpmap:0 PCMU/8000\r\na=rtpmap:0 PCMA/8000\r\n"},
	    {"rtpmap_no_clock",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n"},
	    {"rtpmap_clock_0",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n"},
	    {"rtpmap_clock_huge",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtpmap:0 PCMU/4294967296\r\n"},
	    {"rtpmap_pt_200",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtpmap:200 X/8000\r\n"},
	    {"rtpmap_no_name",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtpmap:0 /8000\r\n"},
	    {"rtpmap_channels_0",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/0\r\n"},
	    {"fmtp_bad_pt", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=fmtp:x 0-16\r\n"},
	    {"rtcp_70000", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtcp:70000\r\n"},
	    {"rtcp_bad_addr",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtcp:5 IN IP4 x\r\n"},
	    {"rtcp_twice",
	     HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=rtcp:5\r\na=rtcp:7\r\n"},
	    {"ptime_alpha", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=ptime:twenty\r\n"},
	    {"two_directions", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=sendonly\r\n"
	                           "a=recvonly\r\n"},
	    {"line_without_eq", HDR "c=IN IP4 1.2.3.4\r\nhello\r\n"},
	    {"upper_type", HDR "C=IN IP4 1.2.3.4\r\n"},
	    {"one_char_line", HDR "c\r\n"},
	    {"bare_cr", HDR "c=IN IP4 1.2.3.4\rm=audio 4 RTP/AVP 0\r\n"},
	    {"final_bare_cr", HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r"}, /* fuzz find */
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++) {
		struct pn_sdp sdp;
		int rc = parse_str(t[i].body, &sdp);
		if (rc != PN_EPARSE)
			fail_msg("case %s: rc %d, want PN_EPARSE", t[i].name, rc);
		assert_int_equal(sdp.nmedia, 0); /* nothing stale */
	}
	/* NUL inside a line (cannot be written in a C string literal table) */
	char nul[] = HDR "c=IN IP4 1.2.3.4\r\nm=audio 4 RTP/AVP 0\r\na=x\0y\r\n";
	struct pn_sdp sdp;
	assert_int_equal(pn_sdp_parse(guard_copy(nul, sizeof(nul) - 1), sizeof(nul) - 1, &sdp),
	                 PN_EPARSE);
}

static void test_sdp_parse_every_truncation(void **state)
{
	(void)state;
	size_t n = strlen(offer);
	int ok = 0;
	for (size_t k = 0; k <= n; k++) {
		struct pn_sdp sdp;
		int rc = pn_sdp_parse(guard_copy(offer, k), k, &sdp);
		assert_true(rc == (int)k || rc == PN_EPARSE);
		if (rc > 0) {
			ok++;
			char out[2048];
			struct pn_sdp_rewrite rw = {"198.18.0.1", 4, {1000, 2000}, 0};
			assert_true(pn_sdp_rewrite(&sdp, &rw, out, sizeof(out)) > 0);
		}
	}
	assert_true(ok > 10); /* prefixes ending at a line boundary after m= are valid */
}

static void test_sdp_rewrite_offer(void **state)
{
	(void)state;
	struct pn_sdp sdp;
	assert_true(parse_str(offer, &sdp) > 0);
	struct pn_sdp_rewrite rw = {"198.18.0.1", 4, {30000, 30002}, PN_SDP_DIR_NONE};
	char out[2048];
	int n = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
	static const char want[] = "v=0\r\n"
	                           "o=- 1234 5678 IN IP4 198.18.0.1\r\n"
	                           "s=call\r\n"
	                           "c=IN IP4 198.18.0.1\r\n"
	                           "t=0 0\r\n"
	                           "m=audio 30000 RTP/AVP 8 0 101\r\n"
	                           "a=rtpmap:8 PCMA/8000\r\n"
	                           "a=rtpmap:0 PCMU/8000\r\n"
	                           "a=rtpmap:101 telephone-event/8000\r\n"
	                           "a=fmtp:101 0-16\r\n"
	                           "a=ptime:20\r\n"
	                           "a=rtcp:30001 IN IP4 198.18.0.1\r\n"
	                           "a=sendrecv\r\n"
	                           "m=video 30002/2 RTP/AVP 96\r\n"
	                           "c=IN IP4 198.18.0.1/127\r\n"
	                           "b=AS:512\r\n"
	                           "a=rtpmap:96 H264/90000\r\n"
	                           "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
	                           "a=recvonly\r\n";
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, (size_t)n);

	/* the output parses and says what we wrote */
	struct pn_sdp again;
	assert_int_equal(pn_sdp_parse(out, (size_t)n, &again), n);
	assert_int_equal(again.conn.ip4, 0xc6120001);
	assert_int_equal(again.media[0].port, 30000);
	assert_int_equal(again.media[0].rtcp_port, 30001);

	/* every output size below the need is PN_EFULL, the exact size works */
	for (size_t sz = 0; sz < (size_t)n; sz++)
		assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, sz), PN_EFULL);
	assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, (size_t)n), n);
}

static void test_sdp_rewrite_identity_is_byte_identical(void **state)
{
	(void)state;
	/* Rewriting to the same address and ports reproduces the body exactly. */
	const char *s = "v=0\r\no=x 9 9 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	                "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
	                "a=rtcp:4001 IN IP4 10.0.0.1\r\na=x-unknown:  odd   spacing \r\n";
	struct pn_sdp sdp;
	assert_true(parse_str(s, &sdp) > 0);
	struct pn_sdp_rewrite rw = {"10.0.0.1", 4, {4000}, 0};
	char out[1024];
	int n = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
	assert_int_equal(n, (int)strlen(s));
	assert_memory_equal(out, s, strlen(s));
}

static void test_sdp_rewrite_rejected_streams(void **state)
{
	(void)state;
	const char *s = HDR "c=IN IP4 1.2.3.4\r\nt=0 0\r\n"
	                    "m=audio 4000 RTP/AVP 0\r\na=rtcp:4001\r\n"
	                    "m=video 0 RTP/AVP 96\r\na=rtcp:9\r\n"
	                    "m=audio 5000 RTP/AVP 8\r\na=rtcp:5001\r\n";
	struct pn_sdp sdp;
	assert_true(parse_str(s, &sdp) > 0);
	/* video was rejected (port 0 stays 0 whatever the caller says); the caller rejects
	 * the third stream with port 0: its a=rtcp line goes */
	struct pn_sdp_rewrite rw = {"198.18.0.9", 4, {20000, 20002, 0}, 0};
	char out[1024];
	int n = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
	const char *want = "v=0\r\no=- 1 1 IN IP4 198.18.0.9\r\ns=-\r\nc=IN IP4 198.18.0.9\r\n"
	                   "t=0 0\r\n"
	                   "m=audio 20000 RTP/AVP 0\r\na=rtcp:20001\r\n"
	                   "m=video 0 RTP/AVP 96\r\n"
	                   "m=audio 0 RTP/AVP 8\r\n";
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, (size_t)n);
}

static void test_sdp_rewrite_direction(void **state)
{
	(void)state;
	/* media 0 has its own attribute (replaced), media 1 has none and no session-level
	 * one exists (a line is added, in the body's LF style, even at a body end without
	 * a newline) */
	const char *s = "v=0\no=- 1 1 IN IP4 1.2.3.4\nc=IN IP4 1.2.3.4\n"
	                "m=audio 4000 RTP/AVP 0\na=sendrecv\na=ptime:20\n"
	                "m=audio 5000 RTP/AVP 0\na=ptime:30";
	struct pn_sdp sdp;
	assert_true(parse_str(s, &sdp) > 0);
	struct pn_sdp_rewrite rw = {"2001:db8::9", 6, {6000, 7000}, PN_SDP_DIR_SENDONLY};
	char out[1024];
	int n = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
	const char *want = "v=0\no=- 1 1 IN IP6 2001:db8::9\nc=IN IP6 2001:db8::9\n"
	                   "m=audio 6000 RTP/AVP 0\na=sendonly\na=ptime:20\n"
	                   "m=audio 7000 RTP/AVP 0\na=ptime:30\na=sendonly\n";
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, (size_t)n);
	struct pn_sdp again;
	assert_int_equal(pn_sdp_parse(out, (size_t)n, &again), n);
	assert_int_equal(pn_sdp_media_dir(&again, 0), PN_SDP_DIR_SENDONLY);
	assert_int_equal(pn_sdp_media_dir(&again, 1), PN_SDP_DIR_SENDONLY);

	/* a session-level attribute is replaced and no media line is added */
	s = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\na=recvonly\r\n"
	    "m=audio 4000 RTP/AVP 0\r\n";
	assert_true(parse_str(s, &sdp) > 0);
	rw = (struct pn_sdp_rewrite){"1.1.1.1", 4, {4}, PN_SDP_DIR_INACTIVE};
	n = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
	want = "v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.1\r\na=inactive\r\n"
	       "m=audio 4 RTP/AVP 0\r\n";
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, (size_t)n);
}

static void test_sdp_origin_fqdn_and_hold(void **state)
{
	(void)state;
	/* o= may name a host; c= 0.0.0.0 (RFC 2543 hold) survives the rewrite */
	const char *s = "v=0\r\no=- 7 8 IN IP4 pbx.example.com\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
	                "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n";
	struct pn_sdp sdp;
	assert_int_equal(parse_str(s, &sdp), (int)strlen(s));
	assert_int_equal(sdp.origin.family, 4);
	assert_int_equal(sdp.origin.ip4, 0);
	assert_true(pn_span_eq(sdp.origin.addr, "pbx.example.com"));
	struct pn_sdp_rewrite rw = {"198.18.0.1", 4, {30000}, 0};
	char out[512];
	int n = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
	const char *want = "v=0\r\no=- 7 8 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
	                   "t=0 0\r\nm=audio 30000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n";
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, (size_t)n);
	/* a domain name is not accepted where the relay must send (c=, a=rtcp) */
	s = "v=0\r\no=- 7 8 IN IP4 1.2.3.4\r\nc=IN IP4 media.example.com\r\n"
	    "m=audio 4000 RTP/AVP 0\r\n";
	assert_int_equal(parse_str(s, &sdp), PN_EPARSE);
	s = "v=0\r\no=- 7 8 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n"
	    "m=audio 4000 RTP/AVP 0\r\na=rtcp:4001 IN IP4 media.example.com\r\n";
	assert_int_equal(parse_str(s, &sdp), PN_EPARSE);
	s = "v=0\r\no=- 7 8 IN IP4 bad_host!\r\nc=IN IP4 1.2.3.4\r\n";
	assert_int_equal(parse_str(s, &sdp), PN_EPARSE);
}

static void test_sdp_rewrite_rejects_bad_arguments(void **state)
{
	(void)state;
	struct pn_sdp sdp;
	assert_true(parse_str(offer, &sdp) > 0);
	char out[2048];
	struct pn_sdp_rewrite rw = {NULL, 4, {1, 2}, 0};
	assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, sizeof(out)), PN_EINVAL);
	rw.addr = "1.2.3.4";
	rw.family = 5;
	assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, sizeof(out)), PN_EINVAL);
	rw.family = 4;
	rw.addr = "1.2.3.4\r\na=evil";
	assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, sizeof(out)), PN_EINVAL);
	rw.addr = "";
	assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, sizeof(out)), PN_EINVAL);
	rw.addr = "1.2.3.4";
	rw.port[0] = 65535; /* audio has a=rtcp: port + 1 does not exist */
	assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, sizeof(out)), PN_EINVAL);
	rw.port[0] = 1;
	rw.dir = 9;
	assert_int_equal(pn_sdp_rewrite(&sdp, &rw, out, sizeof(out)), PN_EINVAL);
	struct pn_sdp empty;
	memset(&empty, 0, sizeof(empty));
	rw.dir = 0;
	assert_int_equal(pn_sdp_rewrite(&empty, &rw, out, sizeof(out)), PN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sdp_parse_offer_fields),
	    cmocka_unit_test(test_sdp_parse_variants),
	    cmocka_unit_test(test_sdp_parse_rejects),
	    cmocka_unit_test(test_sdp_parse_every_truncation),
	    cmocka_unit_test(test_sdp_rewrite_offer),
	    cmocka_unit_test(test_sdp_rewrite_identity_is_byte_identical),
	    cmocka_unit_test(test_sdp_rewrite_rejected_streams),
	    cmocka_unit_test(test_sdp_rewrite_direction),
	    cmocka_unit_test(test_sdp_origin_fqdn_and_hold),
	    cmocka_unit_test(test_sdp_rewrite_rejects_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
