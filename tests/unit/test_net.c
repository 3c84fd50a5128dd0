/*
 * test_net.c: unit tests of dataplane/io/pn_net (the sans-DPDK network layer) and of the
 * ownership rules in pn_io.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pn_net.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const struct pn_net_mac our_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct pn_net_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const uint32_t our_ip = IP(198, 18, 0, 1);
static const uint32_t peer_ip = IP(198, 18, 0, 2);

static struct pn_net_local local(void)
{
	struct pn_net_local me = {.mac = our_mac, .ips = {IP(198, 18, 0, 1)}, .n_ips = 1};
	return me;
}

/* A UDP frame from peer:4000 to us:5060 carrying payload; returns its length. */
static size_t udp_frame(uint8_t *buf, const char *payload)
{
	size_t n = strlen(payload);
	struct pn_addr s = {peer_ip, 4000}, d = {our_ip, 5060};
	int h = pn_net_udp_build_hdr(buf, &peer_mac, &our_mac, &s, &d, (const uint8_t *)payload, n,
	                             7, 0);
	assert_int_equal(h, PN_NET_HDRS);
	memcpy(buf + h, payload, n);
	return (size_t)h + n;
}

static void test_net_csum_known_vector(void **state)
{
	(void)state;
	/* A classic IPv4 header whose checksum is 0xb861. */
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	assert_int_equal(pn_net_ipv4_csum(h, 20), 0xb861);
	pn_net_wr16(h + 10, 0xb861);
	assert_int_equal(pn_net_ipv4_csum(h, 20), 0);
	/* Odd length: the last byte counts as its high half. */
	uint8_t odd[3] = {0x01, 0x02, 0x03};
	assert_int_equal(pn_net_csum_fold(pn_net_csum_add(0, odd, 3)), (uint16_t)~0x0402);
}

/* The word-at-a-time sum equals the textbook one for every length and alignment. */
static void test_net_csum_matches_reference(void **state)
{
	(void)state;
	uint8_t buf[600];
	uint32_t seed = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len + off <= sizeof(buf); len += (len < 40 ? 1 : 37)) {
			uint64_t ref = 0x1234; /* a running sum carried in */
			for (size_t i = 0; i + 1 < len; i += 2)
				ref += (uint32_t)(buf[off + i] << 8 | buf[off + i + 1]);
			if (len & 1)
				ref += (uint32_t)buf[off + len - 1] << 8;
			uint16_t want =
			    pn_net_csum_fold((uint32_t)(ref & 0xffffffffu) + (uint32_t)(ref >> 32));
			uint16_t got = pn_net_csum_fold(pn_net_csum_add(0x1234, buf + off, len));
			if (want != got)
				fail_msg("off %zu len %zu: %04x != %04x", off, len, got, want);
		}
	}
	/* all-ones input stresses the carries */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(pn_net_csum_fold(pn_net_csum_add(0, buf, sizeof(buf))), 0);
}

static void test_net_udp_roundtrip_and_bad_checksum(void **state)
{
	(void)state;
	struct pn_net_local me = local();
	uint8_t f[256];
	size_t n = udp_frame(f, "OPTIONS sip:x SIP/2.0\r\n\r\n");
	struct pn_net_pkt p;
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_UDP);
	assert_int_equal(p.src_ip, peer_ip);
	assert_int_equal(p.dst_ip, our_ip);
	assert_int_equal(p.src_port, 4000);
	assert_int_equal(p.dst_port, 5060);
	assert_int_equal(p.payload_off, 42);
	assert_int_equal(p.payload_len, n - 42);
	assert_memory_equal(f + p.payload_off, "OPTIONS", 7);

	f[n - 1] ^= 0x20; /* corrupt the payload: UDP checksum fails */
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_UDP_CSUM);
	/* ... unless the port says it verified it */
	assert_int_equal(pn_net_parse(f, n, &me, PN_NET_RX_L4_CSUM_GOOD, &p), PN_NET_UDP);
	f[n - 1] ^= 0x20;

	f[14 + 8] = 1; /* TTL change breaks the IPv4 header checksum */
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_IP_CSUM);
	assert_int_equal(pn_net_parse(f, n, &me, PN_NET_RX_IP_CSUM_GOOD, &p), PN_NET_UDP);

	/* A zero UDP checksum means "none" and is accepted. */
	n = udp_frame(f, "hello");
	pn_net_wr16(f + 40, 0);
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_UDP);
}

