/*
 * pn_sdp.h: SDP (RFC 4566) zero-copy parser and the rewrite a media relay needs.
 *
 * pn_sdp_parse() reads a complete SDP body (the SIP message's Content-Length bytes) into a
 * struct pn_sdp of spans pointing into the caller's buffer: the o= line, the session c= line,
 * session direction, and for each m= section its media/port/proto/formats, c=, a=rtpmap,
 * a=fmtp, the telephone-event payload type (found by rtpmap name), direction, a=rtcp and
 * a=ptime. Other lines are not interpreted and survive a rewrite byte for byte.
 *
 * pn_sdp_rewrite() writes a new body: every connection address (o=, session c=, media c=,
 * a=rtcp's address) replaced by the relay's (except c=IN IP4 0.0.0.0, RFC 2543 hold, which
 * is kept: it reveals nothing and the hold must reach the other side), each m= port replaced by the
 * caller's port for that section (a section whose port was 0 stays 0; a caller port of 0 rejects
 * the stream), a=rtcp set to the new port + 1 (dropped for a rejected stream), and optionally every
 * direction attribute replaced (one is added to a section that has none at either level).
 *
 * Invariants: a parsed struct is only valid while its buffer lives and is unchanged. Limits
 * (PN_SDP_MAX_*) are hard: more media sections, formats, rtpmaps or fmtps than fit is
 * PN_EPARSE, never silent truncation. c= and a=rtcp need a literal IPv4/IPv6 address (the
 * relay has to send there); o= may carry a domain name (ip4 is then 0). Lines may end in CRLF or
 * LF; inserted lines use the body's own line ending.
 *
 * Threading: no state, no allocation, no system calls; safe from any thread (dataplane
 * workers call it per INVITE/200 with SDP).
 */
#ifndef PN_SDP_H
#define PN_SDP_H

#include "pn_common.h"

#define PN_SDP_MAX_MEDIA  8
#define PN_SDP_MAX_FMT    32 /* payload types per m= line */
#define PN_SDP_MAX_RTPMAP 24 /* a=rtpmap lines per section */
#define PN_SDP_MAX_FMTP   16 /* a=fmtp lines per section */

enum pn_sdp_dir {
	PN_SDP_DIR_NONE = 0, /* no direction attribute (means sendrecv) / "keep" in a rewrite */
	PN_SDP_DIR_SENDRECV = 1,
	PN_SDP_DIR_SENDONLY = 2,
	PN_SDP_DIR_RECVONLY = 3,
	PN_SDP_DIR_INACTIVE = 4,
};

/* A c= line (or the address part of o= / a=rtcp). */
struct pn_sdp_conn {
	uint8_t family;       /* 4 or 6; 0 = absent */
	uint32_t ip4;         /* family 4: the address, host order (0 for an o= domain name) */
	struct pn_span addr;  /* the address text (without /ttl) */
	struct pn_span where; /* "IP4 1.2.3.4": addrtype through address, what a rewrite replaces */
};

struct pn_sdp_rtpmap {
	uint8_t pt;
	uint8_t channels;    /* 1 unless given */
	uint32_t clock;      /* Hz */
	struct pn_span name; /* encoding name as written, e.g. "PCMA", "telephone-event" */
};

struct pn_sdp_fmtp {
	uint8_t pt;
	struct pn_span params; /* everything after "a=fmtp:<pt> " */
};

