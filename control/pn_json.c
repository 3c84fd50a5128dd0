/*
 * pn_json.c: tolerant field readers and the URL query parser (see pn_json.h).
 *
 * Everything is bounded by the caller's limits: no reader allocates, recursion is never used,
 * and a string is scanned once.
 */
#include "pn_json.h"

#include <limits.h>
#include <math.h>
#include <strings.h>

int pn_str_check(const char *s, size_t len, size_t minlen, size_t maxlen)
{
	if (len < minlen || len > maxlen)
		return PN_EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e)
			return PN_EINVAL;
	}
	return PN_JSON_OK;
}

int pn_str_to_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	int64_t v = 0;

	if (len == 0 || len > 20)
		return PN_EINVAL;
	if (s[0] == '-') {
		neg = 1;
		i = 1;
		if (len == 1)
			return PN_EINVAL;
	}
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PN_EINVAL;
		if (v > (INT64_MAX - 9) / 10)
			return PN_EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return PN_EINVAL;
	*out = v;
	return PN_JSON_OK;
}

int pn_str_to_bool(const char *s, size_t len, int *out)
{
	struct pn_span sp = pn_span_make(s, len);
	if (pn_span_ieq(sp, "true") || pn_span_eq(sp, "1")) {
		*out = 1;
		return PN_JSON_OK;
	}
	if (pn_span_ieq(sp, "false") || pn_span_eq(sp, "0")) {
		*out = 0;
		return PN_JSON_OK;
	}
	return PN_EINVAL;
}

int pn_json_get_str(const json_t *obj, const char *key, size_t minlen, size_t maxlen,
                    const char **out, size_t *outlen)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return PN_JSON_ABSENT;
	if (!json_is_string(v))
		return PN_EINVAL;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	/* An embedded NUL (\u0000) is not printable and fails the check below. */
	if (pn_str_check(s, len, minlen, maxlen) != PN_JSON_OK)
		return PN_EINVAL;
	*out = s;
	if (outlen)
		*outlen = len;
	return PN_JSON_OK;
}

int pn_json_get_bool(const json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return PN_JSON_ABSENT;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return PN_JSON_OK;
	}
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i != 0 && i != 1)
			return PN_EINVAL;
		*out = (int)i;
		return PN_JSON_OK;
	}
	if (json_is_string(v))
		return pn_str_to_bool(json_string_value(v), json_string_length(v), out);
	return PN_EINVAL;
}

int pn_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return PN_JSON_ABSENT;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < min || i > max)
			return PN_EINVAL;
		*out = i;
		return PN_JSON_OK;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max)
			return PN_EINVAL;
		*out = (int64_t)d;
		return PN_JSON_OK;
	}
	if (json_is_string(v))
		return pn_str_to_int(json_string_value(v), json_string_length(v), min, max, out);
	return PN_EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode raw[0..len) into dst (which has room for len + 1 bytes). Returns the decoded length
 * or -1 on a bad escape. */
static long url_decode(const char *raw, size_t len, char *dst)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = raw[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int h = hexval(raw[i + 1]), l = hexval(raw[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			dst[o++] = (char)(h * 16 + l);
			i += 2;
		} else if (c == '+') {
			dst[o++] = ' ';
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
	return (long)o;
}

int pn_query_parse(struct pn_query *q, const char *raw, size_t len)
{
	size_t used = 0;
	q->n = 0;
	if (!raw)
		return 0;
	/* Every decoded byte plus two NULs per pair fits when the raw string plus slack does. */
	if (len + 2 * PN_QUERY_MAX + 2 > sizeof(q->buf))
		return PN_EINVAL;
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && raw[i] != '&')
			i++;
		size_t plen = i - start;
		i++; /* skip '&' */
		if (plen == 0)
			continue;
		const char *p = raw + start;
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		const char *v = eq ? eq + 1 : p + plen;
		size_t vlen = eq ? plen - klen - 1 : 0;
		if (q->n >= PN_QUERY_MAX)
			return PN_EINVAL;
		char *kd = q->buf + used;
		long kl = url_decode(p, klen, kd);
		if (kl < 0)
			return PN_EINVAL;
		used += (size_t)kl + 1;
		char *vd = q->buf + used;
		long vl = url_decode(v, vlen, vd);
		if (vl < 0)
			return PN_EINVAL;
		used += (size_t)vl + 1;
		if (pn_query_get(q, kd, NULL))
			continue; /* first value wins */
		q->kv[q->n].key = kd;
		q->kv[q->n].val = vd;
		q->kv[q->n].val_len = (size_t)vl;
		q->n++;
	}
	return 0;
}

const char *pn_query_get(const struct pn_query *q, const char *key, size_t *len)
{
	for (unsigned i = 0; i < q->n; i++) {
		if (strcmp(q->kv[i].key, key) == 0) {
			if (len)
				*len = q->kv[i].val_len;
			return q->kv[i].val;
		}
	}
	return NULL;
}

struct jbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void jb_str(struct jbuf *b, const char *s, size_t n)
{
	static const char hx[] = "0123456789ABCDEF"; /* as jansson writes \u escapes */
	jb_put(b, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_put(b, s + run, i - run);
		run = i + 1;
		char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
		size_t el = 2;
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hx[c >> 4];
			esc[5] = hx[c & 15];
			el = 6;
		}
		jb_put(b, esc, el);
	}
	jb_put(b, s + run, n - run);
	jb_put(b, "\"", 1);
}

static void jb_value(struct jbuf *b, const json_t *j, int depth)
{
	char num[32];
	int n;
	if (depth > 32) {
		b->err = 1;
		return;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		int first = 1;
		jb_put(b, "{", 1);
		json_object_foreach((json_t *)j, k, v)
		{
			if (!first)
				jb_put(b, ",", 1);
			first = 0;
			jb_str(b, k, strlen(k));
			jb_put(b, ":", 1);
			jb_value(b, v, depth + 1);
		}
		jb_put(b, "}", 1);
		break;
	}
	case JSON_ARRAY: {
		jb_put(b, "[", 1);
		for (size_t i = 0; i < json_array_size(j); i++) {
			if (i)
				jb_put(b, ",", 1);
			jb_value(b, json_array_get(j, i), depth + 1);
		}
		jb_put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		jb_str(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER: {
		json_int_t v = json_integer_value(j);
		char tmp[24];
		int i = 0, neg = v < 0;
		unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
		do {
			tmp[i++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		n = 0;
		if (neg)
			num[n++] = '-';
		while (i)
			num[n++] = tmp[--i];
		jb_put(b, num, (size_t)n);
		break;
	}
	case JSON_REAL:
		n = snprintf(num, sizeof(num), "%.17g", json_real_value(j));
		jb_put(b, num, (size_t)n);
		break;
	case JSON_TRUE:
		jb_put(b, "true", 4);
		break;
	case JSON_FALSE:
		jb_put(b, "false", 5);
		break;
	default:
		jb_put(b, "null", 4);
		break;
	}
}

char *pn_json_dump(const json_t *j, size_t *len)
{
	struct jbuf b = {NULL, 0, 0, 0};
	if (!j)
		return NULL;
	jb_value(&b, j, 0);
	jb_put(&b, "", 0);
	if (b.err || !b.p) {
		free(b.p);
		return NULL;
	}
	b.p[b.len] = '\0';
	if (len)
		*len = b.len;
	return b.p;
}
