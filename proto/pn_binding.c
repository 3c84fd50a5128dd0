/*
 * pn_binding.c: subscriptionId strings and the msgpack codec of change records.
 *
 * Wire format (version 1): one msgpack map with string keys, every field of struct pn_change
 * and its struct pn_binding present:
 *
 *   "v": 1 (format major version; a decoder rejects any other value)
 *   "seq", "op", "id", "pid", "mode", "dir", "rec", "sms", "disp", "turn", "tu", "extl",
 *   "ext", "maxd", "x", "a", "b", "cb" (packed numbers, pn_number.h), "ct", "exp", "bexp",
 *   "ybexp" (int64 ms), "dur", "ybdur", "bet", "cbet" (uint32), "app", "rht", "lmv", "cht",
 *   "ceht", "cbt", "ud" (strings)
 *
 * Forward compatibility: keys a decoder does not know are skipped whatever their value (an
 * iterative item counter, no recursion, so nesting depth costs nothing), so new fields can be
 * added without a version change. A change that is not additive bumps "v".
 *
 * Strictness: the top level must be a map with string keys; "v", "seq" (>0), "op" (1..2), "id"
 * (>0) and "mode" (1..6) are required; a known key given twice, a value of the wrong msgpack
 * type, an integer out of its field's range, a packed number pn_num_is_valid() rejects, a
 * string longer than its field or containing NUL: all PN_EPARSE. A record cut short is
 * PN_INCOMPLETE, so a stream reader can wait for more bytes.
 *
 * The decoder is a small hand-written msgpack reader: it never allocates (msgpack-c's unpacker
 * needs a zone) and every read is bounds-checked against len. The encoder uses msgpack-c.
 */
#include "pn_binding.h"

#include <msgpack.h>

#define PN_CHANGE_VERSION 1

void pn_binding_subid_format(uint64_t id, char out[PN_SUBID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--) {
		out[i] = hex[id & 0xf];
		id >>= 4;
	}
	out[16] = '\0';
}

int pn_binding_subid_parse(const char *s, size_t len, uint64_t *id)
{
	if (s == NULL || len != 16)
		return PN_EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < 16; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return PN_EINVAL;
		v = (v << 4) | d;
	}
	if (v == 0) /* ids start at 1; 0 means "none" everywhere */
		return PN_EINVAL;
	*id = v;
	return 0;
}

/* ---- field table ------------------------------------------------------------------------ */

enum fkind {
	F_U8,  /* uint8_t, with max */
	F_U16, /* uint16_t, with max */
	F_U32,
	F_U64,
	F_I64,
	F_NUM, /* pn_num_t: 0 or pn_num_is_valid */
	F_STR, /* char[size] */
};

struct field {
	const char *key;
	uint8_t kind;
	uint8_t required;
	uint16_t size;     /* F_STR: buffer size incl. NUL */
	uint64_t min, max; /* integer range (F_U8/F_U16/F_U32/F_U64) */
	size_t off;        /* offset in struct pn_change */
};

#define OFFB(m) (offsetof(struct pn_change, b) + offsetof(struct pn_binding, m))
#define SZB(m)  ((uint16_t)sizeof(((struct pn_binding *)0)->m))

