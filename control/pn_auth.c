/*
 * pn_auth.c: AKSK / WSSE header parsing, digests (OpenSSL libcrypto), the bounded nonce cache
 * and the per-IP failure counter (see pn_auth.h for the rules and codes).
 *
 * Nonce cache: PN_AUTH_SHARDS shards, each a FIFO ring of entries in arrival order plus an
 * open-addressing index (linear probing, backward-shift deletion) from a 64-bit keyed hash of
 * app_key + nonce to the ring slot. Entries expire in arrival order (expiry = arrival +
 * 2 * skew), so expiry pops the ring head: O(1) amortised per request.
 */
#include "pn_auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PN_AUTH_SHARDS    16
#define APP_HORIZON_SLOTS 4096
#define IP_PROBE          8
#define IP_STR            48

struct nonce_ent {
	uint64_t key;    /* keyed hash of app_key, NUL, nonce */
	uint64_t app;    /* keyed hash of app_key */
	int64_t created; /* Created of the request, seconds */
	int64_t expires; /* drop after this (arrival + 2 * skew) */
};

struct nonce_shard {
	pthread_mutex_t mu;
	struct nonce_ent *ring;
	uint32_t cap, head, count;
	uint32_t *index; /* ring slot + 1, 0 = empty */
	uint32_t index_mask;
} __attribute__((aligned(64)));

struct ip_ent {
	char ip[IP_STR];
	uint32_t fails;
	int64_t window_start;
	int64_t blocked_until;
	int64_t last_seen;
};

struct ip_shard {
	pthread_mutex_t mu;
	struct ip_ent *tab;
	uint32_t mask;
} __attribute__((aligned(64)));

struct pn_auth {
	struct pn_auth_cfg cfg;
	uint64_t seed;
	struct nonce_shard ns[PN_AUTH_SHARDS];
	struct ip_shard is[PN_AUTH_SHARDS];
	pthread_mutex_t hz_mu;
	uint64_t hz_app[APP_HORIZON_SLOTS]; /* 0 = empty */
	int64_t hz_val[APP_HORIZON_SLOTS];
	int64_t hz_global; /* used when hz table is full */
	uint64_t evicted, blocked_events;
};

