/*
 * test_sync.c: dataplane/io/pn_sync against the real control side: a RocksDB store
 * (storage/pn_store) and the change-stream server (control/pn_stream_server) on a UNIX socket
 * in a temporary directory. Binds, modifies and unbinds go through the store; the test then
 * waits for the replica to apply them and looks the keys up as a QSBR reader.
 *
 * Cases: follow the stream (and the bind-to-routable latency), reconnect after the server
 * restarts (catch-up from the log), RESYNC when the log was trimmed past the replica (snapshot
 * in place drops a binding the store no longer has), backoff while the server is absent.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <urcu/urcu-qsbr.h>

#include "pn_io.h"
#include "pn_number.h"
#include "pn_replica.h"
#include "pn_store.h"
#include "pn_stream_server.h"
#include "pn_sync.h"

static _Atomic(struct pn_stream_server *) g_srv;

static void on_commit(void *arg, uint64_t seq)
{
	(void)arg;
	pn_stream_server_notify(atomic_load(&g_srv), seq);
}

static pn_num_t N(const char *s)
{
	pn_num_t n = pn_num_pack(s, strlen(s));
	assert_true(n != PN_NUM_NONE);
	return n;
}

struct fx {
	char dir[64];
	char sock[96];
	struct pn_store *st;
	struct pn_stream_server *srv;
	struct pn_replica *r;
	struct pn_sync *sync;
};

static int rm_cb(const char *p, const struct stat *sb, int t, struct FTW *f)
{
	(void)sb;
	(void)t;
	(void)f;
	return remove(p);
}

static void server_start(struct fx *x)
{
	struct pn_stream_server_config sc = {.socket_path = x->sock};
	assert_int_equal(pn_stream_server_start(x->st, &sc, &x->srv), 0);
	atomic_store(&g_srv, x->srv);
}

static void server_stop(struct fx *x)
{
	atomic_store(&g_srv, NULL);
	pn_stream_server_stop(x->srv);
	x->srv = NULL;
}

static void fx_open(struct fx *x, size_t cap, size_t keep)
{
	snprintf(x->dir, sizeof(x->dir), "/tmp/pn-test-sync-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->sock, sizeof(x->sock), "%s/stream.sock", x->dir);
	char db[96];
	snprintf(db, sizeof(db), "%s/db", x->dir);
	struct pn_store_config cfg = {.path = db,
	                              .no_sweeper = 1,
	                              .on_commit = on_commit,
	                              .changelog_cap = cap,
	                              .changelog_keep_min = keep};
	assert_int_equal(pn_store_open(&cfg, &x->st), 0);
	server_start(x);
	struct pn_store_op op;
	struct pn_store_result res;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_APP_CREATE;
	snprintf(op.app.app_key, sizeof(op.app.app_key), "sy");
	op.app.mode = PN_MODE_AXB;
	assert_int_equal(pn_store_exec(x->st, &op, &res), PN_STORE_OK);
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_NUM_ADD;
	op.num.x = N("+8675500000001");
	snprintf(op.num.app_key, sizeof(op.num.app_key), "sy");
	assert_int_equal(pn_store_exec(x->st, &op, &res), PN_STORE_OK);
	struct pn_replica_config rc = {.seed = {1, 2}};
	x->r = pn_replica_create(&rc);
	assert_non_null(x->r);
}

static void sync_start(struct fx *x)
{
	struct pn_sync_config c = {
	    .socket_path = x->sock, .replica = x->r, .backoff_min_ms = 10, .backoff_max_ms = 200};
	assert_int_equal(pn_sync_create(&c, &x->sync), 0);
}

static void fx_close(struct fx *x)
{
	pn_sync_destroy(x->sync);
	if (x->srv)
		server_stop(x);
	pn_store_close(x->st);
	pn_replica_destroy(x->r);
	nftw(x->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Bind AXB (X, A_i, B_i) through the store. Returns the changelog seq, *id the binding id. */
static uint64_t bind_pair(struct fx *x, int i, uint64_t *id)
{
	struct pn_store_op op;
	struct pn_store_result res;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_AXB_BIND;
	snprintf(op.app_key, sizeof(op.app_key), "sy");
	char a[32], b[32];
	snprintf(a, sizeof(a), "+86138%08d", i);
	snprintf(b, sizeof(b), "+86139%08d", i);
	op.b.x = N("+8675500000001");
	op.b.a = N(a);
	op.b.b = N(b);
	op.b.max_duration_min = 7;
	assert_int_equal(pn_store_exec(x->st, &op, &res), PN_STORE_OK);
	if (id)
		*id = res.b.id;
	return res.seq;
}