/* "v" is handled apart; every entry here is one struct member. Order = encoding order. */
static const struct field fields[] = {
    {"seq", F_U64, 1, 0, 1, UINT64_MAX, offsetof(struct pn_change, seq)},
    {"op", F_U8, 1, 0, PN_CHANGE_PUT, PN_CHANGE_DEL, offsetof(struct pn_change, op)},
    {"id", F_U64, 1, 0, 1, UINT64_MAX, OFFB(id)},
    {"pid", F_U64, 0, 0, 0, UINT64_MAX, OFFB(parent_id)},
    {"mode", F_U8, 1, 0, PN_MODE_AXB, PN_MODE_X, OFFB(mode)},
    {"dir", F_U8, 0, 0, 0, PN_DIR_B_TO_A, OFFB(direction)},
    {"rec", F_U8, 0, 0, 0, 255, OFFB(record)},
    {"sms", F_U8, 0, 0, 0, 255, OFFB(private_sms)},
    {"disp", F_U8, 0, 0, 0, 255, OFFB(display_mode)},
    {"turn", F_U8, 0, 0, 0, 255, OFFB(turn_on)},
    {"tu", F_U8, 0, 0, 0, 255, OFFB(time_unit)},
    {"extl", F_U8, 0, 0, 0, 255, OFFB(ext_len)},
    {"ext", F_U16, 0, 0, 0, UINT16_MAX, OFFB(ext)},
    {"maxd", F_U16, 0, 0, 0, UINT16_MAX, OFFB(max_duration_min)},
    {"x", F_NUM, 0, 0, 0, 0, OFFB(x)},
    {"a", F_NUM, 0, 0, 0, 0, OFFB(a)},
    {"b", F_NUM, 0, 0, 0, 0, OFFB(b)},
    {"cb", F_NUM, 0, 0, 0, 0, OFFB(callback_num)},
    {"ct", F_I64, 0, 0, 0, 0, OFFB(created_ms)},
    {"exp", F_I64, 0, 0, 0, 0, OFFB(expires_ms)},
    {"bexp", F_I64, 0, 0, 0, 0, OFFB(b_expires_ms)},
    {"ybexp", F_I64, 0, 0, 0, 0, OFFB(yb_expires_ms)},
    {"dur", F_U32, 0, 0, 0, UINT32_MAX, OFFB(duration_s)},
    {"ybdur", F_U32, 0, 0, 0, UINT32_MAX, OFFB(yb_duration_s)},
    {"bet", F_U32, 0, 0, 0, UINT32_MAX, OFFB(bind_expired_time)},
    {"cbet", F_U32, 0, 0, 0, UINT32_MAX, OFFB(callback_expired_time)},
    {"app", F_STR, 0, SZB(app_key), 0, 0, OFFB(app_key)},
    {"rht", F_STR, 0, SZB(record_hint_tone), 0, 0, OFFB(record_hint_tone)},
    {"lmv", F_STR, 0, SZB(last_min_voice), 0, 0, OFFB(last_min_voice)},
    {"cht", F_STR, 0, SZB(caller_hint_tone), 0, 0, OFFB(caller_hint_tone)},
    {"ceht", F_STR, 0, SZB(callee_hint_tone), 0, 0, OFFB(callee_hint_tone)},
    {"cbt", F_STR, 0, SZB(callback_tone), 0, 0, OFFB(callback_tone)},
    {"ud", F_STR, 0, SZB(user_data), 0, 0, OFFB(user_data)},
};

_Static_assert(PN_ARRAY_SIZE(fields) < 64, "seen-mask is 64 bits");

/* ---- encoder ---------------------------------------------------------------------------- */

static int pack_key(msgpack_packer *pk, const char *k)
{
	return msgpack_pack_str_with_body(pk, k, strlen(k));
}

int pn_change_encode(const struct pn_change *c, struct msgpack_sbuffer *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	const char *base = (const char *)c;
	int rc = msgpack_pack_map(&pk, PN_ARRAY_SIZE(fields) + 1);
	rc |= pack_key(&pk, "v");
	rc |= msgpack_pack_uint8(&pk, PN_CHANGE_VERSION);
	for (size_t i = 0; i < PN_ARRAY_SIZE(fields) && rc == 0; i++) {
		const struct field *f = &fields[i];
		const char *p = base + f->off;
		rc |= pack_key(&pk, f->key);
		switch (f->kind) {
		case F_U8:
			rc |= msgpack_pack_uint8(&pk, *(const uint8_t *)p);
			break;
		case F_U16:
			rc |= msgpack_pack_uint16(&pk, *(const uint16_t *)(const void *)p);
			break;
		case F_U32:
			rc |= msgpack_pack_uint32(&pk, *(const uint32_t *)(const void *)p);
			break;
		case F_U64:
		case F_NUM:
			rc |= msgpack_pack_uint64(&pk, *(const uint64_t *)(const void *)p);
			break;
		case F_I64:
			rc |= msgpack_pack_int64(&pk, *(const int64_t *)(const void *)p);
			break;
		case F_STR:
			rc |= msgpack_pack_str_with_body(&pk, p, strnlen(p, f->size - 1u));
			break;
		}
	}
	return rc == 0 ? 0 : PN_ENOMEM;
}

/* ---- decoder ---------------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len, pos;
};

/* msgpack value classes the decoder distinguishes. */
enum vkind { V_NIL, V_BOOL, V_UINT, V_INT, V_FLOAT, V_STR, V_BIN, V_ARRAY, V_MAP, V_EXT };

struct val {
	enum vkind kind;
	uint64_t u;    /* V_UINT value, V_INT as two's complement, V_ARRAY/V_MAP count */
	const char *s; /* V_STR/V_BIN body */
	size_t slen;   /* V_STR/V_BIN/V_EXT body length */
};

