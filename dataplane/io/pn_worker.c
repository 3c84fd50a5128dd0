/*
 * pn_worker.c: the worker lcores of privnum-dataplane: the poll loop, L2/L3 handling (ARP,
 * ICMP echo, IPv4 reassembly), dispatch of UDP to the owning worker, the engine calls, the emit
 * path (ARP resolution with a pending queue, IPv4 fragmentation) and TX buffering.
 *
 * The loop follows DPDK's l3fwd: read the TSC once per iteration (converted to ns for the engine),
 * flush partial TX buffers every PN_IO_DRAIN_US, call the engine's tick every ms, rx_burst 32 from
 * each RX queue this worker owns with prefetch 3 ahead, then its input ring; one liburcu QSBR
 * quiescent state per iteration. No system call, lock or allocation on the packet path (mbufs come
 * from per-lcore mempool caches; the input rings are lock-free multi-producer).
 */
/* rte_ip_frag_table_del_expired_entries is experimental in 22.11 (stable later). */
#define ALLOW_EXPERIMENTAL_API

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <urcu/urcu-qsbr.h>

#include "pn_io_priv.h"

#define PREFETCH_OFFSET 3

enum udp_kind { UDP_SIP, UDP_MEDIA };

static inline uint64_t tsc_to_ns(const struct pn_io *io, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)(tsc - io->tsc0) * io->ns_mult) >> 32);
}

static inline void drop_m(struct pn_worker *w, struct rte_mbuf *m, enum pn_io_drop why)
{
	w->st.drops[why]++;
	rte_pktmbuf_free(m);
}

/* ---- TX ------------------------------------------------------------------------------------- */

static void tx_flush(struct pn_worker *w, unsigned pi)
{
	struct pn_txbuf *b = &w->tx[pi];
	if (b->n == 0)
		return;
	uint16_t sent = rte_eth_tx_burst(w->io->ports[pi].port_id, (uint16_t)w->id, b->m, b->n);
	w->st.tx_pkts += sent;
	w->st.port_tx_pkts[pi] += sent;
	for (uint16_t i = sent; i < b->n; i++) {
		w->st.tx_bytes -= b->m[i]->pkt_len;
		drop_m(w, b->m[i], PN_IO_DROP_TX_FULL);
	}
	b->n = 0;
}

static void tx_flush_all(struct pn_worker *w)
{
	for (unsigned pi = 0; pi < w->io->n_ports; pi++)
		tx_flush(w, pi);
}

static void tx_enqueue(struct pn_worker *w, unsigned pi, struct rte_mbuf *m)
{
	struct pn_txbuf *b = &w->tx[pi];
	w->st.tx_bytes += m->pkt_len;
	b->m[b->n++] = m;
	if (b->n >= PN_IO_BURST)
		tx_flush(w, pi);
}

/* ---- ARP and L2 ----------------------------------------------------------------------------- */

static void send_arp(struct pn_worker *w, uint16_t op, uint32_t spa, uint32_t tpa)
{
	for (unsigned pi = 0; pi < w->io->n_ports; pi++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(w->io->pool);
		if (!m) {
			w->st.drops[PN_IO_DROP_NO_MBUF]++;
			return;
		}
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, PN_NET_ETH_MIN);
		if (!d || pn_net_arp_build(d, PN_NET_ETH_MIN, op, &w->io->ports[pi].mac, spa, NULL,
		                           NULL, tpa) < 0) {
			drop_m(w, m, PN_IO_DROP_NO_MBUF);
			continue;
		}
		w->st.arp_requests_sent++;
		tx_enqueue(w, pi, m);
	}
}

static uint32_t route(const struct pn_io *io, uint32_t dst)
{
	const struct pn_io_conf *c = &io->conf;
	if (c->gateway == 0)
		return dst;
	if (c->onlink.mask && (dst & c->onlink.mask) == c->onlink.net)
		return dst;
	return c->gateway;
}

/* Fills the Ethernet addresses of m (a frame) for next hop nh and queues it, or parks it until
 * ARP resolves. Takes ownership of m. Returns 0, or PN_EAGAIN when it was dropped. */
