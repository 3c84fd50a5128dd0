/* test_stream.c: change-stream frames (being written). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pn_stream.h"

static void test_stream_u64_roundtrip(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct pn_stream_frame f;
	int n = pn_stream_encode_u64(buf, sizeof(buf), PN_STREAM_ACK, 42);
	assert_int_equal(n, 13);
	assert_int_equal(pn_stream_decode(buf, (size_t)n, &f), n);
	assert_int_equal(f.type, PN_STREAM_ACK);
	assert_int_equal(f.seq, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_stream_u64_roundtrip)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
