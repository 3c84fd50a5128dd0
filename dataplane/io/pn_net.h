/*
 * pn_net.h: privnum's minimal network layer as pure functions over byte buffers: Ethernet, ARP,
 * IPv4, UDP and ICMP echo parsing and checks, the Internet checksum, in-place reply builders,
 * header builders for sending, the ARP neighbour cache, and the Call-ID scanner used to dispatch
 * SIP to its owning worker. No DPDK: unit-tested and fuzzed on plain buffers; the DPDK layer
 * (pn_worker.c) applies it to mbuf data.
 *
 * Invariants:
 *  - Every parser takes untrusted bytes: it reads only inside [frame, frame + len) and reports
 *    why it refused a packet (enum pn_io_drop) instead of asserting.
 *  - Addresses and ports in structs are host byte order; wire buffers are network order.
 *  - IPv4 options are accepted (IHL 5..15) and skipped; fragments are recognised and left to
 *    the caller's reassembly (kind PN_NET_FRAG) with only the IPv4 header checked.
 *
 * Threading: no global state. A struct pn_net_arp_cache belongs to one thread.
 * Cost: parse is O(header bytes) plus one pass over the UDP datagram when the checksum is
 * verified in software; the Call-ID scan is O(bytes up to the Call-ID header).
 */
#ifndef PN_NET_H
#define PN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "pn_common.h"
#include "pn_io.h"

#define PN_NET_ETH_HLEN  14
#define PN_NET_ETH_MIN   60 /* minimum frame without FCS; shorter frames are padded */
#define PN_NET_ARP_LEN   28
#define PN_NET_IP_HLEN   20
#define PN_NET_UDP_HLEN  8
#define PN_NET_ICMP_HLEN 8
#define PN_NET_HDRS      (PN_NET_ETH_HLEN + PN_NET_IP_HLEN + PN_NET_UDP_HLEN) /* 42 */

#define PN_NET_ETHERTYPE_IPV4 0x0800
#define PN_NET_ETHERTYPE_ARP  0x0806
#define PN_NET_PROTO_ICMP     1
#define PN_NET_PROTO_UDP      17
#define PN_NET_ARP_OP_REQUEST 1
#define PN_NET_ARP_OP_REPLY   2
#define PN_NET_MAX_LOCAL_IPS  4

struct pn_net_mac {
	uint8_t b[6];
};

/* Who we are, for the "is it for us" checks. */
struct pn_net_local {
	struct pn_net_mac mac;
	uint32_t ips[PN_NET_MAX_LOCAL_IPS]; /* host order */
	unsigned n_ips;
};

/* Receive-side flags: what the port already verified (from mbuf ol_flags). */
#define PN_NET_RX_IP_CSUM_GOOD 0x1u /* hardware verified the IPv4 header checksum */
#define PN_NET_RX_L4_CSUM_GOOD 0x2u /* hardware verified the UDP/ICMP checksum */

enum pn_net_kind {
	PN_NET_DROP = 0,      /* see pkt->drop */
	PN_NET_ARP = 1,       /* ARP request or reply that concerns us (arp_* filled) */
	PN_NET_UDP = 2,       /* whole UDP datagram to one of our addresses (payload_* filled) */
	PN_NET_ICMP_ECHO = 3, /* ICMP echo request to one of our addresses */
	PN_NET_FRAG = 4,      /* IPv4 fragment to one of our addresses: reassemble first */
};

/* What pn_net_parse found. Offsets are from the start of the frame. */
struct pn_net_pkt {
	uint8_t kind;  /* enum pn_net_kind */
	uint8_t drop;  /* enum pn_io_drop when kind == PN_NET_DROP */
	uint8_t proto; /* IPv4 protocol */
	uint8_t ttl;
	uint16_t l3_off;      /* IPv4 header offset (14) */
	uint16_t l3_len;      /* IPv4 header length (IHL * 4) */
	uint16_t ip_total;    /* IPv4 total length */
	uint16_t l4_off;      /* UDP/ICMP header offset */
	uint16_t payload_off; /* UDP payload offset */
	uint16_t payload_len; /* UDP payload length */
	uint16_t src_port;    /* UDP */
	uint16_t dst_port;
	uint32_t src_ip; /* IPv4 */
	uint32_t dst_ip;
	struct pn_net_mac src_mac;
	struct pn_net_mac dst_mac;
	uint16_t arp_op; /* ARP */
	struct pn_net_mac arp_sha;
	uint32_t arp_spa;
	uint32_t arp_tpa;
};

