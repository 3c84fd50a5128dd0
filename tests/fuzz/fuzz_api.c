/*
 * fuzz_api.c: libFuzzer target for privnum-control's request handling (control/pn_api.c):
 * method + URL + headers + body -> response, in-process with no sockets, against a real
 * store in a temporary directory (created on the first input, closed at exit).
 *
 * Input format (text, lines end with '\n'):
 *   byte 0      flags: bit 0 = let the harness sign the request for one of its apps (so the
 *               fuzzer reaches the handlers past auth); bits 1-2 = which app (AXB, AX, AXE,
 *               AXYB); bit 3 = admin bearer token
 *   line 1      METHOD
 *   line 2      path?query
 *   lines       "Name: value" headers (Authorization, X-WSSE, X-AKSK) until an empty line
 *   rest        body
 * Checks: no crash, no sanitizer report, the response is a well-formed status with a JSON
 * body carrying a string resultcode (or /metrics text), and a PENDING request is completed
 * exactly once.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pn_api.h"
#include "pn_auth.h"
#include "pn_metrics.h"
#include "pn_store.h"

#define TOKEN "fuzz-admin-token"

static struct pn_store *g_st;
static struct pn_auth *g_auth;
static struct pn_metrics *g_m;
static struct pn_api *g_api;
static char g_dir[64];
static const char *const g_modes[4] = {"AXB", "AX", "AXE", "AXYB"};
static char g_keys[4][16];
static uint64_t g_nonce;

static void cleanup(void)
{
	pn_api_free(g_api);
	pn_metrics_free(g_m);
	pn_auth_free(g_auth);
	pn_store_close(g_st);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_api: cannot remove %s\n", g_dir);
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pn_api_resp *r;
	int calls;
};

static void on_done(void *arg, struct pn_api_resp *r)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->r = r;
	w->calls++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void check_resp(const struct pn_api_resp *r)
{
	if (!r)
		return; /* allocation failure path: the HTTP layer answers 500 */
	if (r->status < 200 || r->status > 599 || !r->body)
		abort();
	if (r->api == PN_API_METRICS)
		return;
	json_error_t e;
	json_t *j = json_loadb(r->body, r->body_len, 0, &e);
	if (!j || !json_is_string(json_object_get(j, "resultcode")))
		abort();
	json_decref(j);
}

static void handle(struct pn_api_req *req)
{
	struct pn_api_resp resp;
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0};
	if (pn_api_handle(g_api, req, &resp, on_done, &w) == PN_API_PENDING) {
		pthread_mutex_lock(&w.mu);
		while (!w.calls)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
		check_resp(w.r);
		if (w.r) {
			pn_api_resp_clear(w.r);
			free(w.r);
		}
		if (w.calls != 1)
			abort();
		return;
	}
	check_resp(&resp);
	pn_api_resp_clear(&resp);
}

static void init(void)
{
	strcpy(g_dir, "/tmp/fuzz_api.XXXXXX");
	if (!mkdtemp(g_dir))
		abort();
	struct pn_store_config sc = {0};
	sc.path = g_dir;
	sc.no_sweeper = 1;
	if (pn_store_open(&sc, &g_st) != 0)
		abort();
	struct pn_auth_cfg ac;
	pn_auth_cfg_default(&ac);
	ac.fail_threshold = 0; /* never block the fuzzer */
	ac.nonce_capacity = 4096;
	g_auth = pn_auth_new(&ac);
	g_m = pn_metrics_new(g_st, g_auth, 3600);
	struct pn_api_config cfg = {g_st, g_auth, g_m, TOKEN, 65536};
	g_api = pn_api_new(&cfg);
	atexit(cleanup);
	for (int i = 0; i < 4; i++) {
		char body[256];
		snprintf(g_keys[i], sizeof(g_keys[i]), "fuzz%s", g_modes[i]);
		snprintf(body, sizeof(body),
		         "{\"name\":\"f\",\"mode\":\"%s\",\"appKey\":\"%s\",\"appSecret\":\"s%d\"}",
		         g_modes[i], g_keys[i], i);
		struct pn_api_req req = {.method = "POST",
		                         .path = "/admin/v1/apps",
		                         .authorization = "Bearer " TOKEN,
		                         .body = body,
		                         .body_len = strlen(body),
		                         .peer_ip = "192.0.2.9"};
		handle(&req);
		for (int n = 0; n < 3; n++) {
			snprintf(
			    body, sizeof(body),
			    "{\"number\":\"+861709%d00000%d\",\"areaCode\":\"0755\",\"appKey\":"
			    "\"%s\"}",
			    i, n, g_keys[i]);
			struct pn_api_req nr = req;
			nr.path = "/admin/v1/numbers";
			nr.body = body;
			nr.body_len = strlen(body);
			handle(&nr);
		}
	}
}

/* Copy the next line of [*p, end) into a NUL-terminated malloc'd string. */
static char *next_line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
	size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
	char *out = malloc(len + 1);
	memcpy(out, s, len);
	out[len] = '\0';
	*p = nl ? nl + 1 : end;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!g_api)
		init();
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	const uint8_t *p = data + 1, *end = data + size;
	char *method = next_line(&p, end);
	char *url = next_line(&p, end);
	char *hdr[3] = {NULL, NULL, NULL}; /* Authorization, X-WSSE, X-AKSK */
	static const char *const names[3] = {"Authorization: ", "X-WSSE: ", "X-AKSK: "};
	for (int i = 0; i < 16 && p < end; i++) {
		char *line = next_line(&p, end);
		if (!line[0]) {
			free(line);
			break;
		}
		for (int k = 0; k < 3; k++) {
			size_t nl = strlen(names[k]);
			if (strncasecmp(line, names[k], nl) == 0 && !hdr[k]) {
				hdr[k] = strdup(line + nl);
				break;
			}
		}
		free(line);
	}
	size_t blen = (size_t)(end - p);
	char *body = malloc(blen ? blen : 1);
	memcpy(body, p, blen);

	char authz[128], tok[512];
	if (flags & 8) {
		free(hdr[0]);
		hdr[0] = strdup("Bearer " TOKEN);
	} else if (flags & 1) {
		int app = (flags >> 1) & 3;
		char nonce[32], created[32], dig[96], secret[8];
		snprintf(nonce, sizeof(nonce), "fz%llu", (unsigned long long)++g_nonce);
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(secret, sizeof(secret), "s%d", app);
		pn_auth_digest(PN_AUTH_AKSK, secret, nonce, created, 0, dig);
		snprintf(authz, sizeof(authz),
		         "AKSK realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\"");
		snprintf(tok, sizeof(tok),
		         "UsernameToken Username=\"%s\",PasswordDigest=\"%s\",Nonce=\"%s\","
		         "Created=\"%s\"",
		         g_keys[app], dig, nonce, created);
		free(hdr[0]);
		free(hdr[2]);
		hdr[0] = strdup(authz);
		hdr[2] = strdup(tok);
	}
	char *q = strchr(url, '?');
	if (q)
		*q++ = '\0';
	struct pn_api_req req = {
	    .method = method,
	    .path = url,
	    .query = q,
	    .query_len = q ? strlen(q) : 0,
	    .authorization = hdr[0],
	    .x_wsse = hdr[1],
	    .x_aksk = hdr[2],
	    .body = blen ? body : NULL,
	    .body_len = blen,
	    .body_too_large = blen > 65536,
	    .peer_ip = "192.0.2.7",
	};
	handle(&req);
	for (int k = 0; k < 3; k++)
		free(hdr[k]);
	free(body);
	free(method);
	free(url);
	return 0;
}
