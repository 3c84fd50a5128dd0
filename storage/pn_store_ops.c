/*
 * pn_store_ops.c: every store operation and every binding invariant, in one place. Runs
 * only on the committer thread, inside a group-commit round (struct pn_store_round): reads
 * see the DB plus the writes of earlier ops in the round; all checks of an op happen before
 * its first write where possible, and the round rolls a failed op back to its save point.
 *
 * Index maintenance is centralised in idx_add()/idx_del() so a binding and its index entries,
 * counters, expiry entries and changelog record always change together.
 */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>

#include "pn_store_int.h"

/* ---- record codecs ---- */

struct wbuf {
	uint8_t b[4096];
	size_t n;
};
static void w_u8(struct wbuf *w, uint8_t v)
{
	w->b[w->n++] = v;
}
static void w_u64(struct wbuf *w, uint64_t v)
{
	wr_u64(w->b + w->n, v);
	w->n += 8;
}
static void w_str(struct wbuf *w, const char *s, size_t cap)
{
	size_t l = strnlen(s, cap - 1);
	w->b[w->n++] = (uint8_t)(l >> 8);
	w->b[w->n++] = (uint8_t)l;
	memcpy(w->b + w->n, s, l);
	w->n += l;
}

struct rbuf {
	const uint8_t *p;
	size_t n, off;
	int err;
};
static uint8_t r_u8(struct rbuf *r)
{
	if (r->off + 1 > r->n) {
		r->err = 1;
		return 0;
	}
	return r->p[r->off++];
}
static uint64_t r_u64(struct rbuf *r)
{
	if (r->off + 8 > r->n) {
		r->err = 1;
		return 0;
	}
	uint64_t v = rd_u64(r->p + r->off);
	r->off += 8;
	return v;
}
static void r_str(struct rbuf *r, char *out, size_t cap)
{
	out[0] = 0;
	if (r->off + 2 > r->n) {
		r->err = 1;
		return;
	}
	size_t l = ((size_t)r->p[r->off] << 8) | r->p[r->off + 1];
	r->off += 2;
	if (l >= cap || r->off + l > r->n) {
		r->err = 1;
		return;
	}
	memcpy(out, r->p + r->off, l);
	out[l] = 0;
	r->off += l;
}

#define APP_REC_V1 1
#define NUM_REC_V1 1

static void app_encode(const struct pn_store_app *a, struct wbuf *w)
{
	w->n = 0;
	w_u8(w, APP_REC_V1);
	w_str(w, a->app_key, sizeof(a->app_key));
	w_str(w, a->app_secret, sizeof(a->app_secret));
	w_str(w, a->name, sizeof(a->name));
	w_u8(w, a->mode);
	w_u8(w, a->status);
	w_u8(w, a->recording);
	w_u8(w, a->ext_len);
	w_u8(w, a->repeat_collect);
	w_u8(w, a->x_default_action);
	w_str(w, a->event_url, sizeof(a->event_url));
	w_str(w, a->cdr_url, sizeof(a->cdr_url));
	w_str(w, a->xstatus_url, sizeof(a->xstatus_url));
	w_str(w, a->tone_no_permission, PN_TONE_LEN);
	w_str(w, a->tone_service_error, PN_TONE_LEN);
	w_str(w, a->tone_no_binding, PN_TONE_LEN);
	w_str(w, a->tone_ext_prompt, PN_TONE_LEN);
	w_str(w, a->tone_ext_error, PN_TONE_LEN);
	w_u64(w, (uint64_t)a->created_ms);
}

int pn_store_app_decode(const char *v, size_t vl, struct pn_store_app *a)
{
	struct rbuf r = {(const uint8_t *)v, vl, 0, 0};
	memset(a, 0, sizeof(*a));
	if (r_u8(&r) != APP_REC_V1)
		return PN_EIO;
	r_str(&r, a->app_key, sizeof(a->app_key));
	r_str(&r, a->app_secret, sizeof(a->app_secret));
	r_str(&r, a->name, sizeof(a->name));
	a->mode = r_u8(&r);
	a->status = r_u8(&r);
	a->recording = r_u8(&r);
	a->ext_len = r_u8(&r);
	a->repeat_collect = r_u8(&r);
	a->x_default_action = r_u8(&r);
	r_str(&r, a->event_url, sizeof(a->event_url));
	r_str(&r, a->cdr_url, sizeof(a->cdr_url));
	r_str(&r, a->xstatus_url, sizeof(a->xstatus_url));
	r_str(&r, a->tone_no_permission, PN_TONE_LEN);
	r_str(&r, a->tone_service_error, PN_TONE_LEN);
	r_str(&r, a->tone_no_binding, PN_TONE_LEN);
	r_str(&r, a->tone_ext_prompt, PN_TONE_LEN);
	r_str(&r, a->tone_ext_error, PN_TONE_LEN);
	a->created_ms = (int64_t)r_u64(&r);
	return r.err ? PN_EIO : 0;
}

static void num_encode(const struct pn_store_num *n, struct wbuf *w)
{
	w->n = 0;
	w_u8(w, NUM_REC_V1);
	w_u64(w, n->x);
	w_str(w, n->area_code, sizeof(n->area_code));
	w_str(w, n->app_key, sizeof(n->app_key));
	w_u8(w, n->status);
	w_u8(w, n->cause);
	w_u64(w, (uint64_t)n->updated_ms);
}

int pn_store_num_decode(const char *v, size_t vl, struct pn_store_num *n)
{
	struct rbuf r = {(const uint8_t *)v, vl, 0, 0};
	memset(n, 0, sizeof(*n));
	if (r_u8(&r) != NUM_REC_V1)
		return PN_EIO;
	n->x = r_u64(&r);
	r_str(&r, n->area_code, sizeof(n->area_code));
	r_str(&r, n->app_key, sizeof(n->app_key));
	n->status = r_u8(&r);
	n->cause = r_u8(&r);
	n->updated_ms = (int64_t)r_u64(&r);
	return r.err ? PN_EIO : 0;
}

int pn_store_bind_decode(const char *v, size_t vl, struct pn_binding *out, uint64_t *seq)
{
	struct pn_change c;
	int r = pn_change_decode(v, vl, &c);
	if (r <= 0 || (size_t)r != vl)
		return PN_EIO;
	*out = c.b;
	*seq = c.seq;
	return 0;
}

