/*
 * pn_store.h: the durable binding store of privnum-control (RocksDB primary), its invariants,
 * the changelog that feeds the dataplanes, and the expiry sweeper.
 *
 * What lives in the database (one RocksDB, default column family, one-byte key prefixes; a
 * prefix per table keeps every operation's writes in ONE WriteBatch, which column families
 * would too, but prefixes keep open/repair trivial and the whole schema in one file):
 *   apps (app_key -> app record), the X number pool (X -> area code, owner app, status, cause)
 *   plus a per-app pool index by area code, bindings by id (msgpack struct pn_change), indexes
 *   by X, by (X, user number), by X owner (AX / AXYB-AX), by (app, A) for AX/AXYB, by (X, E)
 *   for AXE, YB parts by parent, by (app, AXE, created, id) for the AXE v2 cursor,
 *   an expiry index (expires_ms, id), the changelog (big-endian seq -> msgpack struct
 *   pn_change) and meta (next id, last seq). pn_store.c documents the exact key layout.
 *
 * Writes: GROUP COMMIT. Every mutating operation is a struct pn_store_op submitted with
 * pn_store_submit(). One committer thread takes everything pending (up to max_batch ops),
 * applies the operations in submission order into a per-round overlay (a hash of the latest
 * write per key, plus a WriteBatchWithIndex for the key ranges ops scan) so each op sees the
 * DB plus the writes of the ops before it in the same round, checks every invariant in one
 * place (pn_store_ops.c), writes the round as ONE key-sorted WriteBatch with sync=true, and
 * only then calls each op's callback with its result. Never sync=false: an acknowledged
 * operation survives a crash (kill -9, power loss of the page cache) with its indexes and
 * its changelog record, because they are in the same batch. A failed op is rolled back and
 * leaves nothing in the round. Why: one fdatasync costs ~200-230 us here, so one sync per
 * request caps near 4,000 binds/s; one sync per round amortises it over every request that
 * arrived meanwhile (bench/store_bench: 26-33k durable binds/s on this shared machine,
 * committer 27-40 us of CPU per bind; one sync per bind: ~1k/s). A failed RocksDB write
 * fails every op of its round with PN_STORE_EIO; nothing of it was acknowledged.
 *
 * Invariants (enforced by the committer only, so they can never race):
 *   - an app has exactly one mode; an op for another mode fails PN_STORE_WRONG_MODE;
 *   - X numbers belong to one app; a bind names an X of its own app (PN_STORE_X_NOT_OWNED)
 *     whose status is normal (PN_STORE_X_ABNORMAL);
 *   - AXB: a user number appears at most once per X (AXB+CXD ok, AXB+BXC not), A != B,
 *     at most 5000 pairs per X, duration 0..7776000, maxDuration 0..1440;
 *   - AX and AXYB-AX: one A per X; at most 5 X per A per app; an X carrying YB parts is not
 *     free for an AX part and vice versa; AX temporary callee duration 1..259200 (default 60);
 *   - AXE: (X, A) unique, (X, E) unique, E has the app's extension length (1..4 digits);
 *   - AXYB: duration 0 or 60..7776000, ybDuration 0 or 60..7776000 (clamped to duration),
 *     Y from the app's pool, Y not owned by an AX part, Y not twice for the same AX part,
 *     (Y, B) unique, at most 1000 YB relations per Y.
 *   - "Free X" for AXB: normal, neither user number on it, < 5000 pairs; for AX/AXYB: normal,
 *     no A on it and no YB on it. Area selection: areaMatchMode 0 (strict) only X of that
 *     area code; 1 (loose) that area, then the same province (a table of Chinese area-code
 *     ranges to provinces in pn_store.c; unknown codes fall back to "same first 3 digits",
 *     e.g. 075x), then any X of the app. No areaCode and no X: the area of A when A is a
 *     +86 fixed-line number, else any X of the app.
 *   - Expired-but-not-yet-swept bindings are absent for every read and every invariant (the
 *     committer removes such a binding, with its DEL record, when it is in the way).
 *
 * Changelog: every binding change appends one struct pn_change (PUT = full new value,
 * DEL = the removed binding) with seq = last_seq + 1, in the same batch as the change. Seqs
 * are gap-free and strictly increasing. Records are trimmed when every connected subscriber
 * acknowledged them (pn_store_changelog_trim, called by the stream server) and whenever more
 * than changelog_cap are kept. App and number admin changes do not produce records (the
 * dataplane needs only bindings; the app tones it needs travel by another path).
 *
 * Expiry: bindings with a duration expire at expires_ms exactly (injectable clock). The
 * sweeper thread sleeps on a condition variable until the earliest expiry (re-armed by every
 * commit that adds an earlier one), then submits PN_STORE_OP_EXPIRE ops through the same
 * committer, which writes the DEL records (AX temporary callees: a PUT clearing b).
 *
 * Threading: pn_store_open/close from one thread. pn_store_submit, pn_store_exec and every
 * read call (pn_store_get, pn_store_query*, pn_store_app_get, ...) from any thread,
 * concurrently. Callbacks run on the committer thread: they must not block long and must
 * not call pn_store_exec (deadlock); they may call pn_store_submit. Reads see committed
 * (durable) state only.
 */
