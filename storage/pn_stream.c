/*
 * pn_stream.c: change-stream frames (encode/decode) and the subscriber state machine.
 * See pn_stream.h for the wire format. Every decoder check is against len before a read;
 * the payload of CHANGE/SNAP_REC is handed to pn_change_decode with the exact frame bounds
 * and must be consumed entirely.
 */
#include "pn_stream.h"

#include <msgpack.h>

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Write the 5-byte header for a payload of plen bytes. Caller checked cap. */
static void put_hdr(uint8_t *out, uint8_t type, size_t plen)
{
	put_u32(out, (uint32_t)(plen + 1));
	out[4] = type;
}

int pn_stream_decode(const uint8_t *buf, size_t len, struct pn_stream_frame *out)
{
	memset(out, 0, sizeof(*out));
	if (len < PN_STREAM_HDR)
		return PN_INCOMPLETE;
	uint32_t flen = get_u32(buf);
	if (flen < 1 || flen > PN_STREAM_MAX_FRAME)
		return PN_EPARSE;
	if (len - 4 < flen)
		return PN_INCOMPLETE;
	const uint8_t *p = buf + PN_STREAM_HDR;
	size_t plen = flen - 1;
	out->type = buf[4];
	switch (out->type) {
	case PN_STREAM_HELLO:
		if (plen != 9 || p[0] != PN_STREAM_VERSION)
			return PN_EPARSE;
		out->version = p[0];
		out->seq = get_u64(p + 1);
		break;
	case PN_STREAM_SNAPSHOT_REQ:
		if (plen != 1 || p[0] != PN_STREAM_VERSION)
			return PN_EPARSE;
		out->version = p[0];
		break;
	case PN_STREAM_ACK:
	case PN_STREAM_HEARTBEAT:
	case PN_STREAM_RESYNC:
	case PN_STREAM_SNAPSHOT_END:
		if (plen != 8)
			return PN_EPARSE;
		out->seq = get_u64(p);
		break;
	case PN_STREAM_CHANGE:
	case PN_STREAM_SNAP_REC: {
		if (plen == 0)
			return PN_EPARSE;
		int r = pn_change_decode((const char *)p, plen, &out->change);
		if (r < 0 || (size_t)r != plen)
			return PN_EPARSE;
		if (out->change.op != PN_CHANGE_PUT && out->change.op != PN_CHANGE_DEL)
			return PN_EPARSE;
		if (out->type == PN_STREAM_SNAP_REC && out->change.op != PN_CHANGE_PUT)
			return PN_EPARSE;
		out->seq = out->change.seq;
		break;
	}
	case PN_STREAM_ERROR:
		if (plen < 2 || plen > 2 + 200)
			return PN_EPARSE;
		out->code = (int16_t)(((unsigned)p[0] << 8) | p[1]);
		out->text = pn_span_make((const char *)p + 2, plen - 2);
		break;
	default:
		return PN_EPARSE;
	}
	return (int)(flen + 4);
}

int pn_stream_encode_hello(uint8_t *out, size_t cap, uint64_t from_seq)
{
	if (cap < PN_STREAM_HDR + 9)
		return PN_EFULL;
	put_hdr(out, PN_STREAM_HELLO, 9);
	out[5] = PN_STREAM_VERSION;
	put_u64(out + 6, from_seq);
	return PN_STREAM_HDR + 9;
}

int pn_stream_encode_snapshot_req(uint8_t *out, size_t cap)
{
	if (cap < PN_STREAM_HDR + 1)
		return PN_EFULL;
	put_hdr(out, PN_STREAM_SNAPSHOT_REQ, 1);
	out[5] = PN_STREAM_VERSION;
	return PN_STREAM_HDR + 1;
}

int pn_stream_encode_u64(uint8_t *out, size_t cap, uint8_t type, uint64_t seq)
{
	if (type != PN_STREAM_ACK && type != PN_STREAM_HEARTBEAT && type != PN_STREAM_RESYNC &&
	    type != PN_STREAM_SNAPSHOT_END)
		return PN_EINVAL;
	if (cap < PN_STREAM_HDR + 8)
		return PN_EFULL;
	put_hdr(out, type, 8);
	put_u64(out + 5, seq);
	return PN_STREAM_HDR + 8;
}

int pn_stream_encode_error(uint8_t *out, size_t cap, int code, const char *text)
{
	size_t tl = text ? strlen(text) : 0;
	if (tl > 200)
		tl = 200;
	if (cap < PN_STREAM_HDR + 2 + tl)
		return PN_EFULL;
	put_hdr(out, PN_STREAM_ERROR, 2 + tl);
	uint16_t c = (uint16_t)(int16_t)code;
	out[5] = (uint8_t)(c >> 8);
	out[6] = (uint8_t)c;
	if (tl)
		memcpy(out + 7, text, tl);
	return (int)(PN_STREAM_HDR + 2 + tl);
}

