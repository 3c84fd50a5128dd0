/*
 * main.c: privnum-dataplane, the DPDK primary process.
 *
 *   privnum-dataplane <EAL args> -- --sip-addr IP[:PORT] [options]
 *
 * Start-up (main lcore): EAL, our arguments, ports and pools, the change-stream client
 * (pn_sync_start, when linked), the engines (one per worker), telemetry, then the workers on the
 * worker lcores (or on the main lcore when it is the only one). The main lcore then only drains
 * engine events to --event-spool when no sync thread runs (no client linked, or no
 * --control-socket), and waits for a stop: SIGINT,
 * SIGTERM, --idle-exit-ms, --max-packets or --run-ms (checked by worker 0 every ms).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "pn_io_priv.h"

static struct pn_io the_io;

static void usage(const char *prg)
{
	fprintf(
	    stderr,
	    "usage: %s <EAL args> -- --sip-addr IP[:PORT] [options]\n"
	    "  --sip-addr IP[:PORT]     our SIP address (port 5060)\n"
	    "  --media-addr IP          our RTP relay address (default: the SIP address)\n"
	    "  --rtp-ports LO-HI        relay port range (default 20000-29999)\n"
	    "  --trunk IP:PORT          egress next hop for leg-2 INVITEs\n"
	    "  --trusted CIDR[,CIDR]    carrier addresses allowed to send INVITEs\n"
	    "  --gateway IP             default gateway (default: every destination on-link)\n"
	    "  --onlink CIDR            with --gateway: destinations reached directly\n"
	    "  --arp IP=MAC             static neighbour (repeatable)\n"
	    "  --no-garp                no gratuitous ARP at start\n"
	    "  --mtu N                  IPv4 MTU for sending (default 1500; larger is fragmented)\n"
	    "  --workers N              worker lcores (default: every worker lcore, at least 1)\n"
	    "  --engine NAME            core | echo (default: core when linked, else echo)\n"
	    "  --calls-max N            concurrent calls (0: unlimited)\n"
	    "  --control-socket PATH    privnum-control change stream\n"
	    "  --event-spool PATH       call events and CDRs when control is unreachable\n"
	    "  --stats-json PATH        write the final counters as JSON at exit\n"
	    "  --idle-exit-ms N         stop after N ms without a received packet (tests)\n"
	    "  --max-packets N          stop after N received packets (tests)\n"
	    "  --run-ms N               stop after N ms (tests)\n",
	    prg);
}

static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* "IP[:PORT]"; need_port: the port is mandatory. */
static int parse_addr(const char *s, struct pn_addr *a, uint16_t def_port, int need_port)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *colon = strchr(buf, ':');
	uint64_t port = def_port;
	if (colon) {
		*colon = 0;
		if (parse_u64(colon + 1, 65535, &port) != 0 || port == 0)
			return -1;
	} else if (need_port) {
		return -1;
	}
	a->port = (uint16_t)port;
	return parse_ip(buf, &a->ip);
}

static int parse_cidr(const char *s, struct pn_io_cidr *c)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	uint64_t len = 32;
	if (slash) {
		*slash = 0;
		if (parse_u64(slash + 1, 32, &len) != 0)
			return -1;
	}
	uint32_t ip;
	if (parse_ip(buf, &ip) != 0)
		return -1;
	c->mask = len == 0 ? 0 : ~0u << (32 - len);
	c->net = ip & c->mask;
	return 0;
}

static int parse_mac(const char *s, struct pn_net_mac *m)
{
	unsigned b[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		m->b[i] = (uint8_t)b[i];
	}
	return 0;
}

enum {
	OPT_SIP = 256,
	OPT_MEDIA,
	OPT_RTP,
	OPT_TRUNK,
	OPT_TRUSTED,
	OPT_GATEWAY,
	OPT_ONLINK,
	OPT_ARP,
	OPT_NO_GARP,
	OPT_MTU,
	OPT_MBUF,
	OPT_WORKERS,
	OPT_ENGINE,
	OPT_CALLS_MAX,
	OPT_CONTROL,
	OPT_SPOOL,
	OPT_STATS,
	OPT_IDLE,
	OPT_MAXPKT,
	OPT_RUNMS,
	OPT_HELP,
};

