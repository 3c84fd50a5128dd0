/*
 * pn_auth.h: authentication of Huawei-API requests (spec sections 3 and 10).
 *
 * Two schemes, both "UsernameToken" profiles keyed by the application's app_secret:
 *   AKSK  Authorization: AKSK realm="SDP",profile="UsernameToken",type="Appkey"
 *         X-AKSK: UsernameToken Username="k",PasswordDigest="d",Nonce="n",Created="c"
 *         d = Base64(HMAC-SHA256(key = app_secret, msg = Nonce + Created))
 *   WSSE  Authorization: WSSE ... ; X-WSSE: same fields
 *         d = Base64(SHA-256(Nonce + Created + app_secret)) over the raw 32-byte digest
 *         (Base64 of the lowercase hex digest is accepted too: older Huawei demos send it).
 * The scheme name and the parameter names are case-insensitive; `dsl=` is accepted for
 * `type=`; spaces after commas are optional; values may be quoted or bare.
 *
 * Checks, in order, each with its resultcode (pn_auth_parse / pn_auth_verify return them):
 *   1023006 no Authorization          1023013 scheme is neither WSSE nor AKSK
 *   1023007 no realm                  1023008 no profile          1023012 no type/dsl
 *   1023009 realm != SDP              1023010 profile != UsernameToken
 *   1023011 type != Appkey            1023026 no X-WSSE           1023033 no X-AKSK
 *   1023027 no Username (AKSK 1023034) 1023028 no/bad Nonce (AKSK 1023035)
 *   1023029 no Created                1023030 no PasswordDigest   1023031 Created malformed
 *   1023032 Created outside the allowed clock skew (our code; Huawei publishes none)
 *   1023036 Nonce already used within the window (replay; our code)
 *   1010003 unknown app_key or wrong PasswordDigest
 * Created must be yyyy-MM-ddTHH:mm:ssZ. It is accepted when |Created - now| <= skew_s.
 * The default skew is 15 hours: Huawei's Java demo formats local time with a literal Z, so a
 * client anywhere from UTC-12 to UTC+14 must pass. A nonce (per app_key) is remembered for
 * 2 * skew_s after it was seen, which covers every Created value that could still be
 * accepted, so a replay inside the window is always caught while the cache has room.
 * The nonce cache is bounded (nonce_capacity entries, FIFO by arrival). When it is full the
 * oldest entry is dropped early and its app's "horizon" rises to that entry's Created: any
 * later request of that app with Created <= horizon is refused as a possible replay
 * (1023036), so bounded memory never reopens a replay hole; it only narrows the window.
 *
 * Failed authentications are counted per client IP; fail_threshold failures within
 * fail_window_s block the IP for block_s seconds (1020176). The IP table is bounded
 * (ip_capacity); when full, the entry with the oldest activity in the probed run is reused.
 *
 * Threading: struct pn_auth is shared by the HTTP threads; its tables are sharded, each
 * shard under its own mutex. pn_auth_parse and pn_auth_digest are pure.
 */
#ifndef PN_AUTH_H
#define PN_AUTH_H

#include <stdint.h>

#include "pn_common.h"

enum pn_auth_scheme {
	PN_AUTH_WSSE = 1,
	PN_AUTH_AKSK = 2,
};

/* Result codes (Huawei resultcode values). */
#define PN_RC_AUTH_NO_AUTHORIZATION 1023006
#define PN_RC_AUTH_NO_REALM         1023007
#define PN_RC_AUTH_NO_PROFILE       1023008
#define PN_RC_AUTH_BAD_REALM        1023009
#define PN_RC_AUTH_BAD_PROFILE      1023010
#define PN_RC_AUTH_BAD_TYPE         1023011
#define PN_RC_AUTH_NO_TYPE          1023012
#define PN_RC_AUTH_BAD_SCHEME       1023013
#define PN_RC_AUTH_NO_XWSSE         1023026
#define PN_RC_AUTH_NO_USERNAME      1023027
#define PN_RC_AUTH_NO_NONCE         1023028
#define PN_RC_AUTH_NO_CREATED       1023029
#define PN_RC_AUTH_NO_DIGEST        1023030
#define PN_RC_AUTH_BAD_CREATED      1023031
#define PN_RC_AUTH_SKEW             1023032
#define PN_RC_AUTH_NO_XAKSK         1023033
#define PN_RC_AUTH_AKSK_NO_USERNAME 1023034
#define PN_RC_AUTH_AKSK_NO_NONCE    1023035
#define PN_RC_AUTH_REPLAY           1023036
#define PN_RC_AUTH_INVALID          1010003
#define PN_RC_AUTH_BLOCKED          1020176

