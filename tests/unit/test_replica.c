/*
 * test_replica.c: storage/pn_replica: keys of every mode, modify/delete, expiry at the exact
 * millisecond, sequence gaps, in-place resync, key conflicts, tones, and concurrent QSBR
 * readers while one writer applies thousands of changes (ASan poisons freed entries, so a
 * reader touching a freed entry faults).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <urcu/urcu-qsbr.h>

#include "pn_replica.h"

/* Synthetic packed numbers: global flag + 13 digits + a value. */
#define NUM(v) ((pn_num_t)(0x8000000000000000ULL | (13ULL << 58) | (uint64_t)(v)))

static uint64_t seq;

static struct pn_replica *mk(void)
{
	struct pn_replica_config cfg = {.seed = {0x1234, 0x5678}};
	struct pn_replica *r = pn_replica_create(&cfg);
	assert_non_null(r);
	seq = 0;
	return r;
}

static struct pn_change put(uint64_t id, uint8_t mode, pn_num_t x, pn_num_t a, pn_num_t b)
{
	struct pn_change c;
	memset(&c, 0, sizeof(c));
	c.seq = ++seq;
	c.op = PN_CHANGE_PUT;
	c.b.id = id;
	c.b.mode = mode;
	c.b.x = x;
	c.b.a = a;
	c.b.b = b;
	return c;
}

static struct pn_change del(uint64_t id)
{
	struct pn_change c;
	memset(&c, 0, sizeof(c));
	c.seq = ++seq;
	c.op = PN_CHANGE_DEL;
	c.b.id = id;
	return c;
}

static int apply(struct pn_replica *r, struct pn_change c)
{
	return pn_replica_apply(r, &c);
}

static void test_replica_axb_keys(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	struct pn_change c = put(7, PN_MODE_AXB, NUM(100), NUM(1), NUM(2));
	c.b.direction = PN_DIR_A_TO_B;
	c.b.record = 1;
	c.b.max_duration_min = 30;
	assert_int_equal(pn_replica_apply(r, &c), 0);
	const struct pn_replica_entry *e = pn_replica_lookup_pair(r, NUM(100), NUM(1), 0);
	assert_non_null(e);
	assert_int_equal(e->id, 7);
	assert_int_equal(e->mode, PN_MODE_AXB);
	assert_true(e->a == NUM(1) && e->b == NUM(2) && e->x == NUM(100));
	assert_int_equal(e->direction, PN_DIR_A_TO_B);
	assert_int_equal(e->record, 1);
	assert_int_equal(e->max_duration_min, 30);
	assert_ptr_equal(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0), e);
	assert_null(pn_replica_entry_ext(e));
	assert_int_equal(pn_replica_subid_id(e), 7);
	/* third party, other X, wrong key kinds */
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(3), 0));
	assert_null(pn_replica_lookup_pair(r, NUM(101), NUM(1), 0));
	assert_null(pn_replica_lookup_pair(r, NUM(1), NUM(100), 0));
	assert_null(pn_replica_lookup_x(r, NUM(100), 0));
	assert_null(pn_replica_lookup_ext(r, NUM(100), 1, 1, 0));
	assert_ptr_equal(pn_replica_lookup_call(r, NUM(100), NUM(2), 0), e);
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.bindings, 1);
	assert_int_equal(st.keys, 2);
	assert_int_equal(st.by_mode[PN_MODE_AXB], 1);
	pn_replica_destroy(r);
}

