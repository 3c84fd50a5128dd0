/*
 * pn_replica.c: the RCU binding replica (see pn_replica.h for keys, invariants, threading).
 *
 * Key choices and their costs:
 *  - One cds_lfht (QSBR flavour) holds every key. Its buckets (16 bytes each) use the "order"
 *    backend (calloc'd tables: transparent huge pages when the process runs with
 *    GLIBC_TUNABLES=glibc.malloc.hugetlb=1). The writer sizes the table itself (maybe_resize:
 *    1.25..2.5 keys per bucket) with cds_lfht_resize in a short-lived helper thread, never in
 *    a reader's critical section; liburcu's own auto-resize lets chains reach 8 keys.
 *  - Entries live in a slab of 2 MiB chunks aligned on 2 MiB (advised for transparent huge
 *    pages: fewer TLB misses on random lookups). A chunk holds one object size: 88 bytes for
 *    AXB entries, 128 for the others (entry + struct pn_replica_ext). Because the chunk is
 *    aligned, a node pointer finds its entry with one mask and one division by a constant,
 *    which lets an entry embed two lfht nodes without any per-node back pointer.
 *  - Retired entries are collected in a vector and handed to call_rcu in batches (one rcu_head
 *    per batch, not per entry: no 16-byte rcu_head in every entry). The call_rcu thread gives
 *    them back to the slab under a mutex (never taken by readers).
 *  - The id index (binding id -> entry) is private to the writer: linear probing over a
 *    power-of-two array of tagged pointers; bit 0 of a slot is the resync generation mark.
 *  - match() answers "does this entry own this key", so it does not need to know which of the
 *    entry's two nodes it was handed.
 */
#include "pn_replica.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include <urcu/urcu-qsbr.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#endif
#endif
#ifndef POISON
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define SLAB_CHUNK    (2u << 20) /* 2 MiB, and the chunk alignment */
#define SLAB_HDR      64u        /* chunk header; objects start here */
#define SLAB_AXB_SIZE ((unsigned)sizeof(struct pn_replica_entry))
#define SLAB_EXT_SIZE ((unsigned)(sizeof(struct pn_replica_entry) + sizeof(struct pn_replica_ext)))
#define RETIRE_BATCH  256
#define LFHT_MAX_BKT  0 /* unlimited: "order" backend (calloc: THP with glibc.malloc.hugetlb=1) */
#define LFHT_BKT_CAP  (1ul << 30)

_Static_assert(sizeof(struct pn_replica_entry) == 88, "entry layout changed");
_Static_assert(sizeof(struct pn_replica_ext) == 40, "ext layout changed");

enum key_kind {
	KEY_PAIR = 1,
	KEY_X = 2,
	KEY_EXT = 3,
};

struct rkey {
	uint64_t kind;
	uint64_t k1;
	uint64_t k2;
};

/* ---- slab ---- */

struct slab_chunk_hdr {
	uint32_t obj_size; /* SLAB_AXB_SIZE or SLAB_EXT_SIZE */
	uint32_t pad;
	struct slab_chunk_hdr *next; /* all chunks of the slab, for destroy */
};

struct slab {
	pthread_mutex_t mu;
	uint32_t obj_size;
	void *free_list; /* freed objects, linked through their first word */
	char *cur;       /* bump pointer in the newest chunk */
	char *end;
	struct slab_chunk_hdr *chunks;
	uint64_t chunk_count;
};

static int slab_init(struct slab *s, uint32_t obj_size)
{
	memset(s, 0, sizeof(*s));
	s->obj_size = obj_size;
	return pthread_mutex_init(&s->mu, NULL) == 0 ? 0 : PN_ENOMEM;
}

static void *slab_new_chunk(struct slab *s)
{
	/* Over-allocate to align on SLAB_CHUNK, then trim both ends. */
	size_t len = 2 * (size_t)SLAB_CHUNK;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uintptr_t a = ((uintptr_t)p + SLAB_CHUNK - 1) & ~((uintptr_t)SLAB_CHUNK - 1);
	char *c = (char *)a;
	if (c > p)
		munmap(p, (size_t)(c - p));
	if (c + SLAB_CHUNK < p + len)
		munmap(c + SLAB_CHUNK, (size_t)(p + len - (c + SLAB_CHUNK)));
	(void)madvise(c, SLAB_CHUNK, MADV_HUGEPAGE); /* best effort */
	struct slab_chunk_hdr *h = (struct slab_chunk_hdr *)c;
	h->obj_size = s->obj_size;
	h->next = s->chunks;
	s->chunks = h;
	s->chunk_count++;
	s->cur = c + SLAB_HDR;
	s->end = c + SLAB_CHUNK;
	return c;
}

static void *slab_alloc(struct slab *s)
{
	void *o = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->free_list) {
		o = s->free_list;
		UNPOISON(o, s->obj_size);
		s->free_list = *(void **)o;
	} else {
		if (s->cur == NULL || s->cur + s->obj_size > s->end) {
			if (slab_new_chunk(s) == NULL) {
				pthread_mutex_unlock(&s->mu);
				return NULL;
			}
		}
		o = s->cur;
		s->cur += s->obj_size;
	}
	pthread_mutex_unlock(&s->mu);
	memset(o, 0, s->obj_size);
	return o;
}

