/*
 * main.c: privnum-control, the control plane: the Huawei-compatible REST API (HTTPS and a
 * loopback plain-HTTP port), the admin API, /metrics and /health, the RocksDB store with its
 * group commit and sweeper, and the change-stream server for the dataplanes.
 *
 * Usage: privnum-control [-c FILE] [-D DATA_DIR] [-o section.key=value]... [-h]
 * With no arguments it starts on ./var/control with the defaults of docs/CONFIG.md.
 * Once serving it prints one line "privnum-control: listening http=<port> https=<port>" on
 * stdout and writes the same ports to <data_dir>/ports (tests use port 0 = any free port).
 * SIGINT/SIGTERM: stop accepting, finish requests waiting for the store, close cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pn_api.h"
#include "pn_auth.h"
#include "pn_config.h"
#include "pn_http.h"
#include "pn_metrics.h"
#include "pn_store.h"
#include "pn_tls.h"
#ifdef PN_HAVE_STREAM_SERVER
#include "pn_stream_server.h"
#endif

static void usage(void)
{
	fprintf(stderr,
	        "usage: privnum-control [-c FILE] [-D DATA_DIR] [-o section.key=value]...\n"
	        "  -c FILE   INI configuration file (docs/CONFIG.md)\n"
	        "  -D DIR    data directory (= -o store.data_dir=DIR), default ./var/control\n"
	        "  -o S.K=V  set one configuration key, after the file\n");
}

static int mkdirs(const char *path)
{
	char buf[PN_CONFIG_PATH];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0750) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(buf, 0750) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* The admin token: configured, else <data_dir>/admin.token (created, 0600, 32 hex chars). */
static int admin_token(struct pn_config *c)
{
	if (c->admin_token[0])
		return 0;
	char path[PN_CONFIG_PATH + 32];
	snprintf(path, sizeof(path), "%s/admin.token", c->data_dir);
	FILE *f = fopen(path, "r");
	if (f) {
		int ok = fgets(c->admin_token, sizeof(c->admin_token), f) != NULL;
		fclose(f);
		c->admin_token[strcspn(c->admin_token, "\r\n")] = '\0';
		if (ok && c->admin_token[0])
			return 0;
	}
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(c->admin_token + 2 * i, 3, "%02x", r[i]);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	dprintf(fd, "%s\n", c->admin_token);
	close(fd);
	fprintf(stderr, "privnum-control: admin token written to %s\n", path);
	return 0;
}

#ifdef PN_HAVE_STREAM_SERVER
static struct pn_stream_server *g_stream;
#endif

static void on_commit(void *arg, uint64_t last_seq)
{
	(void)arg;
#ifdef PN_HAVE_STREAM_SERVER
	pn_stream_server_notify(__atomic_load_n(&g_stream, __ATOMIC_ACQUIRE), last_seq);
#else
	(void)last_seq;
#endif
}

