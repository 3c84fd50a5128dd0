/*
 * pn_store_read.c: the read side of the store (any thread): bindings by id, the API queries
 * of every mode with their paging, apps and numbers. Each call reads one RocksDB snapshot,
 * so a page is consistent; expired-but-not-swept bindings are skipped and an expired AX
 * temporary callee reads as none.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pn_store_int.h"

struct rd {
	struct pn_store *st;
	const rocksdb_snapshot_t *snap;
	rocksdb_readoptions_t *ro;
	int64_t now;
	int err;
};

static void rd_open(struct rd *r, struct pn_store *st)
{
	r->st = st;
	r->snap = rocksdb_create_snapshot(st->db);
	r->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_snapshot(r->ro, r->snap);
	r->now = pn_store_now(st);
	r->err = 0;
}

static void rd_close(struct rd *r)
{
	rocksdb_readoptions_destroy(r->ro);
	rocksdb_release_snapshot(r->st->db, r->snap);
}

/* 1 found (*v to rocksdb_free), 0 absent, -1 error */
static int rd_get(struct rd *r, const struct pn_store_key *k, char **v, size_t *vl)
{
	char *err = NULL;
	*v = rocksdb_get(r->st->db, r->ro, (const char *)k->b, k->n, vl, &err);
	if (err) {
		fprintf(stderr, "pn_store: read: %s\n", err);
		rocksdb_free(err);
		r->err = 1;
		return -1;
	}
	return *v != NULL;
}

static rocksdb_iterator_t *rd_iter(struct rd *r, const struct pn_store_key *k)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(r->st->db, r->ro);
	rocksdb_iter_seek(it, (const char *)k->b, k->n);
	return it;
}

/* live binding by id: 1 / 0 / -1 */
static int rd_binding(struct rd *r, uint64_t id, struct pn_binding *b)
{
	struct pn_store_key k;
	key_init(&k, K_BIND);
	key_u64(&k, id);
	char *v;
	size_t vl;
	int f = rd_get(r, &k, &v, &vl);
	if (f <= 0)
		return f;
	uint64_t seq;
	int rc = pn_store_bind_decode(v, vl, b, &seq);
	rocksdb_free(v);
	if (rc) {
		r->err = 1;
		return -1;
	}
	if (!pn_store_live(b, r->now))
		return 0;
	pn_store_read_fix(b, r->now);
	return 1;
}

static int rd_via(struct rd *r, const struct pn_store_key *k, struct pn_binding *b)
{
	char *v;
	size_t vl;
	int f = rd_get(r, k, &v, &vl);
	if (f <= 0)
		return f;
	uint64_t id = vl == 8 ? rd_u64((const uint8_t *)v) : 0;
	rocksdb_free(v);
	if (!id) {
		r->err = 1;
		return -1;
	}
	return rd_binding(r, id, b);
}

int pn_store_get(struct pn_store *st, const char *app_key, uint64_t id, struct pn_binding *out)
{
	struct rd r;
	rd_open(&r, st);
	int f = rd_binding(&r, id, out);
	rd_close(&r);
	if (f < 0)
		return PN_STORE_EIO;
	if (f == 0 || (app_key && strcmp(app_key, out->app_key) != 0))
		return PN_STORE_NOT_FOUND;
	return PN_STORE_OK;
}

int pn_store_app_get(struct pn_store *st, const char *app_key, struct pn_store_app *out)
{
	if (!app_key || !pn_store_app_key_ok(app_key))
		return PN_STORE_NOT_FOUND;
	struct rd r;
	rd_open(&r, st);
	struct pn_store_key k;
	key_init(&k, K_APP);
	key_str0(&k, app_key, PN_APPKEY_LEN);
	k.n--;
	char *v;
	size_t vl;
	int f = rd_get(&r, &k, &v, &vl);
	rd_close(&r);
	if (f < 0)
		return PN_STORE_EIO;
	if (f == 0)
		return PN_STORE_NOT_FOUND;
	int rc = pn_store_app_decode(v, vl, out);
	rocksdb_free(v);
	return rc ? PN_STORE_EIO : PN_STORE_OK;
}