static void slab_free(struct slab *s, void *o)
{
	pthread_mutex_lock(&s->mu);
	*(void **)o = s->free_list;
	s->free_list = o;
	POISON(o, s->obj_size); /* in sanitizer builds a use after free faults at once */
	pthread_mutex_unlock(&s->mu);
}

static void slab_destroy(struct slab *s)
{
	struct slab_chunk_hdr *h = s->chunks;
	while (h) {
		struct slab_chunk_hdr *n = h->next;
		UNPOISON(h, SLAB_CHUNK); /* the address range may be reused by another mapping */
		munmap(h, SLAB_CHUNK);
		h = n;
	}
	s->chunks = NULL;
	pthread_mutex_destroy(&s->mu);
}

/* The entry that embeds lfht node n (n is node[0] or node[1] of a slab object). */
static inline struct pn_replica_entry *entry_of_node(const struct cds_lfht_node *n)
{
	uintptr_t p = (uintptr_t)n;
	uintptr_t base = p & ~((uintptr_t)SLAB_CHUNK - 1);
	uintptr_t off = p - base - SLAB_HDR;
	const struct slab_chunk_hdr *h = (const struct slab_chunk_hdr *)base;
	if (PN_LIKELY(h->obj_size == SLAB_AXB_SIZE))
		off = off / SLAB_AXB_SIZE * SLAB_AXB_SIZE;
	else
		off = off / SLAB_EXT_SIZE * SLAB_EXT_SIZE;
	return (struct pn_replica_entry *)(base + SLAB_HDR + off);
}

static inline struct pn_replica_ext *ext_of(struct pn_replica_entry *e)
{
	return (struct pn_replica_ext *)(e + 1);
}

