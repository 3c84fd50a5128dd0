/*
 * sip_parse.c: SIP parse benchmark (bench_sip_parse): messages/s per core for
 *   locate  - pn_sip_parse: start line, every header split and classified, Content-Length,
 *             body located; then the routing headers fetched by id (what the router touches);
 *   core    - locate + pn_sip_core_parse (top Via with branch/rport, From/To with tags,
 *             Call-ID, CSeq, Max-Forwards, Contact, PAI parsed into structures);
 *   full    - locate + pn_sip_validate + every structured header: all Via values, every value
 *             of every name-addr header with its URI, CSeq, Max-Forwards, the Request-URI;
 *   naive   - a plain byte-by-byte header-split loop (find ':' and LF, strncasecmp the names
 *             the router needs), the baseline a hand-written router would start from;
 *   sofia   - Sofia-SIP msg_make() + sip_object() (parses every known header), when found;
 * on a ~900-byte INVITE with SDP, a ~400-byte 200 OK and an ACK. Prints messages/s and the
 * ratios ours/Sofia and ours/naive. Single thread; time is the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), best of 5 rounds, so preemption by other work is not counted.
 *
 * Usage: bench_sip_parse [--seconds S] [--iterations N --case NAME --msg MSG]
 * With --iterations only that case runs exactly N times (for valgrind --tool=callgrind, see
 * bench/sip_parse.sh which turns the instruction counts into instructions per message).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pn_sip.h"

#ifdef PN_HAVE_SOFIA
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#endif

static const char invite[] =
    "INVITE sip:+8613900000001@198.18.0.1:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:+8613800000001@198.18.0.10;user=phone>;tag=1928301774\r\n"
    "To: <sip:+8613900000001@198.18.0.1;user=phone>\r\n"
    "Call-ID: a84b4c76e66710@198.18.0.10\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:+8613800000001@198.18.0.10:5060;transport=udp>\r\n"
    "P-Asserted-Identity: <sip:+8613800000001@198.18.0.10;user=phone>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO\r\n"
    "Supported: 100rel, timer\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "User-Agent: privnum-test/1.0\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 240\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.18.0.10\r\n"
    "s=-\r\n"
    "c=IN IP4 198.18.0.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 8 0 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

static const char ok200[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKnashds10;rport=5060;received=198.18.0.10\r\n"
    "From: <sip:+8613800000001@198.18.0.10;user=phone>;tag=1928301774\r\n"
    "To: <sip:+8613900000001@198.18.0.1;user=phone>;tag=a6c85cf\r\n"
    "Call-ID: a84b4c76e66710@198.18.0.10\r\n"
    "CSeq: 314161 BYE\r\n"
    "Contact: <sip:+8613900000001@198.18.0.1:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
    "Server: privnum-test/1.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char ack[] =
    "ACK sip:+8613900000001@198.18.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhdt;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:+8613800000001@198.18.0.10;user=phone>;tag=1928301774\r\n"
    "To: <sip:+8613900000001@198.18.0.1;user=phone>;tag=a6c85cf\r\n"
    "Call-ID: a84b4c76e66710@198.18.0.10\r\n"
    "CSeq: 314159 ACK\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

struct bmsg {
	const char *name;
	const char *p;
	size_t len;
};

static const struct bmsg msgs[] = {
    {"invite", invite, sizeof(invite) - 1},
    {"200ok", ok200, sizeof(ok200) - 1},
    {"ack", ack, sizeof(ack) - 1},
};

static volatile uint64_t sink;

/* --- ours ------------------------------------------------------------------------------- */

static struct pn_sip_header hdrs[PN_SIP_MAX_HEADERS];

__attribute__((noinline)) static int one_locate(const struct bmsg *b)
{
	struct pn_sip_msg m;
	int r = pn_sip_parse(&m, b->p, b->len, PN_SIP_DATAGRAM, hdrs, PN_SIP_MAX_HEADERS);
	if (r < 0)
		return -1;
	/* what the router touches: the routing headers' spans and the body */
	uint64_t acc = (uint64_t)r + m.body.len + m.ruri.len;
	static const enum pn_sip_hdr want[] = {PN_SIP_H_VIA,  PN_SIP_H_FROM,
	                                       PN_SIP_H_TO,   PN_SIP_H_CALL_ID,
	                                       PN_SIP_H_CSEQ, PN_SIP_H_P_ASSERTED_IDENTITY};
	for (size_t i = 0; i < PN_ARRAY_SIZE(want); i++)
		acc += pn_sip_hdr_value(&m, want[i]).len;
	sink += acc;
	return 0;
}