#ifndef PN_STORE_H
#define PN_STORE_H

#include "pn_binding.h"
#include "pn_common.h"

struct pn_store;

/* Result of an operation. Control maps these to Huawei resultcodes (hint in brackets). */
enum pn_store_rc {
	PN_STORE_OK = 0,
	PN_STORE_EINVAL = 1,            /* bad field: result.field names it [1010002] */
	PN_STORE_NO_APP = 2,            /* app_key unknown [1010003 / 1020150] */
	PN_STORE_APP_DISABLED = 3,      /* app status not active [1010004] */
	PN_STORE_WRONG_MODE = 4,        /* app of another mode [1010040] */
	PN_STORE_X_NOT_OWNED = 5,       /* X unknown or of another app [1011001] */
	PN_STORE_X_NO_FREE = 6,         /* no free X matches [1011002] */
	PN_STORE_X_BOUND_OTHER_A = 7,   /* AX/AXYB: X already holds another A [1011005] */
	PN_STORE_PAIR_EXISTS = 8,       /* AXB: this A/B pair already on X [1012010] */
	PN_STORE_USER_ON_X = 9,         /* AXB/YB: a user number already on that X [1012010] */
	PN_STORE_TOO_MANY_X_FOR_A = 10, /* AX/AXYB: A already holds 5 X [1011002] */
	PN_STORE_X_FULL = 11,           /* 5000 pairs on X / 1000 relations on Y [1011002] */
	PN_STORE_EXT_TAKEN = 12,        /* AXE: extension already used on X [1016002] */
	PN_STORE_NO_EXT_FREE = 13,      /* AXE: no idle extension [1020167] */
	PN_STORE_NOT_FOUND = 14,        /* binding/app/number absent [1012007 / 1016001] */
	PN_STORE_EXISTS = 15,     /* record already exists (AX A+X, AXE A on X, app, X) [1016002] */
	PN_STORE_X_ABNORMAL = 16, /* X status not normal [1012102] */
	PN_STORE_EIO = 17,        /* RocksDB failure [1010001] */
	PN_STORE_EBUSY = 18,      /* number still carries bindings (remove refused) */
	PN_STORE_CLOSING = 19,    /* store is shutting down; op not applied */
	PN_STORE_TRIMMED = 20,    /* changelog: requested seq older than the oldest kept */
};

/* Short stable name of a result code ("X_FULL"), for logs and tests. */
const char *pn_store_rc_name(int rc);

/* App status and number status. */
enum pn_store_app_status { PN_APP_ACTIVE = 0, PN_APP_DISABLED = 1 };
enum pn_store_num_status { PN_NUM_NORMAL = 0, PN_NUM_UNAVAILABLE = 1 };

#define PN_STORE_URL_LEN    257
#define PN_STORE_NAME_LEN   65
#define PN_STORE_SECRET_LEN 65
#define PN_STORE_AREA_LEN   9 /* area code, e.g. "0755", digits only, NUL */