struct pn_sdp_media {
	struct pn_span media; /* "audio", "video", "image", ... */
	uint16_t port;
	uint16_t nports;          /* the "/<n>" of m=, 1 if absent */
	struct pn_span port_span; /* the port digits: what a rewrite replaces */
	struct pn_span proto;     /* "RTP/AVP", "RTP/SAVP", "udptl", ... */
	struct pn_span fmt_list;  /* the format list as written */
	uint8_t is_rtp;           /* proto starts with "RTP/": formats are payload types */
	uint8_t npt;
	uint8_t pt[PN_SDP_MAX_FMT]; /* is_rtp: payload types in offer order */
	struct pn_sdp_conn conn;    /* media-level c=, family 0 if none */
	uint8_t nrtpmap, nfmtp;
	int16_t te_pt;           /* telephone-event payload type (8000 Hz preferred), -1 if none */
	uint32_t te_clock;       /* its clock rate */
	uint8_t dir;             /* enum pn_sdp_dir at media level */
	struct pn_span dir_span; /* the attribute name ("sendonly") to replace */
	uint8_t rtcp_mux;        /* a=rtcp-mux present */
	uint16_t rtcp_port;      /* a=rtcp port, 0 if absent */
	struct pn_sdp_conn rtcp_conn; /* a=rtcp address, family 0 if absent */
	struct pn_span rtcp_value;    /* a=rtcp value ("53020 IN IP4 1.2.3.4") */
	struct pn_span rtcp_line;     /* the whole a=rtcp line incl. its line ending */
	uint16_t ptime;               /* a=ptime in ms, 0 if absent */
	struct pn_span section;       /* from "m=" to the next "m=" or the end */
	/* Arrays last: only [0, nrtpmap) / [0, nfmtp) are meaningful; the parser clears the
	 * fields above and leaves these uninitialised until used. */
	struct pn_sdp_rtpmap rtpmap[PN_SDP_MAX_RTPMAP];
	struct pn_sdp_fmtp fmtp[PN_SDP_MAX_FMTP];
};

struct pn_sdp {
	const char *buf; /* the parsed body */
	size_t len;
	/* o=<user> <sess-id> <sess-version> IN <addrtype> <address> */
	struct pn_span o_user, o_sess_id, o_sess_version;
	struct pn_sdp_conn origin;
	struct pn_sdp_conn conn; /* session-level c=, family 0 if none */
	uint8_t dir;             /* session-level direction attribute */
	struct pn_span dir_span;
	const char *eol; /* "\r\n" or "\n": what the body uses */
	uint8_t nmedia;
	struct pn_sdp_media media[PN_SDP_MAX_MEDIA];
};

/*
 * Parse a complete SDP body. The first line must be v=0 and an o= line must be present;
 * every m= section must have a connection address (its own c= or the session's).
 * Returns len (bytes consumed) or PN_EPARSE (then nmedia is 0 and every session-level field
 * is cleared, so nothing stale is visible; media[] beyond nmedia is never meaningful).
 */
int pn_sdp_parse(const char *buf, size_t len, struct pn_sdp *out);

/* The connection address in effect for media i (media c= else session c=); NULL if none. */
const struct pn_sdp_conn *pn_sdp_media_conn(const struct pn_sdp *sdp, unsigned i);

/* The rtpmap entry for payload type pt in media m, or NULL (static types have none). */
const struct pn_sdp_rtpmap *pn_sdp_find_rtpmap(const struct pn_sdp_media *m, uint8_t pt);

/* Effective direction of media i (media level, else session level, else sendrecv). */
enum pn_sdp_dir pn_sdp_media_dir(const struct pn_sdp *sdp, unsigned i);

/* What pn_sdp_rewrite changes. */
struct pn_sdp_rewrite {
	const char *addr;                /* new connection address text, NUL-terminated */
	uint8_t family;                  /* 4 or 6 */
	uint16_t port[PN_SDP_MAX_MEDIA]; /* new port for each m= section, in order */
	uint8_t dir;                     /* enum pn_sdp_dir; PN_SDP_DIR_NONE keeps directions */
};

/*
 * Write the rewritten body of `sdp` (which must come from pn_sdp_parse) into out[0..outsz).
 * Returns the length written (not NUL-terminated), PN_EFULL if outsz is too small (out then
 * holds a partial body that must not be used) or PN_EINVAL for a bad rewrite (no address,
 * family not 4/6, address longer than 64 bytes or containing a blank/line break).
 */
int pn_sdp_rewrite(const struct pn_sdp *sdp, const struct pn_sdp_rewrite *rw, char *out,
                   size_t outsz);

/* "sendrecv" etc. for a direction (NULL for PN_SDP_DIR_NONE). */
const char *pn_sdp_dir_name(enum pn_sdp_dir d);

#endif /* PN_SDP_H */
