/*
 * pn_json.h: tolerant readers of request fields (JSON body members and URL query parameters).
 *
 * Real clients of the Huawei API send the same field in several types (spec section 10):
 * booleans as true/false or "true"/"false", small integers as 0 or "0". These readers accept
 * every such form and reject everything else with a clear result, so a handler can answer
 * 1010002 naming the field. Strings must be printable ASCII (0x20..0x7e): the Java demo client
 * corrupts non-ASCII characters, and we refuse to store garbage.
 *
 * Return convention of every reader:
 *   PN_JSON_OK (0)      the field is present and valid; *out is set
 *   PN_JSON_ABSENT (1)  the field is absent or JSON null; *out is untouched
 *   PN_EINVAL (<0)      present but of the wrong type, out of range or not printable ASCII
 *
 * Strings returned point into the json_t (valid while it lives) or into the query buffer.
 * No state; safe from any thread (jansson objects must not be shared while being modified).
 */
#ifndef PN_JSON_H
#define PN_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "pn_common.h"

#define PN_JSON_OK     0
#define PN_JSON_ABSENT 1

/* String member of length minlen..maxlen, printable ASCII. */
int pn_json_get_str(const json_t *obj, const char *key, size_t minlen, size_t maxlen,
                    const char **out, size_t *outlen);

/* Boolean: true/false, "true"/"false" (any case), 1/0, "1"/"0". */
int pn_json_get_bool(const json_t *obj, const char *key, int *out);

/* Integer in [min, max]: a JSON integer, or a string of decimal digits (optional '-'). A JSON
 * real with no fractional part (3.0) is accepted too. */
int pn_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out);

/* Same checks on a bare string value (e.g. a query parameter). */
int pn_str_check(const char *s, size_t len, size_t minlen, size_t maxlen);
int pn_str_to_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
int pn_str_to_bool(const char *s, size_t len, int *out);

/*
 * URL query parameters. pn_query_parse splits a raw query string ("a=1&b=%2B86") into at
 * most PN_QUERY_MAX pairs, percent-decoding into q->buf ('+' decodes to a space as in forms;
 * numbers must therefore use %2B, as the spec requires). Returns 0, or PN_EINVAL when the
 * string is longer than the buffer, has more pairs than PN_QUERY_MAX or a bad %-escape.
 * A key given twice keeps its first value.
 */
#define PN_QUERY_MAX 16
#define PN_QUERY_BUF 2048
struct pn_query {
	unsigned n;
	struct {
		const char *key;
		const char *val;
		size_t val_len;
	} kv[PN_QUERY_MAX];
	char buf[PN_QUERY_BUF];
};
int pn_query_parse(struct pn_query *q, const char *raw, size_t len);
/* Value of key (NUL-terminated) or NULL; *len gets its length when len != NULL. */
const char *pn_query_get(const struct pn_query *q, const char *key, size_t *len);

/*
 * Serialise j compactly (same text as json_dumps(j, JSON_COMPACT) for objects, arrays,
 * strings, integers, true/false/null; reals with %.17g), about 4x cheaper than jansson's dump
 * (which was 22 % of a query's handler CPU). Object members in insertion order. Strings are
 * escaped as JSON requires (", \\, control characters; bytes >= 0x80 are copied, they are
 * valid UTF-8 in a json_t). Nesting deeper than 32 levels fails. Returns a malloc'd
 * NUL-terminated string (*len = its length) or NULL.
 */
char *pn_json_dump(const json_t *j, size_t *len);

#endif /* PN_JSON_H */
