/*
 * test_store.c: the binding store against a real RocksDB in a temporary directory: every
 * invariant both ways, X selection by area, group commit under concurrent submitters, crash
 * consistency (a child killed with SIGKILL after its acknowledgements), exact expiry with an
 * injected clock, changelog trim and snapshots.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rocksdb/c.h>

#include "pn_store.h"

static _Atomic int64_t fake_now = 1700000000000LL;
static int64_t fake_clock(void *arg)
{
	(void)arg;
	return atomic_load(&fake_now);
}

struct fx {
	char dir[64];
	struct pn_store *st;
	struct pn_store_config cfg;
};

static int rm_cb(const char *p, const struct stat *sb, int t, struct FTW *f)
{
	(void)sb;
	(void)t;
	(void)f;
	return remove(p);
}

static void fx_open(struct fx *f)
{
	assert_int_equal(pn_store_open(&f->cfg, &f->st), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pn-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cfg.path = f->dir;
	f->cfg.clock = fake_clock;
	f->cfg.no_sweeper = 1;
	atomic_store(&fake_now, 1700000000000LL);
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	pn_store_close(f->st);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static pn_num_t N(const char *s)
{
	return pn_num_pack(s, strlen(s));
}

static void mk_app(struct pn_store *st, const char *key, int mode)
{
	struct pn_store_op op;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_APP_CREATE;
	snprintf(op.app.app_key, sizeof(op.app.app_key), "%s", key);
	op.app.mode = (uint8_t)mode;
	struct pn_store_result res;
	assert_int_equal(pn_store_exec(st, &op, &res), PN_STORE_OK);
}

static void add_num(struct pn_store *st, const char *app, const char *x, const char *area)
{
	struct pn_store_op op;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_NUM_ADD;
	op.num.x = N(x);
	snprintf(op.num.app_key, sizeof(op.num.app_key), "%s", app);
	snprintf(op.num.area_code, sizeof(op.num.area_code), "%s", area);
	struct pn_store_result res;
	assert_int_equal(pn_store_exec(st, &op, &res), PN_STORE_OK);
}

static void op_init(struct pn_store_op *op, int type, const char *app)
{
	memset(op, 0, sizeof(*op));
	op->type = (uint8_t)type;
	snprintf(op->app_key, sizeof(op->app_key), "%s", app);
}

static int axb(struct pn_store *st, const char *app, const char *x, const char *a, const char *b,
               struct pn_store_result *res)
{
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AXB_BIND, app);
	op.b.x = x ? N(x) : 0;
	op.b.a = N(a);
	op.b.b = N(b);
	return pn_store_exec(st, &op, res);
}

static int ax(struct pn_store *st, const char *app, const char *x, const char *a,
              struct pn_store_result *res)
{
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AX_BIND, app);
	op.b.x = x ? N(x) : 0;
	op.b.a = N(a);
	return pn_store_exec(st, &op, res);
}

/* find the changelog record of a seq */
struct find_rec {
	uint64_t seq;
	struct pn_change c;
	int found;
};
static int find_cb(void *arg, uint64_t seq, const char *rec, size_t len)
{
	struct find_rec *f = arg;
	if (seq == f->seq) {
		assert_int_equal(pn_change_decode(rec, len, &f->c), (int)len);
		f->found = 1;
		return 1;
	}
	return 0;
}
static int log_get(struct pn_store *st, uint64_t seq, struct pn_change *c)
{
	struct find_rec f = {.seq = seq};
	long n = pn_store_changelog_read(st, seq, 1, find_cb, &f);
	if (n < 0)
		return (int)n;
	if (f.found)
		*c = f.c;
	return f.found;
}

/* ---- AXB ---- */

static void test_store_axb_invariants(void **state)
{
	struct fx *f = *state;
	struct pn_store_result r;
	mk_app(f->st, "appaxb", PN_MODE_AXB);
	mk_app(f->st, "other", PN_MODE_AXB);
	mk_app(f->st, "appax", PN_MODE_AX);
	add_num(f->st, "appaxb", "+8675500000001", "0755");
	add_num(f->st, "other", "+8675500000009", "0755");

	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000001", "+8613800000002", &r),
	    PN_STORE_OK);
	assert_int_equal(r.b.x, N("+8675500000001"));
	assert_true(r.b.id > 0);
	assert_true(r.seq > 0);
	uint64_t first = r.b.id;
	/* the same pair, and the reversed pair */
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000001", "+8613800000002", &r),
	    PN_STORE_PAIR_EXISTS);
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000002", "+8613800000001", &r),
	    PN_STORE_PAIR_EXISTS);
	/* AXB + BXC not allowed, AXB + AXC not allowed */
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000002", "+8613800000003", &r),
	    PN_STORE_USER_ON_X);
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000001", "+8613800000003", &r),
	    PN_STORE_USER_ON_X);
	/* AXB + CXD allowed */
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000003", "+8613800000004", &r),
	    PN_STORE_OK);
	assert_true(r.b.id > first);
	/* A == B */
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000005", "+8613800000005", &r),
	    PN_STORE_EINVAL);
	assert_string_equal(r.field, "calleeNum");
	/* X of another app, unknown X */
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000009", "+8613800000005", "+8613800000006", &r),
	    PN_STORE_X_NOT_OWNED);
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000077", "+8613800000005", "+8613800000006", &r),
	    PN_STORE_X_NOT_OWNED);
	/* wrong mode, unknown app */
	assert_int_equal(
	    axb(f->st, "appax", "+8675500000001", "+8613800000005", "+8613800000006", &r),
	    PN_STORE_WRONG_MODE);
	assert_int_equal(
	    axb(f->st, "nosuch", "+8675500000001", "+8613800000005", "+8613800000006", &r),
	    PN_STORE_NO_APP);

	/* duration and maxDuration ranges */
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AXB_BIND, "appaxb");
	op.b.x = N("+8675500000001");
	op.b.a = N("+8613800000007");
	op.b.b = N("+8613800000008");
	op.b.duration_s = 7776001;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EINVAL);
	assert_string_equal(r.field, "duration");
	op.b.duration_s = 7776000;
	op.b.max_duration_min = 1441;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EINVAL);
	assert_string_equal(r.field, "maxDuration");
	op.b.max_duration_min = 1440;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.expires_ms, atomic_load(&fake_now) + 7776000LL * 1000);

	/* X abnormal */
	struct pn_store_op ns;
	memset(&ns, 0, sizeof(ns));
	ns.type = PN_STORE_OP_NUM_STATUS;
	ns.num.x = N("+8675500000001");
	ns.num.status = PN_NUM_UNAVAILABLE;
	ns.num.cause = 3;
	assert_int_equal(pn_store_exec(f->st, &ns, &r), PN_STORE_OK);
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000010", "+8613800000011", &r),
	    PN_STORE_X_ABNORMAL);
	ns.num.status = PN_NUM_NORMAL;
	assert_int_equal(pn_store_exec(f->st, &ns, &r), PN_STORE_OK);
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000010", "+8613800000011", &r),
	    PN_STORE_OK);

	/* app disabled */
	struct pn_store_op au;
	memset(&au, 0, sizeof(au));
	au.type = PN_STORE_OP_APP_UPDATE;
	snprintf(au.app.app_key, sizeof(au.app.app_key), "appaxb");
	au.app.status = PN_APP_DISABLED;
	au.set_mask = PN_APP_SET_STATUS;
	assert_int_equal(pn_store_exec(f->st, &au, &r), PN_STORE_OK);
	assert_int_equal(
	    axb(f->st, "appaxb", "+8675500000001", "+8613800000012", "+8613800000013", &r),
	    PN_STORE_APP_DISABLED);
	/* a number carrying bindings cannot be removed */
	struct pn_store_op nr;
	memset(&nr, 0, sizeof(nr));
	nr.type = PN_STORE_OP_NUM_REMOVE;
	nr.num.x = N("+8675500000001");
	assert_int_equal(pn_store_exec(f->st, &nr, &r), PN_STORE_EBUSY);
}

