/*
 * pn_sdp.c: SDP parse and rewrite (see pn_sdp.h).
 *
 * Parse: one pass over the lines (memchr for '\n'); each line is "<letter>=<value>". Values the
 * relay needs are split into spans and range-checked; everything else is skipped. Cost is
 * linear in the body; no allocation; all limits are compile-time.
 *
 * Rewrite: the parse recorded the byte ranges to change (address parts of o=/c=/a=rtcp, m=
 * port digits, direction attribute names). The rewrite collects them as edits, sorts them by
 * position (at most a few dozen) and copies the body with each range replaced.
 */
#include "pn_sdp.h"

#include <stddef.h>

static const char *const dir_names[] = {NULL, "sendrecv", "sendonly", "recvonly", "inactive"};

const char *pn_sdp_dir_name(enum pn_sdp_dir d)
{
	return (unsigned)d < PN_ARRAY_SIZE(dir_names) ? dir_names[d] : NULL;
}

/* ---- small span helpers ----------------------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Split off the next space-separated token of [*p, end); runs of blanks separate. */
static struct pn_span next_tok(const char **p, const char *end)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *e = s;
	while (e < end && *e != ' ' && *e != '\t')
		e++;
	*p = e;
	return e > s ? pn_span_make(s, (size_t)(e - s)) : PN_SPAN_NULL;
}

/* Decimal of at most maxdig digits, value <= max. Returns 0 or -1. */
static int span_uint(struct pn_span s, unsigned maxdig, uint64_t max, uint64_t *v)
{
	if (s.len == 0 || s.len > maxdig)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (!is_digit(s.p[i]))
			return -1;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

static int parse_ip4(struct pn_span s, uint32_t *ip)
{
	uint32_t v = 0;
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= s.len || s.p[i] != '.')
				return -1;
			i++;
		}
		size_t st = i;
		unsigned o = 0;
		while (i < s.len && is_digit(s.p[i]) && i - st < 3)
			o = o * 10 + (unsigned)(s.p[i++] - '0');
		if (i == st || o > 255)
			return -1;
		v = (v << 8) | o;
	}
	if (i != s.len)
		return -1;
	*ip = v;
	return 0;
}

static int valid_ip6(struct pn_span s)
{
	if (s.len < 2 || s.len > 45)
		return 0;
	int colons = 0;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (c == ':')
			colons++;
		else if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		           c == '.'))
			return 0;
	}
	return colons >= 2;
}