int main(int argc, char **argv)
{
	struct pn_config cfg;
	char err[256];
	int opt;
	const char *file = NULL;
	pn_config_defaults(&cfg);

	/* The file first, then -D/-o in order, whatever their position. */
	while ((opt = getopt(argc, argv, "c:D:o:h")) != -1) {
		if (opt == 'c')
			file = optarg;
		else if (opt == 'h') {
			usage();
			return 0;
		} else if (opt != 'D' && opt != 'o') {
			usage();
			return 2;
		}
	}
	if (file && pn_config_load(&cfg, file, err, sizeof(err)) != 0) {
		fprintf(stderr, "privnum-control: %s: %s\n", file, err);
		return 2;
	}
	optind = 1;
	while ((opt = getopt(argc, argv, "c:D:o:h")) != -1) {
		int rc = 0;
		if (opt == 'D')
			rc = pn_config_set(&cfg, "store", "data_dir", optarg);
		else if (opt == 'o')
			rc = pn_config_set_arg(&cfg, optarg);
		if (rc < 0) {
			fprintf(stderr, "privnum-control: %s option %s\n",
			        rc == -1 ? "unknown" : "bad value in", optarg);
			return 2;
		}
	}

	if (mkdirs(cfg.data_dir) < 0) {
		fprintf(stderr, "privnum-control: cannot create %s: %s\n", cfg.data_dir,
		        strerror(errno));
		return 1;
	}
	if (admin_token(&cfg) < 0) {
		fprintf(stderr, "privnum-control: cannot create the admin token\n");
		return 1;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits the mask */
	signal(SIGPIPE, SIG_IGN);

	char dbpath[PN_CONFIG_PATH + 16];
	snprintf(dbpath, sizeof(dbpath), "%s/db", cfg.data_dir);
	struct pn_store_config sc = {0};
	sc.path = dbpath;
	sc.changelog_cap = cfg.changelog_cap;
	sc.max_batch = cfg.max_batch;
	sc.queue_cap = cfg.queue_cap;
	sc.on_commit = on_commit;
	struct pn_store *st = NULL;
	if (pn_store_open(&sc, &st) != 0) {
		fprintf(stderr, "privnum-control: cannot open the store at %s\n", dbpath);
		return 1;
	}
#ifdef PN_HAVE_STREAM_SERVER
	{
		char sock[PN_CONFIG_PATH + 16];
		if (cfg.stream_socket[0])
			snprintf(sock, sizeof(sock), "%s", cfg.stream_socket);
		else
			snprintf(sock, sizeof(sock), "%s/stream.sock", cfg.data_dir);
		struct pn_stream_server_config ssc = {.socket_path = sock};
		struct pn_stream_server *ss = NULL;
		if (pn_stream_server_start(st, &ssc, &ss) != 0) {
			fprintf(stderr, "privnum-control: cannot start the change stream on %s\n",
			        sock);
			pn_store_close(st);
			return 1;
		}
		__atomic_store_n(&g_stream, ss, __ATOMIC_RELEASE);
	}
#endif
	struct pn_auth *auth = pn_auth_new(&cfg.auth);
	struct pn_metrics *metrics = pn_metrics_new(st, auth, cfg.metrics_refresh_s);
	struct pn_api_config ac = {st, auth, metrics, cfg.admin_token, cfg.max_body};
	struct pn_api *api = auth && metrics ? pn_api_new(&ac) : NULL;
	struct pn_http *http = NULL, *https = NULL;
	char *cert = NULL, *key = NULL;
	int rc = 1;
	if (!api) {
		fprintf(stderr, "privnum-control: out of memory\n");
		goto out;
	}
	struct pn_http_config hc = {
	    .threads = cfg.threads,
	    .max_conns = cfg.max_conns,
	    .conn_timeout_s = cfg.conn_timeout_s,
	    .max_body = cfg.max_body,
	};
	if (strcmp(cfg.https_addr, "off") != 0) {
		char cp[PN_CONFIG_PATH + 32], kp[PN_CONFIG_PATH + 32];
		int gen = !cfg.tls_cert[0] && !cfg.tls_key[0];
		if (gen) {
			snprintf(cp, sizeof(cp), "%s/tls", cfg.data_dir);
			mkdirs(cp);
			snprintf(cp, sizeof(cp), "%s/tls/cert.pem", cfg.data_dir);
			snprintf(kp, sizeof(kp), "%s/tls/key.pem", cfg.data_dir);
		} else {
			snprintf(cp, sizeof(cp), "%s", cfg.tls_cert);
			snprintf(kp, sizeof(kp), "%s", cfg.tls_key);
		}
		if (pn_tls_load(cp, kp, gen, &cert, &key) < 0)
			goto out;
		struct pn_http_config tc = hc;
		tc.bind_addr = cfg.https_addr;
		tc.port = (uint16_t)cfg.https_port;
		tc.tls_cert_pem = cert;
		tc.tls_key_pem = key;
		if (!(https = pn_http_start(&tc, api, metrics)))
			goto out;
	}
	if (strcmp(cfg.http_addr, "off") != 0) {
		hc.bind_addr = cfg.http_addr;
		hc.port = (uint16_t)cfg.http_port;
		if (!(http = pn_http_start(&hc, api, metrics)))
			goto out;
	}
	{
		unsigned hp = http ? pn_http_port(http) : 0, sp = https ? pn_http_port(https) : 0;
		char path[PN_CONFIG_PATH + 16];
		snprintf(path, sizeof(path), "%s/ports", cfg.data_dir);
		FILE *f = fopen(path, "w");
		if (f) {
			fprintf(f, "http=%u\nhttps=%u\n", hp, sp);
			fclose(f);
		}
		printf("privnum-control: listening http=%u https=%u\n", hp, sp);
		fflush(stdout);
	}
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "privnum-control: signal %d, stopping\n", sig);
	rc = 0;
out:
	pn_http_stop(http);
	pn_http_stop(https);
#ifdef PN_HAVE_STREAM_SERVER
	pn_stream_server_stop(__atomic_exchange_n(&g_stream, NULL, __ATOMIC_ACQ_REL));
#endif
	pn_store_close(st);
	pn_api_free(api);
	pn_metrics_free(metrics);
	pn_auth_free(auth);
	free(cert);
	free(key);
	return rc;
}
