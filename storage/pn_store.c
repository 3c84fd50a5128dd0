/*
 * pn_store.c: the engine of the binding store: open/recover, the submission queue, the
 * group-commit committer thread, the expiry sweeper, changelog reads/trim and snapshots,
 * and the read-side queries. The operations and their invariants are in pn_store_ops.c.
 *
 * Group commit: the committer takes up to max_batch pending ops, applies each inside a
 * WriteBatchWithIndex save point (a failing op is rolled back and leaves no write), writes
 * the whole round once with sync=true, then publishes last_seq and runs the callbacks. A
 * failed write fails every op of the round with PN_STORE_EIO and restores next_id/seq, so
 * nothing acknowledged is ever missing and no seq is skipped.
 */
#include <errno.h>
#include <limits.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pn_store_int.h"

/* ---- small helpers ---- */

static int64_t real_clock(void *arg)
{
	(void)arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pn_store_now(struct pn_store *st)
{
	return st->cfg.clock(st->cfg.clock_arg);
}

const char *pn_store_rc_name(int rc)
{
	static const char *names[] = {
	    "OK",           "EINVAL",           "NO_APP",
	    "APP_DISABLED", "WRONG_MODE",       "X_NOT_OWNED",
	    "X_NO_FREE",    "X_BOUND_OTHER_A",  "PAIR_EXISTS",
	    "USER_ON_X",    "TOO_MANY_X_FOR_A", "X_FULL",
	    "EXT_TAKEN",    "NO_EXT_FREE",      "NOT_FOUND",
	    "EXISTS",       "X_ABNORMAL",       "EIO",
	    "EBUSY",        "CLOSING",          "TRIMMED",
	};
	if (rc < 0)
		rc = -rc;
	if ((size_t)rc < PN_ARRAY_SIZE(names))
		return names[rc];
	return "UNKNOWN";
}

/*
 * The round's overlay: every write is logged (r->wl, for the sorted commit) and indexed in an
 * open-addressing hash table of the latest write per key (r->ht), which answers the
 * invariant reads before RocksDB. Only keys of prefixes that the ops scan (pool, by-A, AXE
 * extensions, on-X, YB parts) also go into the WriteBatchWithIndex, whose iterator merges them
 * with the DB. Profiled: WriteBatchWithIndex puts and gets were ~40% of the committer's CPU.
 */
#define HT_TOMB ((struct pn_store_wentry *)1)

static uint32_t key_hash(const void *k, size_t n)
{
	const uint8_t *p = k;
	uint32_t h = 2166136261u; /* FNV-1a: keys are ours, not attacker-chosen hash inputs */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int ent_is(const struct pn_store_wentry *e, const void *k, size_t kl, uint32_t h)
{
	return e != HT_TOMB && e->hash == h && e->klen == kl && memcmp(e->data, k, kl) == 0;
}

/* slot holding the key, or the first empty slot where it would go */
static size_t ht_find(struct pn_store_round *r, const void *k, size_t kl, uint32_t h)
{
	size_t m = r->ht_cap - 1, i = h & m;
	while (r->ht[i] && !ent_is(r->ht[i], k, kl, h))
		i = (i + 1) & m;
	return i;
}

static int ht_grow(struct pn_store_round *r)
{
	size_t nc = r->ht_cap ? r->ht_cap * 2 : 4096;
	struct pn_store_wentry **old = r->ht, **n = calloc(nc, sizeof(*n));
	size_t oc = r->ht_cap;
	if (!n)
		return -1;
	r->ht = n;
	r->ht_cap = nc;
	r->ht_used = 0;
	for (size_t i = 0; i < oc; i++)
		if (old[i] && old[i] != HT_TOMB) {
			r->ht[ht_find(r, old[i]->data, old[i]->klen, old[i]->hash)] = old[i];
			r->ht_used++;
		}
	free(old);
	return 0;
}

int rnd_get(struct pn_store_round *r, const struct pn_store_key *k, char **val, size_t *vlen)
{
	if (r->ht_cap) {
		uint32_t h = key_hash(k->b, k->n);
		struct pn_store_wentry *e = r->ht[ht_find(r, k->b, k->n, h)];
		if (e) {
			if (e->del) {
				*val = NULL;
				return 0;
			}
			/* callers release values with rocksdb_free(), which is free() */
			*val = malloc(e->vlen ? e->vlen : 1);
			if (!*val) {
				r->io_err = 1;
				return -1;
			}
			memcpy(*val, e->data + e->klen, e->vlen);
			*vlen = e->vlen;
			return 1;
		}
	}
	char *err = NULL;
	*val = rocksdb_get(r->st->db, r->st->ropts, (const char *)k->b, k->n, vlen, &err);
	if (err) {
		fprintf(stderr, "pn_store: read: %s\n", err);
		rocksdb_free(err);
		r->io_err = 1;
		*val = NULL;
		return -1;
	}
	return *val != NULL;
}

/* Append a write to the round's log and overlay. */
static void wl_add(struct pn_store_round *r, const void *k, size_t kl, const void *v, size_t vl,
                   int del)
{
	if (r->wl_n == r->wl_cap) {
		size_t nc = r->wl_cap ? r->wl_cap * 2 : 1024;
		struct pn_store_wentry **n = realloc(r->wl, nc * sizeof(*n));
		if (!n) {
			r->wl_oom = 1;
			return;
		}
		r->wl = n;
		r->wl_cap = nc;
	}
	if ((r->ht_used + 1) * 2 > r->ht_cap && ht_grow(r) != 0) {
		r->wl_oom = 1;
		return;
	}
	struct pn_store_wentry *e = malloc(sizeof(*e) + kl + vl);
	if (!e) {
		r->wl_oom = 1;
		return;
	}
	e->ord = (uint32_t)r->wl_n;
	e->klen = (uint16_t)kl;
	e->vlen = (uint32_t)vl;
	e->del = (uint8_t)del;
	e->hash = key_hash(k, kl);
	memcpy(e->data, k, kl);
	if (vl)
		memcpy(e->data + kl, v, vl);
	r->wl[r->wl_n++] = e;
	size_t i = ht_find(r, k, kl, e->hash);
	e->prev = r->ht[i];
	if (!r->ht[i])
		r->ht_used++;
	r->ht[i] = e;
}

/* Drop the writes after the first n (rollback), restoring the overlay. */
static void wl_truncate(struct pn_store_round *r, size_t n)
{
	while (r->wl_n > n) {
		struct pn_store_wentry *e = r->wl[--r->wl_n];
		if (r->ht_cap) {
			size_t i = ht_find(r, e->data, e->klen, e->hash);
			if (PN_ALWAYS(r->ht[i] == e))
				r->ht[i] = e->prev ? e->prev : HT_TOMB;
		}
		free(e);
	}
}

/* Keys under these prefixes are scanned by ops and must be visible to rnd_iter. */
static int scanned_prefix(uint8_t tag)
{
	return tag == K_POOL || tag == K_BYA || tag == K_EXT || tag == K_ONX || tag == K_YB;
}

static int wl_cmp(const void *a, const void *b)
{
	const struct pn_store_wentry *x = *(struct pn_store_wentry *const *)a;
	const struct pn_store_wentry *y = *(struct pn_store_wentry *const *)b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->data, y->data, n);
	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->ord < y->ord ? -1 : 1;
}

void rnd_put(struct pn_store_round *r, const struct pn_store_key *k, const void *v, size_t vl)
{
	if (scanned_prefix(k->b[0]))
		rocksdb_writebatch_wi_put(r->wb, (const char *)k->b, k->n, (const char *)v, vl);
	wl_add(r, k->b, k->n, v, vl, 0);
}

void rnd_del(struct pn_store_round *r, const struct pn_store_key *k)
{
	if (scanned_prefix(k->b[0]))
		rocksdb_writebatch_wi_delete(r->wb, (const char *)k->b, k->n);
	wl_add(r, k->b, k->n, NULL, 0, 1);
}

rocksdb_iterator_t *rnd_iter(struct pn_store_round *r, const struct pn_store_key *k)
{
	rocksdb_iterator_t *base = rocksdb_create_iterator(r->st->db, r->st->ropts);
	rocksdb_iterator_t *it = rocksdb_writebatch_wi_create_iterator_with_base(r->wb, base);
	rocksdb_iter_seek(it, (const char *)k->b, k->n);
	return it;
}

int iter_in(rocksdb_iterator_t *it, const struct pn_store_key *prefix, const uint8_t **kp,
            size_t *kl)
{
	if (!rocksdb_iter_valid(it))
		return 0;
	size_t n;
	const char *key = rocksdb_iter_key(it, &n);
	if (n < prefix->n || memcmp(key, prefix->b, prefix->n) != 0)
		return 0;
	if (kp)
		*kp = (const uint8_t *)key;
	if (kl)
		*kl = n;
	return 1;
}

static int db_get_u64(struct pn_store *st, const char *name, uint64_t *v)
{
	struct pn_store_key k;
	key_init(&k, K_META);
	memcpy(k.b + 1, name, strlen(name));
	k.n += strlen(name);
	char *err = NULL;
	size_t vl;
	char *val = rocksdb_get(st->db, st->ropts, (const char *)k.b, k.n, &vl, &err);
	if (err) {
		fprintf(stderr, "pn_store: %s\n", err);
		rocksdb_free(err);
		return -1;
	}
	if (!val)
		return 0;
	int ok = vl == 8;
	if (ok)
		*v = rd_u64((const uint8_t *)val);
	rocksdb_free(val);
	return ok ? 1 : -1;
}

static void meta_put(struct pn_store_round *r, const char *name, uint64_t v)
{
	struct pn_store_key k;
	key_init(&k, K_META);
	memcpy(k.b + 1, name, strlen(name));
	k.n += strlen(name);
	uint8_t b[8];
	wr_u64(b, v);
	rnd_put(r, &k, b, 8);
}

/* First key of the expiry index (INT64_MAX when empty). */
static int64_t first_expiry(struct pn_store *st)
{
	struct pn_store_key k;
	key_init(&k, K_EXP);
	rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->ropts);
	rocksdb_iter_seek(it, (const char *)k.b, k.n);
	int64_t ms = INT64_MAX;
	const uint8_t *kp;
	size_t kl;
	if (iter_in(it, &k, &kp, &kl) && kl == 18)
		ms = (int64_t)rd_u64(kp + 1);
	rocksdb_iter_destroy(it);
	return ms;
}

