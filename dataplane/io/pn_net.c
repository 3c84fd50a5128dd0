/*
 * pn_net.c: Ethernet/ARP/IPv4/UDP/ICMP parsing, checksums, in-place replies, header builders,
 * the ARP neighbour cache and the Call-ID scanner (see pn_net.h). Pure: no DPDK, no I/O.
 *
 * Key choice: parsing reads header fields with byte loads (no casts to packed structs), so it
 * is alignment-safe and every access is checked against len before it happens.
 */
#include <string.h>

#include "pn_net.h"

static const struct pn_net_mac mac_bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* ---- checksums ------------------------------------------------------------------------------ */

/*
 * One's-complement sums do not depend on byte order except for a final byte swap (RFC 1071
 * section 2(B)), so the bulk is summed as native 32-bit words into 64 bits (8 bytes per step,
 * no carries lost for inputs below 2^32 words), folded, and swapped to network order once.
 */
uint32_t pn_net_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t s = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint32_t w0, w1;
		memcpy(&w0, b + i, 4);
		memcpy(&w1, b + i + 4, 4);
		s += (uint64_t)w0 + w1;
	}
	for (; i + 2 <= len; i += 2) {
		uint16_t w;
		memcpy(&w, b + i, 2);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = ((s & 0xff) << 8) | (s >> 8);
#endif
	if (i < len)
		s += (uint32_t)b[i] << 8;
	uint64_t t = (uint64_t)sum + s;
	while (t >> 32)
		t = (t & 0xffffffffu) + (t >> 32);
	return (uint32_t)t;
}

uint16_t pn_net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t pn_net_ipv4_csum(const uint8_t *hdr, size_t hlen)
{
	return pn_net_csum_fold(pn_net_csum_add(0, hdr, hlen));
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	uint32_t s = 0;
	s += src >> 16;
	s += src & 0xffff;
	s += dst >> 16;
	s += dst & 0xffff;
	s += PN_NET_PROTO_UDP;
	s += udp_len;
	return s;
}

uint16_t pn_net_udp_csum(uint32_t src, uint32_t dst, const uint8_t *udp, const uint8_t *payload,
                         size_t payload_len)
{
	uint32_t s = pseudo_sum(src, dst, (uint16_t)(PN_NET_UDP_HLEN + payload_len));
	s = pn_net_csum_add(s, udp, PN_NET_UDP_HLEN);
	s = pn_net_csum_add(s, payload, payload_len);
	uint16_t c = pn_net_csum_fold(s);
	return c == 0 ? 0xffff : c;
}

int pn_net_udp_csum_ok(uint32_t src, uint32_t dst, const uint8_t *udp, size_t udp_len)
{
	if (udp_len < PN_NET_UDP_HLEN || udp_len > 0xffff)
		return 0;
	if (pn_net_rd16(udp + 6) == 0)
		return 1; /* no checksum */
	uint32_t s = pseudo_sum(src, dst, (uint16_t)udp_len);
	s = pn_net_csum_add(s, udp, udp_len);
	return pn_net_csum_fold(s) == 0;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), on a stored (network order) checksum field. */
static void csum_replace16(uint8_t *field, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~pn_net_rd16(field);
	s += (uint16_t)~old;
	s += new;
	pn_net_wr16(field, pn_net_csum_fold(s));
}

