/*
 * pn_sip.c: the SIP message parser (RFC 3261): one vectorised pass over the header section,
 * then lazy structured views. See pn_sip.h for the contract.
 *
 * Key choice: line ends are found 64 bytes at a time as a bitmap (AVX2: two 32-byte compares,
 * SSE2: four 16-byte compares, scalar: a byte loop), which also yields a NUL bitmap, so the
 * header section is looked at once for LF and NUL and then only header names are scanned byte
 * by byte. Vector loads are only made on 64 bytes that lie wholly inside the buffer; the tail
 * is scanned by the scalar loop, so nothing past buf+len is ever read.
 */
#include "pn_sip.h"

#include <limits.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PN_SIP_X86 1
#endif

/* ------------------------------------------------------------------------------------------ */
/* Character classes                                                                           */

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static const uint8_t tok_tab[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,  ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1,  ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,  ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,  ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,  ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,  ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['-'] = 1,  ['.'] = 1,
    ['!'] = 1, ['%'] = 1, ['*'] = 1, ['_'] = 1, ['+'] = 1, ['`'] = 1, ['\''] = 1, ['~'] = 1,
};

static inline int is_tok(unsigned char c)
{
	return tok_tab[c];
}
static inline int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}
/* Whitespace inside a value that may have been folded. */
static inline int is_lws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
static inline int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}
static inline int is_alpha(unsigned char c)
{
	return (unsigned char)((c | 0x20) - 'a') < 26;
}
static inline int isxdigit_ascii(unsigned char c)
{
	return is_digit(c) || (unsigned char)((c | 0x20) - 'a') < 6;
}
/* Byte classes for the structured parsers (built at load time). */
enum {
	C_UBAD = 1,  /* never inside a URI: CTL, SP, DEL, '<', '>', '"' */
	C_USPEC = 2, /* '@' '?' : delimiters the URI scan records */
	C_HOST = 4,  /* hostname / IPv4 character */
	C_LSPEC = 8, /* ',' '"' '<' : list-splitting specials */
	C_PVAL = 16, /* parameter value character (see is_pval) */
};
static uint8_t cls[256];

__attribute__((constructor)) static void cls_init(void)
{
	for (int c = 0; c < 256; c++) {
		uint8_t f = 0;
		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"')
			f |= C_UBAD;
		if (c == '@' || c == '?')
			f |= C_USPEC;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_')
			f |= C_HOST;
		if (c == ',' || c == '"' || c == '<')
			f |= C_LSPEC;
		if (c > ' ' && c != 0x7f && c != ';' && c != ',' && c != '"' && c != '<' &&
		    c != '>' && c != '?')
			f |= C_PVAL;
		cls[c] = f;
	}
}

/* Index of the first of a, b, c in p[i..n), or n. 16 bytes per step where they lie inside. */
static inline size_t find_any3(const char *p, size_t i, size_t n, char a, char b, char c)
{
#ifdef PN_SIP_X86
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned mk = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
		                 _mm_cmpeq_epi8(v, vc)));
		if (mk)
			return i + (size_t)__builtin_ctz(mk);
	}
#endif
	for (; i < n; i++)
		if (p[i] == a || p[i] == b || p[i] == c)
			return i;
	return n;
}

/* Index of the first byte in p[i..n) that may be C_UBAD or C_USPEC (a superset: bytes >= 0x80
 * are reported too and the caller re-checks with cls[]), or n. */
static inline size_t find_uri_special(const char *p, size_t i, size_t n)
{
#ifdef PN_SIP_X86
	const __m128i sp = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f), lt = _mm_set1_epi8('<'),
	              gt = _mm_set1_epi8('>'), qu = _mm_set1_epi8('"'), at = _mm_set1_epi8('@'),
	              qm = _mm_set1_epi8('?');
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i m = _mm_or_si128(_mm_cmplt_epi8(v, sp), _mm_cmpeq_epi8(v, del));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, qu), _mm_cmpeq_epi8(v, at)));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, qm));
		unsigned mk = (unsigned)_mm_movemask_epi8(m);
		if (mk)
			return i + (size_t)__builtin_ctz(mk);
	}