__attribute__((noinline)) static int one_core(const struct bmsg *b)
{
	struct pn_sip_msg m;
	struct pn_sip_core c;
	if (pn_sip_parse(&m, b->p, b->len, PN_SIP_DATAGRAM, hdrs, PN_SIP_MAX_HEADERS) < 0 ||
	    pn_sip_core_parse(&m, &c, NULL) < 0)
		return -1;
	sink += c.via.branch.len + c.from.tag.len + c.call_id.len + c.cseq.seq + m.body.len;
	return 0;
}

__attribute__((noinline)) static int one_full(const struct bmsg *b)
{
	/* Every structured header of the list parsed once: all Via values, From/To/Contact/
	 * PAI/Route/Record-Route/Diversion as name-addr with their URI, CSeq, Max-Forwards,
	 * Content-Length (in parse), Content-Type, and the Request-URI. */
	struct pn_sip_msg m;
	struct pn_sip_core c;
	if (pn_sip_parse(&m, b->p, b->len, PN_SIP_DATAGRAM, hdrs, PN_SIP_MAX_HEADERS) < 0 ||
	    pn_sip_core_parse(&m, &c, NULL) < 0)
		return -1;
	uint64_t acc = c.cseq.seq + (uint64_t)c.max_forwards;
	struct pn_sip_uri u;
	const struct pn_sip_nameaddr *core_na[] = {&c.from, &c.to, &c.contact, &c.pai};
	for (size_t k = 0; k < PN_ARRAY_SIZE(core_na); k++)
		if (core_na[k]->uri.p && pn_sip_uri_parse(core_na[k]->uri, &u) == 0)
			acc += u.host.len;
	/* Via values after the top one (core parsed the top one) */
	struct pn_sip_iter it = {0};
	struct pn_sip_via via;
	struct pn_span s;
	if (pn_sip_list_next(&m, PN_SIP_H_VIA, &it, &s) > 0)
		while (pn_sip_via_next(&m, &it, &via) > 0)
			acc += via.branch.len;
	/* further Contact / PAI values and the route set and Diversion */
	static const enum pn_sip_hdr more[] = {PN_SIP_H_CONTACT, PN_SIP_H_P_ASSERTED_IDENTITY,
	                                       PN_SIP_H_ROUTE, PN_SIP_H_RECORD_ROUTE,
	                                       PN_SIP_H_DIVERSION};
	for (size_t k = 0; k < PN_ARRAY_SIZE(more); k++) {
		struct pn_sip_iter li = {0};
		int first = k < 2; /* core parsed the first Contact and PAI value */
		while (pn_sip_list_next(&m, more[k], &li, &s) > 0) {
			if (first) {
				first = 0;
				continue;
			}
			struct pn_sip_nameaddr na;
			if (pn_sip_nameaddr_parse(s, &na) == 0 && pn_sip_uri_parse(na.uri, &u) == 0)
				acc += u.host.len + na.tag.len;
		}
	}
	if (m.is_request && pn_sip_uri_parse(m.ruri, &u) == 0)
		acc += u.port;
	acc += pn_sip_hdr_value(&m, PN_SIP_H_CONTENT_TYPE).len;
	sink += acc;
	return 0;
}

/* --- naive baseline ---------------------------------------------------------------------- */

__attribute__((noinline)) static int one_naive(const struct bmsg *b)
{
	static const char *const names[] = {
	    "via", "from", "to", "call-id", "cseq", "content-length", "v", "f", "t", "i", "l"};
	const char *p = b->p, *end = b->p + b->len;
	uint64_t acc = 0;
	long clen = -1;
	/* start line */
	while (p < end && *p != '\n')
		p++;
	if (p >= end)
		return -1;
	p++;
	for (;;) {
		if (p >= end)
			return -1;
		if (*p == '\r' && p + 1 < end && p[1] == '\n') {
			p += 2;
			break;
		}
		const char *ls = p;
		while (p < end && *p != ':' && *p != '\n')
			p++;
		if (p >= end || *p != ':')
			return -1;
		size_t nlen = (size_t)(p - ls);
		while (nlen && (ls[nlen - 1] == ' ' || ls[nlen - 1] == '\t'))
			nlen--;
		const char *vs = p + 1;
		while (p < end && *p != '\n')
			p++;
		if (p >= end)
			return -1;
		const char *ve = p;
		p++;
		for (size_t i = 0; i < PN_ARRAY_SIZE(names); i++) {
			if (strlen(names[i]) == nlen && strncasecmp(ls, names[i], nlen) == 0) {
				acc += (uint64_t)(ve - vs);
				if (i == 5 || i == 10)
					clen = strtol(vs, NULL, 10);
				break;
			}
		}
	}
	if (clen < 0 || clen > end - p)
		return -1;
	sink += acc + (uint64_t)clen;
	return 0;
}