static int l2_send(struct pn_worker *w, struct rte_mbuf *m, uint32_t nh)
{
	const struct pn_net_arp_entry *e = pn_net_arp_lookup(&w->arp, nh, w->now_ns);
	if (e && e->port < w->io->n_ports) {
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		memcpy(d, e->mac.b, 6);
		memcpy(d + 6, w->io->ports[e->port].mac.b, 6);
		tx_enqueue(w, e->port, m);
		return 0;
	}
	int r = pn_net_arp_want(&w->arp, nh, w->now_ns);
	if (r == PN_ENOENT)
		r = pn_net_arp_want(&w->arp, nh, w->now_ns);
	if (r == 1)
		send_arp(w, PN_NET_ARP_OP_REQUEST, w->io->conf.sip.ip, nh);
	if (r < 0 || w->n_pending >= PN_IO_PENDING) {
		drop_m(w, m, PN_IO_DROP_NO_ARP);
		return PN_EAGAIN;
	}
	w->pending[w->n_pending].m = m;
	w->pending[w->n_pending].nh = nh;
	w->n_pending++;
	return 0;
}

/* Sends what resolved, re-requests what is due, drops what timed out. */
static void pending_scan(struct pn_worker *w)
{
	unsigned n = w->n_pending, keep = 0;
	uint32_t dead = 0;
	w->n_pending = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = w->pending[i].m;
		uint32_t nh = w->pending[i].nh;
		if (dead && nh == dead) {
			drop_m(w, m, PN_IO_DROP_NO_ARP);
			continue;
		}
		const struct pn_net_arp_entry *e = pn_net_arp_lookup(&w->arp, nh, w->now_ns);
		if (e) {
			uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
			memcpy(d, e->mac.b, 6);
			memcpy(d + 6, w->io->ports[e->port].mac.b, 6);
			tx_enqueue(w, e->port, m);
			continue;
		}
		int r = pn_net_arp_want(&w->arp, nh, w->now_ns);
		if (r < 0) {
			dead = nh;
			drop_m(w, m, PN_IO_DROP_NO_ARP);
			continue;
		}
		if (r == 1)
			send_arp(w, PN_NET_ARP_OP_REQUEST, w->io->conf.sip.ip, nh);
		w->pending[keep++] = w->pending[i];
	}
	w->n_pending = keep;
}

/* ---- the emit path -------------------------------------------------------------------------- */

static int is_our_ip(const struct pn_io *io, uint32_t ip)
{
	return ip == io->conf.sip.ip || ip == io->conf.media_ip;
}

/* A datagram larger than the MTU: build it as a chain starting at the IPv4 header, fragment,
 * then give each fragment its Ethernet header. */