/* ---- byte order helpers --------------------------------------------------------------------- */

static inline uint16_t pn_net_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t pn_net_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void pn_net_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void pn_net_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- checksums (RFC 1071) ------------------------------------------------------------------- */

/* Adds len bytes at p to a running 32-bit one's-complement sum (len may be odd). */
uint32_t pn_net_csum_add(uint32_t sum, const void *p, size_t len);
/* Folds a running sum to 16 bits and complements it: the value to store in a header. */
uint16_t pn_net_csum_fold(uint32_t sum);
/* The IPv4 header checksum of hdr (hlen bytes, its checksum field taken as is). A header whose
 * stored checksum is right gives 0. */
uint16_t pn_net_ipv4_csum(const uint8_t *hdr, size_t hlen);
/* The UDP checksum of a datagram from src to dst (host order): udp (8 bytes, checksum field
 * 0) followed by payload. Returns the value to store (a computed 0 is sent as 0xffff). To
 * verify a received datagram use pn_net_udp_csum_ok. */
uint16_t pn_net_udp_csum(uint32_t src, uint32_t dst, const uint8_t *udp, const uint8_t *payload,
                         size_t payload_len);
/* 1 if the UDP datagram (header + payload contiguous, udp_len bytes) carries a correct
 * checksum or none (0), else 0. */
int pn_net_udp_csum_ok(uint32_t src, uint32_t dst, const uint8_t *udp, size_t udp_len);

/* ---- parsing -------------------------------------------------------------------------------- */

/*
 * Parses an Ethernet frame and classifies it for us. flags: PN_NET_RX_*. Returns the kind (also
 * stored in out->kind); PN_NET_DROP with out->drop set when the packet is not for us or is bad.
 * Never reads outside [frame, frame + len).
 */
int pn_net_parse(const uint8_t *frame, size_t len, const struct pn_net_local *me, unsigned flags,
                 struct pn_net_pkt *out);

/*
 * Checks the transport of a whole (possibly reassembled) IPv4 datagram starting at ip (len bytes
 * available, at least its total length) and fills the L3/L4 fields of out, with offsets relative
 * to ip + l3_off where l3_off is set to 0. Returns PN_NET_UDP, PN_NET_ICMP_ECHO or PN_NET_DROP.
 * The IPv4 header checksum is not re-verified (pn_net_parse did it on the first fragment).
 */
int pn_net_parse_l4(const uint8_t *ip, size_t len, unsigned flags, struct pn_net_pkt *out);

/* ---- in-place replies ----------------------------------------------------------------------- */

/*
 * Turns an ARP request for one of our addresses (pkt from pn_net_parse, kind PN_NET_ARP, op
 * request) into our reply, in place. frame must have room for PN_NET_ETH_MIN bytes (cap).
 * Returns the new frame length (60), or PN_EINVAL if pkt is not a request or cap is too small.
 */
int pn_net_arp_reply_inplace(uint8_t *frame, size_t cap, const struct pn_net_pkt *pkt,
                             const struct pn_net_mac *mine);

/* Turns an ICMP echo request (kind PN_NET_ICMP_ECHO) into its reply in place: swaps the
 * addresses, type 0, TTL 64, both checksums recomputed. Returns 0 or PN_EINVAL. */
int pn_net_icmp_echo_reply_inplace(uint8_t *frame, size_t len, const struct pn_net_pkt *pkt);

/*
 * Rewrites a received UDP packet (kind PN_NET_UDP) to go from src to dst via the given MACs,
 * in place, for media relaying: TTL reset to 64, IPv4 checksum recomputed, UDP checksum updated
 * incrementally (RFC 1624; a zero checksum stays zero). Returns 0 or PN_EINVAL.
 */
int pn_net_udp_rewrite_inplace(uint8_t *frame, size_t len, const struct pn_net_pkt *pkt,
                               const struct pn_net_mac *src_mac, const struct pn_net_mac *dst_mac,
                               const struct pn_addr *src, const struct pn_addr *dst);

