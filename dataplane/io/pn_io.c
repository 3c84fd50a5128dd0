/*
 * pn_io.c: the name tables of pn_io.h and the built-in "echo" handler set.
 *
 * The echo engine lets io be tested end to end before (and independently of) the real call
 * engine: every datagram to the SIP port goes back to its sender from the address it was sent to
 * (and, up to PN_IO_EVENT_MAX bytes, is also posted as an event frame), and every media datagram
 * is reflected to its source. No state, no allocation beyond one small
 * per-worker struct; safe on any worker.
 */
#include <stdlib.h>

#include "pn_common.h"
#include "pn_io.h"

const char *const pn_io_drop_names[PN_IO_DROP_N] = {
    [PN_IO_DROP_RUNT] = "runt",
    [PN_IO_DROP_L2_NOT_US] = "l2_not_us",
    [PN_IO_DROP_ETHERTYPE] = "ethertype",
    [PN_IO_DROP_IP_BAD] = "ip_bad",
    [PN_IO_DROP_IP_CSUM] = "ip_csum",
    [PN_IO_DROP_IP_NOT_US] = "ip_not_us",
    [PN_IO_DROP_IP_PROTO] = "ip_proto",
    [PN_IO_DROP_UDP_BAD] = "udp_bad",
    [PN_IO_DROP_UDP_CSUM] = "udp_csum",
    [PN_IO_DROP_UDP_PORT] = "udp_port",
    [PN_IO_DROP_ICMP] = "icmp",
    [PN_IO_DROP_ARP_BAD] = "arp_bad",
    [PN_IO_DROP_FRAG] = "frag",
    [PN_IO_DROP_NO_ARP] = "no_arp",
    [PN_IO_DROP_RING_FULL] = "ring_full",
    [PN_IO_DROP_TX_FULL] = "tx_full",
    [PN_IO_DROP_NO_MBUF] = "no_mbuf",
    [PN_IO_DROP_TOO_BIG] = "too_big",
    [PN_IO_DROP_ENGINE_MEDIA] = "engine_media",
    [PN_IO_DROP_ENGINE_EMIT] = "engine_emit",
};

const char *const pn_io_sip_method_names[PN_IO_SIP_METHOD_N] = {
    [PN_IO_SIP_INVITE] = "INVITE",     [PN_IO_SIP_ACK] = "ACK",
    [PN_IO_SIP_BYE] = "BYE",           [PN_IO_SIP_CANCEL] = "CANCEL",
    [PN_IO_SIP_OPTIONS] = "OPTIONS",   [PN_IO_SIP_PRACK] = "PRACK",
    [PN_IO_SIP_UPDATE] = "UPDATE",     [PN_IO_SIP_INFO] = "INFO",
    [PN_IO_SIP_REGISTER] = "REGISTER", [PN_IO_SIP_OTHER] = "other",
};

const char *const pn_io_call_outcome_names[PN_IO_CALL_OUTCOME_N] = {
    [PN_IO_CALL_ANSWERED] = "answered",         [PN_IO_CALL_BUSY] = "busy",
    [PN_IO_CALL_NO_ANSWER] = "no_answer",       [PN_IO_CALL_CANCELLED] = "cancelled",
    [PN_IO_CALL_REJECTED] = "rejected",         [PN_IO_CALL_NO_BINDING] = "no_binding",
    [PN_IO_CALL_UNTRUSTED] = "untrusted",       [PN_IO_CALL_OVERLOAD] = "overload",
    [PN_IO_CALL_MAX_DURATION] = "max_duration", [PN_IO_CALL_FAILED] = "failed",
};

/* ---- echo engine ---------------------------------------------------------------------------- */

struct echo_engine {
	const struct pn_io_worker_conf *conf;
};

static void *echo_create(const struct pn_io_worker_conf *conf)
{
	struct echo_engine *e = calloc(1, sizeof(*e));
	if (e)
		e->conf = conf;
	return e;
}

static void echo_destroy(void *engine)
{
	free(engine);
}

static void echo_sip(void *engine, const struct pn_dgram *d, uint64_t now_ns, pn_emit_fn emit,
                     void *emit_ctx)
{
	struct echo_engine *e = engine;
	(void)now_ns;
	e->conf->stats->sip_rx_req[PN_IO_SIP_OTHER]++;
	if (emit(emit_ctx, &d->dst, &d->src, d->data, d->len) == 0)
		e->conf->stats->sip_tx_req[PN_IO_SIP_OTHER]++;
	/* The datagram itself is the "event", so tests can follow the event path to the spool. */
	if (d->len <= PN_IO_EVENT_MAX) {
		if (e->conf->event(e->conf->event_ctx, d->data, d->len) == 0)
			e->conf->stats->events_emitted++;
		else
			e->conf->stats->events_dropped++;
	}
}

static enum pn_media_action echo_media(void *engine, const struct pn_dgram *d, uint64_t now_ns,
                                       struct pn_media_fwd *out)
{
	struct echo_engine *e = engine;
	(void)now_ns;
	out->src = d->dst;
	out->dst = d->src;
	e->conf->stats->media_forwarded++;
	return PN_MEDIA_FORWARD;
}

const struct pn_io_handlers pn_io_handlers_echo = {
    .name = "echo",
    .engine_create = echo_create,
    .engine_destroy = echo_destroy,
    .sip = echo_sip,
    .media = echo_media,
    .tick = NULL,
};
