/*
 * pn_io.h: the packet layer's public contract: the handler table a call engine plugs into, the
 * per-worker configuration io hands each engine, the statistics io and the engine share, the
 * Call-ID -> worker and RTP port -> worker ownership rules, and the hook for the change-stream
 * client (pn_sync).
 *
 * This header includes no DPDK header, so dataplane/core (sans-I/O) can include it.
 *
 * Plugging an engine in: define, anywhere linked into privnum-dataplane (dataplane/core is linked
 * whole), the symbol
 *
 *	const struct pn_io_handlers pn_io_handlers_core = { .name = "core", ... };
 *
 * io references it weakly: when it exists it is the default engine ("--engine core"); the
 * built-in "echo" set (pn_io_handlers_echo) is always available for tests ("--engine echo").
 *
 * Invariants:
 *  - Every SIP datagram whose Call-ID hashes to worker w (pn_io_callid_worker) and every media
 *    datagram whose destination port is owned by worker w (pn_io_rtp_worker) is handed to the
 *    engine instance of worker w, on worker w's lcore, in arrival order per RX queue. An engine
 *    that creates a Call-ID (leg 2) must pick one that hashes to its own worker, and must allocate
 *    relay ports only from its own range [rtp_lo, rtp_hi] in its conf.
 *  - Datagrams are whole (io reassembles IPv4 fragments before dispatch) and their UDP and IPv4
 *    checksums have been verified. data stays valid only during the call.
 *  - The emit callback copies the buffer; the engine may reuse it on return. emit may fragment
 *    (IPv4, MTU from --mtu) and may queue until the next hop's ARP entry resolves.
 *
 * Threading: engine_create/destroy run on the main lcore before the workers start / after they
 * stopped; sip/media/tick run only on the owning worker lcore, never concurrently for one engine.
 * Worker threads are registered liburcu QSBR readers and report a quiescent state once per poll
 * loop, between handler calls: an engine may hold replica pointers only within one handler call.
 * Handlers must not block, make system calls, or take locks.
 */
#ifndef PN_IO_H
#define PN_IO_H

#include <stddef.h>
#include <stdint.h>

#include "pn_engine.h"

#define PN_IO_MAX_WORKERS 16
#define PN_IO_MAX_PORTS   4
#define PN_IO_MAX_TRUSTED 32
#define PN_IO_TICK_NS     1000000ull /* tick() period: 1 ms */

/* ---- statistics ----------------------------------------------------------------------------- */

/* Why io dropped a packet (per worker; the sum over workers is reported per reason). */
enum pn_io_drop {
	PN_IO_DROP_RUNT = 0,     /* shorter than its headers claim / truncated */
	PN_IO_DROP_L2_NOT_US,    /* unicast MAC not ours */
	PN_IO_DROP_ETHERTYPE,    /* not IPv4 / ARP (IPv6, VLAN, LLDP...) */
	PN_IO_DROP_IP_BAD,       /* bad version / IHL / total length / options we refuse */
	PN_IO_DROP_IP_CSUM,      /* bad IPv4 header checksum */
	PN_IO_DROP_IP_NOT_US,    /* destination is not one of our addresses */
	PN_IO_DROP_IP_PROTO,     /* neither UDP nor ICMP */
	PN_IO_DROP_UDP_BAD,      /* UDP length inconsistent with IP length */
	PN_IO_DROP_UDP_CSUM,     /* bad UDP checksum */
	PN_IO_DROP_UDP_PORT,     /* no listener on that port (not SIP, not in the RTP range) */
	PN_IO_DROP_ICMP,         /* ICMP other than echo request, or bad ICMP checksum */
	PN_IO_DROP_ARP_BAD,      /* malformed or irrelevant ARP */
	PN_IO_DROP_FRAG,         /* fragment dropped by reassembly (bad, timeout, table full) */
	PN_IO_DROP_NO_ARP,       /* next hop unresolved: pending queue full or ARP timed out */
	PN_IO_DROP_RING_FULL,    /* dispatch ring to the owning worker full */
	PN_IO_DROP_TX_FULL,      /* the port refused the packet (TX queue full) */
	PN_IO_DROP_NO_MBUF,      /* mbuf pool exhausted on send */
	PN_IO_DROP_TOO_BIG,      /* datagram larger than we can send (64 KiB) or fragment fail */
	PN_IO_DROP_ENGINE_MEDIA, /* engine said PN_MEDIA_DROP */
	PN_IO_DROP_ENGINE_EMIT,  /* emit refused (bad source address, no route) */
	PN_IO_DROP_N
};

