/*
 * store_bench.c: durable AXB binds per second through the store's group commit, and the same
 * load with one sync write per op (max_batch = 1, the naive design) as the comparison.
 *
 * Load: C "connections" (default 256) keep one bind each in flight, as suspended HTTP
 * handlers would: every callback immediately submits that connection's next bind. Numbers
 * spread over 200 X of one app (so each bind does the real invariant reads). Reports binds/s,
 * latency p50/p99 (submit -> callback, i.e. durable), sync writes and mean round size, and
 * process CPU per bind. Real RocksDB in a temp dir on the same disk as /tmp.
 *
 *   store_bench [seconds=5] [connections=256] [dir=/tmp] [group: skip the comparison]
 */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pn_store.h"

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct conn {
	struct bench *b;
	int idx;
	int64_t t0;
	uint32_t n;
};

struct bench {
	struct pn_store *st;
	atomic_int stop;
	atomic_long done, failed;
	atomic_int inflight;
	uint32_t *lat_us; /* ring of samples */
	atomic_long nlat;
	long cap;
};

static void submit_next(struct conn *c);

static void cb(void *arg, const struct pn_store_op *op, const struct pn_store_result *res)
{
	(void)op;
	struct conn *c = arg;
	struct bench *b = c->b;
	int64_t d = now_ns() - c->t0;
	if (res->rc == PN_STORE_OK)
		atomic_fetch_add(&b->done, 1);
	else
		atomic_fetch_add(&b->failed, 1);
	long i = atomic_fetch_add(&b->nlat, 1);
	if (i < b->cap)
		b->lat_us[i] = (uint32_t)(d / 1000);
	if (atomic_load(&b->stop)) {
		atomic_fetch_sub(&b->inflight, 1);
		return;
	}
	submit_next(c);
}

static void submit_next(struct conn *c)
{
	struct pn_store_op op;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_AXB_BIND;
	snprintf(op.app_key, sizeof(op.app_key), "bench");
	char a[24], bb[24], x[24];
	/* unique pair per (connection, n); X round-robin over 200 */
	snprintf(a, sizeof(a), "+861%04d%07u", c->idx % 10000, c->n);
	snprintf(bb, sizeof(bb), "+862%04d%07u", c->idx % 10000, c->n);
	snprintf(x, sizeof(x), "+86170%08u", (c->n * 7 + (uint32_t)c->idx) % 200);
	c->n++;
	op.b.a = pn_num_pack(a, strlen(a));
	op.b.b = pn_num_pack(bb, strlen(bb));
	op.b.x = pn_num_pack(x, strlen(x));
	op.b.duration_s = 3600;
	c->t0 = now_ns();
	if (pn_store_submit(c->b->st, &op, cb, c) != 0) {
		atomic_fetch_add(&c->b->failed, 1);
		atomic_fetch_sub(&c->b->inflight, 1);
	}
}

static int rm_cb(const char *p, const struct stat *sb, int t, struct FTW *f)
{
	(void)sb;
	(void)t;
	(void)f;
	return remove(p);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void run(const char *label, unsigned max_batch, double secs, int conns, const char *base)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/pn-store-bench-XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	struct pn_store_config cfg = {.path = dir, .max_batch = max_batch, .no_sweeper = 1};
	struct bench b = {0};
	if (pn_store_open(&cfg, &b.st) != 0)
		exit(1);
	struct pn_store_op op;
	struct pn_store_result r;
	memset(&op, 0, sizeof(op));
	op.type = PN_STORE_OP_APP_CREATE;
	snprintf(op.app.app_key, sizeof(op.app.app_key), "bench");
	op.app.mode = PN_MODE_AXB;
	pn_store_exec(b.st, &op, &r);
	for (int i = 0; i < 200; i++) {
		memset(&op, 0, sizeof(op));
		op.type = PN_STORE_OP_NUM_ADD;
		char x[24];
		snprintf(x, sizeof(x), "+86170%08d", i);
		op.num.x = pn_num_pack(x, strlen(x));
		snprintf(op.num.app_key, sizeof(op.num.app_key), "bench");
		snprintf(op.num.area_code, sizeof(op.num.area_code), "0755");
		pn_store_exec(b.st, &op, &r);
	}
	b.cap = 20000000;
	b.lat_us = malloc(sizeof(uint32_t) * (size_t)b.cap);
	struct conn *cs = calloc((size_t)conns, sizeof(*cs));
	struct pn_store_stats s0, s1;
	pn_store_stats_get(b.st, &s0);
	double c0 = cpu_s();
	int64_t t0 = now_ns();
	atomic_store(&b.inflight, conns);
	for (int i = 0; i < conns; i++) {
		cs[i].b = &b;
		cs[i].idx = i;
		submit_next(&cs[i]);
	}
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&b.stop, 1);
	long done_at_stop = atomic_load(&b.done);
	int64_t t1 = now_ns();
	double c1 = cpu_s();
	while (atomic_load(&b.inflight) > 0)
		usleep(1000);
	pn_store_stats_get(b.st, &s1);
	double el = (double)(t1 - t0) / 1e9;
	long n = atomic_load(&b.nlat);
	if (n > b.cap)
		n = b.cap;
	qsort(b.lat_us, (size_t)n, sizeof(uint32_t), cmp_u32);
	uint64_t rounds = s1.rounds - s0.rounds;
	double ccpu = (double)(s1.commit_cpu_us - s0.commit_cpu_us) / (double)(s1.ops - s0.ops);
	printf("%-28s %9.0f durable binds/s  p50 %6.2f ms  p99 %6.2f ms  sync writes/s %7.0f  "
	       "mean round %6.1f ops  CPU %5.1f us/bind (committer %5.1f us/op -> %.0f/s per free "
	       "core)  failed %ld\n",
	       label, (double)done_at_stop / el, n ? b.lat_us[n / 2] / 1000.0 : 0,
	       n ? b.lat_us[(long)((double)n * 0.99)] / 1000.0 : 0, (double)rounds / el,
	       rounds ? (double)(s1.ops - s0.ops) / (double)rounds : 0,
	       done_at_stop ? (c1 - c0) * 1e6 / (double)done_at_stop : 0, ccpu,
	       ccpu > 0 ? 1e6 / ccpu : 0, atomic_load(&b.failed));
	pn_store_close(b.st);
	free(b.lat_us);
	free(cs);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	int conns = argc > 2 ? atoi(argv[2]) : 256;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	printf(
	    "store_bench: %.0f s, %d connections in flight, RocksDB under %s, sync=true always\n",
	    secs, conns, dir);
	run("group commit (max 4096/round)", 0, secs, conns, dir);
	if (argc <= 4 || strcmp(argv[4], "group") != 0)
		run("one sync per op (max 1/round)", 1, secs, conns, dir);
	return 0;
}
