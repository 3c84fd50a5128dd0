/*
 * test_binding.c: subscriptionId strings and the change-record msgpack codec.
 * Decoder inputs sit flush against a PROT_NONE guard page so an over-read faults at once.
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
#include <msgpack.h>

#include "pn_binding.h"

static char *guard_base;
static size_t guard_size;

static const char *guard_copy(const void *s, size_t n)
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
	if (n)
		memcpy(p, s, n);
	return p;
}

static void fill_full(struct pn_change *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = 0x123456789abcULL;
	c->op = PN_CHANGE_PUT;
	struct pn_binding *b = &c->b;
	b->id = 0xfedcba9876543210ULL;
	b->parent_id = 77;
	b->mode = PN_MODE_AXE;
	b->direction = PN_DIR_B_TO_A;
	b->record = 1;
	b->private_sms = 1;
	b->display_mode = 2;
	b->turn_on = 1;
	b->time_unit = 1;
	b->ext_len = 4;
	b->ext = 9876;
	b->max_duration_min = 1440;
	b->x = pn_num_pack("+8617000000000", 14);
	b->a = pn_num_pack("+8613800000001", 14);
	b->b = pn_num_pack("+8613900000002", 14);
	b->callback_num = pn_num_pack("075512345678", 12);
	b->created_ms = 1764100000000LL;
	b->expires_ms = 1764200000000LL;
	b->b_expires_ms = -5; /* negative values must survive */
	b->yb_expires_ms = INT64_MAX;
	b->duration_s = UINT32_MAX;
	b->yb_duration_s = 3600;
	b->bind_expired_time = 12;
	b->callback_expired_time = 7;
	memset(b->app_key, 'k', PN_APPKEY_LEN - 1);
	memset(b->record_hint_tone, 'r', PN_TONE_LEN - 1);
	strcpy(b->last_min_voice, "last.wav");
	strcpy(b->caller_hint_tone, "caller.wav");
	strcpy(b->callee_hint_tone, "callee.wav");
	strcpy(b->callback_tone, "cb.wav");
	memset(b->user_data, 'u', PN_USERDATA_LEN - 1);
}

static void test_binding_subid_format_parse(void **state)
{
	(void)state;
	char s[PN_SUBID_LEN];
	pn_binding_subid_format(0x00000000000000abULL, s);
	assert_string_equal(s, "00000000000000ab");
	pn_binding_subid_format(UINT64_MAX, s);
	assert_string_equal(s, "ffffffffffffffff");
	uint64_t id = 0;
	assert_int_equal(pn_binding_subid_parse(s, 16, &id), 0);
	assert_true(id == UINT64_MAX);
	for (uint64_t v = 1; v < (UINT64_C(1) << 62); v = v * 3 + 1) {
		pn_binding_subid_format(v, s);
		assert_int_equal(strlen(s), 16);
		assert_int_equal(pn_binding_subid_parse(guard_copy(s, 16), 16, &id), 0);
		assert_true(id == v);
	}
	assert_int_equal(pn_binding_subid_parse("00000000000000AB", 16, &id), 0);
	assert_true(id == 0xab);
}

static void test_binding_subid_parse_rejects(void **state)
{
	(void)state;
	static const char *bad[] = {"",
	                            "abc",
	                            "00000000000000ab0",
	                            "0000000000000ab",
	                            "000000000000000g",
	                            "00000000 00000ab",
	                            "-000000000000001",
	                            "0000000000000000" /* id 0 is never allocated */};
	uint64_t id = 42;
	for (size_t i = 0; i < PN_ARRAY_SIZE(bad); i++) {
		size_t n = strlen(bad[i]);
		if (pn_binding_subid_parse(guard_copy(bad[i], n), n, &id) != PN_EINVAL)
			fail_msg("subid '%s' accepted", bad[i]);
		assert_true(id == 42);
	}
}

