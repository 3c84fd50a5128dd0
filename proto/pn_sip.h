/*
 * pn_sip.h: SIP (RFC 3261) message parser and writer: zero-copy, allocation-free, lazy.
 *
 * Parsing happens in two stages:
 *  1. pn_sip_parse() makes ONE pass over the header section (a vectorised scan for line ends and
 *     NUL bytes: AVX2 or SSE2 chosen at run time, scalar fallback), splits the start line and
 *     every header into (name, value) spans, maps each name (full or compact form, any case) to
 *     a small id (enum pn_sip_hdr), links the occurrences of each id, parses Content-Length and
 *     locates the body. Nothing else is looked at.
 *  2. Structured views are parsed on demand from those spans by the caller: Via (every value of
 *     every Via line), name-addr headers (From, To, Contact, Route, Record-Route,
 *     P-Asserted-Identity, Diversion), CSeq, Max-Forwards, URIs (sip:, sips:, tel:, others kept
 *     opaque). pn_sip_core_parse() does the set a router needs in one call.
 * pn_sip_validate() applies the RFC 3261 strictness rules (mandatory headers, conflicting
 * duplicates, CSeq method, Max-Forwards syntax, version) and reports which rule and where.
 *
 * Invariants:
 *  - Every span points into the caller's buffer, which must outlive the pn_sip_msg; nothing is
 *    NUL-terminated, nothing is copied, nothing is allocated. No byte outside [buf, buf+len) is
 *    ever read, whatever the input.
 *  - Input is untrusted: every malformed input yields PN_EPARSE with a struct pn_sip_error
 *    (code, byte offset from the start of the buffer, short text), never a crash. Limits (number
 *    of headers, Content-Length >= 2^31 or beyond the buffer) are errors, never truncation.
 *  - A header value span is trimmed of surrounding whitespace; if the header was folded (LWS
 *    continuation lines), the value contains the CRLF+WS sequences verbatim and the header's
 *    `folded` flag is set; structured parsers treat CR/LF/SP/HT alike as whitespace.
 *  - Header names that are not known map to PN_SIP_H_OTHER; they are still in the array.
 *
 * Threading: no global state except a CPU-feature choice made once (idempotent, race-free:
 * any thread computing it writes the same value). Every function is reentrant; one
 * pn_sip_msg must not be parsed into from two threads at once. Nothing blocks.
 */
#ifndef PN_SIP_H
#define PN_SIP_H

#include <stddef.h>
#include <stdint.h>

#include "pn_common.h"

/* ------------------------------------------------------------------------------------------ */
/* Constants                                                                                   */

#define PN_SIP_MAX_HEADERS 128     /* a sensible capacity for the caller's header array */
#define PN_SIP_NO_HDR      0xffffu /* "no header" index in pn_sip_header.next / pn_sip_msg.first */
#define PN_SIP_ALL         (-1)    /* "every occurrence" for pn_sip_edit.nth */
#define PN_SIP_MAX_CLEN    0x7fffffffu /* largest Content-Length accepted (also bounded by buffer) */

/* pn_sip_parse() flags. */
#define PN_SIP_STREAM 0u /* TCP/TLS: missing Content-Length = error, short body = INCOMPLETE */
#define PN_SIP_DATAGRAM                                                                            \
	1u /* UDP (RFC 3261 18.3): missing C-L = rest of the datagram, C-L larger                  \
	    * than what is left = error, smaller = extra bytes discarded; an                       \
	    * unterminated header section is an error, never INCOMPLETE */