/* ---- changelog trim (committer thread, between rounds) ---- */

static void trim_maybe(struct pn_store *st)
{
	uint64_t last = atomic_load(&st->last_seq), first = atomic_load(&st->first_seq);
	uint64_t upto = 0; /* delete [first, upto] */
	if (last + 1 - first > st->cfg.changelog_cap)
		upto = last - st->cfg.changelog_cap;
	pthread_mutex_lock(&st->mu);
	uint64_t ack = st->trim_upto;
	pthread_mutex_unlock(&st->mu);
	if (ack > last)
		ack = last;
	if (last > st->cfg.changelog_keep_min && ack > last - st->cfg.changelog_keep_min)
		ack = last - st->cfg.changelog_keep_min;
	else if (last <= st->cfg.changelog_keep_min)
		ack = 0;
	if (ack > upto)
		upto = ack;
	if (upto < first)
		return;
	/* Publish the new first seq before deleting: a reader then answers TRIMMED instead of
	 * seeing a hole. */
	atomic_store(&st->first_seq, upto + 1);
	struct pn_store_key a, b;
	key_init(&a, K_LOG);
	key_u64(&a, first);
	key_init(&b, K_LOG);
	key_u64(&b, upto + 1);
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_range(wb, (const char *)a.b, a.n, (const char *)b.b, b.n);
	char *err = NULL;
	rocksdb_write(st->db, st->wsync, wb, &err);
	rocksdb_writebatch_destroy(wb);
	if (err) {
		fprintf(stderr, "pn_store: trim: %s\n", err);
		rocksdb_free(err);
		return;
	}
	atomic_fetch_add(&st->st_trimmed, upto + 1 - first);
}