static void test_binding_change_roundtrip_every_field(void **state)
{
	(void)state;
	struct pn_change c, d;
	fill_full(&c);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	assert_int_equal(pn_change_encode(&c, &sb), 0);
	const char *in = guard_copy(sb.data, sb.size);
	assert_int_equal(pn_change_decode(in, sb.size, &d), (int)sb.size);
	assert_memory_equal(&c, &d, sizeof(c));

	/* a DEL with mostly zero fields round-trips too */
	memset(&c, 0, sizeof(c));
	c.seq = 1;
	c.op = PN_CHANGE_DEL;
	c.b.id = 1;
	c.b.mode = PN_MODE_YB;
	c.b.x = pn_num_pack("+8617000000000", 14);
	msgpack_sbuffer_clear(&sb);
	assert_int_equal(pn_change_encode(&c, &sb), 0);
	in = guard_copy(sb.data, sb.size);
	assert_int_equal(pn_change_decode(in, sb.size, &d), (int)sb.size);
	assert_memory_equal(&c, &d, sizeof(c));
	msgpack_sbuffer_destroy(&sb);
}

static void test_binding_change_decode_every_truncation(void **state)
{
	(void)state;
	struct pn_change c, d;
	fill_full(&c);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	assert_int_equal(pn_change_encode(&c, &sb), 0);
	for (size_t k = 0; k < sb.size; k++) {
		const char *in = guard_copy(sb.data, k);
		int rc = pn_change_decode(in, k, &d);
		if (rc != PN_INCOMPLETE)
			fail_msg("prefix %zu of %zu: rc %d, want PN_INCOMPLETE", k, sb.size, rc);
	}
	msgpack_sbuffer_destroy(&sb);
}

static void test_binding_change_decode_stream_of_two(void **state)
{
	(void)state;
	struct pn_change c1, c2, d;
	fill_full(&c1);
	fill_full(&c2);
	c2.seq = c1.seq + 1;
	c2.op = PN_CHANGE_DEL;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	assert_int_equal(pn_change_encode(&c1, &sb), 0);
	size_t first = sb.size;
	assert_int_equal(pn_change_encode(&c2, &sb), 0);
	const char *in = guard_copy(sb.data, sb.size);
	assert_int_equal(pn_change_decode(in, sb.size, &d), (int)first);
	assert_memory_equal(&c1, &d, sizeof(d));
	assert_int_equal(pn_change_decode(in + first, sb.size - first, &d), (int)(sb.size - first));
	assert_memory_equal(&c2, &d, sizeof(d));
	msgpack_sbuffer_destroy(&sb);
}

/* ---- hand-built records: a map of the required fields plus one extra pair ---- */

enum extra {
	X_NONE,
	X_UNKNOWN_NESTED, /* "future": {"a": [1, [2, {"b": nil}], "s"], "f": 1.5} */
	X_UNKNOWN_BIN,
	X_WRONG_TYPE_STR_FOR_INT, /* "dur": "10" */
	X_WRONG_TYPE_INT_FOR_STR, /* "app": 5 */
	X_NEGATIVE_FOR_UINT,      /* "dur": -1 */
	X_U8_OVERFLOW,            /* "rec": 256 */
	X_BAD_DIR,                /* "dir": 3 */
	X_BAD_NUM,                /* "x": 5 (count 0 with a value) */
	X_STR_TOO_LONG,           /* "app": 65 bytes */
	X_STR_NUL,                /* "ud": "a\0b" */
	X_DUP_KEY,                /* "id" twice */
	X_INT_KEY,                /* 7: 1 */
	X_SIGNED_POSITIVE,        /* "dur": int32 encoding of 5: accepted */
	X_U32_OVERFLOW,           /* "dur": 2^32 */
	X_STR_MAX,                /* "app": 64 bytes: accepted */
};