static void test_store_axb_modify_unbind_query(void **state)
{
	struct fx *f = *state;
	struct pn_store_result r;
	mk_app(f->st, "app1", PN_MODE_AXB);
	add_num(f->st, "app1", "+8601000000001", "010");
	const char *X = "+8601000000001";
	uint64_t ids[30];
	char a[32], b[32];
	for (int i = 0; i < 30; i++) {
		snprintf(a, sizeof(a), "+86139%08d", i * 2);
		snprintf(b, sizeof(b), "+86139%08d", i * 2 + 1);
		assert_int_equal(axb(f->st, "app1", X, a, b, &r), PN_STORE_OK);
		ids[i] = r.b.id;
	}
	/* paging by X: 30 bindings, page size 10 */
	struct pn_binding out[100];
	struct pn_store_page pg;
	struct pn_store_query q = {
	    .app_key = "app1", .mode = PN_MODE_AXB, .x = N(X), .page_index = 3, .page_size = 10};
	assert_int_equal(pn_store_query(f->st, &q, out, 100, &pg), PN_STORE_OK);
	assert_int_equal(pg.total, 30);
	assert_int_equal(pg.n, 10);
	assert_int_equal(out[0].id, ids[20]);
	q.page_size = 5; /* out of range -> 50 */
	q.page_index = 1;
	assert_int_equal(pn_store_query(f->st, &q, out, 100, &pg), PN_STORE_OK);
	assert_int_equal(pg.n, 30);
	/* X+A, X+B, X+A+B */
	q.a = N("+8613900000004");
	assert_int_equal(pn_store_query(f->st, &q, out, 100, &pg), PN_STORE_OK);
	assert_int_equal(pg.n, 1);
	assert_int_equal(out[0].id, ids[2]);
	q.a = 0;
	q.b = N("+8613900000004"); /* is an A, not a B */
	assert_int_equal(pn_store_query(f->st, &q, out, 100, &pg), PN_STORE_NOT_FOUND);
	q.a = N("+8613900000004");
	q.b = N("+8613900000005");
	assert_int_equal(pn_store_query(f->st, &q, out, 100, &pg), PN_STORE_OK);
	/* modify: change B to a number used elsewhere on X -> USER_ON_X; to a new one -> ok */
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AXB_MODIFY, "app1");
	op.id = ids[2];
	op.set_mask = PN_SET_B | PN_SET_DURATION;
	op.b.b = N("+8613900000007");
	op.b.duration_s = 100;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_USER_ON_X);
	op.b.b = N("+8613700000000");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.b, N("+8613700000000"));
	assert_int_equal(r.b.expires_ms, atomic_load(&fake_now) + 100000);
	/* the old B is free again, the new B is indexed */
	assert_int_equal(axb(f->st, "app1", X, "+8613900000005", "+8613600000000", &r),
	                 PN_STORE_OK);
	q.a = 0;
	q.b = N("+8613700000000");
	assert_int_equal(pn_store_query(f->st, &q, out, 100, &pg), PN_STORE_OK);
	assert_int_equal(out[0].id, ids[2]);
	/* the changelog has a PUT with the new value */
	struct pn_change c;
	/* unbind by id, then by id again */
	op_init(&op, PN_STORE_OP_AXB_UNBIND, "app1");
	op.id = ids[0];
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(log_get(f->st, r.seq, &c), 1);
	assert_int_equal(c.op, PN_CHANGE_DEL);
	assert_int_equal(c.b.id, ids[0]);
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_NOT_FOUND);
	/* another app cannot unbind it */
	mk_app(f->st, "app2", PN_MODE_AXB);
	op_init(&op, PN_STORE_OP_AXB_UNBIND, "app2");
	op.id = ids[1];
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_NOT_FOUND);
	/* unbind all on X */
	op_init(&op, PN_STORE_OP_AXB_UNBIND, "app1");
	op.sel_x = N(X);
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.count, 30); /* 29 left + the one bound after the modify */
	q.a = q.b = 0;
	assert_int_equal(pn_store_query(f->st, &q, out, 100, &pg), PN_STORE_NOT_FOUND);
	struct pn_store_num n;
	assert_int_equal(pn_store_num_get(f->st, N(X), &n), PN_STORE_OK);
	assert_int_equal(n.relations, 0);
}

struct many {
	atomic_int ok, other;
	atomic_int done;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want;
	atomic_int rc_count[32];
};