#endif
	for (; i < n; i++)
		if (cls[(unsigned char)p[i]] & (C_UBAD | C_USPEC))
			return i;
	return n;
}

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static struct pn_span trim(struct pn_span s)
{
	if (!s.p)
		return s;
	while (s.len && is_lws((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_lws((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

static int span_ieq(struct pn_span a, struct pn_span b)
{
	if (a.len != b.len)
		return 0;
	for (size_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return 0;
	return 1;
}

static int span_eq(struct pn_span a, struct pn_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Header and method names                                                                     */

struct hname {
	const char *lname; /* lower case */
	uint8_t len;
	uint8_t id;
};

/* Sorted by first letter; hname_idx[letter] gives the range. */
static const struct hname hnames[] = {
    {"accept", 6, PN_SIP_H_ACCEPT},
    {"allow", 5, PN_SIP_H_ALLOW},
    {"allow-events", 12, PN_SIP_H_ALLOW_EVENTS},
    {"authorization", 13, PN_SIP_H_AUTHORIZATION},
    {"call-id", 7, PN_SIP_H_CALL_ID},
    {"cseq", 4, PN_SIP_H_CSEQ},
    {"contact", 7, PN_SIP_H_CONTACT},
    {"content-type", 12, PN_SIP_H_CONTENT_TYPE},
    {"content-length", 14, PN_SIP_H_CONTENT_LENGTH},
    {"content-encoding", 16, PN_SIP_H_CONTENT_ENCODING},
    {"content-disposition", 19, PN_SIP_H_CONTENT_DISPOSITION},
    {"diversion", 9, PN_SIP_H_DIVERSION},
    {"event", 5, PN_SIP_H_EVENT},
    {"expires", 7, PN_SIP_H_EXPIRES},
    {"from", 4, PN_SIP_H_FROM},
    {"history-info", 12, PN_SIP_H_HISTORY_INFO},
    {"max-forwards", 12, PN_SIP_H_MAX_FORWARDS},
    {"min-expires", 11, PN_SIP_H_MIN_EXPIRES},
    {"min-se", 6, PN_SIP_H_MIN_SE},
    {"p-asserted-identity", 19, PN_SIP_H_P_ASSERTED_IDENTITY},
    {"p-preferred-identity", 20, PN_SIP_H_P_PREFERRED_IDENTITY},
    {"privacy", 7, PN_SIP_H_PRIVACY},
    {"proxy-require", 13, PN_SIP_H_PROXY_REQUIRE},
    {"proxy-authorization", 19, PN_SIP_H_PROXY_AUTHORIZATION},
    {"proxy-authenticate", 18, PN_SIP_H_PROXY_AUTHENTICATE},
    {"rack", 4, PN_SIP_H_RACK},
    {"reason", 6, PN_SIP_H_REASON},
    {"record-route", 12, PN_SIP_H_RECORD_ROUTE},
    {"refer-to", 8, PN_SIP_H_REFER_TO},
    {"referred-by", 11, PN_SIP_H_REFERRED_BY},
    {"require", 7, PN_SIP_H_REQUIRE},
    {"route", 5, PN_SIP_H_ROUTE},
    {"rseq", 4, PN_SIP_H_RSEQ},
    {"server", 6, PN_SIP_H_SERVER},
    {"session-expires", 15, PN_SIP_H_SESSION_EXPIRES},
    {"subject", 7, PN_SIP_H_SUBJECT},
    {"supported", 9, PN_SIP_H_SUPPORTED},
    {"to", 2, PN_SIP_H_TO},
    {"timestamp", 9, PN_SIP_H_TIMESTAMP},
    {"unsupported", 11, PN_SIP_H_UNSUPPORTED},
    {"user-agent", 10, PN_SIP_H_USER_AGENT},
    {"via", 3, PN_SIP_H_VIA},
    {"www-authenticate", 16, PN_SIP_H_WWW_AUTHENTICATE},
};

/* Canonical names by id. */
static const char *const hcanon[PN_SIP_H__COUNT] = {
    [PN_SIP_H_OTHER] = "",
    [PN_SIP_H_VIA] = "Via",
    [PN_SIP_H_FROM] = "From",
    [PN_SIP_H_TO] = "To",
    [PN_SIP_H_CALL_ID] = "Call-ID",
    [PN_SIP_H_CSEQ] = "CSeq",
    [PN_SIP_H_MAX_FORWARDS] = "Max-Forwards",
    [PN_SIP_H_CONTACT] = "Contact",
    [PN_SIP_H_ROUTE] = "Route",
    [PN_SIP_H_RECORD_ROUTE] = "Record-Route",
    [PN_SIP_H_CONTENT_TYPE] = "Content-Type",
    [PN_SIP_H_CONTENT_LENGTH] = "Content-Length",
    [PN_SIP_H_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
    [PN_SIP_H_DIVERSION] = "Diversion",
    [PN_SIP_H_SUPPORTED] = "Supported",
    [PN_SIP_H_SUBJECT] = "Subject",
    [PN_SIP_H_CONTENT_ENCODING] = "Content-Encoding",
    [PN_SIP_H_EVENT] = "Event",
    [PN_SIP_H_REFER_TO] = "Refer-To",
    [PN_SIP_H_ALLOW_EVENTS] = "Allow-Events",
    [PN_SIP_H_SESSION_EXPIRES] = "Session-Expires",
    [PN_SIP_H_REFERRED_BY] = "Referred-By",
    [PN_SIP_H_REQUIRE] = "Require",
    [PN_SIP_H_PROXY_REQUIRE] = "Proxy-Require",
    [PN_SIP_H_UNSUPPORTED] = "Unsupported",
    [PN_SIP_H_ALLOW] = "Allow",
    [PN_SIP_H_EXPIRES] = "Expires",
    [PN_SIP_H_MIN_EXPIRES] = "Min-Expires",
    [PN_SIP_H_MIN_SE] = "Min-SE",
    [PN_SIP_H_USER_AGENT] = "User-Agent",
    [PN_SIP_H_SERVER] = "Server",
    [PN_SIP_H_AUTHORIZATION] = "Authorization",
    [PN_SIP_H_PROXY_AUTHORIZATION] = "Proxy-Authorization",
    [PN_SIP_H_WWW_AUTHENTICATE] = "WWW-Authenticate",
    [PN_SIP_H_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
    [PN_SIP_H_REASON] = "Reason",
    [PN_SIP_H_PRIVACY] = "Privacy",
    [PN_SIP_H_P_PREFERRED_IDENTITY] = "P-Preferred-Identity",
    [PN_SIP_H_RSEQ] = "RSeq",
    [PN_SIP_H_RACK] = "RAck",
    [PN_SIP_H_ACCEPT] = "Accept",
    [PN_SIP_H_CONTENT_DISPOSITION] = "Content-Disposition",
    [PN_SIP_H_HISTORY_INFO] = "History-Info",
    [PN_SIP_H_TIMESTAMP] = "Timestamp",
};

/* Compact forms (RFC 3261 7.3.3 and the IANA registry), by lower-case letter. */
static const uint8_t compact_tab[26] = {
    ['b' - 'a'] = PN_SIP_H_REFERRED_BY,
    ['c' - 'a'] = PN_SIP_H_CONTENT_TYPE,
    ['e' - 'a'] = PN_SIP_H_CONTENT_ENCODING,
    ['f' - 'a'] = PN_SIP_H_FROM,
    ['i' - 'a'] = PN_SIP_H_CALL_ID,
    ['k' - 'a'] = PN_SIP_H_SUPPORTED,
    ['l' - 'a'] = PN_SIP_H_CONTENT_LENGTH,
    ['m' - 'a'] = PN_SIP_H_CONTACT,
    ['o' - 'a'] = PN_SIP_H_EVENT,
    ['r' - 'a'] = PN_SIP_H_REFER_TO,
    ['s' - 'a'] = PN_SIP_H_SUBJECT,
    ['t' - 'a'] = PN_SIP_H_TO,
    ['u' - 'a'] = PN_SIP_H_ALLOW_EVENTS,
    ['v' - 'a'] = PN_SIP_H_VIA,
    ['x' - 'a'] = PN_SIP_H_SESSION_EXPIRES,
};

/*
 * Known full names live in an open-addressing table of 128 slots keyed by (length, first and
 * last letter), built once at load time (constructor: no race). Each slot keeps the lower-case
 * name and a fold mask (0x20 on letters, 0 on '-'), both zero-padded to 24 bytes, so a match is
 * one "(x | fold) == lname" per 8 bytes and implies the input bytes are exactly the name in some
 * letter case (no non-token byte can pass).
 */
#define HSLOTS 128
struct hslot {
	char l[24];
	char fold[24];
	uint8_t len;
	uint8_t id;
};
static struct hslot htab[HSLOTS];

static inline unsigned hname_hash(const char *p, size_t n)
{
	return ((unsigned)n * 7u + ((unsigned char)p[0] | 0x20u) * 3u +
	        ((unsigned char)p[n - 1] | 0x20u)) &
	       (HSLOTS - 1);
}

__attribute__((constructor)) static void hname_init(void)
{
	for (size_t i = 0; i < PN_ARRAY_SIZE(hnames); i++) {
		const struct hname *h = &hnames[i];
		unsigned k = hname_hash(h->lname, h->len);
		while (htab[k].len)
			k = (k + 1) & (HSLOTS - 1);
		struct hslot *s = &htab[k];
		size_t n = h->len < sizeof(s->l) ? h->len : sizeof(s->l);
		memcpy(s->l, h->lname, n);
		for (size_t j = 0; j < n; j++)
			s->fold[j] = h->lname[j] == '-' ? 0 : 0x20;
		s->len = h->len;
		s->id = h->id;
	}
}

static inline uint64_t load8(const void *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* p[0..n) against slot s; bytes up to `end` may be read (beyond n) when n < 8. */
static inline int hslot_match(const struct hslot *s, const char *p, size_t n, const char *end)
{
	if (n >= 8) {
		size_t i = 0;
		for (; i + 8 <= n; i += 8)
			if ((load8(p + i) | load8(s->fold + i)) != load8(s->l + i))
				return 0;
		if (i < n && (load8(p + n - 8) | load8(s->fold + n - 8)) != load8(s->l + n - 8))
			return 0;
		return 1;
	}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (end - p >= 8) {
		uint64_t mask = (1ull << (8 * n)) - 1;
		return ((load8(p) | load8(s->fold)) & mask) == load8(s->l);
	}
#else
	(void)end;
#endif
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)p[i] | (unsigned char)s->fold[i]) != (unsigned char)s->l[i])
			return 0;
	return 1;
}

/* Id of the name p[0..n) (n >= 1, any bytes); bytes up to `end` may be read. */
static inline uint8_t hdr_id_fast(const char *p, size_t n, const char *end)
{
	if (n == 1) {
		unsigned l = ((unsigned char)p[0] | 0x20) - 'a';
		return l < 26 && is_alpha((unsigned char)p[0]) ? compact_tab[l] : PN_SIP_H_OTHER;
	}
	if (n > 20)
		return PN_SIP_H_OTHER;
	unsigned k = hname_hash(p, n);
	while (htab[k].len) {
		if (hslot_match(&htab[k], p, n, end))
			return htab[k].id;
		k = (k + 1) & (HSLOTS - 1);
	}
	return PN_SIP_H_OTHER;
}

static inline uint8_t hdr_id_tok(const char *p, size_t n)
{
	return hdr_id_fast(p, n, p + n);
}

enum pn_sip_hdr pn_sip_hdr_lookup(const char *name, size_t len)
{
	if (!name || len == 0 || len > 64)
		return PN_SIP_H_OTHER;
	for (size_t i = 0; i < len; i++)
		if (!is_tok((unsigned char)name[i]))
			return PN_SIP_H_OTHER;
	return (enum pn_sip_hdr)hdr_id_tok(name, len);
}

const char *pn_sip_hdr_name(enum pn_sip_hdr id)
{
	if ((unsigned)id >= PN_SIP_H__COUNT)
		return "";
	return hcanon[id];
}

char pn_sip_hdr_compact(enum pn_sip_hdr id)
{
	for (int i = 0; i < 26; i++)
		if (id != PN_SIP_H_OTHER && compact_tab[i] == id)
			return (char)('a' + i);
	return 0;
}

static const char *const mnames[PN_SIP_M__COUNT] = {
    [PN_SIP_M_OTHER] = "",
    [PN_SIP_M_INVITE] = "INVITE",
    [PN_SIP_M_ACK] = "ACK",
    [PN_SIP_M_BYE] = "BYE",
    [PN_SIP_M_CANCEL] = "CANCEL",
    [PN_SIP_M_OPTIONS] = "OPTIONS",
    [PN_SIP_M_REGISTER] = "REGISTER",
    [PN_SIP_M_PRACK] = "PRACK",
    [PN_SIP_M_UPDATE] = "UPDATE",
    [PN_SIP_M_INFO] = "INFO",
    [PN_SIP_M_REFER] = "REFER",
    [PN_SIP_M_NOTIFY] = "NOTIFY",
    [PN_SIP_M_SUBSCRIBE] = "SUBSCRIBE",
    [PN_SIP_M_MESSAGE] = "MESSAGE",
    [PN_SIP_M_PUBLISH] = "PUBLISH",
};

enum pn_sip_method pn_sip_method_lookup(const char *name, size_t len)
{
	if (!name)
		return PN_SIP_M_OTHER;
	/* Methods are case-sensitive (RFC 3261 7.1). Dispatch on length and first byte. */
	switch (len) {
	case 3:
		if (memcmp(name, "ACK", 3) == 0)
			return PN_SIP_M_ACK;
		if (memcmp(name, "BYE", 3) == 0)
			return PN_SIP_M_BYE;
		break;
	case 4:
		if (memcmp(name, "INFO", 4) == 0)
			return PN_SIP_M_INFO;
		break;
	case 5:
		if (memcmp(name, "PRACK", 5) == 0)
			return PN_SIP_M_PRACK;
		if (memcmp(name, "REFER", 5) == 0)
			return PN_SIP_M_REFER;
		break;
	case 6:
		if (memcmp(name, "INVITE", 6) == 0)
			return PN_SIP_M_INVITE;
		if (memcmp(name, "CANCEL", 6) == 0)
			return PN_SIP_M_CANCEL;
		if (memcmp(name, "UPDATE", 6) == 0)
			return PN_SIP_M_UPDATE;
		if (memcmp(name, "NOTIFY", 6) == 0)
			return PN_SIP_M_NOTIFY;
		break;
	case 7:
		if (memcmp(name, "OPTIONS", 7) == 0)
			return PN_SIP_M_OPTIONS;
		if (memcmp(name, "MESSAGE", 7) == 0)
			return PN_SIP_M_MESSAGE;
		if (memcmp(name, "PUBLISH", 7) == 0)
			return PN_SIP_M_PUBLISH;
		break;
	case 8:
		if (memcmp(name, "REGISTER", 8) == 0)
			return PN_SIP_M_REGISTER;
		break;
	case 9:
		if (memcmp(name, "SUBSCRIBE", 9) == 0)
			return PN_SIP_M_SUBSCRIBE;
		break;
	}
	return PN_SIP_M_OTHER;
}

const char *pn_sip_method_name(enum pn_sip_method m)
{
	if ((unsigned)m >= PN_SIP_M__COUNT)
		return "";
	return mnames[m];
}

static const char *const errtext[PN_SIP_E__COUNT] = {
    [PN_SIP_E_NONE] = "no error",
    [PN_SIP_E_TRUNCATED] = "message ends inside the header section",
    [PN_SIP_E_START_LINE] = "malformed start line",
    [PN_SIP_E_VERSION] = "unsupported SIP version",
    [PN_SIP_E_STATUS] = "bad status code",
    [PN_SIP_E_HEADER_NAME] = "bad header name",
    [PN_SIP_E_HEADER_COLON] = "missing ':' after header name",
    [PN_SIP_E_FOLD] = "continuation line without a header",
    [PN_SIP_E_NUL] = "NUL byte in header section",
    [PN_SIP_E_CTL] = "control character in header section",
    [PN_SIP_E_TOO_MANY_HEADERS] = "too many headers",
    [PN_SIP_E_CONTENT_LENGTH] = "bad or conflicting Content-Length",
    [PN_SIP_E_BODY_SHORT] = "Content-Length larger than the body",
    [PN_SIP_E_NO_CONTENT_LENGTH] = "missing Content-Length on a stream",
    [PN_SIP_E_MISSING_HEADER] = "missing mandatory header",
    [PN_SIP_E_DUPLICATE_HEADER] = "conflicting duplicate header",
    [PN_SIP_E_CSEQ] = "malformed CSeq",
    [PN_SIP_E_CSEQ_METHOD] = "CSeq method does not match the request method",
    [PN_SIP_E_VIA] = "malformed Via",
    [PN_SIP_E_NAMEADDR] = "malformed address header",
    [PN_SIP_E_URI] = "malformed URI",
    [PN_SIP_E_MAX_FORWARDS] = "bad Max-Forwards",
    [PN_SIP_E_CALL_ID] = "bad Call-ID",
};

const char *pn_sip_strerror(enum pn_sip_errcode code)
{
	if ((unsigned)code >= PN_SIP_E__COUNT)
		return "unknown error";
	return errtext[code];
}

static void set_err(struct pn_sip_error *e, enum pn_sip_errcode code, size_t off, uint8_t hdr)
{
	if (!e)
		return;
	e->code = code;
	e->offset = (uint32_t)off;
	e->hdr = hdr;
	e->what = pn_sip_strerror(code);
}

/* ------------------------------------------------------------------------------------------ */
/* Line scanning: 64-byte blocks -> bitmaps of LF and NUL                                      */

typedef void (*block_fn)(const char *p, uint64_t *lf, uint64_t *nul);

static void block_scalar(const char *p, uint64_t *lf, uint64_t *nul)
{
	uint64_t a = 0, z = 0;
	for (unsigned i = 0; i < 64; i++) {
		a |= (uint64_t)(p[i] == '\n') << i;
		z |= (uint64_t)(p[i] == 0) << i;
	}
	*lf = a;
	*nul = z;
}

#ifdef PN_SIP_X86
static void block_sse2(const char *p, uint64_t *lf, uint64_t *nul)
{
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	uint64_t a = 0, z = 0;
	for (unsigned i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		a |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) << (16 * i);
		z |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) << (16 * i);
	}
	*lf = a;
	*nul = z;
}

__attribute__((target("avx2"))) static void block_avx2(const char *p, uint64_t *lf, uint64_t *nul)
{
	const __m256i nl = _mm256_set1_epi8('\n'), zero = _mm256_setzero_si256();
	__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	uint64_t a0 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, nl));
	uint64_t a1 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, nl));
	uint64_t z0 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, zero));
	uint64_t z1 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, zero));
	*lf = a0 | (a1 << 32);
	*nul = z0 | (z1 << 32);
}
#endif

