/*
 * test_stream.c: the change-stream protocol. Frames (round trips, every truncated prefix in an
 * exact-size heap buffer so ASan catches an over-read, malformed inputs), the subscriber state
 * machine, and the real server thread over a real UNIX socket in front of a real store:
 * subscribe from 0, from the middle, live changes, RESYNC when trimmed, snapshot then
 * follow, ACK-driven trimming, heartbeats.
 */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <msgpack.h>

#include "pn_stream.h"
#include "pn_stream_server.h"

static pn_num_t N(const char *s)
{
	return pn_num_pack(s, strlen(s));
}

static struct pn_change sample_change(uint64_t seq, uint8_t op)
{
	struct pn_change c;
	memset(&c, 0, sizeof(c));
	c.seq = seq;
	c.op = op;
	c.b.id = 77;
	c.b.mode = PN_MODE_AXB;
	c.b.x = N("+8675500000001");
	c.b.a = N("+8613800000001");
	c.b.b = N("+8613800000002");
	c.b.expires_ms = 1700000000000LL;
	snprintf(c.b.app_key, sizeof(c.b.app_key), "app");
	snprintf(c.b.user_data, sizeof(c.b.user_data), "order-1");
	return c;
}

/* decode from an exact-size heap copy */
static int decode_exact(const uint8_t *buf, size_t len, struct pn_stream_frame *f)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, buf, len);
	int r = pn_stream_decode(copy, len, f);
	free(copy);
	return r;
}

static void check_prefixes(const uint8_t *buf, size_t len)
{
	struct pn_stream_frame f;
	for (size_t i = 0; i < len; i++)
		assert_int_equal(decode_exact(buf, i, &f), PN_INCOMPLETE);
	assert_int_equal(decode_exact(buf, len, &f), (int)len);
}

static void test_stream_frames_roundtrip(void **state)
{
	(void)state;
	uint8_t buf[4096];
	struct pn_stream_frame f;
	int n = pn_stream_encode_hello(buf, sizeof(buf), 123456789012ULL);
	assert_int_equal(n, 14);
	check_prefixes(buf, (size_t)n);
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_HELLO);
	assert_int_equal(f.version, PN_STREAM_VERSION);
	assert_int_equal(f.seq, 123456789012ULL);

	n = pn_stream_encode_snapshot_req(buf, sizeof(buf));
	assert_int_equal(n, 6);
	check_prefixes(buf, (size_t)n);
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_SNAPSHOT_REQ);

	const uint8_t types[] = {PN_STREAM_ACK, PN_STREAM_HEARTBEAT, PN_STREAM_RESYNC,
	                         PN_STREAM_SNAPSHOT_END};
	for (size_t i = 0; i < sizeof(types); i++) {
		n = pn_stream_encode_u64(buf, sizeof(buf), types[i], UINT64_MAX - i);
		assert_int_equal(n, 13);
		check_prefixes(buf, (size_t)n);
		assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
		assert_int_equal(f.type, types[i]);
		assert_int_equal(f.seq, UINT64_MAX - i);
	}
	assert_int_equal(pn_stream_encode_u64(buf, sizeof(buf), PN_STREAM_CHANGE, 1), PN_EINVAL);
	assert_int_equal(pn_stream_encode_u64(buf, 12, PN_STREAM_ACK, 1), PN_EFULL);

	n = pn_stream_encode_error(buf, sizeof(buf), PN_EIO, "boom");
	assert_int_equal(n, 11);
	check_prefixes(buf, (size_t)n);
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_ERROR);
	assert_int_equal(f.code, PN_EIO);
	assert_true(pn_span_eq(f.text, "boom"));

	struct pn_change c = sample_change(9, PN_CHANGE_PUT);
	n = pn_stream_encode_change(buf, sizeof(buf), PN_STREAM_CHANGE, &c);
	assert_true(n > 5);
	check_prefixes(buf, (size_t)n);
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_CHANGE);
	assert_int_equal(f.seq, 9);
	assert_int_equal(f.change.b.id, 77);
	assert_int_equal(f.change.b.a, c.b.a);
	assert_string_equal(f.change.b.user_data, "order-1");
	assert_int_equal(pn_stream_encode_change(buf, (size_t)n - 1, PN_STREAM_CHANGE, &c),
	                 PN_EFULL);

	/* two frames back to back: the first is consumed alone */
	int m = pn_stream_encode_u64(buf + n, sizeof(buf) - (size_t)n, PN_STREAM_HEARTBEAT, 5);
	assert_int_equal(pn_stream_decode(buf, (size_t)(n + m), &f), n);
	assert_int_equal(pn_stream_decode(buf + n, (size_t)m, &f), m);
	assert_int_equal(f.type, PN_STREAM_HEARTBEAT);
}

