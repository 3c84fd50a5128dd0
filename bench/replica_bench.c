/*
 * replica_bench.c: memory per binding and lookup rate of the dataplane's binding replica
 * (storage/pn_replica) at 1M and 10M AXB bindings.
 *
 * For each size N: build N AXB bindings through pn_replica_apply (random X from a pool of
 * N/2000 numbers, distinct A and B), report the RSS delta per binding (entries, lfht nodes and
 * bucket array, id index, malloc overhead: everything the process gained), then time random
 * PAIR lookups of existing keys on one thread, single (pn_replica_lookup_pair) and batched
 * (pn_replica_lookup_pair_burst, 32 per call), as a QSBR reader reporting a quiescent state
 * every 32 lookups like a worker's poll loop.
 *
 * Targets (issue "dataplane"): <= 128 bytes per AXB binding; >= 10 million lookups/s per core at
 * 10M bindings.
 *
 * Usage: replica_bench [N ...]   (default: 1000000 10000000)
 *        env PN_BENCH_LOOKUPS = lookups per measurement (default 20000000)
 *        env PN_BENCH_NO_THP = 1: do not re-exec with GLIBC_TUNABLES=glibc.malloc.hugetlb=1
 *        env PN_BENCH_BUCKETS = force a bucket count after the build (experiments)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>

#include "pn_replica.h"

#define NUM13(v)       ((pn_num_t)(0x8000000000000000ULL | (13ULL << 58) | (uint64_t)(v)))
#define TARGET_BYTES   128.0
#define TARGET_LOOKUPS 10e6

static uint64_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, rss = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* AnonHugePages of the process, in MiB (transparent huge pages actually in use). */
static double thp_mib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	unsigned long kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (double)kb / 1024.0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Binding i: X from the pool, A and B distinct 13-digit numbers (8613xxxxxxxxx). */
static void binding_numbers(uint64_t i, uint64_t nx, pn_num_t *x, pn_num_t *a, pn_num_t *b)
{
	uint64_t s = i * 7919 + 1;
	*x = NUM13(8617000000000ULL + (splitmix(&s) % nx));
	*a = NUM13(8613000000000ULL + 2 * i);
	*b = NUM13(8613000000000ULL + 2 * i + 1);
}

