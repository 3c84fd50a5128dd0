/*
 * pn_store_int.h: internals shared by pn_store.c (engine: queue, committer, sweeper, reads,
 * changelog) and pn_store_ops.c (the operations and every invariant). Not a public header.
 *
 * Key layout (one-byte prefix, integers big-endian so keys sort numerically, strings
 * followed by NUL; app keys are [A-Za-z0-9_-]{1,64} so they never contain NUL):
 *   'a' app_key                      -> app record (pn_store_ops.c codec)
 *   'n' X                            -> number record
 *   'p' app_key 0 area 0 X           -> u8 status        (pool of an app by area code)
 *   'b' id                           -> msgpack pn_change{seq of last write, PUT, binding}
 *   'x' X id                         -> ""               (every binding on X; YB: on Y)
 *   'u' X user                       -> id               (AXB A and B, AXE A, YB B on Y)
 *   'o' X                            -> id               (AX / AXYB-AX owner of X)
 *   'r' app_key 0 A X                -> id               (AX / AXYB-AX by A)
 *   'e' X ext(u16)                   -> id               (AXE)
 *   'y' parent id                    -> Y                (YB parts of an AXYB-AX)
 *   'l' app_key 0 mode created id    -> ""               (AXE only: v2 cursor order)
 *   't' ms id kind(u8)               -> ""               (expiry: kind 0 binding, 1 AX callee)
 *   'k' X                            -> u32              (AXB pairs / YB relations / AXE on X)
 *   'c' seq                          -> msgpack pn_change (the changelog)
 *   'm' "next_id" / "last_seq"       -> u64
 */
#ifndef PN_STORE_INT_H
#define PN_STORE_INT_H

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>

#include "pn_store.h"

#define K_APP   'a'
#define K_NUM   'n'
#define K_POOL  'p'
#define K_BIND  'b'
#define K_ONX   'x'
#define K_USER  'u'
#define K_OWNER 'o'
#define K_BYA   'r'
#define K_EXT   'e'
#define K_YB    'y'
#define K_LIST  'l'
#define K_EXP   't'
#define K_CNT   'k'
#define K_LOG   'c'
#define K_META  'm'

struct pn_store_key {
	uint8_t b[192];
	size_t n;
};

static inline void key_init(struct pn_store_key *k, char tag)
{
	k->b[0] = (uint8_t)tag;
	k->n = 1;
}
static inline void key_u8(struct pn_store_key *k, uint8_t v)
{
	k->b[k->n++] = v;
}
static inline void key_u16(struct pn_store_key *k, uint16_t v)
{
	k->b[k->n++] = (uint8_t)(v >> 8);
	k->b[k->n++] = (uint8_t)v;
}
static inline void key_u64(struct pn_store_key *k, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		k->b[k->n + (size_t)i] = (uint8_t)(v >> (8 * (7 - i)));
	k->n += 8;
}
/* strings are bounded by their fixed-size fields (<= 64 chars) so the key never overflows */
static inline void key_str0(struct pn_store_key *k, const char *s, size_t cap)
{
	size_t l = strnlen(s, cap < 65 ? cap : 65);
	if (l == cap)
		l--; /* unterminated field: never happens for terminated inputs */
	memcpy(k->b + k->n, s, l);
	k->n += l;
	k->b[k->n++] = 0;
}
static inline uint64_t rd_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}
static inline void wr_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

#define PN_STORE_PICK_HINTS 64

struct pn_store_item {
	struct pn_store_item *next;
	pn_store_cb cb;
	void *arg;
	struct pn_store_op op;
	struct pn_store_result res;
	int hook; /* NUM_STATUS changed the status: fire on_num_status after the commit */
	struct pn_store_num hook_before, hook_after;
};

struct pn_store {
	struct pn_store_config cfg;
	rocksdb_t *db;
	rocksdb_options_t *opts;
	rocksdb_writeoptions_t *wsync;
	rocksdb_readoptions_t *ropts;
	rocksdb_block_based_table_options_t *bbto;
	rocksdb_cache_t *cache;

