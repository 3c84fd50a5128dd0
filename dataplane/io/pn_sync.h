/*
 * pn_sync.h: the dataplane's change-stream client. A non-worker thread that keeps a binding
 * replica (storage/pn_replica.h) current from privnum-control's change stream
 * (storage/pn_stream.h, UNIX socket), and hands engine event frames to a spool.
 *
 * What the thread does:
 *  - connects to the control socket; sends HELLO{last applied + 1}, or SNAPSHOT_REQ when the
 *    replica must be reloaded (server said RESYNC, or the replica saw a gap);
 *  - applies CHANGE frames in order (pn_replica_apply), loads snapshots in place
 *    (pn_replica_snapshot_begin/put/end, so workers keep routing calls during a resync), then
 *    follows the stream from the snapshot's seq + 1 on the same connection;
 *  - acknowledges applied records and sends heartbeats (pn_stream_sub_tick); a silent peer is
 *    dropped after PN_STREAM_DEAD_MS;
 *  - on any error (connect refused, EOF, protocol error, bad frame) closes and reconnects
 *    with exponential backoff (backoff_min_ms doubling up to backoff_max_ms, reset after the
 *    first frame of a healthy connection);
 *  - optionally drains engine event frames (event_pop) and appends them to event_spool as
 *    length-prefixed records (u32 big-endian length, then the frame), or counts them dropped.
 *
 * Threading: the thread registers as a liburcu QSBR reader (replica updates run inside a
 * read-side section), is online only while it applies a batch of frames, reports a quiescent
 * state after every batch and goes offline before it blocks in poll(). Replaced and deleted
 * entries are freed through call_rcu by the replica. pn_sync_create/destroy/stats/wait may be
 * called from any thread; one pn_sync per replica (the replica has one writer).
 */
#ifndef PN_SYNC_H
#define PN_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "pn_replica.h"

struct pn_sync;

struct pn_sync_config {
	const char *socket_path;    /* control's stream socket (required) */
	struct pn_replica *replica; /* kept current; not owned (required) */
	unsigned backoff_min_ms;    /* first reconnect delay (0 = 50) */
	unsigned backoff_max_ms;    /* cap of the doubling delay (0 = 2000) */
	/* Optional event source: copies the next frame into buf, returns its length, 0 = none. */
	size_t (*event_pop)(void *ctx, void *buf, size_t cap);
	void *event_ctx;
	const char *event_spool; /* file to append event frames to (NULL: count them dropped) */
};

/* Start the thread. Returns 0 and *out, PN_EINVAL (missing socket_path/replica, path too
 * long), PN_EIO (spool file or thread could not be created) or PN_ENOMEM. */
int pn_sync_create(const struct pn_sync_config *cfg, struct pn_sync **out);

/* Stop the thread (it closes the connection) and free. NULL is a no-op. Does not destroy
 * the replica. */
void pn_sync_destroy(struct pn_sync *s);

enum pn_sync_state {
	PN_SYNC_DISCONNECTED = 0,
	PN_SYNC_SNAPSHOT = 1,  /* loading a snapshot */
	PN_SYNC_STREAMING = 2, /* following the change stream */
};

struct pn_sync_stats {
	uint8_t state;         /* enum pn_sync_state */
	uint64_t last_seq;     /* replica's last applied seq */
	uint64_t server_seq;   /* server's last known seq (lag = server_seq - last_seq) */
	uint64_t connects;     /* successful connects */
	uint64_t connect_fail; /* failed connect attempts */
	uint64_t disconnects;  /* connections closed (error, EOF, dead peer, resync) */
	uint64_t proto_errors; /* bad frames, gaps, unexpected frames, ERROR from the server */
	uint64_t resyncs;      /* RESYNC answers from the server */
	uint64_t snapshots;    /* snapshots loaded completely */
	uint64_t applied;      /* CHANGE records applied */
	uint64_t apply_errors; /* records the replica rejected (PN_EINVAL / PN_ENOENT) */
	uint64_t acks;         /* ACK / HEARTBEAT frames sent */
	uint64_t events_spooled;
	uint64_t events_dropped;
};
void pn_sync_stats_get(struct pn_sync *s, struct pn_sync_stats *out);

/* Block until the replica applied seq (last_seq >= seq) or timeout_ms passed.
 * Returns 0, or PN_EAGAIN on timeout. */
int pn_sync_wait(struct pn_sync *s, uint64_t seq, int timeout_ms);

/* The pn_sync_start/pn_sync_stop hook of pn_io.h runs one pn_sync on a replica it creates.
 * Its statistics: 0 and *out, or PN_ENOENT when that hook runs no sync thread. Any thread. */
int pn_sync_hook_stats(struct pn_sync_stats *out);

#endif /* PN_SYNC_H */
