/*
 * fuzz_net.c: libFuzzer target for dataplane/io/pn_net, the receive path without DPDK.
 *
 * The input is one Ethernet frame. It is parsed as it would be on a port with no checksum
 * offload; whatever the parse accepted is then pushed through the matching reply or rewrite, and
 * the result is checked with an oracle: an ARP reply parses back as a reply from us, an ICMP echo
 * reply carries valid checksums, a relayed UDP packet parses (and checksum-verifies) from the new
 * receiver's point of view, and a reassembly-style parse of the IPv4 part agrees with the frame
 * parse. The first bytes also drive a few ARP cache operations. Any failed oracle aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "pn_net.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void oracle(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pn_net_arp_cache cache;
	const struct pn_net_local me = {
	    .mac = {{0x02, 0x70, 0x63, 0x61, 0x70, 0x00}},
	    .ips = {IP(198, 18, 0, 1), IP(198, 18, 0, 3)},
	    .n_ips = 2,
	};
	struct pn_net_pkt p;
	int kind = pn_net_parse(data, size, &me, 0, &p);
	oracle(kind == p.kind);
	oracle(kind != PN_NET_DROP || p.drop < PN_IO_DROP_N);

	/* a writable copy with room for padding */
	size_t cap = size < PN_NET_ETH_MIN ? PN_NET_ETH_MIN : size;
	uint8_t *f = malloc(cap);
	if (!f)
		return 0;
	memset(f, 0, cap);
	memcpy(f, data, size);

	if (kind == PN_NET_ARP) {
		oracle(p.arp_tpa == me.ips[0] || p.arp_tpa == me.ips[1]);
		if (p.arp_op == PN_NET_ARP_OP_REQUEST) {
			oracle(pn_net_arp_reply_inplace(f, cap, &p, &me.mac) == PN_NET_ETH_MIN);
			struct pn_net_local them = {
			    .mac = p.arp_sha, .ips = {p.arp_spa}, .n_ips = 1};
			struct pn_net_pkt q;
			oracle(pn_net_parse(f, PN_NET_ETH_MIN, &them, 0, &q) == PN_NET_ARP);
			oracle(q.arp_op == PN_NET_ARP_OP_REPLY && q.arp_spa == p.arp_tpa);
		}
	} else if (kind == PN_NET_ICMP_ECHO) {
		oracle(pn_net_icmp_echo_reply_inplace(f, size, &p) == 0);
		oracle(pn_net_ipv4_csum(f + p.l3_off, p.l3_len) == 0);
		oracle(pn_net_csum_fold(pn_net_csum_add(0, f + p.l4_off, p.ip_total - p.l3_len)) ==
		       0);
	} else if (kind == PN_NET_UDP) {
		struct pn_span cid;
		if (pn_net_sip_callid(data + p.payload_off, p.payload_len, &cid) == 0)
			oracle(cid.len > 0 && (const uint8_t *)cid.p >= data + p.payload_off &&
			       (const uint8_t *)cid.p + cid.len <=
			           data + p.payload_off + p.payload_len);
		struct pn_net_pkt l;
		oracle(pn_net_parse_l4(data + PN_NET_ETH_HLEN, size - PN_NET_ETH_HLEN, 0, &l) ==
		       PN_NET_UDP);
		oracle(l.payload_len == p.payload_len &&
		       l.payload_off + PN_NET_ETH_HLEN == p.payload_off);
		struct pn_addr src = {me.ips[1], 20002}, dst = {IP(198, 19, 7, 7), 40000};
		struct pn_net_mac nh = {{0x02, 1, 2, 3, 4, 5}};
		oracle(pn_net_udp_rewrite_inplace(f, size, &p, &me.mac, &nh, &src, &dst) == 0);
		struct pn_net_local them = {.mac = nh, .ips = {dst.ip}, .n_ips = 1};
		struct pn_net_pkt q;
		oracle(pn_net_parse(f, size, &them, 0, &q) == PN_NET_UDP);
		oracle(q.src_port == 20002 && q.dst_port == 40000 &&
		       q.payload_len == p.payload_len);
	}
	free(f);

	/* ARP cache: every 6 bytes are one operation on a small address space. */
	for (size_t i = 0; i + 6 <= size && i < 96; i += 6) {
		uint32_t ip = IP(10, 0, data[i + 1], data[i + 2] & 7);
		uint64_t now = (uint64_t)data[i + 3] * PN_NET_ARP_RETRY_NS;
		struct pn_net_mac m = {{2, 0, 0, 0, data[i + 4], data[i + 5]}};
		switch (data[i] & 3) {
		case 0:
			oracle(pn_net_arp_learn(&cache, ip, &m, 0, now, 0) == 0);
			oracle(pn_net_arp_lookup(&cache, ip, now) != NULL);
			break;
		case 1: {
			int r = pn_net_arp_want(&cache, ip, now);
			oracle(r == 0 || r == 1 || r == PN_ENOENT || r == PN_EFULL);
			break;
		}
		default: {
			const struct pn_net_arp_entry *e = pn_net_arp_lookup(&cache, ip, now);
			oracle(!e || e->ip == ip);
			break;
		}
		}
	}
	return 0;
}