/* --- Sofia-SIP --------------------------------------------------------------------------- */

#ifdef PN_HAVE_SOFIA
__attribute__((noinline)) static int one_sofia(const struct bmsg *b)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, b->p, (isize_t)b->len);
	if (!msg)
		return -1;
	sip_t *sip = sip_object(msg);
	int ok = sip && sip->sip_via && sip->sip_from && sip->sip_to && sip->sip_call_id &&
	         sip->sip_cseq;
	if (ok)
		sink += strlen(sip->sip_via->v_branch ? sip->sip_via->v_branch : "") +
		        sip->sip_cseq->cs_seq;
	msg_destroy(msg);
	return ok ? 0 : -1;
}
#endif

/* --- driver ------------------------------------------------------------------------------ */

typedef int (*one_fn)(const struct bmsg *);

struct bcase {
	const char *name;
	one_fn fn;
};

static const struct bcase bcases[] = {
    {"locate", one_locate}, {"core", one_core}, {"full", one_full}, {"naive", one_naive},
#ifdef PN_HAVE_SOFIA
    {"sofia", one_sofia},
#endif
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of 5 rounds of `secs/5` seconds each: messages per second. */
static double measure(one_fn fn, const struct bmsg *b, double secs)
{
	double best = 0;
	for (int round = 0; round < 5; round++) {
		uint64_t n = 0;
		double t0 = now_s(), t;
		do {
			for (int i = 0; i < 256; i++)
				if (fn(b) < 0) {
					fprintf(stderr, "parse failed\n");
					exit(1);
				}
			n += 256;
			t = now_s();
		} while (t - t0 < secs / 5);
		double rate = (double)n / (t - t0);
		if (rate > best)
			best = rate;
	}
	return best;
}

int main(int argc, char **argv)
{
	double secs = 2.5;
	long iterations = -1;
	const char *only_case = NULL, *only_msg = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iterations = atol(argv[++i]);
		else if (!strcmp(argv[i], "--case") && i + 1 < argc)
			only_case = argv[++i];
		else if (!strcmp(argv[i], "--msg") && i + 1 < argc)
			only_msg = argv[++i];
		else {
			fprintf(stderr,
			        "usage: %s [--seconds S] [--iterations N --case C --msg M]\n"
			        "cases: locate core full naive sofia; msgs: invite 200ok ack\n",
			        argv[0]);
			return 2;
		}
	}
	if (iterations >= 0) {
		if (!only_case || !only_msg) {
			fprintf(stderr, "--iterations needs --case and --msg\n");
			return 2;
		}
		for (size_t c = 0; c < PN_ARRAY_SIZE(bcases); c++)
			for (size_t k = 0; k < PN_ARRAY_SIZE(msgs); k++)
				if (!strcmp(bcases[c].name, only_case) &&
				    !strcmp(msgs[k].name, only_msg)) {
					for (long i = 0; i < iterations; i++)
						if (bcases[c].fn(&msgs[k]) < 0)
							return 1;
					return 0;
				}
		fprintf(stderr, "unknown case or message\n");
		return 2;
	}

	int simd = pn_sip_simd_select(-1);
	printf(
	    "bench_sip_parse: one thread, best of 5 rounds over %.1f s per figure; line scan: %s\n",
	    secs,
	    simd == 2   ? "AVX2"
	    : simd == 1 ? "SSE2"
	                : "scalar");
	printf("%-8s %6s %12s %12s %12s %12s %12s %10s %10s\n", "message", "bytes", "locate/s",
	       "core/s", "full/s", "naive/s", "sofia/s", "full/sofia", "loc/naive");
	for (size_t k = 0; k < PN_ARRAY_SIZE(msgs); k++) {
		double r[5] = {0};
		for (size_t c = 0; c < PN_ARRAY_SIZE(bcases); c++)
			r[c] = measure(bcases[c].fn, &msgs[k], secs);
		printf("%-8s %6zu %12.0f %12.0f %12.0f %12.0f %12.0f %10.1f %10.1f\n", msgs[k].name,
		       msgs[k].len, r[0], r[1], r[2], r[3], r[4], r[4] > 0 ? r[2] / r[4] : 0.0,
		       r[0] / r[3]);
		printf("%-8s %6s %12.1f %12.1f %12.1f %12.1f %12.1f   (ns/message)\n", "", "",
		       1e9 / r[0], 1e9 / r[1], 1e9 / r[2], 1e9 / r[3], r[4] > 0 ? 1e9 / r[4] : 0.0);
	}
#ifndef PN_HAVE_SOFIA
	printf("(Sofia-SIP not found at build time: sofia column is 0)\n");
#endif
	return 0;
}
