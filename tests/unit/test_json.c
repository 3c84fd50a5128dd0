/*
 * test_json.c: the tolerant field readers and the query parser (control/pn_json.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pn_json.h"

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_ALLOW_NUL, &e);
	assert_non_null(j);
	return j;
}

static void test_json_bool_forms(void **state)
{
	(void)state;
	json_t *j = load("{\"a\":true,\"b\":\"false\",\"c\":\"TRUE\",\"d\":1,\"e\":\"0\",\"f\":2,"
	                 "\"g\":\"yes\",\"h\":null,\"i\":[],\"j\":1.0}");
	int v = -1;
	assert_int_equal(pn_json_get_bool(j, "a", &v), PN_JSON_OK);
	assert_int_equal(v, 1);
	assert_int_equal(pn_json_get_bool(j, "b", &v), PN_JSON_OK);
	assert_int_equal(v, 0);
	assert_int_equal(pn_json_get_bool(j, "c", &v), PN_JSON_OK);
	assert_int_equal(v, 1);
	assert_int_equal(pn_json_get_bool(j, "d", &v), PN_JSON_OK);
	assert_int_equal(v, 1);
	assert_int_equal(pn_json_get_bool(j, "e", &v), PN_JSON_OK);
	assert_int_equal(v, 0);
	assert_int_equal(pn_json_get_bool(j, "f", &v), PN_EINVAL);
	assert_int_equal(pn_json_get_bool(j, "g", &v), PN_EINVAL);
	assert_int_equal(pn_json_get_bool(j, "h", &v), PN_JSON_ABSENT);
	assert_int_equal(pn_json_get_bool(j, "i", &v), PN_EINVAL);
	assert_int_equal(pn_json_get_bool(j, "j", &v), PN_EINVAL);
	assert_int_equal(pn_json_get_bool(j, "zz", &v), PN_JSON_ABSENT);
	json_decref(j);
}

static void test_json_int_forms(void **state)
{
	(void)state;
	json_t *j = load("{\"a\":5,\"b\":\"7\",\"c\":\"-1\",\"d\":\"1x\",\"e\":3.0,\"f\":3.5,"
	                 "\"g\":\"\",\"h\":true,\"j\":\"99999999999999999999\"}");
	int64_t v = -1;
	assert_int_equal(pn_json_get_int(j, "a", 0, 10, &v), PN_JSON_OK);
	assert_int_equal(v, 5);
	assert_int_equal(pn_json_get_int(j, "a", 6, 10, &v), PN_EINVAL);
	assert_int_equal(pn_json_get_int(j, "b", 0, 10, &v), PN_JSON_OK);
	assert_int_equal(v, 7);
	assert_int_equal(pn_json_get_int(j, "c", 0, 10, &v), PN_EINVAL);
	assert_int_equal(pn_json_get_int(j, "c", -5, 10, &v), PN_JSON_OK);
	assert_int_equal(v, -1);
	assert_int_equal(pn_json_get_int(j, "d", 0, 10, &v), PN_EINVAL);
	assert_int_equal(pn_json_get_int(j, "e", 0, 10, &v), PN_JSON_OK);
	assert_int_equal(v, 3);
	assert_int_equal(pn_json_get_int(j, "f", 0, 10, &v), PN_EINVAL);
	assert_int_equal(pn_json_get_int(j, "g", 0, 10, &v), PN_EINVAL);
	assert_int_equal(pn_json_get_int(j, "h", 0, 10, &v), PN_EINVAL);
	assert_int_equal(pn_json_get_int(j, "j", 0, INT64_MAX, &v), PN_EINVAL);
	json_decref(j);
}

static void test_json_str_ascii_only(void **state)
{
	(void)state;
	json_t *j = load("{\"a\":\"abc\",\"b\":\"\\u00e9t\\u00e9\",\"c\":\"a\\u0000b\",\"d\":5,"
	                 "\"e\":\"tab\\there\"}");
	const char *s;
	size_t len;
	assert_int_equal(pn_json_get_str(j, "a", 1, 3, &s, &len), PN_JSON_OK);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	assert_int_equal(pn_json_get_str(j, "a", 4, 8, &s, &len), PN_EINVAL);
	assert_int_equal(pn_json_get_str(j, "a", 0, 2, &s, &len), PN_EINVAL);
	assert_int_equal(pn_json_get_str(j, "b", 0, 100, &s, &len), PN_EINVAL);
	assert_int_equal(pn_json_get_str(j, "c", 0, 100, &s, &len), PN_EINVAL);
	assert_int_equal(pn_json_get_str(j, "d", 0, 100, &s, &len), PN_EINVAL);
	assert_int_equal(pn_json_get_str(j, "e", 0, 100, &s, &len), PN_EINVAL);
	json_decref(j);
}

static void test_json_query_parse(void **state)
{
	(void)state;
	struct pn_query *q = malloc(sizeof(*q));
	const char raw[] = "relationNum=%2B8617010000001&pageSize=20&&flag&a=1&a=2&sp=x+y";
	assert_int_equal(pn_query_parse(q, raw, strlen(raw)), 0);
	size_t len;
	assert_string_equal(pn_query_get(q, "relationNum", &len), "+8617010000001");
	assert_int_equal(len, 14);
	assert_string_equal(pn_query_get(q, "pageSize", NULL), "20");
	assert_string_equal(pn_query_get(q, "flag", &len), "");
	assert_int_equal(len, 0);
	assert_string_equal(pn_query_get(q, "a", NULL), "1");
	assert_string_equal(pn_query_get(q, "sp", NULL), "x y");
	assert_null(pn_query_get(q, "missing", NULL));
	/* Bad escapes, including a truncated one at the very end of the buffer. */
	assert_int_equal(pn_query_parse(q, "a=%2", 4), PN_EINVAL);
	assert_int_equal(pn_query_parse(q, "a=%", 3), PN_EINVAL);
	assert_int_equal(pn_query_parse(q, "a=%zz", 5), PN_EINVAL);
	/* Too many pairs. */
	char many[512] = "";
	for (int i = 0; i < PN_QUERY_MAX + 1; i++)
		strcat(many, "k=v&");
	assert_int_equal(pn_query_parse(q, many, strlen(many)), 0); /* duplicates are kept once */
	many[0] = '\0';
	for (int i = 0; i < PN_QUERY_MAX + 1; i++) {
		char kv[16];
		snprintf(kv, sizeof(kv), "k%d=v&", i);
		strcat(many, kv);
	}
	assert_int_equal(pn_query_parse(q, many, strlen(many)), PN_EINVAL);
	/* Longer than the buffer. */
	char *big = malloc(PN_QUERY_BUF + 10);
	memset(big, 'a', PN_QUERY_BUF + 9);
	big[PN_QUERY_BUF + 9] = '\0';
	assert_int_equal(pn_query_parse(q, big, strlen(big)), PN_EINVAL);
	free(big);
	/* Not NUL-terminated input: the parser must stop at len. */
	char nt[6] = {'a', '=', '%', '4', '1', 'X'};
	assert_int_equal(pn_query_parse(q, nt, 5), 0);
	assert_string_equal(pn_query_get(q, "a", NULL), "A");
	free(q);
}