static void csum_replace32(uint8_t *field, uint32_t old, uint32_t new)
{
	csum_replace16(field, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
	csum_replace16(field, (uint16_t)old, (uint16_t) new);
}

/* ---- parsing -------------------------------------------------------------------------------- */

static int is_local_ip(const struct pn_net_local *me, uint32_t ip)
{
	for (unsigned i = 0; i < me->n_ips && i < PN_NET_MAX_LOCAL_IPS; i++)
		if (me->ips[i] == ip)
			return 1;
	return 0;
}

static int drop(struct pn_net_pkt *out, enum pn_io_drop why)
{
	out->kind = PN_NET_DROP;
	out->drop = (uint8_t)why;
	return PN_NET_DROP;
}

/* Transport of the IPv4 datagram at frame + off; fields already set: l3_len, ip_total. */
static int parse_l4_at(const uint8_t *frame, size_t len, size_t off, unsigned flags,
                       struct pn_net_pkt *out)
{
	const uint8_t *ip = frame + off;
	size_t l4 = off + out->l3_len;
	size_t l4_len = (size_t)out->ip_total - out->l3_len;
	if (off + out->ip_total > len)
		return drop(out, PN_IO_DROP_RUNT);
	out->l4_off = (uint16_t)l4;
	if (out->proto == PN_NET_PROTO_UDP) {
		if (l4_len < PN_NET_UDP_HLEN)
			return drop(out, PN_IO_DROP_UDP_BAD);
		const uint8_t *udp = frame + l4;
		uint16_t ulen = pn_net_rd16(udp + 4);
		if (ulen < PN_NET_UDP_HLEN || ulen > l4_len)
			return drop(out, PN_IO_DROP_UDP_BAD);
		if (!(flags & PN_NET_RX_L4_CSUM_GOOD) &&
		    !pn_net_udp_csum_ok(pn_net_rd32(ip + 12), pn_net_rd32(ip + 16), udp, ulen))
			return drop(out, PN_IO_DROP_UDP_CSUM);
		out->src_port = pn_net_rd16(udp);
		out->dst_port = pn_net_rd16(udp + 2);
		out->payload_off = (uint16_t)(l4 + PN_NET_UDP_HLEN);
		out->payload_len = (uint16_t)(ulen - PN_NET_UDP_HLEN);
		out->kind = PN_NET_UDP;
		return PN_NET_UDP;
	}
	if (out->proto == PN_NET_PROTO_ICMP) {
		if (l4_len < PN_NET_ICMP_HLEN)
			return drop(out, PN_IO_DROP_ICMP);
		const uint8_t *icmp = frame + l4;
		if (icmp[0] != 8 || icmp[1] != 0)
			return drop(out, PN_IO_DROP_ICMP);
		if (!(flags & PN_NET_RX_L4_CSUM_GOOD) &&
		    pn_net_csum_fold(pn_net_csum_add(0, icmp, l4_len)) != 0)
			return drop(out, PN_IO_DROP_ICMP);
		out->kind = PN_NET_ICMP_ECHO;
		return PN_NET_ICMP_ECHO;
	}
	return drop(out, PN_IO_DROP_IP_PROTO);
}

/* Checks the IPv4 header at frame + off and fills the L3 fields. Returns 0, or -1 with out->drop
 * set. */
static int parse_ip_hdr(const uint8_t *frame, size_t len, size_t off, struct pn_net_pkt *out)
{
	if (len < off + PN_NET_IP_HLEN)
		return drop(out, PN_IO_DROP_RUNT), -1;
	const uint8_t *ip = frame + off;
	if ((ip[0] >> 4) != 4)
		return drop(out, PN_IO_DROP_IP_BAD), -1;
	unsigned hl = (unsigned)(ip[0] & 0xf) * 4;
	if (hl < PN_NET_IP_HLEN)
		return drop(out, PN_IO_DROP_IP_BAD), -1;
	if (len < off + hl)
		return drop(out, PN_IO_DROP_RUNT), -1;
	uint16_t total = pn_net_rd16(ip + 2);
	if (total < hl)
		return drop(out, PN_IO_DROP_IP_BAD), -1;
	if (off + total > len)
		return drop(out, PN_IO_DROP_RUNT), -1;
	out->l3_off = (uint16_t)off;
	out->l3_len = (uint16_t)hl;
	out->ip_total = total;
	out->ttl = ip[8];
	out->proto = ip[9];
	out->src_ip = pn_net_rd32(ip + 12);
	out->dst_ip = pn_net_rd32(ip + 16);
	/* No replies to unspecified, loopback, multicast or limited-broadcast sources. */
	uint32_t s = out->src_ip;
	if (s == 0 || (s >> 24) == 127 || (s >> 28) == 0xe || s == 0xffffffffu)
		return drop(out, PN_IO_DROP_IP_BAD), -1;
	return 0;
}

int pn_net_parse(const uint8_t *frame, size_t len, const struct pn_net_local *me, unsigned flags,
                 struct pn_net_pkt *out)
{
	memset(out, 0, sizeof(*out));
	if (len < PN_NET_ETH_HLEN)
		return drop(out, PN_IO_DROP_RUNT);
	memcpy(out->dst_mac.b, frame, 6);
	memcpy(out->src_mac.b, frame + 6, 6);
	int bcast = memcmp(out->dst_mac.b, mac_bcast.b, 6) == 0;
	if (!bcast && memcmp(out->dst_mac.b, me->mac.b, 6) != 0)
		return drop(out, PN_IO_DROP_L2_NOT_US);
	uint16_t et = pn_net_rd16(frame + 12);

	if (et == PN_NET_ETHERTYPE_ARP) {
		if (len < PN_NET_ETH_HLEN + PN_NET_ARP_LEN)
			return drop(out, PN_IO_DROP_RUNT);
		const uint8_t *a = frame + PN_NET_ETH_HLEN;
		if (pn_net_rd16(a) != 1 || pn_net_rd16(a + 2) != PN_NET_ETHERTYPE_IPV4 ||
		    a[4] != 6 || a[5] != 4)
			return drop(out, PN_IO_DROP_ARP_BAD);
		out->arp_op = pn_net_rd16(a + 6);
		if (out->arp_op != PN_NET_ARP_OP_REQUEST && out->arp_op != PN_NET_ARP_OP_REPLY)
			return drop(out, PN_IO_DROP_ARP_BAD);
		memcpy(out->arp_sha.b, a + 8, 6);
		out->arp_spa = pn_net_rd32(a + 14);
		out->arp_tpa = pn_net_rd32(a + 24);
		/* A sender claiming a broadcast/multicast MAC or our own address is refused. */
		if (out->arp_sha.b[0] & 1 || out->arp_spa == 0 || is_local_ip(me, out->arp_spa))
			return drop(out, PN_IO_DROP_ARP_BAD);
		if (!is_local_ip(me, out->arp_tpa))
			return drop(out, PN_IO_DROP_IP_NOT_US);
		out->kind = PN_NET_ARP;
		return PN_NET_ARP;
	}
	if (et != PN_NET_ETHERTYPE_IPV4)
		return drop(out, PN_IO_DROP_ETHERTYPE);
	if (bcast)
		return drop(out, PN_IO_DROP_L2_NOT_US); /* IPv4 broadcast: nothing for us */

	if (parse_ip_hdr(frame, len, PN_NET_ETH_HLEN, out) != 0)
		return PN_NET_DROP;
	if (!(flags & PN_NET_RX_IP_CSUM_GOOD) &&
	    pn_net_ipv4_csum(frame + PN_NET_ETH_HLEN, out->l3_len) != 0)
		return drop(out, PN_IO_DROP_IP_CSUM);
	if (!is_local_ip(me, out->dst_ip))
		return drop(out, PN_IO_DROP_IP_NOT_US);
	uint16_t fo = pn_net_rd16(frame + PN_NET_ETH_HLEN + 6);
	if (fo & 0x8000)
		return drop(out, PN_IO_DROP_IP_BAD); /* reserved flag */
	if (fo & 0x3fff) {                           /* MF or offset != 0 */
		if (out->proto != PN_NET_PROTO_UDP)
			return drop(out, PN_IO_DROP_IP_PROTO); /* we reassemble only UDP */
		out->kind = PN_NET_FRAG;
		return PN_NET_FRAG;
	}
	return parse_l4_at(frame, len, PN_NET_ETH_HLEN, flags, out);
}

int pn_net_parse_l4(const uint8_t *ip, size_t len, unsigned flags, struct pn_net_pkt *out)
{
	memset(out, 0, sizeof(*out));
	if (parse_ip_hdr(ip, len, 0, out) != 0)
		return PN_NET_DROP;
	return parse_l4_at(ip, len, 0, flags, out);
}

/* ---- in-place replies ----------------------------------------------------------------------- */

int pn_net_arp_reply_inplace(uint8_t *frame, size_t cap, const struct pn_net_pkt *pkt,
                             const struct pn_net_mac *mine)
{
	if (pkt->kind != PN_NET_ARP || pkt->arp_op != PN_NET_ARP_OP_REQUEST)
		return PN_EINVAL;
	return pn_net_arp_build(frame, cap, PN_NET_ARP_OP_REPLY, mine, pkt->arp_tpa, &pkt->arp_sha,
	                        &pkt->arp_sha, pkt->arp_spa);
}

int pn_net_icmp_echo_reply_inplace(uint8_t *frame, size_t len, const struct pn_net_pkt *pkt)
{
	if (pkt->kind != PN_NET_ICMP_ECHO || (size_t)pkt->l3_off + pkt->ip_total > len ||
	    pkt->l3_off < PN_NET_ETH_HLEN)
		return PN_EINVAL;
	uint8_t tmp[6];
	memcpy(tmp, frame, 6);
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, tmp, 6);
	uint8_t *ip = frame + pkt->l3_off;
	pn_net_wr32(ip + 12, pkt->dst_ip);
	pn_net_wr32(ip + 16, pkt->src_ip);
	ip[8] = 64;
	pn_net_wr16(ip + 10, 0);
	pn_net_wr16(ip + 10, pn_net_ipv4_csum(ip, pkt->l3_len));
	uint8_t *icmp = frame + pkt->l4_off;
	size_t icmp_len = (size_t)pkt->ip_total - pkt->l3_len;
	icmp[0] = 0;
	pn_net_wr16(icmp + 2, 0);
	pn_net_wr16(icmp + 2, pn_net_csum_fold(pn_net_csum_add(0, icmp, icmp_len)));
	return 0;
}