int pn_store_app_list(struct pn_store *st, const char *after, struct pn_store_app *out, size_t cap)
{
	struct rd r;
	rd_open(&r, st);
	struct pn_store_key p, s;
	key_init(&p, K_APP);
	s = p;
	if (after && after[0]) {
		key_str0(&s, after, PN_APPKEY_LEN);
		s.n--;
	}
	rocksdb_iterator_t *it = rd_iter(&r, &s);
	size_t n = 0;
	const uint8_t *kp;
	size_t kl;
	int err = 0;
	while (n < cap && iter_in(it, &p, &kp, &kl)) {
		if (after && after[0] && kl == s.n && memcmp(kp, s.b, kl) == 0) {
			rocksdb_iter_next(it);
			continue;
		}
		size_t vl;
		const char *v = rocksdb_iter_value(it, &vl);
		if (pn_store_app_decode(v, vl, &out[n]) != 0) {
			err = 1;
			break;
		}
		n++;
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	rd_close(&r);
	return err ? -PN_STORE_EIO : (int)n;
}

static void num_fill(struct rd *r, struct pn_store_num *n)
{
	struct pn_store_key k;
	key_init(&k, K_CNT);
	key_u64(&k, n->x);
	char *v;
	size_t vl;
	n->relations = 0;
	if (rd_get(r, &k, &v, &vl) > 0) {
		if (vl == 4)
			n->relations = ((uint32_t)(uint8_t)v[0] << 24) |
			               ((uint32_t)(uint8_t)v[1] << 16) |
			               ((uint32_t)(uint8_t)v[2] << 8) | (uint8_t)v[3];
		rocksdb_free(v);
	}
	key_init(&k, K_OWNER);
	key_u64(&k, n->x);
	struct pn_binding b;
	n->owned = rd_via(r, &k, &b) > 0;
}

int pn_store_num_get(struct pn_store *st, pn_num_t x, struct pn_store_num *out)
{
	struct rd r;
	rd_open(&r, st);
	struct pn_store_key k;
	key_init(&k, K_NUM);
	key_u64(&k, x);
	char *v;
	size_t vl;
	int f = rd_get(&r, &k, &v, &vl);
	int rc = PN_STORE_NOT_FOUND;
	if (f < 0)
		rc = PN_STORE_EIO;
	if (f > 0) {
		rc = pn_store_num_decode(v, vl, out) ? PN_STORE_EIO : PN_STORE_OK;
		rocksdb_free(v);
		if (rc == PN_STORE_OK)
			num_fill(&r, out);
	}
	rd_close(&r);
	return rc;
}

int pn_store_num_list(struct pn_store *st, const char *app_key, pn_num_t after,
                      struct pn_store_num *out, size_t cap)
{
	struct rd r;
	rd_open(&r, st);
	struct pn_store_key p, s;
	key_init(&p, K_NUM);
	s = p;
	key_u64(&s, after ? after + 1 : 0);
	rocksdb_iterator_t *it = rd_iter(&r, &s);
	size_t n = 0;
	int err = 0;
	while (n < cap && iter_in(it, &p, NULL, NULL)) {
		size_t vl;
		const char *v = rocksdb_iter_value(it, &vl);
		if (pn_store_num_decode(v, vl, &out[n]) != 0) {
			err = 1;
			break;
		}
		if (!app_key || strcmp(app_key, out[n].app_key) == 0) {
			num_fill(&r, &out[n]);
			n++;
		}
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	rd_close(&r);
	return err ? -PN_STORE_EIO : (int)n;
}

/* ---- queries ---- */

struct qout {
	struct pn_binding *out;
	size_t cap;
	struct pn_store_page *page;
};

static void q_push(struct qout *q, const struct pn_binding *b)
{
	if (q->page->n < q->cap)
		q->out[q->page->n++] = *b;
}

static int ok_mode(const struct pn_binding *b, const struct pn_store_query *q)
{
	if (strcmp(b->app_key, q->app_key) != 0)
		return 0;
	return b->mode == q->mode || (q->mode == PN_MODE_AXYB && b->mode == PN_MODE_YB);
}

/* Cursor "\d{13}_\d{1,20}" -> (ms, id). 0 or PN_EINVAL. */
static int cursor_parse(const char *c, uint64_t *ms, uint64_t *id)
{
	size_t n = strlen(c);
	if (n < 15 || n > 34 || c[13] != '_')
		return PN_EINVAL;
	uint64_t m = 0, v = 0;
	for (int i = 0; i < 13; i++) {
		if (c[i] < '0' || c[i] > '9')
			return PN_EINVAL;
		m = m * 10 + (uint64_t)(c[i] - '0');
	}
	for (size_t i = 14; i < n; i++) {
		if (c[i] < '0' || c[i] > '9')
			return PN_EINVAL;
		uint64_t d = (uint64_t)(c[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return PN_EINVAL;
		v = v * 10 + d;
	}
	*ms = m;
	*id = v;
	return 0;
}

/* AXYB: the AX part then its YB parts */
static int q_axyb_family(struct rd *r, const struct pn_binding *ax, struct qout *q)
{
	q_push(q, ax);
	q->page->total = 1;
	struct pn_store_key p;
	key_init(&p, K_YB);
	key_u64(&p, ax->id);
	rocksdb_iterator_t *it = rd_iter(r, &p);
	const uint8_t *kp;
	size_t kl;
	while (iter_in(it, &p, &kp, &kl)) {
		struct pn_binding yb;
		if (kl == 17 && rd_binding(r, rd_u64(kp + 9), &yb) > 0) {
			q_push(q, &yb);
			q->page->total++;
		}
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	return PN_STORE_OK;
}

static int q_run(struct rd *r, const struct pn_store_query *q, struct qout *o)
{
	struct pn_binding b;
	struct pn_store_key k;
	int f;
	if (q->id) {
		f = rd_binding(r, q->id, &b);
		if (f < 0)
			return PN_STORE_EIO;
		if (f == 0 || !ok_mode(&b, q) || b.mode == PN_MODE_YB)
			return PN_STORE_NOT_FOUND;
		if (q->mode == PN_MODE_AXYB)
			return q_axyb_family(r, &b, o);
		q_push(o, &b);
		o->page->total = 1;
		return PN_STORE_OK;
	}
	switch (q->mode) {
	case PN_MODE_AXB:
		if (!q->x)
			return PN_STORE_EINVAL;
		if (q->a || q->b) {
			key_init(&k, K_USER);
			key_u64(&k, q->x);
			key_u64(&k, q->a ? q->a : q->b);
			f = rd_via(r, &k, &b);
			if (f < 0)
				return PN_STORE_EIO;
			if (f == 0 || !ok_mode(&b, q))
				return PN_STORE_NOT_FOUND;
			/* X+A: A is callerNum; X+B: B is calleeNum; X+A+B: both */
			if ((q->a && b.a != q->a) || (q->b && b.b != q->b))
				return PN_STORE_NOT_FOUND;
			q_push(o, &b);
			o->page->total = 1;
			return PN_STORE_OK;
		} else {
			uint32_t size =
			    q->page_size >= 10 && q->page_size <= 100 ? q->page_size : 50;
			uint32_t idx = q->page_index ? q->page_index : 1;
			uint64_t skip = (uint64_t)(idx - 1) * size;
			key_init(&k, K_ONX);
			key_u64(&k, q->x);
			rocksdb_iterator_t *it = rd_iter(r, &k);
			const uint8_t *kp;
			size_t kl;
			while (iter_in(it, &k, &kp, &kl)) {
				if (kl == 17 && rd_binding(r, rd_u64(kp + 9), &b) > 0 &&
				    ok_mode(&b, q)) {
					if (o->page->total >= skip && o->page->n < size)
						q_push(o, &b);
					o->page->total++;
				}
				rocksdb_iter_next(it);
			}
			rocksdb_iter_destroy(it);
			return o->page->total ? PN_STORE_OK : PN_STORE_NOT_FOUND;
		}
	case PN_MODE_AX:
		if (q->a) {
			key_init(&k, K_BYA);
			key_str0(&k, q->app_key, PN_APPKEY_LEN);
			key_u64(&k, q->a);
			rocksdb_iterator_t *it = rd_iter(r, &k);
			while (iter_in(it, &k, NULL, NULL)) {
				size_t vl;
				const char *v = rocksdb_iter_value(it, &vl);
				if (vl == 8 && rd_binding(r, rd_u64((const uint8_t *)v), &b) > 0 &&
				    ok_mode(&b, q)) {
					q_push(o, &b);
					o->page->total++;
				}
				rocksdb_iter_next(it);
			}
			rocksdb_iter_destroy(it);
			return o->page->total ? PN_STORE_OK : PN_STORE_NOT_FOUND;
		}
		/* fall through: by X */
		/* FALLTHROUGH */
	case PN_MODE_AXYB:
		if (!q->x)
			return PN_STORE_EINVAL;
		key_init(&k, K_OWNER);
		key_u64(&k, q->x);
		f = rd_via(r, &k, &b);
		if (f < 0)
			return PN_STORE_EIO;
		if (f == 0 || !ok_mode(&b, q))
			return PN_STORE_NOT_FOUND;
		if (q->mode == PN_MODE_AXYB)
			return q_axyb_family(r, &b, o);
		q_push(o, &b);
		o->page->total = 1;
		return PN_STORE_OK;
	case PN_MODE_AXE: {
		if (q->x && q->ext_set) {
			key_init(&k, K_EXT);
			key_u64(&k, q->x);
			key_u16(&k, q->ext);
			f = rd_via(r, &k, &b);
			if (f < 0)
				return PN_STORE_EIO;
			if (f == 0 || !ok_mode(&b, q))
				return PN_STORE_NOT_FOUND;
			q_push(o, &b);
			o->page->total = 1;
			return PN_STORE_OK;
		}
		if (!q->cursor && !q->x)
			return PN_STORE_EINVAL;
		uint64_t cms = 0, cid = 0;
		if (q->cursor && cursor_parse(q->cursor, &cms, &cid) != 0)
			return PN_STORE_EINVAL;
		uint32_t limit = q->page_size >= 1 && q->page_size <= 100 ? q->page_size : 50;
		struct pn_store_key p, s;
		key_init(&p, K_LIST);
		key_str0(&p, q->app_key, PN_APPKEY_LEN);
		key_u8(&p, PN_MODE_AXE);
		s = p;
		key_u64(&s, cms);
		key_u64(&s, cid);
		key_u8(&s, 0); /* strictly after the cursor */
		rocksdb_iterator_t *it = rd_iter(r, &s);
		const uint8_t *kp;
		size_t kl;
		uint64_t last_ms = 0, last_id = 0;
		int more = 0;
		while (iter_in(it, &p, &kp, &kl)) {
			if (kl == p.n + 16 && rd_binding(r, rd_u64(kp + p.n + 8), &b) > 0 &&
			    ok_mode(&b, q) && (!q->x || b.x == q->x)) {
				if (o->page->n >= limit || o->page->n >= o->cap) {
					more = 1;
					break;
				}
				q_push(o, &b);
				o->page->total++;
				last_ms = rd_u64(kp + p.n);
				last_id = b.id;
			}
			rocksdb_iter_next(it);
		}
		rocksdb_iter_destroy(it);
		if (more)
			snprintf(o->page->next_cursor, sizeof(o->page->next_cursor), "%013llu_%llu",
			         (unsigned long long)last_ms, (unsigned long long)last_id);
		return PN_STORE_OK;
	}
	default:
		return PN_STORE_EINVAL;
	}
}

int pn_store_query(struct pn_store *st, const struct pn_store_query *q, struct pn_binding *out,
                   size_t cap, struct pn_store_page *page)
{
	memset(page, 0, sizeof(*page));
	if (!q->app_key || !pn_store_app_key_ok(q->app_key))
		return PN_STORE_NO_APP;
	struct rd r;
	rd_open(&r, st);
	struct qout o = {out, cap, page};
	int rc = q_run(&r, q, &o);
	if (r.err)
		rc = PN_STORE_EIO;
	rd_close(&r);
	return rc;
}