static void test_net_parse_not_for_us(void **state)
{
	(void)state;
	struct pn_net_local me = local();
	uint8_t f[256];
	size_t n = udp_frame(f, "x");
	struct pn_net_pkt p;
	f[5] = 0x99; /* another unicast MAC */
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_L2_NOT_US);

	n = udp_frame(f, "x");
	pn_net_wr16(f + 12, 0x86dd); /* IPv6 */
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_ETHERTYPE);

	struct pn_addr s = {peer_ip, 1}, d = {IP(198, 18, 0, 9), 2};
	int h = pn_net_udp_build_hdr(f, &peer_mac, &our_mac, &s, &d, (const uint8_t *)"x", 1, 1, 0);
	f[h] = 'x';
	assert_int_equal(pn_net_parse(f, (size_t)h + 1, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_IP_NOT_US);

	n = udp_frame(f, "x");
	f[14 + 9] = 6; /* TCP */
	pn_net_wr16(f + 24, 0);
	pn_net_wr16(f + 24, pn_net_ipv4_csum(f + 14, 20));
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_IP_PROTO);
}

static void test_net_parse_truncated_prefixes(void **state)
{
	(void)state;
	struct pn_net_local me = local();
	uint8_t f[256];
	size_t n = udp_frame(f, "INVITE sip:1@x SIP/2.0\r\n\r\n");
	for (size_t k = 0; k < n; k++) {
		/* exact-size heap copy so ASan catches any over-read */
		uint8_t *b = malloc(k ? k : 1);
		memcpy(b, f, k);
		struct pn_net_pkt p;
		assert_int_equal(pn_net_parse(b, k, &me, 0, &p), PN_NET_DROP);
		assert_int_equal(p.drop, PN_IO_DROP_RUNT);
		free(b);
	}
}

