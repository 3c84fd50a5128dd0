/*
 * pn_replica.h: the dataplane's in-memory binding replica. Worker lcores look bindings up
 * lock-free; one writer thread (dataplane/io/pn_sync.c) applies the control plane's change
 * stream to it in sequence order.
 *
 * Structure: one liburcu lock-free resizable hash table (cds_lfht, QSBR flavour; the writer
 * grows/shrinks it to 1.25..2.5 keys per bucket in a helper thread) holding every routing key, plus
 * a writer-private id index (open addressing, binding id -> entry) used to find the old keys of a
 * modified or deleted binding. An entry is one binding in a compact, read-only form (numbers
 * packed, tone names interned to 16-bit indexes, no userData): it embeds up to two lfht nodes, so a
 * binding reachable under two keys costs one object.
 *
 * Keys (each call is ONE lookup once the engine knows the mode of the dialled number X; spec
 * section 7). lookup_pair serves:
 *   PAIR(X, A) -> AXB binding   AXB: A dials X (-> B)
 *   PAIR(X, B) -> AXB binding   AXB: B dials X (-> A)
 *   PAIR(Y, A) -> YB entry      AXYB: A dials Y (-> B, shown X)
 *   PAIR(X, B) -> YB entry      AXYB: B dials X (-> A, shown Y)
 *   PAIR(X, A) -> AXE binding   AXE: A dials X (callback record side)
 * lookup_x serves:
 *   X(X) -> AX / AXYB-AX part   AX: anyone dials X (-> A; A itself -> temp callee);
 *                               AXYB: a caller without a YB part dials X
 * lookup_ext serves:
 *   EXT(X, E) -> AXE binding    AXE: the caller entered extension E
 *
 * The key kind is part of the hashed key, so the three key spaces never collide. For AXB the
 * engine checks e->a / e->b against the caller to pick the direction; for YB the entry carries
 * the AX part's X and A (copied when the YB part is applied; AXYB has no modify API), so no
 * second lookup is needed. A mode-agnostic caller may use pn_replica_lookup_call (PAIR, then X:
 * one lookup for AXB/YB/AXE-A, two for AX).
 *
 * Invariants:
 *  - An entry is immutable once published. A modify builds a new entry, publishes each of its
 *    keys with cds_lfht_add_replace (a key present before and after never misses), removes keys
 *    the new value no longer has, and retires the old entry; retired entries are freed by
 *    call_rcu after a grace period. Readers therefore never see a half-updated binding.
 *  - Expiry is checked at lookup against the caller's now_ms: an entry routes iff
 *    expires_ms == 0 || now_ms < expires_ms (so it stops routing AT expires_ms). The replica
 *    never reads a clock on the lookup path. Expired entries stay in memory until control's
 *    sweeper sends their DEL.
 *  - Changes apply in sequence order: seq must be last_seq + 1 (a gap is reported, nothing
 *    applied). Keys are unique: if two bindings claim one key (the store forbids it) the later
 *    write wins and conflicts are counted.
 *  - Hashing is SipHash-1-3 keyed with a random 128-bit seed drawn at create time, so callers
 *    cannot choose numbers that land in one bucket.
 *  - Resync (snapshot load) works in the live table while calls are routed: snapshot_begin
 *    flips a generation bit, each snapshot record is applied like a PUT (an unchanged binding is
 *    only marked, not rebuilt), snapshot_end deletes every binding the snapshot did not mention
 *    and sets last_seq. No second table, so memory stays ~1x, and a lookup during resync
 *    returns either the old or the new value of a binding, never nothing for a binding present
 *    in both.
 *
 * Threading:
 *  - Readers (worker lcores): registered QSBR threads (urcu_qsbr_register_thread), online. A
 *    returned entry stays valid until the reader's next urcu_qsbr_quiescent_state() (or
 *    offline). Lookups take no lock, make no system call, never allocate.
 *  - Writer: exactly one thread at a time calls pn_replica_apply, pn_replica_snapshot_*,
 *    pn_replica_flush; it must be a registered QSBR thread and online during those calls (it may
 *    go offline between them, e.g. before blocking on a socket). Writer calls may allocate.
 *  - pn_replica_create: any thread. pn_replica_destroy: a registered QSBR thread, with no
 *    concurrent reader or writer (it waits for a running resize and pending call_rcu frees).
 *  - Tones: YB entries carry preVoiceY in CALLER_HINT (A dials Y) and the AX part's preVoiceX in
 *    CALLEE_HINT (B dials X); AXE entries carry callbackTone in CALLEE_HINT.
 */
