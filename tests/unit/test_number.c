/*
 * test_number.c: phone-number normalisation, the strict global check and the packed form.
 * Table-driven: each case names the carrier form it stands for. Inputs are copied flush
 * against a PROT_NONE guard page so any over-read faults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "pn_number.h"

/* ---- guard-page buffer: data ends exactly where an inaccessible page starts ---- */
static char *guard_base;
static size_t guard_size;

static const char *guard_copy(const char *s, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (n + (size_t)pg - 1) / (size_t)pg + 1;
	if (guard_base)
		munmap(guard_base, guard_size);
	guard_size = (pages + 1) * (size_t)pg;
	guard_base =
	    mmap(NULL, guard_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(guard_base != MAP_FAILED);
	char *guard = guard_base + pages * (size_t)pg;
	assert_int_equal(mprotect(guard, (size_t)pg, PROT_NONE), 0);
	char *p = guard - n;
	memcpy(p, s, n);
	return p;
}

struct ncase {
	const char *name;
	const char *in;
	const char *want; /* NULL when an error is expected */
	int err;
};

static const struct ncase norm_cases[] = {
    {"global", "+8613800000001", "+8613800000001", 0},
    {"cc_mobile_no_plus", "8613800000001", "+8613800000001", 0},
    {"cc_fixed_no_plus", "8675512345678", "+8675512345678", 0},
    {"intl_prefix", "008613800000001", "+8613800000001", 0},
    {"intl_prefix_other_country", "0014155550100", "+14155550100", 0},
    {"trunk_national", "075512345678", "+8675512345678", 0},
    {"bare_mobile", "13800000001", "+8613800000001", 0},
    {"short_code", "10086", "+8610086", 0},
    {"tel_separators", "tel:+86-138-0000-0001", "+8613800000001", 0},
    {"tel_parens_dots", "tel:+86(755)1234.5678", "+8675512345678", 0},
    {"tel_params", "tel:+8613800000001;npdi;rn=+8613900000000", "+8613800000001", 0},
    {"tel_phone_context", "tel:7042;phone-context=+8675512", "+86755127042", 0},
    {"tel_domain_context", "tel:13800000001;phone-context=example.com", "+8613800000001", 0},
    {"tel_upper", "TEL:+8613800000001", "+8613800000001", 0},
    {"sip_user_phone", "sip:+8613800000001@10.0.0.1;user=phone", "+8613800000001", 0},
    {"sip_port", "sip:+8613800000001@10.0.0.1:5060", "+8613800000001", 0},
    {"sips", "sips:+8613800000001@carrier.example", "+8613800000001", 0},
    {"sip_npdi_rn", "sip:+8613800000001;npdi;rn=+8613900000000@h;user=phone", "+8613800000001", 0},
    {"sip_national", "sip:075512345678@gw", "+8675512345678", 0},
    {"sip_pct_plus", "sip:%2B8613800000001@gw", "+8613800000001", 0},
    {"sip_angle", "<sip:+8613800000001@gw>", "+8613800000001", 0},
    {"blanks_around", "  +86 138 0000 0001 ", "+8613800000001", 0},
    {"max_17_digits", "+12345678901234567", "+12345678901234567", 0},
    {"min_4_digits", "+1234", "+1234", 0},
    {"empty", "", NULL, PN_NUMBER_EEMPTY},
    {"only_separators", "tel:--", NULL, PN_NUMBER_EEMPTY},
    {"sip_no_user", "sip:@host", NULL, PN_NUMBER_EEMPTY},
    {"letters", "1380000000a", NULL, PN_NUMBER_ECHAR},
    {"sip_host_only", "sip:example.com", NULL, PN_NUMBER_ECHAR},
    {"plus_in_middle", "86+13800000001", NULL, PN_NUMBER_ECHAR},
    {"double_plus", "++8613800000001", NULL, PN_NUMBER_ECHAR},
    {"star", "*86", NULL, PN_NUMBER_ECHAR},
    {"bad_pct", "sip:%2@h", NULL, PN_NUMBER_ECHAR},
    {"pct_trunc_end", "1380000%", NULL, PN_NUMBER_ECHAR},
    {"too_long_18", "+123456789012345678", NULL, PN_NUMBER_ELONG},
    {"too_long_national", "1234567890123456", NULL, PN_NUMBER_ELONG},
    {"very_long", "+1234567890123456789012345678901234567890123456789", NULL, PN_NUMBER_ELONG},
    {"too_short", "+123", NULL, PN_NUMBER_ESHORT},
    {"mailto", "mailto:+8613800000001", NULL, PN_NUMBER_ESCHEME},
    {"http", "http://example.com/13800000001", NULL, PN_NUMBER_ESCHEME},
    {"urn", "urn:service:sos", NULL, PN_NUMBER_ESCHEME},
};

static void test_number_normalize_table(void **state)
{
	(void)state;
	struct pn_number_ctx ctx;
	pn_number_ctx_default(&ctx);
	for (size_t i = 0; i < PN_ARRAY_SIZE(norm_cases); i++) {
		const struct ncase *c = &norm_cases[i];
		size_t n = strlen(c->in);
		const char *in = guard_copy(c->in, n);
		char out[PN_NUM_STRLEN];
		int rc = pn_number_normalize(&ctx, in, n, out, sizeof(out));
		if (c->want) {
			if (rc != (int)strlen(c->want) || strcmp(out, c->want) != 0)
				fail_msg("case %s: rc %d out '%s', want '%s'", c->name, rc, out,
				         c->want);
		} else if (rc != c->err) {
			fail_msg("case %s: rc %d (%s), want %d (%s)", c->name, rc,
			         pn_number_strerror(rc), c->err, pn_number_strerror(c->err));
		}
	}
}

static void test_number_normalize_needs_country(void **state)
{
	(void)state;
	struct pn_number_ctx ctx;
	pn_number_ctx_default(&ctx);
	ctx.country[0] = '\0';
	char out[PN_NUM_STRLEN];
	assert_int_equal(pn_number_normalize(&ctx, "13800000001", 11, out, sizeof(out)),
	                 PN_NUMBER_ENATIONAL);
	assert_int_equal(pn_number_normalize(&ctx, "075512345678", 12, out, sizeof(out)),
	                 PN_NUMBER_ENATIONAL);
	/* NULL context: the defaults (country 86) */
	assert_int_equal(pn_number_normalize(NULL, "13800000001", 11, out, sizeof(out)), 14);
	assert_string_equal(out, "+8613800000001");
	/* global and international forms need no country */
	assert_int_equal(pn_number_normalize(&ctx, "008613800000001", 15, out, sizeof(out)), 14);
	assert_string_equal(out, "+8613800000001");
}

static void test_number_normalize_other_country(void **state)
{
	(void)state;
	/* NANP: intl prefix 011, trunk 1, country 1 */
	struct pn_number_ctx ctx = {"1", "1", "011"};
	char out[PN_NUM_STRLEN];
	assert_int_equal(pn_number_normalize(&ctx, "4155550100", 10, out, sizeof(out)), 12);
	assert_string_equal(out, "+14155550100");
	assert_int_equal(pn_number_normalize(&ctx, "14155550100", 11, out, sizeof(out)), 12);
	assert_string_equal(out, "+14155550100");
	assert_int_equal(pn_number_normalize(&ctx, "01144207946000", 14, out, sizeof(out)), 12);
	assert_string_equal(out, "+44207946000");
}

static void test_number_normalize_small_output(void **state)
{
	(void)state;
	struct pn_number_ctx ctx;
	pn_number_ctx_default(&ctx);
	char out[15];
	/* "+8613800000001" needs 15 bytes with NUL */
	assert_int_equal(pn_number_normalize(&ctx, "13800000001", 11, out, 14), PN_EINVAL);
	assert_int_equal(pn_number_normalize(&ctx, "13800000001", 11, out, 15), 14);
}

static void test_number_normalize_every_truncation(void **state)
{
	(void)state;
	struct pn_number_ctx ctx;
	pn_number_ctx_default(&ctx);
	const char *full = "sip:+86-138-0000-0001;npdi;rn=+86139@gw.example;user=phone";
	size_t n = strlen(full);
	for (size_t k = 0; k <= n; k++) {
		const char *in = guard_copy(full, k);
		char out[PN_NUM_STRLEN];
		int rc = pn_number_normalize(&ctx, in, k, out, sizeof(out));
		/* every prefix is either a valid number or a clear error, never a crash */
		assert_true(rc > 0 || (rc <= PN_NUMBER_EEMPTY && rc >= PN_NUMBER_ENATIONAL));
		if (rc > 0)
			assert_true(pn_number_is_global(out, (size_t)rc));
	}
}

static void test_number_is_global(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int want;
	} t[] = {
	    {"+8613800000001", 1},
	    {"+1234", 1},
	    {"+12345678901234567", 1},
	    {"+123", 0},
	    {"+123456789012345678", 0},
	    {"8613800000001", 0},
	    {"+86 138", 0},
	    {"+", 0},
	    {"", 0},
	    {"+86-13800000001", 0},
	    {"++1234", 0},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++) {
		size_t n = strlen(t[i].s);
		if (pn_number_is_global(guard_copy(t[i].s, n), n) != t[i].want)
			fail_msg("is_global('%s') != %d", t[i].s, t[i].want);
	}
}