/* ---- SipHash-1-3 of (kind, k1, k2) with a 128-bit key ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

/* SipHash-1-3 of the 17-byte message k1 (LE) | k2 (LE) | kind byte. */
static inline uint64_t siphash13_key(const uint64_t seed[2], const struct rkey *k)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ seed[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ seed[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ seed[0];
	uint64_t v3 = 0x7465646279746573ULL ^ seed[1];
	uint64_t m = k->k1;
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	m = k->k2;
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	m = ((uint64_t)17 << 56) | (k->kind & 0xff);
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the replica ---- */

struct retire_batch {
	struct rcu_head head;
	struct pn_replica *r;
	size_t n;
	struct pn_replica_entry *e[];
};

struct pn_replica {
	struct cds_lfht *ht;
	uint64_t seed[2];

	/* writer state */
	uint64_t last_seq;
	uintptr_t *idx; /* id index: tagged entry pointers, 0 = empty */
	size_t idx_cap; /* power of two */
	size_t idx_n;
	uintptr_t gen; /* current generation mark (0 or 1) */
	int in_snapshot;
	struct pn_replica_entry **retire;
	size_t retire_n, retire_cap;
	struct pn_binding **pending; /* snapshot YB records whose AX part came later */
	size_t pending_n, pending_cap;

	struct slab slab_axb;
	struct slab slab_ext;

	/* tones: names readable by anyone, index private to the writer */
	_Atomic(char *) *tone_names; /* [PN_REPLICA_TONES_MAX + 1], [0] unused */
	_Atomic uint32_t tone_n;
	uint16_t *tone_idx; /* open addressing, 0 = empty */
	size_t tone_idx_cap;

	struct pn_replica_stats st; /* writer-updated */
	_Atomic uint64_t freed;

	/* bucket count policy (see maybe_resize) */
	unsigned long bkt;     /* buckets requested last (writer) */
	unsigned long bkt_min; /* never shrink below the initial size */
	unsigned long resize_target;
	atomic_int resizing; /* a resize thread is running */
	int resize_started;  /* resize_th must be joined */
	pthread_t resize_th;
};

/* ---- keys of an entry and the match function ---- */

static unsigned entry_keys(const struct pn_replica_entry *e, struct rkey k[2])
{
	switch (e->mode) {
	case PN_MODE_AXB:
		k[0] = (struct rkey){KEY_PAIR, e->x, e->a};
		k[1] = (struct rkey){KEY_PAIR, e->x, e->b};
		return 2;
	case PN_MODE_AX:
	case PN_MODE_AXYB:
		k[0] = (struct rkey){KEY_X, e->x, 0};
		return 1;
	case PN_MODE_YB:
		k[0] = (struct rkey){KEY_PAIR, e->x, e->b}; /* A dials Y */
		k[1] =
		    (struct rkey){KEY_PAIR, pn_replica_entry_ext(e)->peer_x, e->a}; /* B dials X */
		return 2;
	case PN_MODE_AXE:
		k[0] = (struct rkey){KEY_EXT, e->x,
		                     ((uint64_t)PN_REPLICA_EXT_LEN(e->flags) << 16) | e->ext};
		k[1] = (struct rkey){KEY_PAIR, e->x, e->a}; /* A dials X */
		return 2;
	default:
		return 0;
	}
}

static inline int rkey_eq(const struct rkey *a, const struct rkey *b)
{
	return a->kind == b->kind && a->k1 == b->k1 && a->k2 == b->k2;
}

static int match_fn(struct cds_lfht_node *node, const void *key)
{
	const struct rkey *k = key;
	const struct pn_replica_entry *e = entry_of_node(node);
	switch (k->kind) {
	case KEY_PAIR:
		if (e->mode == PN_MODE_AXB)
			return e->x == k->k1 && (e->a == k->k2 || e->b == k->k2);
		if (e->mode == PN_MODE_YB)
			return (e->x == k->k1 && e->b == k->k2) ||
			       (pn_replica_entry_ext(e)->peer_x == k->k1 && e->a == k->k2);
		if (e->mode == PN_MODE_AXE)
			return e->x == k->k1 && e->a == k->k2;
		return 0;
	case KEY_X:
		return (e->mode == PN_MODE_AX || e->mode == PN_MODE_AXYB) && e->x == k->k1;
	case KEY_EXT:
		return e->mode == PN_MODE_AXE && e->x == k->k1 &&
		       (((uint64_t)PN_REPLICA_EXT_LEN(e->flags) << 16) | e->ext) == k->k2;
	default:
		return 0;
	}
}

static inline unsigned long key_hash(const struct pn_replica *r, const struct rkey *k)
{
	return (unsigned long)siphash13_key(r->seed, k);
}

/* ---- lookups ---- */

static inline const struct pn_replica_entry *
lookup_hashed(struct pn_replica *r, const struct rkey *k, unsigned long h, int64_t now_ms)
{
	struct cds_lfht_iter it;
	cds_lfht_lookup(r->ht, h, match_fn, k, &it);
	struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
	if (n == NULL)
		return NULL;
	const struct pn_replica_entry *e = entry_of_node(n);
	if (e->expires_ms != 0 && now_ms >= e->expires_ms)
		return NULL;
	return e;
}

const struct pn_replica_entry *pn_replica_lookup_pair(struct pn_replica *r, pn_num_t x,
                                                      pn_num_t caller, int64_t now_ms)
{
	struct rkey k = {KEY_PAIR, x, caller};
	return lookup_hashed(r, &k, key_hash(r, &k), now_ms);
}

const struct pn_replica_entry *pn_replica_lookup_x(struct pn_replica *r, pn_num_t x, int64_t now_ms)
{
	struct rkey k = {KEY_X, x, 0};
	return lookup_hashed(r, &k, key_hash(r, &k), now_ms);
}

const struct pn_replica_entry *pn_replica_lookup_ext(struct pn_replica *r, pn_num_t x, uint16_t ext,
                                                     unsigned ext_len, int64_t now_ms)
{
	if (ext_len < 1 || ext_len > 4)
		return NULL;
	struct rkey k = {KEY_EXT, x, ((uint64_t)ext_len << 16) | ext};
	return lookup_hashed(r, &k, key_hash(r, &k), now_ms);
}

const struct pn_replica_entry *pn_replica_lookup_call(struct pn_replica *r, pn_num_t x,
                                                      pn_num_t caller, int64_t now_ms)
{
	const struct pn_replica_entry *e = pn_replica_lookup_pair(r, x, caller, now_ms);
	return e ? e : pn_replica_lookup_x(r, x, now_ms);
}

size_t pn_replica_lookup_pair_burst(struct pn_replica *r, const struct pn_replica_key *keys,
                                    size_t n, int64_t now_ms, const struct pn_replica_entry **out)
{
	enum { STEP = 32 };
	unsigned long h[STEP];
	struct rkey k[STEP];
	size_t hits = 0;
	for (size_t base = 0; base < n; base += STEP) {
		size_t m = n - base < STEP ? n - base : STEP;
		for (size_t i = 0; i < m; i++) {
			k[i] = (struct rkey){KEY_PAIR, keys[base + i].x, keys[base + i].caller};
			h[i] = key_hash(r, &k[i]);
		}
		for (size_t i = 0; i < m; i++) {
			const struct pn_replica_entry *e = lookup_hashed(r, &k[i], h[i], now_ms);
			out[base + i] = e;
			hits += e != NULL;
		}
	}
	return hits;
}

const char *pn_replica_tone_name(struct pn_replica *r, uint16_t idx)
{
	if (idx == PN_REPLICA_TONE_NONE ||
	    idx > atomic_load_explicit(&r->tone_n, memory_order_acquire))
		return NULL;
	return atomic_load_explicit(&r->tone_names[idx], memory_order_acquire);
}

/* ---- tone interning (writer) ---- */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static int tone_idx_grow(struct pn_replica *r)
{
	size_t cap = r->tone_idx_cap ? r->tone_idx_cap * 2 : 64;
	uint16_t *t = calloc(cap, sizeof(*t));
	if (!t)
		return PN_ENOMEM;
	uint32_t n = atomic_load_explicit(&r->tone_n, memory_order_relaxed);
	for (uint32_t i = 1; i <= n; i++) {
		size_t j = str_hash(r->tone_names[i]) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = (uint16_t)i;
	}
	free(r->tone_idx);
	r->tone_idx = t;
	r->tone_idx_cap = cap;
	return 0;
}

/* Index of name (0 for ""); *err set to PN_EFULL / PN_ENOMEM when it cannot be interned. */
static uint16_t tone_intern(struct pn_replica *r, const char *name, size_t maxlen, int *err)
{
	size_t len = strnlen(name, maxlen);
	if (len == 0 || len == maxlen) /* empty, or not NUL-terminated: no tone */
		return PN_REPLICA_TONE_NONE;
	uint32_t n = atomic_load_explicit(&r->tone_n, memory_order_relaxed);
	if ((n + 1) * 2 > r->tone_idx_cap && tone_idx_grow(r) != 0) {
		*err = PN_ENOMEM;
		return PN_REPLICA_TONE_NONE;
	}
	size_t j = str_hash(name) & (r->tone_idx_cap - 1);
	while (r->tone_idx[j]) {
		if (strcmp(r->tone_names[r->tone_idx[j]], name) == 0)
			return r->tone_idx[j];
		j = (j + 1) & (r->tone_idx_cap - 1);
	}
	if (n >= PN_REPLICA_TONES_MAX) {
		*err = PN_EFULL;
		return PN_REPLICA_TONE_NONE;
	}
	char *copy = strndup(name, len);
	if (!copy) {
		*err = PN_ENOMEM;
		return PN_REPLICA_TONE_NONE;
	}
	atomic_store_explicit(&r->tone_names[n + 1], copy, memory_order_release);
	atomic_store_explicit(&r->tone_n, n + 1, memory_order_release);
	r->tone_idx[j] = (uint16_t)(n + 1);
	r->st.tones = n + 1;
	return (uint16_t)(n + 1);
}

/* ---- id index (writer) ---- */

#define IDX_PTR(s) ((struct pn_replica_entry *)((s) & ~(uintptr_t)1))
#define IDX_GEN(s) ((s) & (uintptr_t)1)

static inline size_t id_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	id *= 0xc4ceb9fe1a85ec53ULL;
	id ^= id >> 33;
	return (size_t)id;
}

/* Slot holding id, or the empty slot where it would go. */
static size_t idx_probe(const struct pn_replica *r, uint64_t id)
{
	size_t mask = r->idx_cap - 1, i = id_hash(id) & mask;
	while (r->idx[i] && IDX_PTR(r->idx[i])->id != id)
		i = (i + 1) & mask;
	return i;
}

static int idx_grow(struct pn_replica *r)
{
	size_t cap = r->idx_cap * 2;
	uintptr_t *t = calloc(cap, sizeof(*t));
	if (!t)
		return PN_ENOMEM;
	for (size_t i = 0; i < r->idx_cap; i++) {
		if (!r->idx[i])
			continue;
		size_t j = id_hash(IDX_PTR(r->idx[i])->id) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = r->idx[i];
	}
	free(r->idx);
	r->idx = t;
	r->idx_cap = cap;
	r->st.index_bytes = cap * sizeof(*t);
	return 0;
}

/* Remove slot i (backward-shift deletion keeps probe chains intact). */
static void idx_remove_at(struct pn_replica *r, size_t i)
{
	size_t mask = r->idx_cap - 1, j = i;
	r->idx[i] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!r->idx[j])
			break;
		size_t home = id_hash(IDX_PTR(r->idx[j])->id) & mask;
		/* Move j to the hole i if its home is not in (i, j] (cyclically). */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			r->idx[i] = r->idx[j];
			r->idx[j] = 0;
			i = j;
		}
	}
	r->idx_n--;
}