static int send_fragmented(struct pn_worker *w, const struct pn_addr *src,
                           const struct pn_addr *dst, const uint8_t *buf, size_t len, uint32_t nh)
{
	struct pn_io *io = w->io;
	uint8_t hdr[PN_NET_HDRS];
	static const struct pn_net_mac zero;
	pn_net_udp_build_hdr(hdr, &zero, &zero, src, dst, buf, len, w->ip_id++, 0);
	struct rte_mbuf *head = rte_pktmbuf_alloc(io->pool);
	if (!head) {
		w->st.drops[PN_IO_DROP_NO_MBUF]++;
		return PN_ENOMEM;
	}
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(head, PN_NET_IP_HLEN + PN_NET_UDP_HLEN);
	memcpy(d, hdr + PN_NET_ETH_HLEN, PN_NET_IP_HLEN + PN_NET_UDP_HLEN);
	size_t off = 0;
	struct rte_mbuf *seg = head;
	while (off < len) {
		uint16_t room = rte_pktmbuf_tailroom(seg);
		if (room == 0) {
			seg = rte_pktmbuf_alloc(io->pool);
			if (!seg || rte_pktmbuf_chain(head, seg) != 0) {
				rte_pktmbuf_free(seg);
				drop_m(w, head, PN_IO_DROP_NO_MBUF);
				return PN_ENOMEM;
			}
			continue;
		}
		size_t n = RTE_MIN((size_t)room, len - off);
		/* append on the last segment; head->pkt_len follows */
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), buf + off, n);
		seg->data_len = (uint16_t)(seg->data_len + n);
		head->pkt_len += (uint32_t)n;
		off += n;
	}
	struct rte_mbuf *frags[PN_IO_MAX_FRAGS];
	/* fragment payloads must be multiples of 8 bytes: round the MTU down accordingly */
	uint16_t mtu = (uint16_t)(PN_NET_IP_HLEN + ((io->conf.mtu - PN_NET_IP_HLEN) & ~7u));
	int32_t nf = rte_ipv4_fragment_packet(head, frags, PN_IO_MAX_FRAGS, mtu, io->pool,
	                                      io->indirect_pool);
	rte_pktmbuf_free(head); /* the fragments hold their own references */
	if (nf < 0) {
		w->st.drops[PN_IO_DROP_TOO_BIG]++;
		return PN_EINVAL;
	}
	for (int32_t i = 0; i < nf; i++) {
		struct rte_mbuf *f = frags[i];
		uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(f, PN_NET_ETH_HLEN);
		if (!eth) {
			drop_m(w, f, PN_IO_DROP_NO_MBUF);
			continue;
		}
		pn_net_wr16(eth + 12, PN_NET_ETHERTYPE_IPV4);
		uint8_t *ip = eth + PN_NET_ETH_HLEN;
		pn_net_wr16(ip + 10, 0);
		pn_net_wr16(ip + 10, pn_net_ipv4_csum(ip, (size_t)(ip[0] & 0xf) * 4));
		if (!io->tx_multiseg && f->nb_segs > 1) {
			/* the port cannot send chains: copy the fragment into one mbuf */
			struct rte_mbuf *flat = rte_pktmbuf_alloc(io->pool);
			uint8_t *fd =
			    flat ? (uint8_t *)rte_pktmbuf_append(flat, (uint16_t)f->pkt_len) : NULL;
			if (!fd || !rte_pktmbuf_read(f, 0, f->pkt_len, fd)) {
				rte_pktmbuf_free(flat);
				drop_m(w, f, PN_IO_DROP_NO_MBUF);
				continue;
			}
			rte_pktmbuf_free(f);
			f = flat;
		}
		w->st.frags_tx++;
		l2_send(w, f, nh);
	}
	return 0;
}

/* Sends a new UDP datagram from one of our addresses. Returns 0 or a negative pn_err. */
static int send_udp(struct pn_worker *w, const struct pn_addr *src, const struct pn_addr *dst,
                    const uint8_t *buf, size_t len)
{
	struct pn_io *io = w->io;
	if (len > 65535 - PN_NET_IP_HLEN - PN_NET_UDP_HLEN) {
		w->st.drops[PN_IO_DROP_TOO_BIG]++;
		return PN_EINVAL;
	}
	uint32_t nh = route(io, dst->ip);
	if (len + PN_NET_IP_HLEN + PN_NET_UDP_HLEN > io->conf.mtu)
		return send_fragmented(w, src, dst, buf, len, nh);
	struct rte_mbuf *m = rte_pktmbuf_alloc(io->pool);
	if (!m) {
		w->st.drops[PN_IO_DROP_NO_MBUF]++;
		return PN_ENOMEM;
	}
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(PN_NET_HDRS + len));
	if (!d) {
		drop_m(w, m, PN_IO_DROP_TOO_BIG);
		return PN_EINVAL;
	}
	static const struct pn_net_mac zero;
	pn_net_udp_build_hdr(d, &zero, &zero, src, dst, buf, len, w->ip_id++, 0);
	memcpy(d + PN_NET_HDRS, buf, len);
	return l2_send(w, m, nh);
}

/* The pn_emit_fn given to the engine. */
static int io_emit(void *ctx, const struct pn_addr *src, const struct pn_addr *dst, const void *buf,
                   size_t len)
{
	struct pn_worker *w = ctx;
	w->st.emits++;
	if (!is_our_ip(w->io, src->ip) || dst->ip == 0 || dst->port == 0) {
		w->st.drops[PN_IO_DROP_ENGINE_EMIT]++;
		return PN_EINVAL;
	}
	return send_udp(w, src, dst, buf, len);
}