static void test_number_pack_layout(void **state)
{
	(void)state;
	pn_num_t n = pn_num_pack("+8613800000001", 14);
	assert_true(n >> 63);
	assert_int_equal((n >> 58) & 0x1f, 13);
	assert_int_equal(n & ((UINT64_C(1) << 57) - 1), UINT64_C(8613800000001));
	assert_int_equal((n >> 57) & 1, 0);
	/* leading zeros survive because of the count */
	pn_num_t z = pn_num_pack("0075", 4);
	assert_int_equal(z >> 63, 0);
	assert_int_equal((z >> 58) & 0x1f, 4);
	assert_int_equal(z & 0xffff, 75);
	char out[PN_NUM_STRLEN];
	assert_int_equal(pn_num_unpack(z, out), 4);
	assert_string_equal(out, "0075");
	assert_true(pn_num_pack("0075", 4) != pn_num_pack("075", 3));
}

static void test_number_pack_roundtrip(void **state)
{
	(void)state;
	static const char *ok[] = {"+8613800000001",    "13800000001",        "0",     "+0",
	                           "99999999999999999", "+99999999999999999", "+1234", "00000"};
	for (size_t i = 0; i < PN_ARRAY_SIZE(ok); i++) {
		size_t n = strlen(ok[i]);
		pn_num_t p = pn_num_pack(guard_copy(ok[i], n), n);
		assert_true(p != PN_NUM_NONE);
		assert_true(pn_num_is_valid(p));
		char out[PN_NUM_STRLEN];
		assert_int_equal(pn_num_unpack(p, out), (int)n);
		assert_string_equal(out, ok[i]);
	}
	static const char *bad[] = {"",    "+",  "+123456789012345678", "123456789012345678", "12a",
	                            "+-1", "1 2"};
	for (size_t i = 0; i < PN_ARRAY_SIZE(bad); i++) {
		size_t n = strlen(bad[i]);
		if (pn_num_pack(guard_copy(bad[i], n), n) != PN_NUM_NONE)
			fail_msg("pack('%s') should fail", bad[i]);
	}
}

