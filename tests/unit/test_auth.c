/*
 * test_auth.c: AKSK / WSSE parsing, known-answer digests, clock skew, nonce replay (also when
 * the bounded cache overflows) and IP blocking (control/pn_auth.c).
 *
 * The expected digests were computed independently with python3:
 *   base64.b64encode(hmac.new(S, N + C, hashlib.sha256).digest())      (AKSK)
 *   base64.b64encode(hashlib.sha256(N + C + S).digest())                 (WSSE)
 *   base64.b64encode(hashlib.sha256(N + C + S).hexdigest().encode())     (WSSE, hex variant)
 * with S = "f8a1b2c3d4e5f60718293a4b5c6d7e8f", N = "66C92B11FF8A425FB8D4CCFE0ED9ED1F",
 * C = "2018-02-12T15:30:20Z" (calendar.timegm gives 1518449420).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pn_auth.h"

#define SECRET    "f8a1b2c3d4e5f60718293a4b5c6d7e8f"
#define NONCE     "66C92B11FF8A425FB8D4CCFE0ED9ED1F"
#define CREATED   "2018-02-12T15:30:20Z"
#define CREATED_S 1518449420
#define AKSK_KAT  "wE5Kar8of6R9rO24oQ2JXlbdVm2+lWP8tuZk8Geur6E="
#define WSSE_KAT  "qqmDWPByoEj5Ux6g9S5VWnzxt3ZXDYVgaHlMQSxEs6E="
#define WSSE_HEX_KAT                                                                               \
	"YWFhOTgzNThmMDcyYTA0OGY5NTMxZWEwZjUyZTU1NWE3Y2YxYjc3NjU3MGQ4NTYwNjg3OTRjNDEyYzQ0YjNhMQ=="

#define AUTH_WSSE "WSSE realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\""
#define AUTH_AKSK "AKSK realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\""

static void token(char *out, size_t cap, const char *user, const char *digest, const char *nonce,
                  const char *created)
{
	snprintf(out, cap,
	         "UsernameToken Username=\"%s\",PasswordDigest=\"%s\",Nonce=\"%s\",Created=\"%s\"",
	         user, digest, nonce, created);
}

static void test_auth_digest_known_answers(void **state)
{
	(void)state;
	char d[96];
	assert_int_equal(pn_auth_digest(PN_AUTH_AKSK, SECRET, NONCE, CREATED, 0, d), 0);
	assert_string_equal(d, AKSK_KAT);
	assert_int_equal(pn_auth_digest(PN_AUTH_WSSE, SECRET, NONCE, CREATED, 0, d), 0);
	assert_string_equal(d, WSSE_KAT);
	assert_int_equal(pn_auth_digest(PN_AUTH_WSSE, SECRET, NONCE, CREATED, 1, d), 0);
	assert_string_equal(d, WSSE_HEX_KAT);
	assert_int_equal(pn_auth_digest(7, SECRET, NONCE, CREATED, 0, d), PN_EINVAL);
	/* A secret longer than the HMAC block (64 bytes) is hashed first (RFC 2104). python3:
	 * hmac.new(b"k" * 100, N + C, hashlib.sha256). */
	char longkey[101];
	memset(longkey, 'k', 100);
	longkey[100] = '\0';
	assert_int_equal(pn_auth_digest(PN_AUTH_AKSK, longkey, NONCE, CREATED, 0, d), 0);
	assert_string_equal(d, "jLMSv7zlGCli3NVHTlXwiAN7PhpGCpKUN/GFo0DPF9k=");
}

