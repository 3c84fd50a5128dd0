/*
 * pn_io_priv.h: the DPDK side of dataplane/io, shared by pn_port.c, pn_worker.c,
 * pn_telemetry.c and main.c. Not for other modules (they use pn_io.h).
 *
 * Threading model (see docs/DATAPLANE.md):
 *  - The main lcore parses arguments, initialises EAL, ports, pools and engines, starts the sync
 *    thread, launches the workers, then drains engine events to the spool (when no sync client
 *    is linked) and waits. It never touches a worker's TX queues or tables.
 *  - Worker w (one lcore each, or the main lcore itself when it is the only lcore) polls RX queue
 *    w of every port that has one, and its input ring; it owns TX queue w of every port, its ARP
 *    cache, its reassembly table and its engine. Every packet of one call meets one worker: SIP
 *    by pn_io_callid_worker, media by pn_io_rtp_worker; a packet received by another worker is
 *    passed to the owner through the owner's multi-producer/single-consumer rte_ring.
 *  - ARP replies and requests for us are handled by the receiving worker and a reference (not a
 *    copy) is passed to every other worker so each learns into its own cache.
 *  - Counters are per worker, written only by it; telemetry reads them from its own thread.
 */
#ifndef PN_IO_PRIV_H
#define PN_IO_PRIV_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "pn_io.h"
#include "pn_net.h"

#define PN_IO_BURST          32
#define PN_IO_TXBUF          64
#define PN_IO_RING_SIZE      4096
#define PN_IO_PENDING        64 /* packets waiting for ARP, per worker */
#define PN_IO_MAX_STATIC_ARP 16
#define PN_IO_MAX_FRAGS      64   /* fragments one datagram may produce on send */
#define PN_IO_DRAIN_US       100  /* TX buffers flushed at least this often */
#define PN_IO_FRAG_TTL_MS    2000 /* reassembly timeout */
#define PN_IO_SCRATCH        (65536 + 64)

/* mbuf->hash.usr tags of packets passed between workers. */
#define PN_IO_TAG_UDP 1 /* IPv4/UDP, checksums verified; maybe a chain (reassembled) */
#define PN_IO_TAG_ARP 2 /* ARP for us: learn only (the receiving worker already answered) */

/* Parsed command line (ours, after "--"). */
struct pn_io_conf {
	struct pn_addr sip;
	uint32_t media_ip;
	uint16_t rtp_lo, rtp_hi;
	struct pn_addr trunk;
	struct pn_io_cidr trusted[PN_IO_MAX_TRUSTED];
	unsigned n_trusted;
	uint32_t gateway;         /* 0: every destination is on-link */
	struct pn_io_cidr onlink; /* with a gateway: destinations reached directly */
	struct {
		uint32_t ip;
		struct pn_net_mac mac;
	} static_arp[PN_IO_MAX_STATIC_ARP];
	unsigned n_static_arp;
	unsigned n_workers; /* 0: one per worker lcore */
	unsigned mtu;
	const char *control_socket;
	const char *event_spool;
	const char *stats_json;
	const char *engine; /* "core", "echo", NULL: core if linked, else echo */
	uint64_t idle_exit_ms;
	uint64_t max_packets;
	uint64_t run_ms;
	unsigned calls_max;
	int no_garp;
	unsigned mbuf_size; /* mbuf data room (2048; more for af_packet's defragmented input) */
};

struct pn_io_port {
	uint16_t port_id;
	uint16_t n_rxq, n_txq;
	struct pn_net_mac mac;
	struct pn_net_local local;  /* our MAC on this port + our IPs */
	int rx_ip_csum, rx_l4_csum; /* port verifies checksums (flags trusted) */
	int tx_csum;                /* port computes IPv4 + UDP checksums on send */
	int tx_multiseg;
};

struct pn_io;

struct pn_txbuf {
	uint16_t n;
	struct rte_mbuf *m[PN_IO_TXBUF];
};

struct pn_worker {
	unsigned id;
	unsigned lcore;
	struct pn_io *io;
	void *engine;
	struct pn_io_worker_conf econf;
	struct pn_io_engine_stats estats;
	struct pn_io_worker_stats st;
	struct rte_ring *in; /* MP/SC: packets other workers hand us */
	struct rte_ip_frag_tbl *frag_tbl;
	struct rte_ip_frag_death_row death_row;
	struct pn_net_arp_cache arp;
	struct {
		struct rte_mbuf *m;
		uint32_t nh;
	} pending[PN_IO_PENDING];
	unsigned n_pending;
	struct pn_txbuf tx[PN_IO_MAX_PORTS];
	uint16_t ip_id;
	uint64_t now_ns;
	uint64_t tsc;
	atomic_int running;
	uint8_t scratch[PN_IO_SCRATCH] __rte_cache_aligned;
} __rte_cache_aligned;

struct pn_io {
	struct pn_io_conf conf;
	struct pn_io_port ports[PN_IO_MAX_PORTS];
	unsigned n_ports;
	int tx_multiseg; /* every port can send mbuf chains (else fragments are copied flat) */
	struct rte_mempool *pool;          /* direct mbufs */
	struct rte_mempool *indirect_pool; /* for rte_ipv4_fragment_packet */
	struct rte_mempool *event_pool;    /* event frames */
	struct rte_ring *events;           /* MP/SC: engine events to the sync thread */
	struct pn_worker *workers[PN_IO_MAX_WORKERS];
	unsigned n_workers;
	const struct pn_io_handlers *h;
	void *replica;
	atomic_int quit;
	uint64_t tsc_hz;
	uint64_t tsc0;
	uint64_t ns_mult; /* ns = (tsc - tsc0) * ns_mult >> 32 */
	uint64_t wall_offset_ns;
	uint64_t start_ns_wall;
};

/* pn_port.c */
int pn_port_init_all(struct pn_io *io);
void pn_port_stop_all(struct pn_io *io);

/* pn_worker.c */
int pn_worker_create_all(struct pn_io *io);
void pn_worker_destroy_all(struct pn_io *io);
int pn_worker_main(void *arg); /* lcore entry point; arg = struct pn_worker * */
int pn_io_event_push(void *io, const void *frame, size_t len);

/* pn_telemetry.c */
int pn_telemetry_register(struct pn_io *io);
void pn_telemetry_unregister(void);
int pn_telemetry_write_json(struct pn_io *io, const char *path);
void pn_telemetry_sum(struct pn_io *io, struct pn_io_worker_stats *st,
                      struct pn_io_engine_stats *es);

#endif /* PN_IO_PRIV_H */