#define PN_AUTH_FIELD_MAX  128
#define PN_AUTH_DIGEST_B64 64 /* room for Base64 of 64 bytes (hex variant) + NUL: 89 */

/* Parsed credentials. Strings are NUL-terminated copies (bounded). */
struct pn_auth_creds {
	int scheme; /* enum pn_auth_scheme */
	char username[PN_AUTH_FIELD_MAX + 1];
	char digest[PN_AUTH_FIELD_MAX + 1];
	char nonce[PN_AUTH_FIELD_MAX + 1];
	char created[PN_AUTH_FIELD_MAX + 1];
	int64_t created_s; /* Created as seconds since the epoch (read as UTC) */
};

struct pn_auth_cfg {
	int64_t skew_s;          /* allowed |Created - now|, default 54000 (15 h) */
	uint32_t nonce_capacity; /* nonce cache entries, default 1 << 20 */
	uint32_t fail_threshold; /* failures within fail_window_s that block an IP, default 20 */
	uint32_t fail_window_s;  /* default 60 */
	uint32_t block_s;        /* default 1800 (Huawei: 30 min) */
	uint32_t ip_capacity;    /* IPs tracked, default 65536 */
};

struct pn_auth;

void pn_auth_cfg_default(struct pn_auth_cfg *cfg);
/* Returns NULL on allocation failure. */
struct pn_auth *pn_auth_new(const struct pn_auth_cfg *cfg);
void pn_auth_free(struct pn_auth *a);

/*
 * Parse the Authorization header and the matching X-WSSE / X-AKSK header (NULL = absent).
 * Returns 0 and fills *out, or the resultcode of the first problem (see the table above).
 * Does not look at the secret, the clock or the nonce cache.
 */
int pn_auth_parse(const char *authorization, const char *x_wsse, const char *x_aksk,
                  struct pn_auth_creds *out);

/* Parse "yyyy-MM-ddTHH:mm:ssZ" into seconds since the epoch. Returns 0 or PN_EINVAL. */
int pn_auth_parse_created(const char *s, int64_t *out);

/*
 * The expected PasswordDigest for scheme, secret, nonce and created, Base64 into out
 * (NUL-terminated). hex_variant = 1 computes the WSSE Base64(hex(SHA-256)) form.
 * Returns 0, or PN_EINVAL (unknown scheme) / PN_ENOMEM (OpenSSL failure).
 */
int pn_auth_digest(int scheme, const char *secret, const char *nonce, const char *created,
                   int hex_variant, char out[96]);

/*
 * Verify parsed credentials against the app's secret at time now_s (seconds since the epoch).
 * Order: digest (1010003), skew (1023032), nonce replay (1023036; the nonce is recorded only
 * when everything else passed). Returns 0 or the resultcode.
 */
int pn_auth_verify(struct pn_auth *a, const struct pn_auth_creds *c, const char *secret,
                   int64_t now_s);

/* IP blocking. ip is any stable string for the client address (e.g. "127.0.0.1").
 * pn_auth_ip_blocked returns 1 when the IP is refused now, else 0.
 * pn_auth_ip_fail records a failed attempt; returns 1 if the IP is now blocked. */
int pn_auth_ip_blocked(struct pn_auth *a, const char *ip, int64_t now_s);
int pn_auth_ip_fail(struct pn_auth *a, const char *ip, int64_t now_s);

/* Counters for /metrics. */
struct pn_auth_stats {
	uint64_t nonces;        /* entries in the nonce cache */
	uint64_t nonce_evicted; /* entries dropped before expiry (cache full) */
	uint64_t ips_blocked;   /* block events so far */
};
void pn_auth_stats(struct pn_auth *a, struct pn_auth_stats *out);

#endif /* PN_AUTH_H */