static void test_replica_ax_keys_and_temp_callee(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	struct pn_change c = put(9, PN_MODE_AX, NUM(200), NUM(1), NUM(5));
	c.b.b_expires_ms = 5000;
	c.b.turn_on = 1;
	assert_int_equal(pn_replica_apply(r, &c), 0);
	const struct pn_replica_entry *e = pn_replica_lookup_x(r, NUM(200), 100);
	assert_non_null(e);
	assert_int_equal(e->mode, PN_MODE_AX);
	assert_true(e->flags & PN_REPLICA_F_TURN_ON);
	assert_non_null(pn_replica_entry_ext(e));
	assert_int_equal(pn_replica_entry_ext(e)->b_expires_ms, 5000);
	assert_true(pn_replica_ax_callee(e, 4999) == NUM(5));
	assert_true(pn_replica_ax_callee(e, 5000) == PN_NUM_NONE);
	/* AX is not reachable by a PAIR key; lookup_call falls back to X */
	assert_null(pn_replica_lookup_pair(r, NUM(200), NUM(1), 0));
	assert_ptr_equal(pn_replica_lookup_call(r, NUM(200), NUM(77), 0), e);
	/* no temp callee at all */
	c = put(9, PN_MODE_AX, NUM(200), NUM(1), PN_NUM_NONE);
	assert_int_equal(pn_replica_apply(r, &c), 0);
	e = pn_replica_lookup_x(r, NUM(200), 100);
	assert_non_null(e);
	assert_true(pn_replica_ax_callee(e, 0) == PN_NUM_NONE);
	pn_replica_destroy(r);
}

static void test_replica_axyb_yb_keys(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	/* YB before its AX part: rejected, seq consumed */
	struct pn_change yb = put(11, PN_MODE_YB, NUM(300), NUM(2), 0);
	yb.b.parent_id = 10;
	assert_int_equal(pn_replica_apply(r, &yb), PN_ENOENT);
	assert_int_equal(pn_replica_last_seq(r), 1);

	struct pn_change ax = put(10, PN_MODE_AXYB, NUM(100), NUM(1), 0);
	ax.b.direction = PN_DIR_B_TO_A;
	ax.b.expires_ms = 9000;
	ax.b.record = 1;
	assert_int_equal(pn_replica_apply(r, &ax), 0);
	yb = put(11, PN_MODE_YB, NUM(300), NUM(2), 0); /* Y = 300, B = 2 */
	yb.b.parent_id = 10;
	yb.b.yb_expires_ms = 8000;
	assert_int_equal(pn_replica_apply(r, &yb), 0);

	/* A dials Y -> B, shows X */
	const struct pn_replica_entry *e = pn_replica_lookup_pair(r, NUM(300), NUM(1), 0);
	assert_non_null(e);
	assert_int_equal(e->mode, PN_MODE_YB);
	assert_true(e->a == NUM(2) && e->b == NUM(1) && e->x == NUM(300));
	assert_true(pn_replica_entry_ext(e)->peer_x == NUM(100));
	assert_int_equal(pn_replica_subid_id(e), 10);
	assert_int_equal(e->id, 11);
	assert_int_equal(e->direction, PN_DIR_B_TO_A); /* inherited from the AX part */
	assert_int_equal(e->record, 1);
	assert_int_equal(e->expires_ms, 8000); /* min(yb 8000, AX 9000) */
	/* B dials X -> A, shows Y: same entry, one lookup */
	assert_ptr_equal(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0), e);
	/* someone else dials X: the AX part */
	const struct pn_replica_entry *p = pn_replica_lookup_x(r, NUM(100), 0);
	assert_non_null(p);
	assert_int_equal(p->id, 10);
	assert_ptr_equal(pn_replica_lookup_call(r, NUM(100), NUM(55), 0), p);
	assert_ptr_equal(pn_replica_lookup_call(r, NUM(100), NUM(2), 0), e);
	/* B dialling Y is not a key */
	assert_null(pn_replica_lookup_pair(r, NUM(300), NUM(2), 0));
	/* expiry of the YB part at 8000 */
	assert_non_null(pn_replica_lookup_pair(r, NUM(300), NUM(1), 7999));
	assert_null(pn_replica_lookup_pair(r, NUM(300), NUM(1), 8000));
	/* a YB whose parent is not an AXYB part */
	struct pn_change axb = put(12, PN_MODE_AXB, NUM(400), NUM(1), NUM(2));
	assert_int_equal(pn_replica_apply(r, &axb), 0);
	yb = put(13, PN_MODE_YB, NUM(301), NUM(2), 0);
	yb.b.parent_id = 12;
	assert_int_equal(pn_replica_apply(r, &yb), PN_ENOENT);
	pn_replica_destroy(r);
}