/* Known headers. Values are stable (may be stored); new ones are only appended before COUNT. */
enum pn_sip_hdr {
	PN_SIP_H_OTHER = 0,
	PN_SIP_H_VIA,     /* v */
	PN_SIP_H_FROM,    /* f */
	PN_SIP_H_TO,      /* t */
	PN_SIP_H_CALL_ID, /* i */
	PN_SIP_H_CSEQ,
	PN_SIP_H_MAX_FORWARDS,
	PN_SIP_H_CONTACT, /* m */
	PN_SIP_H_ROUTE,
	PN_SIP_H_RECORD_ROUTE,
	PN_SIP_H_CONTENT_TYPE,   /* c */
	PN_SIP_H_CONTENT_LENGTH, /* l */
	PN_SIP_H_P_ASSERTED_IDENTITY,
	PN_SIP_H_DIVERSION,
	PN_SIP_H_SUPPORTED,        /* k */
	PN_SIP_H_SUBJECT,          /* s */
	PN_SIP_H_CONTENT_ENCODING, /* e */
	PN_SIP_H_EVENT,            /* o */
	PN_SIP_H_REFER_TO,         /* r */
	PN_SIP_H_ALLOW_EVENTS,     /* u */
	PN_SIP_H_SESSION_EXPIRES,  /* x */
	PN_SIP_H_REFERRED_BY,      /* b */
	PN_SIP_H_REQUIRE,
	PN_SIP_H_PROXY_REQUIRE,
	PN_SIP_H_UNSUPPORTED,
	PN_SIP_H_ALLOW,
	PN_SIP_H_EXPIRES,
	PN_SIP_H_MIN_EXPIRES,
	PN_SIP_H_MIN_SE,
	PN_SIP_H_USER_AGENT,
	PN_SIP_H_SERVER,
	PN_SIP_H_AUTHORIZATION,
	PN_SIP_H_PROXY_AUTHORIZATION,
	PN_SIP_H_WWW_AUTHENTICATE,
	PN_SIP_H_PROXY_AUTHENTICATE,
	PN_SIP_H_REASON,
	PN_SIP_H_PRIVACY,
	PN_SIP_H_P_PREFERRED_IDENTITY,
	PN_SIP_H_RSEQ,
	PN_SIP_H_RACK,
	PN_SIP_H_ACCEPT,
	PN_SIP_H_CONTENT_DISPOSITION,
	PN_SIP_H_HISTORY_INFO,
	PN_SIP_H_TIMESTAMP,
	PN_SIP_H__COUNT
};

/* Known methods (pn_sip_msg.method_id, pn_sip_cseq.method_id). */
enum pn_sip_method {
	PN_SIP_M_OTHER = 0,
	PN_SIP_M_INVITE,
	PN_SIP_M_ACK,
	PN_SIP_M_BYE,
	PN_SIP_M_CANCEL,
	PN_SIP_M_OPTIONS,
	PN_SIP_M_REGISTER,
	PN_SIP_M_PRACK,
	PN_SIP_M_UPDATE,
	PN_SIP_M_INFO,
	PN_SIP_M_REFER,
	PN_SIP_M_NOTIFY,
	PN_SIP_M_SUBSCRIBE,
	PN_SIP_M_MESSAGE,
	PN_SIP_M_PUBLISH,
	PN_SIP_M__COUNT
};

/* What went wrong (pn_sip_error.code). pn_sip_strerror() gives the short text. */
enum pn_sip_errcode {
	PN_SIP_E_NONE = 0,
	PN_SIP_E_TRUNCATED,         /* datagram ends inside the start line or header section */
	PN_SIP_E_START_LINE,        /* malformed request line or status line */
	PN_SIP_E_VERSION,           /* SIP-Version is not SIP/2.0 (validate; answer 505) */
	PN_SIP_E_STATUS,            /* status code not 3 digits in 100..699 */
	PN_SIP_E_HEADER_NAME,       /* header name empty or not a token */
	PN_SIP_E_HEADER_COLON,      /* no ':' after the header name */
	PN_SIP_E_FOLD,              /* continuation line with no header before it */
	PN_SIP_E_NUL,               /* NUL byte in the start line or header section */
	PN_SIP_E_CTL,               /* bare CR or other forbidden control byte in a line */
	PN_SIP_E_TOO_MANY_HEADERS,  /* more headers than the caller's array holds */
	PN_SIP_E_CONTENT_LENGTH,    /* Content-Length not a number, >= 2^31, or conflicting */
	PN_SIP_E_BODY_SHORT,        /* datagram: Content-Length larger than the bytes left */
	PN_SIP_E_NO_CONTENT_LENGTH, /* stream: Content-Length missing */
	PN_SIP_E_MISSING_HEADER,    /* validate: a mandatory header is absent (see .hdr) */
	PN_SIP_E_DUPLICATE_HEADER,  /* validate: a single-valued header repeated with another value
	                             */
	PN_SIP_E_CSEQ,              /* CSeq malformed */
	PN_SIP_E_CSEQ_METHOD,       /* CSeq method differs from the request method */
	PN_SIP_E_VIA,               /* Via malformed */
	PN_SIP_E_NAMEADDR,          /* From/To/Contact/Route... malformed (see .hdr) */
	PN_SIP_E_URI,               /* URI malformed */
	PN_SIP_E_MAX_FORWARDS,      /* Max-Forwards not a number 0..255 */
	PN_SIP_E_CALL_ID,           /* Call-ID empty or with whitespace */
	PN_SIP_E__COUNT
};