/* An application (one customer integration, one mode). */
struct pn_store_app {
	char app_key[PN_APPKEY_LEN];          /* generated (32 hex) when empty on create */
	char app_secret[PN_STORE_SECRET_LEN]; /* generated (32 hex) when empty on create */
	char name[PN_STORE_NAME_LEN];
	uint8_t mode;             /* enum pn_mode; fixed at creation */
	uint8_t status;           /* enum pn_store_app_status */
	uint8_t recording;        /* recording enabled for the app */
	uint8_t ext_len;          /* AXE extension digits 1..4 (default 4) */
	uint8_t repeat_collect;   /* AXE: how many times the extension prompt is repeated (0..9) */
	uint8_t x_default_action; /* X mode: action when the customer does not answer: 0 continue, 1
	                             release */
	char event_url[PN_STORE_URL_LEN];   /* call event webhook */
	char cdr_url[PN_STORE_URL_LEN];     /* CDR webhook */
	char xstatus_url[PN_STORE_URL_LEN]; /* X number status webhook ("" = disabled) */
	char tone_no_permission[PN_TONE_LEN];
	char tone_service_error[PN_TONE_LEN];
	char tone_no_binding[PN_TONE_LEN];
	char tone_ext_prompt[PN_TONE_LEN];
	char tone_ext_error[PN_TONE_LEN];
	int64_t created_ms;
};

/* Fields of struct pn_store_app applied by PN_STORE_OP_APP_UPDATE. */
enum {
	PN_APP_SET_NAME = 1u << 0,
	PN_APP_SET_STATUS = 1u << 1,
	PN_APP_SET_RECORDING = 1u << 2,
	PN_APP_SET_URLS = 1u << 3,  /* event_url, cdr_url, xstatus_url */
	PN_APP_SET_TONES = 1u << 4, /* the five tone_* fields */
	PN_APP_SET_EXT = 1u << 5,   /* ext_len, repeat_collect */
	PN_APP_SET_XMODE = 1u << 6, /* x_default_action */
	PN_APP_SET_SECRET = 1u << 7,
};

/* One number of the pool. */
struct pn_store_num {
	pn_num_t x;
	char area_code[PN_STORE_AREA_LEN];
	char app_key[PN_APPKEY_LEN]; /* owner */
	uint8_t status;              /* enum pn_store_num_status */
	uint8_t cause; /* when unavailable: 1 deleted, 2 arrears, 3 suspended, 5..9 (spec 4.4) */
	int64_t updated_ms;
	uint32_t relations; /* read-only: AXB pairs / YB relations / AXE bindings on it */
	uint8_t owned;      /* read-only: carries an AX / AXYB-AX binding */
};

/* Called by the committer after a number's status changed durably (webhook hook). */
typedef void (*pn_store_num_status_fn)(void *arg, const struct pn_store_num *before,
                                       const struct pn_store_num *after);

enum pn_store_op_type {
	PN_STORE_OP_NONE = 0,
	/* admin */
	PN_STORE_OP_APP_CREATE, /* op.app; fills result.app (generated key/secret) */
	PN_STORE_OP_APP_UPDATE, /* op.app.app_key selects, op.set_mask = PN_APP_SET_* */
	PN_STORE_OP_NUM_ADD,    /* op.num (x, area_code, app_key, status) */
	PN_STORE_OP_NUM_REMOVE, /* op.num.x; refused with EBUSY while bindings use it */
	PN_STORE_OP_NUM_STATUS, /* op.num.x, status, cause; calls the num_status hook */
	/* AXB */
	PN_STORE_OP_AXB_BIND,   /* b.x (0 = pick by area), b.a, b.b, fields; area/area_mode */
	PN_STORE_OP_AXB_MODIFY, /* id, set_mask = PN_SET_*, values in b */
	PN_STORE_OP_AXB_UNBIND, /* id, or (id == 0) all bindings on sel_x; result.count */
	/* AX */
	PN_STORE_OP_AX_BIND,       /* b.x (0 = pick), b.a, fields */
	PN_STORE_OP_AX_MODIFY,     /* id or sel_a + sel_x; set_mask; b.a may change A */
	PN_STORE_OP_AX_UNBIND,     /* id or sel_a + sel_x */
	PN_STORE_OP_AX_SET_CALLEE, /* id or sel_a + sel_x; b.b callee, callee_duration_s,
	                              b.user_data */
	/* AXE */
	PN_STORE_OP_AXE_BIND, /* b.x (0 = pick), b.a, b.ext_len/b.ext (ext_len 0 = auto), fields */
	PN_STORE_OP_AXE_MODIFY, /* id or sel_x + sel_ext; set_mask */
	PN_STORE_OP_AXE_UNBIND, /* id or sel_x + sel_ext */
	/* AXYB */
	PN_STORE_OP_AXYB_BIND_AX, /* b.a, b.x (0 = pick), duration_s, yb_duration_s, fields */
	PN_STORE_OP_AXYB_BIND_YB, /* id = AX part, b.a = B, b.x = Y (0 = pick), yb_duration_s */
	PN_STORE_OP_AXYB_UNBIND,  /* id = AX part: all; with sel_y or sel_b: that YB only */
	/* internal: the sweeper's removal (id, expect_ms); public for tests */
	PN_STORE_OP_EXPIRE,
};