static void test_replica_axe_keys(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	struct pn_change c = put(20, PN_MODE_AXE, NUM(500), NUM(1), 0);
	c.b.ext = 12;
	c.b.ext_len = 4; /* "0012" */
	c.b.callback_num = NUM(9);
	c.b.callback_expired_time = 2;
	c.b.time_unit = 1; /* minutes */
	strcpy(c.b.callback_tone, "cb.wav");
	assert_int_equal(pn_replica_apply(r, &c), 0);
	c = put(21, PN_MODE_AXE, NUM(500), NUM(2), 0);
	c.b.ext = 12;
	c.b.ext_len = 2; /* "12": a different extension */
	assert_int_equal(pn_replica_apply(r, &c), 0);

	const struct pn_replica_entry *e = pn_replica_lookup_ext(r, NUM(500), 12, 4, 0);
	assert_non_null(e);
	assert_int_equal(e->id, 20);
	assert_int_equal(PN_REPLICA_EXT_LEN(e->flags), 4);
	assert_true(e->b == NUM(9));
	assert_int_equal(pn_replica_entry_ext(e)->cb_expire_s, 120);
	assert_string_equal(pn_replica_tone_name(r, e->tone[PN_REPLICA_TONE_CALLEE_HINT]),
	                    "cb.wav");
	const struct pn_replica_entry *e2 = pn_replica_lookup_ext(r, NUM(500), 12, 2, 0);
	assert_non_null(e2);
	assert_int_equal(e2->id, 21);
	assert_null(pn_replica_lookup_ext(r, NUM(500), 12, 3, 0));
	assert_null(pn_replica_lookup_ext(r, NUM(500), 12, 0, 0));
	assert_null(pn_replica_lookup_ext(r, NUM(500), 12, 5, 0));
	/* A dials X: the callback side of A's binding */
	assert_ptr_equal(pn_replica_lookup_pair(r, NUM(500), NUM(1), 0), e);
	assert_ptr_equal(pn_replica_lookup_pair(r, NUM(500), NUM(2), 0), e2);
	assert_null(pn_replica_lookup_x(r, NUM(500), 0));
	/* bad extensions */
	c = put(22, PN_MODE_AXE, NUM(500), NUM(3), 0);
	c.b.ext = 10000;
	c.b.ext_len = 4;
	assert_int_equal(pn_replica_apply(r, &c), PN_EINVAL);
	c = put(23, PN_MODE_AXE, NUM(500), NUM(3), 0);
	c.b.ext_len = 0;
	assert_int_equal(pn_replica_apply(r, &c), PN_EINVAL);
	pn_replica_destroy(r);
}

static void test_replica_modify_changes_a_and_b(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(2))), 0);
	/* change A: (X,1) disappears, (X,3) appears, (X,2) now gives the new entry */
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(100), NUM(3), NUM(2))), 0);
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(1), 0));
	const struct pn_replica_entry *e = pn_replica_lookup_pair(r, NUM(100), NUM(3), 0);
	assert_non_null(e);
	assert_ptr_equal(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0), e);
	assert_true(e->a == NUM(3));
	/* swap A and B */
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(100), NUM(2), NUM(3))), 0);
	e = pn_replica_lookup_pair(r, NUM(100), NUM(3), 0);
	assert_non_null(e);
	assert_true(e->a == NUM(2) && e->b == NUM(3));
	/* change both and X */
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(101), NUM(4), NUM(5))), 0);
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0));
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(3), 0));
	assert_non_null(pn_replica_lookup_pair(r, NUM(101), NUM(4), 0));
	assert_non_null(pn_replica_lookup_pair(r, NUM(101), NUM(5), 0));
	/* change the mode: AXB -> AX keeps one key */
	assert_int_equal(apply(r, put(1, PN_MODE_AX, NUM(101), NUM(4), 0)), 0);
	assert_null(pn_replica_lookup_pair(r, NUM(101), NUM(4), 0));
	assert_non_null(pn_replica_lookup_x(r, NUM(101), 0));
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.bindings, 1);
	assert_int_equal(st.keys, 1);
	assert_int_equal(st.by_mode[PN_MODE_AXB], 0);
	assert_int_equal(st.by_mode[PN_MODE_AX], 1);
	assert_int_equal(st.conflicts, 0);
	pn_replica_destroy(r);
}

