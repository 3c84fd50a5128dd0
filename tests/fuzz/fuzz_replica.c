/*
 * fuzz_replica.c: arbitrary change sequences applied to storage/pn_replica, checked against a
 * shadow model after every step.
 *
 * Input: 8 bytes per step (see step()): PUT / DEL through pn_replica_apply with sequence
 * numbers that may skip or repeat, snapshot begin / put / end, over a small universe of ids
 * and numbers so keys collide often. An input starting with 'M' is instead a series of msgpack
 * change records (pn_change_decode) applied in order with consecutive seqs: no shadow, only
 * the structural invariants.
 *
 * Invariants: every return code is the one the model predicts; the binding count matches;
 * every key the model says is owned resolves (at a time before any expiry) to exactly its
 * owner's entry, every other key ever used resolves to nothing; a lookup at or after an
 * entry's expiry never returns it; keys <= 2 x bindings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>

#include "pn_replica.h"

#define NUM(v)   ((pn_num_t)(0x8000000000000000ULL | (13ULL << 58) | (uint64_t)(v)))
#define MAX_ID   12
#define MAX_KEYS 4096

enum { K_PAIR = 1, K_X = 2, K_EXT = 3 };

struct key {
	int kind;
	uint64_t k1, k2;
};

struct shadow_b {
	int live;
	int gen; /* last snapshot generation it was put in */
	struct pn_binding b;
	struct key keys[2];
	int nkeys;
};

struct model {
	struct shadow_b ids[MAX_ID + 1];
	struct key all[MAX_KEYS]; /* every key ever published */
	int owner[MAX_KEYS];      /* id owning all[i], 0 = none */
	int nall;
	int in_snap, gen;
	uint64_t seq;
};

static int key_eq(const struct key *a, const struct key *b)
{
	return a->kind == b->kind && a->k1 == b->k1 && a->k2 == b->k2;
}

static int key_slot(struct model *m, const struct key *k)
{
	for (int i = 0; i < m->nall; i++)
		if (key_eq(&m->all[i], k))
			return i;
	if (m->nall == MAX_KEYS)
		abort(); /* bounded by the input size: cannot happen for max_len <= 8 KiB */
	m->all[m->nall] = *k;
	m->owner[m->nall] = 0;
	return m->nall++;
}

/* Predict the result of putting b and its keys (replica rules, pn_replica.h). */
static int predict(const struct model *m, const struct pn_binding *b, struct key k[2], int *nk)
{
	if (b->id == 0 || b->x == 0 || b->a == 0 || b->direction > 2)
		return PN_EINVAL;
	switch (b->mode) {
	case PN_MODE_AXB:
		if (b->b == 0 || b->b == b->a)
			return PN_EINVAL;
		k[0] = (struct key){K_PAIR, b->x, b->a};
		k[1] = (struct key){K_PAIR, b->x, b->b};
		*nk = 2;
		return 0;
	case PN_MODE_AX:
	case PN_MODE_AXYB:
		k[0] = (struct key){K_X, b->x, 0};
		*nk = 1;
		return 0;
	case PN_MODE_AXE:
		if (b->ext_len < 1 || b->ext_len > 4 || b->ext > 9999)
			return PN_EINVAL;
		k[0] = (struct key){K_EXT, b->x, ((uint64_t)b->ext_len << 16) | b->ext};
		k[1] = (struct key){K_PAIR, b->x, b->a};
		*nk = 2;
		return 0;
	case PN_MODE_YB: {
		if (b->parent_id == 0)
			return PN_EINVAL;
		if (b->parent_id > MAX_ID || !m->ids[b->parent_id].live ||
		    m->ids[b->parent_id].b.mode != PN_MODE_AXYB)
			return PN_ENOENT;
		const struct pn_binding *p = &m->ids[b->parent_id].b;
		if (p->x == b->x && p->a == b->a)
			return PN_EINVAL;
		k[0] = (struct key){K_PAIR, b->x, p->a};
		k[1] = (struct key){K_PAIR, p->x, b->a};
		*nk = 2;
		return 0;
	}
	default:
		return PN_EINVAL;
	}
}

