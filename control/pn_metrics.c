/*
 * pn_metrics.c: counters and the Prometheus text exposition (see pn_metrics.h).
 *
 * Resultcodes are interned into a small table (at most RC_SLOTS distinct values; later ones
 * count as "other"), so a request costs two relaxed atomic increments plus one for the
 * histogram bucket. Bindings by mode come from a snapshot walk cached for refresh_s seconds.
 */
#include "pn_metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pn_api.h"
#include "pn_auth.h"
#include "pn_store.h"

#define RC_SLOTS 48
#define NBUCKETS 14

static const double bucket_s[NBUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

struct pn_metrics {
	struct pn_store *store;
	struct pn_auth *auth;
	unsigned refresh_s;
	pthread_mutex_t mu; /* interning and rendering */
	long codes[RC_SLOTS];
	unsigned ncodes; /* published with release ordering */
	uint64_t req[PN_API_COUNT][RC_SLOTS + 1];
	uint64_t hist[PN_API_COUNT][NBUCKETS + 1];
	uint64_t lat_sum_ns[PN_API_COUNT];
	int64_t conns;
	/* cached binding counts */
	int64_t counted_at;
	uint64_t by_mode[8];
};

struct pn_metrics *pn_metrics_new(struct pn_store *store, struct pn_auth *auth,
                                  unsigned bindings_refresh_s)
{
	struct pn_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->store = store;
	m->auth = auth;
	m->refresh_s = bindings_refresh_s;
	m->counted_at = -1;
	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void pn_metrics_free(struct pn_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static unsigned code_slot(struct pn_metrics *m, long rc)
{
	unsigned n = __atomic_load_n(&m->ncodes, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++)
		if (m->codes[i] == rc)
			return i;
	pthread_mutex_lock(&m->mu);
	n = m->ncodes;
	unsigned i;
	for (i = 0; i < n; i++)
		if (m->codes[i] == rc)
			break;
	if (i == n) {
		if (n < RC_SLOTS) {
			m->codes[n] = rc;
			__atomic_store_n(&m->ncodes, n + 1, __ATOMIC_RELEASE);
		} else {
			i = RC_SLOTS; /* other */
		}
	}
	pthread_mutex_unlock(&m->mu);
	return i;
}

void pn_metrics_observe(struct pn_metrics *m, int api, long resultcode, int64_t latency_ns)
{
	if (!m)
		return;
	if (api < 0 || api >= PN_API_COUNT)
		api = PN_API_UNKNOWN;
	unsigned s = code_slot(m, resultcode);
	__atomic_add_fetch(&m->req[api][s], 1, __ATOMIC_RELAXED);
	double sec = (double)latency_ns / 1e9;
	unsigned b = 0;
	while (b < NBUCKETS && sec > bucket_s[b])
		b++;
	__atomic_add_fetch(&m->hist[api][b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&m->lat_sum_ns[api], (uint64_t)(latency_ns > 0 ? latency_ns : 0),
	                   __ATOMIC_RELAXED);
}

void pn_metrics_conn(struct pn_metrics *m, int delta)
{
	if (m)
		__atomic_add_fetch(&m->conns, delta, __ATOMIC_RELAXED);
}

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	if (sb->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->oom = 1;
			return;
		}
		if ((size_t)n < sb->cap - sb->len) {
			sb->len += (size_t)n;
			return;
		}
		size_t ncap = sb->cap * 2 + (size_t)n;
		char *np = realloc(sb->p, ncap);
		if (!np) {
			sb->oom = 1;
			return;
		}
		sb->p = np;
		sb->cap = ncap;
	}
}

static int count_cb(void *arg, const struct pn_binding *b)
{
	uint64_t *by = arg;
	if (b->mode < 8)
		by[b->mode]++;
	return 0;
}

static void refresh_counts(struct pn_metrics *m)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (m->counted_at >= 0 && ts.tv_sec - m->counted_at < (int64_t)m->refresh_s)
		return;
	uint64_t by[8] = {0};
	uint64_t seq;
	if (pn_store_snapshot_iterate(m->store, &seq, count_cb, by) == 0) {
		memcpy(m->by_mode, by, sizeof(by));
		m->counted_at = ts.tv_sec;
	}
}

char *pn_metrics_render(struct pn_metrics *m, size_t *len)
{
	struct sbuf sb = {malloc(16384), 0, 16384, 0};
	if (!sb.p)
		return NULL;
	sb.p[0] = '\0';
	pthread_mutex_lock(&m->mu);
	unsigned n = m->ncodes;
	sb_printf(&sb, "# HELP privnum_api_requests_total API requests by API and resultcode.\n"
	               "# TYPE privnum_api_requests_total counter\n");
	for (int a = 0; a < PN_API_COUNT; a++) {
		for (unsigned s = 0; s <= RC_SLOTS; s++) {
			uint64_t v = __atomic_load_n(&m->req[a][s], __ATOMIC_RELAXED);
			if (!v)
				continue;
			if (s < n && m->codes[s] >= 0)
				sb_printf(
				    &sb,
				    "privnum_api_requests_total{api=\"%s\",resultcode=\"%ld\"} "
				    "%" PRIu64 "\n",
				    pn_api_name(a), m->codes[s], v);
			else
				sb_printf(
				    &sb,
				    "privnum_api_requests_total{api=\"%s\",resultcode=\"%s\"} "
				    "%" PRIu64 "\n",
				    pn_api_name(a), s < n ? "none" : "other", v);
		}
	}
	sb_printf(&sb, "# HELP privnum_api_latency_seconds Time from request to response.\n"
	               "# TYPE privnum_api_latency_seconds histogram\n");
	for (int a = 0; a < PN_API_COUNT; a++) {
		uint64_t cum = 0;
		for (int b = 0; b <= NBUCKETS; b++)
			cum += __atomic_load_n(&m->hist[a][b], __ATOMIC_RELAXED);
		if (!cum)
			continue;
		uint64_t acc = 0;
		for (int b = 0; b < NBUCKETS; b++) {
			acc += __atomic_load_n(&m->hist[a][b], __ATOMIC_RELAXED);
			sb_printf(
			    &sb,
			    "privnum_api_latency_seconds_bucket{api=\"%s\",le=\"%g\"} %" PRIu64
			    "\n",
			    pn_api_name(a), bucket_s[b], acc);
		}
		sb_printf(
		    &sb, "privnum_api_latency_seconds_bucket{api=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
		    pn_api_name(a), cum);
		sb_printf(&sb, "privnum_api_latency_seconds_sum{api=\"%s\"} %.6f\n", pn_api_name(a),
		          (double)__atomic_load_n(&m->lat_sum_ns[a], __ATOMIC_RELAXED) / 1e9);
		sb_printf(&sb, "privnum_api_latency_seconds_count{api=\"%s\"} %" PRIu64 "\n",
		          pn_api_name(a), cum);
	}
	sb_printf(&sb,
	          "# HELP privnum_http_connections Open HTTP connections.\n"
	          "# TYPE privnum_http_connections gauge\nprivnum_http_connections %" PRId64 "\n",
	          __atomic_load_n(&m->conns, __ATOMIC_RELAXED));
	if (m->store) {
		static const char *const mn[8] = {"none", "AXB", "AX", "AXE",
		                                  "AXYB", "YB",  "X",  "?"};
		refresh_counts(m);
		sb_printf(&sb,
		          "# HELP privnum_bindings Live bindings by mode (AXYB = AX parts, YB = "
		          "YB parts).\n# TYPE privnum_bindings gauge\n");
		for (int i = 1; i <= 5; i++)
			sb_printf(&sb, "privnum_bindings{mode=\"%s\"} %" PRIu64 "\n", mn[i],
			          m->by_mode[i]);
		struct pn_store_stats st;
		pn_store_stats_get(m->store, &st);
		sb_printf(
		    &sb,
		    "# HELP privnum_changelog_seq Last committed changelog sequence number.\n"
		    "# TYPE privnum_changelog_seq gauge\nprivnum_changelog_seq %" PRIu64 "\n"
		    "# TYPE privnum_changelog_first_seq gauge\n"
		    "privnum_changelog_first_seq %" PRIu64 "\n"
		    "# HELP privnum_store_ops_total Store operations committed.\n"
		    "# TYPE privnum_store_ops_total counter\nprivnum_store_ops_total %" PRIu64 "\n"
		    "# HELP privnum_store_rounds_total Group-commit rounds (synced writes).\n"
		    "# TYPE privnum_store_rounds_total counter\n"
		    "privnum_store_rounds_total %" PRIu64 "\n"
		    "# TYPE privnum_store_max_round gauge\nprivnum_store_max_round %" PRIu64 "\n"
		    "# TYPE privnum_store_expired_total counter\n"
		    "privnum_store_expired_total %" PRIu64 "\n",
		    pn_store_last_seq(m->store), pn_store_first_seq(m->store), st.ops, st.rounds,
		    st.max_round, st.expired);
	}
	if (m->auth) {
		struct pn_auth_stats as;
		pn_auth_stats(m->auth, &as);
		sb_printf(&sb,
		          "# TYPE privnum_auth_nonces gauge\nprivnum_auth_nonces %" PRIu64 "\n"
		          "# TYPE privnum_auth_nonce_evicted_total counter\n"
		          "privnum_auth_nonce_evicted_total %" PRIu64 "\n"
		          "# TYPE privnum_auth_ip_blocks_total counter\n"
		          "privnum_auth_ip_blocks_total %" PRIu64 "\n",
		          as.nonces, as.nonce_evicted, as.ips_blocked);
	}
	pthread_mutex_unlock(&m->mu);
	if (sb.oom) {
		free(sb.p);
		return NULL;
	}
	*len = sb.len;
	return sb.p;
}
