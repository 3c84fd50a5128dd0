/*
 * pn_engine.h: the contract between the packet layer (dataplane/io) and the sans-I/O call
 * engine (dataplane/core).
 *
 * The io layer owns ports, mbufs, ARP, IPv4 (reassembly, fragmentation), UDP checksums and
 * the TSC. It hands the engine whole UDP payloads with their addresses and the current time;
 * the engine answers with datagrams to send (SIP, copied out through the emit callback) or a
 * forwarding decision for RTP/RTCP (applied by io in place on the same mbuf: zero copy).
 *
 * Threading: one struct pn_engine per worker lcore; every call for one engine comes from that
 * lcore. The engine never reads a clock, never makes a system call and never takes a lock.
 * Addresses and ports are in host byte order.
 */
#ifndef PN_ENGINE_H
#define PN_ENGINE_H

#include <stdint.h>
#include <stddef.h>

struct pn_addr {
	uint32_t ip;   /* IPv4, host byte order */
	uint16_t port; /* host byte order */
};

/* A UDP datagram as io received it. data stays valid only during the call. */
struct pn_dgram {
	struct pn_addr src;
	struct pn_addr dst;
	const uint8_t *data;
	size_t len;
};

/*
 * How the engine sends: io copies buf into a new packet from src to dst (src is one of the
 * dataplane's own addresses). Returns 0, or <0 if io could not queue it (counted as a drop).
 */
typedef int (*pn_emit_fn)(void *io_ctx, const struct pn_addr *src, const struct pn_addr *dst,
			  const void *buf, size_t len);

/* What io does with a media packet. */
enum pn_media_action {
	PN_MEDIA_DROP = 0,    /* not ours / not latched / call gone: drop and count */
	PN_MEDIA_FORWARD = 1, /* rewrite the addresses to *out and send */
};

struct pn_media_fwd {
	struct pn_addr src; /* our relay address/port on the other leg */
	struct pn_addr dst; /* the other leg's peer */
};

#endif /* PN_ENGINE_H */