/* ---- committer ---- */

static void run_round(struct pn_store *st, struct pn_store_item *items, size_t n)
{
	struct pn_store_round r = {.st = st, .min_expiry = INT64_MAX};
	r.wb = rocksdb_writebatch_wi_create(0, 1);
	r.now = pn_store_now(st);
	uint64_t id0 = st->next_id, seq0 = st->seq;
	uint64_t expired = 0;
	for (struct pn_store_item *it = items; it; it = it->next) {
		uint64_t id_b = st->next_id, seq_b = st->seq;
		r.io_err = 0;
		r.last_seq_op = 0;
		r.removed = 0;
		r.expired = 0;
		r.cur = it;
		it->hook = 0;
		/* A save point is cheap; a rollback rebuilds the batch index (O(round)), so it is
		 * done only when the failed op really wrote something (most failures are found
		 * before the first write). Unused save points just stay on the stack. */
		int count0 = rocksdb_writebatch_wi_count(r.wb);
		size_t wl0 = r.wl_n;
		rocksdb_writebatch_wi_set_save_point(r.wb);
		memset(&it->res, 0, sizeof(it->res));
		pn_store_apply(&r, &it->op, &it->res);
		if (r.io_err && it->res.rc == PN_STORE_OK)
			it->res.rc = PN_STORE_EIO;
		if (it->res.rc != PN_STORE_OK && r.wl_n == wl0) {
			st->next_id = id_b;
			st->seq = seq_b;
		} else if (it->res.rc != PN_STORE_OK) {
			char *err = NULL;
			if (rocksdb_writebatch_wi_count(r.wb) != count0)
				rocksdb_writebatch_wi_rollback_to_save_point(r.wb, &err);
			if (err) {
				fprintf(stderr, "pn_store: rollback: %s\n", err);
				rocksdb_free(err);
			}
			wl_truncate(&r, wl0);
			st->next_id = id_b;
			st->seq = seq_b;
		} else {
			it->res.seq = r.last_seq_op;
			expired += r.expired;
		}
	}
	int ok = 1;
	if (st->next_id != id0)
		meta_put(&r, "next_id", st->next_id);
	if (st->seq != seq0)
		meta_put(&r, "last_seq", st->seq);
	/*
	 * The round is written as one plain WriteBatch built from the write log sorted by key,
	 * keeping only the last write of each key. Same content and atomicity as the indexed
	 * batch, but the memtable's skiplist inserts keys in order and reuses its splice: profiled
	 * (perf, store_bench) the unsorted insert was ~40% of the committer's CPU.
	 */
	if (r.wl_oom) {
		ok = 0;
	} else if (r.wl_n > 0) {
		qsort(r.wl, r.wl_n, sizeof(*r.wl), wl_cmp);
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
		for (size_t i = 0; i < r.wl_n; i++) {
			const struct pn_store_wentry *e = r.wl[i];
			if (i + 1 < r.wl_n && r.wl[i + 1]->klen == e->klen &&
			    memcmp(r.wl[i + 1]->data, e->data, e->klen) == 0)
				continue; /* a later write of the same key wins */
			if (e->del)
				rocksdb_writebatch_delete(wb, e->data, e->klen);
			else
				rocksdb_writebatch_put(wb, e->data, e->klen, e->data + e->klen,
				                       e->vlen);
		}
		char *err = NULL;
		rocksdb_write(st->db, st->wsync, wb, &err);
		rocksdb_writebatch_destroy(wb);
		if (err) {
			fprintf(stderr, "pn_store: commit: %s\n", err);
			rocksdb_free(err);
			ok = 0;
		}
	}
	for (size_t i = 0; i < r.wl_n; i++)
		free(r.wl[i]);
	free(r.wl);
	free(r.ht);
	rocksdb_writebatch_wi_destroy(r.wb);
	if (!ok) {
		st->next_id = id0;
		st->seq = seq0;
		for (struct pn_store_item *it = items; it; it = it->next) {
			it->res.rc = PN_STORE_EIO;
			it->res.seq = 0;
		}
	} else {
		atomic_store(&st->last_seq, st->seq);
		atomic_fetch_add(&st->st_expired, expired);
		if (r.min_expiry != INT64_MAX) {
			pthread_mutex_lock(&st->mu);
			if (r.min_expiry < st->next_expiry) {
				st->next_expiry = r.min_expiry;
				pthread_cond_signal(&st->cv_sweep);
			}
			pthread_mutex_unlock(&st->mu);
		}
	}
	atomic_fetch_add(&st->st_ops, n);
	atomic_fetch_add(&st->st_rounds, 1);
	if (n > atomic_load(&st->st_max_round))
		atomic_store(&st->st_max_round, n);
	for (struct pn_store_item *it = items; it; it = it->next) {
		if (ok && it->hook && it->res.rc == PN_STORE_OK && st->cfg.on_num_status)
			st->cfg.on_num_status(st->cfg.on_num_status_arg, &it->hook_before,
			                      &it->hook_after);
		if (it->cb)
			it->cb(it->arg, &it->op, &it->res);
	}
	if (ok && st->seq != seq0 && st->cfg.on_commit)
		st->cfg.on_commit(st->cfg.on_commit_arg, st->seq);
	while (items) {
		struct pn_store_item *nx = items->next;
		free(items);
		items = nx;
	}
}

