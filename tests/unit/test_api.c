/*
 * test_api.c: the handler table of control/pn_api.c driven in-process (no sockets) against a
 * real store in a temporary directory: routing (404/405), the auth chain and its codes, mode
 * and status checks, bad input (each answered 1010002 with the field, the store unchanged),
 * and exact success answers of AXB bind/query/unbind.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "pn_api.h"
#include "pn_auth.h"
#include "pn_metrics.h"
#include "pn_store.h"

#define TOKEN "unit-admin-token"

struct env {
	char dir[64];
	struct pn_store *st;
	struct pn_auth *auth;
	struct pn_metrics *m;
	struct pn_api *api;
	char key[PN_APPKEY_LEN], secret[PN_STORE_SECRET_LEN];
	char key_ax[PN_APPKEY_LEN], secret_ax[PN_STORE_SECRET_LEN];
	int nonce;
};

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pn_api_resp *r;
	int done;
};

static void on_done(void *arg, struct pn_api_resp *r)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->r = r;
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* One request; returns the HTTP status and the parsed body in *out (caller decrefs). */
static unsigned call(struct env *e, const char *method, const char *path, const char *query,
                     const char *body, const char *authz, const char *xaksk, json_t **out)
{
	struct pn_api_req req = {
	    .method = method,
	    .path = path,
	    .query = query,
	    .query_len = query ? strlen(query) : 0,
	    .authorization = authz,
	    .x_aksk = xaksk,
	    .body = body,
	    .body_len = body ? strlen(body) : 0,
	    .peer_ip = "192.0.2.1",
	};
	struct pn_api_resp resp, *r = &resp;
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0};
	if (pn_api_handle(e->api, &req, &resp, on_done, &w) == PN_API_PENDING) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
		r = w.r;
		assert_non_null(r);
	}
	json_error_t err;
	*out = r->body ? json_loadb(r->body, r->body_len, 0, &err) : NULL;
	unsigned st = r->status;
	pn_api_resp_clear(r);
	if (r != &resp)
		free(r);
	return st;
}

static unsigned signed_call(struct env *e, const char *key, const char *secret, const char *method,
                            const char *path, const char *query, const char *body, json_t **out)
{
	char nonce[32], created[32], dig[96], tok[512];
	snprintf(nonce, sizeof(nonce), "N%08d", e->nonce++);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pn_auth_digest(PN_AUTH_AKSK, secret, nonce, created, 0, dig);
	snprintf(tok, sizeof(tok),
	         "UsernameToken Username=\"%s\",PasswordDigest=\"%s\",Nonce=\"%s\",Created=\"%s\"",
	         key, dig, nonce, created);
	return call(e, method, path, query, body,
	            "AKSK realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\"", tok, out);
}

static const char *rc_of(json_t *j)
{
	json_t *v = json_object_get(j, "resultcode");
	return v ? json_string_value(v) : "(none)";
}

static const char *desc_of(json_t *j)
{
	json_t *v = json_object_get(j, "resultdesc");
	return v ? json_string_value(v) : "(none)";
}

#define AXB "/rest/caas/relationnumber/partners/v1.0"
#define AX  "/rest/provision/caas/privatenumber/v1.0"

