/*
 * pn_binding.h: the binding model shared by the store (control), the change stream and the
 * dataplane's replica, and its msgpack encoding.
 *
 * One struct pn_binding describes one binding of any mode. Numbers are kept packed
 * (pn_num_t, see pn_number.h); tone names and userData are short strings kept inline.
 *
 *   mode   x            a              b / y                         e
 *   AXB    X            A (callerNum)  B (calleeNum)                 -
 *   AX     X (private)  A (origNum)    temp callee (b, b_expires_ms) -
 *   AXE    X (virtual)  A (bindNum)    -                             extension
 *   AXYB   X            A              (AX part) -                   -
 *   YB     Y            B              (b) ; parent_id = the AX part  -
 *
 * AXYB is stored as one AX-part binding (mode PN_MODE_AXYB) plus one YB binding per Y
 * (mode PN_MODE_YB, parent_id = the AX part's id, sharing its subscriptionId string).
 *
 * A change record (struct pn_change) carries a monotonic sequence number, an operation and
 * the binding after the change (for PN_CHANGE_DEL only the id/mode/numbers needed to find
 * the replica's keys). It is what the changelog stores and what the change stream sends.
 *
 * Identifiers: every binding has a 64-bit id allocated by the store; subscriptionId is its
 * string form (pn_binding_subid_format). An AXYB YB part has its own id but reports the
 * subscriptionId of its AX part.
 *
 * Wire format of a change record (version 1): one msgpack map with string keys, all present
 * when we encode: "v" (=1), "seq", "op", and the binding's "id", "pid" (parent_id), "mode",
 * "dir", "rec", "sms", "disp", "turn", "tu", "extl", "ext", "maxd", "x", "a", "b", "cb"
 * (callback_num; numbers as packed pn_num_t unsigned integers), "ct", "exp", "bexp", "ybexp"
 * (signed ms), "dur", "ybdur", "bet", "cbet" (unsigned), "app", "rht", "lmv", "cht", "ceht",
 * "cbt", "ud" (strings). A decoder requires v == 1, seq > 0, op, id > 0 and mode; skips keys it
 * does not know (so fields can be added without a version change; a non-additive change bumps
 * "v"); rejects wrong msgpack types, out-of-range values, invalid packed numbers, duplicate
 * keys and strings longer than their field or containing NUL. Records can be concatenated:
 * decode returns the bytes one record took.
 *
 * The decoder allocates nothing (hand-written bounded reader); the encoder uses msgpack-c's
 * sbuffer. Safe from any thread.
 */
#ifndef PN_BINDING_H
#define PN_BINDING_H

#include "pn_common.h"
#include "pn_number.h"

enum pn_mode {
	PN_MODE_NONE = 0,
	PN_MODE_AXB = 1,
	PN_MODE_AX = 2,
	PN_MODE_AXE = 3,
	PN_MODE_AXYB = 4, /* the AX part of an AXYB relation */
	PN_MODE_YB = 5,   /* one YB part of an AXYB relation */
	PN_MODE_X = 6,    /* X mode: no bindings, the customer decides per call */
};

/* callDirection as the API defines it for AXB/AX/AXYB. */
enum pn_direction {
	PN_DIR_BOTH = 0,
	PN_DIR_A_TO_B = 1, /* AXB: only A->B; AX: only A may call X; AXYB: only A->B (via Y) */
	PN_DIR_B_TO_A = 2, /* AXB: only B->A; AX: only others may call X; AXYB: only B->A (via X) */
};

#define PN_TONE_LEN 129	   /* tone file name String(0-128) + NUL */
#define PN_USERDATA_LEN 257 /* userData String(1-256) + NUL */
#define PN_APPKEY_LEN 65
#define PN_SUBID_LEN 17

struct pn_binding {
	uint64_t id;        /* store-allocated, unique, never reused */
	uint64_t parent_id; /* YB: the AX part's id; else 0 */
	uint8_t mode;       /* enum pn_mode */
	uint8_t direction;  /* enum pn_direction */
	uint8_t record;     /* recordFlag as requested (the app switch is applied at call time) */
	uint8_t private_sms;
	uint8_t display_mode; /* AX calleeNumDisplay / AXE displayNumMode (0 = show X) */
	uint8_t turn_on;      /* AX turnFlag: 1 on, 0 off */
	uint8_t time_unit;    /* AXE: 0 hours, 1 minutes */
	uint8_t ext_len;      /* AXE: digits in the extension (1..4), 0 = none */
	uint16_t ext;         /* AXE: extension value */
	uint16_t max_duration_min; /* maxDuration, 0..1440, 0 = unlimited */
	pn_num_t x;  /* X (or Y for PN_MODE_YB) */
	pn_num_t a;  /* A (or B for PN_MODE_YB) */
	pn_num_t b;  /* AXB: B; AX: temporary callee (0 = none) */
	pn_num_t callback_num; /* AXE callbackNum */
	int64_t created_ms;    /* subscribeTime, ms since the epoch (UTC) */
	int64_t expires_ms;    /* absolute expiry, 0 = never */
	int64_t b_expires_ms;  /* AX temporary callee expiry, 0 = none */
	int64_t yb_expires_ms; /* YB part: absolute expiry, 0 = lives with the AX part */
	uint32_t duration_s;   /* as requested (AXB duration, AXYB duration), for queries */
	uint32_t yb_duration_s;
	uint32_t bind_expired_time;     /* AXE, in time_unit */
	uint32_t callback_expired_time; /* AXE, in time_unit */
	char app_key[PN_APPKEY_LEN];
	char record_hint_tone[PN_TONE_LEN];
	char last_min_voice[PN_TONE_LEN];
	char caller_hint_tone[PN_TONE_LEN]; /* preVoice.callerHintTone / preVoiceX */
	char callee_hint_tone[PN_TONE_LEN]; /* preVoice.calleeHintTone / preVoiceY */
	char callback_tone[PN_TONE_LEN];    /* AXE */
	char user_data[PN_USERDATA_LEN];
};

enum pn_change_op {
	PN_CHANGE_PUT = 1, /* binding created or modified (full new value) */
	PN_CHANGE_DEL = 2, /* binding removed (unbind or expiry) */
};

struct pn_change {
	uint64_t seq; /* changelog sequence number, strictly increasing from 1 */
	uint8_t op;   /* enum pn_change_op */
	struct pn_binding b;
};

/* subscriptionId string of an id: 16 lowercase hex digits, zero-padded, NUL-terminated. */
void pn_binding_subid_format(uint64_t id, char out[PN_SUBID_LEN]);
/* Parse a subscriptionId back. Returns 0 and sets *id, or PN_EINVAL. */
int pn_binding_subid_parse(const char *s, size_t len, uint64_t *id);

/*
 * msgpack codec of a change record. encode appends to a msgpack_sbuffer (opaque here so that
 * users that only decode need not include msgpack.h); returns 0 or PN_ENOMEM.
 * decode reads one record from buf[0..len): returns bytes consumed (>0), PN_INCOMPLETE when
 * more bytes are needed, or PN_EPARSE for anything malformed (never reads past len).
 */
struct msgpack_sbuffer;
int pn_change_encode(const struct pn_change *c, struct msgpack_sbuffer *out);
int pn_change_decode(const char *buf, size_t len, struct pn_change *out);

#endif /* PN_BINDING_H */