/* Names for enum pn_io_drop, indexed by it ("runt", "l2_not_us", ...). */
extern const char *const pn_io_drop_names[PN_IO_DROP_N];

/* SIP methods the engine counts; PN_IO_SIP_OTHER for any other. */
enum pn_io_sip_method {
	PN_IO_SIP_INVITE = 0,
	PN_IO_SIP_ACK,
	PN_IO_SIP_BYE,
	PN_IO_SIP_CANCEL,
	PN_IO_SIP_OPTIONS,
	PN_IO_SIP_PRACK,
	PN_IO_SIP_UPDATE,
	PN_IO_SIP_INFO,
	PN_IO_SIP_REGISTER,
	PN_IO_SIP_OTHER,
	PN_IO_SIP_METHOD_N
};
extern const char *const pn_io_sip_method_names[PN_IO_SIP_METHOD_N];

/* How a call ended (the engine counts one per call at its end). */
enum pn_io_call_outcome {
	PN_IO_CALL_ANSWERED = 0, /* reached answer, then released normally */
	PN_IO_CALL_BUSY,         /* callee busy (486/600) */
	PN_IO_CALL_NO_ANSWER,    /* no answer before timeout (408/480) */
	PN_IO_CALL_CANCELLED,    /* caller hung up before answer */
	PN_IO_CALL_REJECTED,     /* callee or network rejected (other 4xx-6xx) */
	PN_IO_CALL_NO_BINDING,   /* no binding for X (spec hang-up) */
	PN_IO_CALL_UNTRUSTED,    /* INVITE from a source outside --trusted */
	PN_IO_CALL_OVERLOAD,     /* --calls-max reached */
	PN_IO_CALL_MAX_DURATION, /* released by maxDuration */
	PN_IO_CALL_FAILED,       /* internal failure */
	PN_IO_CALL_OUTCOME_N
};
extern const char *const pn_io_call_outcome_names[PN_IO_CALL_OUTCOME_N];

/*
 * Counters the engine maintains, one struct per worker, written only by that worker (plain
 * increments, no atomics: readers on other threads accept a slightly stale value; 64-bit stores
 * are not torn on the platforms we run on). io zeroes it before engine_create and reports it
 * through telemetry and --stats-json. Index sip_*_resp by status class: [1]..[6] = 1xx..6xx.
 */
struct pn_io_engine_stats {
	uint64_t sip_rx_req[PN_IO_SIP_METHOD_N];
	uint64_t sip_tx_req[PN_IO_SIP_METHOD_N];
	uint64_t sip_rx_resp[7];
	uint64_t sip_tx_resp[7];
	uint64_t sip_parse_errors; /* datagrams on the SIP port that did not parse */
	uint64_t sip_retransmits;  /* retransmissions sent by the engine's timers */
	uint64_t calls_started;    /* INVITEs that created a call */
	uint64_t calls_active;     /* gauge */
	uint64_t calls_by_outcome[PN_IO_CALL_OUTCOME_N];
	uint64_t media_forwarded;
	uint64_t media_dropped;
	uint64_t events_emitted;
	uint64_t events_dropped; /* event ring full */
	uint64_t spare[16];      /* room for the engine to grow without changing the layout */
};