static void admin_app(struct env *e, const char *mode, const char *num, char *key, char *secret)
{
	json_t *j;
	char body[256];
	snprintf(body, sizeof(body), "{\"name\":\"t\",\"mode\":\"%s\"}", mode);
	assert_int_equal(call(e, "POST", "/admin/v1/apps", NULL, body, "Bearer " TOKEN, NULL, &j),
	                 201);
	json_t *app = json_object_get(j, "app");
	strcpy(key, json_string_value(json_object_get(app, "appKey")));
	strcpy(secret, json_string_value(json_object_get(app, "appSecret")));
	json_decref(j);
	snprintf(body, sizeof(body), "{\"number\":\"%s\",\"areaCode\":\"0755\",\"appKey\":\"%s\"}",
	         num, key);
	assert_int_equal(
	    call(e, "POST", "/admin/v1/numbers", NULL, body, "Bearer " TOKEN, NULL, &j), 201);
	json_decref(j);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	strcpy(e->dir, "/tmp/test_api.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	struct pn_store_config sc = {0};
	sc.path = e->dir;
	sc.no_sweeper = 1;
	assert_int_equal(pn_store_open(&sc, &e->st), 0);
	struct pn_auth_cfg ac;
	pn_auth_cfg_default(&ac);
	ac.fail_threshold = 1000;
	e->auth = pn_auth_new(&ac);
	e->m = pn_metrics_new(e->st, e->auth, 0);
	struct pn_api_config cfg = {e->st, e->auth, e->m, TOKEN, 65536};
	e->api = pn_api_new(&cfg);
	admin_app(e, "AXB", "+8617010000001", e->key, e->secret);
	admin_app(e, "AX", "+8617010000009", e->key_ax, e->secret_ax);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	pn_api_free(e->api);
	pn_metrics_free(e->m);
	pn_auth_free(e->auth);
	pn_store_close(e->st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static void test_api_routing(void **state)
{
	struct env *e = *state;
	json_t *j;
	assert_int_equal(call(e, "GET", "/nope", NULL, NULL, NULL, NULL, &j), 404);
	assert_string_equal(rc_of(j), "1010002");
	json_decref(j);
	assert_int_equal(call(e, "PATCH", AXB, NULL, NULL, NULL, NULL, &j), 405);
	assert_string_equal(rc_of(j), "1010002");
	json_decref(j);
	assert_int_equal(
	    call(e, "PUT", "/rest/omp/xyrelationnumber/v1.0", NULL, "{}", NULL, NULL, &j), 405);
	json_decref(j);
	assert_int_equal(call(e, "GET", "/health", NULL, NULL, NULL, NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	json_decref(j);
}

static void test_api_auth_chain(void **state)
{
	struct env *e = *state;
	json_t *j;
	uint64_t seq = pn_store_last_seq(e->st);
	const char *body = "{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\"}";
	assert_int_equal(call(e, "POST", AXB, NULL, body, NULL, NULL, &j), 401);
	assert_string_equal(rc_of(j), "1023006");
	json_decref(j);
	assert_int_equal(call(e, "POST", AXB, NULL, body,
	                      "AKSK realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\"", NULL,
	                      &j),
	                 401);
	assert_string_equal(rc_of(j), "1023033");
	json_decref(j);
	/* Unknown app_key. */
	assert_int_equal(signed_call(e, "nosuchkey", "x", "POST", AXB, NULL, body, &j), 401);
	assert_string_equal(rc_of(j), "1010003");
	json_decref(j);
	/* Right key, wrong secret. */
	assert_int_equal(signed_call(e, e->key, "wrongsecret", "POST", AXB, NULL, body, &j), 401);
	assert_string_equal(rc_of(j), "1010003");
	json_decref(j);
	/* AX app calling the AXB API. */
	assert_int_equal(signed_call(e, e->key_ax, e->secret_ax, "POST", AXB, NULL, body, &j), 403);
	assert_string_equal(rc_of(j), "1010040");
	json_decref(j);
	assert_int_equal(pn_store_last_seq(e->st), seq);
}

static void test_api_bad_input(void **state)
{
	struct env *e = *state;
	json_t *j;
	uint64_t seq = pn_store_last_seq(e->st);
	static const struct {
		const char *body;
		const char *field;
	} cases[] = {
	    {"{\"callerNum\":\"+8618612345678\"", "body"},
	    {"[1,2]", "body"},
	    {"{\"calleeNum\":\"+8618612345679\"}", "callerNum"},
	    {"{\"callerNum\":\"8618612345678\",\"calleeNum\":\"+8618612345679\"}", "callerNum"},
	    {"{\"callerNum\":12345678,\"calleeNum\":\"+8618612345679\"}", "callerNum"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\",\"duration\":"
	     "7776001}",
	     "duration"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\",\"callDirection\":"
	     "\"3\"}",
	     "callDirection"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\",\"recordFlag\":"
	     "\"maybe\"}",
	     "recordFlag"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\",\"userData\":"
	     "\"a{b\"}",
	     "userData"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\",\"userData\":"
	     "\"\\u00e9\"}",
	     "userData"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\",\"preVoice\":"
	     "{\"callerHintTone\":\"a b.wav\"}}",
	     "callerHintTone"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345678\"}", "calleeNum"},
	    {"{\"callerNum\":\"+8618612345678\",\"calleeNum\":\"+8618612345679\",\"maxDuration\":"
	     "1441}",
	     "maxDuration"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned st =
		    signed_call(e, e->key, e->secret, "POST", AXB, NULL, cases[i].body, &j);
		char want[96];
		snprintf(want, sizeof(want), "Invalid parameter: %s", cases[i].field);
		if (st != 400 || strcmp(rc_of(j), "1010002") || strcmp(desc_of(j), want))
			fail_msg("case %zu: %u %s %s", i, st, rc_of(j), desc_of(j));
		json_decref(j);
	}
	/* Invalid UTF-8 in the body. */
	assert_int_equal(signed_call(e, e->key, e->secret, "POST", AXB, NULL,
	                             "{\"callerNum\":\"+86\xff\xfe\"}", &j),
	                 400);
	assert_string_equal(rc_of(j), "1010002");
	json_decref(j);
	/* Oversized body, as flagged by the HTTP layer: answered after auth, store untouched. */
	struct pn_api_req req = {
	    .method = "POST", .path = AXB, .body_too_large = 1, .peer_ip = "192.0.2.1"};
	struct pn_api_resp resp;
	assert_int_equal(pn_api_handle(e->api, &req, &resp, on_done, NULL), PN_API_DONE);
	assert_int_equal(resp.status, 401); /* no credentials: auth comes first */
	pn_api_resp_clear(&resp);
	assert_int_equal(pn_store_last_seq(e->st), seq);
}

static void test_api_axb_bind_query_unbind(void **state)
{
	struct env *e = *state;
	json_t *j;
	assert_int_equal(signed_call(e, e->key, e->secret, "POST", AXB, NULL,
	                             "{\"callerNum\":\"+8618612345678\",\"relationNum\":"
	                             "\"+8617010000001\",\"calleeNum\":\"+8618612345679\","
	                             "\"duration\":\"3600\",\"recordFlag\":true,\"maxDuration\":5,"
	                             "\"privateSms\":\"false\",\"unknownField\":[1]}",
	                             &j),
	                 200);
	assert_string_equal(rc_of(j), "0");
	assert_string_equal(desc_of(j), "Success");
	const char *sub = json_string_value(json_object_get(j, "subscriptionId"));
	assert_non_null(sub);
	char subid[64];
	snprintf(subid, sizeof(subid), "%s", sub);
	assert_string_equal(json_string_value(json_object_get(j, "relationNum")), "+8617010000001");
	assert_int_equal(json_integer_value(json_object_get(j, "duration")), 3600);
	assert_int_equal(json_integer_value(json_object_get(j, "maxDuration")), 5);
	json_decref(j);
	/* Same pair again: 1012010. */
	assert_int_equal(signed_call(e, e->key, e->secret, "POST", AXB, NULL,
	                             "{\"callerNum\":\"+8618612345678\",\"relationNum\":"
	                             "\"+8617010000001\",\"calleeNum\":\"+8618612345679\"}",
	                             &j),
	                 409);
	assert_string_equal(rc_of(j), "1012010");
	json_decref(j);
	/* Query by X with pageSize out of range -> 50. */
	assert_int_equal(signed_call(e, e->key, e->secret, "GET", AXB,
	                             "relationNum=%2B8617010000001&pageSize=500", NULL, &j),
	                 200);
	assert_string_equal(rc_of(j), "0");
	assert_int_equal(json_integer_value(json_object_get(j, "pageSize")), 50);
	assert_int_equal(json_integer_value(json_object_get(j, "totalCount")), 1);
	json_t *e0 = json_array_get(json_object_get(j, "relationNumList"), 0);
	assert_string_equal(json_string_value(json_object_get(e0, "subscriptionId")), subid);
	assert_string_equal(json_string_value(json_object_get(e0, "callerNum")), "+8618612345678");
	assert_string_equal(json_string_value(json_object_get(e0, "calleeNum")), "+8618612345679");
	assert_string_equal(json_string_value(json_object_get(e0, "recordFlag")), "true");
	json_decref(j);
	/* Unbind by id, then the query by id says 1012007. */
	char q[96];
	snprintf(q, sizeof(q), "subscriptionId=%s", subid);
	assert_int_equal(signed_call(e, e->key, e->secret, "DELETE", AXB, q, NULL, &j), 200);
	assert_string_equal(rc_of(j), "0");
	json_decref(j);
	assert_int_equal(signed_call(e, e->key, e->secret, "GET", AXB, q, NULL, &j), 404);
	assert_string_equal(rc_of(j), "1012007");
	json_decref(j);
	assert_int_equal(signed_call(e, e->key, e->secret, "DELETE", AXB, q, NULL, &j), 404);
	assert_string_equal(rc_of(j), "1012007");
	json_decref(j);
}

static void test_api_disabled_app(void **state)
{
	struct env *e = *state;
	json_t *j;
	char path[128];
	snprintf(path, sizeof(path), "/admin/v1/apps/%s", e->key_ax);
	assert_int_equal(
	    call(e, "PUT", path, NULL, "{\"status\":\"disabled\"}", "Bearer wrong", NULL, &j), 401);
	json_decref(j);
	assert_int_equal(
	    call(e, "PUT", path, NULL, "{\"status\":\"disabled\"}", "Bearer " TOKEN, NULL, &j),
	    200);
	json_decref(j);
	assert_int_equal(signed_call(e, e->key_ax, e->secret_ax, "GET", AX,
	                             "origNum=%2B8618612345678", NULL, &j),
	                 403);
	assert_string_equal(rc_of(j), "1010004");
	json_decref(j);
}

static void test_api_store_rc_table(void **state)
{
	(void)state;
	struct pn_api_rc r = pn_api_map_store_rc(PN_STORE_NOT_FOUND, PN_MODE_AX, PN_API_AX_QUERY);
	assert_int_equal(r.resultcode, 1016001);
	assert_int_equal(r.http_status, 404);
	r = pn_api_map_store_rc(PN_STORE_NOT_FOUND, PN_MODE_AXB, PN_API_AXB_QUERY);
	assert_int_equal(r.resultcode, 1012007);
	r = pn_api_map_store_rc(PN_STORE_X_NOT_OWNED, PN_MODE_AXB, PN_API_AXB_UNBIND);
	assert_int_equal(r.resultcode, 1011004);
	assert_int_equal(r.http_status, 403);
	r = pn_api_map_store_rc(PN_STORE_X_NOT_OWNED, PN_MODE_AXB, PN_API_AXB_BIND);
	assert_int_equal(r.resultcode, 1011001);
	r = pn_api_map_store_rc(PN_STORE_NO_EXT_FREE, PN_MODE_AXE, PN_API_AXE_BIND);
	assert_int_equal(r.resultcode, 1020167);
	r = pn_api_map_store_rc(PN_STORE_EIO, PN_MODE_AXE, PN_API_AXE_BIND);
	assert_int_equal(r.resultcode, 1010001);
	assert_int_equal(r.http_status, 500);
	r = pn_api_map_store_rc(PN_STORE_OK, PN_MODE_AXE, PN_API_AXE_BIND);
	assert_int_equal(r.resultcode, 0);
	assert_int_equal(r.http_status, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_api_store_rc_table),
	    cmocka_unit_test_setup_teardown(test_api_routing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_auth_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_axb_bind_query_unbind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_disabled_app, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