#ifndef PN_REPLICA_H
#define PN_REPLICA_H

#include <urcu/rculfhash.h>

#include "pn_binding.h"
#include "pn_common.h"

struct pn_replica;

/* Tone index 0 = no tone; pn_replica_tone_name turns an index back into the file name. */
#define PN_REPLICA_TONE_NONE 0
#define PN_REPLICA_TONES_MAX 65535

/* Bits of pn_replica_entry.flags. */
#define PN_REPLICA_F_PRIVATE_SMS 0x01 /* privateSms */
#define PN_REPLICA_F_TURN_ON     0x02 /* AX turnFlag on */
#define PN_REPLICA_F_DISPLAY     0x04 /* AX calleeNumDisplay / AXE displayNumMode = 1 */
#define PN_REPLICA_EXT_LEN(f)    (((f) >> 4) & 0x7) /* AXE extension digits (1..4) */

/* Indexes into pn_replica_entry.tone[]. */
enum pn_replica_tone_slot {
	PN_REPLICA_TONE_RECORD_HINT = 0, /* recordHintTone */
	PN_REPLICA_TONE_LAST_MIN = 1,    /* lastMinVoice */
	PN_REPLICA_TONE_CALLER_HINT = 2, /* preVoice.callerHintTone / preVoiceX (YB: preVoiceY) */
	PN_REPLICA_TONE_CALLEE_HINT = 3, /* preVoice.calleeHintTone; AXE: callbackTone */
};

/*
 * One binding as the dataplane sees it. 88 bytes; AXB bindings are exactly this, other modes
 * are followed by a struct pn_replica_ext (pn_replica_entry_ext). All fields read-only.
 */
struct pn_replica_entry {
	struct cds_lfht_node node[2]; /* private: lfht linkage (node[1] unused by AX/AXYB) */
	pn_num_t x;                   /* X; YB: Y */
	pn_num_t a;                   /* AXB/AX/AXYB/AXE: A; YB: B */
	pn_num_t b;                   /* AXB: B; AX: temp callee (see pn_replica_ax_callee);
	                                 YB: A of the AX part; AXE: callbackNum; else 0 */
	uint8_t mode;                 /* enum pn_mode */
	uint8_t direction;            /* enum pn_direction (YB: the AX part's) */
	uint8_t record;               /* recordFlag */
	uint8_t flags;                /* PN_REPLICA_F_*, extension length in bits 4..6 */
	uint16_t max_duration_min;    /* 0 = unlimited */
	uint16_t ext;                 /* AXE extension value */
	uint64_t id;                  /* binding id (subscriptionId = pn_binding_subid_format;
	                                 YB: use pn_replica_subid_id) */
	int64_t expires_ms; /* absolute, 0 = never (YB: min of its own and the AX part's) */
	uint16_t tone[4];   /* enum pn_replica_tone_slot -> tone index */
};

/* Extra fields of non-AXB entries (AX, AXYB, YB, AXE). */
struct pn_replica_ext {
	int64_t b_expires_ms; /* AX: temp callee expiry (0 = none) */
	pn_num_t peer_x;      /* YB: X of the AX part (what B dials; shown to B when A calls) */
	uint64_t parent_id;   /* YB: the AX part's id; else 0 */
	int64_t created_ms;   /* subscribeTime */
	uint32_t cb_expire_s; /* AXE: callback-record validity in s (0 = unlimited) */
	uint8_t time_unit;    /* AXE: 0 hours, 1 minutes (as bound) */
	uint8_t pad[3];
};