/* A domain name as o= may carry it (RFC 4566 unicast-address = ... / FQDN). */
static int valid_fqdn(struct pn_span s)
{
	if (s.len == 0 || s.len > 255)
		return 0;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

/*
 * "<nettype> <addrtype> <address>[/...]" from *p: fills conn. The address ends at '/' (TTL or
 * count of a multicast address) or at the end of the token. fqdn_ok: a domain name is
 * accepted instead of a literal address (o= only; ip4 is then 0). Returns 0 or -1.
 */
static int parse_conn_tail(const char **p, const char *end, struct pn_sdp_conn *c, int fqdn_ok)
{
	struct pn_span net = next_tok(p, end);
	const char *wstart;
	struct pn_span at = next_tok(p, end);
	struct pn_span addr = next_tok(p, end);
	if (!pn_span_eq(net, "IN") || !at.p || !addr.p)
		return -1;
	wstart = at.p;
	const char *slash = memchr(addr.p, '/', addr.len);
	if (slash)
		addr.len = (size_t)(slash - addr.p);
	if (pn_span_eq(at, "IP4")) {
		if (parse_ip4(addr, &c->ip4) != 0 && !(fqdn_ok && valid_fqdn(addr)))
			return -1;
		c->family = 4;
	} else if (pn_span_eq(at, "IP6")) {
		if (!valid_ip6(addr) && !(fqdn_ok && valid_fqdn(addr)))
			return -1;
		c->family = 6;
	} else {
		return -1;
	}
	c->addr = addr;
	c->where = pn_span_make(wstart, (size_t)(addr.p + addr.len - wstart));
	return 0;
}

static int line_done(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end;
}

static int dir_of(struct pn_span s)
{
	for (int d = PN_SDP_DIR_SENDRECV; d <= PN_SDP_DIR_INACTIVE; d++)
		if (pn_span_eq(s, dir_names[d]))
			return d;
	return 0;
}

/* ---- per-line parsers ------------------------------------------------------------------- */

static int parse_origin(struct pn_sdp *sdp, const char *p, const char *end)
{
	sdp->o_user = next_tok(&p, end);
	sdp->o_sess_id = next_tok(&p, end);
	sdp->o_sess_version = next_tok(&p, end);
	if (!sdp->o_user.p || !sdp->o_sess_id.p || !sdp->o_sess_version.p)
		return -1;
	if (parse_conn_tail(&p, end, &sdp->origin, 1) != 0)
		return -1;
	return line_done(p, end) ? 0 : -1;
}

static int parse_m(struct pn_sdp_media *m, const char *p, const char *end)
{
	uint64_t v;
	m->media = next_tok(&p, end);
	struct pn_span port = next_tok(&p, end);
	m->proto = next_tok(&p, end);
	if (!m->media.p || !port.p || !m->proto.p)
		return -1;
	const char *slash = memchr(port.p, '/', port.len);
	m->nports = 1;
	if (slash) {
		struct pn_span n = pn_span_make(slash + 1, (size_t)(port.p + port.len - slash - 1));
		if (span_uint(n, 5, 65535, &v) != 0 || v == 0)
			return -1;
		m->nports = (uint16_t)v;
		port.len = (size_t)(slash - port.p);
	}
	if (span_uint(port, 5, 65535, &v) != 0)
		return -1;
	m->port = (uint16_t)v;
	m->port_span = port;
	m->is_rtp = m->proto.len >= 4 && memcmp(m->proto.p, "RTP/", 4) == 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *fl = p;
	const char *fe = end;
	while (fe > fl && (fe[-1] == ' ' || fe[-1] == '\t'))
		fe--;
	if (fe == fl)
		return -1; /* at least one format */
	m->fmt_list = pn_span_make(fl, (size_t)(fe - fl));
	if (m->is_rtp) {
		struct pn_span f;
		while ((f = next_tok(&p, end)).p) {
			if (m->npt >= PN_SDP_MAX_FMT || span_uint(f, 3, 127, &v) != 0)
				return -1;
			m->pt[m->npt++] = (uint8_t)v;
		}
	}
	return 0;
}

static int parse_rtpmap(struct pn_sdp_media *m, const char *p, const char *end)
{
	uint64_t v;
	struct pn_span pt = next_tok(&p, end);
	struct pn_span enc = next_tok(&p, end);
	if (span_uint(pt, 3, 127, &v) != 0 || !enc.p || !line_done(p, end))
		return -1;
	if (m->nrtpmap >= PN_SDP_MAX_RTPMAP)
		return -1;
	for (unsigned i = 0; i < m->nrtpmap; i++)
		if (m->rtpmap[i].pt == v)
			return -1; /* two rtpmaps for one payload type */
	struct pn_sdp_rtpmap *r = &m->rtpmap[m->nrtpmap];
	r->pt = (uint8_t)v;
	const char *s1 = memchr(enc.p, '/', enc.len);
	if (!s1 || s1 == enc.p)
		return -1;
	r->name = pn_span_make(enc.p, (size_t)(s1 - enc.p));
	const char *rest = s1 + 1, *rend = enc.p + enc.len;
	const char *s2 = memchr(rest, '/', (size_t)(rend - rest));
	struct pn_span clock = pn_span_make(rest, (size_t)((s2 ? s2 : rend) - rest));
	if (span_uint(clock, 10, UINT32_MAX, &v) != 0 || v == 0)
		return -1;
	r->clock = (uint32_t)v;
	r->channels = 1;
	if (s2) {
		if (span_uint(pn_span_make(s2 + 1, (size_t)(rend - s2 - 1)), 3, 255, &v) != 0 ||
		    v == 0)
			return -1;
		r->channels = (uint8_t)v;
	}
	m->nrtpmap++;
	if (pn_span_ieq(r->name, "telephone-event") &&
	    (m->te_pt < 0 || (m->te_clock != 8000 && r->clock == 8000))) {
		m->te_pt = r->pt;
		m->te_clock = r->clock;
	}
	return 0;
}

static int parse_fmtp(struct pn_sdp_media *m, const char *p, const char *end)
{
	uint64_t v;
	struct pn_span pt = next_tok(&p, end);
	if (span_uint(pt, 3, 127, &v) != 0 || m->nfmtp >= PN_SDP_MAX_FMTP)
		return -1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	m->fmtp[m->nfmtp].pt = (uint8_t)v;
	m->fmtp[m->nfmtp].params = pn_span_make(p, (size_t)(end - p));
	m->nfmtp++;
	return 0;
}

static int parse_rtcp(struct pn_sdp_media *m, const char *p, const char *end)
{
	uint64_t v;
	if (m->rtcp_value.p)
		return -1; /* twice */
	m->rtcp_value = pn_span_make(p, (size_t)(end - p));
	struct pn_span port = next_tok(&p, end);
	if (span_uint(port, 5, 65535, &v) != 0)
		return -1;
	m->rtcp_port = (uint16_t)v;
	if (line_done(p, end))
		return 0;
	if (parse_conn_tail(&p, end, &m->rtcp_conn, 0) != 0)
		return -1;
	return line_done(p, end) ? 0 : -1;
}

static int parse_ptime(struct pn_sdp_media *m, const char *p, const char *end)
{
	uint64_t v;
	struct pn_span t = next_tok(&p, end);
	if (!t.p || !line_done(p, end))
		return -1;
	const char *dot = memchr(t.p, '.', t.len);
	if (dot) { /* "20.0": the integer part; the fraction must be digits */
		for (const char *q = dot + 1; q < t.p + t.len; q++)
			if (!is_digit(*q))
				return -1;
		t.len = (size_t)(dot - t.p);
	}
	if (span_uint(t, 5, 65535, &v) != 0)
		return -1;
	m->ptime = (uint16_t)v;
	return 0;
}

/*
 * One a= line. name is up to ':' (or the whole value for a property attribute).
 * lstart..lnext is the whole line including its ending (for a=rtcp removal).
 */
static int parse_attr(struct pn_sdp *sdp, struct pn_sdp_media *m, const char *p, const char *end,
                      const char *lstart, const char *lnext)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	struct pn_span name = pn_span_make(p, (size_t)((colon ? colon : end) - p));
	const char *val = colon ? colon + 1 : end;
	int d = colon ? 0 : dir_of(name);
	if (d) {
		uint8_t *dp = m ? &m->dir : &sdp->dir;
		if (*dp)
			return -1; /* two direction attributes at one level */
		*dp = (uint8_t)d;
		if (m)
			m->dir_span = name;
		else
			sdp->dir_span = name;
		return 0;
	}
	if (!m)
		return 0; /* other session-level attributes are passed through */
	if (colon && pn_span_eq(name, "rtpmap"))
		return parse_rtpmap(m, val, end);
	if (colon && pn_span_eq(name, "fmtp"))
		return parse_fmtp(m, val, end);
	if (colon && pn_span_eq(name, "rtcp")) {
		m->rtcp_line = pn_span_make(lstart, (size_t)(lnext - lstart));
		return parse_rtcp(m, val, end);
	}
	if (colon && pn_span_eq(name, "ptime"))
		return parse_ptime(m, val, end);
	if (!colon && pn_span_eq(name, "rtcp-mux"))
		m->rtcp_mux = 1;
	return 0;
}