/* Fields of op.b applied by the *_MODIFY ops ("absent = unchanged"). */
enum {
	PN_SET_A = 1u << 0, /* AXB callerNum; AX origNum */
	PN_SET_B = 1u << 1, /* AXB calleeNum */
	PN_SET_DIRECTION = 1u << 2,
	PN_SET_DURATION = 1u << 3, /* AXB duration_s; restarts from now */
	PN_SET_MAX_DURATION = 1u << 4,
	PN_SET_LAST_MIN_VOICE = 1u << 5,
	PN_SET_PRIVATE_SMS = 1u << 6,
	PN_SET_PRE_VOICE = 1u << 7, /* caller_hint_tone, callee_hint_tone */
	PN_SET_RECORD = 1u << 8,
	PN_SET_RECORD_HINT = 1u << 9,
	PN_SET_USER_DATA = 1u << 10,
	PN_SET_DISPLAY = 1u << 11,   /* AX calleeNumDisplay, AXE displayNumMode */
	PN_SET_TURN = 1u << 12,      /* AX turnFlag */
	PN_SET_CALLBACK = 1u << 13,  /* AXE callback_tone + callback_num ("" / 0 clears) */
	PN_SET_AXE_TIMES = 1u << 14, /* AXE time_unit, bind_expired_time, callback_expired_time;
	                              * bind expiry restarts from now */
};

#define PN_STORE_AXB_MAX_DURATION 7776000u
#define PN_STORE_MAX_CALL_MIN     1440u
#define PN_STORE_AXB_MAX_PAIRS    5000u
#define PN_STORE_MAX_X_PER_A      5u
#define PN_STORE_Y_MAX_RELATIONS  1000u
#define PN_STORE_CALLEE_MAX_S     259200u
#define PN_STORE_CALLEE_DEFAULT_S 60u

/* One operation. Zero it, set type, app_key and what the type uses. */
struct pn_store_op {
	uint8_t type;                        /* enum pn_store_op_type */
	char app_key[PN_APPKEY_LEN];         /* every binding op: the calling app */
	uint64_t id;                         /* subscriptionId / AX part id / EXPIRE target */
	pn_num_t sel_x, sel_a, sel_b, sel_y; /* alternative selectors (see op types) */
	uint16_t sel_ext;                    /* AXE (X, E) selector, with sel_ext_set */
	uint8_t sel_ext_set;
	char area_code[PN_STORE_AREA_LEN]; /* bind: wanted area of X ("" = none) */
	uint8_t area_mode;                 /* 0 strict, 1 loose */
	uint32_t set_mask;                 /* *_MODIFY: PN_SET_*; APP_UPDATE: PN_APP_SET_* */
	uint32_t callee_duration_s;        /* AX_SET_CALLEE: 1..259200, 0 = default 60 */
	int64_t expect_ms;       /* EXPIRE: the expiry the sweeper saw (0 = any past one) */
	uint8_t expire_kind;     /* EXPIRE: 0 binding, 1 AX temporary callee */
	struct pn_binding b;     /* values (bind/modify); id, created_ms, expires_ms ignored */
	struct pn_store_app app; /* APP_CREATE / APP_UPDATE */
	struct pn_store_num num; /* NUM_* */
};

struct pn_store_result {
	int rc;            /* enum pn_store_rc */
	const char *field; /* EINVAL: the API field name at fault (static string), else NULL */
	uint64_t seq;      /* seq of the last changelog record written, 0 if none */
	uint32_t count;    /* unbind: bindings removed */
	struct pn_binding
	    b; /* bind/modify/set-callee: the binding as stored; unbind by id: the removed one */
	struct pn_store_app app; /* APP_CREATE / APP_UPDATE: the stored app */
};

