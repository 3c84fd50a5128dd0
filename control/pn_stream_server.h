/*
 * pn_stream_server.h: the change-stream server of privnum-control. One thread serves every
 * subscriber (dataplane, privnum-stream-dump) over a UNIX stream socket with the protocol of
 * storage/pn_stream.h, reading the store's changelog and snapshots.
 *
 * How live changes flow: the store's on_commit hook calls pn_stream_server_notify(), which
 * wakes the thread (eventfd); for every streaming subscriber the thread reads the changelog
 * from that subscriber's next seq. The changelog is the only source of CHANGE frames, so a
 * subscriber sees every seq exactly once, in order, whether it was behind or live.
 * Back-pressure: a subscriber's output buffer is bounded; records are read only when it has
 * room, so a slow subscriber never costs memory (it falls behind in the log, and gets RESYNC
 * if the log is trimmed past it by the size cap).
 * Trimming: after every ACK the server calls pn_store_changelog_trim(min acked seq over the
 * connected streaming subscribers). With no subscriber connected it trims nothing (only the
 * store's size cap applies), so a restarting dataplane can resume without a snapshot.
 * Dead peers: a HEARTBEAT goes out every PN_STREAM_HEARTBEAT_MS of idleness; a peer silent
 * for PN_STREAM_DEAD_MS is closed.
 *
 * Threading: start/stop from one thread; notify from any thread (async-signal-unsafe, but
 * lock-free: one write to an eventfd).
 */
#ifndef PN_STREAM_SERVER_H
#define PN_STREAM_SERVER_H

#include "pn_store.h"

struct pn_stream_server;

struct pn_stream_server_config {
	const char *socket_path; /* created (an existing socket file is replaced), mode 0660 */
	unsigned max_clients;    /* 0 = 64 */
	size_t out_buf;          /* per-client output buffer bytes (0 = 256 KiB) */
};

/*
 * Bind the socket and start the thread. Returns 0 and *out, PN_EINVAL (path too long),
 * PN_EIO (socket/bind/listen failed; errno kept) or PN_ENOMEM.
 */
int pn_stream_server_start(struct pn_store *st, const struct pn_stream_server_config *cfg,
                           struct pn_stream_server **out);

/* Wake the thread: new records up to last_seq are committed. Matches the signature of
 * pn_store_config.on_commit (pass the server as its arg). NULL server is a no-op. */
void pn_stream_server_notify(void *server, uint64_t last_seq);

/* Close every connection, stop the thread, unlink the socket, free. NULL is a no-op. */
void pn_stream_server_stop(struct pn_stream_server *srv);

struct pn_stream_server_stats {
	uint32_t clients;   /* connected now */
	uint64_t accepted;  /* connections accepted */
	uint64_t changes;   /* CHANGE frames sent */
	uint64_t snap_recs; /* SNAP_REC frames sent */
	uint64_t resyncs;   /* RESYNC answers */
	uint64_t dead;      /* closed for silence or protocol error */
};
void pn_stream_server_stats_get(struct pn_stream_server *srv, struct pn_stream_server_stats *out);

#endif /* PN_STREAM_SERVER_H */