static int run(uint64_t n, uint64_t lookups)
{
	uint64_t nx = n / 2000 ? n / 2000 : 1;
	uint64_t rss0 = rss_bytes();
	struct pn_replica *r = pn_replica_create(NULL);
	if (!r) {
		fprintf(stderr, "pn_replica_create failed\n");
		return 1;
	}
	struct pn_change *c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		c->seq = i + 1;
		c->op = PN_CHANGE_PUT;
		c->b.id = i + 1;
		c->b.mode = PN_MODE_AXB;
		c->b.max_duration_min = 60;
		c->b.expires_ms = 4102444800000LL; /* 2100-01-01 */
		binding_numbers(i, nx, &c->b.x, &c->b.a, &c->b.b);
		int rc = pn_replica_apply(r, c);
		if (rc != 0) {
			fprintf(stderr, "apply %" PRIu64 ": %d\n", i, rc);
			return 1;
		}
		if ((i & 1023) == 0)
			urcu_qsbr_quiescent_state();
	}
	double t_build = now_s() - t0;
	free(c);
	pn_replica_flush(r);
	/* let the background resize and the deferred frees finish before measuring */
	urcu_qsbr_thread_offline();
	struct pn_replica_stats st;
	do {
		usleep(100 * 1000);
		pn_replica_stats_get(r, &st);
	} while (st.resizing);
	urcu_qsbr_barrier();
	urcu_qsbr_thread_online();
	const char *bk = getenv("PN_BENCH_BUCKETS"); /* experiment: force a bucket count */
	if (bk && strtoul(bk, NULL, 0) > 0)
		pn_replica_resize(r, strtoul(bk, NULL, 0));
	uint64_t rss1 = rss_bytes();
	pn_replica_stats_get(r, &st);
	double per = (double)(rss1 - rss0) / (double)n;
	printf("replica N=%" PRIu64 " AXB bindings (%" PRIu64 " keys, %" PRIu64 " buckets, %" PRIu64
	       " X numbers, THP %s): built in %.2f s (%.2f M applies/s)\n",
	       n, st.keys, st.buckets, nx, getenv("PN_BENCH_NO_THP") ? "off" : "on", t_build,
	       (double)n / t_build / 1e6);
	printf("  memory: RSS delta %.1f MiB = %.1f bytes/binding (slab %.1f B, id index %.1f B, "
	       "lfht nodes+buckets+rest %.1f B; %.0f MiB in huge pages)  target <= %.0f: %s\n",
	       (double)(rss1 - rss0) / 1048576.0, per, (double)st.entry_bytes / (double)n,
	       (double)st.index_bytes / (double)n,
	       per - (double)(st.entry_bytes + st.index_bytes) / (double)n, thp_mib(), TARGET_BYTES,
	       per <= TARGET_BYTES ? "PASS" : "FAIL");

	/* Random existing keys (A or B side), generated outside the RSS measurement. */
	enum { NKEYS = 1 << 20 };
	struct pn_replica_key *keys = malloc(NKEYS * sizeof(*keys));
	const struct pn_replica_entry **out = malloc(NKEYS * sizeof(*out));
	if (!keys || !out)
		return 1;
	uint64_t s = 42;
	for (size_t k = 0; k < NKEYS; k++) {
		uint64_t i = splitmix(&s) % n;
		pn_num_t x, a, b;
		binding_numbers(i, nx, &x, &a, &b);
		keys[k].x = x;
		keys[k].caller = (k & 1) ? a : b;
	}
	int64_t now = 1764000000000LL;

	/* warm-up pass (page faults of the key arrays, branch predictors) */
	(void)pn_replica_lookup_pair_burst(r, keys, NKEYS, now, out);
	urcu_qsbr_quiescent_state();

	uint64_t hits = 0, done = 0;
	t0 = now_s();
	while (done < lookups) {
		for (size_t k = 0; k < NKEYS && done < lookups; k++, done++) {
			hits += pn_replica_lookup_pair(r, keys[k].x, keys[k].caller, now) != NULL;
			if ((done & 31) == 31)
				urcu_qsbr_quiescent_state();
		}
	}
	double t_single = now_s() - t0;
	double rate_single = (double)done / t_single;
	if (hits != done) {
		fprintf(stderr, "single: %" PRIu64 " misses\n", done - hits);
		return 1;
	}

	hits = 0;
	done = 0;
	t0 = now_s();
	while (done < lookups) {
		for (size_t k = 0; k + 32 <= NKEYS && done < lookups; k += 32, done += 32) {
			hits += pn_replica_lookup_pair_burst(r, keys + k, 32, now, out + k);
			urcu_qsbr_quiescent_state();
		}
	}
	double t_burst = now_s() - t0;
	double rate_burst = (double)done / t_burst;
	if (hits != done) {
		fprintf(stderr, "burst: %" PRIu64 " misses\n", done - hits);
		return 1;
	}
	printf("  lookups (1 thread, random hits): single %.2f M/s (%.0f ns), burst of 32 %.2f M/s "
	       "(%.0f ns)  target >= %.0f M/s: %s\n",
	       rate_single / 1e6, 1e9 / rate_single, rate_burst / 1e6, 1e9 / rate_burst,
	       TARGET_LOOKUPS / 1e6,
	       (rate_single > rate_burst ? rate_single : rate_burst) >= TARGET_LOOKUPS ? "PASS"
	                                                                               : "FAIL");
	free(keys);
	free(out);
	pn_replica_destroy(r);
	return 0;
}

int main(int argc, char **argv)
{
	/* Transparent huge pages for calloc'd tables (lfht buckets, id index): the dataplane is
	 * started the same way. Re-exec once with the tunable unless PN_BENCH_NO_THP is set. */
	if (!getenv("PN_BENCH_NO_THP") && !getenv("GLIBC_TUNABLES")) {
		setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
		execv("/proc/self/exe", argv);
	}
	urcu_qsbr_register_thread();
	uint64_t lookups = 20000000;
	const char *e = getenv("PN_BENCH_LOOKUPS");
	if (e && atoll(e) > 0)
		lookups = (uint64_t)atoll(e);
	int rc = 0;
	if (argc < 2) {
		rc |= run(1000000, lookups);
		rc |= run(10000000, lookups);
	} else {
		for (int i = 1; i < argc; i++)
			rc |= run((uint64_t)strtoull(argv[i], NULL, 10), lookups);
	}
	urcu_qsbr_unregister_thread();
	return rc;
}