static void many_cb(void *arg, const struct pn_store_op *op, const struct pn_store_result *res)
{
	(void)op;
	struct many *m = arg;
	if (res->rc == PN_STORE_OK)
		atomic_fetch_add(&m->ok, 1);
	else
		atomic_fetch_add(&m->other, 1);
	if (res->rc >= 0 && res->rc < 32)
		atomic_fetch_add(&m->rc_count[res->rc], 1);
	pthread_mutex_lock(&m->mu);
	if (atomic_fetch_add(&m->done, 1) + 1 == m->want)
		pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

static void many_wait(struct many *m)
{
	pthread_mutex_lock(&m->mu);
	while (atomic_load(&m->done) < m->want)
		pthread_cond_wait(&m->cv, &m->mu);
	pthread_mutex_unlock(&m->mu);
}

static void test_store_axb_x_full(void **state)
{
	struct fx *f = *state;
	mk_app(f->st, "full", PN_MODE_AXB);
	add_num(f->st, "full", "+8602000000001", "020");
	struct many m = {.want = 5001};
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	char a[32], b[32];
	for (int i = 0; i < 5001; i++) {
		struct pn_store_op op;
		op_init(&op, PN_STORE_OP_AXB_BIND, "full");
		op.b.x = N("+8602000000001");
		snprintf(a, sizeof(a), "+86150%08d", i);
		snprintf(b, sizeof(b), "+86151%08d", i);
		op.b.a = N(a);
		op.b.b = N(b);
		while (pn_store_submit(f->st, &op, many_cb, &m) == PN_EAGAIN)
			usleep(1000);
	}
	many_wait(&m);
	assert_int_equal(atomic_load(&m.ok), 5000);
	assert_int_equal(atomic_load(&m.rc_count[PN_STORE_X_FULL]), 1);
	/* auto selection finds no free X either */
	struct pn_store_result r;
	assert_int_equal(axb(f->st, "full", NULL, "+8613100000001", "+8613100000002", &r),
	                 PN_STORE_X_NO_FREE);
	struct pn_store_stats s;
	pn_store_stats_get(f->st, &s);
	assert_true(s.rounds < s.ops); /* rounds were grouped */
	pthread_mutex_destroy(&m.mu);
	pthread_cond_destroy(&m.cv);
}

static void test_store_area_selection(void **state)
{
	struct fx *f = *state;
	struct pn_store_result r;
	struct pn_store_op op;
	mk_app(f->st, "area", PN_MODE_AXB);
	add_num(f->st, "area", "+8675700000001", "0757"); /* Foshan, Guangdong */
	add_num(f->st, "area", "+8602100000001", "021");  /* Shanghai */
	op_init(&op, PN_STORE_OP_AXB_BIND, "area");
	op.b.a = N("+8613800000001");
	op.b.b = N("+8613800000002");
	/* strict: Shenzhen has no X */
	snprintf(op.area_code, sizeof(op.area_code), "0755");
	op.area_mode = 0;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_X_NO_FREE);
	/* loose: same province (Foshan) before any other */
	op.area_mode = 1;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.x, N("+8675700000001"));
	/* loose from Beijing: no province match, any X that is free: Foshan's X has A already,
	 * so a binding with the same A goes to Shanghai */
	snprintf(op.area_code, sizeof(op.area_code), "010");
	op.b.b = N("+8613800000003");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.x, N("+8602100000001"));
	/* strict by area of A (a Shanghai fixed line): Shanghai X */
	op.area_code[0] = 0;
	op.area_mode = 0;
	op.b.a = N("+862155550000");
	op.b.b = N("+8613800000009");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.x, N("+8602100000001"));
	/* mobile A, no area: any X */
	op.b.a = N("+8613900000001");
	op.b.b = N("+8613900000002");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	/* both X now carry A=+8613800000001: a fourth bind with it finds nothing */
	op.b.a = N("+8613800000001");
	op.b.b = N("+8613800000004");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_X_NO_FREE);
}

/* ---- AX ---- */

static void test_store_ax_invariants(void **state)
{
	struct fx *f = *state;
	struct pn_store_result r;
	mk_app(f->st, "ax", PN_MODE_AX);
	char x[32];
	for (int i = 0; i < 7; i++) {
		snprintf(x, sizeof(x), "+861700000000%d", i);
		add_num(f->st, "ax", x, "0755");
	}
	assert_int_equal(ax(f->st, "ax", "+8617000000000", "+8613800000001", &r), PN_STORE_OK);
	uint64_t id0 = r.b.id;
	assert_int_equal(ax(f->st, "ax", "+8617000000000", "+8613800000001", &r), PN_STORE_EXISTS);
	assert_int_equal(ax(f->st, "ax", "+8617000000000", "+8613800000002", &r),
	                 PN_STORE_X_BOUND_OTHER_A);
	/* at most 5 X per A (auto selection) */
	for (int i = 0; i < 4; i++)
		assert_int_equal(ax(f->st, "ax", NULL, "+8613800000001", &r), PN_STORE_OK);
	assert_int_equal(ax(f->st, "ax", NULL, "+8613800000001", &r), PN_STORE_TOO_MANY_X_FOR_A);
	assert_int_equal(ax(f->st, "ax", "+8617000000006", "+8613800000001", &r),
	                 PN_STORE_TOO_MANY_X_FOR_A);
	/* query by A: 5 X */
	struct pn_binding out[10];
	struct pn_store_page pg;
	struct pn_store_query q = {.app_key = "ax", .mode = PN_MODE_AX, .a = N("+8613800000001")};
	assert_int_equal(pn_store_query(f->st, &q, out, 10, &pg), PN_STORE_OK);
	assert_int_equal(pg.n, 5);
	/* temporary callee: range, default 60 s, expiry */
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AX_SET_CALLEE, "ax");
	op.sel_a = N("+8613800000001");
	op.sel_x = N("+8617000000000");
	op.b.b = N("+8613800000001");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EINVAL); /* callee == A */
	op.b.b = N("+8613999999999");
	op.callee_duration_s = 259201;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EINVAL);
	assert_string_equal(r.field, "duration");
	op.callee_duration_s = 0;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.id, id0);
	assert_int_equal(r.b.b_expires_ms, atomic_load(&fake_now) + 60000);
	struct pn_binding b;
	assert_int_equal(pn_store_get(f->st, "ax", id0, &b), PN_STORE_OK);
	assert_int_equal(b.b, N("+8613999999999"));
	atomic_fetch_add(&fake_now, 60000);
	assert_int_equal(pn_store_get(f->st, "ax", id0, &b), PN_STORE_OK);
	assert_int_equal(b.b, 0); /* expired callee reads as none before the sweep */
	uint64_t seq0 = pn_store_last_seq(f->st);
	assert_int_equal(pn_store_sweep(f->st), 1);
	assert_int_equal(pn_store_last_seq(f->st), seq0 + 1);
	struct pn_change c;
	assert_int_equal(log_get(f->st, seq0 + 1, &c), 1);
	assert_int_equal(c.op, PN_CHANGE_PUT);
	assert_int_equal(c.b.id, id0);
	assert_int_equal(c.b.b, 0);
	/* modify A: the new A must have room */
	op_init(&op, PN_STORE_OP_AX_MODIFY, "ax");
	op.id = id0;
	op.set_mask = PN_SET_A | PN_SET_RECORD;
	op.b.a = N("+8613800000777");
	op.b.record = 1;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.a, N("+8613800000777"));
	assert_int_equal(r.b.record, 1);
	/* A freed one X: now +8613800000001 can take X6 */
	assert_int_equal(ax(f->st, "ax", "+8617000000006", "+8613800000001", &r), PN_STORE_OK);
	/* unbind by A + X */
	op_init(&op, PN_STORE_OP_AX_UNBIND, "ax");
	op.sel_a = N("+8613800000777");
	op.sel_x = N("+8617000000000");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_NOT_FOUND);
	assert_int_equal(ax(f->st, "ax", "+8617000000000", "+8613800000002", &r), PN_STORE_OK);
}

