/*
 * test_g711.c: G.711 known values (ITU test points), exhaustive round trips over all 256
 * codes, and exhaustive properties of the encoders over all 65536 inputs (monotonic, error
 * within half a quantisation step).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pn_g711.h"

static void test_g711_known_values(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int16_t lin;
		uint8_t alaw, ulaw;
	} enc[] = {
	    {"zero", 0, 0xd5, 0xff},
	    {"minus_one", -1, 0x55, 0x7f},
	    {"max", 32767, 0xaa, 0x80},
	    {"min", -32768, 0x2a, 0x00},
	    {"small_pos", 8, 0xd5, 0xfe},
	    {"one_kilo", 1000, 0xfa, 0xce},
	    {"minus_one_kilo", -1000, 0x7a, 0x4e},
	};
	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		if (pn_g711_alaw_encode(enc[i].lin) != enc[i].alaw)
			fail_msg("%s: alaw 0x%02x want 0x%02x", enc[i].name,
			         pn_g711_alaw_encode(enc[i].lin), enc[i].alaw);
		if (pn_g711_ulaw_encode(enc[i].lin) != enc[i].ulaw)
			fail_msg("%s: ulaw 0x%02x want 0x%02x", enc[i].name,
			         pn_g711_ulaw_encode(enc[i].lin), enc[i].ulaw);
	}
	assert_int_equal(pn_g711_alaw_decode(0xd5), 8);
	assert_int_equal(pn_g711_alaw_decode(0x55), -8);
	assert_int_equal(pn_g711_alaw_decode(0xaa), 32256);
	assert_int_equal(pn_g711_alaw_decode(0x2a), -32256);
	assert_int_equal(pn_g711_ulaw_decode(0xff), 0);
	assert_int_equal(pn_g711_ulaw_decode(0x7f), 0);
	assert_int_equal(pn_g711_ulaw_decode(0x80), 32124);
	assert_int_equal(pn_g711_ulaw_decode(0x00), -32124);
	/* first segment boundary of A-law: 16-bit 0..255 share 0xd5..0xda (13-bit 0..31) */
	assert_int_equal(pn_g711_alaw_decode(0xda), 248); /* code 15 of segment 0 */
	assert_int_equal(pn_g711_alaw_decode(0xc5), 264); /* segment 1, mantissa 0 */
}

static void test_g711_alaw_roundtrip_all_codes(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		int16_t lin = pn_g711_alaw_decode((uint8_t)c);
		if (pn_g711_alaw_encode(lin) != c)
			fail_msg("alaw code 0x%02x -> %d -> 0x%02x", c, lin,
			         pn_g711_alaw_encode(lin));
	}
}

static void test_g711_ulaw_roundtrip_all_codes(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		int16_t lin = pn_g711_ulaw_decode((uint8_t)c);
		int want = c == 0x7f ? 0xff : c; /* negative zero decodes to 0, encodes as +0 */
		if (pn_g711_ulaw_encode(lin) != want)
			fail_msg("ulaw code 0x%02x -> %d -> 0x%02x", c, lin,
			         pn_g711_ulaw_encode(lin));
	}
}

/* Sort codes by decoded value; they must be strictly increasing apart from mu-law's two
 * zeros, and the decoded set must be symmetric. */
static void test_g711_decode_symmetric_and_distinct(void **state)
{
	(void)state;
	for (int c = 0; c < 128; c++) {
		assert_int_equal(pn_g711_alaw_decode((uint8_t)c),
		                 -pn_g711_alaw_decode((uint8_t)(c | 0x80)));
		assert_int_equal(pn_g711_ulaw_decode((uint8_t)c),
		                 -pn_g711_ulaw_decode((uint8_t)(c | 0x80)));
	}
	for (int c = 0; c < 256; c++)
		for (int d = c + 1; d < 256; d++) {
			assert_true(pn_g711_alaw_decode((uint8_t)c) !=
			            pn_g711_alaw_decode((uint8_t)d));
			if (!((c & 0x7f) == 0x7f && (d & 0x7f) == 0x7f))
				assert_true(pn_g711_ulaw_decode((uint8_t)c) !=
				            pn_g711_ulaw_decode((uint8_t)d));
		}
}