static void test_replica_del(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(2))), 0);
	assert_int_equal(apply(r, put(2, PN_MODE_AXB, NUM(100), NUM(3), NUM(4))), 0);
	assert_int_equal(apply(r, del(1)), 0);
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(1), 0));
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0));
	assert_non_null(pn_replica_lookup_pair(r, NUM(100), NUM(3), 0));
	/* unknown id: reported, seq consumed */
	assert_int_equal(apply(r, del(1)), PN_ENOENT);
	assert_int_equal(pn_replica_last_seq(r), 4);
	/* re-add after delete */
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(2))), 0);
	assert_non_null(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0));
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.bindings, 2);
	assert_int_equal(st.keys, 4);
	assert_int_equal(st.rejected, 1);
	pn_replica_destroy(r);
}

static void test_replica_expiry_exact_ms(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	struct pn_change c = put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(2));
	c.b.expires_ms = 1700000000123LL;
	assert_int_equal(pn_replica_apply(r, &c), 0);
	assert_non_null(pn_replica_lookup_pair(r, NUM(100), NUM(1), 1700000000122LL));
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(1), 1700000000123LL));
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(2), 1700000000124LL));
	/* expires_ms 0 never expires */
	c = put(2, PN_MODE_AX, NUM(200), NUM(1), 0);
	assert_int_equal(pn_replica_apply(r, &c), 0);
	assert_non_null(pn_replica_lookup_x(r, NUM(200), INT64_MAX));
	/* AXE expiry */
	c = put(3, PN_MODE_AXE, NUM(300), NUM(1), 0);
	c.b.ext = 5;
	c.b.ext_len = 1;
	c.b.expires_ms = 50;
	assert_int_equal(pn_replica_apply(r, &c), 0);
	assert_non_null(pn_replica_lookup_ext(r, NUM(300), 5, 1, 49));
	assert_null(pn_replica_lookup_ext(r, NUM(300), 5, 1, 50));
	pn_replica_destroy(r);
}

static void test_replica_gap_detection(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	/* a fresh replica only accepts seq 1 */
	struct pn_change c = put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(2));
	c.seq = 5;
	assert_int_equal(pn_replica_apply(r, &c), PN_EAGAIN);
	assert_int_equal(pn_replica_last_seq(r), 0);
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(1), 0));
	c.seq = 1;
	assert_int_equal(pn_replica_apply(r, &c), 0);
	c = put(2, PN_MODE_AXB, NUM(100), NUM(3), NUM(4));
	c.seq = 3;
	assert_int_equal(pn_replica_apply(r, &c), PN_EAGAIN);
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(3), 0));
	assert_int_equal(pn_replica_last_seq(r), 1);
	c.seq = 1;
	assert_int_equal(pn_replica_apply(r, &c), PN_EEXIST); /* old record */
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(3), 0));
	c.seq = 2;
	assert_int_equal(pn_replica_apply(r, &c), 0);
	assert_non_null(pn_replica_lookup_pair(r, NUM(100), NUM(3), 0));
	c.seq = 0;
	assert_int_equal(pn_replica_apply(r, &c), PN_EINVAL);
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.gaps, 2);
	assert_int_equal(st.last_seq, 2);
	pn_replica_destroy(r);
}