/* A lookup key for the batch call. */
struct pn_replica_key {
	pn_num_t x;      /* dialled number */
	pn_num_t caller; /* calling number */
};

/* ---- lifecycle ---- */

struct pn_replica_config {
	uint64_t seed[2];         /* hash key; both 0 = draw from getrandom() */
	unsigned long init_nodes; /* expected keys at start, sizes the table (0 = 1024) */
};

/* Create an empty replica (last_seq 0). cfg may be NULL. Returns NULL on allocation failure
 * (or getrandom failure). Any thread. */
struct pn_replica *pn_replica_create(const struct pn_replica_config *cfg);

/* Free everything. No reader may use r any more; waits for pending frees (rcu_barrier).
 * The calling thread must be a registered QSBR thread; it is put offline while waiting. */
void pn_replica_destroy(struct pn_replica *r);

/* ---- lookups (any registered QSBR thread, online; O(1), no lock, no allocation) ---- */

/* PAIR(x, caller): AXB (caller is A or B), YB (Y, A) and (X, B), AXE (X, A).
 * Returns the entry or NULL (no such key, or expired at now_ms). */
const struct pn_replica_entry *pn_replica_lookup_pair(struct pn_replica *r, pn_num_t x,
                                                      pn_num_t caller, int64_t now_ms);
/* X(x): AX and AXYB AX parts. Returns the entry or NULL (absent or expired). */
const struct pn_replica_entry *pn_replica_lookup_x(struct pn_replica *r, pn_num_t x,
                                                   int64_t now_ms);
/* EXT(x, ext): AXE. ext_len = digits entered (1..4), so "01" and "1" differ.
 * Returns the entry or NULL (absent, expired, or ext_len out of range). */
const struct pn_replica_entry *pn_replica_lookup_ext(struct pn_replica *r, pn_num_t x, uint16_t ext,
                                                     unsigned ext_len, int64_t now_ms);
/* PAIR, then X on a miss (for callers that do not know the mode of x). */
const struct pn_replica_entry *pn_replica_lookup_call(struct pn_replica *r, pn_num_t x,
                                                      pn_num_t caller, int64_t now_ms);

/*
 * Batch of PAIR lookups: out[i] = pn_replica_lookup_pair(r, keys[i].x, keys[i].caller, now_ms).
 * Hashes are computed first, then the lookups run back to back with the previous result
 * prefetched. Returns the number of hits.
 */
size_t pn_replica_lookup_pair_burst(struct pn_replica *r, const struct pn_replica_key *keys,
                                    size_t n, int64_t now_ms, const struct pn_replica_entry **out);

/* Extra fields of a non-AXB entry; NULL for AXB. */
static inline const struct pn_replica_ext *pn_replica_entry_ext(const struct pn_replica_entry *e)
{
	return e->mode == PN_MODE_AXB ? NULL : (const struct pn_replica_ext *)(e + 1);
}

/* The id whose subscriptionId the CDR and events report (a YB part reports its AX part's). */
static inline uint64_t pn_replica_subid_id(const struct pn_replica_entry *e)
{
	return e->mode == PN_MODE_YB ? pn_replica_entry_ext(e)->parent_id : e->id;
}

/* AX temporary callee valid at now_ms (b set and b_expires_ms == 0 or now_ms < b_expires_ms),
 * or PN_NUM_NONE (no callee: spec hang-up 8013). */
static inline pn_num_t pn_replica_ax_callee(const struct pn_replica_entry *e, int64_t now_ms)
{
	const struct pn_replica_ext *x = pn_replica_entry_ext(e);
	if (e->b == PN_NUM_NONE || x == NULL)
		return PN_NUM_NONE;
	if (x->b_expires_ms != 0 && now_ms >= x->b_expires_ms)
		return PN_NUM_NONE;
	return e->b;
}