/* ---- AXE ---- */

static void test_store_axe(void **state)
{
	struct fx *f = *state;
	struct pn_store_result r;
	mk_app(f->st, "axe", PN_MODE_AXE);
	struct pn_store_op op;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_APP_UPDATE;
	snprintf(op.app.app_key, sizeof(op.app.app_key), "axe");
	op.app.ext_len = 1;
	op.set_mask = PN_APP_SET_EXT;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	add_num(f->st, "axe", "+8602300000001", "023");
	char a[32];
	/* explicit extension 5 */
	op_init(&op, PN_STORE_OP_AXE_BIND, "axe");
	op.b.x = N("+8602300000001");
	op.b.a = N("+8613000000000");
	op.b.ext_len = 1;
	op.b.ext = 5;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.ext, 5);
	/* the same A on X again, the same extension for another A */
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EXISTS);
	op.b.a = N("+8613000000001");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EXT_TAKEN);
	op.b.ext_len = 2; /* app says 1 digit */
	op.b.ext = 12;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EINVAL);
	assert_string_equal(r.field, "extendNum");
	/* callbackTone + callbackNum together */
	op.b.ext_len = 0;
	op.b.callback_num = N("+8613000000099");
	snprintf(op.b.callback_tone, sizeof(op.b.callback_tone), "cb.wav");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EINVAL);
	assert_string_equal(r.field, "callbackNum");
	op.b.callback_tone[0] = 0;
	/* auto: 1..9 minus 5 -> 8 more, lowest first */
	for (int i = 1; i <= 8; i++) {
		snprintf(a, sizeof(a), "+861300000%04d", i);
		op.b.a = N(a);
		op.b.time_unit = 1;
		op.b.bind_expired_time = (uint32_t)i;
		assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
		assert_int_equal(r.b.ext, i < 5 ? i : i + 1);
		atomic_fetch_add(&fake_now, 1);
	}
	op.b.a = N("+8613000009999");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_NO_EXT_FREE);
	op.b.x = 0; /* auto X: none has an extension left */
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_NO_EXT_FREE);
	/* query v1 by X+E */
	struct pn_binding out[20];
	struct pn_store_page pg;
	struct pn_store_query q = {.app_key = "axe",
	                           .mode = PN_MODE_AXE,
	                           .x = N("+8602300000001"),
	                           .ext = 5,
	                           .ext_set = 1};
	assert_int_equal(pn_store_query(f->st, &q, out, 20, &pg), PN_STORE_OK);
	assert_int_equal(out[0].a, N("+8613000000000"));
	/* v2 cursor paging, 4 per page over 9 bindings */
	q.ext_set = 0;
	q.x = 0;
	q.cursor = "0000000000000_0";
	q.page_size = 4;
	int total = 0, pages = 0;
	char cur[40];
	uint64_t prev = 0;
	for (;;) {
		assert_int_equal(pn_store_query(f->st, &q, out, 20, &pg), PN_STORE_OK);
		for (uint32_t i = 0; i < pg.n; i++) {
			assert_true(out[i].id > prev); /* created order == id order here */
			prev = out[i].id;
		}
		total += (int)pg.n;
		pages++;
		if (!pg.next_cursor[0])
			break;
		snprintf(cur, sizeof(cur), "%s", pg.next_cursor);
		q.cursor = cur;
	}
	assert_int_equal(total, 9);
	assert_int_equal(pages, 3);
	q.cursor = "12_3";
	assert_int_equal(pn_store_query(f->st, &q, out, 20, &pg), PN_STORE_EINVAL);
	/* expiry in minutes: binding 1 expires after 1 minute */
	atomic_fetch_add(&fake_now, 60000);
	q.cursor = "0000000000000_0";
	q.page_size = 50;
	assert_int_equal(pn_store_query(f->st, &q, out, 20, &pg), PN_STORE_OK);
	assert_int_equal(pg.n, 8);
	/* unbind by X + E, and the extension is free again */
	op_init(&op, PN_STORE_OP_AXE_UNBIND, "axe");
	op.sel_x = N("+8602300000001");
	op.sel_ext = 5;
	op.sel_ext_set = 1;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	op_init(&op, PN_STORE_OP_AXE_BIND, "axe");
	op.b.x = N("+8602300000001");
	op.b.a = N("+8613000009999");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.ext, 1); /* the expired binding's extension 1 was reclaimed first */
}

/* ---- AXYB ---- */