/* Mirror a successful put: the new keys take ownership, dropped keys lose it. */
static void model_put(struct model *m, const struct pn_binding *b, const struct key k[2], int nk,
                      int unchanged)
{
	struct shadow_b *s = &m->ids[b->id];
	s->gen = m->gen;
	if (unchanged)
		return;
	for (int i = 0; i < nk; i++)
		m->owner[key_slot(m, &k[i])] = (int)b->id;
	if (s->live) {
		for (int j = 0; j < s->nkeys; j++) {
			int kept = 0;
			for (int i = 0; i < nk; i++)
				kept |= key_eq(&s->keys[j], &k[i]);
			int slot = key_slot(m, &s->keys[j]);
			if (!kept && m->owner[slot] == (int)b->id)
				m->owner[slot] = 0;
		}
	}
	s->live = 1;
	s->b = *b;
	memcpy(s->keys, k, sizeof(s->keys));
	s->nkeys = nk;
}

static void model_del(struct model *m, uint64_t id)
{
	struct shadow_b *s = &m->ids[id];
	for (int j = 0; j < s->nkeys; j++) {
		int slot = key_slot(m, &s->keys[j]);
		if (m->owner[slot] == (int)id)
			m->owner[slot] = 0;
	}
	s->live = 0;
	s->nkeys = 0;
}

static const struct pn_replica_entry *lookup(struct pn_replica *r, const struct key *k, int64_t now)
{
	switch (k->kind) {
	case K_PAIR:
		return pn_replica_lookup_pair(r, k->k1, k->k2, now);
	case K_X:
		return pn_replica_lookup_x(r, k->k1, now);
	default:
		return pn_replica_lookup_ext(r, k->k1, (uint16_t)(k->k2 & 0xffff),
		                             (unsigned)(k->k2 >> 16), now);
	}
}

static void check(struct pn_replica *r, struct model *m)
{
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	uint64_t live = 0;
	for (int id = 1; id <= MAX_ID; id++)
		live += m->ids[id].live;
	if (st.bindings != live || st.keys > 2 * st.bindings)
		abort();
	for (int i = 0; i < m->nall; i++) {
		const struct pn_replica_entry *e = lookup(r, &m->all[i], 50);
		if (m->owner[i] == 0 ? e != NULL : (e == NULL || e->id != (uint64_t)m->owner[i]))
			abort();
		e = lookup(r, &m->all[i], 100);
		if (e && e->expires_ms != 0 && e->expires_ms <= 100)
			abort();
	}
	urcu_qsbr_quiescent_state();
}

/* A snapshot record (YB records whose AX part is absent are skipped by the caller). */
static void snap_put(struct pn_replica *r, struct model *m, const struct pn_binding *b)
{
	struct key k[2];
	int nk = 0;
	int want = predict(m, b, k, &nk);
	struct pn_replica_stats before, after;
	pn_replica_stats_get(r, &before);
	int rc = pn_replica_snapshot_put(r, b);
	pn_replica_stats_get(r, &after);
	if (rc != want)
		abort();
	if (rc == 0)
		model_put(m, b, k, nk, after.unchanged != before.unchanged);
}

