/*
 * test_rtp.c: RTP header parsing, RTP/RTCP demultiplexing, compound RTCP walking and RFC 4733
 * events. Packets sit flush against a PROT_NONE guard page.
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

#include "pn_rtp.h"

static uint8_t *guard_base;
static size_t guard_size;

static const uint8_t *guard_copy(const void *s, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (n + (size_t)pg - 1) / (size_t)pg + 1;
	if (guard_base)
		munmap(guard_base, guard_size);
	guard_size = (pages + 1) * (size_t)pg;
	guard_base =
	    mmap(NULL, guard_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(guard_base != MAP_FAILED);
	uint8_t *guard = guard_base + pages * (size_t)pg;
	assert_int_equal(mprotect(guard, (size_t)pg, PROT_NONE), 0);
	uint8_t *p = guard - n;
	if (n)
		memcpy(p, s, n);
	return p;
}

/* V=2 P=1 X=1 CC=2, M=1 PT=8, seq 0x1234, ts 0x01020304, ssrc 0xdeadbeef, 2 CSRCs, extension
 * (profile 0xbede, 1 word), 4 payload bytes, 3 padding bytes (count 3). */
static const uint8_t full_pkt[] = {
    0xb2, 0x88, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04, 0xde, 0xad, 0xbe, 0xef, 0,    0,    0, 1, 0, 0,
    0,    2,    0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0,    0,    0xd5, 0xd5, 0xd5, 0xd5, 0, 0, 3};

static void test_rtp_parse_full_header(void **state)
{
	(void)state;
	struct pn_rtp_hdr h;
	const uint8_t *p = guard_copy(full_pkt, sizeof(full_pkt));
	assert_int_equal(pn_rtp_parse(p, sizeof(full_pkt), &h), 28);
	assert_int_equal(h.version, 2);
	assert_true(h.padding && h.extension && h.marker);
	assert_int_equal(h.cc, 2);
	assert_int_equal(h.pt, 8);
	assert_int_equal(h.seq, 0x1234);
	assert_int_equal(h.ts, 0x01020304);
	assert_int_equal(h.ssrc, 0xdeadbeef);
	assert_int_equal(h.ext_profile, 0xbede);
	assert_int_equal(h.ext_words, 1);
	assert_int_equal(h.hdr_len, 28);
	assert_int_equal(h.payload_off, 28);
	assert_int_equal(h.payload_len, 4);
	assert_int_equal(h.pad_len, 3);
	assert_int_equal(pn_rtp_classify(p, sizeof(full_pkt)), PN_RTP_KIND_RTP);
}

static void test_rtp_parse_plain_and_write(void **state)
{
	(void)state;
	uint8_t pkt[12 + 160];
	assert_int_equal(pn_rtp_write(pkt, sizeof(pkt), 0, 0, 65535, 4294967295u, 7), 12);
	memset(pkt + 12, 0xff, 160);
	struct pn_rtp_hdr h;
	assert_int_equal(pn_rtp_parse(guard_copy(pkt, sizeof(pkt)), sizeof(pkt), &h), 12);
	assert_int_equal(h.pt, 0);
	assert_int_equal(h.marker, 0);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.ts, 4294967295u);
	assert_int_equal(h.ssrc, 7);
	assert_int_equal(h.payload_len, 160);
	assert_int_equal(pn_rtp_write(pkt, 11, 0, 0, 0, 0, 0), PN_EINVAL);
	assert_int_equal(pn_rtp_write(pkt, 12, 128, 0, 0, 0, 0), PN_EINVAL);
	assert_int_equal(pn_rtp_write(pkt, 12, 101, 1, 0, 0, 0), 12);
	assert_int_equal(pkt[1], 0x80 | 101);
	/* header only, empty payload, is valid */
	assert_int_equal(pn_rtp_parse(guard_copy(pkt, 12), 12, &h), 12);
	assert_int_equal(h.payload_len, 0);
}

