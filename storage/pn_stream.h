/*
 * pn_stream.h: the binding change-stream wire protocol between privnum-control (server,
 * control/pn_stream_server.c) and each dataplane (subscriber), sans-I/O: frame encode/decode
 * and the subscriber's state machine. No sockets here; the caller moves the bytes.
 *
 * Transport: a UNIX stream socket. Every frame is
 *     u32 length (big-endian, of what follows: 1 + payload)   u8 type   payload
 * with length 1..PN_STREAM_MAX_FRAME. Integers are big-endian. Frames:
 *
 *   dir  type              payload
 *   c->s HELLO             u8 version (=1), u64 from_seq: the first seq wanted (0 means 1)
 *   c->s SNAPSHOT_REQ      u8 version (=1)
 *   c->s ACK               u64 seq: every record <= seq is applied (server may trim them)
 *   both HEARTBEAT         u64 seq: sender's last committed (server) / applied (client) seq
 *   s->c CHANGE            msgpack struct pn_change (pn_change_encode), seq in the record
 *   s->c RESYNC            u64 current_seq: from_seq is no longer (or not yet) in the log;
 *                          load a snapshot, then reconnect with HELLO{current_seq + 1}
 *   s->c SNAP_REC          msgpack struct pn_change, op = PUT: one live binding
 *   s->c SNAPSHOT_END      u64 seq: the snapshot is consistent with the log up to seq
 *   s->c ERROR             u16 code (enum pn_err negated), then UTF-8 text (<= 200 bytes)
 *
 * Guarantees of the server: after HELLO{n} (and no RESYNC) it sends CHANGE frames with seqs
 * n, n+1, n+2, ... in order with no gap and no duplicate, first the records already in the
 * log, then live ones as they commit. A server sends HEARTBEAT at least every
 * PN_STREAM_HEARTBEAT_MS while idle; either side closes a connection silent for
 * PN_STREAM_DEAD_MS. A snapshot connection (SNAPSHOT_REQ) gets SNAP_REC* SNAPSHOT_END and
 * may then send HELLO{seq + 1} on the same connection to follow the stream.
 *
 * The subscriber state machine (struct pn_stream_sub) checks those guarantees: it turns a
 * decoded frame into an action for the replica (apply, reset-and-load snapshot, ...), flags
 * a gap or duplicate as a protocol error (reconnect), and says when an ACK is due.
 *
 * No allocation; decoders never read past len; safe from any thread (per object: one thread).
 */
#ifndef PN_STREAM_H
#define PN_STREAM_H

#include "pn_binding.h"
#include "pn_common.h"

#define PN_STREAM_VERSION        1
#define PN_STREAM_MAX_FRAME      65536 /* largest length field accepted */
#define PN_STREAM_HDR            5     /* u32 length + u8 type */
#define PN_STREAM_HEARTBEAT_MS   1000
#define PN_STREAM_DEAD_MS        5000
#define PN_STREAM_ACK_EVERY      256 /* subscriber acks at least every N records ... */
#define PN_STREAM_ACK_MS         200 /* ... or every this many ms when behind */
#define PN_STREAM_DEFAULT_SOCKET "/run/privnum/stream.sock"

enum pn_stream_type {
	PN_STREAM_HELLO = 1,
	PN_STREAM_SNAPSHOT_REQ = 2,
	PN_STREAM_ACK = 3,
	PN_STREAM_HEARTBEAT = 4,
	PN_STREAM_CHANGE = 5,
	PN_STREAM_RESYNC = 6,
	PN_STREAM_SNAP_REC = 7,
	PN_STREAM_SNAPSHOT_END = 8,
	PN_STREAM_ERROR = 9,
};

/* A decoded frame. Which fields are set depends on type. */
struct pn_stream_frame {
	uint8_t type;    /* enum pn_stream_type */
	uint8_t version; /* HELLO, SNAPSHOT_REQ */
	uint64_t seq;    /* HELLO from_seq, ACK, HEARTBEAT, RESYNC, SNAPSHOT_END; CHANGE/SNAP_REC:
	                    change.seq */
	int16_t code;    /* ERROR */
	struct pn_span text;     /* ERROR: points into the input buffer */
	struct pn_change change; /* CHANGE, SNAP_REC */
};

/*
 * Decode one frame from buf[0..len). Returns bytes consumed (> 0), PN_INCOMPLETE (need more
 * bytes; at most PN_STREAM_HDR + PN_STREAM_MAX_FRAME are ever needed) or PN_EPARSE (bad
 * length, unknown type, wrong payload size, bad msgpack, trailing bytes inside the frame,
 * unsupported version). A PN_EPARSE stream cannot be resynchronised: close it.
 */
int pn_stream_decode(const uint8_t *buf, size_t len, struct pn_stream_frame *out);

