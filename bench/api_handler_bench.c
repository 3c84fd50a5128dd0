/*
 * api_handler_bench.c: CPU per request of privnum-control's request handling alone (no
 * sockets, no libmicrohttpd, no kernel TCP): pn_api_handle() for an AKSK-signed AXB query by
 * subscriptionId against a real store in a temp dir, on one thread, measured with
 * CLOCK_THREAD_CPUTIME_ID. The client-side signing is timed separately and subtracted.
 * This is the part of the end-to-end figure (bench/api_bench) that our code controls:
 * auth parse + digest + nonce cache, app lookup, store read, JSON answer.
 *
 * Usage: api_handler_bench [N (default 100000)] [DIR (default /tmp)]
 * Prints the median of 5 runs of N requests.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pn_api.h"
#include "pn_auth.h"
#include "pn_store.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static struct pn_api_resp *g_got;
static struct pn_api *g_api;

static void done(void *arg, struct pn_api_resp *r)
{
	(void)arg;
	pthread_mutex_lock(&g_mu);
	g_got = r;
	pthread_cond_signal(&g_cv);
	pthread_mutex_unlock(&g_mu);
}

/* One request; returns the HTTP status, copies the body into out when out != NULL. */
static unsigned call(const char *m, const char *path, const char *q, const char *body,
                     const char *authz, const char *tok, char *out, size_t outsz)
{
	struct pn_api_req req = {.method = m,
	                         .path = path,
	                         .query = q,
	                         .query_len = q ? strlen(q) : 0,
	                         .authorization = authz,
	                         .x_aksk = tok,
	                         .body = body,
	                         .body_len = body ? strlen(body) : 0,
	                         .peer_ip = "192.0.2.1"};
	struct pn_api_resp resp, *r = &resp;
	g_got = NULL;
	if (pn_api_handle(g_api, &req, &resp, done, NULL) == PN_API_PENDING) {
		pthread_mutex_lock(&g_mu);
		while (!g_got)
			pthread_cond_wait(&g_cv, &g_mu);
		pthread_mutex_unlock(&g_mu);
		r = g_got;
	}
	if (out)
		snprintf(out, outsz, "%.*s", (int)r->body_len, r->body ? r->body : "");
	unsigned st = r->status;
	pn_api_resp_clear(r);
	if (r != &resp)
		free(r);
	return st;
}

static double tcpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define AXB   "/rest/caas/relationnumber/partners/v1.0"
#define AUTHZ "AKSK realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\""

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/api_handler_bench.XXXXXX", argc > 2 ? argv[2] : "/tmp");
	if (n < 1 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: api_handler_bench [N] [DIR]\n");
		return 2;
	}
	struct pn_store_config sc = {0};
	sc.path = dir;
	sc.no_sweeper = 1;
	struct pn_store *st;
	if (pn_store_open(&sc, &st) != 0)
		return 1;
	struct pn_auth_cfg ac;
	pn_auth_cfg_default(&ac);
	struct pn_auth *au = pn_auth_new(&ac);
	struct pn_api_config cfg = {st, au, NULL, "t", 65536};
	g_api = pn_api_new(&cfg);
	char out[1024], tok[512], dig[96], nonce[32], created[32], q[64];
	call("POST", "/admin/v1/apps", NULL,
	     "{\"name\":\"b\",\"mode\":\"AXB\",\"appKey\":\"k\",\"appSecret\":\"s\"}", "Bearer t",
	     NULL, NULL, 0);
	call("POST", "/admin/v1/numbers", NULL,
	     "{\"number\":\"+8617100000001\",\"areaCode\":\"0755\",\"appKey\":\"k\"}", "Bearer t",
	     NULL, NULL, 0);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	long nonce_no = 0;
#define SIGN()                                                                                     \
	do {                                                                                       \
		snprintf(nonce, sizeof(nonce), "n%ld", nonce_no++);                                \
		pn_auth_digest(PN_AUTH_AKSK, "s", nonce, created, 0, dig);                         \
		snprintf(tok, sizeof(tok),                                                         \
		         "UsernameToken Username=\"k\",PasswordDigest=\"%s\",Nonce=\"%s\","        \
		         "Created=\"%s\"",                                                         \
		         dig, nonce, created);                                                     \
	} while (0)
	SIGN();
	if (call("POST", AXB, NULL,
	         "{\"callerNum\":\"+8613000000001\",\"calleeNum\":\"+8615000000001\","
	         "\"relationNum\":\"+8617100000001\"}",
	         AUTHZ, tok, out, sizeof(out)) != 200) {
		fprintf(stderr, "bind failed: %s\n", out);
		return 1;
	}
	const char *p = strstr(out, "\"subscriptionId\":\"");
	if (!p)
		return 1;
	snprintf(q, sizeof(q), "subscriptionId=%.16s", p + 18);
	double runs[5];
	for (int r = 0; r < 5; r++) {
		/* Sign all first (not timed), then time the handler alone. */
		char(*toks)[512] = malloc((size_t)n * sizeof(*toks));
		for (long i = 0; i < n; i++) {
			SIGN();
			memcpy(toks[i], tok, sizeof(tok));
		}
		double t0 = tcpu();
		for (long i = 0; i < n; i++) {
			if (call("GET", AXB, q, NULL, AUTHZ, toks[i], NULL, 0) != 200) {
				fprintf(stderr, "query failed\n");
				return 1;
			}
		}
		runs[r] = (tcpu() - t0) * 1e6 / (double)n;
		free(toks);
	}
	qsort(runs, 5, sizeof(double), cmpd);
	printf("api_handler_bench: signed AXB query by subscriptionId, handler only: %.2f us/req "
	       "(median of 5 x %ld; min %.2f, max %.2f) = %.0f req/s per core\n",
	       runs[2], n, runs[0], runs[4], 1e6 / runs[2]);
	pn_api_free(g_api);
	pn_auth_free(au);
	pn_store_close(st);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
