/*
 * pn_telemetry.c: privnum-dataplane's counters through DPDK telemetry and in a JSON file.
 *
 * Telemetry commands (read with dpdk-telemetry.py -f <file-prefix>, or any client of the
 * telemetry v2 UNIX socket /var/run/dpdk/<prefix>/dpdk_telemetry.v2):
 *   /privnum/stats   one flat dict: io totals, "drops/<reason>", "engine/<counter>"
 *   /privnum/lcores  {"w<N>": {lcore, io counters of worker N}}
 *   /privnum/ports   {"p<N>": {port_id, mac, the port's own rte_eth_stats, our per-port counts}}
 * --stats-json PATH writes the same three views at exit: {"stats": ..., "lcores": ..., "ports":
 * ...}. Keys are flat (telemetry dicts hold one level of containers); "/" separates groups.
 *
 * Threading: the callbacks run on DPDK's telemetry thread and read the workers' counters without
 * synchronisation (each counter has a single writer; a read may be one update stale).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "pn_io_priv.h"

typedef void (*kv_fn)(void *ctx, const char *key, uint64_t val);

/* Telemetry callbacks carry no context pointer. Cleared (pn_telemetry_unregister) before the
 * workers are freed; commands cannot be unregistered from DPDK, so they then answer -EAGAIN. */
static struct pn_io *_Atomic tel_io;

void pn_telemetry_sum(struct pn_io *io, struct pn_io_worker_stats *st,
                      struct pn_io_engine_stats *es)
{
	memset(st, 0, sizeof(*st));
	memset(es, 0, sizeof(*es));
	for (unsigned i = 0; i < io->n_workers; i++) {
		const uint64_t *a = (const uint64_t *)&io->workers[i]->st;
		uint64_t *s = (uint64_t *)st;
		for (size_t k = 0; k < sizeof(*st) / sizeof(uint64_t); k++)
			s[k] += a[k];
		const uint64_t *b = (const uint64_t *)&io->workers[i]->estats;
		uint64_t *e = (uint64_t *)es;
		for (size_t k = 0; k < sizeof(*es) / sizeof(uint64_t); k++)
			e[k] += b[k];
	}
}

static void io_kv(const struct pn_io_worker_stats *s, kv_fn kv, void *ctx)
{
	char k[64];
	kv(ctx, "rx_pkts", s->rx_pkts);
	kv(ctx, "rx_bytes", s->rx_bytes);
	kv(ctx, "tx_pkts", s->tx_pkts);
	kv(ctx, "tx_bytes", s->tx_bytes);
	kv(ctx, "arp_requests_answered", s->arp_requests_answered);
	kv(ctx, "arp_requests_sent", s->arp_requests_sent);
	kv(ctx, "arp_learned", s->arp_replies_learned);
	kv(ctx, "icmp_echo_replied", s->icmp_echo_replied);
	kv(ctx, "frags_rx", s->frags_rx);
	kv(ctx, "reassembled", s->reassembled);
	kv(ctx, "frags_tx", s->frags_tx);
	kv(ctx, "sip_rx", s->sip_rx);
	kv(ctx, "media_rx", s->media_rx);
	kv(ctx, "dispatched_out", s->dispatched_out);
	kv(ctx, "dispatched_in", s->dispatched_in);
	kv(ctx, "emits", s->emits);
	kv(ctx, "loops", s->loops);
	kv(ctx, "busy_loops", s->busy_loops);
	kv(ctx, "busy_ns", s->busy_ns);
	uint64_t total = 0;
	for (int i = 0; i < PN_IO_DROP_N; i++) {
		snprintf(k, sizeof(k), "drops/%s", pn_io_drop_names[i]);
		kv(ctx, k, s->drops[i]);
		total += s->drops[i];
	}
	kv(ctx, "drops/total", total);
}

static void engine_kv(const struct pn_io_engine_stats *s, kv_fn kv, void *ctx)
{
	char k[64];
	for (int i = 0; i < PN_IO_SIP_METHOD_N; i++) {
		snprintf(k, sizeof(k), "engine/sip_rx_req/%s", pn_io_sip_method_names[i]);
		kv(ctx, k, s->sip_rx_req[i]);
		snprintf(k, sizeof(k), "engine/sip_tx_req/%s", pn_io_sip_method_names[i]);
		kv(ctx, k, s->sip_tx_req[i]);
	}
	for (int i = 1; i <= 6; i++) {
		snprintf(k, sizeof(k), "engine/sip_rx_resp/%dxx", i);
		kv(ctx, k, s->sip_rx_resp[i]);
		snprintf(k, sizeof(k), "engine/sip_tx_resp/%dxx", i);
		kv(ctx, k, s->sip_tx_resp[i]);
	}
	kv(ctx, "engine/sip_parse_errors", s->sip_parse_errors);
	kv(ctx, "engine/sip_retransmits", s->sip_retransmits);
	kv(ctx, "engine/calls_started", s->calls_started);
	kv(ctx, "engine/calls_active", s->calls_active);
	for (int i = 0; i < PN_IO_CALL_OUTCOME_N; i++) {
		snprintf(k, sizeof(k), "engine/calls/%s", pn_io_call_outcome_names[i]);
		kv(ctx, k, s->calls_by_outcome[i]);
	}
	kv(ctx, "engine/media_forwarded", s->media_forwarded);
	kv(ctx, "engine/media_dropped", s->media_dropped);
	kv(ctx, "engine/events_emitted", s->events_emitted);
	kv(ctx, "engine/events_dropped", s->events_dropped);
}