/* Counters io keeps per worker lcore (and, via the port_id index, per port). */
struct pn_io_worker_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t drops[PN_IO_DROP_N];
	uint64_t arp_requests_answered;
	uint64_t arp_requests_sent;
	uint64_t arp_replies_learned;
	uint64_t icmp_echo_replied;
	uint64_t frags_rx;       /* IPv4 fragments received */
	uint64_t reassembled;    /* datagrams completed by reassembly */
	uint64_t frags_tx;       /* fragments sent */
	uint64_t sip_rx;         /* datagrams given to engine->sip */
	uint64_t media_rx;       /* datagrams given to engine->media */
	uint64_t dispatched_out; /* handed to another worker's ring */
	uint64_t dispatched_in;  /* received from another worker's ring */
	uint64_t emits;          /* emit calls by the engine */
	uint64_t loops;          /* poll loop iterations */
	uint64_t busy_loops;     /* iterations that handled at least one packet */
	uint64_t busy_ns;        /* time in iterations that handled packets (per-packet cost) */
	uint64_t port_rx_pkts[PN_IO_MAX_PORTS];
	uint64_t port_tx_pkts[PN_IO_MAX_PORTS];
};

/* ---- configuration handed to each engine ---------------------------------------------------- */

struct pn_io_cidr {
	uint32_t net;  /* host byte order, masked */
	uint32_t mask; /* host byte order */
};

/* Returns 1 if ip (host order) is inside one of the n CIDRs, else 0. */
static inline int pn_io_cidr_match(const struct pn_io_cidr *c, unsigned n, uint32_t ip)
{
	for (unsigned i = 0; i < n; i++)
		if ((ip & c[i].mask) == c[i].net)
			return 1;
	return 0;
}

/*
 * An event frame (msgpack, schema in proto/) from an engine to the control plane. Copies frame;
 * returns 0, or PN_EFULL when the event ring is full (the engine counts events_dropped) or
 * PN_EINVAL when len > PN_IO_EVENT_MAX. Worker lcore only; never blocks.
 */
#define PN_IO_EVENT_MAX 2000
typedef int (*pn_io_event_fn)(void *event_ctx, const void *frame, size_t len);

struct pn_io_worker_conf {
	unsigned worker_id; /* 0 .. n_workers-1 */
	unsigned n_workers;
	struct pn_addr sip;      /* our SIP address (--sip-addr) */
	uint32_t media_ip;       /* our relay address (--media-addr), host order */
	uint16_t rtp_lo, rtp_hi; /* RTP ports THIS worker owns, inclusive, rtp_lo even */
	uint16_t rtp_all_lo;     /* the whole --rtp-ports range */
	uint16_t rtp_all_hi;
	struct pn_addr trunk; /* egress next hop for leg-2 INVITEs (--trunk); ip 0 = none */
	const struct pn_io_cidr *trusted; /* --trusted; n_trusted == 0: nobody is trusted */
	unsigned n_trusted;
	unsigned calls_max;               /* this worker's share of --calls-max (0 = unlimited) */
	uint64_t wall_offset_ns;          /* now_ns + wall_offset_ns = Unix time in ns */
	struct pn_io_engine_stats *stats; /* this worker's counters (zeroed, never NULL) */
	pn_io_event_fn event;             /* event sink (never NULL) */
	void *event_ctx;
	void *replica; /* the binding replica (storage/), or NULL before pn_sync provides it */
};

/* ---- the handler table ---------------------------------------------------------------------- */

struct pn_io_handlers {
	const char *name;
	/* Create worker conf->worker_id's engine. conf and what it points to outlive the engine.
	 * Returns the engine context, or NULL (start-up fails). Main lcore. */
	void *(*engine_create)(const struct pn_io_worker_conf *conf);
	/* Destroy it (after the workers stopped). Main lcore. */
	void (*engine_destroy)(void *engine);
	/* A datagram to our SIP port. Answers go out through emit(emit_ctx, ...). */
	void (*sip)(void *engine, const struct pn_dgram *d, uint64_t now_ns, pn_emit_fn emit,
	            void *emit_ctx);
	/* A datagram to a port of this worker's RTP range. PN_MEDIA_FORWARD: io rewrites the
	 * addresses to *out and sends the same packet (zero copy); PN_MEDIA_DROP: io drops it. */
	enum pn_media_action (*media)(void *engine, const struct pn_dgram *d, uint64_t now_ns,
	                              struct pn_media_fwd *out);
	/* Timers: called about every PN_IO_TICK_NS, and once more at shutdown. May be NULL. */
	void (*tick)(void *engine, uint64_t now_ns, pn_emit_fn emit, void *emit_ctx);
};