/*
 * Encoders write one frame into out[0..cap). Return bytes written (> 0) or PN_EFULL when
 * cap is too small (nothing useful written).
 */
int pn_stream_encode_hello(uint8_t *out, size_t cap, uint64_t from_seq);
int pn_stream_encode_snapshot_req(uint8_t *out, size_t cap);
/* ACK, HEARTBEAT, RESYNC, SNAPSHOT_END: a u64 payload. PN_EINVAL for other types. */
int pn_stream_encode_u64(uint8_t *out, size_t cap, uint8_t type, uint64_t seq);
int pn_stream_encode_error(uint8_t *out, size_t cap, int code, const char *text);
/* CHANGE / SNAP_REC from an already msgpack-encoded record (the changelog's bytes). */
int pn_stream_encode_record(uint8_t *out, size_t cap, uint8_t type, const char *rec, size_t len);
/* CHANGE / SNAP_REC from a struct. PN_ENOMEM if msgpack could not allocate. */
int pn_stream_encode_change(uint8_t *out, size_t cap, uint8_t type, const struct pn_change *c);

/* ---- subscriber state machine ---- */

enum pn_stream_sub_state {
	PN_SUB_IDLE = 0,    /* not connected */
	PN_SUB_SNAPSHOT,    /* SNAPSHOT_REQ sent, receiving SNAP_REC */
	PN_SUB_STREAMING,   /* HELLO sent, receiving CHANGE */
	PN_SUB_NEED_RESYNC, /* server said RESYNC: load a snapshot */
};

struct pn_stream_sub {
	uint8_t state;       /* enum pn_stream_sub_state */
	uint64_t applied;    /* last seq applied to the replica (0 = nothing) */
	uint64_t acked;      /* last seq acknowledged to the server */
	uint64_t server_seq; /* server's last seq from HEARTBEAT / RESYNC / SNAPSHOT_END */
	int64_t last_rx_ms;  /* time of the last frame received */
	int64_t last_tx_ms;  /* time of the last frame sent (ACK or HEARTBEAT) */
	uint64_t snap_count; /* SNAP_REC frames in the current snapshot */
};

/* What the caller must do with a frame. */
enum pn_stream_action {
	PN_SUB_ACT_NONE = 0,    /* nothing (heartbeat) */
	PN_SUB_ACT_APPLY,       /* apply frame.change (PUT or DEL) to the replica */
	PN_SUB_ACT_SNAP_BEGIN,  /* first SNAP_REC: clear the replica's staging, then apply it */
	PN_SUB_ACT_SNAP_PUT,    /* apply frame.change (a PUT) to the snapshot being loaded */
	PN_SUB_ACT_SNAP_END,    /* snapshot complete at frame.seq: swap it in, send HELLO{seq+1} */
	PN_SUB_ACT_RESYNC,      /* close, load a snapshot (SNAPSHOT_REQ), then HELLO again */
	PN_SUB_ACT_PROTO_ERROR, /* gap, duplicate, unexpected frame or ERROR: close and reconnect */
};

/* Start from a replica that has applied everything up to `applied` (0 = empty). */
void pn_stream_sub_init(struct pn_stream_sub *s, uint64_t applied);

/* Build the frame that opens a connection: HELLO{applied + 1}, or SNAPSHOT_REQ when the
 * state is NEED_RESYNC or want_snapshot. Returns bytes written or PN_EFULL. */
int pn_stream_sub_open(struct pn_stream_sub *s, int want_snapshot, int64_t now_ms, uint8_t *out,
                       size_t cap);

/* Feed one decoded frame received at now_ms. Returns an enum pn_stream_action. For APPLY
 * the state already counts the change as applied (call it only once the replica applied
 * it, or treat a failed apply as a reason to reconnect). */
int pn_stream_sub_on_frame(struct pn_stream_sub *s, const struct pn_stream_frame *f,
                           int64_t now_ms);

/* The connection dropped: back to IDLE (keeps applied, or NEED_RESYNC if it was set). */
void pn_stream_sub_disconnected(struct pn_stream_sub *s);

/*
 * Periodic duty at now_ms: writes an ACK (when PN_STREAM_ACK_EVERY records or PN_STREAM_ACK_MS
 * passed since the last ack with something unacked) or a HEARTBEAT (nothing sent for
 * PN_STREAM_HEARTBEAT_MS) into out. Returns bytes written (0 = nothing due), PN_EFULL, or
 * PN_EAGAIN when the peer was silent for PN_STREAM_DEAD_MS (close and reconnect).
 */
int pn_stream_sub_tick(struct pn_stream_sub *s, int64_t now_ms, uint8_t *out, size_t cap);

#endif /* PN_STREAM_H */
