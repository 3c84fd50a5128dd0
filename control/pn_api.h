/*
 * pn_api.h: the request router and handlers of privnum-control, independent of the HTTP
 * server: a request (method, path, raw query, the auth headers, body, peer address) goes in,
 * a response (HTTP status, JSON body, resultcode) comes out. pn_http.c feeds it from
 * libmicrohttpd; the fuzz target and the unit tests call it directly with no sockets.
 *
 * Routes: every bind/unbind/modify/query of the Huawei PrivateNumber API (AXB, AX, AXE incl.
 * the v2.0 cursor query, AXYB), our admin API under /admin/v1/ (bearer token), GET /health
 * and GET /metrics. docs/API.md is the reference: fields, codes, HTTP statuses and every
 * place where we differ from Huawei.
 *
 * Mutations are asynchronous: the handler validates, submits one op to the store's group
 * commit (pn_store_submit) and returns PN_API_PENDING; the store's committer thread later
 * calls done(arg, resp) once the write is durable. Reads and every error answer at once
 * (PN_API_DONE). Admin mutations block the calling thread for one commit round
 * (pn_store_exec): they are rare.
 *
 * Threading: pn_api_handle may be called from any number of threads at once; done() runs on
 * the store's committer thread. The struct pn_api is read-only after pn_api_new.
 */
#ifndef PN_API_H
#define PN_API_H

#include <stddef.h>
#include <stdint.h>

#include "pn_store.h"

struct pn_auth;
struct pn_metrics;

/* API identifiers, for metrics labels (pn_api_name). */
enum pn_api_id {
	PN_API_UNKNOWN = 0,
	PN_API_AXB_BIND,
	PN_API_AXB_MODIFY,
	PN_API_AXB_UNBIND,
	PN_API_AXB_QUERY,
	PN_API_AX_BIND,
	PN_API_AX_MODIFY,
	PN_API_AX_UNBIND,
	PN_API_AX_QUERY,
	PN_API_AX_CALLEE,
	PN_API_AXE_BIND,
	PN_API_AXE_MODIFY,
	PN_API_AXE_UNBIND,
	PN_API_AXE_QUERY,
	PN_API_AXE_QUERY2,
	PN_API_AXYB_BIND,
	PN_API_AXYB_UNBIND,
	PN_API_AXYB_QUERY,
	PN_API_ADMIN,
	PN_API_HEALTH,
	PN_API_METRICS,
	PN_API_COUNT
};
const char *pn_api_name(int id);

#define PN_API_DONE    0
#define PN_API_PENDING 1

struct pn_api_req {
	const char *method; /* "GET", "POST", ... (NUL-terminated) */
	const char *path;   /* URL path without the query, e.g. "/rest/caas/..." */
	const char *query;  /* raw query string after '?' (not decoded), NULL = none */
	size_t query_len;
	const char *authorization; /* header values, NULL = absent */
	const char *x_wsse;
	const char *x_aksk;
	const char *body; /* request body (need not be NUL-terminated), NULL = none */
	size_t body_len;
	int body_too_large;  /* the server stopped reading at max_body: answer 1010002 */
	const char *peer_ip; /* client address for IP blocking ("" = unknown) */
};

struct pn_api_resp {
	unsigned status; /* HTTP status */
	char *body;      /* malloc'd, owned by the response (pn_api_resp_clear) */
	size_t body_len;
	const char *content_type; /* static string */
	int api;                  /* enum pn_api_id */
	long resultcode;          /* numeric resultcode (0 = success; -1 for /metrics, /health) */
	int64_t start_ns;         /* when handling began (CLOCK_MONOTONIC), for latency */
};

/* Called exactly once for every PN_API_PENDING request, from the committer thread. The
 * callee owns resp (free with pn_api_resp_clear + free). */
typedef void (*pn_api_done_fn)(void *arg, struct pn_api_resp *resp);

struct pn_api_config {
	struct pn_store *store;
	struct pn_auth *auth;
	struct pn_metrics *metrics; /* may be NULL */
	const char *admin_token;    /* bearer token of the admin API; NULL/"" = admin API off */
	size_t max_body;            /* informative (the HTTP layer enforces it) */
};

struct pn_api;

/* Returns NULL on allocation failure. The config's pointers must outlive the api. */
struct pn_api *pn_api_new(const struct pn_api_config *cfg);
void pn_api_free(struct pn_api *api);

/*
 * Handle one request. Returns PN_API_DONE with *resp filled (caller owns resp->body), or
 * PN_API_PENDING: *resp is untouched and done(arg, r) will be called exactly once with a
 * heap-allocated response. Never fails otherwise: internal errors become 500/1010001.
 */
int pn_api_handle(struct pn_api *api, const struct pn_api_req *req, struct pn_api_resp *resp,
                  pn_api_done_fn done, void *arg);

/* Free resp->body and reset it. */
void pn_api_resp_clear(struct pn_api_resp *resp);

/* The table from store results to Huawei codes (exported for tests and docs).
 * mode: PN_MODE_* of the API (NOT_FOUND differs per mode); api: enum pn_api_id. */
struct pn_api_rc {
	long resultcode;
	const char *resultdesc;
	unsigned http_status;
};
struct pn_api_rc pn_api_map_store_rc(int store_rc, int mode, int api);

#endif /* PN_API_H */
