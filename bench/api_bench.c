/*
 * api_bench.c: REST API load generator for privnum-control (libcurl multi, keep-alive).
 *
 * Every request is signed as real clients sign them (AKSK: Base64(HMAC-SHA256(secret,
 * Nonce + Created)) with a fresh nonce), so the server pays for auth and the nonce cache as
 * in production. Phases, each over the same set of bindings:
 *   bind    POST AXB binds with distinct A/B over the app's X numbers (durable: answered
 *           after the group commit's fdatasync)
 *   query   GET ?subscriptionId= for the bindings made
 *   unbind  DELETE ?subscriptionId= for the same bindings
 * For each phase it prints requests/s, p50/p99 latency, failures, and the server's CPU per
 * request (utime + stime of /proc/<pid>/stat before and after), beside the client's own CPU
 * per request (the two share the machine's 2 cores).
 *
 * Setup: with --admin-token it creates its own AXB app and --xs numbers through the admin
 * API; otherwise pass --app-key/--app-secret of an AXB app that owns the numbers
 * +86171<7 digits> 0..xs-1.
 *
 * Usage: api_bench --url http://127.0.0.1:8080 --server-pid PID --admin-token T
 *                  [--conns 64] [--binds 100000] [--xs 64] [--phase all|bind|query]
 *                  [--query-rounds R]   (the query phase walks the bindings R times)
 */
#include <curl/curl.h>
#include <dirent.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct slot {
	CURL *e;
	struct curl_slist *hdr;
	char url[512];
	char body[512];
	char resp[2048];
	size_t resp_len;
	int64_t t0;
	long idx; /* binding index of this request */
};