static void test_auth_parse_created(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(pn_auth_parse_created(CREATED, &t), 0);
	assert_int_equal(t, CREATED_S);
	assert_int_equal(pn_auth_parse_created("2024-02-29T23:59:59Z", &t), 0);
	assert_int_equal(t, 1709251199);
	static const char *bad[] = {
	    "2023-02-29T00:00:00Z",      "2018-13-12T15:30:20Z",  "2018-02-12 15:30:20Z",
	    "2018-02-12T15:30:20",       "2018-02-12T15:30:20Z ", "2018-02-12T24:00:00Z",
	    "18-02-12T15:30:20Z",        "2018-02-12T15:30:2aZ",  "",
	    "2018-02-12T15:30:20+08:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pn_auth_parse_created(bad[i], &t), PN_EINVAL);
}

static void test_auth_parse_header_variants(void **state)
{
	(void)state;
	struct pn_auth_creds c;
	char tok[512];
	token(tok, sizeof(tok), "key1", WSSE_KAT, NONCE, CREATED);
	/* Huawei's Java demo: spaces after commas and dsl= instead of type=. */
	assert_int_equal(
	    pn_auth_parse("WSSE realm=\"SDP\", profile=\"UsernameToken\", dsl=\"Appkey\"", tok,
	                  NULL, &c),
	    0);
	assert_int_equal(c.scheme, PN_AUTH_WSSE);
	assert_string_equal(c.username, "key1");
	assert_string_equal(c.nonce, NONCE);
	assert_string_equal(c.digest, WSSE_KAT);
	assert_int_equal(c.created_s, CREATED_S);
	/* Scheme case, no spaces, AKSK. */
	assert_int_equal(
	    pn_auth_parse("aksk realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\"", NULL, tok,
	                  &c),
	    0);
	assert_int_equal(c.scheme, PN_AUTH_AKSK);
	/* Bare (unquoted) values and parameters in another order. */
	assert_int_equal(
	    pn_auth_parse("WSSE type=Appkey, realm=SDP, profile=UsernameToken", tok, NULL, &c), 0);
}

struct case_ {
	const char *name;
	const char *authz;
	const char *wsse;
	const char *aksk;
	int want;
};

static void test_auth_parse_error_codes(void **state)
{
	(void)state;
	char ok[512], nouser[512], nononce[512], nocreated[512], nodigest[512], badcreated[512],
	    badnonce[512];
	token(ok, sizeof(ok), "k", WSSE_KAT, NONCE, CREATED);
	snprintf(nouser, sizeof(nouser),
	         "UsernameToken PasswordDigest=\"d\",Nonce=\"n\",Created=\"" CREATED "\"");
	snprintf(nononce, sizeof(nononce),
	         "UsernameToken Username=\"k\",PasswordDigest=\"d\",Created=\"" CREATED "\"");
	snprintf(nocreated, sizeof(nocreated),
	         "UsernameToken Username=\"k\",PasswordDigest=\"d\",Nonce=\"n\"");
	snprintf(nodigest, sizeof(nodigest),
	         "UsernameToken Username=\"k\",Nonce=\"n\",Created=\"" CREATED "\"");
	token(badcreated, sizeof(badcreated), "k", "d", "n", "2018-02-12 15:30:20");
	token(badnonce, sizeof(badnonce), "k", "d", "n!n", CREATED);
	const struct case_ cases[] = {
	    {"no Authorization", NULL, ok, NULL, PN_RC_AUTH_NO_AUTHORIZATION},
	    {"empty Authorization", "  ", ok, NULL, PN_RC_AUTH_NO_AUTHORIZATION},
	    {"Basic scheme", "Basic abc", ok, NULL, PN_RC_AUTH_BAD_SCHEME},
	    {"no realm", "WSSE profile=\"UsernameToken\",type=\"Appkey\"", ok, NULL,
	     PN_RC_AUTH_NO_REALM},
	    {"no profile", "WSSE realm=\"SDP\",type=\"Appkey\"", ok, NULL, PN_RC_AUTH_NO_PROFILE},
	    {"no type", "WSSE realm=\"SDP\",profile=\"UsernameToken\"", ok, NULL,
	     PN_RC_AUTH_NO_TYPE},
	    {"bad realm", "WSSE realm=\"X\",profile=\"UsernameToken\",type=\"Appkey\"", ok, NULL,
	     PN_RC_AUTH_BAD_REALM},
	    {"bad profile", "WSSE realm=\"SDP\",profile=\"U\",type=\"Appkey\"", ok, NULL,
	     PN_RC_AUTH_BAD_PROFILE},
	    {"bad type", "WSSE realm=\"SDP\",profile=\"UsernameToken\",type=\"App\"", ok, NULL,
	     PN_RC_AUTH_BAD_TYPE},
	    {"no X-WSSE", AUTH_WSSE, NULL, ok, PN_RC_AUTH_NO_XWSSE},
	    {"no X-AKSK", AUTH_AKSK, ok, NULL, PN_RC_AUTH_NO_XAKSK},
	    {"no Username", AUTH_WSSE, nouser, NULL, PN_RC_AUTH_NO_USERNAME},
	    {"AKSK no Username", AUTH_AKSK, NULL, nouser, PN_RC_AUTH_AKSK_NO_USERNAME},
	    {"no Nonce", AUTH_WSSE, nononce, NULL, PN_RC_AUTH_NO_NONCE},
	    {"AKSK no Nonce", AUTH_AKSK, NULL, nononce, PN_RC_AUTH_AKSK_NO_NONCE},
	    {"bad Nonce chars", AUTH_WSSE, badnonce, NULL, PN_RC_AUTH_NO_NONCE},
	    {"no Created", AUTH_WSSE, nocreated, NULL, PN_RC_AUTH_NO_CREATED},
	    {"no PasswordDigest", AUTH_WSSE, nodigest, NULL, PN_RC_AUTH_NO_DIGEST},
	    {"bad Created", AUTH_WSSE, badcreated, NULL, PN_RC_AUTH_BAD_CREATED},
	    {"unterminated quote", AUTH_WSSE, "UsernameToken Username=\"k", NULL,
	     PN_RC_AUTH_NO_USERNAME},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pn_auth_creds c;
		int got = pn_auth_parse(cases[i].authz, cases[i].wsse, cases[i].aksk, &c);
		if (got != cases[i].want)
			fail_msg("case '%s': got %d want %d", cases[i].name, got, cases[i].want);
	}
}

static struct pn_auth *mk(uint32_t nonce_cap)
{
	struct pn_auth_cfg cfg;
	pn_auth_cfg_default(&cfg);
	cfg.nonce_capacity = nonce_cap;
	cfg.fail_threshold = 3;
	cfg.fail_window_s = 60;
	cfg.block_s = 100;
	struct pn_auth *a = pn_auth_new(&cfg);
	assert_non_null(a);
	return a;
}

static void test_auth_verify_skew_and_replay(void **state)
{
	(void)state;
	struct pn_auth *a = mk(1024);
	struct pn_auth_creds c;
	char tok[512];
	token(tok, sizeof(tok), "k", AKSK_KAT, NONCE, CREATED);
	assert_int_equal(pn_auth_parse(AUTH_AKSK, NULL, tok, &c), 0);
	/* A client in UTC+14 sending local time with a literal Z is 14 h "ahead": accepted. */
	assert_int_equal(pn_auth_verify(a, &c, SECRET, CREATED_S - 14 * 3600), 0);
	/* The same nonce again: replay. */
	assert_int_equal(pn_auth_verify(a, &c, SECRET, CREATED_S - 14 * 3600 + 5),
	                 PN_RC_AUTH_REPLAY);
	/* Wrong secret. */
	assert_int_equal(pn_auth_verify(a, &c, "other", CREATED_S), PN_RC_AUTH_INVALID);
	/* Outside 15 h. */
	token(tok, sizeof(tok), "k", AKSK_KAT, NONCE, CREATED);
	assert_int_equal(pn_auth_verify(a, &c, SECRET, CREATED_S + 15 * 3600 + 1), PN_RC_AUTH_SKEW);
	assert_int_equal(pn_auth_verify(a, &c, SECRET, CREATED_S - 15 * 3600 - 1), PN_RC_AUTH_SKEW);
	/* WSSE with the raw digest and with the hex variant. */
	struct pn_auth_creds w;
	token(tok, sizeof(tok), "k2", WSSE_KAT, NONCE, CREATED);
	assert_int_equal(pn_auth_parse(AUTH_WSSE, tok, NULL, &w), 0);
	assert_int_equal(pn_auth_verify(a, &w, SECRET, CREATED_S), 0);
	token(tok, sizeof(tok), "k3", WSSE_HEX_KAT, NONCE, CREATED);
	assert_int_equal(pn_auth_parse(AUTH_WSSE, tok, NULL, &w), 0);
	assert_int_equal(pn_auth_verify(a, &w, SECRET, CREATED_S), 0);
	/* The hex variant is not accepted for AKSK. */
	token(tok, sizeof(tok), "k4", WSSE_HEX_KAT, NONCE, CREATED);
	assert_int_equal(pn_auth_parse(AUTH_AKSK, NULL, tok, &w), 0);
	assert_int_equal(pn_auth_verify(a, &w, SECRET, CREATED_S), PN_RC_AUTH_INVALID);
	pn_auth_free(a);
}

/* Fill a tiny cache far beyond its capacity: no accepted nonce may ever be accepted twice. */
static void test_auth_replay_survives_cache_overflow(void **state)
{
	(void)state;
	struct pn_auth *a = mk(16 * 16); /* 16 per shard */
	int64_t now = CREATED_S;
	char nonce[32], d[96];
	struct pn_auth_creds c;
	memset(&c, 0, sizeof(c));
	c.scheme = PN_AUTH_AKSK;
	snprintf(c.username, sizeof(c.username), "app");
	int accepted = 0;
	for (int i = 0; i < 2000; i++) {
		/* Created advances one second every 10 requests. */
		int64_t cs = now + i / 10;
		time_t t = (time_t)cs;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(c.created, sizeof(c.created), "%Y-%m-%dT%H:%M:%SZ", &tm);
		c.created_s = cs;
		snprintf(nonce, sizeof(nonce), "n%d", i);
		snprintf(c.nonce, sizeof(c.nonce), "%s", nonce);
		pn_auth_digest(PN_AUTH_AKSK, SECRET, c.nonce, c.created, 0, d);
		snprintf(c.digest, sizeof(c.digest), "%s", d);
		if (pn_auth_verify(a, &c, SECRET, cs) == 0)
			accepted++;
		/* Replay of an old request (i - 500): must be refused whatever was evicted. */
		if (i >= 500) {
			struct pn_auth_creds old = c;
			int64_t ocs = now + (i - 500) / 10;
			t = (time_t)ocs;
			gmtime_r(&t, &tm);
			strftime(old.created, sizeof(old.created), "%Y-%m-%dT%H:%M:%SZ", &tm);
			old.created_s = ocs;
			snprintf(old.nonce, sizeof(old.nonce), "n%d", i - 500);
			pn_auth_digest(PN_AUTH_AKSK, SECRET, old.nonce, old.created, 0, d);
			snprintf(old.digest, sizeof(old.digest), "%s", d);
			assert_int_equal(pn_auth_verify(a, &old, SECRET, cs), PN_RC_AUTH_REPLAY);
		}
	}
	/* Most fresh requests still pass (only those in an evicted second are refused). */
	assert_true(accepted > 1000);
	struct pn_auth_stats st;
	pn_auth_stats(a, &st);
	assert_true(st.nonce_evicted > 0);
	assert_true(st.nonces <= 256);
	pn_auth_free(a);
}

static void test_auth_ip_block(void **state)
{
	(void)state;
	struct pn_auth *a = mk(1024);
	assert_int_equal(pn_auth_ip_blocked(a, "10.0.0.1", 1000), 0);
	assert_int_equal(pn_auth_ip_fail(a, "10.0.0.1", 1000), 0);
	assert_int_equal(pn_auth_ip_fail(a, "10.0.0.1", 1001), 0);
	assert_int_equal(pn_auth_ip_fail(a, "10.0.0.1", 1002), 1);
	assert_int_equal(pn_auth_ip_blocked(a, "10.0.0.1", 1003), 1);
	assert_int_equal(pn_auth_ip_blocked(a, "10.0.0.2", 1003), 0);
	assert_int_equal(pn_auth_ip_blocked(a, "10.0.0.1", 1102), 0); /* block_s = 100 */
	/* Failures spread beyond the window do not block. */
	assert_int_equal(pn_auth_ip_fail(a, "10.0.0.3", 2000), 0);
	assert_int_equal(pn_auth_ip_fail(a, "10.0.0.3", 2030), 0);
	assert_int_equal(pn_auth_ip_fail(a, "10.0.0.3", 2070), 0);
	assert_int_equal(pn_auth_ip_blocked(a, "10.0.0.3", 2071), 0);
	struct pn_auth_stats st;
	pn_auth_stats(a, &st);
	assert_int_equal(st.ips_blocked, 1);
	pn_auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auth_digest_known_answers),
	    cmocka_unit_test(test_auth_parse_created),
	    cmocka_unit_test(test_auth_parse_header_variants),
	    cmocka_unit_test(test_auth_parse_error_codes),
	    cmocka_unit_test(test_auth_verify_skew_and_replay),
	    cmocka_unit_test(test_auth_replay_survives_cache_overflow),
	    cmocka_unit_test(test_auth_ip_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
