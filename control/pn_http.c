/*
 * pn_http.c: libmicrohttpd daemon feeding pn_api (see pn_http.h for the MHD rules it keeps).
 *
 * Per request: the URI log callback allocates the request context (it sees the raw URI with
 * its query string, which pn_api parses itself so that the socket path and the fuzz path are
 * the same code). First access call: return (never answer on the first call). Upload calls:
 * append up to max_body. Final call: pn_api_handle; PN_API_DONE queues the response at once;
 * PN_API_PENDING suspends the connection, and the store's callback resumes it after storing
 * the response; the next access call queues it.
 *
 * The suspend/resume race: the store may answer before the handler suspends. A per-request
 * mutex orders the two: the handler suspends only if no response arrived yet, and the callback
 * resumes only a connection that was suspended, after releasing the mutex (once resumed, the
 * request may complete and its context be freed on an MHD thread at any moment).
 */
#include "pn_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pn_api.h"
#include "pn_metrics.h"

struct pn_http {
	struct MHD_Daemon *d;
	struct pn_api *api;
	struct pn_metrics *metrics;
	size_t max_body;
	uint16_t port;
	int closing;   /* atomic: answer 503 without touching the api */
	long inflight; /* atomic: requests waiting for the store */
};

enum { ST_NEW = 0, ST_READING, ST_PENDING, ST_READY };

struct req_ctx {
	struct pn_http *h;
	struct MHD_Connection *conn;
	pthread_mutex_t mu;
	int state;
	int suspended;
	char *uri;
	char *body;
	size_t len, cap;
	int too_large;
	struct pn_api_resp *resp; /* set by the store callback */
	int resp_set;
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->h = cls;
	c->conn = conn;
	pthread_mutex_init(&c->mu, NULL);
	c->uri = strdup(uri ? uri : "");
	return c;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct req_ctx *c = *con_cls;
	if (!c)
		return;
	*con_cls = NULL;
	if (c->resp) {
		pn_api_resp_clear(c->resp);
		free(c->resp);
	}
	pthread_mutex_destroy(&c->mu);
	free(c->uri);
	free(c->body);
	free(c);
}