/* ---- receive -------------------------------------------------------------------------------- */

/* Hands m to worker owner's ring. */
static void hand_off(struct pn_worker *w, unsigned owner, struct rte_mbuf *m, uint32_t tag)
{
	m->hash.usr = tag;
	if (rte_ring_mp_enqueue(w->io->workers[owner]->in, m) != 0) {
		drop_m(w, m, PN_IO_DROP_RING_FULL);
		return;
	}
	w->st.dispatched_out++;
}

/* Delivers a UDP datagram this worker owns. base: the frame (mbuf data or the scratch copy of a
 * chain); p: its parse with offsets from base. Takes ownership of m. */
static void deliver(struct pn_worker *w, struct rte_mbuf *m, uint8_t *base,
                    const struct pn_net_pkt *p, enum udp_kind kind)
{
	struct pn_io *io = w->io;
	struct pn_dgram d = {
	    .src = {p->src_ip, p->src_port},
	    .dst = {p->dst_ip, p->dst_port},
	    .data = base + p->payload_off,
	    .len = p->payload_len,
	};
	if (kind == UDP_SIP) {
		w->st.sip_rx++;
		io->h->sip(w->engine, &d, w->now_ns, io_emit, w);
		rte_pktmbuf_free(m);
		return;
	}
	w->st.media_rx++;
	struct pn_media_fwd fwd;
	if (io->h->media(w->engine, &d, w->now_ns, &fwd) != PN_MEDIA_FORWARD) {
		drop_m(w, m, PN_IO_DROP_ENGINE_MEDIA);
		return;
	}
	if (!is_our_ip(io, fwd.src.ip) || fwd.dst.ip == 0) {
		drop_m(w, m, PN_IO_DROP_ENGINE_EMIT);
		return;
	}
	if (m->nb_segs == 1 && base == rte_pktmbuf_mtod(m, uint8_t *)) {
		/* zero copy: rewrite in place, trim any Ethernet padding */
		uint32_t flen = (uint32_t)p->l3_off + p->ip_total;
		if (m->pkt_len > flen)
			rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - flen));
		static const struct pn_net_mac zero;
		pn_net_udp_rewrite_inplace(base, m->data_len, p, &zero, &zero, &fwd.src, &fwd.dst);
		m->ol_flags = 0;
		l2_send(w, m, route(io, fwd.dst.ip));
		return;
	}
	send_udp(w, &fwd.src, &fwd.dst, d.data, d.len);
	rte_pktmbuf_free(m);
}

/* A checked UDP datagram: find its owner and deliver or hand it off. */
static void udp_in(struct pn_worker *w, struct rte_mbuf *m, uint8_t *base,
                   const struct pn_net_pkt *p)
{
	struct pn_io *io = w->io;
	const struct pn_io_conf *c = &io->conf;
	unsigned owner;
	enum udp_kind kind;
	if (p->dst_ip == c->sip.ip && p->dst_port == c->sip.port) {
		struct pn_span cid;
		kind = UDP_SIP;
		owner = pn_net_sip_callid(base + p->payload_off, p->payload_len, &cid) == 0
		            ? pn_io_callid_worker(cid.p, cid.len, io->n_workers)
		            : 0;
	} else if (p->dst_ip == c->media_ip) {
		int r = pn_io_rtp_worker(p->dst_port, c->rtp_lo, c->rtp_hi, io->n_workers);
		if (r < 0) {
			drop_m(w, m, PN_IO_DROP_UDP_PORT);
			return;
		}
		kind = UDP_MEDIA;
		owner = (unsigned)r;
	} else {
		drop_m(w, m, PN_IO_DROP_UDP_PORT);
		return;
	}
	if (owner != w->id) {
		hand_off(w, owner, m, PN_IO_TAG_UDP);
		return;
	}
	deliver(w, m, base, p, kind);
}

/* m holds a whole IPv4/UDP frame (maybe a chain) whose checksums are known good or must be
 * verified (flags). Linearises a chain into the scratch buffer and parses its transport. */
