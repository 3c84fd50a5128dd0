/*
 * fuzz_stream.c: the change-stream frame decoder and the subscriber state machine on
 * arbitrary bytes. The input is treated as a byte stream from a server: frames are decoded
 * one after another from an exact-size heap copy (so an over-read is an ASan report), every
 * decoded frame is re-encoded and must decode to the same type/seq, and is fed to a
 * pn_stream_sub whose invariants are checked (applied only ever advances by one on APPLY).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pn_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const struct pn_stream_frame *f)
{
	static uint8_t out[PN_STREAM_HDR + PN_STREAM_MAX_FRAME];
	int n = -1;
	switch (f->type) {
	case PN_STREAM_HELLO:
		n = pn_stream_encode_hello(out, sizeof(out), f->seq);
		break;
	case PN_STREAM_SNAPSHOT_REQ:
		n = pn_stream_encode_snapshot_req(out, sizeof(out));
		break;
	case PN_STREAM_ACK:
	case PN_STREAM_HEARTBEAT:
	case PN_STREAM_RESYNC:
	case PN_STREAM_SNAPSHOT_END:
		n = pn_stream_encode_u64(out, sizeof(out), f->type, f->seq);
		break;
	case PN_STREAM_CHANGE:
	case PN_STREAM_SNAP_REC:
		n = pn_stream_encode_change(out, sizeof(out), f->type, &f->change);
		break;
	default:
		return; /* ERROR: text is a span, nothing to compare */
	}
	if (n <= 0)
		abort();
	struct pn_stream_frame g;
	if (pn_stream_decode(out, (size_t)n, &g) != n || g.type != f->type || g.seq != f->seq)
		abort();
	if ((f->type == PN_STREAM_CHANGE || f->type == PN_STREAM_SNAP_REC) &&
	    (g.change.b.id != f->change.b.id || g.change.op != f->change.op ||
	     g.change.b.x != f->change.b.x))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct pn_stream_sub sub;
	pn_stream_sub_init(&sub, size ? data[0] : 0);
	uint8_t tmp[64];
	pn_stream_sub_open(&sub, size > 1 && (data[1] & 1), 0, tmp, sizeof(tmp));
	size_t off = 0;
	int64_t now = 0;
	static struct pn_stream_frame f;
	while (off < size) {
		int r = pn_stream_decode(buf + off, size - off, &f);
		if (r == PN_INCOMPLETE || r == PN_EPARSE)
			break;
		if (r <= 0 || (size_t)r > size - off)
			abort();
		off += (size_t)r;
		reencode(&f);
		uint64_t before = sub.applied;
		int act = pn_stream_sub_on_frame(&sub, &f, now);
		if (act == PN_SUB_ACT_APPLY && sub.applied != before + 1)
			abort();
		if (act == PN_SUB_ACT_PROTO_ERROR && sub.applied != before)
			abort();
		now += 100;
		pn_stream_sub_tick(&sub, now, tmp, sizeof(tmp));
		if (act == PN_SUB_ACT_PROTO_ERROR || act == PN_SUB_ACT_RESYNC) {
			pn_stream_sub_disconnected(&sub);
			pn_stream_sub_open(&sub, 0, now, tmp, sizeof(tmp));
		}
	}
	free(buf);
	return 0;
}