static void test_replica_rejects_malformed(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(1))), PN_EINVAL);
	assert_int_equal(apply(r, put(2, PN_MODE_AXB, NUM(100), NUM(1), 0)), PN_EINVAL);
	assert_int_equal(apply(r, put(3, PN_MODE_X, NUM(100), NUM(1), 0)), PN_EINVAL);
	assert_int_equal(apply(r, put(4, 77, NUM(100), NUM(1), 0)), PN_EINVAL);
	assert_int_equal(apply(r, put(0, PN_MODE_AX, NUM(100), NUM(1), 0)), PN_EINVAL);
	assert_int_equal(apply(r, put(5, PN_MODE_AX, 0, NUM(1), 0)), PN_EINVAL);
	struct pn_change c = put(6, PN_MODE_AX, NUM(100), NUM(1), 0);
	c.b.direction = 3;
	assert_int_equal(pn_replica_apply(r, &c), PN_EINVAL);
	c = put(7, PN_MODE_AX, NUM(100), NUM(1), 0);
	c.op = 9;
	assert_int_equal(pn_replica_apply(r, &c), PN_EINVAL);
	assert_int_equal(pn_replica_last_seq(r), 8);
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.bindings, 0);
	assert_int_equal(st.keys, 0);
	assert_int_equal(st.rejected, 8);
	pn_replica_destroy(r);
}

static void test_replica_resync_drops_unseen(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	for (uint64_t id = 1; id <= 1000; id++)
		assert_int_equal(apply(r, put(id, PN_MODE_AXB, NUM(100 + id % 7), NUM(id * 10),
		                              NUM(id * 10 + 1))),
		                 0);
	const struct pn_replica_entry *keep =
	    pn_replica_lookup_pair(r, NUM(100 + 2 % 7), NUM(20), 0);
	assert_non_null(keep);
	pn_replica_snapshot_begin(r);
	/* the snapshot holds the even ids (id 4 modified) and a new id 5000 */
	for (uint64_t id = 2; id <= 1000; id += 2) {
		struct pn_change c = put(id, PN_MODE_AXB, NUM(100 + id % 7), NUM(id * 10),
		                         NUM(id == 4 ? 999999 : id * 10 + 1));
		assert_int_equal(pn_replica_snapshot_put(r, &c.b), 0);
	}
	struct pn_change n = put(5000, PN_MODE_AX, NUM(77), NUM(1), 0);
	assert_int_equal(pn_replica_snapshot_put(r, &n.b), 0);
	/* during the load every binding still routes */
	assert_non_null(pn_replica_lookup_pair(r, NUM(100 + 3 % 7), NUM(30), 0));
	assert_int_equal(pn_replica_snapshot_end(r, 123456), 500);
	assert_int_equal(pn_replica_last_seq(r), 123456);
	for (uint64_t id = 1; id <= 1000; id++) {
		const struct pn_replica_entry *e =
		    pn_replica_lookup_pair(r, NUM(100 + id % 7), NUM(id * 10), 0);
		if (id % 2)
			assert_null(e);
		else
			assert_non_null(e);
	}
	/* unchanged binding kept its entry (no rebuild), the modified one changed */
	assert_ptr_equal(pn_replica_lookup_pair(r, NUM(100 + 2 % 7), NUM(20), 0), keep);
	assert_non_null(pn_replica_lookup_pair(r, NUM(100 + 4 % 7), NUM(999999), 0));
	assert_null(pn_replica_lookup_pair(r, NUM(100 + 4 % 7), NUM(41), 0));
	assert_non_null(pn_replica_lookup_x(r, NUM(77), 0));
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.bindings, 501);
	assert_int_equal(st.keys, 1001);
	assert_int_equal(st.unchanged, 499);
	assert_int_equal(st.snapshot_deleted, 500);
	/* the stream continues after the snapshot's seq */
	struct pn_change c = put(6000, PN_MODE_AX, NUM(78), NUM(1), 0);
	c.seq = 123457;
	assert_int_equal(pn_replica_apply(r, &c), 0);
	assert_int_equal(pn_replica_snapshot_end(r, 1), PN_EINVAL); /* no snapshot running */
	/* an empty snapshot drops everything */
	pn_replica_snapshot_begin(r);
	assert_int_equal(pn_replica_snapshot_end(r, 200000), 502);
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.bindings, 0);
	assert_int_equal(st.keys, 0);
	pn_replica_destroy(r);
}