int pn_net_udp_rewrite_inplace(uint8_t *frame, size_t len, const struct pn_net_pkt *pkt,
                               const struct pn_net_mac *src_mac, const struct pn_net_mac *dst_mac,
                               const struct pn_addr *src, const struct pn_addr *dst)
{
	if (pkt->kind != PN_NET_UDP || (size_t)pkt->l3_off + pkt->ip_total > len ||
	    pkt->l3_off < PN_NET_ETH_HLEN)
		return PN_EINVAL;
	memcpy(frame, dst_mac->b, 6);
	memcpy(frame + 6, src_mac->b, 6);
	uint8_t *ip = frame + pkt->l3_off;
	uint8_t *udp = frame + pkt->l4_off;
	uint32_t osrc = pn_net_rd32(ip + 12), odst = pn_net_rd32(ip + 16);
	uint16_t osp = pn_net_rd16(udp), odp = pn_net_rd16(udp + 2);
	pn_net_wr32(ip + 12, src->ip);
	pn_net_wr32(ip + 16, dst->ip);
	ip[8] = 64;
	pn_net_wr16(ip + 10, 0);
	pn_net_wr16(ip + 10, pn_net_ipv4_csum(ip, pkt->l3_len));
	pn_net_wr16(udp, src->port);
	pn_net_wr16(udp + 2, dst->port);
	if (pn_net_rd16(udp + 6) != 0) {
		csum_replace32(udp + 6, osrc, src->ip);
		csum_replace32(udp + 6, odst, dst->ip);
		csum_replace16(udp + 6, osp, src->port);
		csum_replace16(udp + 6, odp, dst->port);
		if (pn_net_rd16(udp + 6) == 0)
			pn_net_wr16(udp + 6, 0xffff);
	}
	return 0;
}

