/*
 * test_sip.c: unit tests of the SIP parser (proto/pn_sip.c).
 *
 * Every parse input is copied flush against a PROT_NONE guard page, so a read one byte past
 * the end faults at once. Table-driven: each case has a name, the bytes, the transport
 * semantics and the asserted outcome (parse result, error code and offset, validation result).
 * The RFC 4475 torture messages are written out here by hand (not copied), each with what
 * it exercises. Every case runs with each line-scanning implementation (scalar, SSE2, AVX2).
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

/* ------------------------------------------------------------------------------------------ */
/* Guard-page buffers                                                                          */

struct guarded {
	void *map;
	size_t maplen;
	char *p; /* data, its last byte just before the PROT_NONE page */
};

static struct guarded guard_copy(const char *data, size_t n)
{
	struct guarded g;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (n + pg - 1) / pg + 1;
	g.maplen = (pages + 0) * pg + pg;
	g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g.map != MAP_FAILED);
	char *guard = (char *)g.map + g.maplen - pg;
	assert_int_equal(mprotect(guard, pg, PROT_NONE), 0);
	g.p = guard - n;
	if (n)
		memcpy(g.p, data, n);
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
			fail_msg("span is '%.*s' (%s), want '%s'", (int)s_.len, s_.p ? s_.p : "",  \
			         s_.p ? "present" : "absent", lit);                                \
	} while (0)

static const int levels[] = {0, 1, 2};

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[65536];
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	char *p = malloc(*n ? *n : 1);
	memcpy(p, buf, *n);
	return p;
}

/* ------------------------------------------------------------------------------------------ */
/* The case table                                                                              */

#define CRLF "\r\n"
#define MIN_HDRS                                                                                   \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx1" CRLF "Max-Forwards: 70" CRLF            \
	"From: <sip:a@example.com>;tag=f1" CRLF "To: <sip:b@example.com>" CRLF                     \
	"Call-ID: c1@192.0.2.1" CRLF
#define INV_START "INVITE sip:b@example.com SIP/2.0" CRLF
#define OK_INV    INV_START MIN_HDRS "CSeq: 1 INVITE" CRLF

enum { LEN_ALL = -100 };

struct pcase {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	unsigned flags;
	int ret;                  /* expected parse result; LEN_ALL = whole input */
	enum pn_sip_errcode perr; /* expected parse error code when ret == PN_EPARSE */
	long perr_off;            /* expected offset (-1: don't check) */
	enum pn_sip_errcode verr; /* expected validation result (parse succeeded) */
	enum pn_sip_hdr vhdr;     /* expected header in the validation error */
};