void pn_auth_cfg_default(struct pn_auth_cfg *cfg)
{
	cfg->skew_s = 54000;
	cfg->nonce_capacity = 1u << 20;
	cfg->fail_threshold = 20;
	cfg->fail_window_s = 60;
	cfg->block_s = 1800;
	cfg->ip_capacity = 65536;
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 16;
	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

/* FNV-1a over the bytes, seeded, with a murmur3 finaliser; never returns 0. */
static uint64_t khash(uint64_t seed, const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull ^ seed;
	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	if (b)
		for (const char *p = b; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

struct pn_auth *pn_auth_new(const struct pn_auth_cfg *cfg)
{
	struct pn_auth *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cfg = *cfg;
	if (a->cfg.skew_s < 0)
		a->cfg.skew_s = 0;
	if (RAND_bytes((unsigned char *)&a->seed, sizeof(a->seed)) != 1)
		a->seed = (uint64_t)(uintptr_t)a ^ 0x9e3779b97f4a7c15ull;
	pthread_mutex_init(&a->hz_mu, NULL);
	uint32_t per = cfg->nonce_capacity / PN_AUTH_SHARDS;
	if (per < 16)
		per = 16;
	uint32_t ipper = pow2_at_least(cfg->ip_capacity / PN_AUTH_SHARDS);
	for (int i = 0; i < PN_AUTH_SHARDS; i++) {
		struct nonce_shard *s = &a->ns[i];
		pthread_mutex_init(&s->mu, NULL);
		s->cap = per;
		s->ring = calloc(per, sizeof(*s->ring));
		uint32_t isz = pow2_at_least(per * 2);
		s->index = calloc(isz, sizeof(*s->index));
		s->index_mask = isz - 1;
		struct ip_shard *is = &a->is[i];
		pthread_mutex_init(&is->mu, NULL);
		is->tab = calloc(ipper, sizeof(*is->tab));
		is->mask = ipper - 1;
		if (!s->ring || !s->index || !is->tab) {
			pn_auth_free(a);
			return NULL;
		}
	}
	return a;
}

void pn_auth_free(struct pn_auth *a)
{
	if (!a)
		return;
	for (int i = 0; i < PN_AUTH_SHARDS; i++) {
		free(a->ns[i].ring);
		free(a->ns[i].index);
		free(a->is[i].tab);
		pthread_mutex_destroy(&a->ns[i].mu);
		pthread_mutex_destroy(&a->is[i].mu);
	}
	pthread_mutex_destroy(&a->hz_mu);
	free(a);
}

/* ---------------------------------------------------------------- header parsing */

/* Skip optional whitespace. */
static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

struct kv {
	const char *k;
	size_t klen;
	const char *v;
	size_t vlen;
};

/*
 * Split `p` into name=value pairs separated by commas (optional spaces); values quoted or
 * bare. Returns the number of pairs (at most max) or -1 on a malformed list (unterminated
 * quote, missing '=').
 */
static int split_params(const char *p, struct kv *out, int max)
{
	int n = 0;
	p = ws(p);
	while (*p) {
		const char *k = p;
		while (*p && *p != '=' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		size_t klen = (size_t)(p - k);
		p = ws(p);
		if (*p != '=' || klen == 0)
			return -1;
		p = ws(p + 1);
		const char *v;
		size_t vlen;
		if (*p == '"') {
			v = ++p;
			while (*p && *p != '"')
				p++;
			if (*p != '"')
				return -1;
			vlen = (size_t)(p - v);
			p++;
		} else {
			v = p;
			while (*p && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			vlen = (size_t)(p - v);
		}
		if (n < max) {
			out[n].k = k;
			out[n].klen = klen;
			out[n].v = v;
			out[n].vlen = vlen;
			n++;
		}
		p = ws(p);
		if (*p == ',')
			p = ws(p + 1);
		else if (*p)
			return -1;
	}
	return n;
}

static const struct kv *find_kv(const struct kv *kv, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (pn_span_ieq(pn_span_make(kv[i].k, kv[i].klen), name))
			return &kv[i];
	return NULL;
}

static int copy_field(const struct kv *f, char *dst)
{
	if (!f || f->vlen == 0 || f->vlen > PN_AUTH_FIELD_MAX)
		return -1;
	for (size_t i = 0; i < f->vlen; i++) {
		unsigned char c = (unsigned char)f->v[i];
		if (c < 0x20 || c > 0x7e)
			return -1;
	}
	memcpy(dst, f->v, f->vlen);
	dst[f->vlen] = '\0';
	return 0;
}

static int nonce_ok(const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int pn_auth_parse_created(const char *s, int64_t *out)
{
	/* yyyy-MM-ddTHH:mm:ssZ: exactly 20 bytes. */
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	for (int i = 0; i < 20; i++) {
		if (s[i] == '\0')
			return PN_EINVAL;
		if (pat[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return PN_EINVAL;
		} else if (s[i] != pat[i]) {
			return PN_EINVAL;
		}
	}
	if (s[20] != '\0')
		return PN_EINVAL;
#define D2(i) ((s[i] - '0') * 10 + (s[i + 1] - '0'))
	int y = D2(0) * 100 + D2(2), mo = D2(5), d = D2(8), h = D2(11), mi = D2(14), se = D2(17);
#undef D2
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    se > 60)
		return PN_EINVAL;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return PN_EINVAL;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

int pn_auth_parse(const char *authorization, const char *x_wsse, const char *x_aksk,
                  struct pn_auth_creds *out)
{
	struct kv kv[8];
	memset(out, 0, sizeof(*out));
	if (!authorization || !*ws(authorization))
		return PN_RC_AUTH_NO_AUTHORIZATION;
	const char *p = ws(authorization);
	const char *sch = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	struct pn_span scheme = pn_span_make(sch, (size_t)(p - sch));
	if (pn_span_ieq(scheme, "WSSE"))
		out->scheme = PN_AUTH_WSSE;
	else if (pn_span_ieq(scheme, "AKSK"))
		out->scheme = PN_AUTH_AKSK;
	else
		return PN_RC_AUTH_BAD_SCHEME;
	int n = split_params(p, kv, 8);
	if (n < 0)
		n = 0; /* a malformed list is reported as the first missing part */
	const struct kv *realm = find_kv(kv, n, "realm");
	const struct kv *profile = find_kv(kv, n, "profile");
	const struct kv *type = find_kv(kv, n, "type");
	if (!type)
		type = find_kv(kv, n, "dsl");
	if (!realm)
		return PN_RC_AUTH_NO_REALM;
	if (!profile)
		return PN_RC_AUTH_NO_PROFILE;
	if (!type)
		return PN_RC_AUTH_NO_TYPE;
	if (!pn_span_ieq(pn_span_make(realm->v, realm->vlen), "SDP"))
		return PN_RC_AUTH_BAD_REALM;
	if (!pn_span_ieq(pn_span_make(profile->v, profile->vlen), "UsernameToken"))
		return PN_RC_AUTH_BAD_PROFILE;
	if (!pn_span_ieq(pn_span_make(type->v, type->vlen), "Appkey"))
		return PN_RC_AUTH_BAD_TYPE;

	int aksk = out->scheme == PN_AUTH_AKSK;
	const char *tok = aksk ? x_aksk : x_wsse;
	if (!tok || !*ws(tok))
		return aksk ? PN_RC_AUTH_NO_XAKSK : PN_RC_AUTH_NO_XWSSE;
	p = ws(tok);
	/* Optional leading "UsernameToken" word. */
	if (strncasecmp(p, "UsernameToken", 13) == 0 && (p[13] == ' ' || p[13] == '\t'))
		p += 13;
	n = split_params(p, kv, 8);
	if (n < 0)
		n = 0;
	if (copy_field(find_kv(kv, n, "Username"), out->username) < 0)
		return aksk ? PN_RC_AUTH_AKSK_NO_USERNAME : PN_RC_AUTH_NO_USERNAME;
	if (copy_field(find_kv(kv, n, "Nonce"), out->nonce) < 0 || !nonce_ok(out->nonce))
		return aksk ? PN_RC_AUTH_AKSK_NO_NONCE : PN_RC_AUTH_NO_NONCE;
	if (copy_field(find_kv(kv, n, "Created"), out->created) < 0)
		return PN_RC_AUTH_NO_CREATED;
	if (copy_field(find_kv(kv, n, "PasswordDigest"), out->digest) < 0)
		return PN_RC_AUTH_NO_DIGEST;
	if (pn_auth_parse_created(out->created, &out->created_s) < 0)
		return PN_RC_AUTH_BAD_CREATED;
	return 0;
}

/* ---------------------------------------------------------------- digests */

/* SHA-256 fetched once: with OpenSSL 3 every implicit fetch (EVP_sha256() in a fresh
 * context, or the one-shot HMAC()) costs microseconds; measured here: HMAC() 3.8 us, this
 * HMAC over a fetched digest about 1 us. */
static EVP_MD *g_sha256;
static pthread_once_t g_sha_once = PTHREAD_ONCE_INIT;
static void sha_init(void)
{
	g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* SHA-256 of the concatenation of up to three parts. Returns 0 or PN_ENOMEM. */
static int sha256_parts(EVP_MD_CTX *ctx, const void *a, size_t al, const void *b, size_t bl,
                        const void *c, size_t cl, unsigned char out[32])
{
	unsigned int len = 0;
	if (EVP_DigestInit_ex(ctx, g_sha256, NULL) != 1 || EVP_DigestUpdate(ctx, a, al) != 1 ||
	    (bl && EVP_DigestUpdate(ctx, b, bl) != 1) ||
	    (cl && EVP_DigestUpdate(ctx, c, cl) != 1) || EVP_DigestFinal_ex(ctx, out, &len) != 1 ||
	    len != 32)
		return PN_ENOMEM;
	return 0;
}

int pn_auth_digest(int scheme, const char *secret, const char *nonce, const char *created,
                   int hex_variant, char out[96])
{
	unsigned char md[32];
	size_t nl = strlen(nonce), cl = strlen(created), sl = strlen(secret);
	int rc = PN_ENOMEM;

	pthread_once(&g_sha_once, sha_init);
	if (!g_sha256)
		return PN_ENOMEM;
	if (scheme != PN_AUTH_AKSK && scheme != PN_AUTH_WSSE)
		return PN_EINVAL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return PN_ENOMEM;
	if (scheme == PN_AUTH_AKSK) {
		/* HMAC-SHA256 (RFC 2104) with a 64-byte block. */
		unsigned char k0[64] = {0}, pad[64], inner[32];
		if (sl > 64) {
			if (sha256_parts(ctx, secret, sl, NULL, 0, NULL, 0, k0) < 0)
				goto out;
		} else {
			memcpy(k0, secret, sl);
		}
		for (int i = 0; i < 64; i++)
			pad[i] = k0[i] ^ 0x36;
		if (sha256_parts(ctx, pad, 64, nonce, nl, created, cl, inner) < 0)
			goto out;
		for (int i = 0; i < 64; i++)
			pad[i] = k0[i] ^ 0x5c;
		if (sha256_parts(ctx, pad, 64, inner, 32, NULL, 0, md) < 0)
			goto out;
	} else {
		if (sha256_parts(ctx, nonce, nl, created, cl, secret, sl, md) < 0)
			goto out;
	}
	if (hex_variant) {
		static const char hx[] = "0123456789abcdef";
		unsigned char h[64];
		for (unsigned i = 0; i < 32; i++) {
			h[2 * i] = (unsigned char)hx[md[i] >> 4];
			h[2 * i + 1] = (unsigned char)hx[md[i] & 15];
		}
		EVP_EncodeBlock((unsigned char *)out, h, 64);
	} else {
		EVP_EncodeBlock((unsigned char *)out, md, 32);
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int digest_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* ---------------------------------------------------------------- nonce cache */

static int64_t horizon_get(struct pn_auth *a, uint64_t app)
{
	int64_t h;
	pthread_mutex_lock(&a->hz_mu);
	h = a->hz_global;
	for (uint32_t i = 0, s = (uint32_t)app & (APP_HORIZON_SLOTS - 1); i < APP_HORIZON_SLOTS;
	     i++, s = (s + 1) & (APP_HORIZON_SLOTS - 1)) {
		if (a->hz_app[s] == 0)
			break;
		if (a->hz_app[s] == app) {
			if (a->hz_val[s] > h)
				h = a->hz_val[s];
			break;
		}
	}
	pthread_mutex_unlock(&a->hz_mu);
	return h;
}

static void horizon_raise(struct pn_auth *a, uint64_t app, int64_t created)
{
	pthread_mutex_lock(&a->hz_mu);
	a->evicted++;
	uint32_t s = (uint32_t)app & (APP_HORIZON_SLOTS - 1);
	for (uint32_t i = 0; i < APP_HORIZON_SLOTS / 2;
	     i++, s = (s + 1) & (APP_HORIZON_SLOTS - 1)) {
		if (a->hz_app[s] == app || a->hz_app[s] == 0) {
			a->hz_app[s] = app;
			if (created > a->hz_val[s])
				a->hz_val[s] = created;
			pthread_mutex_unlock(&a->hz_mu);
			return;
		}
	}
	/* Table crowded: fall back to one horizon for every app (stricter, still sound). */
	if (created > a->hz_global)
		a->hz_global = created;
	pthread_mutex_unlock(&a->hz_mu);
}

/* Remove index entry pointing at ring slot `slot` whose key is `key` (backward shift). */
static void index_del(struct nonce_shard *s, uint64_t key, uint32_t slot)
{
	uint32_t i = (uint32_t)key & s->index_mask;
	while (s->index[i] != 0 && s->index[i] != slot + 1)
		i = (i + 1) & s->index_mask;
	if (s->index[i] == 0)
		return; /* not found: cannot happen */
	uint32_t j = i;
	for (;;) {
		s->index[i] = 0;
		for (;;) {
			j = (j + 1) & s->index_mask;
			if (s->index[j] == 0)
				return;
			uint32_t home = (uint32_t)s->ring[s->index[j] - 1].key & s->index_mask;
			/* Move j to i when home is not cyclically in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		s->index[i] = s->index[j];
		i = j;
	}
}

static void pop_head(struct pn_auth *a, struct nonce_shard *s, int early)
{
	struct nonce_ent *e = &s->ring[s->head];
	index_del(s, e->key, s->head);
	if (early)
		horizon_raise(a, e->app, e->created);
	s->head = (s->head + 1) % s->cap;
	s->count--;
}

/* Returns 1 if (app,nonce) was seen (replay), else records it and returns 0. */
static int nonce_check_insert(struct pn_auth *a, const char *app_key, const char *nonce,
                              int64_t created, int64_t now)
{
	uint64_t key = khash(a->seed, app_key, nonce);
	uint64_t app = khash(a->seed, app_key, NULL);
	struct nonce_shard *s = &a->ns[key >> 60 & (PN_AUTH_SHARDS - 1)];
	int replay = 0;

	pthread_mutex_lock(&s->mu);
	while (s->count > 0 && s->ring[s->head].expires <= now)
		pop_head(a, s, 0);
	uint32_t i = (uint32_t)key & s->index_mask;
	while (s->index[i] != 0) {
		if (s->ring[s->index[i] - 1].key == key) {
			replay = 1;
			break;
		}
		i = (i + 1) & s->index_mask;
	}
	if (!replay) {
		if (s->count == s->cap)
			pop_head(a, s, 1);
		/* pop_head may have shifted the probe run: find the free slot again. */
		i = (uint32_t)key & s->index_mask;
		while (s->index[i] != 0)
			i = (i + 1) & s->index_mask;
		uint32_t slot = (s->head + s->count) % s->cap;
		s->ring[slot] = (struct nonce_ent){key, app, created, now + 2 * a->cfg.skew_s};
		s->index[i] = slot + 1;
		s->count++;
	}
	pthread_mutex_unlock(&s->mu);
	return replay;
}

int pn_auth_verify(struct pn_auth *a, const struct pn_auth_creds *c, const char *secret,
                   int64_t now_s)
{
	char want[96];
	if (pn_auth_digest(c->scheme, secret, c->nonce, c->created, 0, want) < 0)
		return PN_RC_AUTH_INVALID;
	if (!digest_eq(want, c->digest)) {
		if (c->scheme != PN_AUTH_WSSE)
			return PN_RC_AUTH_INVALID;
		if (pn_auth_digest(c->scheme, secret, c->nonce, c->created, 1, want) < 0 ||
		    !digest_eq(want, c->digest))
			return PN_RC_AUTH_INVALID;
	}
	int64_t d = c->created_s - now_s;
	if (d > a->cfg.skew_s || d < -a->cfg.skew_s)
		return PN_RC_AUTH_SKEW;
	uint64_t app = khash(a->seed, c->username, NULL);
	if (c->created_s <= horizon_get(a, app))
		return PN_RC_AUTH_REPLAY;
	if (nonce_check_insert(a, c->username, c->nonce, c->created_s, now_s))
		return PN_RC_AUTH_REPLAY;
	return 0;
}

/* ---------------------------------------------------------------- IP blocking */

static struct ip_ent *ip_find(struct ip_shard *s, uint64_t h, const char *ip, int create)
{
	uint32_t i = (uint32_t)h & s->mask;
	struct ip_ent *victim = NULL;
	for (int k = 0; k < IP_PROBE; k++, i = (i + 1) & s->mask) {
		struct ip_ent *e = &s->tab[i];
		if (e->ip[0] == '\0') {
			if (!victim)
				victim = e;
			break;
		}
		if (strcmp(e->ip, ip) == 0)
			return e;
		if (!victim || e->last_seen < victim->last_seen)
			victim = e;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->ip, sizeof(victim->ip), "%s", ip);
	return victim;
}

int pn_auth_ip_blocked(struct pn_auth *a, const char *ip, int64_t now_s)
{
	uint64_t h = khash(a->seed, ip, NULL);
	struct ip_shard *s = &a->is[h >> 60 & (PN_AUTH_SHARDS - 1)];
	int r = 0;
	pthread_mutex_lock(&s->mu);
	struct ip_ent *e = ip_find(s, h, ip, 0);
	if (e && e->blocked_until > now_s)
		r = 1;
	pthread_mutex_unlock(&s->mu);
	return r;
}

int pn_auth_ip_fail(struct pn_auth *a, const char *ip, int64_t now_s)
{
	if (a->cfg.fail_threshold == 0)
		return 0; /* blocking disabled */
	uint64_t h = khash(a->seed, ip, NULL);
	struct ip_shard *s = &a->is[h >> 60 & (PN_AUTH_SHARDS - 1)];
	int r = 0;
	pthread_mutex_lock(&s->mu);
	struct ip_ent *e = ip_find(s, h, ip, 1);
	e->last_seen = now_s;
	if (e->blocked_until > now_s) {
		r = 1;
	} else {
		if (now_s - e->window_start >= (int64_t)a->cfg.fail_window_s) {
			e->window_start = now_s;
			e->fails = 0;
		}
		if (++e->fails >= a->cfg.fail_threshold) {
			e->blocked_until = now_s + a->cfg.block_s;
			e->fails = 0;
			r = 1;
			__atomic_add_fetch(&a->blocked_events, 1, __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

void pn_auth_stats(struct pn_auth *a, struct pn_auth_stats *out)
{
	uint64_t n = 0;
	for (int i = 0; i < PN_AUTH_SHARDS; i++) {
		pthread_mutex_lock(&a->ns[i].mu);
		n += a->ns[i].count;
		pthread_mutex_unlock(&a->ns[i].mu);
	}
	out->nonces = n;
	pthread_mutex_lock(&a->hz_mu);
	out->nonce_evicted = a->evicted;
	pthread_mutex_unlock(&a->hz_mu);
	out->ips_blocked = __atomic_load_n(&a->blocked_events, __ATOMIC_RELAXED);
}