/* Tone file name of an index, or NULL for PN_REPLICA_TONE_NONE / unknown. Any thread; the
 * string lives as long as the replica (interned names are never freed). */
const char *pn_replica_tone_name(struct pn_replica *r, uint16_t idx);

/* ---- writer (one thread, registered QSBR, online) ---- */

/*
 * Apply one change. Returns:
 *   0           applied; last_seq = c->seq
 *   PN_EAGAIN   gap: c->seq > last_seq + 1; nothing applied (resync needed)
 *   PN_EEXIST   c->seq <= last_seq: an old record, ignored
 *   PN_EINVAL   malformed (bad op/mode, missing number, seq 0): not applied, seq consumed
 *   PN_ENOENT   DEL of an unknown id, or YB whose AX part is absent: seq consumed
 *   PN_EFULL    tone table full: applied without the new tone names, seq consumed
 *   PN_ENOMEM   allocation failed: nothing applied, seq NOT consumed (retry or resync)
 * Cost: O(1) amortised; the id index doubles when 3/4 full (O(n) once).
 */
int pn_replica_apply(struct pn_replica *r, const struct pn_change *c);

/* Hand retired entries to call_rcu now (apply does it every 256 retirements; call before the
 * writer blocks so memory is not held). */
void pn_replica_flush(struct pn_replica *r);

/*
 * Resync in place. snapshot_begin starts a generation; snapshot_put applies one live binding
 * (same return codes as apply, minus the seq checks); snapshot_end(seq) deletes every binding
 * not put since begin, sets last_seq = seq and returns the number deleted (>= 0) or PN_EINVAL
 * (no snapshot in progress). A snapshot abandoned without end leaves a valid mix of old and
 * new values; the next begin starts over.
 */
void pn_replica_snapshot_begin(struct pn_replica *r);
int pn_replica_snapshot_put(struct pn_replica *r, const struct pn_binding *b);
int pn_replica_snapshot_end(struct pn_replica *r, uint64_t seq);

/* Resize the hash table to `buckets` (rounded up to a power of two, at least 1) now, in the
 * calling thread (blocks while it rehashes; readers and the writer keep working). For tools and
 * benchmarks: the writer resizes the table itself (1.25..2.5 keys per bucket, in a background
 * thread). Returns 0. Registered QSBR thread. */
int pn_replica_resize(struct pn_replica *r, unsigned long buckets);

/* Last applied sequence number (writer; readers may read it for monitoring). */
uint64_t pn_replica_last_seq(const struct pn_replica *r);

struct pn_replica_stats {
	uint64_t last_seq;
	uint64_t bindings;         /* live entries (including expired, not yet deleted) */
	uint64_t by_mode[7];       /* indexed by enum pn_mode */
	uint64_t keys;             /* lfht nodes */
	uint64_t applied;          /* changes applied */
	uint64_t gaps;             /* PN_EAGAIN returns */
	uint64_t rejected;         /* PN_EINVAL/PN_ENOENT returns */
	uint64_t conflicts;        /* keys taken over from another binding */
	uint64_t unchanged;        /* snapshot records identical to the live entry */
	uint64_t retired;          /* entries handed to call_rcu */
	uint64_t freed;            /* entries freed after a grace period */
	uint64_t tones;            /* interned tone names */
	uint64_t entry_bytes;      /* bytes of entries allocated (slab + ext) */
	uint64_t index_bytes;      /* bytes of the writer's id index */
	uint64_t snapshots;        /* completed snapshot loads */
	uint64_t snapshot_deleted; /* bindings dropped by snapshot_end */
	uint64_t buckets;          /* lfht buckets requested (1.25..2.5 keys per bucket) */
	uint8_t resizing;          /* a background resize is running */
};
/* Writer thread (or any thread, for approximate monitoring figures). */
void pn_replica_stats_get(const struct pn_replica *r, struct pn_replica_stats *out);

#endif /* PN_REPLICA_H */