static const struct pcase cases[] = {
    /* --- well-formed --- */
    {"minimal_invite", OK_INV "Content-Length: 0" CRLF CRLF, 0, PN_SIP_STREAM, LEN_ALL, 0, -1,
     PN_SIP_E_NONE, 0},
    {"datagram_no_clen_body_is_rest", OK_INV CRLF "v=0" CRLF, 0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1,
     PN_SIP_E_NONE, 0},
    {"datagram_short_clen_discards_extra", OK_INV "Content-Length: 3" CRLF CRLF "v=0" CRLF, 0,
     PN_SIP_DATAGRAM, (int)sizeof(OK_INV "Content-Length: 3" CRLF CRLF "v=0") - 1, 0, -1,
     PN_SIP_E_NONE, 0},
    {"leading_crlf_ignored", CRLF CRLF OK_INV "l: 0" CRLF CRLF, 0, PN_SIP_STREAM, LEN_ALL, 0, -1,
     PN_SIP_E_NONE, 0},
    {"bare_lf_lines",
     "OPTIONS sip:x@y SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: "
     "<sip:a@b>;tag=1\nTo: <sip:x@y>\nCall-ID: 1\nCSeq: 1 OPTIONS\nl: 0\n\n",
     0, PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    {"response_200", "SIP/2.0 200 OK" CRLF MIN_HDRS "CSeq: 1 INVITE" CRLF "l: 0" CRLF CRLF, 0,
     PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    {"response_empty_reason", "SIP/2.0 180 " CRLF MIN_HDRS "CSeq: 1 INVITE" CRLF CRLF, 0,
     PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    /* RFC 4475 3.1.1.10 semi: ';' in the user part */
    {"semicolon_in_user",
     "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0" CRLF MIN_HDRS "CSeq: 1 OPTIONS" CRLF
     "l: 0" CRLF CRLF,
     0, PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    /* RFC 4475 3.1.1.12 unkscm: unknown scheme in the Request-URI is syntactically valid */
    {"unknown_scheme_ruri",
     "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0" CRLF MIN_HDRS
     "CSeq: 1 OPTIONS" CRLF "l: 0" CRLF CRLF,
     0, PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    /* RFC 4475 3.1.1.3 esc02-ish: escaped quotes and backslashes in display names */
    {"escaped_quotes_display",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK2" CRLF
               "From: \"\\\"Joe\\\" \\\\ Smith\" <sip:a@example.com>;tag=q" CRLF
               "To: \"\\\"\" <sip:b@example.com>" CRLF "Call-ID: q@h" CRLF
               "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    /* RFC 4475 3.1.1.11 mpart-ish and 3.1.2.x: invalid UTF-8 in an opaque value is tolerated */
    {"invalid_utf8_subject", OK_INV "Subject: \xc3\x28 \xff\xfe bad" CRLF "l: 0" CRLF CRLF, 0,
     PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    /* multiple Via values in one line plus another line; compact names in odd case */
    {"multi_via_compact",
     "BYE sip:b@example.com SIP/2.0" CRLF "V: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
                                          "SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2" CRLF
     "v: SIP/2.0/UDP c.example.com:5070;branch=z9hG4bK3;received=198.18.0.3" CRLF
     "F: <sip:a@example.com>;tag=1" CRLF "T: <sip:b@example.com>;tag=2" CRLF "I: mv@x" CRLF
     "CSeq: 2 BYE" CRLF "L: 0" CRLF CRLF,
     0, PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    /* duplicated single-valued header with the same value is not a conflict */
    {"dup_callid_same_value", OK_INV "Call-ID: c1@192.0.2.1" CRLF "l: 0" CRLF CRLF, 0,
     PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    {"dup_clen_same_value", OK_INV "l: 2" CRLF "Content-Length: 2" CRLF CRLF "ab", 0, PN_SIP_STREAM,
     LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    {"ack_cseq_ack", "ACK sip:b@example.com SIP/2.0" CRLF MIN_HDRS "CSeq: 1 ACK" CRLF CRLF, 0,
     PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    {"max_forwards_absent_ok",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@b>;tag=1" CRLF
               "To: <sip:b@example.com>" CRLF "Call-ID: x" CRLF "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},

    /* --- parse errors --- */
    {"nul_in_header", OK_INV "Subject: a\0b" CRLF "l: 0" CRLF CRLF,
     sizeof(OK_INV "Subject: a\0b" CRLF "l: 0" CRLF CRLF) - 1, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_NUL, (long)sizeof(OK_INV "Subject: a") - 1, 0, 0},
    {"nul_in_start_line", "INVITE sip:b@exa\0mple.com SIP/2.0" CRLF MIN_HDRS CRLF,
     sizeof("INVITE sip:b@exa\0mple.com SIP/2.0" CRLF MIN_HDRS CRLF) - 1, PN_SIP_STREAM, PN_EPARSE,
     PN_SIP_E_NUL, 16, 0, 0},
    {"nul_in_body_is_fine", OK_INV "l: 3" CRLF CRLF "a\0b",
     sizeof(OK_INV "l: 3" CRLF CRLF "a\0b") - 1, PN_SIP_STREAM, LEN_ALL, 0, -1, PN_SIP_E_NONE, 0},
    {"huge_content_length", OK_INV "Content-Length: 99999999999999999999" CRLF CRLF, 0,
     PN_SIP_DATAGRAM, PN_EPARSE, PN_SIP_E_CONTENT_LENGTH, (long)sizeof(OK_INV) - 1, 0, 0},
    {"content_length_2_31", OK_INV "Content-Length: 2147483648" CRLF CRLF, 0, PN_SIP_STREAM,
     PN_EPARSE, PN_SIP_E_CONTENT_LENGTH, (long)sizeof(OK_INV) - 1, 0, 0},
    {"content_length_beyond_datagram", OK_INV "Content-Length: 5000" CRLF CRLF "v=0" CRLF, 0,
     PN_SIP_DATAGRAM, PN_EPARSE, PN_SIP_E_BODY_SHORT, (long)sizeof(OK_INV) - 1, 0, 0},
    {"content_length_beyond_stream", OK_INV "Content-Length: 5000" CRLF CRLF "v=0" CRLF, 0,
     PN_SIP_STREAM, PN_INCOMPLETE, 0, -1, 0, 0},
    {"content_length_negative", OK_INV "Content-Length: -1" CRLF CRLF, 0, PN_SIP_DATAGRAM,
     PN_EPARSE, PN_SIP_E_CONTENT_LENGTH, -1, 0, 0},
    {"content_length_conflict", OK_INV "Content-Length: 0" CRLF "l: 4" CRLF CRLF "abcd", 0,
     PN_SIP_DATAGRAM, PN_EPARSE, PN_SIP_E_CONTENT_LENGTH,
     (long)sizeof(OK_INV "Content-Length: 0" CRLF) - 1, 0, 0},
    {"stream_missing_clen", OK_INV CRLF, 0, PN_SIP_STREAM, PN_EPARSE, PN_SIP_E_NO_CONTENT_LENGTH,
     -1, 0, 0},
    {"datagram_truncated_headers", OK_INV "Subject: cut", 0, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_TRUNCATED, -1, 0, 0},
    {"stream_truncated_headers", OK_INV "Subject: cut", 0, PN_SIP_STREAM, PN_INCOMPLETE, 0, -1, 0,
     0},
    {"empty_input", "", 0, PN_SIP_STREAM, PN_INCOMPLETE, 0, -1, 0, 0},
    {"empty_datagram", "", 0, PN_SIP_DATAGRAM, PN_EPARSE, PN_SIP_E_TRUNCATED, -1, 0, 0},
    {"header_without_colon", OK_INV "NoColonHere" CRLF CRLF, 0, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_HEADER_COLON, -1, 0, 0},
    {"header_name_with_space", OK_INV "Bad Name: x" CRLF CRLF, 0, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_HEADER_NAME, (long)sizeof(OK_INV "Bad ") - 1, 0, 0},
    {"header_name_empty", OK_INV ": x" CRLF CRLF, 0, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_HEADER_NAME, (long)sizeof(OK_INV) - 1, 0, 0},
    {"fold_before_any_header", INV_START " continued" CRLF MIN_HDRS CRLF, 0, PN_SIP_DATAGRAM,
     PN_EPARSE, PN_SIP_E_FOLD, (long)sizeof(INV_START) - 1, 0, 0},
    {"bare_cr_line", OK_INV "\rX: y" CRLF CRLF, 0, PN_SIP_DATAGRAM, PN_EPARSE, PN_SIP_E_CTL,
     (long)sizeof(OK_INV) - 1, 0, 0},
    /* RFC 4475 3.1.2.x: whitespace in the request line (lwsruri, lwsstart) */
    {"double_space_request_line", "INVITE  sip:b@example.com SIP/2.0" CRLF MIN_HDRS CRLF, 0,
     PN_SIP_DATAGRAM, PN_EPARSE, PN_SIP_E_START_LINE, 7, 0, 0},
    {"trailing_space_request_line", "INVITE sip:b@example.com SIP/2.0 " CRLF MIN_HDRS CRLF, 0,
     PN_SIP_DATAGRAM, PN_EPARSE, PN_SIP_E_START_LINE, -1, 0, 0},
    {"no_version", "INVITE sip:b@example.com" CRLF MIN_HDRS CRLF, 0, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_START_LINE, -1, 0, 0},
    {"status_099", "SIP/2.0 099 Bad" CRLF MIN_HDRS CRLF, 0, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_STATUS, 8, 0, 0},
    {"status_4_digits", "SIP/2.0 2000 OK" CRLF MIN_HDRS CRLF, 0, PN_SIP_DATAGRAM, PN_EPARSE,
     PN_SIP_E_STATUS, -1, 0, 0},
    {"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" CRLF CRLF, 0, PN_SIP_DATAGRAM,
     PN_EPARSE, -1, -1, 0, 0},

    /* --- parse ok, validation errors --- */
    /* RFC 4475 3.1.2.13 badvers: SIP/7.0 -> 505 */
    {"bad_version", "OPTIONS sip:t@example.com SIP/7.0" CRLF MIN_HDRS "CSeq: 1 OPTIONS" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_VERSION, 0},
    {"missing_call_id",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@b>;tag=1" CRLF
               "To: <sip:b@c>" CRLF "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_MISSING_HEADER, PN_SIP_H_CALL_ID},
    {"missing_via",
     INV_START "From: <sip:a@b>;tag=1" CRLF "To: <sip:b@c>" CRLF "Call-ID: x" CRLF
               "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_MISSING_HEADER, PN_SIP_H_VIA},
    {"missing_to",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@b>;tag=1" CRLF
               "Call-ID: x" CRLF "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_MISSING_HEADER, PN_SIP_H_TO},
    {"missing_cseq", INV_START MIN_HDRS CRLF, 0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1,
     PN_SIP_E_MISSING_HEADER, PN_SIP_H_CSEQ},
    /* RFC 4475 3.3.x: duplicated headers with different values */
    {"dup_callid_conflict", OK_INV "i: other@h" CRLF CRLF, 0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1,
     PN_SIP_E_DUPLICATE_HEADER, PN_SIP_H_CALL_ID},
    {"dup_cseq_conflict", OK_INV "CSeq: 2 INVITE" CRLF CRLF, 0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1,
     PN_SIP_E_DUPLICATE_HEADER, PN_SIP_H_CSEQ},
    {"dup_from_conflict", OK_INV "f: <sip:evil@x>;tag=9" CRLF CRLF, 0, PN_SIP_DATAGRAM, LEN_ALL, 0,
     -1, PN_SIP_E_DUPLICATE_HEADER, PN_SIP_H_FROM},
    {"dup_to_conflict", OK_INV "t: <sip:evil@x>" CRLF CRLF, 0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1,
     PN_SIP_E_DUPLICATE_HEADER, PN_SIP_H_TO},
    /* RFC 4475 3.1.2.16 mismatch01 / 3.1.2.17 mismatch02: CSeq method mismatch */
    {"cseq_method_mismatch", INV_START MIN_HDRS "CSeq: 1 OPTIONS" CRLF CRLF, 0, PN_SIP_DATAGRAM,
     LEN_ALL, 0, -1, PN_SIP_E_CSEQ_METHOD, PN_SIP_H_CSEQ},
    {"ack_with_invite_cseq",
     "ACK sip:b@example.com SIP/2.0" CRLF MIN_HDRS "CSeq: 1 INVITE" CRLF CRLF, 0, PN_SIP_DATAGRAM,
     LEN_ALL, 0, -1, PN_SIP_E_CSEQ_METHOD, PN_SIP_H_CSEQ},
    {"cancel_with_invite_cseq",
     "CANCEL sip:b@example.com SIP/2.0" CRLF MIN_HDRS "CSeq: 1 INVITE" CRLF CRLF, 0,
     PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_CSEQ_METHOD, PN_SIP_H_CSEQ},
    /* RFC 4475 3.1.2.5 / scalar02-ish: CSeq and Max-Forwards out of range */
    {"cseq_too_big", INV_START MIN_HDRS "CSeq: 2147483648 INVITE" CRLF CRLF, 0, PN_SIP_DATAGRAM,
     LEN_ALL, 0, -1, PN_SIP_E_CSEQ, PN_SIP_H_CSEQ},
    {"cseq_no_method", INV_START MIN_HDRS "CSeq: 1" CRLF CRLF, 0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1,
     PN_SIP_E_CSEQ, PN_SIP_H_CSEQ},
    {"max_forwards_256",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "Max-Forwards: 256" CRLF
               "From: <sip:a@b>;tag=1" CRLF "To: <sip:b@c>" CRLF "Call-ID: x" CRLF
               "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_MAX_FORWARDS, PN_SIP_H_MAX_FORWARDS},
    {"via_no_transport",
     INV_START "Via: SIP/2.0 h;branch=z9hG4bK1" CRLF "From: <sip:a@b>;tag=1" CRLF
               "To: <sip:b@c>" CRLF "Call-ID: x" CRLF "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_VIA, PN_SIP_H_VIA},
    {"via_bad_second_value",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1, garbage" CRLF "From: <sip:a@b>;tag=1" CRLF
               "To: <sip:b@c>" CRLF "Call-ID: x" CRLF "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_VIA, PN_SIP_H_VIA},
    /* RFC 4475 3.1.2.6 quotbal: unterminated quote in a display name */
    {"unbalanced_quote_to",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@b>;tag=1" CRLF
               "To: \"Mr. J. User <sip:j.user@example.com>" CRLF "Call-ID: x" CRLF
               "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_NAMEADDR, PN_SIP_H_TO},
    /* RFC 4475 3.1.2.8 regaut01-ish / 3.1.2.10 ltgtruri: <> around the Request-URI */
    {"ruri_in_brackets",
     "INVITE <sip:user@example.com> SIP/2.0" CRLF MIN_HDRS "CSeq: 1 INVITE" CRLF CRLF, 0,
     PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_URI, 0},
    {"from_bad_port",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@b:99999>;tag=1" CRLF
               "To: <sip:b@c>" CRLF "Call-ID: x" CRLF "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_URI, PN_SIP_H_FROM},
    {"call_id_with_space",
     INV_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@b>;tag=1" CRLF
               "To: <sip:b@c>" CRLF "Call-ID: a b" CRLF "CSeq: 1 INVITE" CRLF CRLF,
     0, PN_SIP_DATAGRAM, LEN_ALL, 0, -1, PN_SIP_E_CALL_ID, PN_SIP_H_CALL_ID},
};

static void run_case(const struct pcase *c, int level)
{
	size_t n = c->len ? c->len : strlen(c->in);
	struct guarded g = guard_copy(c->in, n);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	int r = pn_sip_parse(&m, g.p, n, c->flags, h, PN_ARRAY_SIZE(h));
	int want = c->ret == LEN_ALL ? (int)n : c->ret;
	if (r != want)
		fail_msg("case %s (simd %d): parse returned %d, want %d (err %s at %u)", c->name,
		         level, r, want, m.err.what, m.err.offset);
	if (r == PN_EPARSE) {
		if ((int)c->perr >= 0 && m.err.code != c->perr)
			fail_msg("case %s: error %d (%s), want %d", c->name, m.err.code, m.err.what,
			         c->perr);
		if (c->perr_off >= 0 && m.err.offset != (uint32_t)c->perr_off)
			fail_msg("case %s: error offset %u, want %ld", c->name, m.err.offset,
			         c->perr_off);
		assert_non_null(m.err.what);
	}
	if (r >= 0) {
		struct pn_sip_error e;
		int v = pn_sip_validate(&m, &e);
		if ((v == 0) != (c->verr == PN_SIP_E_NONE) || e.code != c->verr)
			fail_msg("case %s: validate %d code %d (%s at %u), want %d", c->name, v,
			         e.code, e.what, e.offset, c->verr);
		if (c->verr != PN_SIP_E_NONE && c->vhdr && e.hdr != c->vhdr)
			fail_msg("case %s: validation error on header %d, want %d", c->name, e.hdr,
			         c->vhdr);
		if (c->verr != PN_SIP_E_NONE)
			assert_true(e.offset < n);
	}
	guard_free(&g);
}

static void test_sip_parse_table(void **state)
{
	(void)state;
	for (size_t l = 0; l < PN_ARRAY_SIZE(levels); l++) {
		int got = pn_sip_simd_select(levels[l]);
		for (size_t i = 0; i < PN_ARRAY_SIZE(cases); i++)
			run_case(&cases[i], got);
	}
	pn_sip_simd_select(-1);
}

/* ------------------------------------------------------------------------------------------ */
/* Truncated prefixes                                                                          */

static const char invite[] =
    "INVITE sip:+8613900000001@198.18.0.1:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:+8613800000001@198.18.0.10;user=phone>;tag=1928301774\r\n"
    "To: <sip:+8613900000001@198.18.0.1;user=phone>\r\n"
    "Call-ID: a84b4c76e66710@198.18.0.10\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:+8613800000001@198.18.0.10:5060;transport=udp>\r\n"
    "P-Asserted-Identity: \"Alice\" <sip:+8613800000001@198.18.0.10;user=phone>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 116\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.18.0.10\r\n"
    "s=-\r\n"
    "c=IN IP4 198.18.0.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 8 0\r\n";

static void test_sip_parse_truncated_prefixes(void **state)
{
	(void)state;
	size_t n = sizeof(invite) - 1;
	for (size_t l = 0; l < PN_ARRAY_SIZE(levels); l++) {
		pn_sip_simd_select(levels[l]);
		for (size_t k = 0; k <= n; k++) {
			struct guarded g = guard_copy(invite, k);
			struct pn_sip_header h[PN_SIP_MAX_HEADERS];
			struct pn_sip_msg m;
			int r = pn_sip_parse(&m, g.p, k, PN_SIP_STREAM, h, PN_ARRAY_SIZE(h));
			if (k < n && r != PN_INCOMPLETE)
				fail_msg("stream prefix %zu: %d, want INCOMPLETE (%s)", k, r,
				         m.err.what);
			if (k == n)
				assert_int_equal(r, (int)n);
			r = pn_sip_parse(&m, g.p, k, PN_SIP_DATAGRAM, h, PN_ARRAY_SIZE(h));
			if (k < n) {
				if (r != PN_EPARSE)
					fail_msg("datagram prefix %zu: %d, want EPARSE", k, r);
				assert_true(m.err.code == PN_SIP_E_TRUNCATED ||
				            m.err.code == PN_SIP_E_BODY_SHORT ||
				            m.err.code == PN_SIP_E_START_LINE);
			} else {
				assert_int_equal(r, (int)n);
				assert_int_equal(pn_sip_validate(&m, NULL), 0);
			}
			guard_free(&g);
		}
	}
	pn_sip_simd_select(-1);
}

/* ------------------------------------------------------------------------------------------ */
/* Structured views                                                                            */

static void test_sip_parse_invite_routing_headers(void **state)
{
	(void)state;
	size_t n = sizeof(invite) - 1;
	struct guarded g = guard_copy(invite, n);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	assert_int_equal(pn_sip_parse(&m, g.p, n, PN_SIP_DATAGRAM, h, PN_ARRAY_SIZE(h)), (int)n);
	assert_true(m.is_request);
	assert_int_equal(m.method_id, PN_SIP_M_INVITE);
	assert_span(m.method, "INVITE");
	assert_span(m.ruri, "sip:+8613900000001@198.18.0.1:5060;user=phone");
	assert_int_equal(m.nhdrs, 10);
	assert_int_equal(m.content_length, 116);
	assert_int_equal(m.body.len, 116);
	assert_true(memcmp(m.body.p, "v=0\r\n", 5) == 0);
	assert_int_equal(m.count[PN_SIP_H_VIA], 1);
	assert_span(pn_sip_hdr_value(&m, PN_SIP_H_CALL_ID), "a84b4c76e66710@198.18.0.10");
	assert_span(pn_sip_hdr_value(&m, PN_SIP_H_CONTENT_TYPE), "application/sdp");
	assert_null(pn_sip_hdr_first(&m, PN_SIP_H_ROUTE));
	assert_ptr_equal(pn_sip_hdr_find(&m, "call-id", 7), pn_sip_hdr_first(&m, PN_SIP_H_CALL_ID));
	assert_ptr_equal(pn_sip_hdr_find(&m, "i", 1), pn_sip_hdr_first(&m, PN_SIP_H_CALL_ID));

	struct pn_sip_core c;
	struct pn_sip_error e;
	assert_int_equal(pn_sip_core_parse(&m, &c, &e), 0);
	assert_span(c.via.transport, "UDP");
	assert_span(c.via.protocol, "SIP/2.0/UDP");
	assert_span(c.via.host, "198.18.0.10");
	assert_int_equal(c.via.port, 5060);
	assert_span(c.via.branch, "z9hG4bK776asdhds");
	assert_true(c.via.has_rport);
	assert_int_equal(c.via.rport, 0);
	assert_null(c.via.received.p);
	assert_int_equal(c.nvia, 1);
	assert_span(c.from.display, "\"Alice\"");
	assert_span(c.from.uri, "sip:+8613800000001@198.18.0.10;user=phone");
	assert_span(c.from.tag, "1928301774");
	assert_null(c.to.tag.p);
	assert_span(c.call_id, "a84b4c76e66710@198.18.0.10");
	assert_int_equal(c.cseq.seq, 314159);
	assert_int_equal(c.cseq.method_id, PN_SIP_M_INVITE);
	assert_int_equal(c.max_forwards, 70);
	assert_span(c.contact.uri, "sip:+8613800000001@198.18.0.10:5060;transport=udp");
	assert_span(c.pai.uri, "sip:+8613800000001@198.18.0.10;user=phone");

	struct pn_sip_uri u;
	assert_int_equal(pn_sip_uri_parse(m.ruri, &u), 0);
	assert_int_equal(u.scheme, PN_SIP_URI_SIP);
	assert_span(u.user, "+8613900000001");
	assert_span(u.host, "198.18.0.1");
	assert_int_equal(u.port, 5060);
	assert_span(u.params, ";user=phone");
	struct pn_span v;
	assert_int_equal(pn_sip_param_find(u.params, "USER", &v), 1);
	assert_span(v, "phone");
	guard_free(&g);
}

/* RFC 4475 3.1.1.1 wsinv, written out: odd whitespace, folding, escapes, compact forms. */
static void test_sip_parse_torture_wsinv(void **state)
{
	(void)state;
	static const char wsinv[] =
	    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"
	    "TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
	    "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n"
	    "  tag = 98asjd8\r\n"
	    "MaX-fOrWaRdS: 0068\r\n"
	    "Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
	    "Content-Length   : 150\r\n"
	    "cseq: 0009\r\n  INVITE\r\n"
	    "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;rport;branch=390skdjuw\r\n"
	    "s :\r\n"
	    "NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
	    "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Route:\r\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n"
	    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n"
	    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239\r\n"
	    "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"
	    "      newvalue ;\r\n  secondparam ; q = 0.33\r\n"
	    "\r\n"
	    "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\n"
	    "t=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n";
	size_t n = sizeof(wsinv) - 1;
	struct guarded g = guard_copy(wsinv, n);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	assert_int_equal(pn_sip_parse(&m, g.p, n, PN_SIP_DATAGRAM, h, PN_ARRAY_SIZE(h)), (int)n);
	assert_int_equal(m.body.len, 150);
	struct pn_sip_error e;
	assert_int_equal(pn_sip_validate(&m, &e), 0);
	struct pn_sip_core c;
	assert_int_equal(pn_sip_core_parse(&m, &c, &e), 0);
	assert_span(c.to.uri, "sip:vivekg@chair-dnrc.example.com");
	assert_false(c.to.bracketed);
	assert_span(c.to.tag, "1918181833n");
	assert_span(c.from.uri, "sip:jdrosen@example.com");
	assert_span(c.from.tag, "98asjd8");
	char dn[64];
	int dl = pn_sip_unquote(c.from.display, dn, sizeof(dn));
	assert_int_equal(dl, (int)strlen("J Rosenberg \\\""));
	assert_memory_equal(dn, "J Rosenberg \\\"", (size_t)dl);
	assert_int_equal(c.max_forwards, 68);
	assert_int_equal(c.cseq.seq, 9);
	assert_span(c.cseq.method, "INVITE");
	assert_int_equal(c.nvia, 3);
	assert_span(c.via.host, "192.0.2.2");
	assert_span(c.via.branch, "390skdjuw");
	assert_span(c.via.transport, "UDP");
	struct pn_sip_iter it = {0};
	struct pn_sip_via via;
	assert_int_equal(pn_sip_via_next(&m, &it, &via), 1);
	assert_int_equal(pn_sip_via_next(&m, &it, &via), 1);
	assert_span(via.transport, "TCP");
	assert_span(via.host, "spindle.example.com");
	assert_span(via.branch, "z9hG4bK9ikj8");
	assert_int_equal(pn_sip_via_next(&m, &it, &via), 1);
	assert_span(via.host, "192.168.255.111");
	assert_span(via.branch, "z9hG4bK30239");
	assert_int_equal(pn_sip_via_next(&m, &it, &via), 0);
	/* s is the compact Subject, empty */
	const struct pn_sip_header *s = pn_sip_hdr_first(&m, PN_SIP_H_SUBJECT);
	assert_non_null(s);
	assert_int_equal(s->value.len, 0);
	const struct pn_sip_header *nf = pn_sip_hdr_find(&m, "newfangledheader", 16);
	assert_non_null(nf);
	assert_true(nf->folded);
	assert_span(nf->value, "newfangled value\r\n continued newfangled value");
	assert_span(c.contact.uri, "sip:jdrosen@example.com");
	struct pn_span v;
	assert_int_equal(pn_sip_param_find(c.contact.params, "newparam", &v), 1);
	assert_span(v, "newvalue");
	assert_int_equal(pn_sip_param_find(c.contact.params, "secondparam", &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(pn_sip_param_find(c.contact.params, "q", &v), 1);
	assert_span(v, "0.33");
	/* the header line of a folded header covers its continuation lines */
	const struct pn_sip_header *to = pn_sip_hdr_first(&m, PN_SIP_H_TO);
	assert_int_equal(
	    to->raw_len,
	    strlen("TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"));
	guard_free(&g);
}

static void test_sip_parse_compact_ipv6_lists(void **state)
{
	(void)state;
	static const char msg[] =
	    "INVITE sip:user@[2001:db8::10]:5070;transport=udp SIP/2.0\r\n"
	    "v: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111;received=2001:db8::9:255, "
	    "SIP/2.0/UDP 198.18.0.5:5062;branch=z9hG4bK2;rport=5062\r\n"
	    "i: cmpct.1@[2001:db8::9:1]\r\n"
	    "f: \"Caller, the \\\"first\\\"\" <sip:caller@example.com>;tag=cmpct1\r\n"
	    "t: tel:+12015550123\r\n"
	    "CSeq: 8 INVITE\r\n"
	    "m: <sip:caller@[2001:db8::9:1]>, \"B, x\" <sips:b@h>;q=0.1\r\n"
	    "Contact: <sip:third@h>\r\n"
	    "Diversion: <tel:+12015550100>;reason=unconditional\r\n"
	    "l: 0\r\n\r\n";
	size_t n = sizeof(msg) - 1;
	struct guarded g = guard_copy(msg, n);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	assert_int_equal(pn_sip_parse(&m, g.p, n, PN_SIP_STREAM, h, PN_ARRAY_SIZE(h)), (int)n);
	struct pn_sip_error e;
	assert_int_equal(pn_sip_validate(&m, &e), 0);
	struct pn_sip_uri u;
	assert_int_equal(pn_sip_uri_parse(m.ruri, &u), 0);
	assert_true(u.ipv6);
	assert_span(u.host, "[2001:db8::10]");
	assert_int_equal(u.port, 5070);
	struct pn_sip_core c;
	assert_int_equal(pn_sip_core_parse(&m, &c, &e), 0);
	assert_int_equal(c.nvia, 2);
	assert_span(c.via.host, "[2001:db8::9:1]");
	assert_int_equal(c.via.port, 0);
	assert_span(c.via.received, "2001:db8::9:255");
	assert_span(c.from.display, "\"Caller, the \\\"first\\\"\"");
	assert_span(c.from.tag, "cmpct1");
	assert_span(c.to.uri, "tel:+12015550123");
	assert_int_equal(pn_sip_uri_parse(c.to.uri, &u), 0);
	assert_int_equal(u.scheme, PN_SIP_URI_TEL);
	assert_span(u.user, "+12015550123");
	assert_span(c.call_id, "cmpct.1@[2001:db8::9:1]");
	/* Contact: three values over two lines, a comma inside quotes is not a separator */
	struct pn_sip_iter it = {0};
	struct pn_span s;
	const char *want[] = {"<sip:caller@[2001:db8::9:1]>", "\"B, x\" <sips:b@h>;q=0.1",
	                      "<sip:third@h>"};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pn_sip_list_next(&m, PN_SIP_H_CONTACT, &it, &s), 1);
		assert_span(s, want[i]);
	}
	assert_int_equal(pn_sip_list_next(&m, PN_SIP_H_CONTACT, &it, &s), 0);
	struct pn_sip_iter vi = {0};
	struct pn_sip_via via;
	assert_int_equal(pn_sip_via_next(&m, &vi, &via), 1);
	assert_int_equal(pn_sip_via_next(&m, &vi, &via), 1);
	assert_int_equal(via.port, 5062);
	assert_true(via.has_rport);
	assert_int_equal(via.rport, 5062);
	struct pn_sip_nameaddr na;
	assert_int_equal(pn_sip_nameaddr_parse(pn_sip_hdr_value(&m, PN_SIP_H_DIVERSION), &na), 0);
	assert_span(na.uri, "tel:+12015550100");
	struct pn_span v;
	assert_int_equal(pn_sip_param_find(na.params, "reason", &v), 1);
	assert_span(v, "unconditional");
	guard_free(&g);
}

static void test_sip_parse_too_many_headers(void **state)
{
	(void)state;
	char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s", OK_INV);
	for (int i = 0; i < 130; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-H%d: %d\r\n", i, i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "l: 0\r\n\r\n");
	struct guarded g = guard_copy(buf, n);
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	assert_int_equal(pn_sip_parse(&m, g.p, n, PN_SIP_DATAGRAM, h, PN_ARRAY_SIZE(h)), PN_EPARSE);
	assert_int_equal(m.err.code, PN_SIP_E_TOO_MANY_HEADERS);
	assert_int_equal(m.nhdrs, PN_SIP_MAX_HEADERS);
	/* a bigger array takes it */
	struct pn_sip_header big[200];
	assert_int_equal(pn_sip_parse(&m, g.p, n, PN_SIP_DATAGRAM, big, 200), (int)n);
	assert_int_equal(m.nhdrs, 6 + 130 + 1);
	assert_int_equal(m.count[PN_SIP_H_OTHER], 130);
	const struct pn_sip_header *x = pn_sip_hdr_find(&m, "x-h129", 6);
	assert_non_null(x);
	assert_span(x->value, "129");
	guard_free(&g);
}

static void test_sip_hdr_lookup_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum pn_sip_hdr id;
	} t[] = {
	    {"Via", PN_SIP_H_VIA},
	    {"vIA", PN_SIP_H_VIA},
	    {"v", PN_SIP_H_VIA},
	    {"V", PN_SIP_H_VIA},
	    {"f", PN_SIP_H_FROM},
	    {"t", PN_SIP_H_TO},
	    {"i", PN_SIP_H_CALL_ID},
	    {"CALL-ID", PN_SIP_H_CALL_ID},
	    {"m", PN_SIP_H_CONTACT},
	    {"l", PN_SIP_H_CONTENT_LENGTH},
	    {"c", PN_SIP_H_CONTENT_TYPE},
	    {"k", PN_SIP_H_SUPPORTED},
	    {"s", PN_SIP_H_SUBJECT},
	    {"e", PN_SIP_H_CONTENT_ENCODING},
	    {"o", PN_SIP_H_EVENT},
	    {"r", PN_SIP_H_REFER_TO},
	    {"u", PN_SIP_H_ALLOW_EVENTS},
	    {"x", PN_SIP_H_SESSION_EXPIRES},
	    {"b", PN_SIP_H_REFERRED_BY},
	    {"CSeq", PN_SIP_H_CSEQ},
	    {"max-forwards", PN_SIP_H_MAX_FORWARDS},
	    {"Record-Route", PN_SIP_H_RECORD_ROUTE},
	    {"ROUTE", PN_SIP_H_ROUTE},
	    {"p-asserted-identity", PN_SIP_H_P_ASSERTED_IDENTITY},
	    {"Diversion", PN_SIP_H_DIVERSION},
	    {"content-length", PN_SIP_H_CONTENT_LENGTH},
	    {"Contentlength", PN_SIP_H_OTHER},
	    {"Vias", PN_SIP_H_OTHER},
	    {"z", PN_SIP_H_OTHER},
	    {"X-Foo", PN_SIP_H_OTHER},
	    {"To ", PN_SIP_H_OTHER},
	    {"", PN_SIP_H_OTHER},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++)
		if (pn_sip_hdr_lookup(t[i].name, strlen(t[i].name)) != t[i].id)
			fail_msg("lookup %s", t[i].name);
	for (int id = 1; id < PN_SIP_H__COUNT; id++) {
		const char *nm = pn_sip_hdr_name((enum pn_sip_hdr)id);
		assert_int_equal(pn_sip_hdr_lookup(nm, strlen(nm)), id);
		char cf = pn_sip_hdr_compact((enum pn_sip_hdr)id);
		if (cf)
			assert_int_equal(pn_sip_hdr_lookup(&cf, 1), id);
	}
	for (int mth = 1; mth < PN_SIP_M__COUNT; mth++) {
		const char *nm = pn_sip_method_name((enum pn_sip_method)mth);
		assert_int_equal(pn_sip_method_lookup(nm, strlen(nm)), mth);
	}
	assert_int_equal(pn_sip_method_lookup("invite", 6), PN_SIP_M_OTHER);
	assert_string_equal(pn_sip_strerror(PN_SIP_E_NUL), "NUL byte in header section");
	assert_non_null(pn_sip_strerror((enum pn_sip_errcode)999));
}

struct ucase {
	const char *name;
	const char *in;
	int ret;
	enum pn_sip_scheme scheme;
	const char *user, *password, *host;
	uint16_t port;
	const char *params, *headers;
};

static void test_sip_uri_parse_table(void **state)
{
	(void)state;
	static const struct ucase t[] = {
	    {"plain", "sip:alice@example.com", 0, PN_SIP_URI_SIP, "alice", NULL, "example.com", 0,
	     NULL, NULL},
	    {"full", "sips:a:secret@10.0.0.1:5061;transport=tcp;lr?subject=x&h=y", 0,
	     PN_SIP_URI_SIPS, "a", "secret", "10.0.0.1", 5061, ";transport=tcp;lr",
	     "subject=x&h=y"},
	    {"no_user", "sip:example.com;lr", 0, PN_SIP_URI_SIP, NULL, NULL, "example.com", 0,
	     ";lr", NULL},
	    {"ipv6", "sip:[2001:db8::1]:5060", 0, PN_SIP_URI_SIP, NULL, NULL, "[2001:db8::1]", 5060,
	     NULL, NULL},
	    {"escaped_user", "sip:sip%3Auser%40example.com@example.net", 0, PN_SIP_URI_SIP,
	     "sip%3Auser%40example.com", NULL, "example.net", 0, NULL, NULL},
	    {"user_with_semicolon", "sip:+1-212-555-1212;npdi@h", 0, PN_SIP_URI_SIP,
	     "+1-212-555-1212;npdi", NULL, "h", 0, NULL, NULL},
	    {"upper_scheme", "SIP:a@B.example", 0, PN_SIP_URI_SIP, "a", NULL, "B.example", 0, NULL,
	     NULL},
	    {"tel", "tel:+8613800000000;phone-context=+86", 0, PN_SIP_URI_TEL, "+8613800000000",
	     NULL, NULL, 0, ";phone-context=+86", NULL},
	    {"other_scheme", "nobodyKnowsThisScheme:totallyopaquecontent", 0, PN_SIP_URI_OTHER,
	     NULL, NULL, NULL, 0, NULL, NULL},
	    {"port_overflow", "sip:a@h:65536", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"port_empty", "sip:a@h:", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"empty_user", "sip:@h", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"no_host", "sip:a@", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"unclosed_v6", "sip:[2001:db8::1", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"space", "sip:a b@h", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"no_scheme", "alice@example.com", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"empty", "", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"garbage_after_host", "sip:a@h/x", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	    {"empty_tel", "tel:", PN_EPARSE, 0, NULL, NULL, NULL, 0, NULL, NULL},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++) {
		size_t n = strlen(t[i].in);
		struct guarded g = guard_copy(t[i].in, n);
		struct pn_sip_uri u;
		int r = pn_sip_uri_parse(pn_span_make(g.p, n), &u);
		if (r != t[i].ret)
			fail_msg("uri %s: %d", t[i].name, r);
		if (r == 0) {
			if (u.scheme != t[i].scheme)
				fail_msg("uri %s: scheme %d", t[i].name, u.scheme);
			const char *want[] = {t[i].user, t[i].password, t[i].host, t[i].params,
			                      t[i].headers};
			struct pn_span got[] = {u.user, u.password, u.host, u.params, u.headers};
			for (int k = 0; k < 5; k++) {
				if (want[k] ? !span_is(got[k], want[k]) : got[k].p != NULL)
					fail_msg("uri %s: field %d is '%.*s'", t[i].name, k,
					         (int)got[k].len, got[k].p ? got[k].p : "");
			}
			assert_int_equal(u.port, t[i].port);
		}
		guard_free(&g);
	}
}

static void test_sip_nameaddr_and_lists(void **state)
{
	(void)state;
	struct pn_sip_nameaddr na;
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("*"), &na), 0);
	assert_true(na.star);
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("Bob Smith <sip:b@h>;tag=x;foo"), &na),
	                 0);
	assert_span(na.display, "Bob Smith");
	assert_span(na.tag, "x");
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("sip:b@h;tag=y"), &na), 0);
	assert_span(na.uri, "sip:b@h");
	assert_span(na.tag, "y");
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("<sip:b@h"), &na), PN_EPARSE);
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("\"x <sip:b@h>"), &na), PN_EPARSE);
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("<sip:b@h> junk"), &na), PN_EPARSE);
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("<sip:b@h>;tag="), &na), PN_EPARSE);
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT("<>"), &na), PN_EPARSE);
	assert_int_equal(pn_sip_nameaddr_parse(PN_SPAN_LIT(""), &na), PN_EPARSE);

	struct pn_sip_cseq cs;
	assert_int_equal(pn_sip_cseq_parse(PN_SPAN_LIT("  42\r\n ACK "), &cs), 0);
	assert_int_equal(cs.seq, 42);
	assert_int_equal(cs.method_id, PN_SIP_M_ACK);
	assert_int_equal(pn_sip_cseq_parse(PN_SPAN_LIT("42INVITE"), &cs), PN_EPARSE);
	assert_int_equal(pn_sip_cseq_parse(PN_SPAN_LIT("42 INVITE x"), &cs), PN_EPARSE);
	assert_int_equal(pn_sip_cseq_parse(PN_SPAN_LIT("99999999999 INVITE"), &cs), PN_EPARSE);

	uint32_t v;
	assert_int_equal(pn_sip_uint_parse(PN_SPAN_LIT(" 0068 "), 255, &v), 0);
	assert_int_equal(v, 68);
	assert_int_equal(pn_sip_uint_parse(PN_SPAN_LIT("4294967296"), 0xffffffffu, &v), PN_EPARSE);
	assert_int_equal(pn_sip_uint_parse(PN_SPAN_LIT("1 2"), 255, &v), PN_EPARSE);
	assert_int_equal(pn_sip_uint_parse(PN_SPAN_LIT(""), 255, &v), PN_EPARSE);

	struct pn_span p;
	assert_int_equal(pn_sip_param_find(PN_SPAN_LIT("lr;transport=TCP;x=\"a;b\""), "x", &p), 1);
	assert_span(p, "\"a;b\"");
	assert_int_equal(pn_sip_param_find(PN_SPAN_LIT(";lr;transport=TCP"), "lr", &p), 1);
	assert_int_equal(p.len, 0);
	assert_int_equal(pn_sip_param_find(PN_SPAN_LIT(";lr;transport=TCP"), "maddr", &p), 0);

	char out[8];
	assert_int_equal(pn_sip_unquote(PN_SPAN_LIT("\"a\\\"b\""), out, sizeof(out)), 3);
	assert_memory_equal(out, "a\"b", 3);
	assert_int_equal(pn_sip_unquote(PN_SPAN_LIT("\"abc"), out, sizeof(out)), PN_EPARSE);
	assert_int_equal(pn_sip_unquote(PN_SPAN_LIT("\"0123456789\""), out, sizeof(out)), PN_EFULL);

	/* unterminated quote in a list */
	static const char msg[] = OK_INV "Contact: \"open <sip:a@b>" CRLF "l: 0" CRLF CRLF;
	struct pn_sip_header h[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	assert_int_equal(pn_sip_parse(&m, msg, sizeof(msg) - 1, 0, h, PN_ARRAY_SIZE(h)),
	                 (int)sizeof(msg) - 1);
	struct pn_sip_iter it = {0};
	struct pn_span s;
	assert_int_equal(pn_sip_list_next(&m, PN_SIP_H_CONTACT, &it, &s), PN_EPARSE);
	assert_int_equal(pn_sip_list_next(&m, PN_SIP_H_CONTACT, &it, &s), 0);
	struct pn_sip_core c;
	struct pn_sip_error e;
	assert_int_equal(pn_sip_core_parse(&m, &c, &e), PN_EPARSE);
	assert_int_equal(e.code, PN_SIP_E_NAMEADDR);
	assert_int_equal(e.hdr, PN_SIP_H_CONTACT);
}

/* All scanning implementations agree on every header of every corpus message. */
static void test_sip_parse_simd_levels_agree(void **state)
{
	(void)state;
	static const char *files[] = {"invite_sdp.sip",           "200_ok_sdp.sip",
	                              "torture_wsinv.sip",        "register.sip",
	                              "torture_compact_ipv6.sip", "ack.sip"};
	for (size_t f = 0; f < PN_ARRAY_SIZE(files); f++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", PN_SIP_CORPUS, files[f]);
		size_t n;
		char *data = slurp(path, &n);
		if (!data)
			fail_msg("cannot read %s", path);
		struct guarded g = guard_copy(data, n);
		struct pn_sip_header h0[PN_SIP_MAX_HEADERS], h1[PN_SIP_MAX_HEADERS];
		struct pn_sip_msg m0, m1;
		pn_sip_simd_select(0);
		int r0 = pn_sip_parse(&m0, g.p, n, PN_SIP_DATAGRAM, h0, PN_SIP_MAX_HEADERS);
		assert_int_equal(r0, (int)n);
		for (int l = 1; l <= 2; l++) {
			pn_sip_simd_select(l);
			int r1 = pn_sip_parse(&m1, g.p, n, PN_SIP_DATAGRAM, h1, PN_SIP_MAX_HEADERS);
			assert_int_equal(r1, r0);
			assert_int_equal(m1.nhdrs, m0.nhdrs);
			for (unsigned k = 0; k < m0.nhdrs; k++) {
				assert_ptr_equal(h1[k].name.p, h0[k].name.p);
				assert_int_equal(h1[k].value.len, h0[k].value.len);
				assert_int_equal(h1[k].raw_len, h0[k].raw_len);
				assert_int_equal(h1[k].id, h0[k].id);
			}
		}
		assert_int_equal(pn_sip_validate(&m0, NULL), 0);
		guard_free(&g);
		free(data);
	}
	pn_sip_simd_select(-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sip_parse_table),
	    cmocka_unit_test(test_sip_parse_truncated_prefixes),
	    cmocka_unit_test(test_sip_parse_invite_routing_headers),
	    cmocka_unit_test(test_sip_parse_torture_wsinv),
	    cmocka_unit_test(test_sip_parse_compact_ipv6_lists),
	    cmocka_unit_test(test_sip_parse_too_many_headers),
	    cmocka_unit_test(test_sip_hdr_lookup_names),
	    cmocka_unit_test(test_sip_uri_parse_table),
	    cmocka_unit_test(test_sip_nameaddr_and_lists),
	    cmocka_unit_test(test_sip_parse_simd_levels_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