int pn_sdp_parse(const char *buf, size_t len, struct pn_sdp *out)
{
	/* media[] entries are cleared as they are used: the struct is ~10 KB and clearing it
	 * whole was a tenth of the parse time */
	memset(out, 0, offsetof(struct pn_sdp, media));
	if (buf == NULL || len == 0 || len > INT32_MAX)
		return PN_EPARSE;
	if (memchr(buf, '\0', len))
		return PN_EPARSE; /* NUL is never valid in SDP */
	const char *p = buf, *bend = buf + len;
	struct pn_sdp_media *m = NULL;
	int lineno = 0, have_o = 0, have_mc = 0;
	out->eol = "\r\n";
	while (p < bend) {
		const char *nl = memchr(p, '\n', (size_t)(bend - p));
		const char *lend = nl ? nl : bend;
		const char *lnext = nl ? nl + 1 : bend;
		if (nl && lend > p && lend[-1] == '\r')
			lend--; /* CRLF; a CR at the very end without LF stays: a bare CR */
		else if (nl && lineno == 0)
			out->eol = "\n";
		const char *lstart = p;
		p = lnext;
		if (lend == lstart)
			continue; /* tolerated empty line (often a trailing one) */
		if (lend - lstart < 2 || lstart[1] != '=' || lstart[0] < 'a' || lstart[0] > 'z')
			goto bad;
		if (memchr(lstart, '\r', (size_t)(lend - lstart)))
			goto bad; /* a bare CR inside a line */
		const char *v = lstart + 2;
		char type = lstart[0];
		if (lineno++ == 0) {
			if (type != 'v' || lend - v != 1 || v[0] != '0')
				goto bad;
			continue;
		}
		switch (type) {
		case 'v':
			goto bad; /* only once, first */
		case 'o':
			if (have_o || m || parse_origin(out, v, lend) != 0)
				goto bad;
			have_o = 1;
			break;
		case 'c': {
			struct pn_sdp_conn *c = m ? &m->conn : &out->conn;
			if (c->family || parse_conn_tail(&v, lend, c, 0) != 0 ||
			    !line_done(v, lend))
				goto bad;
			break;
		}
		case 'm':
			if (m) {
				m->section.len = (size_t)(lstart - m->section.p);
				if (!m->conn.family)
					have_mc = -1;
			}
			if (out->nmedia >= PN_SDP_MAX_MEDIA)
				goto bad;
			m = &out->media[out->nmedia++];
			memset(m, 0, offsetof(struct pn_sdp_media, rtpmap));
			m->te_pt = -1;
			m->section.p = lstart;
			if (parse_m(m, v, lend) != 0)
				goto bad;
			break;
		case 'a':
			if (parse_attr(out, m, v, lend, lstart, lnext) != 0)
				goto bad;
			break;
		default:
			break; /* s= i= u= e= p= b= t= r= z= k= and unknown: passed through */
		}
	}
	if (lineno == 0 || !have_o)
		goto bad;
	if (m) {
		m->section.len = (size_t)(bend - m->section.p);
		if (!m->conn.family)
			have_mc = -1;
	}
	if (have_mc < 0 && !out->conn.family)
		goto bad; /* a media section without any connection address */
	out->buf = buf;
	out->len = len;
	return (int)len;
bad:
	memset(out, 0, offsetof(struct pn_sdp, media)); /* nmedia = 0: nothing stale visible */
	return PN_EPARSE;
}