static void *committer_main(void *arg)
{
	struct pn_store *st = arg;
	for (;;) {
		pthread_mutex_lock(&st->mu);
		while (!st->head && !st->closing)
			pthread_cond_wait(&st->cv_commit, &st->mu);
		if (!st->head && st->closing) {
			pthread_mutex_unlock(&st->mu);
			break;
		}
		struct pn_store_item *first = st->head, *last = first;
		size_t n = 1;
		while (last->next && n < st->cfg.max_batch) {
			last = last->next;
			n++;
		}
		st->head = last->next;
		if (!st->head)
			st->tail = NULL;
		st->queued -= n;
		last->next = NULL;
		pthread_mutex_unlock(&st->mu);
		struct timespec c0, c1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		run_round(st, first, n);
		trim_maybe(st);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		atomic_fetch_add(&st->st_cpu_us, (uint64_t)((c1.tv_sec - c0.tv_sec) * 1000000 +
		                                            (c1.tv_nsec - c0.tv_nsec) / 1000));
	}
	return NULL;
}

int pn_store_submit(struct pn_store *st, const struct pn_store_op *op, pn_store_cb cb, void *arg)
{
	struct pn_store_item *it = malloc(sizeof(*it));
	if (!it)
		return PN_ENOMEM;
	it->next = NULL;
	it->cb = cb;
	it->arg = arg;
	it->op = *op;
	pthread_mutex_lock(&st->mu);
	if (st->closing) {
		pthread_mutex_unlock(&st->mu);
		free(it);
		return PN_EPERM;
	}
	if (st->queued >= st->cfg.queue_cap) {
		pthread_mutex_unlock(&st->mu);
		free(it);
		return PN_EAGAIN;
	}
	if (st->tail)
		st->tail->next = it;
	else
		st->head = it;
	st->tail = it;
	st->queued++;
	pthread_cond_signal(&st->cv_commit);
	pthread_mutex_unlock(&st->mu);
	return 0;
}