static void run_steps(struct pn_replica *r, const uint8_t *d, size_t n)
{
	static struct model m;
	memset(&m, 0, sizeof(m));
	for (size_t off = 0; off + 8 <= n; off += 8) {
		const uint8_t *p = d + off;
		struct pn_binding b;
		memset(&b, 0, sizeof(b));
		b.id = 1 + p[1] % MAX_ID;
		b.mode = p[2] % 7;
		b.x = NUM(1 + p[3] % 4);
		b.a = NUM(1 + p[4] % 6);
		b.b = p[5] % 7 ? NUM(p[5] % 7) : PN_NUM_NONE;
		b.ext = p[6] % 12;
		b.ext_len = (uint8_t)(1 + (p[6] >> 4) % 5);
		b.parent_id = 1 + p[7] % MAX_ID;
		b.direction = p[7] >> 6;
		b.expires_ms = (p[0] >> 3) & 1 ? 100 : 0;
		b.max_duration_min = p[5];
		switch (p[0] % 8) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4: {
			/* apply a PUT (0-3) or DEL (4) with seq last+1, or a skip / repeat */
			struct pn_change c;
			memset(&c, 0, sizeof(c));
			int jump = (p[0] >> 4) % 8;
			uint64_t last = pn_replica_last_seq(r);
			c.seq = jump == 6 ? last + 2 : jump == 7 ? last : last + 1;
			c.op = p[0] % 8 == 4 ? PN_CHANGE_DEL : PN_CHANGE_PUT;
			c.b = b;
			struct pn_replica_stats before, after;
			pn_replica_stats_get(r, &before);
			int rc = pn_replica_apply(r, &c);
			pn_replica_stats_get(r, &after);
			if (c.seq == last + 2) {
				if (rc != PN_EAGAIN || pn_replica_last_seq(r) != last)
					abort();
				break;
			}
			if (c.seq == last) {
				if (rc != (last == 0 ? PN_EINVAL : PN_EEXIST))
					abort();
				break;
			}
			if (pn_replica_last_seq(r) != c.seq)
				abort();
			if (c.op == PN_CHANGE_DEL) {
				int live = m.ids[b.id].live;
				if (rc != (live ? 0 : PN_ENOENT))
					abort();
				if (live)
					model_del(&m, b.id);
				break;
			}
			struct key k[2];
			int nk = 0;
			int want = predict(&m, &b, k, &nk);
			if (rc != want)
				abort();
			if (rc == 0) {
				model_put(&m, &b, k, nk, after.unchanged != before.unchanged);
				m.ids[b.id].gen = m.gen;
			}
			break;
		}
		case 5:
			pn_replica_snapshot_begin(r);
			m.in_snap = 1;
			m.gen++;
			break;
		case 6:
			if (!m.in_snap) {
				if (pn_replica_snapshot_put(r, &b) != PN_EINVAL)
					abort();
				break;
			}
			{
				struct key k[2];
				int nk = 0;
				if (b.mode == PN_MODE_YB && predict(&m, &b, k, &nk) == PN_ENOENT)
					break; /* deferred by the replica: covered by test_replica
					        */
			}
			snap_put(r, &m, &b);
			break;
		case 7: {
			if (!m.in_snap) {
				if (pn_replica_snapshot_end(r, 1) != PN_EINVAL)
					abort();
				break;
			}
			int dropped = 0;
			for (int id = 1; id <= MAX_ID; id++)
				if (m.ids[id].live && m.ids[id].gen != m.gen) {
					model_del(&m, (uint64_t)id);
					dropped++;
				}
			uint64_t s = pn_replica_last_seq(r) + 5;
			int rc = pn_replica_snapshot_end(r, s);
			if (rc != dropped || pn_replica_last_seq(r) != s)
				abort();
			m.in_snap = 0;
			break;
		}
		}
		check(r, &m);
	}
}

static void run_msgpack(struct pn_replica *r, const uint8_t *d, size_t n)
{
	struct pn_change c;
	size_t off = 0;
	uint64_t seq = 0;
	while (off < n) {
		int used = pn_change_decode((const char *)d + off, n - off, &c);
		if (used <= 0)
			break;
		off += (size_t)used;
		c.seq = ++seq;
		int rc = pn_replica_apply(r, &c);
		if (rc != 0 && rc != PN_EINVAL && rc != PN_ENOENT && rc != PN_EFULL)
			abort();
		struct pn_replica_stats st;
		pn_replica_stats_get(r, &st);
		if (st.keys > 2 * st.bindings)
			abort();
		(void)pn_replica_lookup_call(r, c.b.x, c.b.a, 0);
		urcu_qsbr_quiescent_state();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	if (!registered) {
		urcu_qsbr_register_thread();
		registered = 1;
	}
	if (size > 8192)
		return 0;
	struct pn_replica_config cfg = {.seed = {7, 9}};
	struct pn_replica *r = pn_replica_create(&cfg);
	if (!r)
		return 0;
	if (size > 0 && data[0] == 'M')
		run_msgpack(r, data + 1, size - 1);
	else
		run_steps(r, data, size);
	pn_replica_destroy(r);
	return 0;
}