/* ---- retire / free ---- */

static void entry_free_now(struct pn_replica *r, struct pn_replica_entry *e)
{
	if (e->mode == PN_MODE_AXB)
		slab_free(&r->slab_axb, e);
	else
		slab_free(&r->slab_ext, e);
}

static void retire_cb(struct rcu_head *head)
{
	struct retire_batch *b = caa_container_of(head, struct retire_batch, head);
	for (size_t i = 0; i < b->n; i++)
		entry_free_now(b->r, b->e[i]);
	atomic_fetch_add_explicit(&b->r->freed, b->n, memory_order_relaxed);
	free(b);
}

void pn_replica_flush(struct pn_replica *r)
{
	if (r->retire_n == 0)
		return;
	struct retire_batch *b = malloc(sizeof(*b) + r->retire_n * sizeof(b->e[0]));
	if (!b) {
		/* Cannot defer: wait for a grace period here instead (writer only; it goes
		 * offline inside synchronize_rcu, so no reader is held up). */
		urcu_qsbr_synchronize_rcu();
		for (size_t i = 0; i < r->retire_n; i++)
			entry_free_now(r, r->retire[i]);
		atomic_fetch_add_explicit(&r->freed, r->retire_n, memory_order_relaxed);
		r->st.retired += r->retire_n;
		r->retire_n = 0;
		return;
	}
	b->r = r;
	b->n = r->retire_n;
	memcpy(b->e, r->retire, r->retire_n * sizeof(b->e[0]));
	r->st.retired += r->retire_n;
	r->retire_n = 0;
	urcu_qsbr_call_rcu(&b->head, retire_cb);
}