static void test_net_arp_request_gets_reply(void **state)
{
	(void)state;
	struct pn_net_local me = local();
	uint8_t f[64];
	assert_int_equal(pn_net_arp_build(f, sizeof(f), PN_NET_ARP_OP_REQUEST, &peer_mac, peer_ip,
	                                  NULL, NULL, our_ip),
	                 60);
	struct pn_net_pkt p;
	assert_int_equal(pn_net_parse(f, 60, &me, 0, &p), PN_NET_ARP);
	assert_int_equal(p.arp_op, PN_NET_ARP_OP_REQUEST);
	assert_int_equal(p.arp_spa, peer_ip);
	assert_memory_equal(p.arp_sha.b, peer_mac.b, 6);
	assert_int_equal(pn_net_arp_reply_inplace(f, sizeof(f), &p, &our_mac), 60);
	assert_memory_equal(f, peer_mac.b, 6);
	assert_memory_equal(f + 6, our_mac.b, 6);
	assert_int_equal(pn_net_rd16(f + 20), PN_NET_ARP_OP_REPLY);
	assert_memory_equal(f + 22, our_mac.b, 6);
	assert_int_equal(pn_net_rd32(f + 28), our_ip);
	assert_memory_equal(f + 32, peer_mac.b, 6);
	assert_int_equal(pn_net_rd32(f + 38), peer_ip);
	/* A reply is not answered again. */
	assert_int_equal(pn_net_arp_reply_inplace(
	                     f, sizeof(f), &(struct pn_net_pkt){.kind = 1, .arp_op = 2}, &our_mac),
	                 PN_EINVAL);

	/* A request for someone else's address is not for us; one claiming our IP is refused. */
	pn_net_arp_build(f, sizeof(f), 1, &peer_mac, peer_ip, NULL, NULL, IP(198, 18, 0, 77));
	assert_int_equal(pn_net_parse(f, 60, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_IP_NOT_US);
	pn_net_arp_build(f, sizeof(f), 1, &peer_mac, our_ip, NULL, NULL, our_ip);
	assert_int_equal(pn_net_parse(f, 60, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_ARP_BAD);
}

static void test_net_icmp_echo_reply(void **state)
{
	(void)state;
	struct pn_net_local me = local();
	uint8_t f[128] = {0};
	memcpy(f, our_mac.b, 6);
	memcpy(f + 6, peer_mac.b, 6);
	pn_net_wr16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	pn_net_wr16(ip + 2, 20 + 8 + 16);
	ip[8] = 64;
	ip[9] = 1;
	pn_net_wr32(ip + 12, peer_ip);
	pn_net_wr32(ip + 16, our_ip);
	pn_net_wr16(ip + 10, pn_net_ipv4_csum(ip, 20));
	uint8_t *icmp = ip + 20;
	icmp[0] = 8;
	pn_net_wr16(icmp + 4, 0x1234);
	pn_net_wr16(icmp + 6, 1);
	for (int i = 0; i < 16; i++)
		icmp[8 + i] = (uint8_t)i;
	pn_net_wr16(icmp + 2, pn_net_csum_fold(pn_net_csum_add(0, icmp, 24)));
	size_t n = 14 + 44;
	struct pn_net_pkt p;
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_ICMP_ECHO);
	assert_int_equal(pn_net_icmp_echo_reply_inplace(f, n, &p), 0);
	assert_memory_equal(f, peer_mac.b, 6);
	assert_int_equal(pn_net_rd32(ip + 12), our_ip);
	assert_int_equal(pn_net_rd32(ip + 16), peer_ip);
	assert_int_equal(icmp[0], 0);
	assert_int_equal(pn_net_ipv4_csum(ip, 20), 0);
	assert_int_equal(pn_net_csum_fold(pn_net_csum_add(0, icmp, 24)), 0);
	assert_int_equal(pn_net_rd16(icmp + 4), 0x1234);

	/* Echo reply (type 0) and a corrupted request are not answered. */
	icmp[0] = 8;
	icmp[9] ^= 1;
	memcpy(f, our_mac.b, 6);
	pn_net_wr32(ip + 12, peer_ip);
	pn_net_wr32(ip + 16, our_ip);
	pn_net_wr16(ip + 10, 0);
	pn_net_wr16(ip + 10, pn_net_ipv4_csum(ip, 20));
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_ICMP);
}

static void test_net_fragment_recognised(void **state)
{
	(void)state;
	struct pn_net_local me = local();
	uint8_t f[256];
	size_t n = udp_frame(f, "first part");
	pn_net_wr16(f + 14 + 6, 0x2000); /* MF */
	pn_net_wr16(f + 24, 0);
	pn_net_wr16(f + 24, pn_net_ipv4_csum(f + 14, 20));
	struct pn_net_pkt p;
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_FRAG);
	pn_net_wr16(f + 14 + 6, 0x8000); /* reserved bit */
	pn_net_wr16(f + 24, 0);
	pn_net_wr16(f + 24, pn_net_ipv4_csum(f + 14, 20));
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_DROP);
	assert_int_equal(p.drop, PN_IO_DROP_IP_BAD);

	/* pn_net_parse_l4 on a whole datagram (what reassembly yields). */
	n = udp_frame(f, "reassembled");
	assert_int_equal(pn_net_parse_l4(f + 14, n - 14, 0, &p), PN_NET_UDP);
	assert_int_equal(p.payload_off, 28);
	assert_int_equal(p.payload_len, 11);
}