static const char *g_url = "http://127.0.0.1:8080";
static char g_key[128], g_secret[128];
static int g_conns = 64, g_xs = 64;
static long g_binds = 100000;
static int g_pid = 0;
static int g_rounds = 1; /* query phase: passes over the bindings */
static uint64_t g_nonce;
static char (*g_subs)[20]; /* subscriptionId per binding index ("" = failed) */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double server_cpu_s(void)
{
	if (!g_pid)
		return 0;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", g_pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long ut = 0, st = 0;
	/* fields after ')': state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Per-thread-name CPU of the server (/proc/<pid>/task/<tid>/stat), summed by name. */
#define MAX_NAMES 16
struct tcpu {
	int n;
	char name[MAX_NAMES][20];
	double s[MAX_NAMES];
};

static void thread_cpu(struct tcpu *out)
{
	memset(out, 0, sizeof(*out));
	if (!g_pid)
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", g_pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p2[320], buf[1024];
		snprintf(p2, sizeof(p2), "/proc/%d/task/%s/stat", g_pid, de->d_name);
		FILE *f = fopen(p2, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *l = strchr(buf, '('), *r = strrchr(buf, ')');
		unsigned long ut = 0, st = 0;
		if (!l || !r ||
		    sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
		           &st) != 2)
			continue;
		char name[20];
		snprintf(name, sizeof(name), "%.*s", (int)(r - l - 1), l + 1);
		int i;
		for (i = 0; i < out->n; i++)
			if (strcmp(out->name[i], name) == 0)
				break;
		if (i == out->n) {
			if (out->n == MAX_NAMES)
				continue;
			snprintf(out->name[out->n++], sizeof(out->name[0]), "%s", name);
		}
		out->s[i] += (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	}
	closedir(d);
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct slot *s = arg;
	size_t len = sz * n;
	size_t room = sizeof(s->resp) - 1 - s->resp_len;
	size_t c = len < room ? len : room;
	memcpy(s->resp + s->resp_len, p, c);
	s->resp_len += c;
	s->resp[s->resp_len] = '\0';
	return len;
}

static void sign(struct slot *s)
{
	char nonce[40], created[32], msg[80];
	unsigned char md[32];
	unsigned int mdlen = 0;
	char dig[64], hdr[512];
	snprintf(nonce, sizeof(nonce), "%016llx%08x", (unsigned long long)++g_nonce,
	         (unsigned)getpid());
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	int ml = snprintf(msg, sizeof(msg), "%s%s", nonce, created);
	HMAC(EVP_sha256(), g_secret, (int)strlen(g_secret), (unsigned char *)msg, (size_t)ml, md,
	     &mdlen);
	EVP_EncodeBlock((unsigned char *)dig, md, (int)mdlen);
	curl_slist_free_all(s->hdr);
	s->hdr = curl_slist_append(NULL, "Content-Type: application/json;charset=UTF-8");
	s->hdr = curl_slist_append(s->hdr, "Accept: application/json");
	s->hdr = curl_slist_append(
	    s->hdr, "Authorization: AKSK realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\"");
	snprintf(hdr, sizeof(hdr),
	         "X-AKSK: UsernameToken Username=\"%s\",PasswordDigest=\"%s\",Nonce=\"%s\","
	         "Created=\"%s\"",
	         g_key, dig, nonce, created);
	s->hdr = curl_slist_append(s->hdr, hdr);
	s->hdr = curl_slist_append(s->hdr, "Expect:");
}

enum { PH_BIND, PH_QUERY, PH_UNBIND };

static void prepare(struct slot *s, int phase, long idx)
{
	s->idx = idx;
	s->resp_len = 0;
	s->resp[0] = '\0';
	sign(s);
	curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, s->hdr);
	if (phase == PH_BIND) {
		snprintf(s->url, sizeof(s->url), "%s/rest/caas/relationnumber/partners/v1.0",
		         g_url);
		snprintf(s->body, sizeof(s->body),
		         "{\"callerNum\":\"+8613%09ld\",\"calleeNum\":\"+8615%09ld\","
		         "\"relationNum\":\"+86171%07ld\",\"callDirection\":0,\"duration\":0}",
		         idx, idx, idx % g_xs);
		curl_easy_setopt(s->e, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(s->e, CURLOPT_HTTPGET, 0L);
		curl_easy_setopt(s->e, CURLOPT_POSTFIELDS, s->body);
		curl_easy_setopt(s->e, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
	} else {
		snprintf(s->url, sizeof(s->url),
		         "%s/rest/caas/relationnumber/partners/v1.0?subscriptionId=%s", g_url,
		         g_subs[idx]);
		curl_easy_setopt(s->e, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(s->e, CURLOPT_CUSTOMREQUEST, phase == PH_UNBIND ? "DELETE" : NULL);
	}
	curl_easy_setopt(s->e, CURLOPT_URL, s->url);
	s->t0 = now_ns();
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void run_phase(int phase, const char *name)
{
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)g_conns);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)g_conns);
	struct slot *slots = calloc((size_t)g_conns, sizeof(*slots));

	long next = 0, done = 0, fails = 0, nlat = 0;
	/* query/unbind walk only the bindings that were made; query may walk them g_rounds times */
	long total = phase == PH_QUERY ? g_binds * g_rounds : g_binds;
	int64_t *lat = calloc((size_t)total, sizeof(int64_t));

	for (int i = 0; i < g_conns; i++) {
		slots[i].e = curl_easy_init();
		curl_easy_setopt(slots[i].e, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(slots[i].e, CURLOPT_WRITEDATA, &slots[i]);
		curl_easy_setopt(slots[i].e, CURLOPT_PRIVATE, &slots[i]);
		curl_easy_setopt(slots[i].e, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(slots[i].e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(slots[i].e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	struct tcpu tc0, tc1;
	thread_cpu(&tc0);
	double c0 = server_cpu_s(), s0 = self_cpu_s();
	int64_t t0 = now_ns();
	for (int i = 0; i < g_conns && next < total; i++) {
		while (next < total && phase != PH_BIND && !g_subs[next % g_binds][0])
			next++;
		if (next >= total)
			break;
		prepare(&slots[i], phase, next++ % g_binds);
		curl_multi_add_handle(m, slots[i].e);
	}
	int running = 1;
	while (running) {
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int q;
		while ((msg = curl_multi_info_read(m, &q))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct slot *s;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			long code = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			lat[nlat++] = now_ns() - s->t0;
			done++;
			int ok = msg->data.result == CURLE_OK && code == 200 &&
			         strstr(s->resp, "\"resultcode\":\"0\"");
			if (!ok) {
				if (fails < 3)
					fprintf(stderr, "%s failure: curl %d http %ld %s\n", name,
					        msg->data.result, code, s->resp);
				fails++;
			}
			if (phase == PH_BIND) {
				const char *p = strstr(s->resp, "\"subscriptionId\":\"");
				if (ok && p)
					snprintf(g_subs[s->idx], sizeof(g_subs[0]), "%.16s",
					         p + 18);
			}
			curl_multi_remove_handle(m, s->e);
			while (next < total && phase != PH_BIND && !g_subs[next % g_binds][0])
				next++;
			if (next < total) {
				prepare(s, phase, next++ % g_binds);
				curl_multi_add_handle(m, s->e);
				running = 1;
			}
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	double cpu = server_cpu_s() - c0, scpu = self_cpu_s() - s0;
	qsort(lat, (size_t)nlat, sizeof(int64_t), cmp64);
	double p50 = nlat ? (double)lat[nlat / 2] / 1e6 : 0;
	double p99 = nlat ? (double)lat[(long)((double)nlat * 0.99)] / 1e6 : 0;
	printf("%-7s %8ld req %6ld fail %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  server CPU "
	       "%6.1f us/req  client CPU %6.1f us/req  (%d conns)\n",
	       name, done, fails, (double)done / secs, p50, p99,
	       done ? cpu * 1e6 / (double)done : 0, done ? scpu * 1e6 / (double)done : 0, g_conns);
	thread_cpu(&tc1);
	printf("        server CPU by thread (us/req):");
	for (int i = 0; i < tc1.n; i++) {
		double before = 0;
		for (int j = 0; j < tc0.n; j++)
			if (strcmp(tc0.name[j], tc1.name[i]) == 0)
				before = tc0.s[j];
		double d = tc1.s[i] - before;
		if (d > 0 && done)
			printf(" %s %.1f", tc1.name[i], d * 1e6 / (double)done);
	}
	printf("\n");
	fflush(stdout);
	for (int i = 0; i < g_conns; i++) {
		curl_easy_cleanup(slots[i].e);
		curl_slist_free_all(slots[i].hdr);
	}
	curl_multi_cleanup(m);
	free(slots);
	free(lat);
}

static long admin_post(const char *token, const char *path, const char *body, char *out,
                       size_t outsz)
{
	CURL *e = curl_easy_init();
	char url[512], auth[300];
	struct slot s = {0};
	snprintf(url, sizeof(url), "%s/admin/v1%s", g_url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	struct curl_slist *h = curl_slist_append(NULL, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	long code = 0;
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	if (out)
		snprintf(out, outsz, "%s", s.resp);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return code;
}

static int json_str(const char *js, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *p = strstr(js, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	const char *q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	const char *token = NULL, *phase = "all";
	static const struct option lo[] = {{"url", 1, 0, 'u'},
	                                   {"app-key", 1, 0, 'k'},
	                                   {"app-secret", 1, 0, 's'},
	                                   {"admin-token", 1, 0, 't'},
	                                   {"conns", 1, 0, 'c'},
	                                   {"binds", 1, 0, 'n'},
	                                   {"xs", 1, 0, 'x'},
	                                   {"server-pid", 1, 0, 'p'},
	                                   {"phase", 1, 0, 'P'},
	                                   {"query-rounds", 1, 0, 'R'},
	                                   {0, 0, 0, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'u':
			g_url = optarg;
			break;
		case 'k':
			snprintf(g_key, sizeof(g_key), "%s", optarg);
			break;
		case 's':
			snprintf(g_secret, sizeof(g_secret), "%s", optarg);
			break;
		case 't':
			token = optarg;
			break;
		case 'c':
			g_conns = atoi(optarg);
			break;
		case 'n':
			g_binds = atol(optarg);
			break;
		case 'x':
			g_xs = atoi(optarg);
			break;
		case 'p':
			g_pid = atoi(optarg);
			break;
		case 'P':
			phase = optarg;
			break;
		case 'R':
			g_rounds = atoi(optarg) > 0 ? atoi(optarg) : 1;
			break;
		default:
			fprintf(stderr, "see the comment at the top of bench/api_bench.c\n");
			return 2;
		}
	}
	if (g_conns < 1 || g_binds < 1 || g_xs < 1 || (long)g_xs * 5000 < g_binds) {
		fprintf(stderr, "api_bench: need conns, binds >= 1 and xs * 5000 >= binds\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	if (token) {
		char resp[2048], body[256];
		if (admin_post(token, "/apps", "{\"name\":\"bench\",\"mode\":\"AXB\"}", resp,
		               sizeof(resp)) != 201 ||
		    json_str(resp, "appKey", g_key, sizeof(g_key)) < 0 ||
		    json_str(resp, "appSecret", g_secret, sizeof(g_secret)) < 0) {
			fprintf(stderr, "api_bench: cannot create the app: %s\n", resp);
			return 1;
		}
		for (int i = 0; i < g_xs; i++) {
			snprintf(
			    body, sizeof(body),
			    "{\"number\":\"+86171%07d\",\"areaCode\":\"0755\",\"appKey\":\"%s\"}",
			    i, g_key);
			if (admin_post(token, "/numbers", body, resp, sizeof(resp)) != 201) {
				fprintf(stderr, "api_bench: cannot add a number: %s\n", resp);
				return 1;
			}
		}
	}
	if (!g_key[0] || !g_secret[0]) {
		fprintf(stderr, "api_bench: --admin-token or --app-key/--app-secret needed\n");
		return 2;
	}
	g_subs = calloc((size_t)g_binds, sizeof(*g_subs));
	printf("api_bench: %s, %ld AXB bindings over %d X, %d keep-alive connections, signed "
	       "AKSK\n",
	       g_url, g_binds, g_xs, g_conns);
	run_phase(PH_BIND, "bind");
	if (strcmp(phase, "bind") != 0)
		run_phase(PH_QUERY, "query");
	if (strcmp(phase, "all") == 0)
		run_phase(PH_UNBIND, "unbind");
	free(g_subs);
	curl_global_cleanup();
	return 0;
}