static int simd_level = -1; /* -1: not chosen yet */

int pn_sip_simd_select(int level)
{
	int best = 0;
#ifdef PN_SIP_X86
	__builtin_cpu_init();
	best = 1;
	if (__builtin_cpu_supports("avx2"))
		best = 2;
#endif
	if (level < 0 || level > best)
		level = best;
	__atomic_store_n(&simd_level, level, __ATOMIC_RELAXED);
	return level;
}

static block_fn block_get(void)
{
	int l = __atomic_load_n(&simd_level, __ATOMIC_RELAXED);
	if (PN_UNLIKELY(l < 0))
		l = pn_sip_simd_select(-1);
#ifdef PN_SIP_X86
	if (l == 2)
		return block_avx2;
	if (l == 1)
		return block_sse2;
#endif
	return block_scalar;
}

struct scan {
	const char *buf;
	size_t len;
	size_t base;   /* offset of the block that mask describes */
	size_t next;   /* offset of the next block to load */
	uint64_t mask; /* LF bits not consumed yet */
	size_t nul;    /* offset of the first NUL seen, SIZE_MAX if none */
	block_fn fn;
};

/* Offset of the next LF at or after the scan position, or SIZE_MAX when the buffer ends. */
static inline size_t next_lf(struct scan *s)
{
	while (!s->mask) {
		if (s->next >= s->len)
			return SIZE_MAX;
		s->base = s->next;
		size_t n = s->len - s->base;
		uint64_t lf = 0, nul = 0;
		if (n >= 64) {
			s->fn(s->buf + s->base, &lf, &nul);
			s->next = s->base + 64;
		} else {
			/* Tail: copy into a padded block (padding is neither LF nor NUL) so the
			 * vector code never reads past the buffer. */
			char tmp[64];
			memset(tmp, ' ', sizeof(tmp));
			memcpy(tmp, s->buf + s->base, n);
			s->fn(tmp, &lf, &nul);
			s->next = s->len;
		}
		if (PN_UNLIKELY(nul) && s->nul == SIZE_MAX)
			s->nul = s->base + (size_t)__builtin_ctzll(nul);
		s->mask = lf;
	}
	size_t off = s->base + (size_t)__builtin_ctzll(s->mask);
	s->mask &= s->mask - 1;
	return off;
}

/* ------------------------------------------------------------------------------------------ */
/* Start line                                                                                  */

/* "SIP/" 1*DIGIT "." 1*DIGIT, case-insensitive "SIP". */
static int version_ok(const char *p, size_t n)
{
	if (n == 7 && memcmp(p, "SIP/2.0", 7) == 0)
		return 1;
	if (n < 7 || lower((unsigned char)p[0]) != 's' || lower((unsigned char)p[1]) != 'i' ||
	    lower((unsigned char)p[2]) != 'p' || p[3] != '/')
		return 0;
	size_t i = 4, d = 0;
	while (i < n && is_digit((unsigned char)p[i]))
		i++, d++;
	if (!d || i >= n || p[i] != '.')
		return 0;
	i++;
	d = 0;
	while (i < n && is_digit((unsigned char)p[i]))
		i++, d++;
	return d && i == n;
}