static void retire(struct pn_replica *r, struct pn_replica_entry *e)
{
	if (r->retire_n == r->retire_cap) {
		size_t cap = r->retire_cap ? r->retire_cap * 2 : RETIRE_BATCH;
		struct pn_replica_entry **v = realloc(r->retire, cap * sizeof(*v));
		if (!v) {
			/* No memory to defer: wait for readers here (writer goes offline inside).
			 */
			pn_replica_flush(r);
			urcu_qsbr_synchronize_rcu();
			entry_free_now(r, e);
			atomic_fetch_add_explicit(&r->freed, 1, memory_order_relaxed);
			r->st.retired++;
			return;
		}
		r->retire = v;
		r->retire_cap = cap;
	}
	r->retire[r->retire_n++] = e;
	if (r->retire_n >= RETIRE_BATCH)
		pn_replica_flush(r);
}

/* ---- lifecycle ---- */

struct pn_replica *pn_replica_create(const struct pn_replica_config *cfg)
{
	struct pn_replica *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (cfg && (cfg->seed[0] || cfg->seed[1])) {
		r->seed[0] = cfg->seed[0];
		r->seed[1] = cfg->seed[1];
	} else if (getrandom(r->seed, sizeof(r->seed), 0) != (ssize_t)sizeof(r->seed)) {
		free(r);
		return NULL;
	}
	unsigned long init = cfg && cfg->init_nodes ? cfg->init_nodes : 1024;
	unsigned long sz = 1;
	while (sz < init && sz < LFHT_BKT_CAP)
		sz <<= 1;
	r->idx_cap = 1024;
	r->idx = calloc(r->idx_cap, sizeof(*r->idx));
	r->tone_names = calloc(PN_REPLICA_TONES_MAX + 1, sizeof(*r->tone_names));
	if (!r->idx || !r->tone_names || slab_init(&r->slab_axb, SLAB_AXB_SIZE) != 0)
		goto fail;
	if (slab_init(&r->slab_ext, SLAB_EXT_SIZE) != 0) {
		pthread_mutex_destroy(&r->slab_axb.mu);
		goto fail;
	}
	/* No CDS_LFHT_AUTO_RESIZE: its count-based policy lets chains reach 8 keys per bucket
	 * before growing 8x; maybe_resize keeps 1.25..2.5 keys per bucket instead. */
	r->ht = cds_lfht_new_flavor(sz, 1, LFHT_MAX_BKT, 0, &urcu_qsbr_flavor, NULL);
	r->bkt = r->bkt_min = sz;
	r->st.buckets = sz;
	if (!r->ht) {
		slab_destroy(&r->slab_axb);
		slab_destroy(&r->slab_ext);
		goto fail;
	}
	r->st.index_bytes = r->idx_cap * sizeof(*r->idx);
	return r;
fail:
	free(r->idx);
	free(r->tone_names);
	free(r);
	return NULL;
}

void pn_replica_destroy(struct pn_replica *r)
{
	if (!r)
		return;
	int was_online = urcu_qsbr_read_ongoing();
	if (r->resize_started) {
		/* A shrinking resize waits for a grace period: be quiescent while joining it. */
		if (was_online)
			urcu_qsbr_thread_offline();
		pthread_join(r->resize_th, NULL);
	}
	if (!urcu_qsbr_read_ongoing())
		urcu_qsbr_thread_online();
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	cds_lfht_for_each(r->ht, &it, n)
	{
		(void)cds_lfht_del(r->ht, n);
	}
	urcu_qsbr_thread_offline();
	urcu_qsbr_synchronize_rcu();
	(void)cds_lfht_destroy(r->ht, NULL);
	pn_replica_flush(r);
	urcu_qsbr_barrier();
	if (was_online)
		urcu_qsbr_thread_online();
	/* Entries still indexed are freed with their chunks. */
	slab_destroy(&r->slab_axb);
	slab_destroy(&r->slab_ext);
	free(r->idx);
	free(r->retire);
	for (size_t i = 0; i < r->pending_n; i++)
		free(r->pending[i]);
	free(r->pending);
	uint32_t tn = atomic_load(&r->tone_n);
	for (uint32_t i = 1; i <= tn; i++)
		free(r->tone_names[i]);
	free(r->tone_names);
	free(r->tone_idx);
	free(r);
}

/* ---- building entries ---- */