static void test_g711_encode_monotonic_and_accurate(void **state)
{
	(void)state;
	int prev_a = -40000, prev_u = -40000;
	for (int x = -32768; x <= 32767; x++) {
		int ra = pn_g711_alaw_decode(pn_g711_alaw_encode((int16_t)x));
		int ru = pn_g711_ulaw_decode(pn_g711_ulaw_encode((int16_t)x));
		if (ra < prev_a || ru < prev_u)
			fail_msg("not monotonic at %d", x);
		prev_a = ra;
		prev_u = ru;
		/* A-law step: 16 in segments 0/1 (16-bit scale), doubling after; the error is at
		 * most half a step (plus the one's-complement offset of 1 LSB for negatives).
		 * Beyond the last reconstruction level the error grows to the clipping distance. */
		int ax = abs(x);
		int astep = ax < 512 ? 16 : 16 << (31 - __builtin_clz((unsigned)ax) - 8);
		int alim = ax > 32256 ? 32768 - 32256 : astep / 2 + 1;
		if (abs(ra - x) > alim)
			fail_msg("alaw error %d at %d (limit %d)", ra - x, x, alim);
		int ustep_lim = ax > 32124 ? 32768 - 32124 : (ax / 16) + 16;
		if (abs(ru - x) > ustep_lim)
			fail_msg("ulaw error %d at %d", ru - x, x);
	}
}

static void test_g711_transcode(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		/* a->u->linear stays within one mu-law step of the A-law value */
		int la = pn_g711_alaw_decode((uint8_t)c);
		uint8_t u = pn_g711_alaw_to_ulaw((uint8_t)c);
		int lu = pn_g711_ulaw_decode(u);
		assert_true(abs(lu - la) <= abs(la) / 16 + 16 || abs(la) > 32124);
		assert_int_equal((u & 0x80) != 0, (c & 0x80) != 0 || la == 0);
		/* u->a */
		int lu2 = pn_g711_ulaw_decode((uint8_t)c);
		uint8_t a = pn_g711_ulaw_to_alaw((uint8_t)c);
		int la2 = pn_g711_alaw_decode(a);
		assert_true(abs(la2 - lu2) <= abs(lu2) / 16 + 16);
	}
	/* the buffer forms agree with the scalar ones, also in place */
	uint8_t buf[256], ref[256];
	for (int i = 0; i < 256; i++) {
		buf[i] = (uint8_t)i;
		ref[i] = pn_g711_alaw_to_ulaw((uint8_t)i);
	}
	pn_g711_alaw_to_ulaw_buf(buf, buf, 256);
	assert_memory_equal(buf, ref, 256);
	int16_t lin[256];
	for (int i = 0; i < 256; i++)
		buf[i] = (uint8_t)i;
	pn_g711_ulaw_decode_buf(buf, lin, 256);
	uint8_t back[256];
	pn_g711_ulaw_encode_buf(lin, back, 256);
	for (int i = 0; i < 256; i++)
		assert_int_equal(back[i], i == 0x7f ? 0xff : i);
	pn_g711_alaw_decode_buf(buf, lin, 256);
	pn_g711_alaw_encode_buf(lin, back, 256);
	assert_memory_equal(back, buf, 256);
	pn_g711_ulaw_to_alaw_buf(buf, back, 256);
	for (int i = 0; i < 256; i++)
		assert_int_equal(back[i], pn_g711_ulaw_to_alaw((uint8_t)i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_g711_known_values),
	    cmocka_unit_test(test_g711_alaw_roundtrip_all_codes),
	    cmocka_unit_test(test_g711_ulaw_roundtrip_all_codes),
	    cmocka_unit_test(test_g711_decode_symmetric_and_distinct),
	    cmocka_unit_test(test_g711_encode_monotonic_and_accurate),
	    cmocka_unit_test(test_g711_transcode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