static void test_net_udp_rewrite_updates_checksum(void **state)
{
	(void)state;
	struct pn_net_local me = local();
	uint8_t f[256];
	size_t n = udp_frame(f, "\x80\x00\x00\x01rtp-payload-bytes");
	struct pn_net_pkt p;
	assert_int_equal(pn_net_parse(f, n, &me, 0, &p), PN_NET_UDP);
	struct pn_addr s = {our_ip, 30002}, d = {IP(198, 19, 1, 2), 41000};
	struct pn_net_mac nh = {{0x02, 0, 0, 0, 0, 0x33}};
	assert_int_equal(pn_net_udp_rewrite_inplace(f, n, &p, &our_mac, &nh, &s, &d), 0);
	/* The receiver's view: it parses and verifies as if we had built it from scratch. */
	struct pn_net_local them = {.mac = nh, .ips = {IP(198, 19, 1, 2)}, .n_ips = 1};
	struct pn_net_pkt q;
	assert_int_equal(pn_net_parse(f, n, &them, 0, &q), PN_NET_UDP);
	assert_int_equal(q.src_port, 30002);
	assert_int_equal(q.dst_port, 41000);
	assert_int_equal(q.src_ip, our_ip);
	uint8_t g[256];
	int h = pn_net_udp_build_hdr(g, &our_mac, &nh, &s, &d, f + 42, n - 42, 7, 0);
	assert_int_equal(h, 42);
	assert_memory_equal(f + 40, g + 40, 2); /* same UDP checksum as a full computation */
}

static void test_net_arp_cache_lifecycle(void **state)
{
	(void)state;
	struct pn_net_arp_cache *c = calloc(1, sizeof(*c));
	uint64_t t = 1000;
	assert_null(pn_net_arp_lookup(c, peer_ip, t));
	assert_int_equal(pn_net_arp_want(c, peer_ip, t), 1);      /* send a request */
	assert_int_equal(pn_net_arp_want(c, peer_ip, t + 10), 0); /* outstanding */
	assert_null(pn_net_arp_lookup(c, peer_ip, t));
	t += PN_NET_ARP_RETRY_NS;
	assert_int_equal(pn_net_arp_want(c, peer_ip, t), 1); /* retry 2 */
	t += PN_NET_ARP_RETRY_NS;
	assert_int_equal(pn_net_arp_want(c, peer_ip, t), 1); /* retry 3 */
	t += PN_NET_ARP_RETRY_NS;
	assert_int_equal(pn_net_arp_want(c, peer_ip, t), PN_ENOENT); /* gave up */
	assert_int_equal(pn_net_arp_want(c, peer_ip, t), 1);         /* starts over */

	assert_int_equal(pn_net_arp_learn(c, peer_ip, &peer_mac, 1, t, 0), 0);
	const struct pn_net_arp_entry *e = pn_net_arp_lookup(c, peer_ip, t);
	assert_non_null(e);
	assert_memory_equal(e->mac.b, peer_mac.b, 6);
	assert_int_equal(e->port, 1);
	assert_null(pn_net_arp_lookup(c, peer_ip, t + PN_NET_ARP_REACHABLE_NS)); /* expired */

	/* Static entries are never expired nor overwritten by learning. */
	struct pn_net_mac other = {{0x02, 9, 9, 9, 9, 9}};
	assert_int_equal(pn_net_arp_learn(c, our_ip + 5, &peer_mac, 0, t, 1), 0);
	assert_int_equal(pn_net_arp_learn(c, our_ip + 5, &other, 0, t, 0), 0);
	e = pn_net_arp_lookup(c, our_ip + 5, UINT64_MAX - 1);
	assert_non_null(e);
	assert_memory_equal(e->mac.b, peer_mac.b, 6);
	assert_int_equal(pn_net_arp_learn(c, 0, &peer_mac, 0, t, 0), PN_EINVAL);

	/* Filling far beyond capacity evicts, never fails for learned entries. */
	for (uint32_t i = 0; i < 4 * PN_NET_ARP_SLOTS; i++)
		assert_int_equal(pn_net_arp_learn(c, IP(10, 0, 0, 0) + i, &other, 0, t + i, 0), 0);
	assert_non_null(pn_net_arp_lookup(c, IP(10, 0, 0, 0) + 4 * PN_NET_ARP_SLOTS - 1, t));
	free(c);
}