static int parse_start_line(struct pn_sip_msg *m, size_t ls, size_t le)
{
	const char *b = m->buf;
	m->start_line = pn_span_make(b + ls, le - ls);
	if (le - ls >= 4 && lower((unsigned char)b[ls]) == 's' &&
	    lower((unsigned char)b[ls + 1]) == 'i' && lower((unsigned char)b[ls + 2]) == 'p' &&
	    b[ls + 3] == '/') {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		size_t i = ls;
		while (i < le && b[i] != ' ')
			i++;
		if (!version_ok(b + ls, i - ls))
			return set_err(&m->err, PN_SIP_E_START_LINE, ls, 0), -1;
		m->version = pn_span_make(b + ls, i - ls);
		if (i + 4 > le || b[i] != ' ')
			return set_err(&m->err, PN_SIP_E_STATUS, i, 0), -1;
		i++;
		if (!is_digit((unsigned char)b[i]) || !is_digit((unsigned char)b[i + 1]) ||
		    !is_digit((unsigned char)b[i + 2]))
			return set_err(&m->err, PN_SIP_E_STATUS, i, 0), -1;
		unsigned code = (unsigned)(b[i] - '0') * 100 + (unsigned)(b[i + 1] - '0') * 10 +
		                (unsigned)(b[i + 2] - '0');
		if (code < 100 || code > 699)
			return set_err(&m->err, PN_SIP_E_STATUS, i, 0), -1;
		i += 3;
		if (i < le && b[i] != ' ')
			return set_err(&m->err, PN_SIP_E_STATUS, i, 0), -1;
		if (i < le)
			i++;
		m->status = (uint16_t)code;
		m->reason = pn_span_make(b + i, le - i);
		m->is_request = 0;
		return 0;
	}
	/* Request-Line = Method SP Request-URI SP SIP-Version */
	size_t i = ls;
	while (i < le && is_tok((unsigned char)b[i]))
		i++;
	if (i == ls || i >= le || b[i] != ' ')
		return set_err(&m->err, PN_SIP_E_START_LINE, i, 0), -1;
	m->method = pn_span_make(b + ls, i - ls);
	m->method_id = (uint8_t)pn_sip_method_lookup(b + ls, i - ls);
	size_t u = ++i;
	/* The URI's own syntax is checked by pn_sip_uri_parse (validate); here: up to the SP. */
	const char *sp = le > u ? memchr(b + u, ' ', le - u) : NULL;
	i = sp ? (size_t)(sp - b) : le;
	if (i == u || i >= le || b[i] != ' ')
		return set_err(&m->err, PN_SIP_E_START_LINE, i, 0), -1;
	m->ruri = pn_span_make(b + u, i - u);
	i++;
	if (!version_ok(b + i, le - i))
		return set_err(&m->err, PN_SIP_E_START_LINE, i, 0), -1;
	m->version = pn_span_make(b + i, le - i);
	m->is_request = 1;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The one pass                                                                                */

int pn_sip_uint_parse(struct pn_span s, uint32_t max, uint32_t *out)
{
	s = trim(s);
	if (!s.p || s.len == 0 || s.len > 10)
		return PN_EPARSE;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (!is_digit((unsigned char)s.p[i]))
			return PN_EPARSE;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > max)
		return PN_EPARSE;
	*out = (uint32_t)v;
	return 0;
}

static void msg_reset(struct pn_sip_msg *m, const char *buf, struct pn_sip_header *hdrs, size_t cap)
{
	m->buf = buf;
	m->start = m->hdr_off = m->body_off = m->len = 0;
	m->is_request = 0;
	m->method_id = 0;
	m->status = 0;
	m->method = m->ruri = m->version = m->reason = m->start_line = m->body = PN_SPAN_NULL;
	m->content_length = -1;
	m->hdrs = hdrs;
	m->nhdrs = 0;
	m->cap = (uint16_t)(cap > 0xfffe ? 0xfffe : cap);
	memset(m->first, 0xff, sizeof(m->first));
	memset(m->last, 0xff, sizeof(m->last));
	memset(m->count, 0, sizeof(m->count));
	m->err.code = PN_SIP_E_NONE;
	m->err.offset = 0;
	m->err.hdr = 0;
	m->err.what = errtext[0];
}

/* Returns the end of the trimmed value of a line [from, le). */
static inline size_t rtrim_end(const char *b, size_t from, size_t le)
{
	while (le > from && is_ws((unsigned char)b[le - 1]))
		le--;
	return le;
}

/* Offset of the first ':' in [ls, le), or SIZE_MAX. With vec, one or two 16-byte compares
 * cover names up to 32 bytes (loads only when they lie inside the buffer). */
static inline size_t find_colon(const char *b, size_t ls, size_t le, size_t len, int vec)
{
#ifdef PN_SIP_X86
	if (vec && ls + 16 <= len) {
		const __m128i colon = _mm_set1_epi8(':');
		unsigned mk = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(const void *)(b + ls)), colon));
		size_t base = ls;
		if (!mk && ls + 32 <= len) {
			base = ls + 16;
			mk = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)(b + base)), colon));
		}
		if (mk) {
			size_t c = base + (size_t)__builtin_ctz(mk);
			return c < le ? c : SIZE_MAX;
		}
	}
#else
	(void)len;
	(void)vec;
#endif
	const char *c = le > ls ? memchr(b + ls, ':', le - ls) : NULL;
	return c ? (size_t)(c - b) : SIZE_MAX;
}

int pn_sip_parse(struct pn_sip_msg *m, const char *buf, size_t len, unsigned flags,
                 struct pn_sip_header *hdrs, size_t cap)
{
	const int dgram = (flags & PN_SIP_DATAGRAM) != 0;
	unsigned nh = 0;
	msg_reset(m, buf, hdrs, cap);
	if (len > INT_MAX - 1) {
		if (dgram) {
			set_err(&m->err, PN_SIP_E_TRUNCATED, 0, 0);
			return PN_EPARSE;
		}
		len = INT_MAX - 1; /* a stream message cannot be that long anyway */
	}
	if (!buf && len)
		return set_err(&m->err, PN_SIP_E_TRUNCATED, 0, 0), PN_EPARSE;

	/* RFC 3261 7.5: ignore CRLFs before the start line. */
	size_t pos = 0;
	while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	m->start = (uint32_t)pos;

	struct scan sc = {buf, len, pos, pos, 0, SIZE_MAX, block_get()};
	const int vec = sc.fn != block_scalar;
	size_t lf = next_lf(&sc), le;
	if (lf == SIZE_MAX)
		goto incomplete;
	le = (lf > pos && buf[lf - 1] == '\r') ? lf - 1 : lf;
	if (PN_UNLIKELY(sc.nul < lf)) {
		set_err(&m->err, PN_SIP_E_NUL, sc.nul, 0);
		return PN_EPARSE;
	}
	if (parse_start_line(m, pos, le) < 0)
		return PN_EPARSE;
	m->hdr_off = (uint32_t)(lf + 1);

	struct pn_sip_header *prev = NULL;
	/* locals: stores through hdrs/m may alias, keeping these in registers */
	const unsigned hcap = m->cap;
	size_t body_off;
	for (;;) {
		size_t ls = lf + 1;
		if (ls >= len)
			goto incomplete_hdrs;
		unsigned char c = (unsigned char)buf[ls];
		if (c == '\n') {
			body_off = ls + 1;
			break;
		}
		if (c == '\r') {
			if (ls + 1 >= len)
				goto incomplete_hdrs;
			if (buf[ls + 1] == '\n') {
				body_off = ls + 2;
				break;
			}
			/* A CR that is not part of CRLF cannot start a line: it is a bare CR. */
			set_err(&m->err, PN_SIP_E_CTL, ls, 0);
			goto fail_hdrs;
		}
		lf = next_lf(&sc);
		if (lf == SIZE_MAX)
			goto incomplete_hdrs;
		le = (buf[lf - 1] == '\r') ? lf - 1 : lf;
		if (PN_UNLIKELY(le < ls))
			le = ls;
		if (c == ' ' || c == '\t') {
			/* Line folding: the line continues the previous header's value. */
			if (!prev) {
				set_err(&m->err, PN_SIP_E_FOLD, ls, 0);
				goto fail_hdrs;
			}
			size_t i = ls;
			while (i < le && is_ws((unsigned char)buf[i]))
				i++;
			if (i < le) {
				size_t e = rtrim_end(buf, i, le);
				if (prev->value.len == 0)
					prev->value.p = buf + i;
				prev->value.len = (size_t)(buf + e - prev->value.p);
			}
			prev->raw_len = (uint32_t)(lf + 1 - prev->raw_off);
			prev->folded = 1;
			continue;
		}
		/* Fast path: find ':' (one vector compare for names up to 32 bytes) and look the
		 * name up; a known name is exact by construction. Anything else takes the slow
		 * path, which validates the token byte by byte and reports the precise error. */
		size_t i, ne;
		uint8_t id = PN_SIP_H_OTHER;
		size_t colon = find_colon(buf, ls, le, len, vec);
		if (PN_LIKELY(colon != SIZE_MAX)) {
			ne = colon;
			while (ne > ls && is_ws((unsigned char)buf[ne - 1]))
				ne--;
			if (PN_LIKELY(ne > ls))
				id = hdr_id_fast(buf + ls, ne - ls, buf + len);
		}
		if (PN_LIKELY(id != PN_SIP_H_OTHER)) {
			i = colon + 1;
		} else {
			i = ls;
			while (i < le && is_tok((unsigned char)buf[i]))
				i++;
			ne = i;
			if (PN_UNLIKELY(ne == ls)) {
				set_err(&m->err, PN_SIP_E_HEADER_NAME, ls, 0);
				goto fail_hdrs;
			}
			if (PN_UNLIKELY(i >= le || buf[i] != ':')) {
				while (i < le && is_ws((unsigned char)buf[i]))
					i++;
				if (i >= le || buf[i] != ':') {
					set_err(&m->err,
					        i < le && !is_ws((unsigned char)buf[i]) &&
					                buf[i] != ':'
					            ? PN_SIP_E_HEADER_NAME
					            : PN_SIP_E_HEADER_COLON,
					        i, 0);
					goto fail_hdrs;
				}
			}
			i++;
		}
		while (i < le && is_ws((unsigned char)buf[i]))
			i++;
		if (PN_UNLIKELY(nh >= hcap)) {
			set_err(&m->err, PN_SIP_E_TOO_MANY_HEADERS, ls, 0);
			goto fail_hdrs;
		}
		uint16_t idx = (uint16_t)nh++;
		struct pn_sip_header *h = &hdrs[idx];
		h->name = pn_span_make(buf + ls, ne - ls);
		h->value = pn_span_make(buf + i, rtrim_end(buf, i, le) - i);
		h->raw_off = (uint32_t)ls;
		h->raw_len = (uint32_t)(lf + 1 - ls);
		h->next = PN_SIP_NO_HDR;
		h->id = id;
		h->folded = 0;
		if (m->last[id] != PN_SIP_NO_HDR)
			hdrs[m->last[id]].next = idx;
		else
			m->first[id] = idx;
		m->last[id] = idx;
		if (m->count[id] < 255)
			m->count[id]++;
		prev = h;
	}
	m->nhdrs = (uint16_t)nh;