static void test_store_axyb(void **state)
{
	struct fx *f = *state;
	struct pn_store_result r;
	mk_app(f->st, "xy", PN_MODE_AXYB);
	add_num(f->st, "xy", "+8602400000001", "024");
	add_num(f->st, "xy", "+8602400000002", "024");
	add_num(f->st, "xy", "+8602400000003", "024");
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AXYB_BIND_AX, "xy");
	op.b.a = N("+8613800000001");
	op.b.duration_s = 30;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_EINVAL);
	assert_string_equal(r.field, "duration");
	op.b.duration_s = 3600;
	op.b.yb_duration_s = 7200; /* clamped to duration */
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	struct pn_binding axp = r.b;
	assert_int_equal(axp.yb_duration_s, 3600);
	assert_int_equal(axp.x, N("+8602400000001"));
	/* YB: Y is never the AX part's X */
	op_init(&op, PN_STORE_OP_AXYB_BIND_YB, "xy");
	op.id = axp.id;
	op.b.a = N("+8613900000001");
	op.b.yb_duration_s = 600;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	struct pn_binding yb1 = r.b;
	assert_int_equal(yb1.mode, PN_MODE_YB);
	assert_int_equal(yb1.parent_id, axp.id);
	assert_int_equal(yb1.x, N("+8602400000002"));
	assert_int_equal(yb1.b, axp.a);
	assert_int_equal(yb1.expires_ms, atomic_load(&fake_now) + 600000);
	/* the same B again for this AX: (Y, B) taken on Y2 and Y2 already used by this AX ->
	 * Y3 is the only candidate */
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.x, N("+8602400000003"));
	/* explicit Y2 for another B of the same AX: Y not twice for the same AX */
	op.b.x = N("+8602400000002");
	op.b.a = N("+8613900000002");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_X_BOUND_OTHER_A);
	/* an AX part cannot take a number that carries YB relations */
	struct pn_store_op o2;
	op_init(&o2, PN_STORE_OP_AXYB_BIND_AX, "xy");
	o2.b.a = N("+8613800000002");
	o2.b.x = N("+8602400000002");
	assert_int_equal(pn_store_exec(f->st, &o2, &r), PN_STORE_X_BOUND_OTHER_A);
	/* a second AX part (A2 on X... none free: X1 owned, Y2/Y3 carry YB) */
	o2.b.x = 0;
	assert_int_equal(pn_store_exec(f->st, &o2, &r), PN_STORE_X_NO_FREE);
	/* query by X: AX part then 2 YB */
	struct pn_binding out[10];
	struct pn_store_page pg;
	struct pn_store_query q = {.app_key = "xy", .mode = PN_MODE_AXYB, .x = N("+8602400000001")};
	assert_int_equal(pn_store_query(f->st, &q, out, 10, &pg), PN_STORE_OK);
	assert_int_equal(pg.n, 3);
	assert_int_equal(out[0].id, axp.id);
	/* unbind one YB by Y */
	op_init(&op, PN_STORE_OP_AXYB_UNBIND, "xy");
	op.id = axp.id;
	op.sel_y = N("+8602400000003");
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.b.x, N("+8602400000003"));
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_NOT_FOUND);
	/* unbind all: AX part + remaining YB, each with a DEL record */
	uint64_t s0 = pn_store_last_seq(f->st);
	op.sel_y = 0;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(r.count, 2);
	assert_int_equal(pn_store_last_seq(f->st), s0 + 2);
	struct pn_change c;
	assert_int_equal(log_get(f->st, s0 + 1, &c), 1);
	assert_int_equal(c.op, PN_CHANGE_DEL);
	assert_int_equal(c.b.id, yb1.id);
	assert_int_equal(log_get(f->st, s0 + 2, &c), 1);
	assert_int_equal(c.b.id, axp.id);
	struct pn_store_num n;
	assert_int_equal(pn_store_num_get(f->st, N("+8602400000002"), &n), PN_STORE_OK);
	assert_int_equal(n.relations, 0);
}

static void test_store_y_relations_limit(void **state)
{
	struct fx *f = *state;
	mk_app(f->st, "xy", PN_MODE_AXYB);
	add_num(f->st, "xy", "+8602500000000", "025");
	add_num(f->st, "xy", "+8602500009999", "025"); /* the single Y */
	/* A Y serves an AX part at most once, so 1001 relations on one Y need 1001 AX parts:
	 * 1001 X, each AX part with one YB on the same Y; the 1001st is refused. */
	char x[32], a[32];
	for (int i = 1; i <= 1001; i++) {
		snprintf(x, sizeof(x), "+86026%08d", i);
		add_num(f->st, "xy", x, "026");
	}
	struct many m = {.want = 2002};
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	for (int i = 1; i <= 1001; i++) {
		struct pn_store_op op;
		op_init(&op, PN_STORE_OP_AXYB_BIND_AX, "xy");
		snprintf(x, sizeof(x), "+86026%08d", i);
		snprintf(a, sizeof(a), "+86131%08d", i);
		op.b.x = N(x);
		op.b.a = N(a);
		assert_int_equal(pn_store_submit(f->st, &op, many_cb, &m), 0);
	}
	/* wait for the AX parts, then look their ids up through queries */
	while (atomic_load(&m.done) < 1001)
		usleep(1000);
	for (int i = 1; i <= 1001; i++) {
		struct pn_binding out[2];
		struct pn_store_page pg;
		snprintf(x, sizeof(x), "+86026%08d", i);
		struct pn_store_query q = {.app_key = "xy", .mode = PN_MODE_AXYB, .x = N(x)};
		assert_int_equal(pn_store_query(f->st, &q, out, 2, &pg), PN_STORE_OK);
		struct pn_store_op op;
		op_init(&op, PN_STORE_OP_AXYB_BIND_YB, "xy");
		op.id = out[0].id;
		op.b.x = N("+8602500009999");
		snprintf(a, sizeof(a), "+86132%08d", i);
		op.b.a = N(a);
		assert_int_equal(pn_store_submit(f->st, &op, many_cb, &m), 0);
	}
	many_wait(&m);
	assert_int_equal(atomic_load(&m.ok), 2001);
	assert_int_equal(atomic_load(&m.rc_count[PN_STORE_X_FULL]), 1);
	pthread_mutex_destroy(&m.mu);
	pthread_cond_destroy(&m.cv);
}

/* ---- group commit with concurrent submitters ---- */