/* Called once per submitted op, on the committer thread, after the round is durable. */
typedef void (*pn_store_cb)(void *arg, const struct pn_store_op *op,
                            const struct pn_store_result *res);

/* Clock in ms since the epoch; tests inject a fake one. */
typedef int64_t (*pn_store_clock_fn)(void *arg);

struct pn_store_config {
	const char *path;          /* RocksDB directory (created if missing) */
	size_t changelog_cap;      /* max records kept (0 = 1,000,000) */
	size_t changelog_keep_min; /* ack-based trim keeps at least this many (0 = 10,000) */
	unsigned max_batch;        /* max ops per group-commit round (0 = 4096) */
	size_t queue_cap; /* max pending ops; submit fails with PN_EAGAIN beyond (0 = 65536) */
	int no_sweeper;   /* 1: no sweeper thread (tests drive PN_STORE_OP_EXPIRE) */
	pn_store_clock_fn clock; /* NULL = CLOCK_REALTIME */
	void *clock_arg;
	/* Called by the committer after every round that wrote changelog records. */
	void (*on_commit)(void *arg, uint64_t last_seq);
	void *on_commit_arg;
	pn_store_num_status_fn on_num_status;
	void *on_num_status_arg;
};

/*
 * Open (creating if missing) the store, recover next id / last seq, start the committer
 * (and the sweeper unless no_sweeper). Returns 0 and *out, PN_EINVAL (no path), PN_EIO (RocksDB
 * refused, e.g. locked by another process: the message goes to stderr) or PN_ENOMEM.
 */
int pn_store_open(const struct pn_store_config *cfg, struct pn_store **out);

/*
 * Stop accepting ops, commit everything already submitted (their callbacks run), stop the
 * threads, close RocksDB and free. NULL is a no-op.
 */
void pn_store_close(struct pn_store *st);

/*
 * Queue one op (copied). cb(arg, op, res) runs later on the committer thread. Returns 0,
 * PN_EAGAIN (queue full: back-pressure, answer "flow control" 1010010), PN_EPERM (closing)
 * or PN_ENOMEM. On error cb is not called. Never blocks on I/O.
 */
int pn_store_submit(struct pn_store *st, const struct pn_store_op *op, pn_store_cb cb, void *arg);

/*
 * Submit and wait for the result (blocks for one group-commit round, ~0.3-10 ms). Returns
 * res->rc (also PN_STORE_CLOSING / PN_STORE_EIO when the submit itself failed). Not from a
 * callback.
 */
int pn_store_exec(struct pn_store *st, const struct pn_store_op *op, struct pn_store_result *res);

/* The clock the store uses (config clock or CLOCK_REALTIME), ms since the epoch. */
int64_t pn_store_now(struct pn_store *st);

/* ---- reads: any thread, committed state, expired bindings are absent ---- */

/* Binding by id (any mode). app_key NULL = any app. PN_STORE_OK, NOT_FOUND or EIO. */
int pn_store_get(struct pn_store *st, const char *app_key, uint64_t id, struct pn_binding *out);

struct pn_store_query {
	const char *app_key; /* required */
	uint8_t mode;        /* PN_MODE_AXB / AX / AXE / AXYB */
	uint64_t id;         /* priority selector */
	pn_num_t x, a, b;    /* AXB: x (+a, +b); AX: a or x; AXE: x (+ext); AXYB: x */
	uint16_t ext;
	uint8_t ext_set;
	uint32_t page_index; /* AXB: from 1 (0 = 1) */
	uint32_t page_size;  /* AXB: 10..100 (else 50); AXE v2: limit 1..100 (else 50) */
	const char *cursor;  /* AXE v2: "\d{13}_\d{1,20}" (NULL = first page) */
};

struct pn_store_page {
	uint32_t total;       /* matching bindings in all pages */
	uint32_t n;           /* filled into the out array */
	char next_cursor[40]; /* AXE v2: cursor of the next page, "" when no more */
};

/*
 * Query bindings. Fills out[0..cap) and page. AXB: by id, or X (paged, ordered by id), X+A,
 * X+B, X+A+B. AX: id > a > x (A: all its X). AXE: id, x+ext, or (v2) the app's AXE bindings
 * ordered by (created_ms, id) from cursor. AXYB: id or x: the AX part first, then its YB parts.
 * Returns PN_STORE_OK (page->n may be 0 only for listings), NOT_FOUND (a selector matched
 * nothing), EINVAL (field says which: "cursor", "relationNum", ...) or EIO.
 */