	if (PN_UNLIKELY(sc.nul < body_off)) {
		set_err(&m->err, PN_SIP_E_NUL, sc.nul, 0);
		return PN_EPARSE;
	}
	m->body_off = (uint32_t)body_off;

	/* Content-Length: every occurrence must parse and agree. */
	int64_t clen = -1;
	for (uint16_t k = m->first[PN_SIP_H_CONTENT_LENGTH]; k != PN_SIP_NO_HDR; k = hdrs[k].next) {
		uint32_t v;
		if (pn_sip_uint_parse(hdrs[k].value, PN_SIP_MAX_CLEN, &v) < 0 ||
		    (clen >= 0 && clen != (int64_t)v)) {
			set_err(&m->err, PN_SIP_E_CONTENT_LENGTH, hdrs[k].raw_off,
			        PN_SIP_H_CONTENT_LENGTH);
			return PN_EPARSE;
		}
		clen = v;
	}
	m->content_length = clen;
	size_t avail = len - body_off, blen;
	if (clen < 0) {
		if (!dgram) {
			set_err(&m->err, PN_SIP_E_NO_CONTENT_LENGTH, body_off, 0);
			return PN_EPARSE;
		}
		blen = avail;
	} else if ((uint64_t)clen > avail) {
		if (!dgram)
			return PN_INCOMPLETE;
		set_err(&m->err, PN_SIP_E_BODY_SHORT,
		        m->hdrs[m->first[PN_SIP_H_CONTENT_LENGTH]].raw_off,
		        PN_SIP_H_CONTENT_LENGTH);
		return PN_EPARSE;
	} else {
		blen = (size_t)clen;
	}
	m->body = pn_span_make(buf + body_off, blen);
	m->len = (uint32_t)(body_off + blen);
	return (int)m->len;

fail_hdrs:
	m->nhdrs = (uint16_t)nh;
	return PN_EPARSE;

incomplete_hdrs:
	m->nhdrs = (uint16_t)nh;
incomplete:
	if (sc.nul != SIZE_MAX) {
		set_err(&m->err, PN_SIP_E_NUL, sc.nul, 0);
		return PN_EPARSE;
	}
	if (dgram) {
		set_err(&m->err, PN_SIP_E_TRUNCATED, len, 0);
		return PN_EPARSE;
	}
	return PN_INCOMPLETE;
}

/* ------------------------------------------------------------------------------------------ */
/* Header access                                                                               */

const struct pn_sip_header *pn_sip_hdr_first(const struct pn_sip_msg *m, enum pn_sip_hdr id)
{
	if ((unsigned)id >= PN_SIP_H__COUNT || m->first[id] == PN_SIP_NO_HDR)
		return NULL;
	return &m->hdrs[m->first[id]];
}

const struct pn_sip_header *pn_sip_hdr_nth(const struct pn_sip_msg *m, enum pn_sip_hdr id,
                                           unsigned n)
{
	if ((unsigned)id >= PN_SIP_H__COUNT)
		return NULL;
	uint16_t k = m->first[id];
	while (k != PN_SIP_NO_HDR && n--)
		k = m->hdrs[k].next;
	return k == PN_SIP_NO_HDR ? NULL : &m->hdrs[k];
}

const struct pn_sip_header *pn_sip_hdr_next(const struct pn_sip_msg *m,
                                            const struct pn_sip_header *h)
{
	if (!h || h->next == PN_SIP_NO_HDR || h->next >= m->nhdrs)
		return NULL;
	return &m->hdrs[h->next];
}

const struct pn_sip_header *pn_sip_hdr_find(const struct pn_sip_msg *m, const char *name,
                                            size_t name_len)
{
	enum pn_sip_hdr id = pn_sip_hdr_lookup(name, name_len);
	if (id != PN_SIP_H_OTHER)
		return pn_sip_hdr_first(m, id);
	struct pn_span n = pn_span_make(name, name_len);
	for (uint16_t k = m->first[PN_SIP_H_OTHER]; k != PN_SIP_NO_HDR; k = m->hdrs[k].next)
		if (span_ieq(m->hdrs[k].name, n))
			return &m->hdrs[k];
	return NULL;
}

struct pn_span pn_sip_hdr_value(const struct pn_sip_msg *m, enum pn_sip_hdr id)
{
	const struct pn_sip_header *h = pn_sip_hdr_first(m, id);
	return h ? h->value : PN_SPAN_NULL;
}

/* Scan one list element of s from *pos: returns 1 with [*a, *b) set, 0 at end, -1 on an
 * unterminated quote or '<'. Leaves *pos at the separating comma or the end. */
static int list_elem(struct pn_span s, size_t *pos, size_t *a, size_t *b)
{
	size_t i = *pos;
	while (i < s.len && (is_lws((unsigned char)s.p[i]) || s.p[i] == ','))
		i++;
	if (i >= s.len) {
		*pos = s.len;
		return 0;
	}
	size_t st = i;
	while (i < s.len) {
		i = find_any3(s.p, i, s.len, ',', '"', '<');
		if (i >= s.len)
			break;
		char c = s.p[i];
		if (c == ',')
			break;
		if (c == '"') {
			i++;
			while (i < s.len && s.p[i] != '"') {
				if (s.p[i] == '\\')
					i++;
				i++;
			}
			if (i >= s.len) {
				*pos = s.len;
				return -1;
			}
			i++;
		} else if (c == '<') {
			while (i < s.len && s.p[i] != '>')
				i++;
			if (i >= s.len) {
				*pos = s.len;
				return -1;
			}
			i++;
		} else {
			i++;
		}
	}
	size_t e = i;
	while (e > st && is_lws((unsigned char)s.p[e - 1]))
		e--;
	*a = st;
	*b = e;
	*pos = i;
	return 1;
}