/* Built in: echoes every SIP-port datagram to its sender (and posts it as an event frame) and
 * reflects media to its source. */
extern const struct pn_io_handlers pn_io_handlers_echo;
/* Provided by dataplane/core when it is ready (weak reference in io). */
extern const struct pn_io_handlers pn_io_handlers_core __attribute__((weak));

/* ---- ownership rules (pure; the engine uses the same functions) ----------------------------- */

/* FNV-1a 32 over the Call-ID bytes, as used for dispatch. */
static inline uint32_t pn_io_callid_hash(const void *callid, size_t len)
{
	const uint8_t *p = (const uint8_t *)callid;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* The worker that owns a Call-ID (the exact header value, trimmed of surrounding whitespace). */
static inline unsigned pn_io_callid_worker(const void *callid, size_t len, unsigned n_workers)
{
	return n_workers <= 1 ? 0 : pn_io_callid_hash(callid, len) % n_workers;
}

/*
 * The worker that owns a UDP port of the RTP range [lo, hi] split among n workers in equal
 * even-sized blocks (RTP and RTCP pairs never straddle workers). Returns -1 if port is outside
 * the range. pn_io_rtp_block gives worker w's block.
 */
static inline unsigned pn_io_rtp_span(uint16_t lo, uint16_t hi, unsigned n)
{
	unsigned total = (unsigned)hi - lo + 1;
	unsigned span = n ? total / n : total;
	return span & ~1u;
}
static inline int pn_io_rtp_worker(uint16_t port, uint16_t lo, uint16_t hi, unsigned n)
{
	if (port < lo || port > hi || n == 0)
		return -1;
	unsigned span = pn_io_rtp_span(lo, hi, n);
	if (span == 0)
		return -1;
	unsigned w = ((unsigned)port - lo) / span;
	return w < n ? (int)w : -1; /* the odd tail past n*span belongs to nobody */
}
static inline void pn_io_rtp_block(uint16_t lo, uint16_t hi, unsigned n, unsigned w,
                                   uint16_t *out_lo, uint16_t *out_hi)
{
	unsigned span = pn_io_rtp_span(lo, hi, n);
	*out_lo = (uint16_t)(lo + w * span);
	*out_hi = (uint16_t)(lo + (w + 1) * span - 1);
}

/* ---- the change-stream client hook (dataplane/io/pn_sync.c, by the replica engineer) --------- */

/*
 * What io gives the sync thread. pn_sync_start starts a non-worker thread (it may block, make
 * system calls, take locks) that follows the control plane's change stream into the replica and
 * forwards event frames from the engines to control. io calls it on the main lcore before the
 * workers start; it must set *replica_out (the replica the engines read) before returning, or
 * leave it NULL. pn_sync_stop asks the thread to finish and joins it (after the workers stop).
 *
 * Build: storage/meson.build builds pn_sync.c as sync_lib; dataplane/io/meson.build links it
 * whole into privnum-dataplane when that variable exists; main.c calls pn_sync_start only if
 * it is linked (weak reference).
 *
 * Event frames: the sync thread calls pn_io_event_pop() in a loop; it returns the length of the
 * next frame copied into buf (cap >= PN_IO_EVENT_MAX), or 0 when none is queued. Never blocks.
 */
struct pn_sync_conf {
	const char *control_socket; /* --control-socket PATH (NULL: none; run without control) */
	const char *event_spool;    /* --event-spool PATH (NULL: none) */
	unsigned n_workers;
	void **replica_out; /* OUT: the replica handle, passed to every engine conf */
	void *io;           /* pass to pn_io_event_pop */
};
int pn_sync_start(struct pn_sync_conf *conf) __attribute__((weak));
void pn_sync_stop(void) __attribute__((weak));
size_t pn_io_event_pop(void *io, void *buf, size_t cap);

#endif /* PN_IO_H */