static void test_rtp_parse_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint8_t b[24];
		size_t n;
	} t[] = {
	    {"version_0", {0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12},
	    {"version_1", {0x40, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12},
	    {"version_3", {0xc0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12},
	    {"csrc_beyond_packet", {0x83, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}, 16},
	    {"csrc_15_short", {0x8f, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12},
	    {"ext_head_missing", {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde}, 14},
	    {"ext_len_beyond",
	     {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 1, 2, 3, 4},
	     20},
	    {"ext_len_ffff",
	     {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff},
	     16},
	    {"padding_zero_count", {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 0}, 16},
	    {"padding_beyond_length", {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 5}, 16},
	    {"padding_no_payload", {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12},
	    {"padding_eats_csrc", {0xa1, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9}, 16},
	    {"rtcp_sr", {0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0}, 12},
	    {"marker_pt_72", {0x80, 0xc8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++) {
		struct pn_rtp_hdr h;
		int rc = pn_rtp_parse(guard_copy(t[i].b, t[i].n), t[i].n, &h);
		if (rc != PN_EPARSE)
			fail_msg("case %s: rc %d", t[i].name, rc);
		assert_int_equal(h.hdr_len, 0);
	}
	/* padding exactly up to the header is valid: count == payload + pad */
	static const uint8_t pad_all[] = {0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4};
	struct pn_rtp_hdr h;
	assert_int_equal(pn_rtp_parse(guard_copy(pad_all, 16), 16, &h), 12);
	assert_int_equal(h.payload_len, 0);
	assert_int_equal(h.pad_len, 4);
}

static void test_rtp_parse_every_truncation(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(full_pkt); k++) {
		struct pn_rtp_hdr h;
		int rc = pn_rtp_parse(guard_copy(full_pkt, k), k, &h);
		/* cutting the packet moves the padding count byte: for most lengths it is then
		 * a payload byte that is an invalid count; a valid result must be consistent */
		if (rc > 0)
			assert_true(h.hdr_len + h.payload_len + h.pad_len == k);
		else
			assert_int_equal(rc, PN_EPARSE);
		if (k < 28)
			assert_int_equal(rc, PN_EPARSE);
	}
}

static void test_rtp_classify(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint8_t b[12];
		size_t n;
		enum pn_rtp_kind want;
	} t[] = {
	    {"rtp_pcma", {0x80, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12, PN_RTP_KIND_RTP},
	    {"rtp_marker_te",
	     {0x80, 0x80 | 101, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1},
	     12,
	     PN_RTP_KIND_RTP},
	    {"rtcp_sr", {0x80, 200, 0, 6}, 4, PN_RTP_KIND_RTCP},
	    {"rtcp_rr", {0x81, 201, 0, 7}, 4, PN_RTP_KIND_RTCP},
	    {"rtcp_app", {0x80, 204, 0, 2}, 4, PN_RTP_KIND_RTCP},
	    {"rtcp_low_192", {0x80, 192, 0, 1}, 4, PN_RTP_KIND_RTCP},
	    {"rtcp_high_223", {0x80, 223, 0, 1}, 4, PN_RTP_KIND_RTCP},
	    {"rtp_224", {0x80, 224, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12, PN_RTP_KIND_RTP},
	    {"rtp_191", {0x80, 191, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12, PN_RTP_KIND_RTP},
	    {"stun", {0x00, 0x01, 0, 0}, 4, PN_RTP_KIND_OTHER},
	    {"dtls", {0x16, 0xfe, 0xfd, 0}, 4, PN_RTP_KIND_OTHER},
	    {"short_rtp", {0x80, 8, 0, 1}, 4, PN_RTP_KIND_OTHER},
	    {"one_byte", {0x80}, 1, PN_RTP_KIND_OTHER},
	    {"empty", {0}, 0, PN_RTP_KIND_OTHER},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++)
		if (pn_rtp_classify(guard_copy(t[i].b, t[i].n), t[i].n) != t[i].want)
			fail_msg("case %s", t[i].name);
}

/* SR with 1 report block + SDES (1 chunk CNAME "ab") + BYE (1 SSRC) */
static const uint8_t compound[] = {
    /* SR: V=2 RC=1, PT=200, length 12 words (52 bytes) */
    0x81, 200, 0, 12, 0x11, 0x22, 0x33, 0x44,        /* sender SSRC */
    0xe0, 0, 0, 1, 0x80, 0, 0, 0,                    /* NTP */
    0, 0, 0x1f, 0x40, 0, 0, 0, 50, 0, 0, 0x1f, 0x40, /* rtp ts, pkts, octets */
    0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* SDES: SC=1, length 3 words (16 bytes): SSRC, CNAME(1) len 2 "ab", END, pad */
    0x81, 202, 0, 3, 0x11, 0x22, 0x33, 0x44, 1, 2, 'a', 'b', 0, 0, 0, 0,
    /* BYE: SC=1, length 1 word (8 bytes) */
    0x81, 203, 0, 1, 0x11, 0x22, 0x33, 0x44};

static void test_rtcp_walk_compound(void **state)
{
	(void)state;
	struct pn_rtcp_pkt pk[8];
	unsigned n = 8;
	int first = -1;
	const uint8_t *p = guard_copy(compound, sizeof(compound));
	assert_int_equal(pn_rtcp_walk(p, sizeof(compound), pk, &n, &first), (int)sizeof(compound));
	assert_int_equal(n, 3);
	assert_int_equal(first, 1);
	assert_int_equal(pk[0].type, PN_RTCP_SR);
	assert_int_equal(pk[0].count, 1);
	assert_int_equal(pk[0].len, 52);
	assert_int_equal(pk[0].ssrc, 0x11223344);
	assert_true(pk[0].ntp == ((UINT64_C(0xe0000001) << 32) | 0x80000000u));
	assert_int_equal(pk[0].rtp_ts, 8000);
	assert_int_equal(pk[0].pkt_count, 50);
	assert_int_equal(pk[0].octet_count, 8000);
	assert_int_equal(pk[1].type, PN_RTCP_SDES);
	assert_int_equal(pk[1].off, 52);
	assert_int_equal(pk[1].ssrc, 0x11223344);
	assert_int_equal(pk[2].type, PN_RTCP_BYE);
	assert_int_equal(pk[2].off, 68);
	assert_int_equal(pn_rtp_classify(p, sizeof(compound)), PN_RTP_KIND_RTCP);

	/* capacity is an error, not truncation */
	n = 2;
	assert_int_equal(pn_rtcp_walk(p, sizeof(compound), pk, &n, NULL), PN_EPARSE);
	assert_int_equal(n, 0);

	/* every truncation: valid only at packet boundaries */
	for (size_t k = 0; k < sizeof(compound); k++) {
		n = 8;
		int rc = pn_rtcp_walk(guard_copy(compound, k), k, pk, &n, NULL);
		if (k == 52 || k == 68)
			assert_int_equal(rc, (int)k);
		else
			assert_int_equal(rc, PN_EPARSE);
	}
}

static void test_rtcp_walk_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint8_t b[40];
		size_t n;
	} t[] = {
	    {"version_1", {0x41, 201, 0, 1, 0, 0, 0, 1}, 8},
	    {"type_191", {0x80, 191, 0, 1, 0, 0, 0, 1}, 8},
	    {"type_224", {0x80, 224, 0, 1, 0, 0, 0, 1}, 8},
	    {"length_beyond", {0x80, 201, 0, 5, 0, 0, 0, 1}, 8},
	    {"length_ffff", {0x80, 201, 0xff, 0xff, 0, 0, 0, 1}, 8},
	    {"leftover_bytes", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 201}, 10},
	    {"rr_count_beyond", {0x81, 201, 0, 1, 0, 0, 0, 1}, 8},
	    {"sr_too_short", {0x80, 200, 0, 1, 0, 0, 0, 1}, 8},
	    {"bye_count_beyond", {0x82, 203, 0, 1, 0, 0, 0, 1}, 8},
	    {"sdes_count_beyond", {0x81, 202, 0, 1, 0, 0, 0, 1}, 8},
	    {"app_too_short", {0x80, 204, 0, 1, 0, 0, 0, 1}, 8},
	    {"padding_not_last", {0xa0, 201, 0, 1, 0, 0, 0, 4, 0x80, 201, 0, 1, 0, 0, 0, 1}, 16},
	    {"padding_zero", {0xa0, 201, 0, 1, 0, 0, 0, 0}, 8},
	    {"padding_beyond", {0xa0, 201, 0, 1, 0, 0, 0, 9}, 8},
	    {"too_short", {0x80, 201, 0}, 3},
	    {"empty", {0}, 0},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++) {
		struct pn_rtcp_pkt pk[4];
		unsigned n = 4;
		int rc = pn_rtcp_walk(guard_copy(t[i].b, t[i].n), t[i].n, pk, &n, NULL);
		if (rc != PN_EPARSE)
			fail_msg("case %s: rc %d", t[i].name, rc);
		assert_int_equal(n, 0);
	}
	/* reduced-size RTCP (RFC 5506): a lone feedback packet is valid, not a report */
	static const uint8_t fb[] = {0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
	struct pn_rtcp_pkt pk[2];
	unsigned n = 2;
	int first = -1;
	assert_int_equal(pn_rtcp_walk(guard_copy(fb, sizeof(fb)), sizeof(fb), pk, &n, &first), 12);
	assert_int_equal(first, 0);
	assert_int_equal(pk[0].ssrc, 1);
	/* padded last packet: RR with 4 bytes of padding (count 4) */
	static const uint8_t padded[] = {0xa0, 201, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4};
	n = 2;
	assert_int_equal(pn_rtcp_walk(guard_copy(padded, 12), 12, pk, &n, &first), 12);
	assert_true(pk[0].padding);
	assert_int_equal(first, 1);
}

static void test_rfc4733_parse_build(void **state)
{
	(void)state;
	static const uint8_t ev5_end[] = {5, 0x80 | 10, 0x03, 0x20};
	struct pn_rfc4733_event ev;
	assert_int_equal(pn_rfc4733_parse(guard_copy(ev5_end, 4), 4, &ev), 4);
	assert_int_equal(ev.event, 5);
	assert_int_equal(ev.end, 1);
	assert_int_equal(ev.volume, 10);
	assert_int_equal(ev.duration, 800);
	/* the R bit is ignored */
	static const uint8_t r_bit[] = {11, 0x40 | 7, 0, 160};
	assert_int_equal(pn_rfc4733_parse(guard_copy(r_bit, 4), 4, &ev), 4);
	assert_int_equal(ev.end, 0);
	assert_int_equal(ev.volume, 7);
	assert_int_equal(pn_rfc4733_digit(ev.event), '#');
	for (size_t k = 0; k < 4; k++)
		assert_int_equal(pn_rfc4733_parse(guard_copy(ev5_end, k), k, &ev), PN_EPARSE);

	uint8_t out[4];
	struct pn_rfc4733_event b = {12, 1, 63, 65535};
	assert_int_equal(pn_rfc4733_build(&b, out, sizeof(out)), 4);
	static const uint8_t want[] = {12, 0x80 | 63, 0xff, 0xff};
	assert_memory_equal(out, want, 4);
	assert_int_equal(pn_rfc4733_parse(out, 4, &ev), 4);
	assert_true(ev.event == b.event && ev.end == b.end && ev.volume == b.volume &&
	            ev.duration == b.duration);
	b.volume = 64;
	assert_int_equal(pn_rfc4733_build(&b, out, sizeof(out)), PN_EINVAL);
	b.volume = 0;
	assert_int_equal(pn_rfc4733_build(&b, out, 3), PN_EINVAL);
}

static void test_rfc4733_digits(void **state)
{
	(void)state;
	static const char all[] = "0123456789*#ABCD";
	for (int e = 0; e < 16; e++) {
		assert_int_equal(pn_rfc4733_digit((uint8_t)e), all[e]);
		assert_int_equal(pn_rfc4733_event_code(all[e]), e);
	}
	for (int e = 16; e < 256; e++)
		assert_int_equal(pn_rfc4733_digit((uint8_t)e), 0);
	assert_int_equal(pn_rfc4733_event_code('a'), 12);
	assert_int_equal(pn_rfc4733_event_code('d'), 15);
	assert_int_equal(pn_rfc4733_event_code('E'), -1);
	assert_int_equal(pn_rfc4733_event_code(' '), -1);
	assert_int_equal(pn_rfc4733_event_code('\0'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rtp_parse_full_header),
	    cmocka_unit_test(test_rtp_parse_plain_and_write),
	    cmocka_unit_test(test_rtp_parse_rejects),
	    cmocka_unit_test(test_rtp_parse_every_truncation),
	    cmocka_unit_test(test_rtp_classify),
	    cmocka_unit_test(test_rtcp_walk_compound),
	    cmocka_unit_test(test_rtcp_walk_rejects),
	    cmocka_unit_test(test_rfc4733_parse_build),
	    cmocka_unit_test(test_rfc4733_digits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
