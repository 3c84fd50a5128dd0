/*
 * pn_number.c: phone-number normalisation and the packed 64-bit form (see pn_number.h).
 *
 * Normalisation is one pass over the input with no allocation:
 *   1. trim blanks and one pair of enclosing angle brackets;
 *   2. read an optional URI scheme: "tel:" (number up to the first ';', then the parameters,
 *      of which phone-context is used), "sip:" / "sips:" (the user part before '@', cut at its
 *      first ';' so that ";npdi;rn=..." and similar are dropped, and at '?'); any other
 *      scheme is PN_NUMBER_ESCHEME;
 *   3. collect the digits, allowing one leading '+', the visual separators - . ( ) and blank,
 *      and %XX escapes (so "%2B86..." works); anything else is PN_NUMBER_ECHAR;
 *   4. turn the digits into the global form, in this order:
 *        - leading '+': already global;
 *        - tel: local number with phone-context=+<digits>: context digits + number;
 *        - starts with the international prefix (e.g. "00"): global without the prefix;
 *        - starts with the configured country code and the rest has a national significant
 *          number length known for that country (table below; 86: 10 or 11 digits, so
 *          "8613800000001" is +8613800000001): global as is;
 *        - starts with the trunk prefix (e.g. "0755..."): country + rest;
 *        - otherwise a national number without trunk prefix (bare mobile "138..."):
 *          country + digits;
 *      the two national cases need a configured country (else PN_NUMBER_ENATIONAL);
 *   5. the result must have 4..17 digits (PN_NUMBER_ESHORT / PN_NUMBER_ELONG).
 *
 * For a country missing from the table, "<cc>..." without '+' or a prefix is read as a
 * national number: it is ambiguous and we prefer the reading carriers use most.
 */
#include "pn_number.h"

#include <stdio.h>

#define PN_NUM_COUNT_SHIFT 58
#define PN_NUM_VALUE_MASK  ((UINT64_C(1) << 57) - 1)
#define PN_NUM_GLOBAL_BIT  (UINT64_C(1) << 63)
#define PN_NUM_BIT57       (UINT64_C(1) << 57)

/* Digits kept while scanning; more than this is PN_NUMBER_ELONG whatever the prefixes. */
#define SCAN_MAX 40

/* National significant number lengths for the "<cc><nsn>" reading without '+'. */
static const struct {
	const char *cc;
	uint8_t nsn_min, nsn_max;
} nsn_table[] = {
    {"86", 10, 11}, /* China: 11-digit mobile (1xx), fixed 10-11 with area code */
    {"1", 10, 10},  /* NANP */
    {"44", 10, 10}, /* United Kingdom */
    {"33", 9, 9},   /* France */
    {"91", 10, 10}, /* India */
    {"81", 9, 10},  /* Japan */
    {"852", 8, 8},  /* Hong Kong */
    {"853", 8, 8},  /* Macao */
    {"886", 9, 9},  /* Taiwan */
    {"65", 8, 8},   /* Singapore */
};

void pn_number_ctx_default(struct pn_number_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	memcpy(ctx->country, "86", 3);
	memcpy(ctx->trunk_prefix, "0", 2);
	memcpy(ctx->intl_prefix, "00", 3);
}

const char *pn_number_strerror(int err)
{
	switch (err) {
	case PN_OK:
		return "ok";
	case PN_NUMBER_EEMPTY:
		return "no digits";
	case PN_NUMBER_ECHAR:
		return "character not allowed in a number";
	case PN_NUMBER_ELONG:
		return "too many digits";
	case PN_NUMBER_ESHORT:
		return "fewer than 4 digits";
	case PN_NUMBER_ESCHEME:
		return "URI scheme is not sip:, sips: or tel:";
	case PN_NUMBER_ENATIONAL:
		return "national number but no country configured";
	case PN_EINVAL:
		return "output buffer too small";
	default:
		return "unknown";
	}
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}
static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}
static int is_visual(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')' || is_blank(c);
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

/* Is s[0..n) a case-insensitive match of lit (lit lowercase)? */
static int ieq(const char *s, size_t n, const char *lit)
{
	return pn_span_ieq(pn_span_make(s, n), lit);
}

/* Is c[] (a NUL-terminated digit string, possibly empty) a prefix of d[0..n)? */
static size_t prefix_len(const char *d, size_t n, const char *c)
{
	size_t k = strlen(c);
	if (k == 0 || k > n || memcmp(d, c, k) != 0)
		return 0;
	return k;
}

/*
 * Collect digits of s[0..n) into dig (capacity SCAN_MAX). *plus is set if a '+' leads.
 * Returns the digit count or a negative pn_number_err.
 */
static int scan_digits(const char *s, size_t n, char *dig, int *plus)
{
	int count = 0;
	*plus = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return PN_NUMBER_ECHAR;
			c = (char)(hi * 16 + lo);
			i += 2;
			if (c == '%') /* no double decoding */
				return PN_NUMBER_ECHAR;
		}
		if (is_digit(c)) {
			if (count >= SCAN_MAX)
				return PN_NUMBER_ELONG;
			dig[count++] = c;
		} else if (c == '+') {
			if (count > 0 || *plus)
				return PN_NUMBER_ECHAR;
			*plus = 1;
		} else if (!is_visual(c)) {
			return PN_NUMBER_ECHAR;
		}
	}
	return count;
}