static void pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void build(msgpack_sbuffer *sb, int version, int omit, enum extra x)
{
	static const char *req[] = {"v", "seq", "op", "id", "mode"};
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	size_t n = 5 - (omit >= 0) + (x != X_NONE);
	msgpack_pack_map(&pk, n);
	for (int i = 0; i < 5; i++) {
		if (i == omit)
			continue;
		pk_str(&pk, req[i]);
		msgpack_pack_uint64(&pk, i == 0 ? (uint64_t)version : (i == 2 || i == 4) ? 1 : 9);
	}
	char big[80];
	switch (x) {
	case X_NONE:
		break;
	case X_UNKNOWN_NESTED:
		pk_str(&pk, "future");
		msgpack_pack_map(&pk, 2);
		pk_str(&pk, "a");
		msgpack_pack_array(&pk, 3);
		msgpack_pack_int(&pk, 1);
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int(&pk, 2);
		msgpack_pack_map(&pk, 1);
		pk_str(&pk, "b");
		msgpack_pack_nil(&pk);
		pk_str(&pk, "s");
		pk_str(&pk, "f");
		msgpack_pack_double(&pk, 1.5);
		break;
	case X_UNKNOWN_BIN:
		pk_str(&pk, "blob");
		msgpack_pack_bin_with_body(&pk, "\0\1\2", 3);
		break;
	case X_WRONG_TYPE_STR_FOR_INT:
		pk_str(&pk, "dur");
		pk_str(&pk, "10");
		break;
	case X_WRONG_TYPE_INT_FOR_STR:
		pk_str(&pk, "app");
		msgpack_pack_int(&pk, 5);
		break;
	case X_NEGATIVE_FOR_UINT:
		pk_str(&pk, "dur");
		msgpack_pack_int(&pk, -1);
		break;
	case X_U8_OVERFLOW:
		pk_str(&pk, "rec");
		msgpack_pack_uint16(&pk, 256);
		break;
	case X_BAD_DIR:
		pk_str(&pk, "dir");
		msgpack_pack_uint8(&pk, 3);
		break;
	case X_BAD_NUM:
		pk_str(&pk, "x");
		msgpack_pack_uint64(&pk, 5);
		break;
	case X_STR_TOO_LONG:
	case X_STR_MAX:
		memset(big, 'k', sizeof(big));
		pk_str(&pk, "app");
		msgpack_pack_str_with_body(&pk, big, x == X_STR_MAX ? 64 : 65);
		break;
	case X_STR_NUL:
		pk_str(&pk, "ud");
		msgpack_pack_str_with_body(&pk, "a\0b", 3);
		break;
	case X_DUP_KEY:
		pk_str(&pk, "id");
		msgpack_pack_uint8(&pk, 10);
		break;
	case X_INT_KEY:
		msgpack_pack_int(&pk, 7);
		msgpack_pack_int(&pk, 1);
		break;
	case X_SIGNED_POSITIVE: {
		pk_str(&pk, "dur");
		static const char i32[] = {(char)0xd2, 0, 0, 0, 5};
		msgpack_sbuffer_write(sb, i32, sizeof(i32));
		break;
	}
	case X_U32_OVERFLOW:
		pk_str(&pk, "dur");
		msgpack_pack_uint64(&pk, UINT64_C(1) << 32);
		break;
	}
}