const struct pn_sdp_conn *pn_sdp_media_conn(const struct pn_sdp *sdp, unsigned i)
{
	if (i >= sdp->nmedia)
		return NULL;
	if (sdp->media[i].conn.family)
		return &sdp->media[i].conn;
	return sdp->conn.family ? &sdp->conn : NULL;
}

const struct pn_sdp_rtpmap *pn_sdp_find_rtpmap(const struct pn_sdp_media *m, uint8_t pt)
{
	for (unsigned i = 0; i < m->nrtpmap; i++)
		if (m->rtpmap[i].pt == pt)
			return &m->rtpmap[i];
	return NULL;
}

enum pn_sdp_dir pn_sdp_media_dir(const struct pn_sdp *sdp, unsigned i)
{
	if (i < sdp->nmedia && sdp->media[i].dir)
		return (enum pn_sdp_dir)sdp->media[i].dir;
	if (sdp->dir)
		return (enum pn_sdp_dir)sdp->dir;
	return PN_SDP_DIR_SENDRECV;
}

/* ---- rewrite ---------------------------------------------------------------------------- */

enum edit_kind {
	E_ADDR,     /* replace "IP4 a.b.c.d" by "IP<f> <addr>" */
	E_PORT,     /* replace port digits by ports[arg] */
	E_RTCP,     /* replace a=rtcp value by "<port+1>[ IN IP<f> <addr>]" */
	E_DELETE,   /* remove the range */
	E_DIR,      /* replace a direction name */
	E_DIR_LINE, /* insert "a=<dir><eol>" (empty range) */
};

struct edit {
	const char *start;
	size_t len;
	uint8_t kind;
	uint8_t arg; /* media index */
	uint8_t with_addr;
};

#define MAX_EDITS (4 + PN_SDP_MAX_MEDIA * 5)

struct wr {
	char *p, *end;
	int full;
};