/* ------------------------------------------------------------------------------------------ */
/* Parsed message                                                                              */

struct pn_sip_error {
	enum pn_sip_errcode code; /* PN_SIP_E_NONE when no error */
	uint32_t offset;          /* byte offset from the start of the parsed buffer */
	uint8_t hdr;              /* enum pn_sip_hdr concerned, or PN_SIP_H_OTHER */
	const char *what;         /* static short text, never NULL after an error */
};

/* One header line (with its continuation lines). Filled by pn_sip_parse(). */
struct pn_sip_header {
	struct pn_span name;  /* as written (any case, possibly compact) */
	struct pn_span value; /* trimmed; may be empty (p != NULL, len 0) */
	uint32_t raw_off;     /* offset of the line in the buffer (== name.p - buf) */
	uint32_t raw_len;     /* bytes of the whole line(s) including the final CRLF/LF */
	uint16_t next;        /* index of the next header with the same id, PN_SIP_NO_HDR at end */
	uint8_t id;           /* enum pn_sip_hdr */
	uint8_t folded;       /* 1 if continuation lines were joined into value */
};

struct pn_sip_msg {
	const char *buf;            /* start of the parsed buffer (offsets are relative to it) */
	uint32_t start;             /* offset of the start line (leading CRLFs skipped) */
	uint32_t hdr_off;           /* offset of the first header line */
	uint32_t body_off;          /* offset of the body (just after the empty line) */
	uint32_t len;               /* bytes of the message: body_off + body.len */
	uint8_t is_request;         /* 1 request, 0 response */
	uint8_t method_id;          /* request: enum pn_sip_method */
	uint16_t status;            /* response: status code 100..699 */
	struct pn_span method;      /* request method token */
	struct pn_span ruri;        /* request URI (unparsed; see pn_sip_uri_parse) */
	struct pn_span version;     /* "SIP/2.0" as written */
	struct pn_span reason;      /* response reason phrase (may be empty) */
	struct pn_span start_line;  /* whole start line without its CRLF */
	struct pn_span body;        /* body; len 0 when none (p points at body_off) */
	int64_t content_length;     /* -1 when there is no Content-Length header */
	struct pn_sip_header *hdrs; /* caller's array */
	uint16_t nhdrs;             /* headers filled */
	uint16_t cap;               /* capacity of hdrs */
	uint16_t
	    first[PN_SIP_H__COUNT];     /* index of the first header of each id, or PN_SIP_NO_HDR */
	uint16_t last[PN_SIP_H__COUNT]; /* index of the last header of each id, or PN_SIP_NO_HDR */
	uint8_t count[PN_SIP_H__COUNT]; /* occurrences (header lines) of each id */
	struct pn_sip_error err;        /* why the last parse failed (code NONE on success) */
};

/* Iterator over the comma-separated values of every line of one header id. Zero it to start. */
struct pn_sip_iter {
	uint16_t hdr; /* current header index (0 with started == 0 means "not started") */
	uint8_t started;
	uint32_t pos; /* offset inside the current header's value */
};

/* URI schemes. */
enum pn_sip_scheme {
	PN_SIP_URI_OTHER = 0, /* absolute URI of another scheme: only scheme and opaque part set */
	PN_SIP_URI_SIP,
	PN_SIP_URI_SIPS,
	PN_SIP_URI_TEL,
};