static void port_kv(struct pn_io *io, unsigned pi, kv_fn kv, void *ctx)
{
	const struct pn_io_port *p = &io->ports[pi];
	struct rte_eth_stats es;
	kv(ctx, "port_id", p->port_id);
	if (rte_eth_stats_get(p->port_id, &es) == 0) {
		kv(ctx, "ipackets", es.ipackets);
		kv(ctx, "opackets", es.opackets);
		kv(ctx, "ibytes", es.ibytes);
		kv(ctx, "obytes", es.obytes);
		kv(ctx, "imissed", es.imissed);
		kv(ctx, "ierrors", es.ierrors);
		kv(ctx, "oerrors", es.oerrors);
		kv(ctx, "rx_nombuf", es.rx_nombuf);
	}
	uint64_t rx = 0, tx = 0;
	for (unsigned i = 0; i < io->n_workers; i++) {
		rx += io->workers[i]->st.port_rx_pkts[pi];
		tx += io->workers[i]->st.port_tx_pkts[pi];
	}
	kv(ctx, "privnum_rx_pkts", rx);
	kv(ctx, "privnum_tx_pkts", tx);
	kv(ctx, "rx_queues", p->n_rxq);
	kv(ctx, "tx_queues", p->n_txq);
}

/* ---- telemetry ------------------------------------------------------------------------------ */

static void tel_kv(void *ctx, const char *key, uint64_t val)
{
	rte_tel_data_add_dict_u64(ctx, key, val);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct pn_io *io = atomic_load(&tel_io);
	if (!io)
		return -EAGAIN;
	struct pn_io_worker_stats st;
	struct pn_io_engine_stats es;
	pn_telemetry_sum(io, &st, &es);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "engine", io->h->name);
	rte_tel_data_add_dict_u64(d, "workers", io->n_workers);
	io_kv(&st, tel_kv, d);
	engine_kv(&es, tel_kv, d);
	return 0;
}

static int tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct pn_io *io = atomic_load(&tel_io);
	if (!io)
		return -EAGAIN;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < io->n_workers; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		char k[16];
		if (!c)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", io->workers[i]->lcore);
		io_kv(&io->workers[i]->st, tel_kv, c);
		snprintf(k, sizeof(k), "w%u", i);
		rte_tel_data_add_dict_container(d, k, c, 0);
	}
	return 0;
}

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct pn_io *io = atomic_load(&tel_io);
	if (!io)
		return -EAGAIN;
	rte_tel_data_start_dict(d);
	for (unsigned pi = 0; pi < io->n_ports; pi++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		char k[16], mac[24];
		const uint8_t *b = io->ports[pi].mac.b;
		if (!c)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3],
		         b[4], b[5]);
		rte_tel_data_add_dict_string(c, "mac", mac);
		port_kv(io, pi, tel_kv, c);
		snprintf(k, sizeof(k), "p%u", pi);
		rte_tel_data_add_dict_container(d, k, c, 0);
	}
	return 0;
}

/* Registers the /privnum/ commands. Returns 0 or a negative errno. Main lcore, once. */
int pn_telemetry_register(struct pn_io *io)
{
	atomic_store(&tel_io, io);
	int r = rte_telemetry_register_cmd("/privnum/stats", tel_stats,
	                                   "privnum totals: packets, drops by reason, engine");
	if (r == 0)
		r = rte_telemetry_register_cmd("/privnum/lcores", tel_lcores,
		                               "privnum counters per worker lcore");
	if (r == 0)
		r = rte_telemetry_register_cmd("/privnum/ports", tel_ports,
		                               "privnum counters per port");
	return r;
}

void pn_telemetry_unregister(void)
{
	atomic_store(&tel_io, NULL);
}

/* ---- JSON file ------------------------------------------------------------------------------ */

struct json_ctx {
	FILE *f;
	int first;
};

static void json_kv(void *ctx, const char *key, uint64_t val)
{
	struct json_ctx *j = ctx;
	fprintf(j->f, "%s\"%s\": %" PRIu64, j->first ? "" : ", ", key, val);
	j->first = 0;
}

/* Writes {"stats": {...}, "lcores": {...}, "ports": {...}} to path (replaced atomically).
 * Returns 0 or PN_EIO. */
int pn_telemetry_write_json(struct pn_io *io, const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return PN_EIO;
	struct pn_io_worker_stats st;
	struct pn_io_engine_stats es;
	struct json_ctx j = {f, 1};
	pn_telemetry_sum(io, &st, &es);
	fprintf(f, "{\"stats\": {\"engine\": \"%s\", ", io->h->name);
	j.first = 1;
	json_kv(&j, "workers", io->n_workers);
	io_kv(&st, json_kv, &j);
	engine_kv(&es, json_kv, &j);
	fprintf(f, "},\n \"lcores\": {");
	for (unsigned i = 0; i < io->n_workers; i++) {
		fprintf(f, "%s\"w%u\": {", i ? ", " : "", i);
		j.first = 1;
		json_kv(&j, "lcore", io->workers[i]->lcore);
		io_kv(&io->workers[i]->st, json_kv, &j);
		fprintf(f, "}");
	}
	fprintf(f, "},\n \"ports\": {");
	for (unsigned pi = 0; pi < io->n_ports; pi++) {
		const uint8_t *b = io->ports[pi].mac.b;
		fprintf(f, "%s\"p%u\": {\"mac\": \"%02x:%02x:%02x:%02x:%02x:%02x\"", pi ? ", " : "",
		        pi, b[0], b[1], b[2], b[3], b[4], b[5]);
		j.first = 0;
		port_kv(io, pi, json_kv, &j);
		fprintf(f, "}");
	}
	fprintf(f, "}}\n");
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0)
		return PN_EIO;
	return 0;
}