static void test_stream_decode_rejects(void **state)
{
	(void)state;
	struct pn_stream_frame f;
	uint8_t buf[4096];
	/* length 0, length above the maximum (rejected before the body arrives) */
	const uint8_t zero[5] = {0, 0, 0, 0, PN_STREAM_ACK};
	assert_int_equal(decode_exact(zero, 5, &f), PN_EPARSE);
	const uint8_t huge[5] = {0, 1, 0, 2, PN_STREAM_CHANGE};
	assert_int_equal(decode_exact(huge, 5, &f), PN_EPARSE);
	/* unknown type */
	const uint8_t unk[6] = {0, 0, 0, 2, 99, 0};
	assert_int_equal(decode_exact(unk, 6, &f), PN_EPARSE);
	/* HELLO of another version, HELLO of a wrong size */
	int n = pn_stream_encode_hello(buf, sizeof(buf), 1);
	buf[5] = 2;
	assert_int_equal(decode_exact(buf, (size_t)n, &f), PN_EPARSE);
	const uint8_t short_hello[9] = {0, 0, 0, 5, PN_STREAM_HELLO, 1, 0, 0, 0};
	assert_int_equal(decode_exact(short_hello, 9, &f), PN_EPARSE);
	/* ACK with 7 bytes */
	const uint8_t short_ack[12] = {0, 0, 0, 8, PN_STREAM_ACK, 0, 0, 0, 0, 0, 0, 1};
	assert_int_equal(decode_exact(short_ack, 12, &f), PN_EPARSE);
	/* CHANGE with a trailing byte inside the frame */
	struct pn_change c = sample_change(3, PN_CHANGE_PUT);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	assert_int_equal(pn_change_encode(&c, &sb), 0);
	memcpy(buf + 5, sb.data, sb.size);
	buf[5 + sb.size] = 0xc0; /* msgpack nil */
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = (uint8_t)((sb.size + 2) >> 8);
	buf[3] = (uint8_t)(sb.size + 2);
	buf[4] = PN_STREAM_CHANGE;
	assert_int_equal(decode_exact(buf, sb.size + 6, &f), PN_EPARSE);
	/* CHANGE with the record cut short inside a complete frame */
	buf[3] = (uint8_t)(sb.size - 3 + 1);
	buf[2] = (uint8_t)((sb.size - 3 + 1) >> 8);
	assert_int_equal(decode_exact(buf, sb.size - 3 + 5, &f), PN_EPARSE);
	/* SNAP_REC carrying a DEL */
	struct pn_change d = sample_change(3, PN_CHANGE_DEL);
	n = pn_stream_encode_change(buf, sizeof(buf), PN_STREAM_SNAP_REC, &d);
	assert_true(n > 0);
	assert_int_equal(decode_exact(buf, (size_t)n, &f), PN_EPARSE);
	/* garbage msgpack */
	const uint8_t garbage[8] = {0, 0, 0, 4, PN_STREAM_CHANGE, 0x91, 0xc1, 0x00};
	assert_int_equal(decode_exact(garbage, 8, &f), PN_EPARSE);
	/* ERROR text above 200 bytes */
	memset(buf, 'x', sizeof(buf));
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = 1 + 2 + 201;
	buf[4] = PN_STREAM_ERROR;
	assert_int_equal(decode_exact(buf, 4 + 1 + 2 + 201, &f), PN_EPARSE);
	msgpack_sbuffer_destroy(&sb);
}