static void udp_from_frame(struct pn_worker *w, struct rte_mbuf *m, unsigned flags)
{
	uint32_t len = m->pkt_len;
	if (len < PN_NET_ETH_HLEN || len > PN_IO_SCRATCH) {
		drop_m(w, m, PN_IO_DROP_TOO_BIG);
		return;
	}
	uint8_t *base = (uint8_t *)rte_pktmbuf_read(m, 0, len, w->scratch);
	if (!base) {
		drop_m(w, m, PN_IO_DROP_RUNT);
		return;
	}
	struct pn_net_pkt p;
	if (pn_net_parse_l4(base + PN_NET_ETH_HLEN, len - PN_NET_ETH_HLEN, flags, &p) !=
	    PN_NET_UDP) {
		drop_m(w, m, p.kind == PN_NET_DROP ? (enum pn_io_drop)p.drop : PN_IO_DROP_IP_PROTO);
		return;
	}
	p.l3_off += PN_NET_ETH_HLEN;
	p.l4_off += PN_NET_ETH_HLEN;
	p.payload_off += PN_NET_ETH_HLEN;
	p.kind = PN_NET_UDP;
	udp_in(w, m, base, &p);
}

static void arp_learned(struct pn_worker *w, const struct pn_net_pkt *p, uint8_t pi)
{
	if (pn_net_arp_learn(&w->arp, p->arp_spa, &p->arp_sha, pi, w->now_ns, 0) == 0)
		w->st.arp_replies_learned++;
	if (w->n_pending)
		pending_scan(w);
}

static void handle_frame(struct pn_worker *w, struct rte_mbuf *m, unsigned pi)
{
	struct pn_io *io = w->io;
	struct pn_io_port *port = &io->ports[pi];
	w->st.rx_pkts++;
	w->st.rx_bytes += m->pkt_len;
	w->st.port_rx_pkts[pi]++;
	if (m->nb_segs != 1) {
		drop_m(w, m, PN_IO_DROP_TOO_BIG); /* jumbo scatter RX: not supported */
		return;
	}
	unsigned flags = 0;
	uint64_t ol = m->ol_flags;
	if (port->rx_ip_csum) {
		if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
			drop_m(w, m, PN_IO_DROP_IP_CSUM);
			return;
		}
		if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
			flags |= PN_NET_RX_IP_CSUM_GOOD;
	}
	if (port->rx_l4_csum) {
		if ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
			drop_m(w, m, PN_IO_DROP_UDP_CSUM);
			return;
		}
		if ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			flags |= PN_NET_RX_L4_CSUM_GOOD;
	}
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct pn_net_pkt p;
	switch (pn_net_parse(d, m->data_len, &port->local, flags, &p)) {
	case PN_NET_ARP: {
		arp_learned(w, &p, (uint8_t)pi);
		if (p.arp_op == PN_NET_ARP_OP_REQUEST) {
			struct rte_mbuf *r = rte_pktmbuf_alloc(io->pool);
			uint8_t *rd = r ? (uint8_t *)rte_pktmbuf_append(r, PN_NET_ETH_MIN) : NULL;
			if (rd &&
			    pn_net_arp_reply_inplace(rd, PN_NET_ETH_MIN, &p, &port->mac) > 0) {
				w->st.arp_requests_answered++;
				tx_enqueue(w, pi, r);
			} else {
				rte_pktmbuf_free(r);
				w->st.drops[PN_IO_DROP_NO_MBUF]++;
			}
		}
		/* every other worker learns the sender too (same mbuf, one reference each) */
		if (io->n_workers > 1)
			rte_mbuf_refcnt_update(m, (int16_t)(io->n_workers - 1));
		for (unsigned o = 0; o < io->n_workers; o++)
			if (o != w->id)
				hand_off(w, o, m, PN_IO_TAG_ARP);
		rte_pktmbuf_free(m);
		return;
	}
	case PN_NET_ICMP_ECHO: {
		uint32_t flen = (uint32_t)p.l3_off + p.ip_total;
		if (pn_net_icmp_echo_reply_inplace(d, m->data_len, &p) != 0) {
			drop_m(w, m, PN_IO_DROP_ICMP);
			return;
		}
		if (m->pkt_len > flen)
			rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - flen));
		m->ol_flags = 0;
		w->st.icmp_echo_replied++;
		tx_enqueue(w, pi, m); /* back to the MAC it came from */
		return;
	}
	case PN_NET_FRAG: {
		uint32_t flen = (uint32_t)p.l3_off + p.ip_total;
		if (m->pkt_len > flen)
			rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - flen));
		w->st.frags_rx++;
		m->l2_len = PN_NET_ETH_HLEN;
		m->l3_len = p.l3_len;
		struct rte_ipv4_hdr *ip =
		    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, PN_NET_ETH_HLEN);
		struct rte_mbuf *mo =
		    rte_ipv4_frag_reassemble_packet(w->frag_tbl, &w->death_row, m, w->tsc, ip);
		if (!mo)
			return; /* kept for later, or dropped into the death row */
		w->st.reassembled++;
		udp_from_frame(w, mo, 0);
		return;
	}
	case PN_NET_UDP:
		udp_in(w, m, d, &p);
		return;
	default:
		drop_m(w, m, (enum pn_io_drop)p.drop);
		return;
	}
}

