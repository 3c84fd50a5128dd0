/*
 * pn_rtp.h: RTP and RTCP headers (RFC 3550), RTP/RTCP demultiplexing on one port (RFC 5761)
 * and RFC 4733 telephone-event payloads (DTMF).
 *
 * The media relay looks at every packet: pn_rtp_classify() says RTP, RTCP or other from two
 * bytes; pn_rtp_parse() validates an RTP header and locates the payload (CSRCs, header
 * extension and padding all checked against the datagram length); pn_rtcp_walk() validates
 * a compound RTCP packet and lists its parts; pn_rfc4733_* read and write DTMF events.
 *
 * Invariants: inputs are untrusted datagrams; nothing is read outside buf[0..len). Outputs are
 * reset on entry so a failure leaves nothing stale. Multi-byte fields are returned in host
 * order.
 *
 * Threading: no state, no allocation; safe from any thread (called per packet by workers).
 */
#ifndef PN_RTP_H
#define PN_RTP_H

#include "pn_common.h"

#define PN_RTP_HDR_MIN 12
#define PN_RTP_VERSION 2

/* RTCP packet types (RFC 3550, RFC 4585, RFC 3611). */
enum pn_rtcp_type {
	PN_RTCP_SR = 200,
	PN_RTCP_RR = 201,
	PN_RTCP_SDES = 202,
	PN_RTCP_BYE = 203,
	PN_RTCP_APP = 204,
	PN_RTCP_RTPFB = 205,
	PN_RTCP_PSFB = 206,
	PN_RTCP_XR = 207,
};

enum pn_rtp_kind {
	PN_RTP_KIND_OTHER = 0, /* not version 2 or too short: STUN, DTLS, junk */
	PN_RTP_KIND_RTP = 1,
	PN_RTP_KIND_RTCP = 2,
};

struct pn_rtp_hdr {
	uint8_t version;   /* always 2 after a successful parse */
	uint8_t padding;   /* P bit */
	uint8_t extension; /* X bit */
	uint8_t cc;        /* CSRC count */
	uint8_t marker;
	uint8_t pt; /* payload type 0..127 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint16_t ext_profile; /* X: the extension's "defined by profile" field */
	uint16_t ext_words;   /* X: extension length in 32-bit words (after its 4-byte head) */
	size_t hdr_len;       /* 12 + 4*cc + (X ? 4 + 4*ext_words : 0) */
	size_t payload_off;   /* == hdr_len */
	size_t payload_len;   /* bytes between header and padding */
	uint8_t pad_len;      /* P: padding bytes including the count byte; else 0 */
};

/*
 * Which protocol a datagram on a media port carries (RFC 5761 section 4: version 2 and a
 * second byte of 192..223, i.e. RTCP types 200..207 and their neighbours, is RTCP; other
 * version-2 packets of at least 12 bytes are RTP). No validation beyond that.
 */
enum pn_rtp_kind pn_rtp_classify(const uint8_t *buf, size_t len);

/*
 * Parse and validate an RTP header. Returns the header length (bytes consumed, > 0) or
 * PN_EPARSE: shorter than 12 bytes, version != 2, CSRC list or extension beyond the packet,
 * padding bit with a zero count or a count beyond the payload, or a second byte of 192..223
 * (marker set and PT 64..95: that is RTCP under RFC 5761).
 */
int pn_rtp_parse(const uint8_t *buf, size_t len, struct pn_rtp_hdr *h);

/*
 * Write a 12-byte RTP header (no CSRC, no extension, no padding) into out.
 * Returns 12, or PN_EINVAL if outsz < 12 or pt > 127.
 */
int pn_rtp_write(uint8_t *out, size_t outsz, uint8_t pt, int marker, uint16_t seq, uint32_t ts,
                 uint32_t ssrc);

/* One packet of a compound RTCP datagram. */
struct pn_rtcp_pkt {
	uint8_t type;    /* 192..223 */
	uint8_t count;   /* RC / SC / FMT field */
	uint8_t padding; /* P bit (only the last packet may have it) */
	size_t off;      /* offset of its header in the datagram */
	size_t len;      /* total length incl. the header (and its padding) */
	uint32_t ssrc;   /* SR/RR/APP/RTPFB/PSFB/XR: sender SSRC; SDES/BYE: first SSRC/CSRC
	                    (0 if count is 0) */
	/* SR only: sender info */
	uint64_t ntp; /* NTP timestamp, 32.32 */
	uint32_t rtp_ts;
	uint32_t pkt_count;
	uint32_t octet_count;
};

/*
 * Walk a compound RTCP datagram (RFC 3550 section 6.1, validity checks of appendix A.2
 * except the "first packet is SR/RR" rule, which reduced-size RTCP (RFC 5506) relaxes; see
 * *first_is_report). pkts has *n entries on entry; on success *n is the packet count.
 * Returns len (all bytes consumed) or PN_EPARSE: a packet not version 2, a type outside
 * 192..223, a length beyond the datagram, bytes left over, padding on a packet that is not the
 * last or larger than the packet, an SR/RR/BYE too short for its count, or more packets than
 * *n (too many is an error, not truncation).
 */
int pn_rtcp_walk(const uint8_t *buf, size_t len, struct pn_rtcp_pkt *pkts, unsigned *n,
                 int *first_is_report);

/* RFC 4733 section 2.3: one telephone-event payload (4 bytes). */
struct pn_rfc4733_event {
	uint8_t event;     /* 0..255; 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash */
	uint8_t end;       /* E bit */
	uint8_t volume;    /* 0..63, -dBm0 */
	uint16_t duration; /* in timestamp units */
};

#define PN_RFC4733_LEN 4

/*
 * Parse a telephone-event payload. Several events may follow one another (payload length a
 * multiple of 4, RFC 4733 2.5.1.4 with redundancy via RFC 2198 is not handled here); this
 * reads the first. Returns 4 or PN_EPARSE (fewer than 4 bytes). The R bit is ignored.
 */
int pn_rfc4733_parse(const uint8_t *buf, size_t len, struct pn_rfc4733_event *ev);

/* Write ev into out[4]. Returns 4 or PN_EINVAL (volume > 63, outsz < 4). */
int pn_rfc4733_build(const struct pn_rfc4733_event *ev, uint8_t *out, size_t outsz);

/* Digit of a DTMF event code ('0'-'9', '*', '#', 'A'-'D'), or 0 for any other code. */
char pn_rfc4733_digit(uint8_t event);

/* Event code of a digit (case-insensitive A-D), or -1. */
int pn_rfc4733_event_code(char digit);

#endif /* PN_RTP_H */