static void conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
	(void)conn;
	(void)socket_context;
	struct pn_http *h = cls;
	pn_metrics_conn(h->metrics, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct pn_api_resp *r)
{
	static const char err[] = "{\"resultcode\":\"1010001\",\"resultdesc\":\"Internal system "
	                          "error\"}";
	struct MHD_Response *resp;
	unsigned status;
	if (r && r->body) {
		resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
		if (resp)
			r->body = NULL; /* owned by MHD now */
		status = r->status ? r->status : 200;
	} else {
		resp = MHD_create_response_from_buffer(sizeof(err) - 1, (void *)err,
		                                       MHD_RESPMEM_PERSISTENT);
		status = 500;
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        r && r->content_type ? r->content_type
	                                             : "application/json;charset=UTF-8");
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Store callback (committer thread). */
static void on_done(void *arg, struct pn_api_resp *r)
{
	struct req_ctx *c = arg;
	struct pn_http *h = c->h;
	pthread_mutex_lock(&c->mu);
	c->resp = r;
	c->resp_set = 1;
	c->state = ST_READY;
	int resume = c->suspended;
	struct MHD_Connection *conn = c->conn;
	c->suspended = 0;
	pthread_mutex_unlock(&c->mu);
	/* After the resume the request may complete and c be freed at once: touch nothing of
	 * c from here on. A suspended connection cannot complete, so conn is still valid. */
	if (resume)
		MHD_resume_connection(conn);
	__atomic_sub_fetch(&h->inflight, 1, __ATOMIC_ACQ_REL);
}

static void peer_ip(struct MHD_Connection *conn, char *out, size_t cap)
{
	out[0] = '\0';
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
		          (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		          (socklen_t)cap);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
	(void)url;
	(void)version;
	struct pn_http *h = cls;
	struct req_ctx *c = *con_cls;
	if (!c)
		return MHD_NO; /* out of memory in uri_log: drop the connection */
	if (c->state == ST_NEW) {
		c->state = ST_READING;
		return MHD_YES; /* never answer on the first call: keep-alive */
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (c->too_large || c->len + n > h->max_body) {
			c->too_large = 1;
			free(c->body);
			c->body = NULL;
			c->len = c->cap = 0;
			return MHD_YES;
		}
		if (c->len + n > c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 1024;
			while (ncap < c->len + n)
				ncap *= 2;
			char *nb = realloc(c->body, ncap);
			if (!nb)
				return MHD_NO;
			c->body = nb;
			c->cap = ncap;
		}
		memcpy(c->body + c->len, upload_data, n);
		c->len += n;
		return MHD_YES;
	}
	if (c->state == ST_READY) {
		enum MHD_Result r = queue(conn, c->resp);
		return r;
	}
	if (c->state == ST_PENDING)
		return MHD_YES; /* spurious call while waiting (should not happen) */

	if (__atomic_load_n(&h->closing, __ATOMIC_ACQUIRE)) {
		struct pn_api_resp r = {0};
		r.status = 503;
		r.body = strdup("{\"resultcode\":\"1010001\",\"resultdesc\":\"Shutting down\"}");
		r.body_len = r.body ? strlen(r.body) : 0;
		enum MHD_Result ret = queue(conn, &r);
		pn_api_resp_clear(&r);
		return ret;
	}

	char ip[64];
	peer_ip(conn, ip, sizeof(ip));
	char *q = strchr(c->uri, '?');
	if (q)
		*q++ = '\0';
	struct pn_api_req req = {
	    .method = method,
	    .path = c->uri,
	    .query = q,
	    .query_len = q ? strlen(q) : 0,
	    .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
	    .x_wsse = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-WSSE"),
	    .x_aksk = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-AKSK"),
	    .body = c->body,
	    .body_len = c->len,
	    .body_too_large = c->too_large,
	    .peer_ip = ip,
	};
	struct pn_api_resp resp;
	__atomic_add_fetch(&h->inflight, 1, __ATOMIC_ACQ_REL);
	c->state = ST_PENDING;
	int rc = pn_api_handle(h->api, &req, &resp, on_done, c);
	if (rc == PN_API_DONE) {
		__atomic_sub_fetch(&h->inflight, 1, __ATOMIC_ACQ_REL);
		c->state = ST_READY;
		enum MHD_Result ret = queue(conn, &resp);
		pn_api_resp_clear(&resp);
		return ret;
	}
	pthread_mutex_lock(&c->mu);
	if (c->resp_set) {
		/* The store already answered: no need to suspend. */
		pthread_mutex_unlock(&c->mu);
		return queue(conn, c->resp);
	}
	c->suspended = 1;
	MHD_suspend_connection(conn);
	pthread_mutex_unlock(&c->mu);
	return MHD_YES;
}

struct pn_http *pn_http_start(const struct pn_http_config *cfg, struct pn_api *api,
                              struct pn_metrics *metrics)
{
	struct pn_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->api = api;
	h->metrics = metrics;
	h->max_body = cfg->max_body ? cfg->max_body : 65536;

	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(cfg->port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (cfg->bind_addr && *cfg->bind_addr &&
	    inet_pton(AF_INET, cfg->bind_addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "privnum-control: bad listen address %s\n", cfg->bind_addr);
		free(h);
		return NULL;
	}
	unsigned threads = cfg->threads < 2 ? 2 : cfg->threads;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	int tls = cfg->tls_cert_pem && cfg->tls_key_pem;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem opts[16];
	int n = 0;
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
	                                    cfg->max_conns ? cfg->max_conns : 1024, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
	                                    cfg->conn_timeout_s ? cfg->conn_timeout_s : 30, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
	/* MHD zeroes each connection's pool for every request: 32 KiB by default cost ~5% of a
	 * query's CPU. Our headers are < 1 KiB; bodies stream through the handler. */
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 8192, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log, h};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, h};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)conn_notify, h};
	if (tls) {
		opts[n++] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
		                                    (void *)cfg->tls_cert_pem};
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	h->d = MHD_start_daemon(flags, cfg->port, NULL, NULL, access_cb, h, MHD_OPTION_ARRAY, opts,
	                        MHD_OPTION_END);
	if (!h->d) {
		fprintf(stderr, "privnum-control: cannot start HTTP%s daemon on %s:%u\n",
		        tls ? "S" : "", cfg->bind_addr ? cfg->bind_addr : "*", cfg->port);
		free(h);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : cfg->port;
	return h;
}

uint16_t pn_http_port(const struct pn_http *h)
{
	return h->port;
}

void pn_http_stop(struct pn_http *h)
{
	if (!h)
		return;
	__atomic_store_n(&h->closing, 1, __ATOMIC_RELEASE);
	/* Let requests waiting for the store finish (their callbacks resume them). */
	for (int i = 0; i < 1000 && __atomic_load_n(&h->inflight, __ATOMIC_ACQUIRE) > 0; i++)
		usleep(5000);
	MHD_stop_daemon(h->d);
	free(h);
}