/* ---- builders ------------------------------------------------------------------------------- */

/* Writes an ARP frame (60 bytes, zero padded) into buf (cap >= 60). tha may be NULL (zeros) and
 * eth_dst NULL (broadcast). Returns 60 or PN_EINVAL. */
int pn_net_arp_build(uint8_t *buf, size_t cap, uint16_t op, const struct pn_net_mac *sha,
                     uint32_t spa, const struct pn_net_mac *eth_dst, const struct pn_net_mac *tha,
                     uint32_t tpa);

/*
 * Writes Ethernet + IPv4 + UDP headers (42 bytes) into hdr for a datagram of payload_len bytes.
 * The IPv4 checksum is computed; the UDP checksum too when payload != NULL (payload_len bytes
 * contiguous), else left 0 for the caller (offload). df: set Don't Fragment. Returns 42 or
 * PN_EINVAL (payload_len too large for one IPv4 datagram: > 65507).
 */
int pn_net_udp_build_hdr(uint8_t *hdr, const struct pn_net_mac *src_mac,
                         const struct pn_net_mac *dst_mac, const struct pn_addr *src,
                         const struct pn_addr *dst, const uint8_t *payload, size_t payload_len,
                         uint16_t ip_id, int df);

/* ---- ARP neighbour cache -------------------------------------------------------------------- */

#define PN_NET_ARP_SLOTS        256 /* power of two */
#define PN_NET_ARP_PROBE        8   /* probe window (linear probing) */
#define PN_NET_ARP_REACHABLE_NS (300ull * 1000000000ull)
#define PN_NET_ARP_RETRY_NS     (1000ull * 1000000ull)
#define PN_NET_ARP_MAX_TRIES    3

enum pn_net_arp_state {
	PN_NET_ARP_FREE = 0,
	PN_NET_ARP_INCOMPLETE, /* request sent, waiting */
	PN_NET_ARP_REACHABLE,  /* learned; expires */
	PN_NET_ARP_STATIC,     /* configured; never expires */
};

struct pn_net_arp_entry {
	uint32_t ip;
	uint8_t state; /* enum pn_net_arp_state */
	uint8_t port;  /* the port it was learned on */
	uint8_t tries; /* requests sent while INCOMPLETE */
	struct pn_net_mac mac;
	uint64_t deadline_ns; /* REACHABLE: expiry; INCOMPLETE: next retry */
};

struct pn_net_arp_cache {
	struct pn_net_arp_entry e[PN_NET_ARP_SLOTS];
};

/* Returns the entry for ip if REACHABLE (not expired) or STATIC, else NULL. */
const struct pn_net_arp_entry *pn_net_arp_lookup(const struct pn_net_arp_cache *c, uint32_t ip,
                                                 uint64_t now_ns);
/* Records ip -> mac (learned, or static when is_static). A static entry is never replaced by
 * a learned one. Evicts the stalest non-static entry of the probe window when full. Returns 0,
 * or PN_EFULL (the window holds only static entries) or PN_EINVAL (ip 0). */
int pn_net_arp_learn(struct pn_net_arp_cache *c, uint32_t ip, const struct pn_net_mac *mac,
                     uint8_t port, uint64_t now_ns, int is_static);
/*
 * Call when a packet must go to unresolved ip. Returns 1 if a request should be sent now (new
 * entry, or retry time reached and tries < PN_NET_ARP_MAX_TRIES), 0 if one is outstanding, or
 * PN_ENOENT if the neighbour did not answer PN_NET_ARP_MAX_TRIES requests (the entry is freed so
 * that a later packet starts over), or PN_EFULL.
 */
int pn_net_arp_want(struct pn_net_arp_cache *c, uint32_t ip, uint64_t now_ns);

/* ---- SIP dispatch --------------------------------------------------------------------------- */

/*
 * Finds the Call-ID header ("Call-ID" or compact "i", any case, optional whitespace before the
 * colon) among the header lines of a SIP message and returns its value trimmed of surrounding
 * spaces/tabs in *out. Stops at the empty line ending the headers. Returns 0 or PN_ENOENT.
 */
int pn_net_sip_callid(const uint8_t *msg, size_t len, struct pn_span *out);

#endif /* PN_NET_H */