	pthread_mutex_t mu; /* queue, closing, trim request, sweeper wake */
	pthread_cond_t cv_commit;
	pthread_cond_t cv_sweep;
	struct pn_store_item *head, *tail;
	size_t queued;
	int closing;
	int sweep_stop;
	int sweep_kick;
	uint64_t trim_upto;  /* ack-based trim request */
	int64_t next_expiry; /* earliest expiry known to the sweeper, INT64_MAX = none */

	pthread_t committer, sweeper;
	int have_committer, have_sweeper;

	/* owned by the committer thread */
	struct pn_store_key pick_hint[PN_STORE_PICK_HINTS]; /* last X chosen per pool pass */
	uint64_t next_id;
	uint64_t seq; /* last seq written (committed after the round) */

	_Atomic uint64_t last_seq;  /* published: durable */
	_Atomic uint64_t first_seq; /* oldest kept */
	_Atomic uint64_t st_ops, st_rounds, st_max_round, st_expired, st_trimmed, st_cpu_us;
};

/* One group-commit round, as seen by the ops. */
struct pn_store_round {
	struct pn_store *st;
	rocksdb_writebatch_wi_t *wb;
	int64_t now;
	int io_err;                /* sticky: a RocksDB read failed in this op */
	int64_t min_expiry;        /* earliest expiry added in this round (INT64_MAX = none) */
	uint64_t last_seq_op;      /* last seq written by the current op */
	uint32_t removed;          /* bindings removed by the current op */
	uint32_t expired;          /* bindings removed because expired */
	struct pn_store_item *cur; /* the op being applied */
	/* Every write of the round, in order, so the round can be written key-sorted (see
	 * run_round). Truncated on rollback. */
	struct pn_store_wentry **wl;
	size_t wl_n, wl_cap;
	struct pn_store_wentry **ht; /* latest write per key (open addressing) */
	size_t ht_cap, ht_used;
	int wl_oom;
	int app_cached; /* app_cache holds the committed-or-batched record of its app_key */
	struct pn_store_app app_cache;
};

/* One logged write: key then value bytes follow the header. */
struct pn_store_wentry {
	struct pn_store_wentry *prev; /* earlier write of the same key in the round, or NULL */
	uint32_t hash;
	uint32_t ord; /* position in the round: the last write of a key wins */
	uint16_t klen;
	uint8_t del;
	uint32_t vlen;
	char data[];
};

/* batch-and-db access for the committer. get returns 1 found (*val malloc'd by RocksDB,
 * rocksdb_free it), 0 absent, -1 error (r->io_err set). */
int rnd_get(struct pn_store_round *r, const struct pn_store_key *k, char **val, size_t *vlen);
void rnd_put(struct pn_store_round *r, const struct pn_store_key *k, const void *v, size_t vl);
void rnd_del(struct pn_store_round *r, const struct pn_store_key *k);
/* iterator over the DB merged with the batch, positioned at the first key >= k */
rocksdb_iterator_t *rnd_iter(struct pn_store_round *r, const struct pn_store_key *k);
/* is the iterator valid and its key starting with prefix? sets kp and kl */
int iter_in(rocksdb_iterator_t *it, const struct pn_store_key *prefix, const uint8_t **kp,
            size_t *kl);

/* apply one op inside the round (pn_store_ops.c); fills res; must leave the batch untouched on
 * failure (the caller wraps it in a save point anyway). */
void pn_store_apply(struct pn_store_round *r, const struct pn_store_op *op,
                    struct pn_store_result *res);

/* codecs (pn_store_ops.c) */
int pn_store_bind_decode(const char *v, size_t vl, struct pn_binding *out, uint64_t *seq);
int pn_store_app_decode(const char *v, size_t vl, struct pn_store_app *out);
int pn_store_num_decode(const char *v, size_t vl, struct pn_store_num *out);
int pn_store_app_key_ok(const char *k);

/* binding live at now? (not expired) */
static inline int pn_store_live(const struct pn_binding *b, int64_t now)
{
	return b->expires_ms == 0 || b->expires_ms > now;
}
/* clear an expired AX temporary callee in a read copy */
static inline void pn_store_read_fix(struct pn_binding *b, int64_t now)
{
	if (b->b_expires_ms && b->b_expires_ms <= now && b->mode == PN_MODE_AX) {
		b->b = 0;
		b->b_expires_ms = 0;
	}
}

#endif /* PN_STORE_INT_H */