/* ---- builders ------------------------------------------------------------------------------- */

int pn_net_arp_build(uint8_t *buf, size_t cap, uint16_t op, const struct pn_net_mac *sha,
                     uint32_t spa, const struct pn_net_mac *eth_dst, const struct pn_net_mac *tha,
                     uint32_t tpa)
{
	if (cap < PN_NET_ETH_MIN)
		return PN_EINVAL;
	memset(buf, 0, PN_NET_ETH_MIN);
	memcpy(buf, (eth_dst ? eth_dst : &mac_bcast)->b, 6);
	memcpy(buf + 6, sha->b, 6);
	pn_net_wr16(buf + 12, PN_NET_ETHERTYPE_ARP);
	uint8_t *a = buf + PN_NET_ETH_HLEN;
	pn_net_wr16(a, 1);
	pn_net_wr16(a + 2, PN_NET_ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	pn_net_wr16(a + 6, op);
	memcpy(a + 8, sha->b, 6);
	pn_net_wr32(a + 14, spa);
	if (tha)
		memcpy(a + 18, tha->b, 6);
	pn_net_wr32(a + 24, tpa);
	return PN_NET_ETH_MIN;
}

int pn_net_udp_build_hdr(uint8_t *hdr, const struct pn_net_mac *src_mac,
                         const struct pn_net_mac *dst_mac, const struct pn_addr *src,
                         const struct pn_addr *dst, const uint8_t *payload, size_t payload_len,
                         uint16_t ip_id, int df)
{
	if (payload_len > 65535 - PN_NET_IP_HLEN - PN_NET_UDP_HLEN)
		return PN_EINVAL;
	memcpy(hdr, dst_mac->b, 6);
	memcpy(hdr + 6, src_mac->b, 6);
	pn_net_wr16(hdr + 12, PN_NET_ETHERTYPE_IPV4);
	uint8_t *ip = hdr + PN_NET_ETH_HLEN;
	ip[0] = 0x45;
	ip[1] = 0;
	pn_net_wr16(ip + 2, (uint16_t)(PN_NET_IP_HLEN + PN_NET_UDP_HLEN + payload_len));
	pn_net_wr16(ip + 4, ip_id);
	pn_net_wr16(ip + 6, df ? 0x4000 : 0);
	ip[8] = 64;
	ip[9] = PN_NET_PROTO_UDP;
	pn_net_wr16(ip + 10, 0);
	pn_net_wr32(ip + 12, src->ip);
	pn_net_wr32(ip + 16, dst->ip);
	pn_net_wr16(ip + 10, pn_net_ipv4_csum(ip, PN_NET_IP_HLEN));
	uint8_t *udp = ip + PN_NET_IP_HLEN;
	pn_net_wr16(udp, src->port);
	pn_net_wr16(udp + 2, dst->port);
	pn_net_wr16(udp + 4, (uint16_t)(PN_NET_UDP_HLEN + payload_len));
	pn_net_wr16(udp + 6, 0);
	if (payload)
		pn_net_wr16(udp + 6, pn_net_udp_csum(src->ip, dst->ip, udp, payload, payload_len));
	return PN_NET_HDRS;
}

/* ---- ARP cache ------------------------------------------------------------------------------ */

static unsigned arp_slot(uint32_t ip)
{
	return (unsigned)((ip * 2654435761u) >> 24) & (PN_NET_ARP_SLOTS - 1);
}

static struct pn_net_arp_entry *arp_find(struct pn_net_arp_cache *c, uint32_t ip)
{
	unsigned h = arp_slot(ip);
	for (unsigned i = 0; i < PN_NET_ARP_PROBE; i++) {
		struct pn_net_arp_entry *e = &c->e[(h + i) & (PN_NET_ARP_SLOTS - 1)];
		if (e->state != PN_NET_ARP_FREE && e->ip == ip)
			return e;
	}
	return NULL;
}

/* A free slot in ip's window, else the non-static entry with the earliest deadline, else NULL. */
static struct pn_net_arp_entry *arp_alloc(struct pn_net_arp_cache *c, uint32_t ip)
{
	unsigned h = arp_slot(ip);
	struct pn_net_arp_entry *victim = NULL;
	for (unsigned i = 0; i < PN_NET_ARP_PROBE; i++) {
		struct pn_net_arp_entry *e = &c->e[(h + i) & (PN_NET_ARP_SLOTS - 1)];
		if (e->state == PN_NET_ARP_FREE)
			return e;
		if (e->state != PN_NET_ARP_STATIC &&
		    (!victim || e->deadline_ns < victim->deadline_ns))
			victim = e;
	}
	return victim;
}

const struct pn_net_arp_entry *pn_net_arp_lookup(const struct pn_net_arp_cache *c, uint32_t ip,
                                                 uint64_t now_ns)
{
	const struct pn_net_arp_entry *e = arp_find((struct pn_net_arp_cache *)c, ip);
	if (!e)
		return NULL;
	if (e->state == PN_NET_ARP_STATIC)
		return e;
	if (e->state == PN_NET_ARP_REACHABLE && now_ns < e->deadline_ns)
		return e;
	return NULL;
}

int pn_net_arp_learn(struct pn_net_arp_cache *c, uint32_t ip, const struct pn_net_mac *mac,
                     uint8_t port, uint64_t now_ns, int is_static)
{
	if (ip == 0)
		return PN_EINVAL;
	struct pn_net_arp_entry *e = arp_find(c, ip);
	if (e && e->state == PN_NET_ARP_STATIC && !is_static)
		return 0;
	if (!e)
		e = arp_alloc(c, ip);
	if (!e)
		return PN_EFULL;
	e->ip = ip;
	e->mac = *mac;
	e->port = port;
	e->tries = 0;
	e->state = is_static ? PN_NET_ARP_STATIC : PN_NET_ARP_REACHABLE;
	e->deadline_ns = is_static ? UINT64_MAX : now_ns + PN_NET_ARP_REACHABLE_NS;
	return 0;
}

int pn_net_arp_want(struct pn_net_arp_cache *c, uint32_t ip, uint64_t now_ns)
{
	if (ip == 0)
		return PN_EINVAL;
	struct pn_net_arp_entry *e = arp_find(c, ip);
	if (e && e->state == PN_NET_ARP_STATIC)
		return 0;
	if (e && e->state == PN_NET_ARP_INCOMPLETE) {
		if (now_ns < e->deadline_ns)
			return 0;
		if (e->tries >= PN_NET_ARP_MAX_TRIES) {
			memset(e, 0, sizeof(*e));
			return PN_ENOENT;
		}
		e->tries++;
		e->deadline_ns = now_ns + PN_NET_ARP_RETRY_NS;
		return 1;
	}
	if (e && e->state == PN_NET_ARP_REACHABLE && now_ns < e->deadline_ns)
		return 0;
	if (!e)
		e = arp_alloc(c, ip);
	if (!e)
		return PN_EFULL;
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->state = PN_NET_ARP_INCOMPLETE;
	e->tries = 1;
	e->deadline_ns = now_ns + PN_NET_ARP_RETRY_NS;
	return 1;
}

/* ---- Call-ID scanner ------------------------------------------------------------------------ */

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Does the header line at p (n bytes, no line end) have name nm? Returns the offset just after
 * the colon, or 0. */
static size_t hname_is(const uint8_t *p, size_t n, const char *nm)
{
	size_t k = strlen(nm), i;
	if (n < k + 1)
		return 0;
	for (i = 0; i < k; i++)
		if (lower(p[i]) != nm[i])
			return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return (i < n && p[i] == ':') ? i + 1 : 0;
}

int pn_net_sip_callid(const uint8_t *msg, size_t len, struct pn_span *out)
{
	*out = PN_SPAN_NULL;
	size_t pos = 0;
	int first = 1;
	while (pos < len) {
		const uint8_t *nl = memchr(msg + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - msg) : len; /* end of this line (at '\n' or len) */
		size_t n = end - pos;
		if (n > 0 && msg[pos + n - 1] == '\r')
			n--;
		if (!first && n == 0)
			break; /* end of headers */
		if (!first) {
			const uint8_t *p = msg + pos;
			size_t v = hname_is(p, n, "call-id");
			if (!v)
				v = hname_is(p, n, "i");
			if (v) {
				while (v < n && (p[v] == ' ' || p[v] == '\t'))
					v++;
				size_t e = n;
				while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
					e--;
				if (e == v)
					return PN_ENOENT;
				*out = pn_span_make((const char *)p + v, e - v);
				return 0;
			}
		}
		first = 0;
		if (!nl)
			break;
		pos = end + 1;
	}
	return PN_ENOENT;
}