static void test_replica_snapshot_yb_before_parent(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	pn_replica_snapshot_begin(r);
	struct pn_change yb = put(11, PN_MODE_YB, NUM(300), NUM(2), 0);
	yb.b.parent_id = 10;
	assert_int_equal(pn_replica_snapshot_put(r, &yb.b), 0); /* deferred */
	struct pn_change ax = put(10, PN_MODE_AXYB, NUM(100), NUM(1), 0);
	assert_int_equal(pn_replica_snapshot_put(r, &ax.b), 0);
	assert_int_equal(pn_replica_snapshot_end(r, 50), 0);
	assert_non_null(pn_replica_lookup_pair(r, NUM(300), NUM(1), 0));
	assert_non_null(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0));
	pn_replica_destroy(r);
}

static void test_replica_key_conflict_last_writer_wins(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	assert_int_equal(apply(r, put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(2))), 0);
	assert_int_equal(apply(r, put(2, PN_MODE_AXB, NUM(100), NUM(1), NUM(3))), 0);
	const struct pn_replica_entry *e = pn_replica_lookup_pair(r, NUM(100), NUM(1), 0);
	assert_non_null(e);
	assert_int_equal(e->id, 2);
	assert_int_equal(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0)->id, 1);
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.keys, 3);
	/* deleting the loser must not remove the winner's key */
	assert_int_equal(apply(r, del(1)), 0);
	assert_int_equal(pn_replica_lookup_pair(r, NUM(100), NUM(1), 0)->id, 2);
	assert_null(pn_replica_lookup_pair(r, NUM(100), NUM(2), 0));
	assert_int_equal(apply(r, del(2)), 0);
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.keys, 0);
	assert_int_equal(st.bindings, 0);
	pn_replica_destroy(r);
}

static void test_replica_tones_interned(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	struct pn_change c = put(1, PN_MODE_AXB, NUM(100), NUM(1), NUM(2));
	strcpy(c.b.record_hint_tone, "rec.wav");
	strcpy(c.b.last_min_voice, "last.wav");
	strcpy(c.b.caller_hint_tone, "ring.wav");
	assert_int_equal(pn_replica_apply(r, &c), 0);
	c = put(2, PN_MODE_AXB, NUM(100), NUM(3), NUM(4));
	strcpy(c.b.record_hint_tone, "rec.wav");
	strcpy(c.b.callee_hint_tone, "ring.wav");
	assert_int_equal(pn_replica_apply(r, &c), 0);
	const struct pn_replica_entry *e1 = pn_replica_lookup_pair(r, NUM(100), NUM(1), 0);
	const struct pn_replica_entry *e2 = pn_replica_lookup_pair(r, NUM(100), NUM(3), 0);
	assert_true(e1->tone[PN_REPLICA_TONE_RECORD_HINT] != 0);
	assert_int_equal(e1->tone[PN_REPLICA_TONE_RECORD_HINT],
	                 e2->tone[PN_REPLICA_TONE_RECORD_HINT]);
	assert_int_equal(e1->tone[PN_REPLICA_TONE_CALLER_HINT],
	                 e2->tone[PN_REPLICA_TONE_CALLEE_HINT]);
	assert_int_equal(e2->tone[PN_REPLICA_TONE_LAST_MIN], PN_REPLICA_TONE_NONE);
	assert_string_equal(pn_replica_tone_name(r, e1->tone[PN_REPLICA_TONE_LAST_MIN]),
	                    "last.wav");
	assert_null(pn_replica_tone_name(r, 0));
	assert_null(pn_replica_tone_name(r, 999));
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.tones, 3);
	pn_replica_destroy(r);
}