static void test_binding_change_decode_handbuilt(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int version, omit;
		enum extra x;
		int ok; /* 1: decodes whole input; 0: PN_EPARSE */
	} t[] = {
	    {"minimal", 1, -1, X_NONE, 1},
	    {"unknown_nested_skipped", 1, -1, X_UNKNOWN_NESTED, 1},
	    {"unknown_bin_skipped", 1, -1, X_UNKNOWN_BIN, 1},
	    {"signed_positive_ok", 1, -1, X_SIGNED_POSITIVE, 1},
	    {"str_at_max_ok", 1, -1, X_STR_MAX, 1},
	    {"version_2", 2, -1, X_NONE, 0},
	    {"version_0", 0, -1, X_NONE, 0},
	    {"missing_version", 1, 0, X_NONE, 0},
	    {"missing_seq", 1, 1, X_NONE, 0},
	    {"missing_op", 1, 2, X_NONE, 0},
	    {"missing_id", 1, 3, X_NONE, 0},
	    {"missing_mode", 1, 4, X_NONE, 0},
	    {"str_for_int", 1, -1, X_WRONG_TYPE_STR_FOR_INT, 0},
	    {"int_for_str", 1, -1, X_WRONG_TYPE_INT_FOR_STR, 0},
	    {"negative_for_uint", 1, -1, X_NEGATIVE_FOR_UINT, 0},
	    {"u8_overflow", 1, -1, X_U8_OVERFLOW, 0},
	    {"u32_overflow", 1, -1, X_U32_OVERFLOW, 0},
	    {"bad_direction", 1, -1, X_BAD_DIR, 0},
	    {"bad_packed_number", 1, -1, X_BAD_NUM, 0},
	    {"string_too_long", 1, -1, X_STR_TOO_LONG, 0},
	    {"string_with_nul", 1, -1, X_STR_NUL, 0},
	    {"duplicate_key", 1, -1, X_DUP_KEY, 0},
	    {"integer_key", 1, -1, X_INT_KEY, 0},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++) {
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		build(&sb, t[i].version, t[i].omit, t[i].x);
		struct pn_change d;
		const char *in = guard_copy(sb.data, sb.size);
		int rc = pn_change_decode(in, sb.size, &d);
		int want = t[i].ok ? (int)sb.size : PN_EPARSE;
		if (rc != want)
			fail_msg("case %s: rc %d want %d", t[i].name, rc, want);
		if (t[i].ok) {
			assert_true(d.seq == 9 && d.op == 1 && d.b.id == 9 &&
			            d.b.mode == PN_MODE_AXB);
		} else {
			/* failure leaves nothing stale */
			assert_true(d.seq == 0 && d.b.id == 0);
		}
		if (t[i].x == X_SIGNED_POSITIVE)
			assert_int_equal(d.b.duration_s, 5);
		msgpack_sbuffer_destroy(&sb);
	}
}

static void test_binding_change_decode_raw_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *b;
		size_t n;
		int want;
	} t[] = {
	    {"empty", "", 0, PN_INCOMPLETE},
	    {"array_top", "\x91\x01", 2, PN_EPARSE},
	    {"int_top", "\x05", 1, PN_EPARSE},
	    {"never_used_c1", "\x81\xc1", 2, PN_EPARSE},
	    {"empty_map_no_version", "\x80", 1, PN_EPARSE},
	    {"map32_huge_count", "\xdf\xff\xff\xff\xff\xa1v\x01", 8, PN_INCOMPLETE},
	    {"str32_huge_len", "\x81\xdb\xff\xff\xff\xff", 6, PN_INCOMPLETE},
	    {"unknown_array32_huge", "\x82\xa1v\x01\xa1z\xdd\xff\xff\xff\xff\x01", 12,
	     PN_INCOMPLETE},
	    {"unknown_ext8_huge", "\x82\xa1v\x01\xa1z\xc7\xff\x01", 9, PN_INCOMPLETE},
	    {"unknown_fixext", "\x82\xa1v\x01\xa1z\xd4\x01", 8, PN_INCOMPLETE},
	};
	for (size_t i = 0; i < PN_ARRAY_SIZE(t); i++) {
		struct pn_change d;
		int rc = pn_change_decode(guard_copy(t[i].b, t[i].n), t[i].n, &d);
		if (rc != t[i].want)
			fail_msg("case %s: rc %d want %d", t[i].name, rc, t[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_binding_subid_format_parse),
	    cmocka_unit_test(test_binding_subid_parse_rejects),
	    cmocka_unit_test(test_binding_change_roundtrip_every_field),
	    cmocka_unit_test(test_binding_change_decode_every_truncation),
	    cmocka_unit_test(test_binding_change_decode_stream_of_two),
	    cmocka_unit_test(test_binding_change_decode_handbuilt),
	    cmocka_unit_test(test_binding_change_decode_raw_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