struct exec_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	struct pn_store_result *res;
};

static void exec_cb(void *arg, const struct pn_store_op *op, const struct pn_store_result *res)
{
	(void)op;
	struct exec_wait *w = arg;
	pthread_mutex_lock(&w->mu);
	*w->res = *res;
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int pn_store_exec(struct pn_store *st, const struct pn_store_op *op, struct pn_store_result *res)
{
	struct exec_wait w = {.done = 0, .res = res};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	memset(res, 0, sizeof(*res));
	int r = pn_store_submit(st, op, exec_cb, &w);
	if (r == 0) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
	} else {
		res->rc = r == PN_EPERM ? PN_STORE_CLOSING : PN_STORE_EIO;
	}
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return res->rc;
}

/* ---- sweeper ---- */

struct sweep_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t left;
	size_t progress; /* EXPIRE ops that removed/updated something or dropped a stale entry */
};

static void sweep_cb(void *arg, const struct pn_store_op *op, const struct pn_store_result *res)
{
	(void)op;
	struct sweep_wait *w = arg;
	pthread_mutex_lock(&w->mu);
	if (res->rc == PN_STORE_OK)
		w->progress++;
	if (--w->left == 0)
		pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Submit EXPIRE ops for everything due at now (at most 1024), wait for them. Returns how
 * many were submitted; *progress how many changed something. */
static size_t sweep_once(struct pn_store *st, int64_t now, size_t *progress)
{
	struct pn_store_key k;
	key_init(&k, K_EXP);
	rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->ropts);
	rocksdb_iter_seek(it, (const char *)k.b, k.n);
	struct sweep_wait w = {.left = 1};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	size_t n = 0;
	const uint8_t *kp;
	size_t kl;
	while (n < 1024 && iter_in(it, &k, &kp, &kl)) {
		if (kl != 18) {
			rocksdb_iter_next(it);
			continue;
		}
		int64_t ms = (int64_t)rd_u64(kp + 1);
		if (ms > now)
			break;
		struct pn_store_op op;
		memset(&op, 0, sizeof(op));
		op.type = PN_STORE_OP_EXPIRE;
		op.id = rd_u64(kp + 9);
		op.expire_kind = kp[17];
		op.expect_ms = ms;
		pthread_mutex_lock(&w.mu);
		w.left++;
		pthread_mutex_unlock(&w.mu);
		if (pn_store_submit(st, &op, sweep_cb, &w) != 0) {
			pthread_mutex_lock(&w.mu);
			w.left--;
			pthread_mutex_unlock(&w.mu);
			break;
		}
		n++;
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	pthread_mutex_lock(&w.mu);
	w.left--;
	while (w.left > 0)
		pthread_cond_wait(&w.cv, &w.mu);
	*progress = w.progress;
	pthread_mutex_unlock(&w.mu);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return n;
}

static struct timespec abs_in_ms(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* The sweeper: next_expiry is lowered by every commit that adds an earlier expiry; the
 * sweeper resets it to "none" before a pass and takes the minimum with what the pass left. */
static void *sweeper_main(void *arg)
{
	struct pn_store *st = arg;
	pthread_mutex_lock(&st->mu);
	while (!st->sweep_stop) {
		int64_t now = pn_store_now(st);
		if (st->next_expiry <= now) {
			st->next_expiry = INT64_MAX;
			pthread_mutex_unlock(&st->mu);
			size_t progress = 0;
			size_t n = sweep_once(st, now, &progress);
			int64_t nx = first_expiry(st);
			pthread_mutex_lock(&st->mu);
			if (nx < st->next_expiry)
				st->next_expiry = nx;
			if (progress == 0 && nx <= now) {
				/* due but nothing submitted (queue full) or every op failed (I/O
				 * errors): back off instead of spinning */
				struct timespec ts = abs_in_ms(n == 0 ? 10 : 100);
				pthread_cond_timedwait(&st->cv_sweep, &st->mu, &ts);
			}
			continue;
		}
		if (st->sweep_kick) {
			st->sweep_kick = 0;
			continue;
		}
		/* Sleep until the next expiry, at most 1 s (clock jumps, injected clocks). */
		int64_t wait = st->next_expiry - now;
		if (wait > 1000)
			wait = 1000;
		struct timespec ts = abs_in_ms(wait);
		pthread_cond_timedwait(&st->cv_sweep, &st->mu, &ts);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

void pn_store_sweeper_kick(struct pn_store *st)
{
	pthread_mutex_lock(&st->mu);
	st->sweep_kick = 1;
	pthread_cond_signal(&st->cv_sweep);
	pthread_mutex_unlock(&st->mu);
}

size_t pn_store_sweep(struct pn_store *st)
{
	size_t total = 0, n, progress = 1;
	int64_t now = pn_store_now(st);
	while (progress > 0 && (n = sweep_once(st, now, &progress)) > 0)
		total += n;
	return total;
}

/* ---- open / close ---- */

int pn_store_open(const struct pn_store_config *cfg, struct pn_store **out)
{
	*out = NULL;
	if (!cfg || !cfg->path || !cfg->path[0])
		return PN_EINVAL;
	struct pn_store *st = calloc(1, sizeof(*st));
	if (!st)
		return PN_ENOMEM;
	st->cfg = *cfg;
	if (!st->cfg.changelog_cap)
		st->cfg.changelog_cap = 1000000;
	if (!st->cfg.changelog_keep_min)
		st->cfg.changelog_keep_min = 10000;
	if (!st->cfg.max_batch)
		st->cfg.max_batch = 4096;
	if (!st->cfg.queue_cap)
		st->cfg.queue_cap = 65536;
	if (!st->cfg.clock)
		st->cfg.clock = real_clock;
	st->opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(st->opts, 1);
	rocksdb_options_increase_parallelism(st->opts, 2);
	rocksdb_options_set_max_open_files(st->opts, -1);
	/* Most invariant reads look up keys that are absent ((X, user) free, no owner): bloom
	 * filters on SST files and on the memtable answer those without a search. */
	st->bbto = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_filter_policy(st->bbto,
	                                              rocksdb_filterpolicy_create_bloom(10));
	st->cache = rocksdb_cache_create_lru(64 << 20);
	rocksdb_block_based_options_set_block_cache(st->bbto, st->cache);
	rocksdb_options_set_block_based_table_factory(st->opts, st->bbto);
	rocksdb_options_set_memtable_prefix_bloom_size_ratio(st->opts, 0.05);
	rocksdb_options_set_memtable_whole_key_filtering(st->opts, 1);
	st->wsync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(st->wsync, 1);
	st->ropts = rocksdb_readoptions_create();
	char *err = NULL;
	st->db = rocksdb_open(st->opts, cfg->path, &err);
	if (err) {
		fprintf(stderr, "pn_store: open %s: %s\n", cfg->path, err);
		rocksdb_free(err);
		rocksdb_readoptions_destroy(st->ropts);
		rocksdb_writeoptions_destroy(st->wsync);
		rocksdb_options_destroy(st->opts);
		rocksdb_block_based_options_destroy(st->bbto);
		rocksdb_cache_destroy(st->cache);
		free(st);
		return PN_EIO;
	}
	uint64_t v = 0;
	st->next_id = 1;
	if (db_get_u64(st, "next_id", &v) < 0)
		goto eio;
	if (v)
		st->next_id = v;
	v = 0;
	if (db_get_u64(st, "last_seq", &v) < 0)
		goto eio;
	st->seq = v;
	atomic_store(&st->last_seq, v);
	/* oldest kept record */
	{
		struct pn_store_key k;
		key_init(&k, K_LOG);
		rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->ropts);
		rocksdb_iter_seek(it, (const char *)k.b, k.n);
		const uint8_t *kp;
		size_t kl;
		uint64_t first = v + 1;
		if (iter_in(it, &k, &kp, &kl) && kl == 9)
			first = rd_u64(kp + 1);
		rocksdb_iter_destroy(it);
		atomic_store(&st->first_seq, first);
	}
	st->next_expiry = first_expiry(st);
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv_commit, NULL);
	pthread_cond_init(&st->cv_sweep, NULL);
	if (pthread_create(&st->committer, NULL, committer_main, st) != 0)
		goto eio_threads;
	st->have_committer = 1;
	if (!cfg->no_sweeper) {
		if (pthread_create(&st->sweeper, NULL, sweeper_main, st) != 0) {
			pn_store_close(st);
			return PN_ENOMEM;
		}
		st->have_sweeper = 1;
	}
	*out = st;
	return 0;
eio_threads:
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv_commit);
	pthread_cond_destroy(&st->cv_sweep);
eio:
	rocksdb_close(st->db);
	rocksdb_readoptions_destroy(st->ropts);
	rocksdb_writeoptions_destroy(st->wsync);
	rocksdb_options_destroy(st->opts);
	rocksdb_block_based_options_destroy(st->bbto);
	rocksdb_cache_destroy(st->cache);
	free(st);
	return PN_EIO;
}

void pn_store_close(struct pn_store *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->mu);
	st->sweep_stop = 1;
	pthread_cond_broadcast(&st->cv_sweep);
	pthread_mutex_unlock(&st->mu);
	if (st->have_sweeper)
		pthread_join(st->sweeper, NULL);
	pthread_mutex_lock(&st->mu);
	st->closing = 1;
	pthread_cond_broadcast(&st->cv_commit);
	pthread_mutex_unlock(&st->mu);
	if (st->have_committer)
		pthread_join(st->committer, NULL);
	rocksdb_close(st->db);
	rocksdb_readoptions_destroy(st->ropts);
	rocksdb_writeoptions_destroy(st->wsync);
	rocksdb_options_destroy(st->opts);
	rocksdb_block_based_options_destroy(st->bbto);
	rocksdb_cache_destroy(st->cache);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv_commit);
	pthread_cond_destroy(&st->cv_sweep);
	free(st);
}