/* A parsed URI (all spans into the input). */
struct pn_sip_uri {
	enum pn_sip_scheme scheme;
	struct pn_span scheme_s; /* scheme as written, without ':' */
	struct pn_span user;     /* sip/sips: user part (escaped as written), may be absent;
	                          * tel: the number (global "+..." or local) */
	struct pn_span password; /* sip/sips: after ':' in userinfo, may be absent */
	struct pn_span host;     /* host as written; IPv6 reference includes the brackets */
	uint16_t port;           /* 0 when absent */
	uint8_t ipv6;            /* host is an IPv6 reference "[...]" */
	struct pn_span params;   /* ";a=b;c" including the first ';', may be absent */
	struct pn_span headers;  /* "a=b&c=d" after '?', without the '?', may be absent */
	struct pn_span opaque;   /* OTHER: everything after "scheme:" */
};

/* One Via value (via-parm). */
struct pn_sip_via {
	struct pn_span protocol;  /* "SIP/2.0/UDP" as written (sent-protocol, whitespace kept) */
	struct pn_span transport; /* "UDP", "TCP", "TLS", "SCTP", "WS"... */
	struct pn_span host;      /* sent-by host; IPv6 reference includes the brackets */
	uint16_t port;            /* sent-by port, 0 when absent */
	uint8_t has_rport;        /* ";rport" present (with or without a value) */
	uint16_t rport;           /* value of rport=, 0 when none */
	struct pn_span branch;    /* may be absent */
	struct pn_span received;  /* may be absent */
	struct pn_span maddr;     /* may be absent */
	struct pn_span ttl;       /* may be absent */
	struct pn_span params;    /* all params ";..." including the first ';', may be absent */
	struct pn_span raw;       /* the whole via-parm */
};

/* A name-addr or addr-spec with header params (From, To, Contact, Route, PAI, Diversion...). */
struct pn_sip_nameaddr {
	struct pn_span display; /* display name as written (quotes kept if quoted), may be absent */
	struct pn_span uri;     /* URI without <> */
	struct pn_span tag;     /* value of ;tag=, may be absent */
	struct pn_span params;  /* header params after the URI (";..."), may be absent */
	uint8_t bracketed;      /* URI was in <> */
	uint8_t star;           /* Contact: "*" */
	struct pn_span raw;     /* the whole value */
};

struct pn_sip_cseq {
	uint32_t seq;          /* < 2^31 */
	struct pn_span method; /* method token */
	uint8_t method_id;     /* enum pn_sip_method */
};

/* What a router needs, parsed in one call (pn_sip_core_parse). */
struct pn_sip_core {
	struct pn_sip_via via; /* top Via value */
	uint16_t nvia;         /* number of Via values in the whole message */
	struct pn_sip_nameaddr from;
	struct pn_sip_nameaddr to;
	struct pn_span call_id;
	struct pn_sip_cseq cseq;
	int max_forwards;               /* -1 when absent */
	struct pn_sip_nameaddr contact; /* first Contact value; uri.p == NULL when absent */
	struct pn_sip_nameaddr pai;     /* first P-Asserted-Identity; uri.p == NULL when absent */
};

/* ------------------------------------------------------------------------------------------ */
/* Parsing                                                                                     */

/*
 * Parse one SIP message from buf[0..len). hdrs[0..cap) receives the headers.
 * flags: PN_SIP_STREAM or PN_SIP_DATAGRAM.
 * Returns bytes consumed (the message, body included; with DATAGRAM, bytes after
 * Content-Length are not counted), PN_INCOMPLETE (stream only: need more bytes), or PN_EPARSE
 * (msg->err says what and where). On any return msg is reset first, so nothing is stale.
 * Cost: one pass over the start line and header section, O(1) per header; the body is not read.
 */
int pn_sip_parse(struct pn_sip_msg *msg, const char *buf, size_t len, unsigned flags,
                 struct pn_sip_header *hdrs, size_t cap);

/*
 * Check the RFC 3261 rules on a parsed message: SIP/2.0; To, From, CSeq, Call-ID and Via
 * present; Call-ID, CSeq, From, To, Max-Forwards, Content-Length not repeated with different
 * values (and not several values in one line); CSeq and Via parse; CSeq method equals the
 * request method (an ACK or CANCEL must carry its own method in CSeq too); Max-Forwards 0..255.
 * Returns 0, or PN_EPARSE with *err filled (code, offset of the offending header, hdr id).
 */