/* Write "+" pre[0..np) d[0..nd) to out. */
static int emit(const char *pre, size_t np, const char *d, size_t nd, char *out, size_t outsz)
{
	size_t total = np + nd;
	if (total == 0)
		return PN_NUMBER_EEMPTY;
	if (total < 4)
		return PN_NUMBER_ESHORT;
	if (total > PN_NUM_MAX_DIGITS)
		return PN_NUMBER_ELONG;
	if (outsz < total + 2)
		return PN_EINVAL;
	out[0] = '+';
	if (np)
		memcpy(out + 1, pre, np);
	if (nd)
		memcpy(out + 1 + np, d, nd);
	out[1 + total] = '\0';
	return (int)(total + 1);
}

/* Digits of a country code from ctx, validated; "" if none or malformed. */
static size_t ctx_country(const struct pn_number_ctx *ctx, char cc[5])
{
	size_t k = strnlen(ctx->country, sizeof(ctx->country));
	if (k == 0 || k >= sizeof(ctx->country))
		return 0;
	for (size_t i = 0; i < k; i++)
		if (!is_digit(ctx->country[i]))
			return 0;
	memcpy(cc, ctx->country, k);
	cc[k] = '\0';
	return k;
}

/* Copy a NUL-terminated ctx prefix of at most cap-1 digits; "" if malformed. */
static void ctx_prefix(const char *src, size_t cap, char *dst)
{
	size_t k = strnlen(src, cap);
	dst[0] = '\0';
	if (k >= cap)
		return;
	for (size_t i = 0; i < k; i++)
		if (!is_digit(src[i]))
			return;
	memcpy(dst, src, k);
	dst[k] = '\0';
}