struct thr {
	struct pn_store *st;
	int t;
	int per;
	uint64_t *ids;
	int bad;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	char a[32], b[32];
	for (int i = 0; i < t->per; i++) {
		struct pn_store_op op;
		op_init(&op, PN_STORE_OP_AXB_BIND, "gc");
		snprintf(a, sizeof(a), "+8614%d%07d", t->t, i);
		snprintf(b, sizeof(b), "+8615%d%07d", t->t, i);
		op.b.a = N(a);
		op.b.b = N(b);
		struct pn_store_result r;
		if (pn_store_exec(t->st, &op, &r) != PN_STORE_OK || r.b.a != op.b.a ||
		    r.b.b != op.b.b)
			t->bad++;
		t->ids[i] = r.b.id;
	}
	return NULL;
}

struct race_ctx {
	struct pn_store *st;
	atomic_int ok, dup;
};

static void *race_main(void *arg)
{
	struct race_ctx *c = arg;
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AXB_BIND, "gc");
	op.b.x = N("+8603100000000");
	op.b.a = N("+8613300000001");
	op.b.b = N("+8613300000002");
	struct pn_store_result r;
	int rc = pn_store_exec(c->st, &op, &r);
	if (rc == PN_STORE_OK)
		atomic_fetch_add(&c->ok, 1);
	else if (rc == PN_STORE_PAIR_EXISTS)
		atomic_fetch_add(&c->dup, 1);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_store_group_commit_concurrent(void **state)
{
	struct fx *f = *state;
	mk_app(f->st, "gc", PN_MODE_AXB);
	char x[32];
	for (int i = 0; i < 10; i++) {
		snprintf(x, sizeof(x), "+86031000000%02d", i);
		add_num(f->st, "gc", x, "031");
	}
	enum { T = 8, PER = 300 };
	pthread_t th[T];
	struct thr ts[T];
	uint64_t *all = calloc(T * PER, sizeof(uint64_t));
	struct pn_store_stats s0, s1;
	pn_store_stats_get(f->st, &s0);
	for (int i = 0; i < T; i++) {
		ts[i] = (struct thr){.st = f->st, .t = i, .per = PER, .ids = all + i * PER};
		pthread_create(&th[i], NULL, thr_main, &ts[i]);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ts[i].bad, 0);
	}
	pn_store_stats_get(f->st, &s1);
	/* ids unique */
	qsort(all, T * PER, sizeof(uint64_t), cmp_u64);
	for (int i = 1; i < T * PER; i++)
		assert_true(all[i] != all[i - 1]);
	/* grouping happened: fewer sync writes than ops */
	assert_true(s1.rounds - s0.rounds < s1.ops - s0.ops);
	assert_true(s1.max_round > 1);
	/* every binding is in the changelog, seqs gap-free */
	assert_int_equal(pn_store_last_seq(f->st), T * PER);
	/* racing identical binds: exactly one wins */
	struct race_ctx rc = {.st = f->st};
	pthread_t rt[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&rt[i], NULL, race_main, &rc);
	for (int i = 0; i < 8; i++)
		pthread_join(rt[i], NULL);
	assert_int_equal(atomic_load(&rc.ok), 1);
	assert_int_equal(atomic_load(&rc.dup), 7);
	free(all);
}

/* ---- crash consistency ---- */

static void test_store_crash_consistency(void **state)
{
	struct fx *f = *state;
	mk_app(f->st, "crash", PN_MODE_AXB);
	add_num(f->st, "crash", "+8603200000001", "032");
	pn_store_close(f->st);
	f->st = NULL;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	enum { NB = 200 };
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		struct pn_store *st;
		if (pn_store_open(&f->cfg, &st) != 0)
			_exit(2);
		char a[32], b[32];
		for (int i = 0; i < NB; i++) {
			struct pn_store_op op;
			op_init(&op, PN_STORE_OP_AXB_BIND, "crash");
			op.b.x = N("+8603200000001");
			snprintf(a, sizeof(a), "+86134%08d", i);
			snprintf(b, sizeof(b), "+86135%08d", i);
			op.b.a = N(a);
			op.b.b = N(b);
			struct pn_store_result r;
			if (pn_store_exec(st, &op, &r) != PN_STORE_OK)
				_exit(3);
			uint64_t rec[2] = {r.b.id, r.seq};
			if (write(pfd[1], rec, sizeof(rec)) != sizeof(rec))
				_exit(4);
		}
		/* acknowledged: die without any clean shutdown */
		kill(getpid(), SIGKILL);
		_exit(5);
	}
	close(pfd[1]);
	uint64_t recs[NB][2];
	size_t got = 0;
	for (;;) {
		ssize_t n = read(pfd[0], (char *)recs + got, sizeof(recs) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(pfd[0]);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(got, sizeof(recs));
	fx_open(f);
	for (int i = 0; i < NB; i++) {
		struct pn_binding b;
		assert_int_equal(pn_store_get(f->st, "crash", recs[i][0], &b), PN_STORE_OK);
		/* the (X, A) index */
		struct pn_binding out[1];
		struct pn_store_page pg;
		struct pn_store_query q = {
		    .app_key = "crash", .mode = PN_MODE_AXB, .x = N("+8603200000001"), .a = b.a};
		assert_int_equal(pn_store_query(f->st, &q, out, 1, &pg), PN_STORE_OK);
		assert_int_equal(out[0].id, recs[i][0]);
		/* the changelog record */
		struct pn_change c;
		assert_int_equal(log_get(f->st, recs[i][1], &c), 1);
		assert_int_equal(c.op, PN_CHANGE_PUT);
		assert_int_equal(c.b.id, recs[i][0]);
	}
	/* next id and seq continue after the acknowledged ones */
	struct pn_store_result r;
	assert_int_equal(
	    axb(f->st, "crash", "+8603200000001", "+8613600000001", "+8613600000002", &r),
	    PN_STORE_OK);
	assert_true(r.b.id > recs[NB - 1][0]);
	assert_true(r.seq > recs[NB - 1][1]);
}

/* ---- expiry with the sweeper thread ---- */

static void test_store_expiry_exact(void **state)
{
	struct fx *f = *state;
	pn_store_close(f->st);
	f->cfg.no_sweeper = 0;
	fx_open(f);
	mk_app(f->st, "exp", PN_MODE_AXB);
	add_num(f->st, "exp", "+8603300000001", "033");
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AXB_BIND, "exp");
	op.b.x = N("+8603300000001");
	op.b.a = N("+8613700000001");
	op.b.b = N("+8613700000002");
	op.b.duration_s = 10;
	struct pn_store_result r;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	uint64_t id = r.b.id, seq = r.seq;
	int64_t t0 = atomic_load(&fake_now);
	atomic_store(&fake_now, t0 + 9999);
	pn_store_sweeper_kick(f->st);
	usleep(50000);
	struct pn_binding b;
	assert_int_equal(pn_store_get(f->st, "exp", id, &b), PN_STORE_OK);
	assert_int_equal(pn_store_last_seq(f->st), seq);
	atomic_store(&fake_now, t0 + 10000);
	/* absent for reads at the exact time, even before the sweep */
	assert_int_equal(pn_store_get(f->st, "exp", id, &b), PN_STORE_NOT_FOUND);
	pn_store_sweeper_kick(f->st);
	for (int i = 0; i < 200 && pn_store_last_seq(f->st) == seq; i++)
		usleep(10000);
	assert_int_equal(pn_store_last_seq(f->st), seq + 1);
	struct pn_change c;
	assert_int_equal(log_get(f->st, seq + 1, &c), 1);
	assert_int_equal(c.op, PN_CHANGE_DEL);
	assert_int_equal(c.b.id, id);
	struct pn_store_stats s;
	pn_store_stats_get(f->st, &s);
	assert_int_equal(s.expired, 1);
	/* the pair is free again */
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	/* an expired binding in the way of a bind is removed inline, with its DEL record */
	uint64_t id2 = r.b.id;
	pn_store_close(f->st);
	f->cfg.no_sweeper = 1;
	fx_open(f);
	atomic_fetch_add(&fake_now, 10000);
	uint64_t s0 = pn_store_last_seq(f->st);
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	assert_int_equal(pn_store_last_seq(f->st), s0 + 2);
	assert_int_equal(log_get(f->st, s0 + 1, &c), 1);
	assert_int_equal(c.op, PN_CHANGE_DEL);
	assert_int_equal(c.b.id, id2);
}

