/*
 * pn_api_int.h: what pn_api.c shares with pn_admin.c (not a public interface).
 *
 * Threading: as pn_api.h; struct pn_api_hctx lives on the calling thread's stack.
 */
#ifndef PN_API_INT_H
#define PN_API_INT_H

#include <jansson.h>
#include <pthread.h>

#include "pn_api.h"
#include "pn_json.h"

/* A small cache of app records for authentication (one RocksDB read per request saved).
 * Exact: every app change goes through this process's admin API, which bumps app_gen; an
 * entry of an older generation, or older than PN_APP_CACHE_TTL_NS, is re-read. */
#define PN_APP_CACHE        64
#define PN_APP_CACHE_TTL_NS 1000000000LL
struct pn_app_slot {
	pthread_mutex_t mu;
	int valid;
	uint64_t gen;
	int64_t loaded_ns;
	struct pn_store_app app;
};

struct pn_api {
	struct pn_api_config cfg;
	char admin_token[256];
	uint64_t app_gen; /* atomic */
	struct pn_app_slot apps[PN_APP_CACHE];
};

/* App by key through the cache: PN_STORE_OK, NOT_FOUND or EIO (as pn_store_app_get). */
int pn_api_app_get(struct pn_api *api, const char *key, struct pn_store_app *out);
/* Forget every cached app (after an admin change). */
void pn_api_app_invalidate(struct pn_api *api);

/* One request being handled (stack of the HTTP thread). */
struct pn_api_hctx {
	struct pn_api *api;
	const struct pn_api_req *req;
	struct pn_api_resp *resp;
	struct pn_query q;
	json_t *body;            /* parsed body object or NULL */
	struct pn_store_app app; /* the authenticated application */
	pn_api_done_fn done;
	void *arg;
};

/* Fill resp with obj (stolen: it is freed) serialised, status and resultcode. */
void pn_api_reply(struct pn_api_resp *r, unsigned status, long resultcode, json_t *obj);
/* {"resultcode":"<rc>","resultdesc":"<desc>"} with status. */
void pn_api_reply_err(struct pn_api_resp *r, unsigned status, long resultcode, const char *desc);
/* 400 / 1010002 naming the field. */
void pn_api_reply_bad(struct pn_api_resp *r, const char *field);
/* A fresh {"resultcode":"0","resultdesc":"Success"} object. */
json_t *pn_api_ok_obj(void);

/* Number field (String 4..31, global format). Returns PN_JSON_OK, PN_JSON_ABSENT or <0. */
int pn_api_get_num(const json_t *o, const char *key, pn_num_t *out);
/* Tone file name String(0-128) of [A-Za-z0-9-_.@] copied into out[PN_TONE_LEN]. */
int pn_api_get_tone(const json_t *o, const char *key, char *out);

/* The admin API: handles every /admin/ path. Returns PN_API_DONE. */
int pn_admin_handle(struct pn_api_hctx *h, const char *sub);

#endif /* PN_API_INT_H */