int pn_number_normalize(const struct pn_number_ctx *ctx, const char *in, size_t len, char *out,
                        size_t outsz)
{
	struct pn_number_ctx defctx;
	if (ctx == NULL) {
		pn_number_ctx_default(&defctx);
		ctx = &defctx;
	}
	if (outsz > 0)
		out[0] = '\0';
	if (in == NULL)
		return PN_NUMBER_EEMPTY;

	/* 1. Trim blanks and one pair of angle brackets. */
	while (len > 0 && is_blank(in[0]))
		in++, len--;
	while (len > 0 && is_blank(in[len - 1]))
		len--;
	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}

	/* 2. Scheme. */
	const char *num = in;
	size_t nlen = len;
	const char *params = NULL;
	size_t plen = 0;
	int is_tel = 0;
	if (len > 0 && is_alpha(in[0])) {
		size_t i = 1;
		while (i < len && (is_alpha(in[i]) || is_digit(in[i]) || in[i] == '+' ||
		                   in[i] == '-' || in[i] == '.'))
			i++;
		if (i < len && in[i] == ':') {
			const char *rest = in + i + 1;
			size_t rlen = len - i - 1;
			if (ieq(in, i, "tel")) {
				is_tel = 1;
				const char *semi = memchr(rest, ';', rlen);
				num = rest;
				nlen = semi ? (size_t)(semi - rest) : rlen;
				if (semi) {
					params = semi;
					plen = rlen - nlen;
				}
			} else if (ieq(in, i, "sip") || ieq(in, i, "sips")) {
				const char *at = memchr(rest, '@', rlen);
				size_t ulen = at ? (size_t)(at - rest) : rlen;
				const char *semi = memchr(rest, ';', ulen);
				if (semi)
					ulen = (size_t)(semi - rest);
				const char *q = memchr(rest, '?', ulen);
				if (q)
					ulen = (size_t)(q - rest);
				num = rest;
				nlen = ulen;
			} else {
				return PN_NUMBER_ESCHEME;
			}
		}
	}

	/* 3. Digits. */
	char dig[SCAN_MAX];
	int plus;
	int nd = scan_digits(num, nlen, dig, &plus);
	if (nd < 0)
		return nd;
	if (nd == 0)
		return PN_NUMBER_EEMPTY;
	size_t n = (size_t)nd;

	/* 4. Global form. */
	if (plus)
		return emit(NULL, 0, dig, n, out, outsz);

	if (is_tel && params) {
		/* RFC 3966 local number: phone-context=+<digits> is its global prefix. */
		const char *p = params, *end = params + plen;
		while (p < end) {
			const char *q = p + 1;
			const char *e = q;
			while (e < end && *e != ';')
				e++;
			if ((size_t)(e - q) > 14 && ieq(q, 14, "phone-context=") && q[14] == '+') {
				char cd[SCAN_MAX];
				int cplus;
				int nc = scan_digits(q + 14, (size_t)(e - q - 14), cd, &cplus);
				if (nc < 0)
					return nc;
				if (nc == 0)
					return PN_NUMBER_EEMPTY;
				return emit(cd, (size_t)nc, dig, n, out, outsz);
			}
			p = e;
		}
	}

	char cc[5], trunk[3], intl[5];
	size_t ncc = ctx_country(ctx, cc);
	ctx_prefix(ctx->trunk_prefix, sizeof(ctx->trunk_prefix), trunk);
	ctx_prefix(ctx->intl_prefix, sizeof(ctx->intl_prefix), intl);

	size_t k = prefix_len(dig, n, intl);
	if (k)
		return emit(NULL, 0, dig + k, n - k, out, outsz);

	if (ncc && prefix_len(dig, n, cc)) {
		size_t nsn = n - ncc;
		for (size_t i = 0; i < PN_ARRAY_SIZE(nsn_table); i++) {
			if (strcmp(nsn_table[i].cc, cc) == 0 && nsn >= nsn_table[i].nsn_min &&
			    nsn <= nsn_table[i].nsn_max)
				return emit(NULL, 0, dig, n, out, outsz);
		}
	}

	k = prefix_len(dig, n, trunk);
	if (ncc == 0)
		return PN_NUMBER_ENATIONAL;
	if (k == n)
		return PN_NUMBER_EEMPTY; /* only the trunk prefix */
	return emit(cc, ncc, dig + k, n - k, out, outsz);
}

int pn_number_is_global(const char *s, size_t len)
{
	if (s == NULL || len < 5 || len > 1 + PN_NUM_MAX_DIGITS || s[0] != '+')
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

pn_num_t pn_num_pack(const char *s, size_t len)
{
	if (s == NULL || len == 0)
		return PN_NUM_NONE;
	uint64_t global = 0;
	if (s[0] == '+') {
		global = 1;
		s++;
		len--;
	}
	if (len == 0 || len > PN_NUM_MAX_DIGITS)
		return PN_NUM_NONE;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return PN_NUM_NONE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return (global << 63) | ((uint64_t)len << PN_NUM_COUNT_SHIFT) | v;
}

int pn_num_is_valid(pn_num_t n)
{
	unsigned count = (unsigned)((n >> PN_NUM_COUNT_SHIFT) & 0x1f);
	uint64_t v = n & PN_NUM_VALUE_MASK;
	if (count == 0 || count > PN_NUM_MAX_DIGITS || (n & PN_NUM_BIT57))
		return 0;
	uint64_t lim = 1;
	for (unsigned i = 0; i < count; i++)
		lim *= 10;
	return v < lim;
}

int pn_num_unpack(pn_num_t n, char *out)
{
	out[0] = '\0';
	if (!pn_num_is_valid(n))
		return 0;
	unsigned count = (unsigned)((n >> PN_NUM_COUNT_SHIFT) & 0x1f);
	uint64_t v = n & PN_NUM_VALUE_MASK;
	int pos = 0;
	if (n & PN_NUM_GLOBAL_BIT)
		out[pos++] = '+';
	for (unsigned i = count; i > 0; i--) {
		out[pos + (int)i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	pos += (int)count;
	out[pos] = '\0';
	return pos;
}