int pn_stream_encode_record(uint8_t *out, size_t cap, uint8_t type, const char *rec, size_t len)
{
	if (type != PN_STREAM_CHANGE && type != PN_STREAM_SNAP_REC)
		return PN_EINVAL;
	if (len == 0 || len + 1 > PN_STREAM_MAX_FRAME)
		return PN_EINVAL;
	if (cap < PN_STREAM_HDR + len)
		return PN_EFULL;
	put_hdr(out, type, len);
	memcpy(out + PN_STREAM_HDR, rec, len);
	return (int)(PN_STREAM_HDR + len);
}

int pn_stream_encode_change(uint8_t *out, size_t cap, uint8_t type, const struct pn_change *c)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	int r = pn_change_encode(c, &sb);
	if (r == 0)
		r = pn_stream_encode_record(out, cap, type, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

/* ---- subscriber ---- */

void pn_stream_sub_init(struct pn_stream_sub *s, uint64_t applied)
{
	memset(s, 0, sizeof(*s));
	s->applied = applied;
	s->acked = applied;
}

int pn_stream_sub_open(struct pn_stream_sub *s, int want_snapshot, int64_t now_ms, uint8_t *out,
                       size_t cap)
{
	int r;
	if (want_snapshot || s->state == PN_SUB_NEED_RESYNC) {
		r = pn_stream_encode_snapshot_req(out, cap);
		if (r > 0) {
			s->state = PN_SUB_SNAPSHOT;
			s->snap_count = 0;
		}
	} else {
		r = pn_stream_encode_hello(out, cap, s->applied + 1);
		if (r > 0)
			s->state = PN_SUB_STREAMING;
	}
	if (r > 0) {
		s->last_tx_ms = now_ms;
		s->last_rx_ms = now_ms;
	}
	return r;
}

int pn_stream_sub_on_frame(struct pn_stream_sub *s, const struct pn_stream_frame *f, int64_t now_ms)
{
	s->last_rx_ms = now_ms;
	switch (f->type) {
	case PN_STREAM_HEARTBEAT:
		if (f->seq > s->server_seq)
			s->server_seq = f->seq;
		return PN_SUB_ACT_NONE;
	case PN_STREAM_ERROR:
		return PN_SUB_ACT_PROTO_ERROR;
	case PN_STREAM_CHANGE:
		if (s->state != PN_SUB_STREAMING)
			return PN_SUB_ACT_PROTO_ERROR;
		/* exactly the next seq: anything else is a gap or a duplicate */
		if (f->change.seq != s->applied + 1)
			return PN_SUB_ACT_PROTO_ERROR;
		s->applied = f->change.seq;
		if (s->applied > s->server_seq)
			s->server_seq = s->applied;
		return PN_SUB_ACT_APPLY;
	case PN_STREAM_RESYNC:
		if (s->state != PN_SUB_STREAMING)
			return PN_SUB_ACT_PROTO_ERROR;
		s->server_seq = f->seq;
		s->state = PN_SUB_NEED_RESYNC;
		return PN_SUB_ACT_RESYNC;
	case PN_STREAM_SNAP_REC:
		if (s->state != PN_SUB_SNAPSHOT)
			return PN_SUB_ACT_PROTO_ERROR;
		return s->snap_count++ == 0 ? PN_SUB_ACT_SNAP_BEGIN : PN_SUB_ACT_SNAP_PUT;
	case PN_STREAM_SNAPSHOT_END:
		if (s->state != PN_SUB_SNAPSHOT)
			return PN_SUB_ACT_PROTO_ERROR;
		s->applied = f->seq;
		s->acked = f->seq;
		if (f->seq > s->server_seq)
			s->server_seq = f->seq;
		/* The connection may continue with HELLO{seq + 1}; the caller sends it. */
		s->state = PN_SUB_STREAMING;
		return PN_SUB_ACT_SNAP_END;
	default:
		/* client-to-server frames are not expected here */
		return PN_SUB_ACT_PROTO_ERROR;
	}
}

void pn_stream_sub_disconnected(struct pn_stream_sub *s)
{
	if (s->state != PN_SUB_NEED_RESYNC)
		s->state = PN_SUB_IDLE;
	s->snap_count = 0;
}

int pn_stream_sub_tick(struct pn_stream_sub *s, int64_t now_ms, uint8_t *out, size_t cap)
{
	if (s->state == PN_SUB_IDLE || s->state == PN_SUB_NEED_RESYNC)
		return 0;
	if (now_ms - s->last_rx_ms >= PN_STREAM_DEAD_MS)
		return PN_EAGAIN;
	int r = 0;
	if (s->state == PN_SUB_STREAMING && s->applied > s->acked &&
	    (s->applied - s->acked >= PN_STREAM_ACK_EVERY ||
	     now_ms - s->last_tx_ms >= PN_STREAM_ACK_MS)) {
		r = pn_stream_encode_u64(out, cap, PN_STREAM_ACK, s->applied);
		if (r > 0)
			s->acked = s->applied;
	} else if (now_ms - s->last_tx_ms >= PN_STREAM_HEARTBEAT_MS) {
		r = pn_stream_encode_u64(out, cap, PN_STREAM_HEARTBEAT, s->applied);
	}
	if (r > 0)
		s->last_tx_ms = now_ms;
	return r;
}