/* pn_json_dump gives the same text as jansson's compact dump. */
static void test_json_dump_matches_jansson(void **state)
{
	(void)state;
	static const char *const docs[] = {
	    "{}",
	    "[]",
	    "{\"resultcode\":\"0\",\"resultdesc\":\"Success\",\"n\":-9223372036854775807,"
	    "\"z\":0,\"big\":9223372036854775807,\"t\":true,\"f\":false,\"nul\":null}",
	    "{\"esc\":\"q\\\"b\\\\s\\/"
	    "n\\nr\\rt\\tc\\u0001\\u001f\\b\\f\",\"u\":\"\\u00e9\\u4e2d\"}",
	    "{\"list\":[{\"a\":1,\"b\":[1,2,[3,{}]]},\"x\",[]],\"k\":{\"x\":{\"y\":\"z\"}}}",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *j = load(docs[i]);
		size_t len = 0;
		char *mine = pn_json_dump(j, &len);
		char *ref = json_dumps(j, JSON_COMPACT);
		assert_non_null(mine);
		assert_string_equal(mine, ref);
		assert_int_equal(len, strlen(ref));
		free(mine);
		free(ref);
		json_decref(j);
	}
	/* Nesting deeper than 32 levels is refused, not recursed into without bound. */
	json_t *deep = json_array(), *cur = deep;
	for (int i = 0; i < 40; i++) {
		json_t *n = json_array();
		json_array_append_new(cur, n);
		cur = n;
	}
	assert_null(pn_json_dump(deep, NULL));
	json_decref(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_bool_forms),
	    cmocka_unit_test(test_json_int_forms),
	    cmocka_unit_test(test_json_str_ascii_only),
	    cmocka_unit_test(test_json_query_parse),
	    cmocka_unit_test(test_json_dump_matches_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