int pn_store_query(struct pn_store *st, const struct pn_store_query *q, struct pn_binding *out,
                   size_t cap, struct pn_store_page *page);

/* App by key: PN_STORE_OK / NOT_FOUND / EIO. */
int pn_store_app_get(struct pn_store *st, const char *app_key, struct pn_store_app *out);
/* Apps ordered by key, from after `after` ("" = first). Returns count (>= 0) or -PN_STORE_EIO. */
int pn_store_app_list(struct pn_store *st, const char *after, struct pn_store_app *out, size_t cap);
/* Number record: PN_STORE_OK / NOT_FOUND / EIO. */
int pn_store_num_get(struct pn_store *st, pn_num_t x, struct pn_store_num *out);
/* Numbers of an app (app_key NULL = all), ordered by X, after `after` (0 = first). Count or -EIO.
 */
int pn_store_num_list(struct pn_store *st, const char *app_key, pn_num_t after,
                      struct pn_store_num *out, size_t cap);

/* ---- changelog and snapshot (the change stream's source) ---- */

/* Last committed seq (0 = none yet) and the oldest kept (last + 1 when none kept). */
uint64_t pn_store_last_seq(struct pn_store *st);
uint64_t pn_store_first_seq(struct pn_store *st);

/* Raw record visitor: bytes are a msgpack struct pn_change (pn_change_decode). Return
 * nonzero to stop. */
typedef int (*pn_store_log_fn)(void *arg, uint64_t seq, const char *rec, size_t len);

/*
 * Visit committed records from from_seq (>= 1) in order, at most max, stopping early when
 * fn returns nonzero. Returns the number visited (>= 0), -PN_STORE_TRIMMED when from_seq <
 * pn_store_first_seq (the subscriber must resync), or -PN_STORE_EIO.
 */
long pn_store_changelog_read(struct pn_store *st, uint64_t from_seq, size_t max, pn_store_log_fn fn,
                             void *arg);

/*
 * Allow trimming every record <= upto_seq (all connected subscribers acknowledged them);
 * the committer deletes them on its next idle moment, keeping changelog_keep_min records.
 */
void pn_store_changelog_trim(struct pn_store *st, uint64_t upto_seq);

/*
 * Consistent snapshot of every live binding. open returns NULL on error; *seq = the last seq
 * the snapshot reflects (apply the stream from *seq + 1). next returns 1 and fills out, 0 at
 * the end, or PN_EIO. Bindings expired at open time are skipped. Any thread; the snapshot
 * pins RocksDB files until closed, so do not keep it open for long.
 */
struct pn_store_snap;
struct pn_store_snap *pn_store_snapshot_open(struct pn_store *st, uint64_t *seq);
int pn_store_snapshot_next(struct pn_store_snap *sn, struct pn_binding *out);
void pn_store_snapshot_close(struct pn_store_snap *sn);
/* Convenience: visit all; fn returns nonzero to stop. Returns 0, PN_EIO or PN_ENOMEM. */
int pn_store_snapshot_iterate(struct pn_store *st, uint64_t *seq,
                              int (*fn)(void *arg, const struct pn_binding *b), void *arg);

/* Wake the sweeper now (tests call it after advancing an injected clock). Any thread. */
void pn_store_sweeper_kick(struct pn_store *st);
/* Run expiry in the calling thread until nothing is due at the store's now (for stores opened
 * with no_sweeper). Returns how many EXPIRE ops were submitted. Not from a callback. */
size_t pn_store_sweep(struct pn_store *st);

/* Counters for stats/benchmarks. */
struct pn_store_stats {
	uint64_t ops;           /* ops committed (any result) */
	uint64_t rounds;        /* sync writes */
	uint64_t max_round;     /* largest round */
	uint64_t expired;       /* bindings removed by expiry */
	uint64_t trimmed;       /* changelog records deleted */
	uint64_t commit_cpu_us; /* CPU time of the committer thread (apply + write + callbacks):
	                         * ops / this bounds what one free core can commit */
};
void pn_store_stats_get(struct pn_store *st, struct pn_store_stats *out);

#endif /* PN_STORE_H */