static void test_replica_many_grow_and_delete(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	const uint64_t n = 50000;
	for (uint64_t id = 1; id <= n; id++)
		assert_int_equal(apply(r, put(id, PN_MODE_AXB, NUM(1000 + id % 100), NUM(id),
		                              NUM(id + 10000000))),
		                 0);
	for (uint64_t id = 1; id <= n; id += 3)
		assert_int_equal(apply(r, del(id)), 0);
	for (uint64_t id = 1; id <= n; id++) {
		const struct pn_replica_entry *e =
		    pn_replica_lookup_pair(r, NUM(1000 + id % 100), NUM(id + 10000000), 0);
		if (id % 3 == 1)
			assert_null(e);
		else {
			assert_non_null(e);
			assert_int_equal(e->id, id);
		}
	}
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.bindings, n - (n + 2) / 3);
	assert_int_equal(st.keys, 2 * st.bindings);
	assert_true(st.buckets * 5 / 2 >= st.keys); /* grown: <= 2.5 keys per bucket */
	/* delete everything: the table shrinks in the background (its grace period waits for
	 * this online thread) while lookups go on; destroy must not deadlock on it */
	for (uint64_t id = 1; id <= n; id++)
		if (id % 3 != 1)
			assert_int_equal(apply(r, del(id)), 0);
	for (uint64_t id = 1; id <= n; id += 97)
		assert_null(pn_replica_lookup_pair(r, NUM(1000 + id % 100), NUM(id), 0));
	pn_replica_stats_get(r, &st);
	assert_int_equal(st.keys, 0);
	assert_true(st.buckets <= 4096); /* shrunk (a later shrink waits for this one) */
	pn_replica_destroy(r);
}

/* ---- concurrency ---- */

#define STABLE  64  /* ids 1..64 always present (modified in place) */
#define CHURN   512 /* ids 1000.. created and deleted */
#define CHANGES 20000

struct reader_arg {
	struct pn_replica *r;
	atomic_int *stop;
	uint64_t lookups, misses_stable, inconsistent;
};