static int parse_args(int argc, char **argv, struct pn_io_conf *c)
{
	static const struct option opts[] = {
	    {"sip-addr", required_argument, NULL, OPT_SIP},
	    {"media-addr", required_argument, NULL, OPT_MEDIA},
	    {"rtp-ports", required_argument, NULL, OPT_RTP},
	    {"trunk", required_argument, NULL, OPT_TRUNK},
	    {"trusted", required_argument, NULL, OPT_TRUSTED},
	    {"gateway", required_argument, NULL, OPT_GATEWAY},
	    {"onlink", required_argument, NULL, OPT_ONLINK},
	    {"arp", required_argument, NULL, OPT_ARP},
	    {"no-garp", no_argument, NULL, OPT_NO_GARP},
	    {"mtu", required_argument, NULL, OPT_MTU},
	    {"mbuf-size", required_argument, NULL, OPT_MBUF},
	    {"workers", required_argument, NULL, OPT_WORKERS},
	    {"engine", required_argument, NULL, OPT_ENGINE},
	    {"calls-max", required_argument, NULL, OPT_CALLS_MAX},
	    {"control-socket", required_argument, NULL, OPT_CONTROL},
	    {"event-spool", required_argument, NULL, OPT_SPOOL},
	    {"stats-json", required_argument, NULL, OPT_STATS},
	    {"idle-exit-ms", required_argument, NULL, OPT_IDLE},
	    {"max-packets", required_argument, NULL, OPT_MAXPKT},
	    {"run-ms", required_argument, NULL, OPT_RUNMS},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	memset(c, 0, sizeof(*c));
	c->rtp_lo = 20000;
	c->rtp_hi = 29999;
	c->mtu = 1500;
	c->mbuf_size = 2048;
	int have_sip = 0, have_media = 0, opt;
	uint64_t v;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int bad = 0;
		switch (opt) {
		case OPT_SIP:
			bad = parse_addr(optarg, &c->sip, 5060, 0);
			have_sip = 1;
			break;
		case OPT_MEDIA:
			bad = parse_ip(optarg, &c->media_ip);
			have_media = 1;
			break;
		case OPT_RTP: {
			uint64_t lo, hi;
			char buf[32], *dash;
			bad = strlen(optarg) >= sizeof(buf);
			if (!bad) {
				strcpy(buf, optarg);
				dash = strchr(buf, '-');
				bad = !dash;
				if (!bad) {
					*dash = 0;
					bad = parse_u64(buf, 65535, &lo) ||
					      parse_u64(dash + 1, 65535, &hi) || lo >= hi ||
					      lo == 0;
				}
			}
			if (!bad) {
				c->rtp_lo = (uint16_t)(lo & ~1ull);
				c->rtp_hi = (uint16_t)hi;
			}
			break;
		}
		case OPT_TRUNK:
			bad = parse_addr(optarg, &c->trunk, 5060, 1);
			break;
		case OPT_TRUSTED: {
			char *dup = strdup(optarg), *save = NULL;
			for (char *t = strtok_r(dup, ",", &save); t && !bad;
			     t = strtok_r(NULL, ",", &save)) {
				if (c->n_trusted == PN_IO_MAX_TRUSTED)
					bad = 1;
				else
					bad = parse_cidr(t, &c->trusted[c->n_trusted++]);
			}
			free(dup);
			break;
		}
		case OPT_GATEWAY:
			bad = parse_ip(optarg, &c->gateway);
			break;
		case OPT_ONLINK:
			bad = parse_cidr(optarg, &c->onlink);
			break;
		case OPT_ARP: {
			char buf[64], *eq;
			bad = strlen(optarg) >= sizeof(buf) ||
			      c->n_static_arp == PN_IO_MAX_STATIC_ARP;
			if (!bad) {
				strcpy(buf, optarg);
				eq = strchr(buf, '=');
				bad = !eq;
				if (!bad) {
					*eq = 0;
					bad =
					    parse_ip(buf, &c->static_arp[c->n_static_arp].ip) ||
					    parse_mac(eq + 1, &c->static_arp[c->n_static_arp].mac);
					c->n_static_arp += !bad;
				}
			}
			break;
		}
		case OPT_NO_GARP:
			c->no_garp = 1;
			break;
		case OPT_MTU:
			bad = parse_u64(optarg, 9000, &v) || v < 576;
			c->mtu = (unsigned)v;
			break;
		case OPT_MBUF:
			bad = parse_u64(optarg, 16384, &v) || v < 2048;
			c->mbuf_size = (unsigned)v;
			break;
		case OPT_WORKERS:
			bad = parse_u64(optarg, PN_IO_MAX_WORKERS, &v) || v == 0;
			c->n_workers = (unsigned)v;
			break;
		case OPT_ENGINE:
			c->engine = optarg;
			break;
		case OPT_CALLS_MAX:
			bad = parse_u64(optarg, UINT32_MAX, &v);
			c->calls_max = (unsigned)v;
			break;
		case OPT_CONTROL:
			c->control_socket = optarg;
			break;
		case OPT_SPOOL:
			c->event_spool = optarg;
			break;
		case OPT_STATS:
			c->stats_json = optarg;
			break;
		case OPT_IDLE:
			bad = parse_u64(optarg, UINT32_MAX, &c->idle_exit_ms);
			break;
		case OPT_MAXPKT:
			bad = parse_u64(optarg, UINT64_MAX, &c->max_packets);
			break;
		case OPT_RUNMS:
			bad = parse_u64(optarg, UINT32_MAX, &c->run_ms);
			break;
		case OPT_HELP:
		default:
			usage(argv[0]);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "privnum-dataplane: bad value for option: %s\n",
			        optarg ? optarg : "");
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "privnum-dataplane: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	if (!have_sip) {
		fprintf(stderr, "privnum-dataplane: --sip-addr is required\n");
		usage(argv[0]);
		return -1;
	}
	if (!have_media)
		c->media_ip = c->sip.ip;
	if (c->media_ip == c->sip.ip && c->sip.port >= c->rtp_lo && c->sip.port <= c->rtp_hi) {
		fprintf(stderr, "privnum-dataplane: the SIP port is inside --rtp-ports\n");
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&the_io.quit, 1);
}