/* A packet another worker handed us. */
static void handle_ring(struct pn_worker *w, struct rte_mbuf *m)
{
	w->st.dispatched_in++;
	if (m->hash.usr == PN_IO_TAG_ARP) {
		struct pn_net_pkt p;
		const struct pn_io_port *port = NULL;
		for (unsigned pi = 0; pi < w->io->n_ports; pi++)
			if (w->io->ports[pi].port_id == m->port)
				port = &w->io->ports[pi];
		if (port && pn_net_parse(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, &port->local,
		                         0, &p) == PN_NET_ARP)
			arp_learned(w, &p, (uint8_t)(port - w->io->ports));
		rte_pktmbuf_free(m);
		return;
	}
	udp_from_frame(w, m, PN_NET_RX_IP_CSUM_GOOD | PN_NET_RX_L4_CSUM_GOOD);
}

/* ---- the loop ------------------------------------------------------------------------------- */

static uint64_t total_rx(const struct pn_io *io)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < io->n_workers; i++)
		n += io->workers[i]->st.rx_pkts;
	return n;
}

static void rx_burst_process(struct pn_worker *w, struct rte_mbuf **pkts, uint16_t n, unsigned pi)
{
	uint16_t j;
	for (j = 0; j < PREFETCH_OFFSET && j < n; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (j = 0; j + PREFETCH_OFFSET < n; j++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j + PREFETCH_OFFSET], void *));
		handle_frame(w, pkts[j], pi);
	}
	for (; j < n; j++)
		handle_frame(w, pkts[j], pi);
}