/* ---- changelog trim, snapshot ---- */

static int snap_cb(void *arg, const struct pn_binding *b)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

static void test_store_changelog_trim_snapshot(void **state)
{
	struct fx *f = *state;
	pn_store_close(f->st);
	f->cfg.changelog_cap = 50;
	f->cfg.changelog_keep_min = 10;
	fx_open(f);
	mk_app(f->st, "tr", PN_MODE_AXB);
	add_num(f->st, "tr", "+8603400000001", "034");
	struct pn_store_result r;
	char a[32], b[32];
	for (int i = 0; i < 80; i++) {
		snprintf(a, sizeof(a), "+86136%08d", i);
		snprintf(b, sizeof(b), "+86137%08d", i);
		assert_int_equal(axb(f->st, "tr", "+8603400000001", a, b, &r), PN_STORE_OK);
	}
	/* the cap keeps 50 records (trim runs right after the round's callbacks) */
	assert_int_equal(pn_store_last_seq(f->st), 80);
	for (int i = 0; i < 100 && pn_store_first_seq(f->st) != 31; i++)
		usleep(10000);
	assert_int_equal(pn_store_first_seq(f->st), 31);
	struct pn_change c;
	assert_int_equal(log_get(f->st, 30, &c), -PN_STORE_TRIMMED);
	assert_int_equal(log_get(f->st, 31, &c), 1);
	assert_int_equal(c.seq, 31);
	/* ack-based trim keeps keep_min */
	pn_store_changelog_trim(f->st, 79);
	assert_int_equal(axb(f->st, "tr", "+8603400000001", "+8613800000001", "+8613800000002", &r),
	                 PN_STORE_OK);
	for (int i = 0; i < 100 && pn_store_first_seq(f->st) != 72; i++)
		usleep(10000);
	assert_int_equal(pn_store_first_seq(f->st), 81 - 10 + 1);
	/* snapshot: 81 live bindings at seq 81 */
	int n = 0;
	uint64_t seq = 0;
	assert_int_equal(pn_store_snapshot_iterate(f->st, &seq, snap_cb, &n), 0);
	assert_int_equal(n, 81);
	assert_int_equal(seq, 81);
	/* reopen: first/last recovered */
	pn_store_close(f->st);
	fx_open(f);
	assert_int_equal(pn_store_last_seq(f->st), 81);
	assert_int_equal(pn_store_first_seq(f->st), 72);
	/* admin reads */
	struct pn_store_app apps[4];
	assert_int_equal(pn_store_app_list(f->st, "", apps, 4), 1);
	assert_string_equal(apps[0].app_key, "tr");
	assert_int_equal(strlen(apps[0].app_secret), 32);
	struct pn_store_num nums[4];
	assert_int_equal(pn_store_num_list(f->st, "tr", 0, nums, 4), 1);
	assert_int_equal(nums[0].relations, 81);
}

/* ---- rollback of a failed op inside a round, and the number-status hook ---- */

static atomic_int hook_calls;
static struct pn_store_num hook_after;
static void on_num_status(void *arg, const struct pn_store_num *before,
                          const struct pn_store_num *after)
{
	(void)arg;
	(void)before;
	hook_after = *after;
	atomic_fetch_add(&hook_calls, 1);
}