void pn_store_stats_get(struct pn_store *st, struct pn_store_stats *out)
{
	out->ops = atomic_load(&st->st_ops);
	out->rounds = atomic_load(&st->st_rounds);
	out->max_round = atomic_load(&st->st_max_round);
	out->expired = atomic_load(&st->st_expired);
	out->trimmed = atomic_load(&st->st_trimmed);
	out->commit_cpu_us = atomic_load(&st->st_cpu_us);
}

/* ---- changelog ---- */

uint64_t pn_store_last_seq(struct pn_store *st)
{
	return atomic_load(&st->last_seq);
}
uint64_t pn_store_first_seq(struct pn_store *st)
{
	return atomic_load(&st->first_seq);
}

void pn_store_changelog_trim(struct pn_store *st, uint64_t upto_seq)
{
	pthread_mutex_lock(&st->mu);
	if (upto_seq > st->trim_upto)
		st->trim_upto = upto_seq;
	pthread_mutex_unlock(&st->mu);
}

long pn_store_changelog_read(struct pn_store *st, uint64_t from_seq, size_t max, pn_store_log_fn fn,
                             void *arg)
{
	if (from_seq == 0)
		from_seq = 1;
	uint64_t last = atomic_load(&st->last_seq);
	if (from_seq < atomic_load(&st->first_seq))
		return -PN_STORE_TRIMMED;
	if (from_seq > last || max == 0)
		return 0;
	struct pn_store_key k;
	key_init(&k, K_LOG);
	struct pn_store_key start = k;
	key_u64(&start, from_seq);
	rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->ropts);
	rocksdb_iter_seek(it, (const char *)start.b, start.n);
	long n = 0;
	uint64_t want = from_seq;
	const uint8_t *kp;
	size_t kl;
	while ((size_t)n < max && want <= last && iter_in(it, &k, &kp, &kl)) {
		if (kl != 9 || rd_u64(kp + 1) != want)
			break; /* a hole: trimmed under us */
		size_t vl;
		const char *v = rocksdb_iter_value(it, &vl);
		n++;
		if (fn(arg, want, v, vl))
			break;
		want++;
		rocksdb_iter_next(it);
	}
	char *err = NULL;
	rocksdb_iter_get_error(it, &err);
	rocksdb_iter_destroy(it);
	if (err) {
		fprintf(stderr, "pn_store: changelog: %s\n", err);
		rocksdb_free(err);
		return -PN_STORE_EIO;
	}
	if (n == 0 && from_seq < atomic_load(&st->first_seq))
		return -PN_STORE_TRIMMED;
	return n;
}

