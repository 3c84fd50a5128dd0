/*
 * pn_sip_write.c: SIP message writer: a bounded output buffer, an edit pass that rebuilds a
 * parsed message (untouched lines copied byte for byte), and the response / request builders
 * the B2BUA uses on every call. No allocation; every write is bounds-checked and an overflow
 * is sticky (later writes are no-ops, finish returns PN_EFULL). See pn_sip.h.
 */
#include "pn_sip.h"

/* ------------------------------------------------------------------------------------------ */
/* Output buffer                                                                               */

void pn_sip_w_bytes(struct pn_sip_wbuf *w, const void *p, size_t n)
{
	if (w->full)
		return;
	if (n > w->cap - w->len) {
		w->full = 1;
		return;
	}
	if (n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

void pn_sip_w_span(struct pn_sip_wbuf *w, struct pn_span s)
{
	if (s.p)
		pn_sip_w_bytes(w, s.p, s.len);
}

void pn_sip_w_str(struct pn_sip_wbuf *w, const char *s)
{
	pn_sip_w_bytes(w, s, strlen(s));
}

void pn_sip_w_u32(struct pn_sip_wbuf *w, uint32_t v)
{
	char tmp[10];
	size_t n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	pn_sip_w_bytes(w, tmp + sizeof(tmp) - n, n);
}

static void w_crlf(struct pn_sip_wbuf *w)
{
	pn_sip_w_bytes(w, "\r\n", 2);
}

void pn_sip_w_request_line(struct pn_sip_wbuf *w, struct pn_span method, struct pn_span ruri)
{
	pn_sip_w_span(w, method);
	pn_sip_w_bytes(w, " ", 1);
	pn_sip_w_span(w, ruri);
	pn_sip_w_bytes(w, " SIP/2.0\r\n", 10);
}

void pn_sip_w_status_line(struct pn_sip_wbuf *w, unsigned status, struct pn_span reason)
{
	pn_sip_w_bytes(w, "SIP/2.0 ", 8);
	pn_sip_w_u32(w, status);
	pn_sip_w_bytes(w, " ", 1);
	if (reason.p)
		pn_sip_w_span(w, reason);
	else
		pn_sip_w_str(w, pn_sip_reason(status));
	w_crlf(w);
}

void pn_sip_w_header(struct pn_sip_wbuf *w, struct pn_span name, struct pn_span value)
{
	pn_sip_w_span(w, name);
	pn_sip_w_bytes(w, ": ", 2);
	pn_sip_w_span(w, value);
	w_crlf(w);
}

void pn_sip_w_header_id(struct pn_sip_wbuf *w, enum pn_sip_hdr id, struct pn_span value)
{
	pn_sip_w_str(w, pn_sip_hdr_name(id));
	pn_sip_w_bytes(w, ": ", 2);
	pn_sip_w_span(w, value);
	w_crlf(w);
}

void pn_sip_w_header_raw(struct pn_sip_wbuf *w, const struct pn_sip_msg *m,
                         const struct pn_sip_header *h)
{
	pn_sip_w_bytes(w, m->buf + h->raw_off, h->raw_len);
}

void pn_sip_w_end(struct pn_sip_wbuf *w, struct pn_span ctype, struct pn_span body)
{
	if (ctype.p)
		pn_sip_w_header_id(w, PN_SIP_H_CONTENT_TYPE, ctype);
	pn_sip_w_bytes(w, "Content-Length: ", 16);
	pn_sip_w_u32(w, (uint32_t)body.len);
	pn_sip_w_bytes(w, "\r\n\r\n", 4);
	pn_sip_w_span(w, body);
}

int pn_sip_w_finish(const struct pn_sip_wbuf *w)
{
	if (w->full || w->len > (size_t)0x7fffffff)
		return PN_EFULL;
	return (int)w->len;
}

const char *pn_sip_reason(unsigned status)
{
	switch (status) {
	case 100:
		return "Trying";
	case 180:
		return "Ringing";
	case 181:
		return "Call Is Being Forwarded";
	case 182:
		return "Queued";
	case 183:
		return "Session Progress";
	case 199:
		return "Early Dialog Terminated";
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 300:
		return "Multiple Choices";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Moved Temporarily";
	case 305:
		return "Use Proxy";
	case 380:
		return "Alternative Service";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 410:
		return "Gone";
	case 413:
		return "Request Entity Too Large";
	case 414:
		return "Request-URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Unsupported URI Scheme";
	case 420:
		return "Bad Extension";
	case 421:
		return "Extension Required";
	case 422:
		return "Session Interval Too Small";
	case 423:
		return "Interval Too Brief";
	case 480:
		return "Temporarily Unavailable";
	case 481:
		return "Call/Transaction Does Not Exist";
	case 482:
		return "Loop Detected";
	case 483:
		return "Too Many Hops";
	case 484:
		return "Address Incomplete";
	case 485:
		return "Ambiguous";
	case 486:
		return "Busy Here";
	case 487:
		return "Request Terminated";
	case 488:
		return "Not Acceptable Here";
	case 491:
		return "Request Pending";
	case 493:
		return "Undecipherable";
	case 500:
		return "Server Internal Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Server Time-out";
	case 505:
		return "Version Not Supported";
	case 513:
		return "Message Too Large";
	case 600:
		return "Busy Everywhere";
	case 603:
		return "Decline";
	case 604:
		return "Does Not Exist Anywhere";
	case 606:
		return "Not Acceptable";
	default:
		return "Unknown";
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Rebuild with edits                                                                          */

/* Does edit e target header h, which is occurrence `occ` of its id (or of its name for
 * OTHER)? */
static int edit_hits(const struct pn_sip_edit *e, const struct pn_sip_header *h, unsigned occ)
{
	if (e->id != PN_SIP_H_OTHER) {
		if (h->id != e->id)
			return 0;
	} else {
		if (h->id != PN_SIP_H_OTHER || !e->name.p || h->name.len != e->name.len)
			return 0;
		for (size_t i = 0; i < h->name.len; i++) {
			unsigned char a = (unsigned char)h->name.p[i],
			              b = (unsigned char)e->name.p[i];
			if ((a | 0x20) != (b | 0x20))
				return 0;
		}
	}
	return e->nth == PN_SIP_ALL || (e->nth >= 0 && (unsigned)e->nth == occ);
}

/* Occurrence index of header k among headers matching it (same id, or same name for OTHER). */
static unsigned occurrence(const struct pn_sip_msg *m, uint16_t k, const uint16_t *occ_by_id)
{
	const struct pn_sip_header *h = &m->hdrs[k];
	if (h->id != PN_SIP_H_OTHER)
		return occ_by_id[h->id];
	unsigned n = 0;
	for (uint16_t j = 0; j < k; j++) {
		const struct pn_sip_header *o = &m->hdrs[j];
		if (o->id == PN_SIP_H_OTHER && o->name.len == h->name.len) {
			size_t i = 0;
			while (i < o->name.len && (((unsigned char)o->name.p[i] | 0x20) ==
			                           ((unsigned char)h->name.p[i] | 0x20)))
				i++;
			n += i == o->name.len;
		}
	}
	return n;
}

static void write_add(struct pn_sip_wbuf *w, const struct pn_sip_edit *e)
{
	if (e->name.p && e->name.len)
		pn_sip_w_header(w, e->name, e->value);
	else
		pn_sip_w_header_id(w, e->id, e->value);
}

/* Is h the first header that an AT_SAME add of e goes before? */
static int add_same_here(const struct pn_sip_msg *m, const struct pn_sip_edit *e, uint16_t k)
{
	if (e->id != PN_SIP_H_OTHER)
		return m->first[e->id] == k;
	/* by name: first header with that name */
	const struct pn_sip_header *h = &m->hdrs[k];
	struct pn_sip_edit probe = *e;
	probe.nth = 0;
	/* occurrence() only reads its third argument for known ids */
	return edit_hits(&probe, h, 0) && occurrence(m, k, NULL) == 0;
}

static int add_same_has_target(const struct pn_sip_msg *m, const struct pn_sip_edit *e)
{
	if (e->id != PN_SIP_H_OTHER)
		return m->first[e->id] != PN_SIP_NO_HDR;
	struct pn_sip_edit probe = *e;
	probe.nth = PN_SIP_ALL;
	for (uint16_t k = 0; k < m->nhdrs; k++)
		if (edit_hits(&probe, &m->hdrs[k], 0))
			return 1;
	return 0;
}

int pn_sip_write(const struct pn_sip_msg *m, const struct pn_sip_edit *edits, size_t nedits,
                 char *out, size_t cap)
{
	struct pn_sip_wbuf w;
	pn_sip_wbuf_init(&w, out, cap);
	if (!m || !m->buf || (nedits && !edits))
		return PN_EINVAL;

	const struct pn_sip_edit *ruri = NULL, *status = NULL, *body = NULL;
	for (size_t i = 0; i < nedits; i++) {
		const struct pn_sip_edit *e = &edits[i];
		if ((unsigned)e->id >= PN_SIP_H__COUNT)
			return PN_EINVAL;
		switch (e->op) {
		case PN_SIP_EDIT_RURI:
			if (!m->is_request || !e->value.p || !e->value.len)
				return PN_EINVAL;
			ruri = e;
			break;
		case PN_SIP_EDIT_STATUS:
			if (m->is_request || e->nth < 100 || e->nth > 699)
				return PN_EINVAL;
			status = e;
			break;
		case PN_SIP_EDIT_BODY:
			body = e;
			break;
		case PN_SIP_EDIT_REPLACE:
		case PN_SIP_EDIT_REMOVE:
			if (e->id == PN_SIP_H_OTHER && (!e->name.p || !e->name.len))
				return PN_EINVAL;
			break;
		case PN_SIP_EDIT_ADD:
			if (e->id == PN_SIP_H_OTHER && (!e->name.p || !e->name.len))
				return PN_EINVAL;
			break;
		default:
			return PN_EINVAL;
		}
	}

	/* Start line. */
	if (ruri) {
		pn_sip_w_request_line(&w, m->method, ruri->value);
	} else if (status) {
		pn_sip_w_status_line(&w, (unsigned)status->nth,
		                     status->value.len ? status->value : PN_SPAN_NULL);
	} else {
		pn_sip_w_bytes(&w, m->buf + m->start, m->hdr_off - m->start);
	}

	struct pn_span nbody = body ? body->value : m->body;
	if (!nbody.p)
		nbody = pn_span_make("", 0);

	/* Adds at the top, and AT_SAME adds whose id is absent. */
	for (size_t i = 0; i < nedits; i++) {
		const struct pn_sip_edit *e = &edits[i];
		if (e->op == PN_SIP_EDIT_ADD &&
		    (e->where == PN_SIP_AT_TOP ||
		     (e->where == PN_SIP_AT_SAME && !add_same_has_target(m, e))))
			write_add(&w, e);
	}

	uint16_t occ_by_id[PN_SIP_H__COUNT];
	memset(occ_by_id, 0, sizeof(occ_by_id));
	int clen_written = 0;
	for (uint16_t k = 0; k < m->nhdrs; k++) {
		const struct pn_sip_header *h = &m->hdrs[k];
		unsigned occ = occurrence(m, k, occ_by_id);
		if (h->id != PN_SIP_H_OTHER)
			occ_by_id[h->id]++;

		for (size_t i = 0; i < nedits; i++) {
			const struct pn_sip_edit *e = &edits[i];
			if (e->op == PN_SIP_EDIT_ADD && e->where == PN_SIP_AT_SAME &&
			    add_same_here(m, e, k))
				write_add(&w, e);
		}
		if (h->id == PN_SIP_H_CONTENT_LENGTH) {
			if (!clen_written && m->content_length == (int64_t)nbody.len) {
				/* unchanged length: keep the line as received */
				pn_sip_w_header_raw(&w, m, h);
				clen_written = 1;
			} else if (!clen_written) {
				pn_sip_w_span(&w, h->name);
				pn_sip_w_bytes(&w, ": ", 2);
				pn_sip_w_u32(&w, (uint32_t)nbody.len);
				w_crlf(&w);
				clen_written = 1;
			}
			continue;
		}
		const struct pn_sip_edit *rep = NULL;
		int removed = 0;
		for (size_t i = 0; i < nedits; i++) {
			const struct pn_sip_edit *e = &edits[i];
			if (e->op == PN_SIP_EDIT_REMOVE && edit_hits(e, h, occ))
				removed = 1;
			else if (e->op == PN_SIP_EDIT_REPLACE && edit_hits(e, h, occ))
				rep = e;
		}
		if (removed)
			continue;
		if (rep)
			pn_sip_w_header(&w, h->name, rep->value);
		else
			pn_sip_w_header_raw(&w, m, h);
	}

	for (size_t i = 0; i < nedits; i++) {
		const struct pn_sip_edit *e = &edits[i];
		if (e->op == PN_SIP_EDIT_ADD && e->where == PN_SIP_AT_END)
			write_add(&w, e);
	}
	if (!clen_written) {
		pn_sip_w_bytes(&w, "Content-Length: ", 16);
		pn_sip_w_u32(&w, (uint32_t)nbody.len);
		w_crlf(&w);
	}
	w_crlf(&w);
	pn_sip_w_span(&w, nbody);
	return pn_sip_w_finish(&w);
}

/* ------------------------------------------------------------------------------------------ */
/* Builders                                                                                    */

static void w_hdr_norm(struct pn_sip_wbuf *w, const struct pn_sip_header *h)
{
	pn_sip_w_header(w, h->name, h->value);
}

int pn_sip_build_response(const struct pn_sip_msg *req, unsigned status, struct pn_span reason,
                          struct pn_span to_tag, unsigned flags, const struct pn_sip_hdr_kv *extra,
                          size_t nextra, struct pn_span ctype, struct pn_span body, char *out,
                          size_t cap)
{
	if (!req || !req->is_request || status < 100 || status > 699 || (nextra && !extra))
		return PN_EINVAL;
	const struct pn_sip_header *from = pn_sip_hdr_first(req, PN_SIP_H_FROM);
	const struct pn_sip_header *to = pn_sip_hdr_first(req, PN_SIP_H_TO);
	const struct pn_sip_header *cid = pn_sip_hdr_first(req, PN_SIP_H_CALL_ID);
	const struct pn_sip_header *cseq = pn_sip_hdr_first(req, PN_SIP_H_CSEQ);
	if (!from || !to || !cid || !cseq || !pn_sip_hdr_first(req, PN_SIP_H_VIA))
		return PN_EINVAL;

	struct pn_sip_wbuf w;
	pn_sip_wbuf_init(&w, out, cap);
	pn_sip_w_status_line(&w, status, reason);
	for (const struct pn_sip_header *h = pn_sip_hdr_first(req, PN_SIP_H_VIA); h;
	     h = pn_sip_hdr_next(req, h))
		w_hdr_norm(&w, h);
	w_hdr_norm(&w, from);
	if (to_tag.p && to_tag.len) {
		struct pn_sip_nameaddr na;
		if (pn_sip_nameaddr_parse(to->value, &na) < 0)
			return PN_EINVAL;
		pn_sip_w_span(&w, to->name);
		pn_sip_w_bytes(&w, ": ", 2);
		pn_sip_w_span(&w, to->value);
		/* Header params follow the URI (or the <...>), so appending is right in both the
		 * name-addr and the addr-spec form. An existing tag is kept (in-dialog request). */
		if (!na.tag.p) {
			pn_sip_w_bytes(&w, ";tag=", 5);
			pn_sip_w_span(&w, to_tag);
		}
		w_crlf(&w);
	} else {
		w_hdr_norm(&w, to);
	}
	w_hdr_norm(&w, cid);
	w_hdr_norm(&w, cseq);
	if (flags & PN_SIP_RESP_COPY_RR)
		for (const struct pn_sip_header *h = pn_sip_hdr_first(req, PN_SIP_H_RECORD_ROUTE);
		     h; h = pn_sip_hdr_next(req, h))
			w_hdr_norm(&w, h);
	for (size_t i = 0; i < nextra; i++)
		pn_sip_w_header(&w, extra[i].name, extra[i].value);
	if (!body.p)
		body = pn_span_make("", 0);
	pn_sip_w_end(&w, ctype, body);
	return pn_sip_w_finish(&w);
}

int pn_sip_build_request(const struct pn_sip_req_spec *s, char *out, size_t cap)
{
	if (!s || !s->method.len || !s->ruri.len || !s->call_id.len || !s->from.len || !s->to.len ||
	    !s->sent_by.len || !s->branch.len || (s->nextra && !s->extra) || s->cseq >= 0x80000000u)
		return PN_EINVAL;
	struct pn_sip_wbuf w;
	pn_sip_wbuf_init(&w, out, cap);
	pn_sip_w_request_line(&w, s->method, s->ruri);
	pn_sip_w_bytes(&w, "Via: SIP/2.0/", 13);
	if (s->transport.len)
		pn_sip_w_span(&w, s->transport);
	else
		pn_sip_w_bytes(&w, "UDP", 3);
	pn_sip_w_bytes(&w, " ", 1);
	pn_sip_w_span(&w, s->sent_by);
	pn_sip_w_bytes(&w, ";branch=", 8);
	pn_sip_w_span(&w, s->branch);
	pn_sip_w_bytes(&w, ";rport\r\nMax-Forwards: ", 22);
	pn_sip_w_u32(&w, s->max_forwards);
	pn_sip_w_bytes(&w, "\r\nFrom: ", 8);
	pn_sip_w_span(&w, s->from);
	if (s->from_tag.len) {
		pn_sip_w_bytes(&w, ";tag=", 5);
		pn_sip_w_span(&w, s->from_tag);
	}
	pn_sip_w_bytes(&w, "\r\nTo: ", 6);
	pn_sip_w_span(&w, s->to);
	if (s->to_tag.len) {
		pn_sip_w_bytes(&w, ";tag=", 5);
		pn_sip_w_span(&w, s->to_tag);
	}
	pn_sip_w_bytes(&w, "\r\nCall-ID: ", 11);
	pn_sip_w_span(&w, s->call_id);
	pn_sip_w_bytes(&w, "\r\nCSeq: ", 8);
	pn_sip_w_u32(&w, s->cseq);
	pn_sip_w_bytes(&w, " ", 1);
	pn_sip_w_span(&w, s->method);
	w_crlf(&w);
	if (s->contact.len)
		pn_sip_w_header_id(&w, PN_SIP_H_CONTACT, s->contact);
	for (size_t i = 0; i < s->nextra; i++)
		pn_sip_w_header(&w, s->extra[i].name, s->extra[i].value);
	struct pn_span body = s->body.p ? s->body : pn_span_make("", 0);
	pn_sip_w_end(&w, s->ctype, body);
	return pn_sip_w_finish(&w);
}