static int64_t min_nonzero(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/*
 * Build the entry for b (not yet published). Returns 0 and *out, PN_EINVAL (malformed),
 * PN_ENOENT (YB without its AX part), PN_ENOMEM. *tone_err gets PN_EFULL/PN_ENOMEM if a tone
 * could not be interned (the entry is still built, without that tone).
 */
static int build_entry(struct pn_replica *r, const struct pn_binding *b,
                       struct pn_replica_entry **out, int *tone_err)
{
	const struct pn_replica_entry *parent = NULL;
	if (b->id == 0 || b->x == PN_NUM_NONE || b->a == PN_NUM_NONE)
		return PN_EINVAL;
	if (b->direction > PN_DIR_B_TO_A)
		return PN_EINVAL;
	switch (b->mode) {
	case PN_MODE_AXB:
		if (b->b == PN_NUM_NONE || b->b == b->a)
			return PN_EINVAL;
		break;
	case PN_MODE_AX:
	case PN_MODE_AXYB:
		break;
	case PN_MODE_AXE:
		if (b->ext_len < 1 || b->ext_len > 4 || b->ext > 9999)
			return PN_EINVAL;
		break;
	case PN_MODE_YB: {
		if (b->parent_id == 0)
			return PN_EINVAL;
		size_t i = idx_probe(r, b->parent_id);
		if (!r->idx[i] || IDX_PTR(r->idx[i])->mode != PN_MODE_AXYB)
			return PN_ENOENT;
		parent = IDX_PTR(r->idx[i]);
		/* Y == X with B == A would give the entry the same key twice. */
		if (parent->x == b->x && parent->a == b->a)
			return PN_EINVAL;
		break;
	}
	default:
		return PN_EINVAL;
	}

	struct pn_replica_entry *e =
	    b->mode == PN_MODE_AXB ? slab_alloc(&r->slab_axb) : slab_alloc(&r->slab_ext);
	if (!e)
		return PN_ENOMEM;
	e->mode = b->mode;
	e->x = b->x;
	e->a = b->a;
	if (b->mode == PN_MODE_AXB)
		e->b = b->b;
	e->id = b->id;
	e->direction = b->direction;
	e->record = b->record ? 1 : 0;
	e->max_duration_min = b->max_duration_min;
	e->expires_ms = b->expires_ms;
	uint8_t f = 0;
	if (b->private_sms)
		f |= PN_REPLICA_F_PRIVATE_SMS;
	if (b->turn_on)
		f |= PN_REPLICA_F_TURN_ON;
	if (b->display_mode)
		f |= PN_REPLICA_F_DISPLAY;
	e->tone[PN_REPLICA_TONE_RECORD_HINT] =
	    tone_intern(r, b->record_hint_tone, PN_TONE_LEN, tone_err);
	e->tone[PN_REPLICA_TONE_LAST_MIN] =
	    tone_intern(r, b->last_min_voice, PN_TONE_LEN, tone_err);
	e->tone[PN_REPLICA_TONE_CALLER_HINT] =
	    tone_intern(r, b->caller_hint_tone, PN_TONE_LEN, tone_err);
	e->tone[PN_REPLICA_TONE_CALLEE_HINT] =
	    tone_intern(r, b->callee_hint_tone, PN_TONE_LEN, tone_err);

	if (b->mode != PN_MODE_AXB) {
		struct pn_replica_ext *x = ext_of(e);
		x->created_ms = b->created_ms;
		switch (b->mode) {
		case PN_MODE_AX:
			e->b = b->b;
			x->b_expires_ms = b->b != PN_NUM_NONE ? b->b_expires_ms : 0;
			break;
		case PN_MODE_AXE: {
			e->b = b->callback_num;
			e->ext = b->ext;
			f |= (uint8_t)(b->ext_len << 4);
			e->tone[PN_REPLICA_TONE_CALLEE_HINT] =
			    tone_intern(r, b->callback_tone, PN_TONE_LEN, tone_err);
			uint64_t unit = b->time_unit ? 60u : 3600u;
			uint64_t s = (uint64_t)b->callback_expired_time * unit;
			x->cb_expire_s = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
			x->time_unit = b->time_unit;
			break;
		}
		case PN_MODE_YB: {
			e->b = parent->a;
			x->peer_x = parent->x;
			x->parent_id = parent->id;
			e->direction = parent->direction;
			e->record = parent->record;
			e->max_duration_min = parent->max_duration_min;
			e->expires_ms = min_nonzero(min_nonzero(b->expires_ms, b->yb_expires_ms),
			                            parent->expires_ms);
			/* A dials Y hears preVoiceY; B dials X hears the AX part's preVoiceX. */
			uint16_t y = e->tone[PN_REPLICA_TONE_CALLEE_HINT]
			                 ? e->tone[PN_REPLICA_TONE_CALLEE_HINT]
			                 : e->tone[PN_REPLICA_TONE_CALLER_HINT];
			e->tone[PN_REPLICA_TONE_CALLER_HINT] = y;
			e->tone[PN_REPLICA_TONE_CALLEE_HINT] =
			    parent->tone[PN_REPLICA_TONE_CALLER_HINT];
			if (!e->tone[PN_REPLICA_TONE_RECORD_HINT])
				e->tone[PN_REPLICA_TONE_RECORD_HINT] =
				    parent->tone[PN_REPLICA_TONE_RECORD_HINT];
			break;
		}
		default:
			break;
		}
	}
	e->flags = f;
	*out = e;
	return 0;
}

/* Same published content (everything after the lfht nodes)? */
static int entry_same(const struct pn_replica_entry *a, const struct pn_replica_entry *b)
{
	size_t off = offsetof(struct pn_replica_entry, x);
	if (a->mode != b->mode)
		return 0;
	size_t len = (a->mode == PN_MODE_AXB ? SLAB_AXB_SIZE : SLAB_EXT_SIZE) - off;
	return memcmp((const char *)a + off, (const char *)b + off, len) == 0;
}

/* Publish e (replacing old, which may be NULL) and update the id index. Cannot fail once the
 * index has room (checked by the caller). */
static void publish(struct pn_replica *r, struct pn_replica_entry *old, struct pn_replica_entry *e,
                    size_t slot)
{
	struct rkey nk[2], ok[2];
	unsigned nn = entry_keys(e, nk), on = old ? entry_keys(old, ok) : 0;
	for (unsigned i = 0; i < nn; i++) {
		struct cds_lfht_node *prev =
		    cds_lfht_add_replace(r->ht, key_hash(r, &nk[i]), match_fn, &nk[i], &e->node[i]);
		if (prev == NULL)
			r->st.keys++;
		else if (!old || (prev != &old->node[0] && prev != &old->node[1]))
			r->st.conflicts++;
	}
	for (unsigned j = 0; j < on; j++) {
		int kept = 0;
		for (unsigned i = 0; i < nn; i++)
			kept |= rkey_eq(&ok[j], &nk[i]);
		if (!kept && cds_lfht_del(r->ht, &old->node[j]) == 0)
			r->st.keys--;
	}
	if (old) {
		r->st.by_mode[old->mode]--;
		retire(r, old);
	} else {
		r->idx_n++;
		r->st.bindings++;
	}
	r->st.by_mode[e->mode]++;
	r->idx[slot] = (uintptr_t)e | r->gen;
}

static unsigned long pow2_at_least(uint64_t v, unsigned long min)
{
	unsigned long sz = min ? min : 1;
	while (sz < v && sz < LFHT_BKT_CAP)
		sz <<= 1;
	return sz;
}

static void *resize_main(void *arg)
{
	struct pn_replica *r = arg;
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline(); /* cds_lfht_resize must run outside a read-side section */
	cds_lfht_resize(r->ht, r->resize_target);
	urcu_qsbr_unregister_thread();
	atomic_store_explicit(&r->resizing, 0, memory_order_release);
	return NULL;
}

/*
 * Bucket policy, checked after every change (two compares when nothing is due): grow when
 * the table holds more than 2.5 keys per bucket, shrink below 1/8, to the power of two at
 * least keys / 2.5. That keeps chains short (each extra node is a dependent cache miss on a
 * lookup) at 13-17 bytes of bucket array per AXB binding. The resize runs in its own
 * short-lived thread (registered, offline), so neither the writer nor the workers wait for
 * it; lookups stay correct while it runs.
 */
static void maybe_resize(struct pn_replica *r)
{
	uint64_t keys = r->st.keys;
	int grow = keys * 2 > (uint64_t)r->bkt * 5;
	int shrink = keys * 8 < r->bkt && r->bkt > r->bkt_min;
	if (PN_LIKELY(!grow && !shrink))
		return;
	if (atomic_load_explicit(&r->resizing, memory_order_acquire))
		return; /* the running one finishes first; checked again on the next change */
	unsigned long want = pow2_at_least(keys * 2 / 5, r->bkt_min);
	if (want == r->bkt)
		return;
	if (r->resize_started) {
		pthread_join(r->resize_th, NULL); /* finished: resizing was 0 */
		r->resize_started = 0;
	}
	r->resize_target = want;
	atomic_store_explicit(&r->resizing, 1, memory_order_release);
	if (pthread_create(&r->resize_th, NULL, resize_main, r) != 0) {
		atomic_store_explicit(&r->resizing, 0, memory_order_release);
		return; /* retried on a later change */
	}
	r->resize_started = 1;
	r->bkt = want;
	r->st.buckets = want;
}

static int put_binding(struct pn_replica *r, const struct pn_binding *b)
{
	if ((r->idx_n + 1) * 4 > r->idx_cap * 3 && idx_grow(r) != 0)
		return PN_ENOMEM;
	int tone_err = 0;
	struct pn_replica_entry *e;
	int rc = build_entry(r, b, &e, &tone_err);
	if (rc != 0)
		return rc;
	size_t slot = idx_probe(r, b->id);
	struct pn_replica_entry *old = r->idx[slot] ? IDX_PTR(r->idx[slot]) : NULL;
	if (old && entry_same(old, e)) {
		entry_free_now(r, e); /* never published */
		r->idx[slot] = (uintptr_t)old | r->gen;
		r->st.unchanged++;
		return tone_err;
	}
	publish(r, old, e, slot);
	maybe_resize(r);
	return tone_err == PN_ENOMEM ? 0 : tone_err;
}

static int del_binding(struct pn_replica *r, uint64_t id)
{
	size_t slot = idx_probe(r, id);
	if (!r->idx[slot])
		return PN_ENOENT;
	struct pn_replica_entry *old = IDX_PTR(r->idx[slot]);
	struct rkey ok[2];
	unsigned on = entry_keys(old, ok);
	for (unsigned j = 0; j < on; j++)
		if (cds_lfht_del(r->ht, &old->node[j]) == 0)
			r->st.keys--;
	idx_remove_at(r, slot);
	r->st.bindings--;
	r->st.by_mode[old->mode]--;
	retire(r, old);
	maybe_resize(r);
	return 0;
}

int pn_replica_apply(struct pn_replica *r, const struct pn_change *c)
{
	if (c->seq == 0) {
		r->st.rejected++;
		return PN_EINVAL;
	}
	if (c->seq <= r->last_seq)
		return PN_EEXIST;
	if (c->seq != r->last_seq + 1) {
		r->st.gaps++;
		return PN_EAGAIN;
	}
	int rc;
	if (c->op == PN_CHANGE_PUT)
		rc = put_binding(r, &c->b);
	else if (c->op == PN_CHANGE_DEL)
		rc = del_binding(r, c->b.id);
	else
		rc = PN_EINVAL;
	if (rc == PN_ENOMEM)
		return rc;
	__atomic_store_n(&r->last_seq, c->seq, __ATOMIC_RELAXED); /* read by monitors */
	r->st.last_seq = c->seq;
	if (rc == 0 || rc == PN_EFULL)
		r->st.applied++;
	else
		r->st.rejected++;
	return rc;
}

uint64_t pn_replica_last_seq(const struct pn_replica *r)
{
	return __atomic_load_n(&r->last_seq, __ATOMIC_RELAXED);
}

/* ---- snapshot ---- */

void pn_replica_snapshot_begin(struct pn_replica *r)
{
	if (r->in_snapshot) {
		/* Restart: entries put by the abandoned snapshot carry the current mark; reset
		 * every mark so that all of them count as unseen again after the flip. */
		for (size_t i = 0; i < r->idx_cap; i++)
			if (r->idx[i])
				r->idx[i] = (r->idx[i] & ~(uintptr_t)1) | r->gen;
	}
	r->gen ^= 1;
	r->in_snapshot = 1;
	for (size_t i = 0; i < r->pending_n; i++)
		free(r->pending[i]);
	r->pending_n = 0;
}

int pn_replica_snapshot_put(struct pn_replica *r, const struct pn_binding *b)
{
	if (!r->in_snapshot)
		return PN_EINVAL;
	int rc = put_binding(r, b);
	if (rc == PN_ENOENT && b->mode == PN_MODE_YB) {
		/* Its AX part may come later in the snapshot: retry at the end. */
		if (r->pending_n == r->pending_cap) {
			size_t cap = r->pending_cap ? r->pending_cap * 2 : 16;
			struct pn_binding **v = realloc(r->pending, cap * sizeof(*v));
			if (!v)
				return PN_ENOMEM;
			r->pending = v;
			r->pending_cap = cap;
		}
		struct pn_binding *copy = malloc(sizeof(*copy));
		if (!copy)
			return PN_ENOMEM;
		*copy = *b;
		r->pending[r->pending_n++] = copy;
		return 0;
	}
	if (rc == 0 || rc == PN_EFULL)
		r->st.applied++;
	else if (rc != PN_ENOMEM)
		r->st.rejected++;
	return rc;
}

int pn_replica_snapshot_end(struct pn_replica *r, uint64_t seq)
{
	if (!r->in_snapshot)
		return PN_EINVAL;
	for (size_t i = 0; i < r->pending_n; i++) {
		int rc = put_binding(r, r->pending[i]);
		if (rc == 0 || rc == PN_EFULL)
			r->st.applied++;
		else
			r->st.rejected++;
		free(r->pending[i]);
	}
	r->pending_n = 0;
	/* Sweep: every binding not marked with the current generation was not in the snapshot.
	 * A removal shifts later members of the probe cluster back into slot i, so slot i is
	 * examined again. Entries shifted from the (already visited) start of the array into the
	 * end carry the current mark, so one pass suffices. */
	int deleted = 0;
	size_t i = 0;
	while (i < r->idx_cap) {
		uintptr_t s = r->idx[i];
		if (s && IDX_GEN(s) != r->gen) {
			del_binding(r, IDX_PTR(s)->id);
			deleted++;
			continue;
		}
		i++;
	}
	r->in_snapshot = 0;
	__atomic_store_n(&r->last_seq, seq, __ATOMIC_RELAXED);
	r->st.last_seq = seq;
	r->st.snapshots++;
	r->st.snapshot_deleted += (uint64_t)deleted;
	pn_replica_flush(r);
	return deleted;
}

void pn_replica_stats_get(const struct pn_replica *r, struct pn_replica_stats *out)
{
	*out = r->st;
	out->resizing = (uint8_t)atomic_load_explicit(&r->resizing, memory_order_acquire);
	out->freed = atomic_load_explicit(&r->freed, memory_order_relaxed);
	out->entry_bytes = (r->slab_axb.chunk_count + r->slab_ext.chunk_count) * SLAB_CHUNK;
}

int pn_replica_resize(struct pn_replica *r, unsigned long buckets)
{
	unsigned long sz = 1;
	while (sz < buckets && sz < LFHT_BKT_CAP)
		sz <<= 1;
	int was_online = urcu_qsbr_read_ongoing();
	if (was_online)
		urcu_qsbr_thread_offline();
	cds_lfht_resize(r->ht, sz);
	r->bkt = sz;
	r->st.buckets = sz;
	if (was_online)
		urcu_qsbr_thread_online();
	return 0;
}