static struct pn_stream_frame change_frame(uint64_t seq)
{
	struct pn_stream_frame f;
	memset(&f, 0, sizeof(f));
	f.type = PN_STREAM_CHANGE;
	f.change = sample_change(seq, PN_CHANGE_PUT);
	f.seq = seq;
	return f;
}

static void test_stream_sub_machine(void **state)
{
	(void)state;
	struct pn_stream_sub s;
	uint8_t buf[64];
	struct pn_stream_frame f;
	pn_stream_sub_init(&s, 5);
	int n = pn_stream_sub_open(&s, 0, 1000, buf, sizeof(buf));
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_HELLO);
	assert_int_equal(f.seq, 6);
	f = change_frame(6);
	assert_int_equal(pn_stream_sub_on_frame(&s, &f, 1001), PN_SUB_ACT_APPLY);
	assert_int_equal(s.applied, 6);
	/* duplicate and gap */
	assert_int_equal(pn_stream_sub_on_frame(&s, &f, 1002), PN_SUB_ACT_PROTO_ERROR);
	f = change_frame(8);
	assert_int_equal(pn_stream_sub_on_frame(&s, &f, 1002), PN_SUB_ACT_PROTO_ERROR);
	assert_int_equal(s.applied, 6);
	/* snapshot frames are not expected while streaming */
	f.type = PN_STREAM_SNAP_REC;
	assert_int_equal(pn_stream_sub_on_frame(&s, &f, 1002), PN_SUB_ACT_PROTO_ERROR);
	/* ACK: not yet (1 record, 2 ms), then due after PN_STREAM_ACK_MS */
	assert_int_equal(pn_stream_sub_tick(&s, 1003, buf, sizeof(buf)), 0);
	n = pn_stream_sub_tick(&s, 1000 + PN_STREAM_ACK_MS, buf, sizeof(buf));
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_ACK);
	assert_int_equal(f.seq, 6);
	/* heartbeat after a quiet second; dead after PN_STREAM_DEAD_MS without input */
	struct pn_stream_frame hb = {.type = PN_STREAM_HEARTBEAT, .seq = 50};
	int64_t t = 1000 + PN_STREAM_ACK_MS + PN_STREAM_HEARTBEAT_MS;
	assert_int_equal(pn_stream_sub_on_frame(&s, &hb, t), PN_SUB_ACT_NONE);
	assert_int_equal(s.server_seq, 50);
	n = pn_stream_sub_tick(&s, t, buf, sizeof(buf));
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_HEARTBEAT);
	assert_int_equal(pn_stream_sub_tick(&s, t + PN_STREAM_DEAD_MS, buf, sizeof(buf)),
	                 PN_EAGAIN);
	/* RESYNC -> snapshot on the next connection */
	struct pn_stream_frame rs = {.type = PN_STREAM_RESYNC, .seq = 90};
	assert_int_equal(pn_stream_sub_on_frame(&s, &rs, t), PN_SUB_ACT_RESYNC);
	pn_stream_sub_disconnected(&s);
	assert_int_equal(s.state, PN_SUB_NEED_RESYNC);
	n = pn_stream_sub_open(&s, 0, t, buf, sizeof(buf));
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_SNAPSHOT_REQ);
	f = change_frame(90);
	f.type = PN_STREAM_SNAP_REC;
	assert_int_equal(pn_stream_sub_on_frame(&s, &f, t), PN_SUB_ACT_SNAP_BEGIN);
	assert_int_equal(pn_stream_sub_on_frame(&s, &f, t), PN_SUB_ACT_SNAP_PUT);
	struct pn_stream_frame se = {.type = PN_STREAM_SNAPSHOT_END, .seq = 90};
	assert_int_equal(pn_stream_sub_on_frame(&s, &se, t), PN_SUB_ACT_SNAP_END);
	assert_int_equal(s.applied, 90);
	f = change_frame(91);
	assert_int_equal(pn_stream_sub_on_frame(&s, &f, t), PN_SUB_ACT_APPLY);
	/* an ERROR frame closes */
	struct pn_stream_frame er = {.type = PN_STREAM_ERROR};
	assert_int_equal(pn_stream_sub_on_frame(&s, &er, t), PN_SUB_ACT_PROTO_ERROR);
}