static void put(struct wr *w, const char *s, size_t n)
{
	if (w->full || (size_t)(w->end - w->p) < n) {
		w->full = 1;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

static void put_str(struct wr *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_uint(struct wr *w, unsigned v)
{
	char tmp[12];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	put(w, tmp + i, sizeof(tmp) - i);
}

static void put_addr(struct wr *w, const struct pn_sdp_rewrite *rw)
{
	put_str(w, rw->family == 6 ? "IP6 " : "IP4 ");
	put_str(w, rw->addr);
}

/* c=IN IP4 0.0.0.0: RFC 2543 hold. Kept as is: it reveals nothing and means "do not send". */
static int is_hold(const struct pn_sdp_conn *c)
{
	return c->family == 4 && c->ip4 == 0 && pn_span_eq(c->addr, "0.0.0.0");
}

int pn_sdp_rewrite(const struct pn_sdp *sdp, const struct pn_sdp_rewrite *rw, char *out,
                   size_t outsz)
{
	if (!sdp->buf || !rw->addr || (rw->family != 4 && rw->family != 6) ||
	    rw->dir > PN_SDP_DIR_INACTIVE)
		return PN_EINVAL;
	size_t alen = strnlen(rw->addr, 65);
	if (alen == 0 || alen > 64)
		return PN_EINVAL;
	for (size_t i = 0; i < alen; i++)
		if (rw->addr[i] == ' ' || rw->addr[i] == '\t' || rw->addr[i] == '\r' ||
		    rw->addr[i] == '\n')
			return PN_EINVAL;

	struct edit ed[MAX_EDITS];
	unsigned ne = 0;
#define ADD(s, l, k, a)                                                                            \
	do {                                                                                       \
		if (PN_ALWAYS(ne < MAX_EDITS))                                                     \
			ed[ne++] = (struct edit){(s), (l), (k), (a), 0};                           \
	} while (0)

	ADD(sdp->origin.where.p, sdp->origin.where.len, E_ADDR, 0);
	if (sdp->conn.family && !is_hold(&sdp->conn))
		ADD(sdp->conn.where.p, sdp->conn.where.len, E_ADDR, 0);
	if (rw->dir && sdp->dir)
		ADD(sdp->dir_span.p, sdp->dir_span.len, E_DIR, 0);
	for (unsigned i = 0; i < sdp->nmedia; i++) {
		const struct pn_sdp_media *m = &sdp->media[i];
		ADD(m->port_span.p, m->port_span.len, E_PORT, (uint8_t)i);
		if (m->conn.family && !is_hold(&m->conn))
			ADD(m->conn.where.p, m->conn.where.len, E_ADDR, 0);
		unsigned newport = m->port == 0 ? 0 : rw->port[i];
		if (m->rtcp_value.p && newport == 65535)
			return PN_EINVAL; /* no room for RTCP on port + 1 */
		if (m->rtcp_value.p) {
			if (newport == 0)
				ADD(m->rtcp_line.p, m->rtcp_line.len, E_DELETE, 0);
			else {
				ADD(m->rtcp_value.p, m->rtcp_value.len, E_RTCP, (uint8_t)i);
				ed[ne - 1].with_addr = m->rtcp_conn.family != 0;
			}
		}
		if (rw->dir && m->dir)
			ADD(m->dir_span.p, m->dir_span.len, E_DIR, 0);
		else if (rw->dir && !sdp->dir)
			ADD(m->section.p + m->section.len, 0, E_DIR_LINE, 0);
	}
#undef ADD
	/* insertion sort by position; an insertion at a position sorts after a replacement
	 * ending there (cannot overlap: ranges come from distinct lines) */
	for (unsigned i = 1; i < ne; i++) {
		struct edit e = ed[i];
		unsigned j = i;
		while (j > 0 && ed[j - 1].start > e.start) {
			ed[j] = ed[j - 1];
			j--;
		}
		ed[j] = e;
	}

	struct wr w = {out, out + outsz, 0};
	const char *src = sdp->buf, *send = sdp->buf + sdp->len;
	for (unsigned i = 0; i < ne; i++) {
		const struct edit *e = &ed[i];
		if (!PN_ALWAYS(e->start >= src && e->start + e->len <= send))
			return PN_EINVAL;
		put(&w, src, (size_t)(e->start - src));
		src = e->start + e->len;
		const struct pn_sdp_media *m = &sdp->media[e->arg];
		unsigned newport = m->port == 0 ? 0 : rw->port[e->arg];
		switch (e->kind) {
		case E_ADDR:
			put_addr(&w, rw);
			break;
		case E_PORT:
			put_uint(&w, newport);
			break;
		case E_RTCP:
			put_uint(&w, newport + 1);
			if (e->with_addr) {
				put_str(&w, " IN ");
				put_addr(&w, rw);
			}
			break;
		case E_DELETE:
			break;
		case E_DIR:
			put_str(&w, dir_names[rw->dir]);
			break;
		case E_DIR_LINE:
			/* the section may end without a line ending (last line of the body) */
			if (w.p > out && w.p[-1] != '\n')
				put_str(&w, sdp->eol);
			put_str(&w, "a=");
			put_str(&w, dir_names[rw->dir]);
			put_str(&w, sdp->eol);
			break;
		}
	}
	put(&w, src, (size_t)(send - src));
	if (w.full)
		return PN_EFULL;
	if ((size_t)(w.p - out) > INT32_MAX)
		return PN_EFULL;
	return (int)(w.p - out);
}