/* ---- snapshot ---- */

struct pn_store_snap {
	struct pn_store *st;
	const rocksdb_snapshot_t *snap;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	struct pn_store_key prefix;
	int64_t now;
	int started;
};

struct pn_store_snap *pn_store_snapshot_open(struct pn_store *st, uint64_t *seq)
{
	struct pn_store_snap *sn = calloc(1, sizeof(*sn));
	if (!sn)
		return NULL;
	sn->st = st;
	sn->snap = rocksdb_create_snapshot(st->db);
	sn->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_snapshot(sn->ro, sn->snap);
	sn->now = pn_store_now(st);
	struct pn_store_key k;
	key_init(&k, K_META);
	memcpy(k.b + 1, "last_seq", 8);
	k.n += 8;
	char *err = NULL;
	size_t vl;
	char *v = rocksdb_get(st->db, sn->ro, (const char *)k.b, k.n, &vl, &err);
	if (err || (v && vl != 8)) {
		if (err) {
			fprintf(stderr, "pn_store: snapshot: %s\n", err);
			rocksdb_free(err);
		}
		rocksdb_free(v);
		pn_store_snapshot_close(sn);
		return NULL;
	}
	*seq = v ? rd_u64((const uint8_t *)v) : 0;
	rocksdb_free(v);
	key_init(&sn->prefix, K_BIND);
	sn->it = rocksdb_create_iterator(st->db, sn->ro);
	rocksdb_iter_seek(sn->it, (const char *)sn->prefix.b, sn->prefix.n);
	return sn;
}