static uint64_t unbind(struct fx *x, uint64_t id)
{
	struct pn_store_op op;
	struct pn_store_result res;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_AXB_UNBIND;
	snprintf(op.app_key, sizeof(op.app_key), "sy");
	op.id = id;
	assert_int_equal(pn_store_exec(x->st, &op, &res), PN_STORE_OK);
	return res.seq;
}

static const struct pn_replica_entry *lookup_a(struct fx *x, int i)
{
	char a[32];
	snprintf(a, sizeof(a), "+86138%08d", i);
	return pn_replica_lookup_pair(x->r, N("+8675500000001"), N(a), 0);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void test_sync_follows_stream(void **state)
{
	(void)state;
	struct fx x = {0};
	fx_open(&x, 0, 0);
	sync_start(&x);
	uint64_t id0;
	uint64_t seq = bind_pair(&x, 0, &id0);
	assert_int_equal(pn_sync_wait(x.sync, seq, 5000), 0);
	const struct pn_replica_entry *e = lookup_a(&x, 0);
	assert_non_null(e);
	assert_int_equal(e->id, id0);
	assert_int_equal(e->max_duration_min, 7);
	assert_ptr_equal(pn_replica_lookup_pair(x.r, N("+8675500000001"), N("+8613900000000"), 0),
	                 e);
	urcu_qsbr_quiescent_state();

	/* bind-to-routable latency: from the store's durable answer to the replica having it */
	enum { NB = 200 };
	double lat[NB];
	for (int i = 1; i <= NB; i++) {
		seq = bind_pair(&x, i, NULL);
		double t0 = now_ms();
		assert_int_equal(pn_sync_wait(x.sync, seq, 5000), 0);
		lat[i - 1] = now_ms() - t0;
		assert_non_null(lookup_a(&x, i));
		urcu_qsbr_quiescent_state();
	}
	qsort(lat, NB, sizeof(lat[0]), cmp_d);
	printf("bind answer -> routable in the replica: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
	       "(target p99 <= 10 ms)\n",
	       lat[NB / 2], lat[NB * 99 / 100], lat[NB - 1]);

	seq = unbind(&x, id0);
	assert_int_equal(pn_sync_wait(x.sync, seq, 5000), 0);
	assert_null(lookup_a(&x, 0));
	assert_non_null(lookup_a(&x, 1));
	urcu_qsbr_quiescent_state();

	struct pn_sync_stats st;
	pn_sync_stats_get(x.sync, &st);
	assert_int_equal(st.state, PN_SYNC_STREAMING);
	assert_int_equal(st.last_seq, seq);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.applied, NB + 2);
	assert_int_equal(st.proto_errors, 0);
	assert_int_equal(st.apply_errors, 0);
	fx_close(&x);
}

static void test_sync_reconnects_after_server_restart(void **state)
{
	(void)state;
	struct fx x = {0};
	fx_open(&x, 0, 0);
	sync_start(&x);
	uint64_t seq = bind_pair(&x, 0, NULL);
	assert_int_equal(pn_sync_wait(x.sync, seq, 5000), 0);
	server_stop(&x);
	/* the store keeps committing while the stream is down */
	for (int i = 1; i <= 20; i++)
		seq = bind_pair(&x, i, NULL);
	usleep(100 * 1000);
	assert_int_equal(pn_sync_wait(x.sync, seq, 10), PN_EAGAIN);
	assert_null(lookup_a(&x, 20));
	urcu_qsbr_quiescent_state();
	server_start(&x);
	assert_int_equal(pn_sync_wait(x.sync, seq, 5000), 0);
	for (int i = 0; i <= 20; i++)
		assert_non_null(lookup_a(&x, i));
	urcu_qsbr_quiescent_state();
	struct pn_sync_stats st;
	pn_sync_stats_get(x.sync, &st);
	assert_true(st.connects >= 2);
	assert_true(st.disconnects >= 1);
	assert_true(st.connect_fail >= 1); /* the backoff retried while the socket was gone */
	assert_int_equal(st.snapshots, 0); /* caught up from the log, no resync needed */
	assert_int_equal(st.applied, 21);
	fx_close(&x);
}