int pn_sip_validate(const struct pn_sip_msg *msg, struct pn_sip_error *err);

/*
 * Parse the router's headers: top Via (+ count of all Via values), From, To, Call-ID, CSeq,
 * Max-Forwards, first Contact and P-Asserted-Identity. Returns 0, or PN_EPARSE with *err set
 * (err may be NULL). Missing From/To/Call-ID/CSeq/Via is an error here too.
 */
int pn_sip_core_parse(const struct pn_sip_msg *msg, struct pn_sip_core *core,
                      struct pn_sip_error *err);

/*
 * Choose the line-scanning implementation: 0 scalar, 1 SSE2, 2 AVX2, -1 best the CPU has (the
 * default, chosen on first use). A level the CPU lacks falls back to the best below it. Returns
 * the level now in use. For tests and benchmarks; call before threads parse (not synchronised
 * beyond a relaxed atomic store).
 */
int pn_sip_simd_select(int level);

/* Short static text for an error code ("NUL byte in header section"...). Never NULL. */
const char *pn_sip_strerror(enum pn_sip_errcode code);

/* Header access ---------------------------------------------------------------------------- */

/* First header with this id, or NULL. O(1). */
const struct pn_sip_header *pn_sip_hdr_first(const struct pn_sip_msg *msg, enum pn_sip_hdr id);
/* n-th (0-based) header line with this id, or NULL. O(n). */
const struct pn_sip_header *pn_sip_hdr_nth(const struct pn_sip_msg *msg, enum pn_sip_hdr id,
                                           unsigned n);
/* Next header line with the same id as h, or NULL. */
const struct pn_sip_header *pn_sip_hdr_next(const struct pn_sip_msg *msg,
                                            const struct pn_sip_header *h);
/* First header whose name equals name (case-insensitive; compact forms of known headers
 * match too), or NULL. For unknown headers this is a linear search. */
const struct pn_sip_header *pn_sip_hdr_find(const struct pn_sip_msg *msg, const char *name,
                                            size_t name_len);
/* Value of the first header with this id, or PN_SPAN_NULL. */
struct pn_span pn_sip_hdr_value(const struct pn_sip_msg *msg, enum pn_sip_hdr id);

/*
 * Next comma-separated value over every line of header `id`, in message order, respecting
 * quoted strings (with \-escapes) and <...>. Empty elements are skipped. Returns 1 with *out
 * set (trimmed), 0 at the end, PN_EPARSE on an unterminated quote or '<'.
 */
int pn_sip_list_next(const struct pn_sip_msg *msg, enum pn_sip_hdr id, struct pn_sip_iter *it,
                     struct pn_span *out);

/* Name <-> id. lookup: case-insensitive, full or compact form; unknown -> PN_SIP_H_OTHER. */
enum pn_sip_hdr pn_sip_hdr_lookup(const char *name, size_t len);
const char *pn_sip_hdr_name(enum pn_sip_hdr id); /* canonical full name; "" for OTHER */
char pn_sip_hdr_compact(enum pn_sip_hdr id);     /* compact letter or 0 */
enum pn_sip_method pn_sip_method_lookup(const char *name, size_t len); /* case-sensitive */
const char *pn_sip_method_name(enum pn_sip_method m);                  /* "" for OTHER */

/* Structured values (each over one value span; folded whitespace allowed) ------------------ */

/* One via-parm ("SIP/2.0/UDP host:port;branch=..."). Returns 0 or PN_EPARSE. */
int pn_sip_via_parse(struct pn_span s, struct pn_sip_via *via);
/* Next Via value of the message (all lines, all comma-separated values). 1 / 0 end / PN_EPARSE */
int pn_sip_via_next(const struct pn_sip_msg *msg, struct pn_sip_iter *it, struct pn_sip_via *via);
/* name-addr / addr-spec with header params; "*" sets star. The URI is only delimited (no '<'
 * or '"' inside); check its syntax with pn_sip_uri_parse. Returns 0 or PN_EPARSE. */
