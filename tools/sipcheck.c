/*
 * sipcheck.c: privnum-sipcheck FILE... - parse each file as one SIP message (UDP datagram
 * semantics, RFC 3261 18.3) with the privnum parser, validate it, and print one JSON line per
 * file on stdout:
 *   {"file":"x.sip","ok":true,"type":"request","method":"INVITE","ruri":"sip:...",
 *    "from":"...","from_tag":"...","to":"...","to_tag":null,"call_id":"...",
 *    "cseq":{"seq":1,"method":"INVITE"},"via_count":2,"top_branch":"z9hG4bK...",
 *    "max_forwards":70,"headers":12,"body_length":240}
 * or, when the message is rejected,
 *   {"file":"x.sip","ok":false,"error":"malformed CSeq","code":16,"offset":211,"header":"CSeq"}
 * plus a human line on stderr ("x.sip: byte 211: malformed CSeq (CSeq)").
 * Exit status: 0 if every file parsed and validated, 1 if any failed, 2 on usage or I/O error.
 * Files larger than 65535 bytes (a UDP datagram's limit) are rejected as such.
 * Strings are JSON-escaped; bytes that are not valid UTF-8 are written as U+FFFD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pn_sip.h"

#define MAX_DGRAM 65535

static void json_str(FILE *o, const char *p, size_t n)
{
	if (!p) {
		fputs("null", o);
		return;
	}
	fputc('"', o);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', o);
			fputc(c, o);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\r':
				fputs("\\r", o);
				break;
			case '\n':
				fputs("\\n", o);
				break;
			case '\t':
				fputs("\\t", o);
				break;
			default:
				fprintf(o, "\\u%04x", c);
				break;
			}
			i++;
		} else if (c < 0x80) {
			fputc(c, o);
			i++;
		} else {
			/* copy a well-formed UTF-8 sequence, else U+FFFD for this byte */
			size_t len = c >= 0xf0 && c <= 0xf4  ? 4
			             : c >= 0xe0             ? 3
			             : c >= 0xc2 && c < 0xe0 ? 2
			                                     : 0;
			int ok = len && i + len <= n;
			for (size_t k = 1; ok && k < len; k++)
				ok = ((unsigned char)p[i + k] & 0xc0) == 0x80;
			if (ok && len == 3) {
				unsigned char c1 = (unsigned char)p[i + 1];
				ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
			}
			if (ok && len == 4) {
				unsigned char c1 = (unsigned char)p[i + 1];
				ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
			}
			if (ok) {
				fwrite(p + i, 1, len, o);
				i += len;
			} else {
				fputs("\\ufffd", o);
				i++;
			}
		}
	}
	fputc('"', o);
}

static void json_span(FILE *o, struct pn_span s)
{
	json_str(o, s.p, s.len);
}

static int report_error(const char *file, const struct pn_sip_error *e)
{
	const char *hn = e->hdr ? pn_sip_hdr_name((enum pn_sip_hdr)e->hdr) : NULL;
	printf("{\"file\":");
	json_str(stdout, file, strlen(file));
	printf(",\"ok\":false,\"error\":");
	json_str(stdout, e->what, strlen(e->what));
	printf(",\"code\":%d,\"offset\":%u,\"header\":", (int)e->code, e->offset);
	json_str(stdout, hn, hn ? strlen(hn) : 0);
	printf("}\n");
	fprintf(stderr, "%s: byte %u: %s%s%s%s\n", file, e->offset, e->what, hn ? " (" : "",
	        hn ? hn : "", hn ? ")" : "");
	return 1;
}

static int check(const char *file, const char *buf, size_t n)
{
	struct pn_sip_header hdrs[PN_SIP_MAX_HEADERS];
	struct pn_sip_msg m;
	struct pn_sip_error e;
	struct pn_sip_core c;
	if (pn_sip_parse(&m, buf, n, PN_SIP_DATAGRAM, hdrs, PN_SIP_MAX_HEADERS) < 0)
		return report_error(file, &m.err);
	if (pn_sip_validate(&m, &e) < 0 || pn_sip_core_parse(&m, &c, &e) < 0)
		return report_error(file, &e);

	printf("{\"file\":");
	json_str(stdout, file, strlen(file));
	printf(",\"ok\":true,\"type\":\"%s\"", m.is_request ? "request" : "response");
	if (m.is_request) {
		printf(",\"method\":");
		json_span(stdout, m.method);
		printf(",\"ruri\":");
		json_span(stdout, m.ruri);
	} else {
		printf(",\"status\":%u,\"reason\":", m.status);
		json_span(stdout, m.reason);
	}
	printf(",\"from\":");
	json_span(stdout, c.from.uri);
	printf(",\"from_tag\":");
	json_span(stdout, c.from.tag);
	printf(",\"to\":");
	json_span(stdout, c.to.uri);
	printf(",\"to_tag\":");
	json_span(stdout, c.to.tag);
	printf(",\"call_id\":");
	json_span(stdout, c.call_id);
	printf(",\"cseq\":{\"seq\":%u,\"method\":", c.cseq.seq);
	json_span(stdout, c.cseq.method);
	printf("},\"via_count\":%u,\"top_branch\":", c.nvia);
	json_span(stdout, c.via.branch);
	printf(",\"max_forwards\":");
	if (c.max_forwards >= 0)
		printf("%d", c.max_forwards);
	else
		printf("null");
	printf(",\"headers\":%u,\"body_length\":%zu}\n", m.nhdrs, m.body.len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(
		    stderr,
		    "usage: %s FILE...\n"
		    "Parses each file as one SIP message (UDP datagram semantics) and prints a\n"
		    "JSON summary or the error and its byte offset. Exit 1 if any file fails.\n",
		    argv[0]);
		return 2;
	}
	static char buf[MAX_DGRAM + 1];
	int status = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 2;
		}
		size_t n = fread(buf, 1, sizeof(buf), f);
		int err = ferror(f);
		fclose(f);
		if (err) {
			fprintf(stderr, "%s: read error\n", argv[i]);
			return 2;
		}
		if (n > MAX_DGRAM) {
			struct pn_sip_error e = {PN_SIP_E_TRUNCATED, MAX_DGRAM, 0,
			                         "larger than a UDP datagram (65535 bytes)"};
			status |= report_error(argv[i], &e);
			continue;
		}
		/* parse from an exact-size copy so nothing past the file's bytes is in reach */
		char *copy = malloc(n ? n : 1);
		if (!copy) {
			fprintf(stderr, "out of memory\n");
			return 2;
		}
		memcpy(copy, buf, n);
		status |= check(argv[i], copy, n);
		free(copy);
	}
	return status ? 1 : 0;
}