static void test_number_unpack_rejects_malformed(void **state)
{
	(void)state;
	char out[PN_NUM_STRLEN];
	assert_int_equal(pn_num_unpack(PN_NUM_NONE, out), 0);
	assert_string_equal(out, "");
	/* count 0 with a value, count 18, bit 57 set, value >= 10^count */
	pn_num_t bad[] = {5, (UINT64_C(18) << 58) | 1, (UINT64_C(3) << 58) | (UINT64_C(1) << 57),
	                  (UINT64_C(3) << 58) | 1000, UINT64_MAX};
	for (size_t i = 0; i < PN_ARRAY_SIZE(bad); i++) {
		assert_false(pn_num_is_valid(bad[i]));
		assert_int_equal(pn_num_unpack(bad[i], out), 0);
	}
	assert_true(pn_num_is_valid((UINT64_C(3) << 58) | 999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number_normalize_table),
	    cmocka_unit_test(test_number_normalize_needs_country),
	    cmocka_unit_test(test_number_normalize_other_country),
	    cmocka_unit_test(test_number_normalize_small_output),
	    cmocka_unit_test(test_number_normalize_every_truncation),
	    cmocka_unit_test(test_number_is_global),
	    cmocka_unit_test(test_number_pack_layout),
	    cmocka_unit_test(test_number_pack_roundtrip),
	    cmocka_unit_test(test_number_unpack_rejects_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