/* ---- the real server ---- */

static _Atomic(struct pn_stream_server *) g_srv;
static void on_commit(void *arg, uint64_t seq)
{
	(void)arg;
	pn_stream_server_notify(atomic_load(&g_srv), seq);
}

struct sfx {
	char dir[64];
	char sock[96];
	struct pn_store *st;
	struct pn_stream_server *srv;
	int nbind;
};

static int rm_cb(const char *p, const struct stat *sb, int t, struct FTW *f)
{
	(void)sb;
	(void)t;
	(void)f;
	return remove(p);
}

static void exec_ok(struct pn_store *st, struct pn_store_op *op, struct pn_store_result *r)
{
	assert_int_equal(pn_store_exec(st, op, r), PN_STORE_OK);
}

/* bind one AXB pair, return its seq */
static uint64_t bind_one(struct sfx *x)
{
	struct pn_store_op op;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_AXB_BIND;
	snprintf(op.app_key, sizeof(op.app_key), "st");
	char a[32], b[32];
	snprintf(a, sizeof(a), "+86138%08d", x->nbind);
	snprintf(b, sizeof(b), "+86139%08d", x->nbind);
	x->nbind++;
	op.b.a = N(a);
	op.b.b = N(b);
	struct pn_store_result r;
	exec_ok(x->st, &op, &r);
	return r.seq;
}