int pn_sip_list_next(const struct pn_sip_msg *m, enum pn_sip_hdr id, struct pn_sip_iter *it,
                     struct pn_span *out)
{
	if ((unsigned)id >= PN_SIP_H__COUNT)
		return 0;
	if (!it->started) {
		it->started = 1;
		it->hdr = m->first[id];
		it->pos = 0;
	}
	while (it->hdr != PN_SIP_NO_HDR && it->hdr < m->nhdrs) {
		const struct pn_sip_header *h = &m->hdrs[it->hdr];
		size_t pos = it->pos, a, b;
		int r = list_elem(h->value, &pos, &a, &b);
		it->pos = (uint32_t)pos;
		if (r < 0) {
			it->hdr = h->next;
			it->pos = 0;
			return PN_EPARSE;
		}
		if (r > 0) {
			*out = pn_span_make(h->value.p + a, b - a);
			return 1;
		}
		it->hdr = h->next;
		it->pos = 0;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Structured values                                                                           */

static size_t skip_lws(struct pn_span s, size_t i)
{
	while (i < s.len && is_lws((unsigned char)s.p[i]))
		i++;
	return i;
}

static size_t skip_tok(struct pn_span s, size_t i)
{
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	return i;
}

/* Quoted string starting at s.p[i] == '"': returns the index after the closing quote, or 0 when
 * unterminated. */
static size_t skip_quoted(struct pn_span s, size_t i)
{
	i++;
	while (i < s.len) {
		if (s.p[i] == '"')
			return i + 1;
		if (s.p[i] == '\\') {
			if (i + 1 >= s.len)
				return 0;
			i++;
		}
		i++;
	}
	return 0;
}

static int port_parse(struct pn_span s, size_t *i, uint16_t *port)
{
	size_t st = *i;
	uint32_t v = 0;
	while (*i < s.len && is_digit((unsigned char)s.p[*i]) && *i - st < 6) {
		v = v * 10 + (uint32_t)(s.p[*i] - '0');
		(*i)++;
	}
	if (*i == st || v > 65535 || (*i < s.len && is_digit((unsigned char)s.p[*i])))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* host (hostname, IPv4, or [IPv6]) at s.p[*i]; returns 0 or -1. */
static int host_parse(struct pn_span s, size_t *i, struct pn_span *host, uint8_t *v6)
{
	size_t st = *i;
	if (st < s.len && s.p[st] == '[') {
		size_t j = st + 1;
		while (j < s.len &&
		       (isxdigit_ascii((unsigned char)s.p[j]) || s.p[j] == ':' || s.p[j] == '.'))
			j++;
		if (j >= s.len || s.p[j] != ']' || j == st + 1)
			return -1;
		*host = pn_span_make(s.p + st, j + 1 - st);
		*i = j + 1;
		if (v6)
			*v6 = 1;
		return 0;
	}
	size_t j = st;
	while (j < s.len && (cls[(unsigned char)s.p[j]] & C_HOST))
		j++;
	if (j == st)
		return -1;
	*host = pn_span_make(s.p + st, j - st);
	*i = j;
	if (v6)
		*v6 = 0;
	return 0;
}

/* A parameter value character: anything visible but the separators of the enclosing syntax. */
static inline int is_pval(unsigned char c)
{
	return cls[c] & C_PVAL;
}

/*
 * Next ";name[=value]" at s.p[*i] (whitespace allowed around ';' and '='). Returns 1 with
 * name/value (value: p != NULL, len 0 for a flag), 0 when the next non-space is not ';' (*i is
 * left on it), -1 when malformed.
 */
static int param_next(struct pn_span s, size_t *i, struct pn_span *name, struct pn_span *val)
{
	size_t j = skip_lws(s, *i);
	if (j >= s.len || s.p[j] != ';') {
		*i = j;
		return 0;
	}
	j = skip_lws(s, j + 1);
	size_t ns = j;
	j = skip_tok(s, j);
	if (j == ns)
		return -1;
	*name = pn_span_make(s.p + ns, j - ns);
	size_t k = skip_lws(s, j);
	if (k < s.len && s.p[k] == '=') {
		k = skip_lws(s, k + 1);
		if (k < s.len && s.p[k] == '"') {
			size_t e = skip_quoted(s, k);
			if (!e)
				return -1;
			*val = pn_span_make(s.p + k, e - k);
			j = e;
		} else {
			size_t vs = k;
			while (k < s.len && is_pval((unsigned char)s.p[k]))
				k++;
			if (k == vs)
				return -1;
			*val = pn_span_make(s.p + vs, k - vs);
			j = k;
		}
	} else {
		*val = pn_span_make(s.p + j, 0);
	}
	*i = j;
	return 1;
}

int pn_sip_param_find(struct pn_span params, const char *name, struct pn_span *value)
{
	if (!params.p || !name)
		return 0;
	size_t nlen = strlen(name);
	size_t i = skip_lws(params, 0);
	struct pn_span n, v;
	/* Tolerate a missing leading ';' by parsing as if it were there. */
	if (i < params.len && params.p[i] != ';') {
		struct pn_span tmp = pn_span_make(params.p + i, params.len - i);
		size_t ns = 0, j = skip_tok(tmp, 0);
		if (j == ns)
			return 0;
		n = pn_span_make(tmp.p, j);
		size_t k = skip_lws(tmp, j);
		if (k < tmp.len && tmp.p[k] == '=') {
			k = skip_lws(tmp, k + 1);
			size_t vs = k;
			if (k < tmp.len && tmp.p[k] == '"') {
				k = skip_quoted(tmp, k);
				if (!k)
					return 0;
			} else {
				while (k < tmp.len && is_pval((unsigned char)tmp.p[k]))
					k++;
			}
			v = pn_span_make(tmp.p + vs, k - vs);
			j = k;
		} else {
			v = pn_span_make(tmp.p + j, 0);
		}
		if (n.len == nlen && span_ieq(n, pn_span_make(name, nlen))) {
			*value = v;
			return 1;
		}
		i += j;
	}
	for (;;) {
		int r = param_next(params, &i, &n, &v);
		if (r <= 0)
			return 0;
		if (n.len == nlen && span_ieq(n, pn_span_make(name, nlen))) {
			*value = v;
			return 1;
		}
	}
}

int pn_sip_via_parse(struct pn_span s, struct pn_sip_via *v)
{
	memset(v, 0, sizeof(*v));
	s = trim(s);
	if (!s.p || !s.len)
		return PN_EPARSE;
	v->raw = s;
	size_t i = skip_tok(s, 0);
	if (i == 0)
		return PN_EPARSE;
	i = skip_lws(s, i);
	if (i >= s.len || s.p[i] != '/')
		return PN_EPARSE;
	i = skip_lws(s, i + 1);
	size_t j = skip_tok(s, i);
	if (j == i)
		return PN_EPARSE;
	i = skip_lws(s, j);
	if (i >= s.len || s.p[i] != '/')
		return PN_EPARSE;
	i = skip_lws(s, i + 1);
	j = skip_tok(s, i);
	if (j == i)
		return PN_EPARSE;
	v->protocol = pn_span_make(s.p, j);
	v->transport = pn_span_make(s.p + i, j - i);
	if (j >= s.len || !is_lws((unsigned char)s.p[j]))
		return PN_EPARSE;
	i = skip_lws(s, j);
	if (host_parse(s, &i, &v->host, NULL) < 0)
		return PN_EPARSE;
	size_t k = skip_lws(s, i);
	if (k < s.len && s.p[k] == ':') {
		k = skip_lws(s, k + 1);
		if (port_parse(s, &k, &v->port) < 0 || v->port == 0)
			return PN_EPARSE;
		i = k;
	}
	size_t ps = skip_lws(s, i);
	struct pn_span n, val;
	int r;
	while ((r = param_next(s, &i, &n, &val)) > 0) {
		if (n.len == 6 && lower((unsigned char)n.p[0]) == 'b' && pn_span_ieq(n, "branch")) {
			if (!val.len)
				return PN_EPARSE;
			v->branch = val;
		} else if (n.len == 8 && pn_span_ieq(n, "received")) {
			if (!val.len)
				return PN_EPARSE;
			v->received = val;
		} else if (n.len == 5 && pn_span_ieq(n, "rport")) {
			v->has_rport = 1;
			if (val.len) {
				uint32_t p;
				if (pn_sip_uint_parse(val, 65535, &p) < 0)
					return PN_EPARSE;
				v->rport = (uint16_t)p;
			}
		} else if (n.len == 5 && pn_span_ieq(n, "maddr")) {
			v->maddr = val;
		} else if (n.len == 3 && pn_span_ieq(n, "ttl")) {
			v->ttl = val;
		}
	}
	if (r < 0 || i != s.len)
		return PN_EPARSE;
	if (ps < s.len)
		v->params = pn_span_make(s.p + ps, s.len - ps);
	return 0;
}

int pn_sip_via_next(const struct pn_sip_msg *m, struct pn_sip_iter *it, struct pn_sip_via *via)
{
	struct pn_span s;
	int r = pn_sip_list_next(m, PN_SIP_H_VIA, it, &s);
	if (r <= 0)
		return r;
	return pn_sip_via_parse(s, via) < 0 ? PN_EPARSE : 1;
}

int pn_sip_nameaddr_parse(struct pn_span s, struct pn_sip_nameaddr *na)
{
	memset(na, 0, sizeof(*na));
	s = trim(s);
	if (!s.p || !s.len)
		return PN_EPARSE;
	na->raw = s;
	size_t i;
	if (s.len == 1 && s.p[0] == '*') {
		na->star = 1;
		return 0;
	}
	if (s.p[0] == '"') {
		size_t e = skip_quoted(s, 0);
		if (!e)
			return PN_EPARSE;
		na->display = pn_span_make(s.p, e);
		i = skip_lws(s, e);
		if (i >= s.len || s.p[i] != '<')
			return PN_EPARSE;
	} else {
		/* Either "tokens LWS <uri>" or a bare addr-spec. */
		i = 0;
		while (i < s.len &&
		       (is_tok((unsigned char)s.p[i]) || is_lws((unsigned char)s.p[i])))
			i++;
		if (i < s.len && s.p[i] == '<') {
			struct pn_span d = trim(pn_span_make(s.p, i));
			if (d.len)
				na->display = d;
		} else {
			i = 0;
		}
	}
	size_t ue;
	if (s.p[i] == '<') {
		size_t us = i + 1;
		const char *gt = memchr(s.p + us, '>', s.len - us);
		ue = gt ? (size_t)(gt - s.p) : s.len;
		if (ue >= s.len || ue == us)
			return PN_EPARSE;
		na->uri = pn_span_make(s.p + us, ue - us);
		na->bracketed = 1;
		i = ue + 1;
	} else {
		ue = 0;
		while (ue < s.len && s.p[ue] != ';' && !is_lws((unsigned char)s.p[ue]))
			ue++;
		if (ue == 0)
			return PN_EPARSE;
		na->uri = pn_span_make(s.p, ue);
		i = ue;
	}
	/* <...> was delimited by '>'; an addr-spec stopped at whitespace. A '<' or '"' inside is
	 * still refused here; the full URI syntax is pn_sip_uri_parse's job. */
	if (find_any3(na->uri.p, 0, na->uri.len, '<', '"', '\0') < na->uri.len)
		return PN_EPARSE;
	size_t ps = skip_lws(s, i);
	struct pn_span n, v;
	int r;
	while ((r = param_next(s, &i, &n, &v)) > 0) {
		if (n.len == 3 && pn_span_ieq(n, "tag")) {
			if (!v.len)
				return PN_EPARSE;
			na->tag = v;
		}
	}
	if (r < 0 || i != s.len)
		return PN_EPARSE;
	if (ps < s.len)
		na->params = pn_span_make(s.p + ps, s.len - ps);
	return 0;
}

int pn_sip_cseq_parse(struct pn_span s, struct pn_sip_cseq *c)
{
	memset(c, 0, sizeof(*c));
	s = trim(s);
	if (!s.p)
		return PN_EPARSE;
	size_t i = 0;
	uint64_t v = 0;
	while (i < s.len && is_digit((unsigned char)s.p[i]) && i < 11) {
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		i++;
	}
	if (i == 0 || v >= 0x80000000ull || i >= s.len || !is_lws((unsigned char)s.p[i]))
		return PN_EPARSE;
	i = skip_lws(s, i);
	size_t ms = i;
	i = skip_tok(s, i);
	if (i == ms || i != s.len)
		return PN_EPARSE;
	c->seq = (uint32_t)v;
	c->method = pn_span_make(s.p + ms, i - ms);
	c->method_id = (uint8_t)pn_sip_method_lookup(c->method.p, c->method.len);
	return 0;
}

int pn_sip_uri_parse(struct pn_span s, struct pn_sip_uri *u)
{
	memset(u, 0, sizeof(*u));
	if (!s.p)
		return PN_EPARSE;
	if (PN_UNLIKELY(s.len &&
	                (is_lws((unsigned char)s.p[0]) || is_lws((unsigned char)s.p[s.len - 1]))))
		s = trim(s);
	if (!s.len || !is_alpha((unsigned char)s.p[0]))
		return PN_EPARSE;
	size_t i = 1;
	while (i < s.len && (is_alpha((unsigned char)s.p[i]) || is_digit((unsigned char)s.p[i]) ||
	                     s.p[i] == '+' || s.p[i] == '-' || s.p[i] == '.'))
		i++;
	if (i >= s.len || s.p[i] != ':')
		return PN_EPARSE;
	u->scheme_s = pn_span_make(s.p, i);
	size_t r = i + 1;
	/* One pass over the rest: reject bytes no URI may hold, note the first '@' (before any
	 * '?') and the first '?'. */
	size_t at = SIZE_MAX, q = s.len;
	for (size_t k = r; (k = find_uri_special(s.p, k, s.len)) < s.len; k++) {
		uint8_t f = cls[(unsigned char)s.p[k]];
		if (f & C_UBAD)
			return PN_EPARSE;
		if (f & C_USPEC) {
			if (s.p[k] == '?' && q == s.len)
				q = k;
			else if (s.p[k] == '@' && at == SIZE_MAX && q == s.len)
				at = k;
		}
	}
	/* scheme letters only (checked above), so | 0x20 lower-cases exactly */
	unsigned c0 = (unsigned char)s.p[0] | 0x20u, c1 = (unsigned char)s.p[1 % s.len] | 0x20u,
	         c2 = (unsigned char)s.p[2 % s.len] | 0x20u,
	         c3 = (unsigned char)s.p[3 % s.len] | 0x20u;
	if (i == 3 && c0 == 's' && c1 == 'i' && c2 == 'p')
		u->scheme = PN_SIP_URI_SIP;
	else if (i == 4 && c0 == 's' && c1 == 'i' && c2 == 'p' && c3 == 's')
		u->scheme = PN_SIP_URI_SIPS;
	else if (i == 3 && c0 == 't' && c1 == 'e' && c2 == 'l')
		u->scheme = PN_SIP_URI_TEL;
	else
		u->scheme = PN_SIP_URI_OTHER;

	if (u->scheme == PN_SIP_URI_OTHER) {
		if (r >= s.len)
			return PN_EPARSE;
		u->opaque = pn_span_make(s.p + r, s.len - r);
		return 0;
	}
	if (u->scheme == PN_SIP_URI_TEL) {
		const char *semi = memchr(s.p + r, ';', s.len - r);
		size_t e = semi ? (size_t)(semi - s.p) : s.len;
		if (e == r)
			return PN_EPARSE;
		u->user = pn_span_make(s.p + r, e - r);
		if (e < s.len)
			u->params = pn_span_make(s.p + e, s.len - e);
		return 0;
	}
	size_t hp = r;
	if (at != SIZE_MAX) {
		const char *colon = memchr(s.p + r, ':', at - r);
		size_t ue = colon ? (size_t)(colon - s.p) : at;
		if (ue == r)
			return PN_EPARSE;
		u->user = pn_span_make(s.p + r, ue - r);
		if (colon)
			u->password = pn_span_make(colon + 1, at - ue - 1);
		hp = at + 1;
	}
	struct pn_span hs = pn_span_make(s.p, q);
	i = hp;
	if (host_parse(hs, &i, &u->host, &u->ipv6) < 0)
		return PN_EPARSE;
	if (i < q && s.p[i] == ':') {
		i++;
		if (port_parse(hs, &i, &u->port) < 0)
			return PN_EPARSE;
	}
	if (i < q) {
		if (s.p[i] != ';')
			return PN_EPARSE;
		u->params = pn_span_make(s.p + i, q - i);
	}
	if (q < s.len)
		u->headers = pn_span_make(s.p + q + 1, s.len - q - 1);
	return 0;
}

int pn_sip_unquote(struct pn_span s, char *out, size_t cap)
{
	s = trim(s);
	if (!s.p)
		return PN_EPARSE;
	if (!s.len || s.p[0] != '"') {
		if (s.len > cap)
			return PN_EFULL;
		if (s.len)
			memcpy(out, s.p, s.len);
		return (int)s.len;
	}
	size_t n = 0, i = 1;
	for (;;) {
		if (i >= s.len)
			return PN_EPARSE;
		char c = s.p[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (++i >= s.len)
				return PN_EPARSE;
			c = s.p[i];
		}
		if (n >= cap)
			return PN_EFULL;
		out[n++] = c;
		i++;
	}
	if (i + 1 != s.len)
		return PN_EPARSE;
	return (int)n;
}

/* ------------------------------------------------------------------------------------------ */
/* Validation and the router's view                                                            */

static int fail_hdr(struct pn_sip_error *e, enum pn_sip_errcode code, const struct pn_sip_msg *m,
                    const struct pn_sip_header *h, uint8_t id)
{
	set_err(e, code, h ? h->raw_off : m->hdr_off, id);
	return PN_EPARSE;
}

static int single_valued(const struct pn_sip_msg *m, enum pn_sip_hdr id, struct pn_sip_error *e)
{
	const struct pn_sip_header *h = pn_sip_hdr_first(m, id);
	if (!h)
		return 0;
	for (const struct pn_sip_header *o = pn_sip_hdr_next(m, h); o; o = pn_sip_hdr_next(m, o))
		if (!span_eq(trim(o->value), trim(h->value)))
			return fail_hdr(e, PN_SIP_E_DUPLICATE_HEADER, m, o, (uint8_t)id);
	return 0;
}

static int addr_check(const struct pn_sip_msg *m, enum pn_sip_hdr id, struct pn_sip_error *e)
{
	const struct pn_sip_header *h = pn_sip_hdr_first(m, id);
	struct pn_sip_nameaddr na;
	struct pn_sip_uri u;
	if (!h)
		return fail_hdr(e, PN_SIP_E_MISSING_HEADER, m, NULL, (uint8_t)id);
	if (pn_sip_nameaddr_parse(h->value, &na) < 0 || na.star)
		return fail_hdr(e, PN_SIP_E_NAMEADDR, m, h, (uint8_t)id);
	if (pn_sip_uri_parse(na.uri, &u) < 0)
		return fail_hdr(e, PN_SIP_E_URI, m, h, (uint8_t)id);
	return 0;
}

int pn_sip_validate(const struct pn_sip_msg *m, struct pn_sip_error *e)
{
	struct pn_sip_error dummy;
	if (!e)
		e = &dummy;
	set_err(e, PN_SIP_E_NONE, 0, 0);
	if (!pn_span_ieq(m->version, "SIP/2.0")) {
		size_t off = m->version.p ? (size_t)(m->version.p - m->buf) : m->start;
		set_err(e, PN_SIP_E_VERSION, off, 0);
		return PN_EPARSE;
	}
	if (m->is_request) {
		struct pn_sip_uri u;
		if (pn_sip_uri_parse(m->ruri, &u) < 0) {
			set_err(e, PN_SIP_E_URI, (size_t)(m->ruri.p - m->buf), 0);
			return PN_EPARSE;
		}
	}
	static const uint8_t mandatory[] = {PN_SIP_H_TO, PN_SIP_H_FROM, PN_SIP_H_CSEQ,
	                                    PN_SIP_H_CALL_ID, PN_SIP_H_VIA};
	for (size_t k = 0; k < PN_ARRAY_SIZE(mandatory); k++)
		if (m->first[mandatory[k]] == PN_SIP_NO_HDR)
			return fail_hdr(e, PN_SIP_E_MISSING_HEADER, m, NULL, mandatory[k]);
	static const uint8_t single[] = {PN_SIP_H_CALL_ID,      PN_SIP_H_CSEQ,
	                                 PN_SIP_H_FROM,         PN_SIP_H_TO,
	                                 PN_SIP_H_MAX_FORWARDS, PN_SIP_H_CONTENT_LENGTH};
	for (size_t k = 0; k < PN_ARRAY_SIZE(single); k++)
		if (single_valued(m, (enum pn_sip_hdr)single[k], e) < 0)
			return PN_EPARSE;

	const struct pn_sip_header *h = pn_sip_hdr_first(m, PN_SIP_H_CALL_ID);
	struct pn_span cid = trim(h->value);
	if (!cid.len)
		return fail_hdr(e, PN_SIP_E_CALL_ID, m, h, PN_SIP_H_CALL_ID);
	for (size_t k = 0; k < cid.len; k++)
		if ((unsigned char)cid.p[k] <= ' ' || cid.p[k] == 0x7f)
			return fail_hdr(e, PN_SIP_E_CALL_ID, m, h, PN_SIP_H_CALL_ID);

	h = pn_sip_hdr_first(m, PN_SIP_H_CSEQ);
	struct pn_sip_cseq cs;
	if (pn_sip_cseq_parse(h->value, &cs) < 0)
		return fail_hdr(e, PN_SIP_E_CSEQ, m, h, PN_SIP_H_CSEQ);
	/* RFC 3261 8.1.1.5 / 9.1 / 17.1.1.3: the CSeq method equals the request method; this
	 * holds for ACK (CSeq "n ACK") and CANCEL (CSeq "n CANCEL") as well. */
	if (m->is_request && !span_eq(cs.method, m->method))
		return fail_hdr(e, PN_SIP_E_CSEQ_METHOD, m, h, PN_SIP_H_CSEQ);

	if (addr_check(m, PN_SIP_H_FROM, e) < 0 || addr_check(m, PN_SIP_H_TO, e) < 0)
		return PN_EPARSE;

	h = pn_sip_hdr_first(m, PN_SIP_H_MAX_FORWARDS);
	uint32_t mf;
	if (h && pn_sip_uint_parse(h->value, 255, &mf) < 0)
		return fail_hdr(e, PN_SIP_E_MAX_FORWARDS, m, h, PN_SIP_H_MAX_FORWARDS);

	struct pn_sip_iter it = {0};
	struct pn_sip_via via;
	int r, n = 0;
	memset(&via, 0, sizeof(via));
	while ((r = pn_sip_via_next(m, &it, &via)) > 0)
		n++;
	if (r < 0 || n == 0) {
		const struct pn_sip_header *vh = (it.hdr != PN_SIP_NO_HDR && it.hdr < m->nhdrs)
		                                     ? &m->hdrs[it.hdr]
		                                     : pn_sip_hdr_first(m, PN_SIP_H_VIA);
		/* it.hdr already moved on when the bad value ended its line; find the line. */
		if (r < 0 && via.raw.p) {
			for (uint16_t k = m->first[PN_SIP_H_VIA]; k != PN_SIP_NO_HDR;
			     k = m->hdrs[k].next) {
				const struct pn_sip_header *c = &m->hdrs[k];
				if (via.raw.p >= c->value.p &&
				    via.raw.p <= c->value.p + c->value.len)
					vh = c;
			}
		}
		return fail_hdr(e, PN_SIP_E_VIA, m, vh, PN_SIP_H_VIA);
	}
	return 0;
}

int pn_sip_core_parse(const struct pn_sip_msg *m, struct pn_sip_core *c, struct pn_sip_error *e)
{
	const struct pn_sip_header *h;
	memset(c, 0, sizeof(*c));
	c->max_forwards = -1;

	struct pn_sip_iter it = {0};
	struct pn_span s;
	int r = pn_sip_list_next(m, PN_SIP_H_VIA, &it, &s);
	if (r <= 0)
		return fail_hdr(e, r < 0 ? PN_SIP_E_VIA : PN_SIP_E_MISSING_HEADER, m,
		                pn_sip_hdr_first(m, PN_SIP_H_VIA), PN_SIP_H_VIA);
	if (pn_sip_via_parse(s, &c->via) < 0)
		return fail_hdr(e, PN_SIP_E_VIA, m, pn_sip_hdr_first(m, PN_SIP_H_VIA),
		                PN_SIP_H_VIA);
	c->nvia = 1;
	while ((r = pn_sip_list_next(m, PN_SIP_H_VIA, &it, &s)) > 0)
		c->nvia++;
	if (r < 0)
		return fail_hdr(e, PN_SIP_E_VIA, m, pn_sip_hdr_first(m, PN_SIP_H_VIA),
		                PN_SIP_H_VIA);

	if (!(h = pn_sip_hdr_first(m, PN_SIP_H_FROM)))
		return fail_hdr(e, PN_SIP_E_MISSING_HEADER, m, NULL, PN_SIP_H_FROM);
	if (pn_sip_nameaddr_parse(h->value, &c->from) < 0)
		return fail_hdr(e, PN_SIP_E_NAMEADDR, m, h, PN_SIP_H_FROM);
	if (!(h = pn_sip_hdr_first(m, PN_SIP_H_TO)))
		return fail_hdr(e, PN_SIP_E_MISSING_HEADER, m, NULL, PN_SIP_H_TO);
	if (pn_sip_nameaddr_parse(h->value, &c->to) < 0)
		return fail_hdr(e, PN_SIP_E_NAMEADDR, m, h, PN_SIP_H_TO);
	if (!(h = pn_sip_hdr_first(m, PN_SIP_H_CALL_ID)))
		return fail_hdr(e, PN_SIP_E_MISSING_HEADER, m, NULL, PN_SIP_H_CALL_ID);
	c->call_id = h->value;
	if (!c->call_id.len)
		return fail_hdr(e, PN_SIP_E_CALL_ID, m, h, PN_SIP_H_CALL_ID);
	if (!(h = pn_sip_hdr_first(m, PN_SIP_H_CSEQ)))
		return fail_hdr(e, PN_SIP_E_MISSING_HEADER, m, NULL, PN_SIP_H_CSEQ);
	if (pn_sip_cseq_parse(h->value, &c->cseq) < 0)
		return fail_hdr(e, PN_SIP_E_CSEQ, m, h, PN_SIP_H_CSEQ);
	if ((h = pn_sip_hdr_first(m, PN_SIP_H_MAX_FORWARDS))) {
		uint32_t v;
		if (pn_sip_uint_parse(h->value, 255, &v) < 0)
			return fail_hdr(e, PN_SIP_E_MAX_FORWARDS, m, h, PN_SIP_H_MAX_FORWARDS);
		c->max_forwards = (int)v;
	}
	if (m->first[PN_SIP_H_CONTACT] != PN_SIP_NO_HDR) {
		struct pn_sip_iter ci = {0};
		h = pn_sip_hdr_first(m, PN_SIP_H_CONTACT);
		if (pn_sip_list_next(m, PN_SIP_H_CONTACT, &ci, &s) < 0 ||
		    pn_sip_nameaddr_parse(s, &c->contact) < 0)
			return fail_hdr(e, PN_SIP_E_NAMEADDR, m, h, PN_SIP_H_CONTACT);
	}
	if (m->first[PN_SIP_H_P_ASSERTED_IDENTITY] != PN_SIP_NO_HDR) {
		struct pn_sip_iter pi = {0};
		h = pn_sip_hdr_first(m, PN_SIP_H_P_ASSERTED_IDENTITY);
		if (pn_sip_list_next(m, PN_SIP_H_P_ASSERTED_IDENTITY, &pi, &s) < 0 ||
		    pn_sip_nameaddr_parse(s, &c->pai) < 0)
			return fail_hdr(e, PN_SIP_E_NAMEADDR, m, h, PN_SIP_H_P_ASSERTED_IDENTITY);
	}
	return 0;
}
