/*
 * pn_metrics.h: counters of privnum-control and their Prometheus text rendering (/metrics).
 *
 * Exposed: requests by API and resultcode, a request-latency histogram per API, HTTP
 * connections, auth cache sizes, bindings by mode (counted from a store snapshot, refreshed
 * at most every bindings_refresh_s seconds because counting walks the whole store), the
 * changelog sequence and the store's group-commit counters.
 *
 * Threading: pn_metrics_observe is lock-free (relaxed atomics) and may be called from any
 * thread; pn_metrics_render takes an internal mutex (one render at a time).
 */
#ifndef PN_METRICS_H
#define PN_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct pn_store;
struct pn_auth;
struct pn_metrics;

/* Returns NULL on allocation failure. store/auth may be NULL (their sections are omitted). */
struct pn_metrics *pn_metrics_new(struct pn_store *store, struct pn_auth *auth,
                                  unsigned bindings_refresh_s);
void pn_metrics_free(struct pn_metrics *m);

/* One finished request: API id (enum pn_api_id), resultcode (-1 = none) and latency. */
void pn_metrics_observe(struct pn_metrics *m, int api, long resultcode, int64_t latency_ns);

/* Connection gauge (+1 open, -1 closed). */
void pn_metrics_conn(struct pn_metrics *m, int delta);

/* Render the text exposition format into a malloc'd string (*len set). NULL on OOM. */
char *pn_metrics_render(struct pn_metrics *m, size_t *len);

#endif /* PN_METRICS_H */