int pn_store_app_key_ok(const char *k)
{
	size_t n = strnlen(k, PN_APPKEY_LEN);
	if (n == 0 || n >= PN_APPKEY_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int area_ok(const char *a)
{
	size_t n = strnlen(a, PN_STORE_AREA_LEN);
	if (n >= PN_STORE_AREA_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] < '0' || a[i] > '9')
			return 0;
	return 1;
}

/* ---- provinces: area code -> province (mainland China, main ranges) ---- */

struct area_range {
	unsigned lo, hi; /* numeric value of the area code without the trunk 0 */
	int prov;
};

/* Ranges from the national area-code plan; codes not listed fall back to "same first three
 * digits" (e.g. 075x), which matches the plan's regional grouping. */
static const struct area_range provinces[] = {
    {10, 10, 1},    {20, 20, 2},    {660, 663, 2},  {668, 668, 2},  {750, 769, 2},  {21, 21, 3},
    {22, 22, 4},    {23, 23, 5},    {24, 24, 6},    {410, 429, 6},  {25, 25, 7},    {510, 519, 7},
    {523, 523, 7},  {527, 527, 7},  {27, 27, 8},    {710, 728, 8},  {28, 28, 9},    {812, 839, 9},
    {29, 29, 10},   {910, 919, 10}, {570, 580, 11}, {571, 571, 11}, {530, 539, 12}, {543, 546, 12},
    {631, 635, 12}, {591, 599, 13}, {370, 379, 14}, {391, 398, 14}, {310, 319, 15}, {335, 335, 15},
    {730, 739, 16}, {744, 746, 16}, {790, 799, 17}, {701, 701, 17}, {550, 566, 18}, {350, 359, 19},
    {431, 440, 20}, {451, 469, 21}, {770, 779, 22}, {870, 888, 23}, {851, 859, 24}, {898, 899, 25},
    {931, 943, 26}, {951, 955, 27}, {970, 979, 28}, {991, 999, 29}, {471, 483, 30}, {891, 897, 31},
};

static int province_of(const char *area)
{
	const char *p = area;
	if (*p == '0')
		p++;
	unsigned v = 0;
	size_t n = 0;
	for (; *p && n < 6; p++, n++)
		v = v * 10 + (unsigned)(*p - '0');
	if (n == 0)
		return -1;
	for (size_t i = 0; i < PN_ARRAY_SIZE(provinces); i++)
		if (v >= provinces[i].lo && v <= provinces[i].hi)
			return provinces[i].prov;
	/* fallback: first three digits of the dialled form */
	return 1000 + (int)(n >= 2 ? v / (n > 2 ? 10 : 1) : v);
}

/* Area code of a +86 fixed-line number ("" for mobiles and other countries). */
static void area_of_number(pn_num_t a, char out[PN_STORE_AREA_LEN])
{
	char s[PN_NUM_STRLEN];
	out[0] = 0;
	int n = pn_num_unpack(a, s);
	if (n < 6 || strncmp(s, "+86", 3) != 0)
		return;
	const char *nat = s + 3;
	size_t nl = strlen(nat);
	if (nat[0] == '1') {
		if (nat[1] == '0' && nl <= 10) {
			memcpy(out, "010", 4);
		}
		return; /* mobile */
	}
	if (nat[0] == '2') {
		out[0] = '0';
		memcpy(out + 1, nat, 2);
		out[3] = 0;
	} else if (nat[0] >= '3' && nat[0] <= '9') {
		out[0] = '0';
		memcpy(out + 1, nat, 3);
		out[4] = 0;
	}
}

/* ---- loads ---- */

static int load_app(struct pn_store_round *r, const char *key, struct pn_store_app *a)
{
	if (!pn_store_app_key_ok(key))
		return 0;
	struct pn_store_key k;
	key_init(&k, K_APP);
	key_str0(&k, key, PN_APPKEY_LEN);
	k.n--; /* no NUL terminator in the app key itself */
	char *v;
	size_t vl;
	int f = rnd_get(r, &k, &v, &vl);
	if (f <= 0)
		return f;
	int rc = pn_store_app_decode(v, vl, a);
	rocksdb_free(v);
	if (rc) {
		r->io_err = 1;
		return -1;
	}
	return 1;
}

static int load_num(struct pn_store_round *r, pn_num_t x, struct pn_store_num *n)
{
	struct pn_store_key k;
	key_init(&k, K_NUM);
	key_u64(&k, x);
	char *v;
	size_t vl;
	int f = rnd_get(r, &k, &v, &vl);
	if (f <= 0)
		return f;
	int rc = pn_store_num_decode(v, vl, n);
	rocksdb_free(v);
	if (rc) {
		r->io_err = 1;
		return -1;
	}
	return 1;
}

static int load_raw(struct pn_store_round *r, uint64_t id, struct pn_binding *b)
{
	struct pn_store_key k;
	key_init(&k, K_BIND);
	key_u64(&k, id);
	char *v;
	size_t vl;
	int f = rnd_get(r, &k, &v, &vl);
	if (f <= 0)
		return f;
	uint64_t seq;
	int rc = pn_store_bind_decode(v, vl, b, &seq);
	rocksdb_free(v);
	if (rc) {
		r->io_err = 1;
		return -1;
	}
	return 1;
}

/* id stored as the value of an index key: 1 found, 0 absent, -1 error */
static int load_idx_id(struct pn_store_round *r, const struct pn_store_key *k, uint64_t *id)
{
	char *v;
	size_t vl;
	int f = rnd_get(r, k, &v, &vl);
	if (f <= 0)
		return f;
	int ok = vl == 8;
	if (ok)
		*id = rd_u64((const uint8_t *)v);
	rocksdb_free(v);
	if (!ok) {
		r->io_err = 1;
		return -1;
	}
	return 1;
}

static uint32_t cnt_get(struct pn_store_round *r, pn_num_t x)
{
	struct pn_store_key k;
	key_init(&k, K_CNT);
	key_u64(&k, x);
	char *v;
	size_t vl;
	if (rnd_get(r, &k, &v, &vl) <= 0)
		return 0;
	uint32_t c = 0;
	if (vl == 4)
		c = ((uint32_t)(uint8_t)v[0] << 24) | ((uint32_t)(uint8_t)v[1] << 16) |
		    ((uint32_t)(uint8_t)v[2] << 8) | (uint8_t)v[3];
	rocksdb_free(v);
	return c;
}

static void cnt_add(struct pn_store_round *r, pn_num_t x, int d)
{
	uint32_t c = cnt_get(r, x);
	if (d < 0 && PN_NEVER(c == 0))
		return;
	c = (uint32_t)((int64_t)c + d);
	struct pn_store_key k;
	key_init(&k, K_CNT);
	key_u64(&k, x);
	if (c == 0) {
		rnd_del(r, &k);
		return;
	}
	uint8_t b[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
	rnd_put(r, &k, b, 4);
}

/* ---- indexes, changelog ---- */

static void key_user(struct pn_store_key *k, pn_num_t x, pn_num_t u)
{
	key_init(k, K_USER);
	key_u64(k, x);
	key_u64(k, u);
}
static void key_bya(struct pn_store_key *k, const char *app, pn_num_t a, pn_num_t x)
{
	key_init(k, K_BYA);
	key_str0(k, app, PN_APPKEY_LEN);
	key_u64(k, a);
	if (x)
		key_u64(k, x);
}
static void key_ext(struct pn_store_key *k, pn_num_t x, uint16_t e)
{
	key_init(k, K_EXT);
	key_u64(k, x);
	key_u16(k, e);
}
static void key_exp(struct pn_store_key *k, int64_t ms, uint64_t id, uint8_t kind)
{
	key_init(k, K_EXP);
	key_u64(k, (uint64_t)ms);
	key_u64(k, id);
	key_u8(k, kind);
}
static void key_list(struct pn_store_key *k, const struct pn_binding *b)
{
	key_init(k, K_LIST);
	key_str0(k, b->app_key, PN_APPKEY_LEN);
	key_u8(k, b->mode);
	key_u64(k, (uint64_t)b->created_ms);
	key_u64(k, b->id);
}

static void idx(struct pn_store_round *r, const struct pn_binding *b, int add)
{
	struct pn_store_key k;
	uint8_t idv[8];
	wr_u64(idv, b->id);
#define IDX_SET(key, v, vl)                                                                        \
	do {                                                                                       \
		if (add)                                                                           \
			rnd_put(r, (key), (v), (vl));                                              \
		else                                                                               \
			rnd_del(r, (key));                                                         \
	} while (0)
	key_init(&k, K_ONX);
	key_u64(&k, b->x);
	key_u64(&k, b->id);
	IDX_SET(&k, "", 0);
	switch (b->mode) {
	case PN_MODE_AXB:
		key_user(&k, b->x, b->a);
		IDX_SET(&k, idv, 8);
		key_user(&k, b->x, b->b);
		IDX_SET(&k, idv, 8);
		cnt_add(r, b->x, add ? 1 : -1);
		break;
	case PN_MODE_AX:
	case PN_MODE_AXYB:
		key_init(&k, K_OWNER);
		key_u64(&k, b->x);
		IDX_SET(&k, idv, 8);
		key_bya(&k, b->app_key, b->a, b->x);
		IDX_SET(&k, idv, 8);
		break;
	case PN_MODE_AXE:
		key_user(&k, b->x, b->a);
		IDX_SET(&k, idv, 8);
		key_ext(&k, b->x, b->ext);
		IDX_SET(&k, idv, 8);
		cnt_add(r, b->x, add ? 1 : -1);
		break;
	case PN_MODE_YB: {
		key_user(&k, b->x, b->a);
		IDX_SET(&k, idv, 8);
		uint8_t yv[8];
		wr_u64(yv, b->x);
		key_init(&k, K_YB);
		key_u64(&k, b->parent_id);
		key_u64(&k, b->id);
		IDX_SET(&k, yv, 8);
		cnt_add(r, b->x, add ? 1 : -1);
		break;
	}
	default:
		break;
	}
	if (b->mode == PN_MODE_AXE) { /* the v2 cursor order; other modes list by X / A */
		key_list(&k, b);
		IDX_SET(&k, "", 0);
	}
	if (b->expires_ms) {
		key_exp(&k, b->expires_ms, b->id, 0);
		IDX_SET(&k, "", 0);
		if (add && b->expires_ms < r->min_expiry)
			r->min_expiry = b->expires_ms;
	}
	if (b->b_expires_ms && b->mode == PN_MODE_AX) {
		key_exp(&k, b->b_expires_ms, b->id, 1);
		IDX_SET(&k, "", 0);
		if (add && b->b_expires_ms < r->min_expiry)
			r->min_expiry = b->b_expires_ms;
	}
#undef IDX_SET
}

/* Append a changelog record and (PUT) store the binding with that seq. 0 or PN_ENOMEM. */
static int log_write(struct pn_store_round *r, uint8_t op, const struct pn_binding *b)
{
	struct pn_change *c = malloc(sizeof(*c));
	if (!c)
		return PN_ENOMEM;
	c->seq = r->st->seq + 1;
	c->op = op;
	c->b = *b;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	int rc = pn_change_encode(c, &sb);
	if (rc == 0) {
		r->st->seq++;
		r->last_seq_op = c->seq;
		struct pn_store_key k;
		key_init(&k, K_LOG);
		key_u64(&k, c->seq);
		rnd_put(r, &k, sb.data, sb.size);
		key_init(&k, K_BIND);
		key_u64(&k, b->id);
		if (op == PN_CHANGE_PUT)
			rnd_put(r, &k, sb.data, sb.size);
		else
			rnd_del(r, &k);
	}
	msgpack_sbuffer_destroy(&sb);
	free(c);
	return rc;
}

static int write_new(struct pn_store_round *r, const struct pn_binding *b)
{
	idx(r, b, 1);
	return log_write(r, PN_CHANGE_PUT, b);
}

static int write_update(struct pn_store_round *r, const struct pn_binding *old,
                        const struct pn_binding *nb)
{
	idx(r, old, 0);
	idx(r, nb, 1);
	return log_write(r, PN_CHANGE_PUT, nb);
}

/* Remove a binding (AXYB-AX: its YB parts first), each with its DEL record. */
static int remove_binding(struct pn_store_round *r, const struct pn_binding *b)
{
	if (b->mode == PN_MODE_AXYB) {
		struct pn_store_key p;
		key_init(&p, K_YB);
		key_u64(&p, b->id);
		uint64_t ids[64];
		for (;;) {
			size_t n = 0;
			rocksdb_iterator_t *it = rnd_iter(r, &p);
			const uint8_t *kp;
			size_t kl;
			while (n < PN_ARRAY_SIZE(ids) && iter_in(it, &p, &kp, &kl)) {
				if (kl == 17)
					ids[n++] = rd_u64(kp + 9);
				rocksdb_iter_next(it);
			}
			rocksdb_iter_destroy(it);
			if (n == 0)
				break;
			for (size_t i = 0; i < n; i++) {
				struct pn_binding yb;
				int f = load_raw(r, ids[i], &yb);
				if (f < 0)
					return PN_EIO;
				if (f == 0 || PN_NEVER(yb.parent_id != b->id)) {
					/* dangling index entry: drop it */
					struct pn_store_key k = p;
					key_u64(&k, ids[i]);
					rnd_del(r, &k);
					continue;
				}
				int rc = remove_binding(r, &yb);
				if (rc)
					return rc;
			}
		}
	}
	idx(r, b, 0);
	r->removed++;
	return log_write(r, PN_CHANGE_DEL, b);
}

/*
 * Load a binding as the API sees it: absent when expired (then it is removed here, with its
 * DEL record), an expired AX temporary callee is cleared (PUT record). 1/0/-1.
 */
static int load_live(struct pn_store_round *r, uint64_t id, struct pn_binding *b)
{
	int f = load_raw(r, id, b);
	if (f <= 0)
		return f;
	if (!pn_store_live(b, r->now)) {
		if (remove_binding(r, b) != 0) {
			r->io_err = 1;
			return -1;
		}
		r->expired++;
		return 0;
	}
	if (b->mode == PN_MODE_AX && b->b_expires_ms && b->b_expires_ms <= r->now) {
		struct pn_binding nb = *b;
		nb.b = 0;
		nb.b_expires_ms = 0;
		if (write_update(r, b, &nb) != 0) {
			r->io_err = 1;
			return -1;
		}
		*b = nb;
	}
	return 1;
}

/* Live binding found through an index key holding an id. */
static int load_via(struct pn_store_round *r, const struct pn_store_key *k, struct pn_binding *b)
{
	uint64_t id;
	int f = load_idx_id(r, k, &id);
	if (f <= 0)
		return f;
	return load_live(r, id, b);
}

/* ---- checks ---- */

#define FAIL(code)                                                                                 \
	do {                                                                                       \
		res->rc = (code);                                                                  \
		return;                                                                            \
	} while (0)
#define FAIL_FIELD(f)                                                                              \
	do {                                                                                       \
		res->rc = PN_STORE_EINVAL;                                                         \
		res->field = (f);                                                                  \
		return;                                                                            \
	} while (0)

static int check_app(struct pn_store_round *r, const char *key, uint8_t mode,
                     struct pn_store_app *app)
{
	/* one app usually sends many ops per round: keep its record for the round (any app
	 * write in the round drops it, see app_put) */
	int f;
	if (r->app_cached && strcmp(r->app_cache.app_key, key) == 0) {
		*app = r->app_cache;
		f = 1;
	} else {
		f = load_app(r, key, app);
		if (f > 0) {
			r->app_cache = *app;
			r->app_cached = 1;
		}
	}
	if (f < 0)
		return PN_STORE_EIO;
	if (f == 0)
		return PN_STORE_NO_APP;
	if (app->status != PN_APP_ACTIVE)
		return PN_STORE_APP_DISABLED;
	if (app->mode != mode && !(mode == PN_MODE_YB && app->mode == PN_MODE_AXYB))
		return PN_STORE_WRONG_MODE;
	return PN_STORE_OK;
}

static int check_x(struct pn_store_round *r, const char *app, pn_num_t x)
{
	struct pn_store_num n;
	int f = load_num(r, x, &n);
	if (f < 0)
		return PN_STORE_EIO;
	if (f == 0 || strcmp(n.app_key, app) != 0)
		return PN_STORE_X_NOT_OWNED;
	if (n.status != PN_NUM_NORMAL)
		return PN_STORE_X_ABNORMAL;
	return PN_STORE_OK;
}

static int valid_num(pn_num_t n)
{
	return n != 0 && (n >> 63) != 0;
}

/* user u on X? 1 yes (live), 0 no, -1 error; *id set when yes */
static int user_on(struct pn_store_round *r, pn_num_t x, pn_num_t u, struct pn_binding *b)
{
	struct pn_store_key k;
	key_user(&k, x, u);
	return load_via(r, &k, b);
}

static int owner_of(struct pn_store_round *r, pn_num_t x, struct pn_binding *b)
{
	struct pn_store_key k;
	key_init(&k, K_OWNER);
	key_u64(&k, x);
	return load_via(r, &k, b);
}

/* live X held by A in the app (AX / AXYB): count, or -1 */
static int count_x_of_a(struct pn_store_round *r, const char *app, pn_num_t a)
{
	struct pn_store_key p;
	key_bya(&p, app, a, 0);
	uint64_t ids[16];
	size_t n = 0;
	rocksdb_iterator_t *it = rnd_iter(r, &p);
	const uint8_t *kp;
	size_t kl;
	while (n < PN_ARRAY_SIZE(ids) && iter_in(it, &p, NULL, NULL)) {
		size_t vl;
		const char *v = rocksdb_iter_value(it, &vl);
		(void)kp;
		(void)kl;
		if (vl == 8)
			ids[n++] = rd_u64((const uint8_t *)v);
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	int live = 0;
	for (size_t i = 0; i < n; i++) {
		struct pn_binding b;
		int f = load_live(r, ids[i], &b);
		if (f < 0)
			return -1;
		live += f;
	}
	return live;
}

/* ---- X selection ---- */

struct pick {
	const struct pn_store_op *op;
	pn_num_t a, b;    /* user numbers to check */
	uint16_t ext;     /* AXE: chosen/auto extension out */
	uint8_t ext_len;  /* AXE: digits */
	uint8_t ext_auto; /* AXE: pick the lowest free */
	uint64_t parent;  /* YB: the AX part */
	int mode;
};

/* Lowest free extension on X (1 .. 10^len - 1); an extension held by an expired binding is
 * free (that binding is removed here). 1 ok (*e), 0 none, -1 error. */
static int free_ext(struct pn_store_round *r, pn_num_t x, unsigned len, uint16_t *e)
{
	unsigned max = len == 1 ? 9 : len == 2 ? 99 : len == 3 ? 999 : 9999;
	uint8_t *used = calloc(10000, 1);
	if (!used) {
		r->io_err = 1;
		return -1;
	}
	struct pn_store_key p;
	key_init(&p, K_EXT);
	key_u64(&p, x);
	rocksdb_iterator_t *it = rnd_iter(r, &p);
	const uint8_t *kp;
	size_t kl;
	while (iter_in(it, &p, &kp, &kl)) {
		if (kl == 11) {
			unsigned v = ((unsigned)kp[9] << 8) | kp[10];
			if (v < 10000)
				used[v] = 1;
		}
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	int found = 0;
	for (unsigned v = 1; v <= max && !found; v++) {
		if (used[v]) {
			struct pn_store_key k;
			struct pn_binding b;
			key_ext(&k, x, (uint16_t)v);
			int f = load_via(r, &k, &b);
			if (f < 0) {
				found = -1;
				break;
			}
			if (f)
				continue;
		}
		*e = (uint16_t)v;
		found = 1;
	}
	free(used);
	return found;
}

/* Is X free for this bind? 1 yes, 0 no, -1 error. */
static int x_free(struct pn_store_round *r, pn_num_t x, struct pick *pk)
{
	struct pn_binding b;
	int f;
	switch (pk->mode) {
	case PN_MODE_AXB:
		if (cnt_get(r, x) >= PN_STORE_AXB_MAX_PAIRS)
			return 0;
		if ((f = user_on(r, x, pk->a, &b)) != 0)
			return f < 0 ? -1 : 0;
		if ((f = user_on(r, x, pk->b, &b)) != 0)
			return f < 0 ? -1 : 0;
		return 1;
	case PN_MODE_AX:
	case PN_MODE_AXYB:
		if ((f = owner_of(r, x, &b)) != 0)
			return f < 0 ? -1 : 0;
		return cnt_get(r, x) == 0;
	case PN_MODE_AXE:
		if ((f = user_on(r, x, pk->a, &b)) != 0)
			return f < 0 ? -1 : 0;
		if (pk->ext_auto)
			return free_ext(r, x, pk->ext_len, &pk->ext);
		{
			struct pn_store_key k;
			key_ext(&k, x, pk->ext);
			f = load_via(r, &k, &b);
			return f < 0 ? -1 : !f;
		}
	case PN_MODE_YB: {
		if ((f = owner_of(r, x, &b)) != 0)
			return f < 0 ? -1 : 0;
		if (cnt_get(r, x) >= PN_STORE_Y_MAX_RELATIONS)
			return 0;
		if ((f = user_on(r, x, pk->a, &b)) != 0)
			return f < 0 ? -1 : 0;
		/* not twice for the same AX part */
		struct pn_store_key p;
		key_init(&p, K_YB);
		key_u64(&p, pk->parent);
		rocksdb_iterator_t *it = rnd_iter(r, &p);
		int used = 0;
		while (iter_in(it, &p, NULL, NULL)) {
			size_t vl;
			const char *v = rocksdb_iter_value(it, &vl);
			if (vl == 8 && rd_u64((const uint8_t *)v) == x)
				used = 1;
			rocksdb_iter_next(it);
		}
		rocksdb_iter_destroy(it);
		return !used;
	}
	}
	return 0;
}

enum { PASS_AREA, PASS_PROVINCE, PASS_ANY };

static int key_cmp(const uint8_t *a, size_t an, const struct pn_store_key *b)
{
	size_t n = an < b->n ? an : b->n;
	int c = memcmp(a, b->b, n);
	return c ? c : (an < b->n ? -1 : an > b->n);
}

/* Scan pool keys under prefix p from start (inclusive) to stop (exclusive, NULL = end of
 * prefix). Candidates are collected in chunks before they are checked (a check may remove
 * an expired binding, i.e. write to the batch under the iterator). 1 found (*x, *xkey),
 * 0 none, -1 error. */
static int pick_scan(struct pn_store_round *r, const struct pn_store_key *p,
                     const struct pn_store_key *start, const struct pn_store_key *stop,
                     const char *area, int pass, int prov, struct pick *pk, pn_num_t *x,
                     struct pn_store_key *xkey)
{
	struct pn_store_key from = *start;
	int inclusive = 1;
	static _Thread_local struct pn_store_key ckeys[128];
	for (;;) {
		size_t nc = 0;
		int more = 0;
		rocksdb_iterator_t *it = rnd_iter(r, &from);
		const uint8_t *kp;
		size_t kl;
		while (iter_in(it, p, &kp, &kl)) {
			if (stop && key_cmp(kp, kl, stop) >= 0)
				break;
			if (!inclusive && kl == from.n && memcmp(kp, from.b, kl) == 0) {
				rocksdb_iter_next(it); /* resume point: already seen */
				continue;
			}
			if (nc == PN_ARRAY_SIZE(ckeys)) {
				more = 1;
				break;
			}
			size_t vl;
			const char *v = rocksdb_iter_value(it, &vl);
			int take = kl >= p->n + 8 && kl <= sizeof(from.b) && vl == 1 &&
			           v[0] == PN_NUM_NORMAL;
			if (take && pass != PASS_AREA) {
				char a[PN_STORE_AREA_LEN];
				size_t al = kl - 8 - p->n - 1;
				if (al >= sizeof(a)) {
					take = 0;
				} else {
					memcpy(a, kp + p->n, al);
					a[al] = 0;
					int pv = province_of(a);
					if (area[0] && strcmp(a, area) == 0)
						take = 0; /* done in PASS_AREA */
					else if (pass == PASS_PROVINCE)
						take = pv == prov;
					else
						take = !(area[0] && pv == prov);
				}
			}
			if (take) {
				memcpy(ckeys[nc].b, kp, kl);
				ckeys[nc++].n = kl;
			}
			if (kl <= sizeof(from.b)) {
				memcpy(from.b, kp, kl);
				from.n = kl;
				inclusive = 0;
			}
			rocksdb_iter_next(it);
		}
		rocksdb_iter_destroy(it);
		for (size_t i = 0; i < nc; i++) {
			pn_num_t cand = rd_u64(ckeys[i].b + ckeys[i].n - 8);
			int f = x_free(r, cand, pk);
			if (f < 0)
				return -1;
			if (f) {
				*x = cand;
				*xkey = ckeys[i];
				return 1;
			}
		}
		if (!more)
			return 0;
	}
}

/*
 * One pass over the app's pool. It starts at the X this kind of pass chose last time (a hint
 * kept in memory by the committer) and wraps around, so binds keep filling the same X and a
 * pool whose first numbers are full is not rescanned from its start for every bind (first-fit
 * from the start costs one read per full X). 1 found (*x), 0 none, -1 error.
 */
static int pick_pass(struct pn_store_round *r, const char *app, const char *area, int pass,
                     int prov, struct pick *pk, pn_num_t *x)
{
	struct pn_store_key p;
	key_init(&p, K_POOL);
	key_str0(&p, app, PN_APPKEY_LEN);
	if (pass == PASS_AREA)
		key_str0(&p, area, PN_STORE_AREA_LEN);
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < p.n; i++)
		h = (h ^ p.b[i]) * 16777619u;
	h = (h ^ (uint32_t)pass) * 16777619u;
	h = (h ^ (uint32_t)pk->mode) * 16777619u;
	struct pn_store_key *hint = &r->st->pick_hint[h % PN_STORE_PICK_HINTS];
	struct pn_store_key found;
	int f;
	if (hint->n > p.n && memcmp(hint->b, p.b, p.n) == 0) {
		f = pick_scan(r, &p, hint, NULL, area, pass, prov, pk, x, &found);
		if (f == 0)
			f = pick_scan(r, &p, &p, hint, area, pass, prov, pk, x, &found);
	} else {
		f = pick_scan(r, &p, &p, NULL, area, pass, prov, pk, x, &found);
	}
	if (f == 1)
		*hint = found;
	return f;
}

/* Choose X for a bind (explicit or by area). PN_STORE_OK and *x, or an rc. */
static int choose_x(struct pn_store_round *r, const struct pn_store_op *op, pn_num_t want,
                    pn_num_t user_for_area, struct pick *pk, pn_num_t *x)
{
	if (want) {
		int rc = check_x(r, op->app_key, want);
		if (rc)
			return rc;
		*x = want;
		return PN_STORE_OK;
	}
	char area[PN_STORE_AREA_LEN];
	if (op->area_code[0])
		memcpy(area, op->area_code, sizeof(area));
	else
		area_of_number(user_for_area, area);
	area[PN_STORE_AREA_LEN - 1] = 0;
	int f;
	if (!area[0]) {
		f = pick_pass(r, op->app_key, "", PASS_ANY, -1, pk, x);
	} else {
		f = pick_pass(r, op->app_key, area, PASS_AREA, 0, pk, x);
		if (f == 0 && op->area_mode == 1) {
			int prov = province_of(area);
			f = pick_pass(r, op->app_key, area, PASS_PROVINCE, prov, pk, x);
			if (f == 0)
				f = pick_pass(r, op->app_key, area, PASS_ANY, prov, pk, x);
		}
	}
	if (f < 0)
		return PN_STORE_EIO;
	return f ? PN_STORE_OK : PN_STORE_X_NO_FREE;
}

/* ---- common field handling ---- */

static void term(struct pn_binding *b)
{
	b->app_key[PN_APPKEY_LEN - 1] = 0;
	b->record_hint_tone[PN_TONE_LEN - 1] = 0;
	b->last_min_voice[PN_TONE_LEN - 1] = 0;
	b->caller_hint_tone[PN_TONE_LEN - 1] = 0;
	b->callee_hint_tone[PN_TONE_LEN - 1] = 0;
	b->callback_tone[PN_TONE_LEN - 1] = 0;
	b->user_data[PN_USERDATA_LEN - 1] = 0;
}

static const char *check_common(const struct pn_binding *b)
{
	if (b->direction > PN_DIR_B_TO_A)
		return "callDirection";
	if (b->max_duration_min > PN_STORE_MAX_CALL_MIN)
		return "maxDuration";
	if (b->record > 1)
		return "recordFlag";
	if (b->display_mode > 1)
		return b->mode == PN_MODE_AXE ? "displayNumMode" : "calleeNumDisplay";
	for (const char *p = b->user_data; *p; p++)
		if (*p == '{' || *p == '}')
			return "userData";
	return NULL;
}

/* Copy the fields named by mask from src into dst (not numbers, durations: the ops do). */
static void apply_mask(struct pn_binding *dst, const struct pn_binding *src, uint32_t m)
{
	if (m & PN_SET_DIRECTION)
		dst->direction = src->direction;
	if (m & PN_SET_MAX_DURATION)
		dst->max_duration_min = src->max_duration_min;
	if (m & PN_SET_LAST_MIN_VOICE)
		memcpy(dst->last_min_voice, src->last_min_voice, PN_TONE_LEN);
	if (m & PN_SET_PRIVATE_SMS)
		dst->private_sms = src->private_sms;
	if (m & PN_SET_PRE_VOICE) {
		memcpy(dst->caller_hint_tone, src->caller_hint_tone, PN_TONE_LEN);
		memcpy(dst->callee_hint_tone, src->callee_hint_tone, PN_TONE_LEN);
	}
	if (m & PN_SET_RECORD)
		dst->record = src->record;
	if (m & PN_SET_RECORD_HINT)
		memcpy(dst->record_hint_tone, src->record_hint_tone, PN_TONE_LEN);
	if (m & PN_SET_USER_DATA)
		memcpy(dst->user_data, src->user_data, PN_USERDATA_LEN);
	if (m & PN_SET_DISPLAY)
		dst->display_mode = src->display_mode;
	if (m & PN_SET_TURN)
		dst->turn_on = src->turn_on;
}

/* Find the target of a modify/unbind: by id, or via an index key. Checks app and mode. */
static int find_target(struct pn_store_round *r, const struct pn_store_op *op, uint8_t mode,
                       const struct pn_store_key *alt, struct pn_binding *b)
{
	int f;
	if (op->id)
		f = load_live(r, op->id, b);
	else if (alt)
		f = load_via(r, alt, b);
	else
		return PN_STORE_EINVAL;
	if (f < 0)
		return PN_STORE_EIO;
	if (f == 0 || b->mode != mode || strcmp(b->app_key, op->app_key) != 0)
		return PN_STORE_NOT_FOUND;
	return PN_STORE_OK;
}

static int64_t expiry_in(int64_t now, uint64_t s)
{
	return s ? now + (int64_t)s * 1000 : 0;
}

/* ---- AXB ---- */

static void axb_conflict(struct pn_store_round *r, pn_num_t x, const struct pn_binding *nb,
                         uint64_t self, struct pn_store_result *res)
{
	pn_num_t users[2] = {nb->a, nb->b};
	for (int i = 0; i < 2; i++) {
		struct pn_binding o;
		int f = user_on(r, x, users[i], &o);
		if (f < 0)
			FAIL(PN_STORE_EIO);
		if (f == 0 || o.id == self)
			continue;
		if ((o.a == nb->a && o.b == nb->b) || (o.a == nb->b && o.b == nb->a))
			FAIL(PN_STORE_PAIR_EXISTS);
		FAIL(PN_STORE_USER_ON_X);
	}
}

static void op_axb_bind(struct pn_store_round *r, const struct pn_store_op *op,
                        struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXB, &app);
	if (rc)
		FAIL(rc);
	struct pn_binding nb = op->b;
	nb.mode = PN_MODE_AXB;
	term(&nb);
	if (!valid_num(nb.a))
		FAIL_FIELD("callerNum");
	if (!valid_num(nb.b) || nb.b == nb.a)
		FAIL_FIELD("calleeNum");
	if (nb.duration_s > PN_STORE_AXB_MAX_DURATION)
		FAIL_FIELD("duration");
	const char *bad = check_common(&nb);
	if (bad)
		FAIL_FIELD(bad);
	struct pick pk = {.op = op, .a = nb.a, .b = nb.b, .mode = PN_MODE_AXB};
	pn_num_t x;
	rc = choose_x(r, op, nb.x, nb.a, &pk, &x);
	if (rc)
		FAIL(rc);
	if (nb.x) {
		axb_conflict(r, x, &nb, 0, res);
		if (res->rc)
			return;
		if (cnt_get(r, x) >= PN_STORE_AXB_MAX_PAIRS)
			FAIL(PN_STORE_X_FULL);
	}
	nb.x = x;
	nb.id = r->st->next_id++;
	nb.parent_id = 0;
	memcpy(nb.app_key, op->app_key, PN_APPKEY_LEN);
	nb.created_ms = r->now;
	nb.expires_ms = expiry_in(r->now, nb.duration_s);
	nb.b_expires_ms = nb.yb_expires_ms = 0;
	if (write_new(r, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
}

static void op_axb_modify(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXB, &app);
	if (rc)
		FAIL(rc);
	struct pn_binding old;
	rc = find_target(r, op, PN_MODE_AXB, NULL, &old);
	if (rc)
		FAIL(rc == PN_STORE_EINVAL ? PN_STORE_NOT_FOUND : rc);
	struct pn_binding nb = old, in = op->b;
	term(&in);
	if (op->set_mask & PN_SET_A) {
		if (!valid_num(in.a))
			FAIL_FIELD("callerNum");
		nb.a = in.a;
	}
	if (op->set_mask & PN_SET_B) {
		if (!valid_num(in.b))
			FAIL_FIELD("calleeNum");
		nb.b = in.b;
	}
	if (nb.a == nb.b)
		FAIL_FIELD("calleeNum");
	if (op->set_mask & PN_SET_DURATION) {
		if (in.duration_s > PN_STORE_AXB_MAX_DURATION)
			FAIL_FIELD("duration");
		nb.duration_s = in.duration_s;
		nb.expires_ms = expiry_in(r->now, in.duration_s);
	}
	apply_mask(&nb, &in, op->set_mask);
	const char *bad = check_common(&nb);
	if (bad)
		FAIL_FIELD(bad);
	axb_conflict(r, nb.x, &nb, old.id, res);
	if (res->rc)
		return;
	if (write_update(r, &old, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
}

/* Collect up to cap ids of live-or-not bindings on X (index order). */
static size_t ids_on_x(struct pn_store_round *r, pn_num_t x, uint64_t *ids, size_t cap)
{
	struct pn_store_key p;
	key_init(&p, K_ONX);
	key_u64(&p, x);
	rocksdb_iterator_t *it = rnd_iter(r, &p);
	const uint8_t *kp;
	size_t kl, n = 0;
	while (n < cap && iter_in(it, &p, &kp, &kl)) {
		if (kl == 17)
			ids[n++] = rd_u64(kp + 9);
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	return n;
}

static void op_axb_unbind(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXB, &app);
	if (rc)
		FAIL(rc);
	if (op->id) {
		struct pn_binding b;
		rc = find_target(r, op, PN_MODE_AXB, NULL, &b);
		if (rc)
			FAIL(rc);
		if (remove_binding(r, &b))
			FAIL(PN_STORE_EIO);
		res->b = b;
		res->count = 1;
		return;
	}
	if (!op->sel_x)
		FAIL_FIELD("relationNum");
	rc = check_x(r, op->app_key, op->sel_x);
	if (rc == PN_STORE_X_NOT_OWNED || rc == PN_STORE_EIO)
		FAIL(rc);
	uint64_t ids[256];
	uint32_t count = 0;
	for (;;) {
		size_t n = ids_on_x(r, op->sel_x, ids, PN_ARRAY_SIZE(ids));
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			struct pn_binding b;
			int f = load_raw(r, ids[i], &b);
			if (f < 0)
				FAIL(PN_STORE_EIO);
			if (f == 0) {
				struct pn_store_key k;
				key_init(&k, K_ONX);
				key_u64(&k, op->sel_x);
				key_u64(&k, ids[i]);
				rnd_del(r, &k);
				continue;
			}
			if (remove_binding(r, &b))
				FAIL(PN_STORE_EIO);
			if (pn_store_live(&b, r->now))
				count++;
		}
	}
	if (count == 0)
		FAIL(PN_STORE_NOT_FOUND);
	res->count = count;
}

/* ---- AX ---- */

static void ax_like_bind(struct pn_store_round *r, const struct pn_store_op *op, uint8_t mode,
                         struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, mode, &app);
	if (rc)
		FAIL(rc);
	struct pn_binding nb = op->b;
	nb.mode = mode;
	term(&nb);
	if (!valid_num(nb.a))
		FAIL_FIELD("origNum");
	if (mode == PN_MODE_AXYB) {
		if (nb.duration_s != 0 &&
		    (nb.duration_s < 60 || nb.duration_s > PN_STORE_AXB_MAX_DURATION))
			FAIL_FIELD("duration");
		if (nb.yb_duration_s != 0 &&
		    (nb.yb_duration_s < 60 || nb.yb_duration_s > PN_STORE_AXB_MAX_DURATION))
			FAIL_FIELD("ybDuration");
		if (nb.duration_s && nb.yb_duration_s > nb.duration_s)
			nb.yb_duration_s = nb.duration_s; /* spec: duration wins */
	} else {
		nb.duration_s = 0;
		nb.yb_duration_s = 0;
	}
	const char *bad = check_common(&nb);
	if (bad)
		FAIL_FIELD(bad);
	if (nb.x) {
		rc = check_x(r, op->app_key, nb.x);
		if (rc)
			FAIL(rc);
		struct pn_binding o;
		int f = owner_of(r, nb.x, &o);
		if (f < 0)
			FAIL(PN_STORE_EIO);
		if (f)
			FAIL(o.a == nb.a ? PN_STORE_EXISTS : PN_STORE_X_BOUND_OTHER_A);
		if (cnt_get(r, nb.x) > 0)
			FAIL(PN_STORE_X_BOUND_OTHER_A); /* a Y of this app */
	}
	int have = count_x_of_a(r, op->app_key, nb.a);
	if (have < 0)
		FAIL(PN_STORE_EIO);
	if ((unsigned)have >= PN_STORE_MAX_X_PER_A)
		FAIL(PN_STORE_TOO_MANY_X_FOR_A);
	struct pick pk = {.op = op, .a = nb.a, .mode = mode};
	pn_num_t x;
	rc = choose_x(r, op, nb.x, nb.a, &pk, &x);
	if (rc)
		FAIL(rc);
	nb.x = x;
	nb.b = 0;
	nb.b_expires_ms = 0;
	nb.id = r->st->next_id++;
	nb.parent_id = 0;
	memcpy(nb.app_key, op->app_key, PN_APPKEY_LEN);
	nb.created_ms = r->now;
	nb.expires_ms = expiry_in(r->now, nb.duration_s);
	nb.yb_expires_ms = 0;
	if (write_new(r, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
}

static void ax_sel_key(const struct pn_store_op *op, struct pn_store_key *k)
{
	key_bya(k, op->app_key, op->sel_a, op->sel_x);
}

static void op_ax_modify(struct pn_store_round *r, const struct pn_store_op *op,
                         struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AX, &app);
	if (rc)
		FAIL(rc);
	struct pn_store_key k;
	ax_sel_key(op, &k);
	struct pn_binding old;
	rc = find_target(r, op, PN_MODE_AX, (op->sel_a && op->sel_x) ? &k : NULL, &old);
	if (rc)
		FAIL(rc == PN_STORE_EINVAL ? PN_STORE_NOT_FOUND : rc);
	struct pn_binding nb = old, in = op->b;
	term(&in);
	if ((op->set_mask & PN_SET_A) && in.a != old.a) {
		if (!valid_num(in.a))
			FAIL_FIELD("origNum");
		int have = count_x_of_a(r, op->app_key, in.a);
		if (have < 0)
			FAIL(PN_STORE_EIO);
		if ((unsigned)have >= PN_STORE_MAX_X_PER_A)
			FAIL(PN_STORE_TOO_MANY_X_FOR_A);
		nb.a = in.a;
		if (nb.b == nb.a) {
			nb.b = 0;
			nb.b_expires_ms = 0;
		}
	}
	apply_mask(&nb, &in, op->set_mask);
	const char *bad = check_common(&nb);
	if (bad)
		FAIL_FIELD(bad);
	if (write_update(r, &old, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
}

static void op_ax_unbind(struct pn_store_round *r, const struct pn_store_op *op,
                         struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AX, &app);
	if (rc)
		FAIL(rc);
	struct pn_store_key k;
	ax_sel_key(op, &k);
	struct pn_binding b;
	rc = find_target(r, op, PN_MODE_AX, (op->sel_a && op->sel_x) ? &k : NULL, &b);
	if (rc == PN_STORE_EINVAL)
		FAIL_FIELD("subscriptionId");
	if (rc)
		FAIL(rc);
	if (remove_binding(r, &b))
		FAIL(PN_STORE_EIO);
	res->b = b;
	res->count = 1;
}

static void op_ax_set_callee(struct pn_store_round *r, const struct pn_store_op *op,
                             struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AX, &app);
	if (rc)
		FAIL(rc);
	uint32_t d = op->callee_duration_s ? op->callee_duration_s : PN_STORE_CALLEE_DEFAULT_S;
	if (d > PN_STORE_CALLEE_MAX_S)
		FAIL_FIELD("duration");
	struct pn_store_key k;
	ax_sel_key(op, &k);
	struct pn_binding old;
	rc = find_target(r, op, PN_MODE_AX, (op->sel_a && op->sel_x) ? &k : NULL, &old);
	if (rc == PN_STORE_EINVAL)
		FAIL_FIELD("subscriptionId");
	if (rc)
		FAIL(rc);
	if (!valid_num(op->b.b) || op->b.b == old.a)
		FAIL_FIELD("calleeNum");
	struct pn_binding nb = old;
	nb.b = op->b.b;
	nb.b_expires_ms = r->now + (int64_t)d * 1000;
	if (op->b.user_data[0]) {
		memcpy(nb.user_data, op->b.user_data, PN_USERDATA_LEN);
		nb.user_data[PN_USERDATA_LEN - 1] = 0;
		if (check_common(&nb))
			FAIL_FIELD("userData");
	}
	if (write_update(r, &old, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
}

/* ---- AXE ---- */

static int64_t axe_expiry(int64_t now, uint8_t unit, uint32_t t)
{
	return t ? now + (int64_t)t * (unit ? 60000 : 3600000) : 0;
}

static unsigned ext_max(unsigned len)
{
	return len == 1 ? 9 : len == 2 ? 99 : len == 3 ? 999 : 9999;
}

static void op_axe_bind(struct pn_store_round *r, const struct pn_store_op *op,
                        struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXE, &app);
	if (rc)
		FAIL(rc);
	struct pn_binding nb = op->b;
	nb.mode = PN_MODE_AXE;
	term(&nb);
	unsigned len = app.ext_len >= 1 && app.ext_len <= 4 ? app.ext_len : 4;
	if (!valid_num(nb.a))
		FAIL_FIELD("bindNum");
	if (nb.ext_len && (nb.ext_len != len || nb.ext == 0 || nb.ext > ext_max(len)))
		FAIL_FIELD("extendNum");
	if (nb.callback_tone[0] && nb.callback_num)
		FAIL_FIELD("callbackNum");
	if (nb.callback_num && !valid_num(nb.callback_num))
		FAIL_FIELD("callbackNum");
	if (nb.time_unit > 1)
		FAIL_FIELD("timeUnit");
	nb.max_duration_min = 0; /* not supported in AXE */
	const char *bad = check_common(&nb);
	if (bad)
		FAIL_FIELD(bad);
	struct pick pk = {.op = op,
	                  .a = nb.a,
	                  .mode = PN_MODE_AXE,
	                  .ext_len = (uint8_t)len,
	                  .ext_auto = nb.ext_len == 0,
	                  .ext = nb.ext};
	if (nb.x) {
		rc = check_x(r, op->app_key, nb.x);
		if (rc)
			FAIL(rc);
		struct pn_binding o;
		int f = user_on(r, nb.x, nb.a, &o);
		if (f < 0)
			FAIL(PN_STORE_EIO);
		if (f)
			FAIL(PN_STORE_EXISTS);
		if (pk.ext_auto) {
			f = free_ext(r, nb.x, len, &pk.ext);
			if (f < 0)
				FAIL(PN_STORE_EIO);
			if (!f)
				FAIL(PN_STORE_NO_EXT_FREE);
		} else {
			struct pn_store_key k;
			key_ext(&k, nb.x, nb.ext);
			f = load_via(r, &k, &o);
			if (f < 0)
				FAIL(PN_STORE_EIO);
			if (f)
				FAIL(PN_STORE_EXT_TAKEN);
		}
	} else {
		pn_num_t x;
		rc = choose_x(r, op, 0, nb.a, &pk, &x);
		if (rc == PN_STORE_X_NO_FREE && pk.ext_auto)
			rc = PN_STORE_NO_EXT_FREE;
		if (rc)
			FAIL(rc);
		nb.x = x;
	}
	nb.ext = pk.ext;
	nb.ext_len = (uint8_t)len;
	nb.id = r->st->next_id++;
	nb.parent_id = 0;
	memcpy(nb.app_key, op->app_key, PN_APPKEY_LEN);
	nb.created_ms = r->now;
	nb.expires_ms = axe_expiry(r->now, nb.time_unit, nb.bind_expired_time);
	nb.b = 0;
	nb.b_expires_ms = nb.yb_expires_ms = 0;
	if (write_new(r, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
}

static void axe_sel_key(const struct pn_store_op *op, struct pn_store_key *k)
{
	key_ext(k, op->sel_x, op->sel_ext);
}

static void op_axe_modify(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXE, &app);
	if (rc)
		FAIL(rc);
	struct pn_store_key k;
	axe_sel_key(op, &k);
	struct pn_binding old;
	rc = find_target(r, op, PN_MODE_AXE, (op->sel_x && op->sel_ext_set) ? &k : NULL, &old);
	if (rc == PN_STORE_EINVAL)
		FAIL_FIELD("subscriptionId");
	if (rc)
		FAIL(rc);
	struct pn_binding nb = old, in = op->b;
	term(&in);
	apply_mask(&nb, &in,
	           op->set_mask &
	               (PN_SET_DISPLAY | PN_SET_RECORD | PN_SET_RECORD_HINT | PN_SET_USER_DATA));
	if (op->set_mask & PN_SET_CALLBACK) {
		/* both given: callbackNum wins (spec 1.3) */
		if (in.callback_num && !valid_num(in.callback_num))
			FAIL_FIELD("callbackNum");
		nb.callback_num = in.callback_num;
		if (in.callback_num)
			nb.callback_tone[0] = 0;
		else
			memcpy(nb.callback_tone, in.callback_tone, PN_TONE_LEN);
	}
	if (op->set_mask & PN_SET_AXE_TIMES) {
		if (in.time_unit > 1)
			FAIL_FIELD("timeUnit");
		nb.time_unit = in.time_unit;
		nb.bind_expired_time = in.bind_expired_time;
		nb.callback_expired_time = in.callback_expired_time;
		nb.expires_ms = axe_expiry(r->now, nb.time_unit, nb.bind_expired_time);
	}
	const char *bad = check_common(&nb);
	if (bad)
		FAIL_FIELD(bad);
	if (write_update(r, &old, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
}

static void op_axe_unbind(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXE, &app);
	if (rc)
		FAIL(rc);
	struct pn_store_key k;
	axe_sel_key(op, &k);
	struct pn_binding b;
	rc = find_target(r, op, PN_MODE_AXE, (op->sel_x && op->sel_ext_set) ? &k : NULL, &b);
	if (rc == PN_STORE_EINVAL)
		FAIL_FIELD("subscriptionId");
	if (rc)
		FAIL(rc);
	if (remove_binding(r, &b))
		FAIL(PN_STORE_EIO);
	res->b = b;
	res->count = 1;
}

/* ---- AXYB ---- */

static void op_axyb_bind_yb(struct pn_store_round *r, const struct pn_store_op *op,
                            struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXYB, &app);
	if (rc)
		FAIL(rc);
	if (!op->id)
		FAIL_FIELD("subscriptionId");
	struct pn_binding ax;
	rc = find_target(r, op, PN_MODE_AXYB, NULL, &ax);
	if (rc)
		FAIL(rc);
	struct pn_binding nb = op->b;
	term(&nb);
	if (!valid_num(nb.a) || nb.a == ax.a)
		FAIL_FIELD("origNum");
	uint32_t yd = nb.yb_duration_s ? nb.yb_duration_s : ax.yb_duration_s;
	if (yd != 0 && (yd < 60 || yd > PN_STORE_AXB_MAX_DURATION))
		FAIL_FIELD("ybDuration");
	if (ax.duration_s && yd > ax.duration_s)
		yd = ax.duration_s;
	struct pick pk = {.op = op, .a = nb.a, .mode = PN_MODE_YB, .parent = ax.id};
	pn_num_t y;
	if (nb.x) {
		rc = check_x(r, op->app_key, nb.x);
		if (rc)
			FAIL(rc);
		int f = x_free(r, nb.x, &pk);
		if (f < 0)
			FAIL(PN_STORE_EIO);
		if (!f) {
			struct pn_binding o;
			f = user_on(r, nb.x, nb.a, &o);
			FAIL(f > 0 ? PN_STORE_USER_ON_X
			     : cnt_get(r, nb.x) >= PN_STORE_Y_MAX_RELATIONS
			         ? PN_STORE_X_FULL
			         : PN_STORE_X_BOUND_OTHER_A);
		}
		y = nb.x;
	} else {
		rc = choose_x(r, op, 0, nb.a, &pk, &y);
		if (rc)
			FAIL(rc);
	}
	struct pn_binding yb;
	memset(&yb, 0, sizeof(yb));
	yb.id = r->st->next_id++;
	yb.parent_id = ax.id;
	yb.mode = PN_MODE_YB;
	yb.direction = ax.direction;
	yb.record = ax.record;
	yb.private_sms = ax.private_sms;
	yb.max_duration_min = ax.max_duration_min;
	yb.x = y;
	yb.a = nb.a;
	yb.b = ax.a; /* self-contained routing: B calls Y -> A */
	yb.created_ms = r->now;
	int64_t e = expiry_in(r->now, yd);
	if (ax.expires_ms && (e == 0 || ax.expires_ms < e))
		e = ax.expires_ms;
	yb.expires_ms = e;
	yb.yb_expires_ms = e;
	yb.duration_s = ax.duration_s;
	yb.yb_duration_s = yd;
	memcpy(yb.app_key, op->app_key, PN_APPKEY_LEN);
	memcpy(yb.record_hint_tone, ax.record_hint_tone, PN_TONE_LEN);
	memcpy(yb.caller_hint_tone, ax.caller_hint_tone, PN_TONE_LEN);
	memcpy(yb.callee_hint_tone,
	       nb.callee_hint_tone[0] ? nb.callee_hint_tone : ax.callee_hint_tone, PN_TONE_LEN);
	memcpy(yb.user_data, ax.user_data, PN_USERDATA_LEN);
	if (write_new(r, &yb))
		FAIL(PN_STORE_EIO);
	res->b = yb;
}

static void op_axyb_unbind(struct pn_store_round *r, const struct pn_store_op *op,
                           struct pn_store_result *res)
{
	struct pn_store_app app;
	int rc = check_app(r, op->app_key, PN_MODE_AXYB, &app);
	if (rc)
		FAIL(rc);
	if (!op->id)
		FAIL_FIELD("subscriptionId");
	struct pn_binding ax;
	rc = find_target(r, op, PN_MODE_AXYB, NULL, &ax);
	if (rc)
		FAIL(rc);
	if (!op->sel_y && !op->sel_b) {
		if (remove_binding(r, &ax))
			FAIL(PN_STORE_EIO);
		res->b = ax;
		res->count = r->removed;
		return;
	}
	/* one YB: by Y (wins) or by B */
	struct pn_store_key p;
	key_init(&p, K_YB);
	key_u64(&p, ax.id);
	uint64_t ids[PN_STORE_Y_MAX_RELATIONS > 64 ? 64 : 64];
	size_t n = 0;
	rocksdb_iterator_t *it = rnd_iter(r, &p);
	const uint8_t *kp;
	size_t kl;
	while (iter_in(it, &p, &kp, &kl)) {
		size_t vl;
		const char *v = rocksdb_iter_value(it, &vl);
		if (kl == 17 && vl == 8 && n < PN_ARRAY_SIZE(ids) &&
		    (!op->sel_y || rd_u64((const uint8_t *)v) == op->sel_y))
			ids[n++] = rd_u64(kp + 9);
		rocksdb_iter_next(it);
	}
	rocksdb_iter_destroy(it);
	for (size_t i = 0; i < n; i++) {
		struct pn_binding yb;
		int f = load_live(r, ids[i], &yb);
		if (f < 0)
			FAIL(PN_STORE_EIO);
		if (!f || (!op->sel_y && yb.a != op->sel_b))
			continue;
		if (remove_binding(r, &yb))
			FAIL(PN_STORE_EIO);
		res->b = yb;
		res->count = 1;
		return;
	}
	FAIL(PN_STORE_NOT_FOUND);
}

/* ---- expiry ---- */

/* An expiry entry that no longer matches its binding (cannot happen while idx() keeps them in
 * step; defensive) is dropped, so it can never make the sweeper spin on it. */
static void drop_stale_exp(struct pn_store_round *r, const struct pn_store_op *op,
                           struct pn_store_result *res)
{
	if (op->expect_ms <= 0 || op->expect_ms > r->now) {
		res->rc = PN_STORE_NOT_FOUND;
		return;
	}
	struct pn_store_key k;
	key_exp(&k, op->expect_ms, op->id, op->expire_kind);
	char *v;
	size_t vl;
	int f = rnd_get(r, &k, &v, &vl);
	if (f > 0) {
		rocksdb_free(v);
		rnd_del(r, &k);
		res->rc = PN_STORE_OK; /* count 0: nothing expired, a stale entry went */
		return;
	}
	res->rc = f < 0 ? PN_STORE_EIO : PN_STORE_NOT_FOUND;
}

static void op_expire(struct pn_store_round *r, const struct pn_store_op *op,
                      struct pn_store_result *res)
{
	struct pn_binding b;
	int f = load_raw(r, op->id, &b);
	if (f < 0)
		FAIL(PN_STORE_EIO);
	if (f == 0) {
		drop_stale_exp(r, op, res);
		return;
	}
	if (op->expire_kind == 0) {
		if (!b.expires_ms || b.expires_ms > r->now) {
			if (b.expires_ms != op->expect_ms)
				drop_stale_exp(r, op, res);
			else
				res->rc = PN_STORE_NOT_FOUND;
			return;
		}
		if (remove_binding(r, &b))
			FAIL(PN_STORE_EIO);
		r->expired++;
		res->b = b;
		res->count = 1;
		return;
	}
	if (b.mode != PN_MODE_AX || !b.b_expires_ms || b.b_expires_ms > r->now) {
		if (b.b_expires_ms != op->expect_ms)
			drop_stale_exp(r, op, res);
		else
			res->rc = PN_STORE_NOT_FOUND;
		return;
	}
	struct pn_binding nb = b;
	nb.b = 0;
	nb.b_expires_ms = 0;
	if (write_update(r, &b, &nb))
		FAIL(PN_STORE_EIO);
	res->b = nb;
	res->count = 1;
}

/* ---- admin ---- */

static void gen_hex(char *out, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t raw[32];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = f ? fread(raw, 1, n / 2, f) : 0;
	if (f)
		fclose(f);
	for (size_t i = got; i < n / 2; i++)
		raw[i] = (uint8_t)random();
	for (size_t i = 0; i < n / 2; i++) {
		out[2 * i] = hx[raw[i] >> 4];
		out[2 * i + 1] = hx[raw[i] & 15];
	}
	out[n] = 0;
}

static void app_term(struct pn_store_app *a)
{
	a->app_key[PN_APPKEY_LEN - 1] = 0;
	a->app_secret[PN_STORE_SECRET_LEN - 1] = 0;
	a->name[PN_STORE_NAME_LEN - 1] = 0;
	a->event_url[PN_STORE_URL_LEN - 1] = 0;
	a->cdr_url[PN_STORE_URL_LEN - 1] = 0;
	a->xstatus_url[PN_STORE_URL_LEN - 1] = 0;
	a->tone_no_permission[PN_TONE_LEN - 1] = 0;
	a->tone_service_error[PN_TONE_LEN - 1] = 0;
	a->tone_no_binding[PN_TONE_LEN - 1] = 0;
	a->tone_ext_prompt[PN_TONE_LEN - 1] = 0;
	a->tone_ext_error[PN_TONE_LEN - 1] = 0;
}

static void app_put(struct pn_store_round *r, const struct pn_store_app *a)
{
	struct wbuf *w = malloc(sizeof(*w));
	if (!w) {
		r->io_err = 1;
		return;
	}
	app_encode(a, w);
	r->app_cached = 0;
	struct pn_store_key k;
	key_init(&k, K_APP);
	key_str0(&k, a->app_key, PN_APPKEY_LEN);
	k.n--;
	rnd_put(r, &k, w->b, w->n);
	free(w);
}

static void op_app_create(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_app a = op->app;
	app_term(&a);
	if (!a.app_key[0])
		gen_hex(a.app_key, 32);
	if (!a.app_secret[0])
		gen_hex(a.app_secret, 32);
	if (!pn_store_app_key_ok(a.app_key))
		FAIL_FIELD("app_key");
	if (a.mode < PN_MODE_AXB || a.mode > PN_MODE_X || a.mode == PN_MODE_YB)
		FAIL_FIELD("mode");
	if (a.status > PN_APP_DISABLED)
		FAIL_FIELD("status");
	if (a.ext_len == 0)
		a.ext_len = 4;
	if (a.ext_len > 4)
		FAIL_FIELD("extLength");
	if (a.repeat_collect > 9)
		FAIL_FIELD("repeatCollect");
	struct pn_store_app old;
	int f = load_app(r, a.app_key, &old);
	if (f < 0)
		FAIL(PN_STORE_EIO);
	if (f)
		FAIL(PN_STORE_EXISTS);
	a.created_ms = r->now;
	app_put(r, &a);
	res->app = a;
}

static void op_app_update(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_app a, in = op->app;
	app_term(&in);
	int f = load_app(r, in.app_key, &a);
	if (f < 0)
		FAIL(PN_STORE_EIO);
	if (f == 0)
		FAIL(PN_STORE_NO_APP);
	uint32_t m = op->set_mask;
	if (m & PN_APP_SET_NAME)
		memcpy(a.name, in.name, sizeof(a.name));
	if (m & PN_APP_SET_STATUS) {
		if (in.status > PN_APP_DISABLED)
			FAIL_FIELD("status");
		a.status = in.status;
	}
	if (m & PN_APP_SET_RECORDING)
		a.recording = in.recording ? 1 : 0;
	if (m & PN_APP_SET_URLS) {
		memcpy(a.event_url, in.event_url, sizeof(a.event_url));
		memcpy(a.cdr_url, in.cdr_url, sizeof(a.cdr_url));
		memcpy(a.xstatus_url, in.xstatus_url, sizeof(a.xstatus_url));
	}
	if (m & PN_APP_SET_TONES) {
		memcpy(a.tone_no_permission, in.tone_no_permission, PN_TONE_LEN);
		memcpy(a.tone_service_error, in.tone_service_error, PN_TONE_LEN);
		memcpy(a.tone_no_binding, in.tone_no_binding, PN_TONE_LEN);
		memcpy(a.tone_ext_prompt, in.tone_ext_prompt, PN_TONE_LEN);
		memcpy(a.tone_ext_error, in.tone_ext_error, PN_TONE_LEN);
	}
	if (m & PN_APP_SET_EXT) {
		if (in.ext_len < 1 || in.ext_len > 4)
			FAIL_FIELD("extLength");
		if (in.repeat_collect > 9)
			FAIL_FIELD("repeatCollect");
		a.ext_len = in.ext_len;
		a.repeat_collect = in.repeat_collect;
	}
	if (m & PN_APP_SET_XMODE) {
		if (in.x_default_action > 1)
			FAIL_FIELD("defaultAction");
		a.x_default_action = in.x_default_action;
	}
	if (m & PN_APP_SET_SECRET) {
		if (!in.app_secret[0])
			gen_hex(in.app_secret, 32);
		memcpy(a.app_secret, in.app_secret, sizeof(a.app_secret));
	}
	app_put(r, &a);
	res->app = a;
}

static void pool_key(struct pn_store_key *k, const struct pn_store_num *n)
{
	key_init(k, K_POOL);
	key_str0(k, n->app_key, PN_APPKEY_LEN);
	key_str0(k, n->area_code, PN_STORE_AREA_LEN);
	key_u64(k, n->x);
}

static void num_put(struct pn_store_round *r, const struct pn_store_num *n)
{
	struct wbuf *w = malloc(sizeof(*w));
	if (!w) {
		r->io_err = 1;
		return;
	}
	num_encode(n, w);
	struct pn_store_key k;
	key_init(&k, K_NUM);
	key_u64(&k, n->x);
	rnd_put(r, &k, w->b, w->n);
	free(w);
	pool_key(&k, n);
	uint8_t s = n->status;
	rnd_put(r, &k, &s, 1);
}

static void op_num_add(struct pn_store_round *r, const struct pn_store_op *op,
                       struct pn_store_result *res)
{
	struct pn_store_num n = op->num;
	n.area_code[PN_STORE_AREA_LEN - 1] = 0;
	n.app_key[PN_APPKEY_LEN - 1] = 0;
	if (!valid_num(n.x))
		FAIL_FIELD("number");
	if (!area_ok(n.area_code))
		FAIL_FIELD("areaCode");
	if (n.status > PN_NUM_UNAVAILABLE)
		FAIL_FIELD("status");
	struct pn_store_app app;
	int f = load_app(r, n.app_key, &app);
	if (f < 0)
		FAIL(PN_STORE_EIO);
	if (f == 0)
		FAIL(PN_STORE_NO_APP);
	struct pn_store_num old;
	f = load_num(r, n.x, &old);
	if (f < 0)
		FAIL(PN_STORE_EIO);
	if (f)
		FAIL(PN_STORE_EXISTS);
	n.updated_ms = r->now;
	n.relations = 0;
	n.owned = 0;
	num_put(r, &n);
}

static int x_in_use(struct pn_store_round *r, pn_num_t x)
{
	uint64_t id;
	struct pn_binding b;
	if (ids_on_x(r, x, &id, 1) == 0)
		return 0;
	/* an index entry: make sure it is live (else let the caller retry after the sweep) */
	int f = load_live(r, id, &b);
	return f != 0 ? 1 : x_in_use(r, x);
}

static void op_num_remove(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_num n;
	int f = load_num(r, op->num.x, &n);
	if (f < 0)
		FAIL(PN_STORE_EIO);
	if (f == 0)
		FAIL(PN_STORE_NOT_FOUND);
	if (op->num.app_key[0] && strcmp(op->num.app_key, n.app_key) != 0)
		FAIL(PN_STORE_X_NOT_OWNED);
	if (x_in_use(r, n.x))
		FAIL(PN_STORE_EBUSY);
	struct pn_store_key k;
	key_init(&k, K_NUM);
	key_u64(&k, n.x);
	rnd_del(r, &k);
	pool_key(&k, &n);
	rnd_del(r, &k);
}

static void op_num_status(struct pn_store_round *r, const struct pn_store_op *op,
                          struct pn_store_result *res)
{
	struct pn_store_num n;
	int f = load_num(r, op->num.x, &n);
	if (f < 0)
		FAIL(PN_STORE_EIO);
	if (f == 0)
		FAIL(PN_STORE_NOT_FOUND);
	if (op->num.app_key[0] && strcmp(op->num.app_key, n.app_key) != 0)
		FAIL(PN_STORE_X_NOT_OWNED);
	if (op->num.status > PN_NUM_UNAVAILABLE)
		FAIL_FIELD("status");
	struct pn_store_num nn = n;
	nn.status = op->num.status;
	nn.cause = op->num.status == PN_NUM_NORMAL ? 0 : op->num.cause;
	nn.updated_ms = r->now;
	num_put(r, &nn);
	/* the engine calls the hook after the round is durable */
	if (nn.status != n.status || nn.cause != n.cause) {
		r->cur->hook = 1;
		r->cur->hook_before = n;
		r->cur->hook_after = nn;
	}
}

void pn_store_apply(struct pn_store_round *r, const struct pn_store_op *op,
                    struct pn_store_result *res)
{
	if (op->type >= PN_STORE_OP_AXB_BIND && op->type <= PN_STORE_OP_AXYB_UNBIND &&
	    !pn_store_app_key_ok(op->app_key))
		FAIL(PN_STORE_NO_APP);
	switch (op->type) {
	case PN_STORE_OP_APP_CREATE:
		op_app_create(r, op, res);
		break;
	case PN_STORE_OP_APP_UPDATE:
		op_app_update(r, op, res);
		break;
	case PN_STORE_OP_NUM_ADD:
		op_num_add(r, op, res);
		break;
	case PN_STORE_OP_NUM_REMOVE:
		op_num_remove(r, op, res);
		break;
	case PN_STORE_OP_NUM_STATUS:
		op_num_status(r, op, res);
		break;
	case PN_STORE_OP_AXB_BIND:
		op_axb_bind(r, op, res);
		break;
	case PN_STORE_OP_AXB_MODIFY:
		op_axb_modify(r, op, res);
		break;
	case PN_STORE_OP_AXB_UNBIND:
		op_axb_unbind(r, op, res);
		break;
	case PN_STORE_OP_AX_BIND:
		ax_like_bind(r, op, PN_MODE_AX, res);
		break;
	case PN_STORE_OP_AX_MODIFY:
		op_ax_modify(r, op, res);
		break;
	case PN_STORE_OP_AX_UNBIND:
		op_ax_unbind(r, op, res);
		break;
	case PN_STORE_OP_AX_SET_CALLEE:
		op_ax_set_callee(r, op, res);
		break;
	case PN_STORE_OP_AXE_BIND:
		op_axe_bind(r, op, res);
		break;
	case PN_STORE_OP_AXE_MODIFY:
		op_axe_modify(r, op, res);
		break;
	case PN_STORE_OP_AXE_UNBIND:
		op_axe_unbind(r, op, res);
		break;
	case PN_STORE_OP_AXYB_BIND_AX:
		ax_like_bind(r, op, PN_MODE_AXYB, res);
		break;
	case PN_STORE_OP_AXYB_BIND_YB:
		op_axyb_bind_yb(r, op, res);
		break;
	case PN_STORE_OP_AXYB_UNBIND:
		op_axyb_unbind(r, op, res);
		break;
	case PN_STORE_OP_EXPIRE:
		op_expire(r, op, res);
		break;
	default:
		FAIL_FIELD("type");
	}
}