int pn_sip_nameaddr_parse(struct pn_span s, struct pn_sip_nameaddr *na);
/* "1234 INVITE". Returns 0 or PN_EPARSE (seq must be < 2^31). */
int pn_sip_cseq_parse(struct pn_span s, struct pn_sip_cseq *cseq);
/* Decimal with optional surrounding whitespace, value <= max. Returns 0 or PN_EPARSE. */
int pn_sip_uint_parse(struct pn_span s, uint32_t max, uint32_t *out);
/* sip:, sips:, tel: or any absolute URI. Returns 0 or PN_EPARSE. */
int pn_sip_uri_parse(struct pn_span s, struct pn_sip_uri *uri);
/*
 * Find parameter `name` (case-insensitive) in ";a=b;c;d=\"q\"" (leading ';' optional,
 * whitespace tolerated). Returns 1 with *value set (empty span with p != NULL for a flag
 * parameter; quotes kept), 0 when absent.
 */
int pn_sip_param_find(struct pn_span params, const char *name, struct pn_span *value);
/*
 * Copy a quoted-string's content without quotes and with \-escapes resolved into out (cap
 * bytes, not NUL-terminated). A token (unquoted) is copied as is. Returns the length, PN_EFULL
 * if it does not fit, PN_EPARSE if malformed.
 */
int pn_sip_unquote(struct pn_span s, char *out, size_t cap);

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                     */

/* A bounded output buffer. After an overflow every write is a no-op and finish says PN_EFULL. */
struct pn_sip_wbuf {
	char *p;
	size_t len;
	size_t cap;
	int full;
};

static inline void pn_sip_wbuf_init(struct pn_sip_wbuf *w, char *p, size_t cap)
{
	w->p = p;
	w->len = 0;
	w->cap = cap;
	w->full = 0;
}

void pn_sip_w_bytes(struct pn_sip_wbuf *w, const void *p, size_t n);
void pn_sip_w_span(struct pn_sip_wbuf *w, struct pn_span s);
void pn_sip_w_str(struct pn_sip_wbuf *w, const char *s);
void pn_sip_w_u32(struct pn_sip_wbuf *w, uint32_t v);
/* "METHOD ruri SIP/2.0\r\n" */
void pn_sip_w_request_line(struct pn_sip_wbuf *w, struct pn_span method, struct pn_span ruri);
/* "SIP/2.0 code reason\r\n"; reason PN_SPAN_NULL = the standard phrase (pn_sip_reason) */
void pn_sip_w_status_line(struct pn_sip_wbuf *w, unsigned status, struct pn_span reason);
/* "Name: value\r\n" */
void pn_sip_w_header(struct pn_sip_wbuf *w, struct pn_span name, struct pn_span value);
/* Same with the canonical name of a known header. */
void pn_sip_w_header_id(struct pn_sip_wbuf *w, enum pn_sip_hdr id, struct pn_span value);
/* Copy a parsed header line verbatim (name, value, folding and CRLF as received). */
void pn_sip_w_header_raw(struct pn_sip_wbuf *w, const struct pn_sip_msg *msg,
                         const struct pn_sip_header *h);
/* Ends the header section: "Content-Type: ctype\r\n" if ctype present, "Content-Length: n\r\n",
 * "\r\n" and the body. */
void pn_sip_w_end(struct pn_sip_wbuf *w, struct pn_span ctype, struct pn_span body);
/* Returns the length written, or PN_EFULL if anything did not fit. */
int pn_sip_w_finish(const struct pn_sip_wbuf *w);

/* Standard reason phrase for a status code ("OK", "Ringing"...; "Unknown" otherwise). */
const char *pn_sip_reason(unsigned status);

/* Edits for pn_sip_write(). */
enum pn_sip_edit_op {
	PN_SIP_EDIT_RURI = 1, /* value = new request URI (requests only) */
	PN_SIP_EDIT_REPLACE,  /* value replaces the value of header (id or name, nth); the name
	                       * is kept as written. nth PN_SIP_ALL = every occurrence */
	PN_SIP_EDIT_REMOVE,   /* remove header (id or name, nth); nth PN_SIP_ALL = all lines */
	PN_SIP_EDIT_ADD,      /* add "name: value" (name empty: canonical name of id) at `where` */
	PN_SIP_EDIT_BODY,     /* value = new body (may be empty); Content-Length is fixed */
	PN_SIP_EDIT_STATUS,   /* responses: status = nth, value = reason (empty: standard) */
};