static void test_store_failed_op_rolls_back(void **state)
{
	struct fx *f = *state;
	pn_store_close(f->st);
	f->cfg.on_num_status = on_num_status;
	fx_open(f);
	atomic_store(&hook_calls, 0);
	mk_app(f->st, "rb", PN_MODE_AXB);
	add_num(f->st, "rb", "+8603500000001", "035");
	struct pn_store_result r;
	struct pn_store_op op;
	/* A1-B1 expires in 10 s; A2-B2 lives */
	op_init(&op, PN_STORE_OP_AXB_BIND, "rb");
	op.b.x = N("+8603500000001");
	op.b.a = N("+8613800000001");
	op.b.b = N("+8613800000002");
	op.b.duration_s = 10;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	uint64_t expired_id = r.b.id;
	assert_int_equal(axb(f->st, "rb", "+8603500000001", "+8613800000003", "+8613800000004", &r),
	                 PN_STORE_OK);
	atomic_fetch_add(&fake_now, 10000);
	uint64_t s0 = pn_store_last_seq(f->st);
	/* one round: ok bind, a bind that first removes the expired A1 binding (a write) and then
	 * fails on B = A2 (USER_ON_X), another ok bind */
	struct many m = {.want = 3};
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	struct pn_store_op ops[3];
	op_init(&ops[0], PN_STORE_OP_AXB_BIND, "rb");
	ops[0].b.x = N("+8603500000001");
	ops[0].b.a = N("+8613800000010");
	ops[0].b.b = N("+8613800000011");
	op_init(&ops[1], PN_STORE_OP_AXB_BIND, "rb");
	ops[1].b.x = N("+8603500000001");
	ops[1].b.a = N("+8613800000001");
	ops[1].b.b = N("+8613800000003");
	ops[2] = ops[0];
	ops[2].b.a = N("+8613800000012");
	ops[2].b.b = N("+8613800000013");
	for (int i = 0; i < 3; i++)
		assert_int_equal(pn_store_submit(f->st, &ops[i], many_cb, &m), 0);
	many_wait(&m);
	assert_int_equal(atomic_load(&m.ok), 2);
	assert_int_equal(atomic_load(&m.rc_count[PN_STORE_USER_ON_X]), 1);
	/* only the two PUTs are in the log, contiguous: the rolled-back DEL left no seq */
	assert_int_equal(pn_store_last_seq(f->st), s0 + 2);
	struct pn_change c;
	assert_int_equal(log_get(f->st, s0 + 1, &c), 1);
	assert_int_equal(c.op, PN_CHANGE_PUT);
	assert_int_equal(c.b.a, N("+8613800000010"));
	assert_int_equal(log_get(f->st, s0 + 2, &c), 1);
	assert_int_equal(c.b.a, N("+8613800000012"));
	/* the expired binding is still there for the sweeper, which removes it now */
	assert_int_equal(pn_store_sweep(f->st), 1);
	assert_int_equal(log_get(f->st, s0 + 3, &c), 1);
	assert_int_equal(c.op, PN_CHANGE_DEL);
	assert_int_equal(c.b.id, expired_id);
	/* the number-status hook fires once per real change, after the commit */
	struct pn_store_op ns;
	memset(&ns, 0, sizeof(ns));
	ns.type = PN_STORE_OP_NUM_STATUS;
	ns.num.x = N("+8603500000001");
	ns.num.status = PN_NUM_UNAVAILABLE;
	ns.num.cause = 2;
	assert_int_equal(pn_store_exec(f->st, &ns, &r), PN_STORE_OK);
	assert_int_equal(atomic_load(&hook_calls), 1);
	assert_int_equal(hook_after.cause, 2);
	assert_int_equal(pn_store_exec(f->st, &ns, &r), PN_STORE_OK); /* unchanged: no hook */
	assert_int_equal(atomic_load(&hook_calls), 1);
	struct pn_store_num n;
	assert_int_equal(pn_store_num_get(f->st, N("+8603500000001"), &n), PN_STORE_OK);
	assert_int_equal(n.status, PN_NUM_UNAVAILABLE);
	assert_int_equal(n.relations, 3);
	pthread_mutex_destroy(&m.mu);
	pthread_cond_destroy(&m.cv);
}

/* A stale expiry entry (no binding behind it) must not wedge the sweeper. */
static void test_store_sweeper_drops_stale_entry(void **state)
{
	struct fx *f = *state;
	pn_store_close(f->st);
	f->st = NULL;
	rocksdb_options_t *o = rocksdb_options_create();
	char *err = NULL;
	rocksdb_t *db = rocksdb_open(o, f->dir, &err);
	assert_null(err);
	uint8_t k[18];
	k[0] = 't';
	uint64_t ms = (uint64_t)atomic_load(&fake_now) - 5, id = 424242;
	for (int i = 0; i < 8; i++) {
		k[1 + i] = (uint8_t)(ms >> (56 - 8 * i));
		k[9 + i] = (uint8_t)(id >> (56 - 8 * i));
	}
	k[17] = 0;
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_put(db, wo, (const char *)k, sizeof(k), "", 0, &err);
	assert_null(err);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_close(db);
	rocksdb_options_destroy(o);
	fx_open(f);
	uint64_t s0 = pn_store_last_seq(f->st);
	assert_int_equal(pn_store_sweep(f->st), 1);     /* submitted once, entry dropped */
	assert_int_equal(pn_store_sweep(f->st), 0);     /* nothing left */
	assert_int_equal(pn_store_last_seq(f->st), s0); /* no changelog record for it */
}

/* Auto selection resumes at the last chosen X and wraps around to the start of the pool. */
static void test_store_pick_wraps_around(void **state)
{
	struct fx *f = *state;
	struct pn_store_result r;
	mk_app(f->st, "wrap", PN_MODE_AX);
	add_num(f->st, "wrap", "+8603600000001", "036");
	add_num(f->st, "wrap", "+8603600000002", "036");
	add_num(f->st, "wrap", "+8603600000003", "036");
	uint64_t first = 0;
	for (int i = 1; i <= 3; i++) {
		char a[32];
		snprintf(a, sizeof(a), "+861380000000%d", i);
		assert_int_equal(ax(f->st, "wrap", NULL, a, &r), PN_STORE_OK);
		char x[32];
		snprintf(x, sizeof(x), "+860360000000%d", i);
		assert_int_equal(r.b.x, N(x)); /* in pool order */
		if (i == 1)
			first = r.b.id;
	}
	assert_int_equal(ax(f->st, "wrap", NULL, "+8613800000004", &r), PN_STORE_X_NO_FREE);
	struct pn_store_op op;
	op_init(&op, PN_STORE_OP_AX_UNBIND, "wrap");
	op.id = first;
	assert_int_equal(pn_store_exec(f->st, &op, &r), PN_STORE_OK);
	/* the hint is at X3: the scan wraps and finds X1 */
	assert_int_equal(ax(f->st, "wrap", NULL, "+8613800000004", &r), PN_STORE_OK);
	assert_int_equal(r.b.x, N("+8603600000001"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_store_axb_invariants, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_axb_modify_unbind_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_axb_x_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_area_selection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_ax_invariants, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_axe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_axyb, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_y_relations_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_group_commit_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_crash_consistency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_expiry_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_changelog_trim_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_failed_op_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_sweeper_drops_stale_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_pick_wraps_around, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