/* Every entry the writer publishes satisfies b == a + max_duration_min (and a names the id). */
static void *reader_main(void *p)
{
	struct reader_arg *ra = p;
	urcu_qsbr_register_thread();
	uint64_t i = 0;
	while (!atomic_load(ra->stop)) {
		uint64_t id = 1 + i % STABLE;
		const struct pn_replica_entry *e =
		    pn_replica_lookup_pair(ra->r, NUM(50), NUM(id * 1000), 0);
		if (!e)
			ra->misses_stable++;
		else if (e->b != e->a + e->max_duration_min || e->id != id)
			ra->inconsistent++;
		uint64_t cid = 1000 + i % CHURN;
		e = pn_replica_lookup_pair(ra->r, NUM(60), NUM(cid * 1000), 0);
		if (e && (e->b != e->a + e->max_duration_min || e->id != cid))
			ra->inconsistent++;
		ra->lookups += 2;
		if (++i % 16 == 0)
			urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void test_replica_concurrent_readers(void **state)
{
	(void)state;
	struct pn_replica *r = mk();
	for (uint64_t id = 1; id <= STABLE; id++)
		assert_int_equal(
		    apply(r, put(id, PN_MODE_AXB, NUM(50), NUM(id * 1000), NUM(id * 1000 + 1))), 0);
	/* fix max_duration_min = 1 for the invariant b == a + max_duration_min */
	for (uint64_t id = 1; id <= STABLE; id++) {
		struct pn_change c =
		    put(id, PN_MODE_AXB, NUM(50), NUM(id * 1000), NUM(id * 1000 + 1));
		c.b.max_duration_min = 1;
		assert_int_equal(pn_replica_apply(r, &c), 0);
	}
	atomic_int stop = 0;
	struct reader_arg ra[2] = {{r, &stop, 0, 0, 0}, {r, &stop, 0, 0, 0}};
	pthread_t th[2];
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&th[t], NULL, reader_main, &ra[t]), 0);
	for (unsigned k = 0; k < CHANGES; k++) {
		struct pn_change c;
		if (k % 2 == 0) {
			/* modify a stable binding: same (X, A), new B, new max_duration */
			uint64_t id = 1 + (k / 2) % STABLE;
			uint16_t d = (uint16_t)(1 + k % 1000);
			c = put(id, PN_MODE_AXB, NUM(50), NUM(id * 1000), NUM(id * 1000) + d);
			c.b.max_duration_min = d;
		} else if (k % 4 == 1) {
			uint64_t cid = 1000 + (k / 4) % CHURN;
			c = put(cid, PN_MODE_AXB, NUM(60), NUM(cid * 1000), NUM(cid * 1000) + 7);
			c.b.max_duration_min = 7;
		} else {
			c = del(1000 + (k / 4) % CHURN);
		}
		int rc = pn_replica_apply(r, &c);
		assert_true(rc == 0 || rc == PN_ENOENT);
		if (k % 64 == 0)
			urcu_qsbr_quiescent_state(); /* the writer is a QSBR thread too */
		if (k % 1000 == 0) {
			/* a resync in the middle, with every stable binding in it */
			pn_replica_snapshot_begin(r);
			for (uint64_t id = 1; id <= STABLE; id++) {
				struct pn_change s = put(id, PN_MODE_AXB, NUM(50), NUM(id * 1000),
				                         NUM(id * 1000) + 3);
				s.b.max_duration_min = 3;
				assert_int_equal(pn_replica_snapshot_put(r, &s.b), 0);
			}
			assert_true(pn_replica_snapshot_end(r, seq) >= 0);
		}
	}
	pn_replica_flush(r);
	/* let the readers run a little past the last change, then stop them */
	urcu_qsbr_thread_offline();
	urcu_qsbr_synchronize_rcu();
	atomic_store(&stop, 1);
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	urcu_qsbr_barrier(); /* every retired entry has been freed (and poisoned) */
	urcu_qsbr_thread_online();
	for (int t = 0; t < 2; t++) {
		assert_true(ra[t].lookups > 0);
		assert_int_equal(ra[t].misses_stable, 0);
		assert_int_equal(ra[t].inconsistent, 0);
	}
	struct pn_replica_stats st;
	pn_replica_stats_get(r, &st);
	assert_true(st.retired > CHANGES / 2);
	assert_int_equal(st.freed, st.retired);
	pn_replica_destroy(r);
}

int main(void)
{
	urcu_qsbr_register_thread();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replica_axb_keys),
	    cmocka_unit_test(test_replica_ax_keys_and_temp_callee),
	    cmocka_unit_test(test_replica_axyb_yb_keys),
	    cmocka_unit_test(test_replica_axe_keys),
	    cmocka_unit_test(test_replica_modify_changes_a_and_b),
	    cmocka_unit_test(test_replica_del),
	    cmocka_unit_test(test_replica_expiry_exact_ms),
	    cmocka_unit_test(test_replica_gap_detection),
	    cmocka_unit_test(test_replica_rejects_malformed),
	    cmocka_unit_test(test_replica_resync_drops_unseen),
	    cmocka_unit_test(test_replica_snapshot_yb_before_parent),
	    cmocka_unit_test(test_replica_key_conflict_last_writer_wins),
	    cmocka_unit_test(test_replica_tones_interned),
	    cmocka_unit_test(test_replica_many_grow_and_delete),
	    cmocka_unit_test(test_replica_concurrent_readers),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	urcu_qsbr_unregister_thread();
	return rc;
}