static int need(const struct rd *r, size_t n)
{
	return r->len - r->pos >= n;
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Read one value header (for containers only the count; for str/bin/ext the body is also
 * consumed). Returns 0, PN_INCOMPLETE or PN_EPARSE (0xc1, the never-used byte).
 */
static int read_val(struct rd *r, struct val *v)
{
	if (!need(r, 1))
		return PN_INCOMPLETE;
	uint8_t t = r->p[r->pos++];
	int nlen = 0; /* size of a following length/value field */
	memset(v, 0, sizeof(*v));
	if (t <= 0x7f) {
		v->kind = V_UINT;
		v->u = t;
		return 0;
	}
	if (t >= 0xe0) {
		v->kind = V_INT;
		v->u = (uint64_t)(int64_t)(int8_t)t;
		return 0;
	}
	if ((t & 0xf0) == 0x80 || (t & 0xf0) == 0x90) {
		v->kind = (t & 0xf0) == 0x80 ? V_MAP : V_ARRAY;
		v->u = t & 0x0f;
		return 0;
	}
	if ((t & 0xe0) == 0xa0) {
		v->kind = V_STR;
		v->slen = t & 0x1f;
		goto body;
	}
	switch (t) {
	case 0xc0:
		v->kind = V_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		v->kind = V_BOOL;
		v->u = t & 1;
		return 0;
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		nlen = 1 << (t - 0xcc);
		if (!need(r, (size_t)nlen))
			return PN_INCOMPLETE;
		v->kind = V_UINT;
		v->u = be(r->p + r->pos, nlen);
		r->pos += (size_t)nlen;
		return 0;
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3: {
		nlen = 1 << (t - 0xd0);
		if (!need(r, (size_t)nlen))
			return PN_INCOMPLETE;
		uint64_t raw = be(r->p + r->pos, nlen);
		r->pos += (size_t)nlen;
		int shift = 64 - 8 * nlen;
		/* sign-extend without relying on implementation-defined shifts */
		if (shift > 0 && (raw >> (8 * nlen - 1)) & 1)
			raw |= ~UINT64_C(0) << (8 * nlen);
		/* a non-negative signed encoding is just an integer: some encoders use them */
		v->kind = (raw >> 63) ? V_INT : V_UINT;
		v->u = raw;
		return 0;
	}
	case 0xca:
	case 0xcb:
		nlen = t == 0xca ? 4 : 8;
		if (!need(r, (size_t)nlen))
			return PN_INCOMPLETE;
		r->pos += (size_t)nlen;
		v->kind = V_FLOAT;
		return 0;
	case 0xd9:
	case 0xda:
	case 0xdb:
		v->kind = V_STR;
		nlen = 1 << (t - 0xd9);
		break;
	case 0xc4:
	case 0xc5:
	case 0xc6:
		v->kind = V_BIN;
		nlen = 1 << (t - 0xc4);
		break;
	case 0xdc:
	case 0xdd:
	case 0xde:
	case 0xdf:
		nlen = (t & 1) ? 4 : 2;
		if (!need(r, (size_t)nlen))
			return PN_INCOMPLETE;
		v->kind = t >= 0xde ? V_MAP : V_ARRAY;
		v->u = be(r->p + r->pos, nlen);
		r->pos += (size_t)nlen;
		return 0;
	case 0xd4:
	case 0xd5:
	case 0xd6:
	case 0xd7:
	case 0xd8:
		/* fixext 1/2/4/8/16: type byte + body */
		v->kind = V_EXT;
		v->slen = (size_t)1 << (t - 0xd4);
		if (!need(r, 1 + v->slen))
			return PN_INCOMPLETE;
		r->pos += 1 + v->slen;
		return 0;
	case 0xc7:
	case 0xc8:
	case 0xc9:
		nlen = 1 << (t - 0xc7);
		if (!need(r, (size_t)nlen))
			return PN_INCOMPLETE;
		v->kind = V_EXT;
		v->slen = (size_t)be(r->p + r->pos, nlen);
		r->pos += (size_t)nlen;
		if (!need(r, 1) || !need(r, 1 + v->slen))
			return PN_INCOMPLETE;
		r->pos += 1 + v->slen;
		return 0;
	default: /* 0xc1 */
		return PN_EPARSE;
	}
	/* str8/16/32, bin8/16/32: length then body */
	if (!need(r, (size_t)nlen))
		return PN_INCOMPLETE;
	v->slen = (size_t)be(r->p + r->pos, nlen);
	r->pos += (size_t)nlen;
body:
	if (!need(r, v->slen))
		return PN_INCOMPLETE;
	v->s = (const char *)r->p + r->pos;
	r->pos += v->slen;
	return 0;
}

/*
 * Skip one complete value of any nesting depth, iteratively: `pending` counts values still
 * to read. Each value takes at least one byte, so pending > bytes left means the input is
 * short (PN_INCOMPLETE); that bound also keeps the counter from overflowing.
 */
static int skip_val(struct rd *r, const struct val *first)
{
	uint64_t pending = 0;
	const struct val *v = first;
	struct val tmp;
	for (;;) {
		if (v->kind == V_ARRAY)
			pending += v->u;
		else if (v->kind == V_MAP)
			pending += 2 * v->u;
		if (pending == 0)
			return 0;
		if (pending > r->len - r->pos)
			return PN_INCOMPLETE;
		pending--;
		int rc = read_val(r, &tmp);
		if (rc)
			return rc;
		v = &tmp;
	}
}

static int store_int(const struct field *f, const struct val *v, char *base)
{
	char *p = base + f->off;
	if (f->kind == F_I64) {
		if (v->kind == V_UINT && v->u > (uint64_t)INT64_MAX)
			return PN_EPARSE;
		if (v->kind != V_UINT && v->kind != V_INT)
			return PN_EPARSE;
		int64_t x = v->kind == V_INT ? (int64_t)v->u : (int64_t)v->u;
		memcpy(p, &x, sizeof(x));
		return 0;
	}
	if (v->kind != V_UINT)
		return PN_EPARSE; /* negative or not an integer */
	uint64_t u = v->u;
	if (f->kind == F_NUM) {
		if (u != PN_NUM_NONE && !pn_num_is_valid(u))
			return PN_EPARSE;
		memcpy(p, &u, sizeof(u));
		return 0;
	}
	if (u < f->min || u > f->max)
		return PN_EPARSE;
	switch (f->kind) {
	case F_U8:
		*(uint8_t *)p = (uint8_t)u;
		break;
	case F_U16: {
		uint16_t x = (uint16_t)u;
		memcpy(p, &x, sizeof(x));
		break;
	}
	case F_U32: {
		uint32_t x = (uint32_t)u;
		memcpy(p, &x, sizeof(x));
		break;
	}
	default:
		memcpy(p, &u, sizeof(u));
		break;
	}
	return 0;
}

int pn_change_decode(const char *buf, size_t len, struct pn_change *out)
{
	struct rd r = {(const uint8_t *)buf, len, 0};
	struct val v;
	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return len ? PN_EPARSE : PN_INCOMPLETE;
	int rc = read_val(&r, &v);
	if (rc)
		return rc;
	if (v.kind != V_MAP)
		return PN_EPARSE;
	uint64_t pairs = v.u;
	uint64_t seen = 0;
	int have_version = 0;
	for (uint64_t i = 0; i < pairs; i++) {
		struct val k, val;
		if ((rc = read_val(&r, &k)) != 0)
			goto fail;
		if (k.kind != V_STR) {
			rc = PN_EPARSE;
			goto fail;
		}
		if ((rc = read_val(&r, &val)) != 0)
			goto fail;
		if (k.slen == 1 && k.s[0] == 'v') {
			if (have_version || val.kind != V_UINT || val.u != PN_CHANGE_VERSION) {
				rc = PN_EPARSE;
				goto fail;
			}
			have_version = 1;
			continue;
		}
		size_t fi;
		for (fi = 0; fi < PN_ARRAY_SIZE(fields); fi++)
			if (strlen(fields[fi].key) == k.slen &&
			    memcmp(fields[fi].key, k.s, k.slen) == 0)
				break;
		if (fi == PN_ARRAY_SIZE(fields)) { /* unknown: tolerated, skipped */
			if ((rc = skip_val(&r, &val)) != 0)
				goto fail;
			continue;
		}
		const struct field *f = &fields[fi];
		if (seen & (UINT64_C(1) << fi)) {
			rc = PN_EPARSE;
			goto fail;
		}
		seen |= UINT64_C(1) << fi;
		if (f->kind == F_STR) {
			if (val.kind != V_STR || val.slen >= f->size ||
			    memchr(val.s, '\0', val.slen) != NULL) {
				rc = PN_EPARSE;
				goto fail;
			}
			char *dst = (char *)out + f->off;
			memcpy(dst, val.s, val.slen);
			dst[val.slen] = '\0';
		} else if ((rc = store_int(f, &val, (char *)out)) != 0) {
			goto fail;
		}
	}
	if (!have_version) {
		rc = PN_EPARSE;
		goto fail;
	}
	for (size_t fi = 0; fi < PN_ARRAY_SIZE(fields); fi++) {
		if (fields[fi].required && !(seen & (UINT64_C(1) << fi))) {
			rc = PN_EPARSE;
			goto fail;
		}
	}
	if (r.pos > INT32_MAX) {
		rc = PN_EPARSE; /* cannot be reported as a byte count */
		goto fail;
	}
	return (int)r.pos;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}