static void test_sync_resync_when_log_trimmed(void **state)
{
	(void)state;
	struct fx x = {0};
	fx_open(&x, 20, 5); /* the log keeps at most 20 records */
	uint64_t seq = 0, id3 = 0;
	for (int i = 0; i < 60; i++)
		seq = bind_pair(&x, i, i == 3 ? &id3 : NULL);
	seq = unbind(&x, id3);
	/* A binding the store no longer has, as a stale replica would hold it (seq 1). */
	struct pn_change stale;
	memset(&stale, 0, sizeof(stale));
	stale.seq = 1;
	stale.op = PN_CHANGE_PUT;
	stale.b.id = 999999;
	stale.b.mode = PN_MODE_AXB;
	stale.b.x = N("+8675500000001");
	stale.b.a = N("+8613700000000");
	stale.b.b = N("+8613700000001");
	assert_int_equal(pn_replica_apply(x.r, &stale), 0);
	sync_start(&x); /* HELLO{2}: trimmed -> RESYNC -> snapshot */
	assert_int_equal(pn_sync_wait(x.sync, seq, 5000), 0);
	for (int i = 0; i < 60; i++) {
		if (i == 3)
			assert_null(lookup_a(&x, i));
		else
			assert_non_null(lookup_a(&x, i));
	}
	assert_null(pn_replica_lookup_pair(x.r, N("+8675500000001"), N("+8613700000000"), 0));
	urcu_qsbr_quiescent_state();
	struct pn_sync_stats st;
	pn_sync_stats_get(x.sync, &st);
	assert_int_equal(st.resyncs, 1);
	assert_int_equal(st.snapshots, 1);
	struct pn_replica_stats rs;
	pn_replica_stats_get(x.r, &rs);
	assert_int_equal(rs.bindings, 59);
	assert_int_equal(rs.snapshot_deleted, 1);
	/* and it follows the stream after the snapshot */
	seq = bind_pair(&x, 100, NULL);
	assert_int_equal(pn_sync_wait(x.sync, seq, 5000), 0);
	assert_non_null(lookup_a(&x, 100));
	urcu_qsbr_quiescent_state();
	fx_close(&x);
}

/* The pn_io.h hook: creates the replica the engines read and a sync thread for it. */
static void test_sync_io_hook(void **state)
{
	(void)state;
	struct fx x = {0};
	fx_open(&x, 0, 0);
	void *replica = NULL;
	struct pn_sync_conf sc = {
	    .control_socket = x.sock, .n_workers = 1, .replica_out = &replica};
	assert_int_equal(pn_sync_start(&sc), 0);
	assert_non_null(replica);
	assert_int_equal(pn_sync_start(&sc), PN_EEXIST);
	uint64_t seq = bind_pair(&x, 5, NULL);
	struct pn_sync_stats st = {0};
	for (int i = 0; i < 500 && st.last_seq < seq; i++) {
		usleep(10 * 1000);
		assert_int_equal(pn_sync_hook_stats(&st), 0);
	}
	assert_true(st.last_seq >= seq);
	assert_non_null(
	    pn_replica_lookup_pair(replica, N("+8675500000001"), N("+8613800000005"), 0));
	/* the hook's replica is freed by pn_sync_stop: not an online reader while it runs */
	urcu_qsbr_thread_offline();
	pn_sync_stop();
	urcu_qsbr_thread_online();
	assert_int_equal(pn_sync_hook_stats(&st), PN_ENOENT);
	/* without a control socket: an empty replica and no thread */
	sc.control_socket = NULL;
	replica = NULL;
	assert_int_equal(pn_sync_start(&sc), 0);
	assert_non_null(replica);
	assert_null(pn_replica_lookup_pair(replica, N("+8675500000001"), N("+8613800000005"), 0));
	assert_int_equal(pn_sync_hook_stats(&st), PN_ENOENT);
	urcu_qsbr_thread_offline();
	pn_sync_stop();
	urcu_qsbr_thread_online();
	fx_close(&x);
}

static void test_sync_rejects_bad_config(void **state)
{
	(void)state;
	struct pn_sync *s;
	struct pn_sync_config c = {0};
	assert_int_equal(pn_sync_create(&c, &s), PN_EINVAL);
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	c.socket_path = longpath;
	c.replica = (struct pn_replica *)&c;
	assert_int_equal(pn_sync_create(&c, &s), PN_EINVAL);
}

int main(void)
{
	urcu_qsbr_register_thread();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_follows_stream),
	    cmocka_unit_test(test_sync_reconnects_after_server_restart),
	    cmocka_unit_test(test_sync_resync_when_log_trimmed),
	    cmocka_unit_test(test_sync_io_hook),
	    cmocka_unit_test(test_sync_rejects_bad_config),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	urcu_qsbr_unregister_thread();
	return rc;
}