enum pn_sip_edit_where {
	PN_SIP_AT_SAME = 0, /* before the first header with the same id (Via, Record-Route on
	                     * top); if there is none, right after the start line */
	PN_SIP_AT_TOP,      /* right after the start line */
	PN_SIP_AT_END,      /* after the last header */
};

struct pn_sip_edit {
	enum pn_sip_edit_op op;
	enum pn_sip_hdr id;           /* target (REPLACE/REMOVE/ADD); OTHER: match by name */
	int nth;                      /* occurrence index (0 = first line) or PN_SIP_ALL */
	enum pn_sip_edit_where where; /* ADD only */
	struct pn_span name;          /* name for OTHER headers, or the name to write for ADD */
	struct pn_span value;         /* new value / URI / body */
};

/*
 * Write a new message: msg with the edits applied, every untouched line copied byte for byte.
 * Edits apply in array order for ADDs at the same place; a header touched by both REMOVE and
 * REPLACE is removed. Content-Length always states the output body length: the first
 * Content-Length line keeps its name form and gets the new value, repeated ones are dropped,
 * one is added at the end if there was none. Returns the length written into out[0..cap),
 * PN_EFULL if it does not fit, PN_EINVAL for a bad edit (RURI on a response, unknown op).
 * Cost: O(headers x edits) comparisons plus the copy; no allocation.
 */
int pn_sip_write(const struct pn_sip_msg *msg, const struct pn_sip_edit *edits, size_t nedits,
                 char *out, size_t cap);

/* Extra header for the builders. */
struct pn_sip_hdr_kv {
	struct pn_span name;
	struct pn_span value;
};

/* pn_sip_build_response() flags. */
#define PN_SIP_RESP_COPY_RR 1u /* copy Record-Route lines (dialog-creating 18x/2xx, RFC 12.1.1) */

/*
 * Build a response to request `req`: status line, every Via line (verbatim, in order), From,
 * To (with ";tag=<to_tag>" appended when to_tag is present and To has no tag yet), Call-ID,
 * CSeq, Record-Route if flags ask, the extra headers, Content-Type if ctype present,
 * Content-Length and body. reason PN_SPAN_NULL = standard phrase.
 * Returns the length, PN_EFULL if it does not fit, PN_EINVAL if req is not a request or lacks
 * From/To/Call-ID/CSeq/Via.
 */
int pn_sip_build_response(const struct pn_sip_msg *req, unsigned status, struct pn_span reason,
                          struct pn_span to_tag, unsigned flags, const struct pn_sip_hdr_kv *extra,
                          size_t nextra, struct pn_span ctype, struct pn_span body, char *out,
                          size_t cap);

/*
 * Build a new request from scratch (the B2BUA's outgoing leg): request line, one Via
 * "SIP/2.0/<transport> <sent_by>;branch=<branch>;rport", Max-Forwards, From (with tag), To
 * (with tag if present), Call-ID, CSeq "<seq> <method>", Contact if present, the extra headers,
 * Content-Type if ctype present, Content-Length and body. from/to/contact are written as
 * "<uri>" with an optional display name (the caller gives a ready name-addr: it is copied as is).
 * Returns the length or PN_EFULL.
 */
struct pn_sip_req_spec {
	struct pn_span method; /* "INVITE" */
	struct pn_span ruri;
	struct pn_span transport; /* "UDP" */
	struct pn_span sent_by;   /* "198.18.0.1:5060" */
	struct pn_span branch;    /* full branch value, "z9hG4bK..." */
	unsigned max_forwards;    /* 70 */
	struct pn_span from;      /* name-addr, e.g. "<sip:+8613800000000@x>" */
	struct pn_span from_tag;
	struct pn_span to;     /* name-addr */
	struct pn_span to_tag; /* may be absent */
	struct pn_span call_id;
	uint32_t cseq;
	struct pn_span contact; /* name-addr, may be absent */
	const struct pn_sip_hdr_kv *extra;
	size_t nextra;
	struct pn_span ctype; /* may be absent */
	struct pn_span body;  /* may be empty */
};
int pn_sip_build_request(const struct pn_sip_req_spec *spec, char *out, size_t cap);

#endif /* PN_SIP_H */