static int sfx_setup_cap(void **state, size_t cap, size_t keep)
{
	struct sfx *x = calloc(1, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/pn-test-stream-XXXXXX");
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
	struct pn_stream_server_config sc = {.socket_path = x->sock};
	struct pn_stream_server *srv;
	assert_int_equal(pn_stream_server_start(x->st, &sc, &srv), 0);
	atomic_store(&g_srv, srv);
	x->srv = srv;
	struct pn_store_op op;
	struct pn_store_result r;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_APP_CREATE;
	snprintf(op.app.app_key, sizeof(op.app.app_key), "st");
	op.app.mode = PN_MODE_AXB;
	exec_ok(x->st, &op, &r);
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_NUM_ADD;
	op.num.x = N("+8675500000001");
	snprintf(op.num.app_key, sizeof(op.num.app_key), "st");
	exec_ok(x->st, &op, &r);
	*state = x;
	return 0;
}

static int sfx_setup(void **state)
{
	return sfx_setup_cap(state, 0, 0);
}
static int sfx_setup_small(void **state)
{
	return sfx_setup_cap(state, 20, 5);
}
static int sfx_setup_cap_5(void **state)
{
	return sfx_setup_cap(state, 0, 5);
}

static int sfx_teardown(void **state)
{
	struct sfx *x = *state;
	pn_stream_server_stop(x->srv);
	atomic_store(&g_srv, NULL);
	pn_store_close(x->st);
	nftw(x->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(x);
	return 0;
}

struct cli {
	int fd;
	uint8_t buf[1 << 20];
	size_t len;
};

static struct cli *cli_connect(const char *path)
{
	struct cli *c = calloc(1, sizeof(*c));
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return c;
}

static void cli_send(struct cli *c, const uint8_t *b, int n)
{
	assert_true(n > 0);
	assert_int_equal(write(c->fd, b, (size_t)n), n);
}

static void cli_close(struct cli *c)
{
	close(c->fd);
	free(c);
}

/* Next frame within timeout_ms: 1, 0 timeout, -1 closed. Skips HEARTBEAT unless keep_hb. */
static int cli_frame(struct cli *c, struct pn_stream_frame *f, int timeout_ms, int keep_hb)
{
	for (;;) {
		int r = pn_stream_decode(c->buf, c->len, f);
		if (r > 0) {
			memmove(c->buf, c->buf + r, c->len - (size_t)r);
			c->len -= (size_t)r;
			if (f->type == PN_STREAM_HEARTBEAT && !keep_hb)
				continue;
			return 1;
		}
		assert_int_equal(r, PN_INCOMPLETE);
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			return 0;
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
	}
}

static void expect_changes(struct cli *c, uint64_t from, uint64_t to)
{
	struct pn_stream_frame f;
	for (uint64_t s = from; s <= to; s++) {
		assert_int_equal(cli_frame(c, &f, 2000, 0), 1);
		assert_int_equal(f.type, PN_STREAM_CHANGE);
		assert_int_equal(f.change.seq, s);
		assert_int_equal(f.change.op, PN_CHANGE_PUT);
	}
}

static void test_stream_server_from_zero_and_live(void **state)
{
	struct sfx *x = *state;
	for (int i = 0; i < 10; i++)
		assert_int_equal(bind_one(x), (uint64_t)i + 1);
	struct cli *c = cli_connect(x->sock);
	uint8_t b[64];
	cli_send(c, b, pn_stream_encode_hello(b, sizeof(b), 0));
	expect_changes(c, 1, 10);
	/* nothing more */
	struct pn_stream_frame f;
	assert_int_equal(cli_frame(c, &f, 100, 0), 0);
	/* live: each commit arrives, in order, with no duplicate; measure the delay */
	struct pn_stream_sub sub;
	pn_stream_sub_init(&sub, 10);
	sub.state = PN_SUB_STREAMING;
	double worst = 0;
	for (int i = 0; i < 50; i++) {
		struct timespec t0, t1;
		uint64_t seq = bind_one(x);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(cli_frame(c, &f, 2000, 0), 1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms =
		    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ms > worst)
			worst = ms;
		assert_int_equal(f.change.seq, seq);
		assert_int_equal(pn_stream_sub_on_frame(&sub, &f, 0), PN_SUB_ACT_APPLY);
	}
	print_message("live: worst delay from acknowledgement to frame %.2f ms over 50 binds\n",
	              worst);
	assert_true(worst < 500);
	/* a burst submitted asynchronously: all arrive in order */
	for (int i = 0; i < 300; i++) {
		struct pn_store_op op;
		memset(&op, 0, sizeof(op));
		op.type = PN_STORE_OP_AXB_BIND;
		snprintf(op.app_key, sizeof(op.app_key), "st");
		char a[32], bb[32];
		snprintf(a, sizeof(a), "+86136%08d", i);
		snprintf(bb, sizeof(bb), "+86137%08d", i);
		op.b.a = N(a);
		op.b.b = N(bb);
		assert_int_equal(pn_store_submit(x->st, &op, NULL, NULL), 0);
	}
	expect_changes(c, 61, 360);
	struct pn_stream_server_stats ss;
	pn_stream_server_stats_get(x->srv, &ss);
	assert_int_equal(ss.clients, 1);
	assert_int_equal(ss.changes, 360);
	cli_close(c);
}

static void test_stream_server_from_middle_and_ack_trim(void **state)
{
	struct sfx *x = *state;
	for (int i = 0; i < 10; i++)
		bind_one(x);
	struct cli *c = cli_connect(x->sock);
	uint8_t b[64];
	cli_send(c, b, pn_stream_encode_hello(b, sizeof(b), 6));
	expect_changes(c, 6, 10);
	/* ACK 8: with keep_min 5 of 10, the store may trim up to 5 (only on its next round) */
	cli_send(c, b, pn_stream_encode_u64(b, sizeof(b), PN_STREAM_ACK, 8));
	usleep(100000);
	bind_one(x);
	expect_changes(c, 11, 11);
	for (int i = 0; i < 100 && pn_store_first_seq(x->st) == 1; i++)
		usleep(10000);
	assert_int_equal(pn_store_first_seq(x->st), 7); /* min(ack 8, last 11 - keep 5) + 1 */
	/* a second subscriber from before the trimmed point gets RESYNC */
	struct cli *d = cli_connect(x->sock);
	cli_send(d, b, pn_stream_encode_hello(b, sizeof(b), 3));
	struct pn_stream_frame f;
	assert_int_equal(cli_frame(d, &f, 2000, 0), 1);
	assert_int_equal(f.type, PN_STREAM_RESYNC);
	assert_int_equal(f.seq, 11);
	/* a bad frame gets ERROR and the connection closes */
	const uint8_t junk[8] = {0, 0, 0, 4, 42, 1, 2, 3};
	cli_send(d, junk, 8);
	assert_int_equal(cli_frame(d, &f, 2000, 0), 1);
	assert_int_equal(f.type, PN_STREAM_ERROR);
	assert_int_equal(cli_frame(d, &f, 2000, 0), -1);
	cli_close(d);
	cli_close(c);
}

static void test_stream_server_resync_when_trimmed(void **state)
{
	struct sfx *x = *state; /* cap 20 */
	for (int i = 0; i < 30; i++)
		bind_one(x);
	for (int i = 0; i < 100 && pn_store_first_seq(x->st) != 11; i++)
		usleep(10000);
	assert_int_equal(pn_store_first_seq(x->st), 11);
	uint8_t b[64];
	struct pn_stream_frame f;
	struct cli *c = cli_connect(x->sock);
	cli_send(c, b, pn_stream_encode_hello(b, sizeof(b), 5));
	assert_int_equal(cli_frame(c, &f, 2000, 0), 1);
	assert_int_equal(f.type, PN_STREAM_RESYNC);
	assert_int_equal(f.seq, 30);
	/* the subscriber then asks for the snapshot on the same connection */
	cli_send(c, b, pn_stream_encode_snapshot_req(b, sizeof(b)));
	uint64_t recs = 0;
	for (;;) {
		assert_int_equal(cli_frame(c, &f, 2000, 0), 1);
		if (f.type == PN_STREAM_SNAPSHOT_END)
			break;
		assert_int_equal(f.type, PN_STREAM_SNAP_REC);
		assert_int_equal(f.change.op, PN_CHANGE_PUT);
		recs++;
	}
	assert_int_equal(recs, 30);
	assert_int_equal(f.seq, 30);
	/* from seq + 1 on the same connection: no gap after the snapshot */
	cli_send(c, b, pn_stream_encode_hello(b, sizeof(b), 31));
	bind_one(x);
	expect_changes(c, 31, 31);
	/* a subscriber ahead of the log (store replaced) also gets RESYNC */
	struct cli *d = cli_connect(x->sock);
	cli_send(d, b, pn_stream_encode_hello(b, sizeof(b), 1000));
	assert_int_equal(cli_frame(d, &f, 2000, 0), 1);
	assert_int_equal(f.type, PN_STREAM_RESYNC);
	cli_close(d);
	cli_close(c);
}

static void test_stream_server_snapshot_then_follow(void **state)
{
	struct sfx *x = *state;
	for (int i = 0; i < 25; i++)
		bind_one(x);
	/* unbind one: the snapshot holds 24 */
	struct pn_store_op op;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_AXB_UNBIND;
	snprintf(op.app_key, sizeof(op.app_key), "st");
	op.id = 3;
	struct pn_store_result r;
	exec_ok(x->st, &op, &r);
	struct cli *c = cli_connect(x->sock);
	uint8_t b[64];
	cli_send(c, b, pn_stream_encode_snapshot_req(b, sizeof(b)));
	struct pn_stream_frame f;
	struct pn_stream_sub sub;
	pn_stream_sub_init(&sub, 0);
	sub.state = PN_SUB_SNAPSHOT;
	int recs = 0;
	for (;;) {
		assert_int_equal(cli_frame(c, &f, 2000, 0), 1);
		int act = pn_stream_sub_on_frame(&sub, &f, 0);
		if (act == PN_SUB_ACT_SNAP_END)
			break;
		assert_true(act == PN_SUB_ACT_SNAP_BEGIN || act == PN_SUB_ACT_SNAP_PUT);
		assert_true(f.change.b.id != 3);
		recs++;
	}
	assert_int_equal(recs, 24);
	assert_int_equal(f.seq, 26);
	cli_send(c, b, pn_stream_encode_hello(b, sizeof(b), sub.applied + 1));
	bind_one(x);
	assert_int_equal(cli_frame(c, &f, 2000, 0), 1);
	assert_int_equal(pn_stream_sub_on_frame(&sub, &f, 0), PN_SUB_ACT_APPLY);
	assert_int_equal(f.change.seq, 27);
	/* idle: the server's heartbeat arrives within ~1 s and carries the last seq */
	assert_int_equal(cli_frame(c, &f, 2500, 1), 1);
	assert_int_equal(f.type, PN_STREAM_HEARTBEAT);
	assert_int_equal(f.seq, 27);
	cli_close(c);
}

/* A subscriber that never answers is closed after PN_STREAM_DEAD_MS; one that sends
 * heartbeats is kept. */
static void test_stream_server_closes_dead_peer(void **state)
{
	struct sfx *x = *state;
	uint8_t b[64];
	struct cli *dead = cli_connect(x->sock);
	struct cli *alive = cli_connect(x->sock);
	cli_send(dead, b, pn_stream_encode_hello(b, sizeof(b), 1));
	cli_send(alive, b, pn_stream_encode_hello(b, sizeof(b), 1));
	struct pn_stream_frame f;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int closed = 0;
	for (int i = 0; i < 16 && !closed; i++) {
		/* alive: answer every 500 ms */
		cli_send(alive, b, pn_stream_encode_u64(b, sizeof(b), PN_STREAM_HEARTBEAT, 0));
		int r;
		while ((r = cli_frame(dead, &f, 500, 1)) == 1)
			assert_int_equal(f.type, PN_STREAM_HEARTBEAT); /* heartbeats until closed */
		closed = r == -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(closed);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= PN_STREAM_DEAD_MS - 100);
	/* the live one still gets changes */
	bind_one(x);
	assert_int_equal(cli_frame(alive, &f, 2000, 0), 1);
	assert_int_equal(f.type, PN_STREAM_CHANGE);
	assert_int_equal(f.change.seq, 1);
	struct pn_stream_server_stats ss;
	pn_stream_server_stats_get(x->srv, &ss);
	assert_int_equal(ss.clients, 1);
	assert_int_equal(ss.dead, 1);
	cli_close(dead);
	cli_close(alive);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stream_frames_roundtrip),
	    cmocka_unit_test(test_stream_decode_rejects),
	    cmocka_unit_test(test_stream_sub_machine),
	    cmocka_unit_test_setup_teardown(test_stream_server_from_zero_and_live, sfx_setup,
	                                    sfx_teardown),
	    cmocka_unit_test_setup_teardown(test_stream_server_from_middle_and_ack_trim,
	                                    sfx_setup_cap_5, sfx_teardown),
	    cmocka_unit_test_setup_teardown(test_stream_server_resync_when_trimmed, sfx_setup_small,
	                                    sfx_teardown),
	    cmocka_unit_test_setup_teardown(test_stream_server_snapshot_then_follow, sfx_setup,
	                                    sfx_teardown),
	    cmocka_unit_test_setup_teardown(test_stream_server_closes_dead_peer, sfx_setup,
	                                    sfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