int pn_worker_main(void *arg)
{
	struct pn_worker *w = arg;
	struct pn_io *io = w->io;
	const struct pn_io_conf *c = &io->conf;
	struct rte_mbuf *pkts[PN_IO_BURST];
	const uint64_t drain_tsc = (io->tsc_hz + 999999) / 1000000 * PN_IO_DRAIN_US;
	const uint64_t tick_tsc = io->tsc_hz / 1000;
	uint64_t last_drain = rte_rdtsc(), last_tick = last_drain;
	uint64_t last_total = 0, last_change_ns = 0;

	urcu_qsbr_register_thread();
	atomic_store(&w->running, 1);
	w->tsc = rte_rdtsc();
	w->now_ns = tsc_to_ns(io, w->tsc);
	last_change_ns = w->now_ns;
	if (w->id == 0 && !c->no_garp) {
		send_arp(w, PN_NET_ARP_OP_REQUEST, c->sip.ip, c->sip.ip);
		if (c->media_ip != c->sip.ip)
			send_arp(w, PN_NET_ARP_OP_REQUEST, c->media_ip, c->media_ip);
	}

	uint64_t prev_tsc = last_drain;
	int prev_busy = 0;
	while (!atomic_load_explicit(&io->quit, memory_order_relaxed)) {
		uint64_t tsc = rte_rdtsc();
		int busy = 0;
		if (prev_busy)
			w->st.busy_ns += tsc_to_ns(io, tsc) - tsc_to_ns(io, prev_tsc);
		prev_tsc = tsc;
		w->tsc = tsc;
		w->now_ns = tsc_to_ns(io, tsc);
		if (tsc - last_drain >= drain_tsc) {
			tx_flush_all(w);
			last_drain = tsc;
		}
		if (tsc - last_tick >= tick_tsc) {
			last_tick = tsc;
			if (io->h->tick)
				io->h->tick(w->engine, w->now_ns, io_emit, w);
			if (w->n_pending)
				pending_scan(w);
			rte_ip_frag_table_del_expired_entries(w->frag_tbl, &w->death_row, tsc);
			if (w->id == 0) {
				uint64_t t = total_rx(io);
				if (t != last_total) {
					last_total = t;
					last_change_ns = w->now_ns;
				}
				if ((c->max_packets && t >= c->max_packets) ||
				    (c->idle_exit_ms &&
				     w->now_ns - last_change_ns >= c->idle_exit_ms * 1000000ull) ||
				    (c->run_ms && w->now_ns >= c->run_ms * 1000000ull))
					atomic_store(&io->quit, 1);
			}
		}
		for (unsigned pi = 0; pi < io->n_ports; pi++) {
			if (w->id >= io->ports[pi].n_rxq)
				continue;
			uint16_t n = rte_eth_rx_burst(io->ports[pi].port_id, (uint16_t)w->id, pkts,
			                              PN_IO_BURST);
			if (n) {
				busy = 1;
				rx_burst_process(w, pkts, n, pi);
			}
		}
		unsigned n = rte_ring_sc_dequeue_burst(w->in, (void **)pkts, PN_IO_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			handle_ring(w, pkts[i]);
		busy |= n != 0;
		w->st.drops[PN_IO_DROP_FRAG] +=
		    w->death_row.cnt; /* fragments reassembly gave up on */
		rte_ip_frag_free_death_row(&w->death_row, PREFETCH_OFFSET);
		w->st.loops++;
		w->st.busy_loops += (uint64_t)busy;
		prev_busy = busy;
		urcu_qsbr_quiescent_state();
	}

	/* Shutdown: what other workers handed us, a last tick, everything flushed. */
	unsigned n;
	while ((n = rte_ring_sc_dequeue_burst(w->in, (void **)pkts, PN_IO_BURST, NULL)) != 0)
		for (unsigned i = 0; i < n; i++)
			handle_ring(w, pkts[i]);
	w->now_ns = tsc_to_ns(io, rte_rdtsc());
	if (io->h->tick)
		io->h->tick(w->engine, w->now_ns, io_emit, w);
	if (w->n_pending)
		pending_scan(w);
	tx_flush_all(w);
	w->st.drops[PN_IO_DROP_FRAG] += w->death_row.cnt;
	rte_ip_frag_free_death_row(&w->death_row, 0);
	urcu_qsbr_unregister_thread();
	atomic_store(&w->running, 0);
	return 0;
}

/* ---- events --------------------------------------------------------------------------------- */

int pn_io_event_push(void *ctx, const void *frame, size_t len)
{
	struct pn_io *io = ctx;
	void *obj;
	if (len > PN_IO_EVENT_MAX)
		return PN_EINVAL;
	if (rte_mempool_get(io->event_pool, &obj) != 0)
		return PN_EFULL;
	uint16_t l = (uint16_t)len;
	memcpy(obj, &l, sizeof(l));
	memcpy((uint8_t *)obj + sizeof(l), frame, len);
	if (rte_ring_mp_enqueue(io->events, obj) != 0) {
		rte_mempool_put(io->event_pool, obj);
		return PN_EFULL;
	}
	return 0;
}

size_t pn_io_event_pop(void *ctx, void *buf, size_t cap)
{
	struct pn_io *io = ctx;
	void *obj;
	if (rte_ring_sc_dequeue(io->events, &obj) != 0)
		return 0;
	uint16_t l;
	memcpy(&l, obj, sizeof(l));
	size_t n = RTE_MIN((size_t)l, cap);
	memcpy(buf, (uint8_t *)obj + sizeof(l), n);
	rte_mempool_put(io->event_pool, obj);
	return n;
}

/* ---- set-up --------------------------------------------------------------------------------- */

/*
 * Allocates the workers (rings, reassembly tables, static ARP entries) and creates their
 * engines. Main lcore, after the ports. Returns 0 or a negative pn_err with a message.
 */
int pn_worker_create_all(struct pn_io *io)
{
	const struct pn_io_conf *c = &io->conf;
	int socket = (int)rte_socket_id();
	io->events = rte_ring_create("pn_events", 8192, socket, RING_F_SC_DEQ);
	io->event_pool = rte_mempool_create("pn_event_pool", 8191, PN_IO_EVENT_MAX + 2, 256, 0,
	                                    NULL, NULL, NULL, NULL, socket, 0);
	if (!io->events || !io->event_pool) {
		fprintf(stderr, "privnum-dataplane: event ring: %s\n", rte_strerror(rte_errno));
		return PN_ENOMEM;
	}
	uint64_t frag_cycles = io->tsc_hz / 1000 * PN_IO_FRAG_TTL_MS;
	for (unsigned i = 0; i < io->n_workers; i++) {
		struct pn_worker *w =
		    rte_zmalloc_socket("pn_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		char name[32];
		if (!w)
			return PN_ENOMEM;
		io->workers[i] = w;
		w->id = i;
		w->io = io;
		w->ip_id = (uint16_t)(i << 12);
		snprintf(name, sizeof(name), "pn_in_%u", i);
		w->in = rte_ring_create(name, PN_IO_RING_SIZE, socket, RING_F_SC_DEQ);
		w->frag_tbl = rte_ip_frag_table_create(1024, 16, 1024 * 16, frag_cycles, socket);
		if (!w->in || !w->frag_tbl) {
			fprintf(stderr, "privnum-dataplane: worker %u tables: %s\n", i,
			        rte_strerror(rte_errno));
			return PN_ENOMEM;
		}
		for (unsigned k = 0; k < c->n_static_arp; k++)
			pn_net_arp_learn(&w->arp, c->static_arp[k].ip, &c->static_arp[k].mac, 0, 0,
			                 1);
		struct pn_io_worker_conf *e = &w->econf;
		e->worker_id = i;
		e->n_workers = io->n_workers;
		e->sip = c->sip;
		e->media_ip = c->media_ip;
		pn_io_rtp_block(c->rtp_lo, c->rtp_hi, io->n_workers, i, &e->rtp_lo, &e->rtp_hi);
		e->rtp_all_lo = c->rtp_lo;
		e->rtp_all_hi = c->rtp_hi;
		e->trunk = c->trunk;
		e->trusted = c->trusted;
		e->n_trusted = c->n_trusted;
		e->calls_max =
		    c->calls_max ? (c->calls_max + io->n_workers - 1) / io->n_workers : 0;
		e->wall_offset_ns = io->wall_offset_ns;
		e->stats = &w->estats;
		e->event = pn_io_event_push;
		e->event_ctx = io;
		e->replica = io->replica;
		w->engine = io->h->engine_create(e);
		if (!w->engine) {
			fprintf(stderr, "privnum-dataplane: engine %s: create failed (worker %u)\n",
			        io->h->name, i);
			return PN_ENOMEM;
		}
	}
	return 0;
}

void pn_worker_destroy_all(struct pn_io *io)
{
	for (unsigned i = 0; i < io->n_workers; i++) {
		struct pn_worker *w = io->workers[i];
		if (!w)
			continue;
		if (w->engine)
			io->h->engine_destroy(w->engine);
		for (unsigned k = 0; k < w->n_pending; k++)
			rte_pktmbuf_free(w->pending[k].m);
		if (w->frag_tbl)
			rte_ip_frag_table_destroy(w->frag_tbl);
		rte_ring_free(w->in);
		rte_free(w);
		io->workers[i] = NULL;
	}
}
