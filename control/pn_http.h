/*
 * pn_http.h: the HTTP(S) front end of privnum-control on libmicrohttpd 0.9.75.
 *
 * One struct pn_http is one MHD daemon (one listening port, plain or TLS) that feeds every
 * request to pn_api_handle. Choices forced by measured MHD behaviour (docs/DESIGN facts):
 *   - the access handler never answers on its first call for a request (that silently loses
 *     keep-alive); the response is queued on a later call;
 *   - a thread pool (MHD_OPTION_THREAD_POOL_SIZE >= 2) with epoll, because one epoll thread
 *     with suspend/resume and 128+ connections was seen to stall;
 *   - mutations suspend the connection (MHD_suspend_connection) until the store's group
 *     commit made them durable; the store's callback stores the response and resumes.
 * Bodies are capped at max_body bytes: the rest is read and discarded, and the API answers
 * 1010002 (the store is not touched).
 *
 * Threading: start/stop from the main thread; everything else runs on MHD's threads and the
 * store's committer thread.
 */
#ifndef PN_HTTP_H
#define PN_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct pn_api;
struct pn_metrics;

struct pn_http_config {
	const char *bind_addr;    /* IPv4 address to listen on, e.g. "127.0.0.1"; NULL = any */
	uint16_t port;            /* 0 = pick a free port (see pn_http_port) */
	unsigned threads;         /* MHD thread pool size (>= 2 is enforced) */
	unsigned max_conns;       /* connection limit */
	unsigned conn_timeout_s;  /* idle keep-alive connections are closed after this */
	size_t max_body;          /* bytes */
	const char *tls_cert_pem; /* both set = HTTPS */
	const char *tls_key_pem;
};

struct pn_http;

/* Start the daemon. Returns NULL on failure (message on stderr). */
struct pn_http *pn_http_start(const struct pn_http_config *cfg, struct pn_api *api,
                              struct pn_metrics *metrics);
/* The port actually bound. */
uint16_t pn_http_port(const struct pn_http *h);
/* Stop accepting, close connections, join threads, free. NULL is a no-op. */
void pn_http_stop(struct pn_http *h);

#endif /* PN_HTTP_H */