int pn_store_snapshot_next(struct pn_store_snap *sn, struct pn_binding *out)
{
	for (;;) {
		if (sn->started)
			rocksdb_iter_next(sn->it);
		sn->started = 1;
		if (!iter_in(sn->it, &sn->prefix, NULL, NULL)) {
			char *err = NULL;
			rocksdb_iter_get_error(sn->it, &err);
			if (err) {
				rocksdb_free(err);
				return PN_EIO;
			}
			return 0;
		}
		size_t vl;
		const char *v = rocksdb_iter_value(sn->it, &vl);
		uint64_t s;
		if (pn_store_bind_decode(v, vl, out, &s) != 0)
			return PN_EIO;
		if (!pn_store_live(out, sn->now))
			continue;
		pn_store_read_fix(out, sn->now);
		return 1;
	}
}

void pn_store_snapshot_close(struct pn_store_snap *sn)
{
	if (!sn)
		return;
	if (sn->it)
		rocksdb_iter_destroy(sn->it);
	rocksdb_readoptions_destroy(sn->ro);
	rocksdb_release_snapshot(sn->st->db, sn->snap);
	free(sn);
}

int pn_store_snapshot_iterate(struct pn_store *st, uint64_t *seq,
                              int (*fn)(void *arg, const struct pn_binding *b), void *arg)
{
	struct pn_store_snap *sn = pn_store_snapshot_open(st, seq);
	if (!sn)
		return PN_EIO;
	struct pn_binding *b = malloc(sizeof(*b));
	if (!b) {
		pn_store_snapshot_close(sn);
		return PN_ENOMEM;
	}
	int r;
	while ((r = pn_store_snapshot_next(sn, b)) == 1)
		if (fn(arg, b))
			break;
	free(b);
	pn_store_snapshot_close(sn);
	return r < 0 ? r : 0;
}