static void test_net_sip_callid_forms(void **state)
{
	(void)state;
	struct {
		const char *name, *msg, *want;
	} cases[] = {
	    {"full", "INVITE sip:x SIP/2.0\r\nVia: a\r\nCall-ID: abc@host\r\n\r\n", "abc@host"},
	    {"compact", "BYE sip:x SIP/2.0\r\ni:  xyz \r\n\r\n", "xyz"},
	    {"case and ws", "SIP/2.0 200 OK\r\ncall-id \t: Q1\r\n\r\n", "Q1"},
	    {"bare LF", "ACK sip:x SIP/2.0\nCALL-ID: lf\n\n", "lf"},
	    {"no end of headers", "ACK sip:x SIP/2.0\r\nCall-ID: trunc", "trunc"},
	    {"only in body", "ACK sip:x SIP/2.0\r\nVia: a\r\n\r\nCall-ID: body\r\n", NULL},
	    {"not a prefix", "ACK sip:x SIP/2.0\r\nCall-IDx: no\r\nInfo: no\r\n\r\n", NULL},
	    {"in start line", "Call-ID: x SIP/2.0\r\n\r\n", NULL},
	    {"empty value", "ACK sip:x SIP/2.0\r\nCall-ID:   \r\n\r\n", NULL},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(cases); i++) {
		size_t n = strlen(cases[i].msg);
		uint8_t *b = malloc(n);
		memcpy(b, cases[i].msg, n);
		struct pn_span s;
		int r = pn_net_sip_callid(b, n, &s);
		if (cases[i].want) {
			if (r != 0 || !pn_span_eq(s, cases[i].want))
				fail_msg("case %s", cases[i].name);
		} else if (r != PN_ENOENT) {
			fail_msg("case %s found a Call-ID", cases[i].name);
		}
		free(b);
	}
}

static void test_net_ownership_rules(void **state)
{
	(void)state;
	/* RTP range 20000-20999 over 3 workers: blocks of 332 ports, pairs never split. */
	for (unsigned w = 0; w < 3; w++) {
		uint16_t lo, hi;
		pn_io_rtp_block(20000, 20999, 3, w, &lo, &hi);
		assert_int_equal(lo % 2, 0);
		assert_int_equal(pn_io_rtp_worker(lo, 20000, 20999, 3), (int)w);
		assert_int_equal(pn_io_rtp_worker(hi, 20000, 20999, 3), (int)w);
		assert_int_equal(pn_io_rtp_worker(lo + 1, 20000, 20999, 3), (int)w);
	}
	assert_int_equal(pn_io_rtp_worker(19999, 20000, 20999, 3), -1);
	assert_int_equal(pn_io_rtp_worker(20999, 20000, 20999, 3), -1); /* tail past 3*332 */
	assert_int_equal(pn_io_rtp_worker(21000, 20000, 20999, 3), -1);
	assert_int_equal(pn_io_callid_worker("abc", 3, 1), 0);
	unsigned seen[4] = {0};
	char id[32];
	for (int i = 0; i < 400; i++) {
		int n = snprintf(id, sizeof(id), "call-%d@host", i);
		unsigned w = pn_io_callid_worker(id, (size_t)n, 4);
		assert_true(w < 4);
		assert_int_equal(w, pn_io_callid_worker(id, (size_t)n, 4)); /* stable */
		seen[w]++;
	}
	for (int w = 0; w < 4; w++)
		assert_true(seen[w] > 50); /* spread */
	assert_true(pn_io_cidr_match(&(struct pn_io_cidr){IP(198, 18, 0, 0), 0xffff0000u}, 1,
	                             IP(198, 18, 7, 7)));
	assert_false(pn_io_cidr_match(&(struct pn_io_cidr){IP(198, 18, 0, 0), 0xffff0000u}, 1,
	                              IP(198, 19, 7, 7)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_csum_known_vector),
	    cmocka_unit_test(test_net_csum_matches_reference),
	    cmocka_unit_test(test_net_udp_roundtrip_and_bad_checksum),
	    cmocka_unit_test(test_net_parse_not_for_us),
	    cmocka_unit_test(test_net_parse_truncated_prefixes),
	    cmocka_unit_test(test_net_arp_request_gets_reply),
	    cmocka_unit_test(test_net_icmp_echo_reply),
	    cmocka_unit_test(test_net_fragment_recognised),
	    cmocka_unit_test(test_net_udp_rewrite_updates_checksum),
	    cmocka_unit_test(test_net_arp_cache_lifecycle),
	    cmocka_unit_test(test_net_sip_callid_forms),
	    cmocka_unit_test(test_net_ownership_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