/* Without a sync thread, engine events are appended to --event-spool as [u32 big-endian
 * length][frame], the format pn_sync.c uses for the same file. */
static void spool_events(struct pn_io *io, FILE *spool)
{
	uint8_t buf[PN_IO_EVENT_MAX];
	size_t n;
	while ((n = pn_io_event_pop(io, buf, sizeof(buf))) != 0) {
		if (!spool)
			continue;
		uint8_t len[4] = {0, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
		if (fwrite(len, 1, 4, spool) != 4 || fwrite(buf, 1, n, spool) != n)
			fprintf(stderr, "privnum-dataplane: event spool write failed\n");
	}
	if (spool)
		fflush(spool);
}

static const struct pn_io_handlers *pick_engine(const char *name)
{
	const struct pn_io_handlers *core = &pn_io_handlers_core;
	if (!name)
		return core ? core : &pn_io_handlers_echo;
	if (strcmp(name, "echo") == 0)
		return &pn_io_handlers_echo;
	if (strcmp(name, "core") == 0 && core)
		return core;
	return NULL;
}

int main(int argc, char **argv)
{
	struct pn_io *io = &the_io;
	int ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "privnum-dataplane: EAL init failed: %s\n",
		        rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (parse_args(argc, argv, &io->conf) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	struct pn_io_conf *c = &io->conf;
	io->h = pick_engine(c->engine);
	if (!io->h) {
		fprintf(stderr, "privnum-dataplane: no engine named %s in this build\n", c->engine);
		rte_eal_cleanup();
		return 2;
	}

	unsigned worker_lcores = rte_lcore_count() - 1;
	io->n_workers = c->n_workers ? c->n_workers : (worker_lcores ? worker_lcores : 1);
	if (worker_lcores == 0 && io->n_workers > 1) {
		fprintf(stderr, "privnum-dataplane: %u workers need %u worker lcores (-l)\n",
		        io->n_workers, io->n_workers);
		rte_eal_cleanup();
		return 2;
	}
	if (worker_lcores && io->n_workers > worker_lcores) {
		fprintf(stderr, "privnum-dataplane: --workers %u but only %u worker lcores\n",
		        io->n_workers, worker_lcores);
		rte_eal_cleanup();
		return 2;
	}

	io->tsc_hz = rte_get_tsc_hz();
	io->tsc0 = rte_rdtsc();
	io->ns_mult = (uint64_t)((1000000000ull << 32) / io->tsc_hz);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	io->wall_offset_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	int rc = 1;
	FILE *spool = NULL;
	int sync_started = 0;
	if (pn_port_init_all(io) != 0)
		goto out;
	if (pn_sync_start) {
		struct pn_sync_conf sc = {
		    .control_socket = c->control_socket,
		    .event_spool = c->event_spool,
		    .n_workers = io->n_workers,
		    .replica_out = &io->replica,
		    .io = io,
		};
		if (pn_sync_start(&sc) != 0) {
			fprintf(stderr,
			        "privnum-dataplane: change-stream client failed to start\n");
			goto out;
		}
		sync_started = 1;
	} else if (c->control_socket) {
		fprintf(stderr, "privnum-dataplane: --control-socket given but this build has no "
		                "change-stream client; running without bindings\n");
	}
	/* pn_sync drains events only when it runs a sync thread (a control socket is given) */
	int io_spools = !pn_sync_start || !c->control_socket;
	if (io_spools && c->event_spool) {
		spool = fopen(c->event_spool, "ab");
		if (!spool) {
			perror(c->event_spool);
			goto out;
		}
	}
	if (pn_worker_create_all(io) != 0)
		goto out;
	if (pn_telemetry_register(io) != 0)
		fprintf(stderr, "privnum-dataplane: telemetry commands not registered\n");

	struct in_addr a = {htonl(c->sip.ip)};
	printf("privnum-dataplane: engine %s, %u worker(s), sip %s:%u, rtp %u-%u, mtu %u, "
	       "sync %s\n",
	       io->h->name, io->n_workers, inet_ntoa(a), c->sip.port, c->rtp_lo, c->rtp_hi, c->mtu,
	       pn_sync_start ? "linked" : "none");
	fflush(stdout);

	if (worker_lcores == 0) {
		io->workers[0]->lcore = rte_lcore_id();
		pn_worker_main(io->workers[0]);
	} else {
		unsigned lcore, i = 0;
		RTE_LCORE_FOREACH_WORKER(lcore)
		{
			if (i == io->n_workers)
				break;
			io->workers[i]->lcore = lcore;
			rte_eal_remote_launch(pn_worker_main, io->workers[i], lcore);
			i++;
		}
		while (!atomic_load(&io->quit)) {
			if (io_spools)
				spool_events(io, spool);
			usleep(1000);
		}
		rte_eal_mp_wait_lcore();
	}
	if (io_spools)
		spool_events(io, spool);
	rc = 0;
	if (c->stats_json && pn_telemetry_write_json(io, c->stats_json) != 0) {
		fprintf(stderr, "privnum-dataplane: cannot write %s\n", c->stats_json);
		rc = 1;
	}
	{
		struct pn_io_worker_stats st;
		struct pn_io_engine_stats es;
		uint64_t drops = 0;
		pn_telemetry_sum(io, &st, &es);
		for (int k = 0; k < PN_IO_DROP_N; k++)
			drops += st.drops[k];
		printf("privnum-dataplane: stopped: rx %" PRIu64 " tx %" PRIu64 " drops %" PRIu64
		       "\n",
		       st.rx_pkts, st.tx_pkts, drops);
	}
out:
	if (sync_started && pn_sync_stop)
		pn_sync_stop();
	pn_telemetry_unregister();
	usleep(10000); /* let a telemetry callback already running finish */
	pn_worker_destroy_all(io);
	pn_port_stop_all(io);
	if (spool)
		fclose(spool);
	rte_eal_cleanup();
	return rc;
}
