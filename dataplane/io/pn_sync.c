/*
 * pn_sync.c: the change-stream client thread (see pn_sync.h), and the pn_sync_start /
 * pn_sync_stop hook that dataplane/io calls (pn_io.h).
 *
 * One thread, one socket, poll() with a short timeout for the periodic duties (ACK,
 * heartbeat, dead-peer check, event drain). Frames are decoded in place from a receive buffer
 * of twice the largest frame; the protocol rules live in the sans-I/O subscriber
 * (pn_stream_sub_*), this file only moves bytes and calls the replica.
 */
#include "pn_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>

#include "pn_io.h"
#include "pn_stream.h"

#define RX_CAP       (2 * (PN_STREAM_HDR + PN_STREAM_MAX_FRAME))
#define POLL_MS      20
#define EVENT_BUF    4096
#define FRAMES_PER_Q 1024 /* quiescent state at least every this many frames */

struct pn_sync {
	struct pn_sync_config cfg;
	char *socket_path;
	pthread_t th;
	int wake[2]; /* pipe: destroy wakes the thread */
	atomic_int stop;
	int spool_fd;

	pthread_mutex_t mu; /* guards st and signals cv (never taken by workers) */
	pthread_cond_t cv;
	struct pn_sync_stats st;

	/* thread-private */
	int fd;
	struct pn_stream_sub sub;
	int want_snapshot;
	uint8_t *rx;
	size_t rx_len;
	struct pn_stream_frame fr;
	uint64_t frames; /* frames decoded on the current connection */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Publish the thread's view to stats readers and wake pn_sync_wait. */
static void publish(struct pn_sync *s)
{
	pthread_mutex_lock(&s->mu);
	s->st.last_seq = pn_replica_last_seq(s->cfg.replica);
	if (s->sub.server_seq > s->st.server_seq)
		s->st.server_seq = s->sub.server_seq;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

#define STAT_ADD(s, field, n)                                                                      \
	do {                                                                                       \
		pthread_mutex_lock(&(s)->mu);                                                      \
		(s)->st.field += (n);                                                              \
		pthread_mutex_unlock(&(s)->mu);                                                    \
	} while (0)

static void set_state(struct pn_sync *s, uint8_t state)
{
	pthread_mutex_lock(&s->mu);
	s->st.state = state;
	pthread_mutex_unlock(&s->mu);
}

/* Sleep up to ms, returning early if destroy asked us to stop. Thread is offline. */
static void nap(struct pn_sync *s, int ms)
{
	struct pollfd p = {.fd = s->wake[0], .events = POLLIN};
	(void)poll(&p, 1, ms);
}

static int send_all(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int connect_unix(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void disconnect(struct pn_sync *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
		STAT_ADD(s, disconnects, 1);
	}
	pn_stream_sub_disconnected(&s->sub);
	s->rx_len = 0;
	set_state(s, PN_SYNC_DISCONNECTED);
}

static void drain_events(struct pn_sync *s)
{
	if (!s->cfg.event_pop)
		return;
	uint8_t buf[EVENT_BUF + 4];
	uint64_t spooled = 0, dropped = 0;
	for (int i = 0; i < 4096; i++) {
		size_t n = s->cfg.event_pop(s->cfg.event_ctx, buf + 4, EVENT_BUF);
		if (n == 0 || n > EVENT_BUF)
			break;
		buf[0] = (uint8_t)(n >> 24);
		buf[1] = (uint8_t)(n >> 16);
		buf[2] = (uint8_t)(n >> 8);
		buf[3] = (uint8_t)n;
		if (s->spool_fd >= 0 && write(s->spool_fd, buf, n + 4) == (ssize_t)(n + 4))
			spooled++;
		else
			dropped++;
	}
	if (spooled || dropped) {
		pthread_mutex_lock(&s->mu);
		s->st.events_spooled += spooled;
		s->st.events_dropped += dropped;
		pthread_mutex_unlock(&s->mu);
	}
}

/*
 * Act on one decoded frame (thread online). Returns 0 to continue, -1 to drop the connection.
 */
static int on_frame(struct pn_sync *s, int64_t now)
{
	struct pn_replica *r = s->cfg.replica;
	int act = pn_stream_sub_on_frame(&s->sub, &s->fr, now);
	int rc;
	switch (act) {
	case PN_SUB_ACT_NONE:
		return 0;
	case PN_SUB_ACT_APPLY:
		rc = pn_replica_apply(r, &s->fr.change);
		if (rc == 0 || rc == PN_EEXIST || rc == PN_EFULL) {
			STAT_ADD(s, applied, 1);
			return 0;
		}
		if (rc == PN_EINVAL || rc == PN_ENOENT) {
			STAT_ADD(s, apply_errors, 1);
			return 0;
		}
		if (rc == PN_EAGAIN) /* the replica missed records: reload it */
			s->want_snapshot = 1;
		return -1; /* PN_ENOMEM: reconnect and retry from the replica's seq */
	case PN_SUB_ACT_SNAP_BEGIN:
		pn_replica_snapshot_begin(r);
		/* fall through */
	case PN_SUB_ACT_SNAP_PUT:
		rc = pn_replica_snapshot_put(r, &s->fr.change.b);
		if (rc == PN_ENOMEM)
			return -1;
		if (rc == PN_EINVAL || rc == PN_ENOENT)
			STAT_ADD(s, apply_errors, 1);
		return 0;
	case PN_SUB_ACT_SNAP_END: {
		if (s->sub.snap_count == 0) /* empty snapshot: nothing began */
			pn_replica_snapshot_begin(r);
		if (pn_replica_snapshot_end(r, s->fr.seq) < 0)
			return -1;
		s->want_snapshot = 0;
		STAT_ADD(s, snapshots, 1);
		uint8_t out[64];
		int n = pn_stream_encode_hello(out, sizeof(out), s->fr.seq + 1);
		if (n <= 0 || send_all(s->fd, out, (size_t)n) != 0)
			return -1;
		s->sub.last_tx_ms = now;
		set_state(s, PN_SYNC_STREAMING);
		return 0;
	}
	case PN_SUB_ACT_RESYNC:
		STAT_ADD(s, resyncs, 1);
		s->want_snapshot = 1;
		return -1;
	case PN_SUB_ACT_PROTO_ERROR:
	default:
		STAT_ADD(s, proto_errors, 1);
		return -1;
	}
}

/* Read what is available and act on every whole frame. Returns 0, or -1 to reconnect. */
static int on_readable(struct pn_sync *s)
{
	ssize_t n = recv(s->fd, s->rx + s->rx_len, RX_CAP - s->rx_len, 0);
	if (n == 0)
		return -1; /* EOF */
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	s->rx_len += (size_t)n;
	int64_t now = mono_ms();
	size_t off = 0;
	int ret = 0, frames = 0;
	urcu_qsbr_thread_online();
	while (off < s->rx_len) {
		int c = pn_stream_decode(s->rx + off, s->rx_len - off, &s->fr);
		if (c == PN_INCOMPLETE)
			break;
		if (c < 0) {
			STAT_ADD(s, proto_errors, 1);
			ret = -1;
			break;
		}
		off += (size_t)c;
		s->frames++;
		if (on_frame(s, now) != 0) {
			ret = -1;
			break;
		}
		if (++frames % FRAMES_PER_Q == 0)
			urcu_qsbr_quiescent_state();
	}
	pn_replica_flush(s->cfg.replica);
	urcu_qsbr_thread_offline();
	if (off > 0 && off < s->rx_len)
		memmove(s->rx, s->rx + off, s->rx_len - off);
	s->rx_len -= off;
	publish(s);
	return ret;
}

/* One connection, from connect to close. Returns 1 if at least one frame arrived. */
static int run_connection(struct pn_sync *s)
{
	uint8_t out[64];
	s->fd = connect_unix(s->socket_path);
	if (s->fd < 0) {
		STAT_ADD(s, connect_fail, 1);
		return 0;
	}
	STAT_ADD(s, connects, 1);
	int snap = s->want_snapshot || s->sub.state == PN_SUB_NEED_RESYNC;
	pn_stream_sub_init(&s->sub, pn_replica_last_seq(s->cfg.replica));
	int64_t now = mono_ms();
	int n = pn_stream_sub_open(&s->sub, snap, now, out, sizeof(out));
	if (n <= 0 || send_all(s->fd, out, (size_t)n) != 0) {
		disconnect(s);
		return 0;
	}
	set_state(s, snap ? PN_SYNC_SNAPSHOT : PN_SYNC_STREAMING);
	s->frames = 0;
	while (!atomic_load(&s->stop)) {
		struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
		                      {.fd = s->wake[0], .events = POLLIN}};
		int pr = poll(p, 2, POLL_MS);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && on_readable(s) != 0)
			break;
		now = mono_ms();
		n = pn_stream_sub_tick(&s->sub, now, out, sizeof(out));
		if (n == PN_EAGAIN)
			break; /* dead peer */
		if (n > 0) {
			if (send_all(s->fd, out, (size_t)n) != 0)
				break;
			STAT_ADD(s, acks, 1);
		}
		drain_events(s);
	}
	/* A connection that delivered frames proves the server healthy: reset the backoff. */
	disconnect(s);
	return s->frames > 0;
}

static void *sync_main(void *arg)
{
	struct pn_sync *s = arg;
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	unsigned backoff = s->cfg.backoff_min_ms;
	pn_stream_sub_init(&s->sub, pn_replica_last_seq(s->cfg.replica));
	while (!atomic_load(&s->stop)) {
		int healthy = run_connection(s);
		if (atomic_load(&s->stop))
			break;
		drain_events(s);
		if (healthy)
			backoff = s->cfg.backoff_min_ms;
		nap(s, (int)backoff);
		if (!healthy) {
			backoff *= 2;
			if (backoff > s->cfg.backoff_max_ms)
				backoff = s->cfg.backoff_max_ms;
		}
	}
	drain_events(s);
	urcu_qsbr_thread_online();
	pn_replica_flush(s->cfg.replica);
	urcu_qsbr_unregister_thread();
	return NULL;
}

int pn_sync_create(const struct pn_sync_config *cfg, struct pn_sync **out)
{
	if (!cfg || !cfg->socket_path || !cfg->replica ||
	    strlen(cfg->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return PN_EINVAL;
	struct pn_sync *s = calloc(1, sizeof(*s));
	if (!s)
		return PN_ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.backoff_min_ms)
		s->cfg.backoff_min_ms = 50;
	if (!s->cfg.backoff_max_ms)
		s->cfg.backoff_max_ms = 2000;
	if (s->cfg.backoff_max_ms < s->cfg.backoff_min_ms)
		s->cfg.backoff_max_ms = s->cfg.backoff_min_ms;
	s->fd = -1;
	s->spool_fd = -1;
	s->socket_path = strdup(cfg->socket_path);
	s->rx = malloc(RX_CAP);
	if (!s->socket_path || !s->rx) {
		free(s->socket_path);
		free(s->rx);
		free(s);
		return PN_ENOMEM;
	}
	s->cfg.socket_path = s->socket_path;
	s->cfg.event_spool = NULL;
	if (cfg->event_spool) {
		s->spool_fd =
		    open(cfg->event_spool, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (s->spool_fd < 0)
			goto eio;
	}
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		goto eio_spool;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->th, NULL, sync_main, s) != 0) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		close(s->wake[0]);
		close(s->wake[1]);
		goto eio_spool;
	}
	*out = s;
	return 0;
eio_spool:
	if (s->spool_fd >= 0)
		close(s->spool_fd);
eio:
	free(s->socket_path);
	free(s->rx);
	free(s);
	return PN_EIO;
}

void pn_sync_destroy(struct pn_sync *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	ssize_t w = write(s->wake[1], "x", 1);
	(void)w;
	pthread_join(s->th, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	if (s->spool_fd >= 0)
		close(s->spool_fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->socket_path);
	free(s->rx);
	free(s);
}

void pn_sync_stats_get(struct pn_sync *s, struct pn_sync_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

int pn_sync_wait(struct pn_sync *s, uint64_t seq, int timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	while (s->st.last_seq < seq) {
		if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) {
			rc = s->st.last_seq >= seq ? 0 : PN_EAGAIN;
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- the dataplane hook (pn_io.h) ---- */

#pragma weak pn_io_event_pop

static struct pn_sync *g_sync;
static struct pn_replica *g_replica;

/* pn_replica_destroy needs a registered QSBR thread; the caller's thread may or may not be
 * one (registering twice is an error), so a short-lived thread does it. */
static void *destroy_main(void *arg)
{
	urcu_qsbr_register_thread();
	pn_replica_destroy(arg);
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void replica_destroy_any_thread(struct pn_replica *r)
{
	pthread_t t;
	if (pthread_create(&t, NULL, destroy_main, r) == 0)
		pthread_join(t, NULL);
}

static size_t io_event_pop(void *io, void *buf, size_t cap)
{
	return pn_io_event_pop ? pn_io_event_pop(io, buf, cap) : 0;
}

/*
 * Create the replica the engines read and, when a control socket is configured, the sync
 * thread that fills it. Returns 0 (and *conf->replica_out), PN_ENOMEM or the pn_sync_create
 * error. Without a control socket the replica stays empty (every call gets "no binding").
 */
int pn_sync_start(struct pn_sync_conf *conf)
{
	if (g_replica)
		return PN_EEXIST;
	g_replica = pn_replica_create(NULL);
	if (!g_replica)
		return PN_ENOMEM;
	if (conf->control_socket) {
		struct pn_sync_config c = {
		    .socket_path = conf->control_socket,
		    .replica = g_replica,
		    .event_pop = io_event_pop,
		    .event_ctx = conf->io,
		    .event_spool = conf->event_spool,
		};
		int rc = pn_sync_create(&c, &g_sync);
		if (rc != 0) {
			replica_destroy_any_thread(g_replica);
			g_replica = NULL;
			return rc;
		}
	}
	if (conf->replica_out)
		*conf->replica_out = g_replica;
	return 0;
}

/* Statistics of the hook's sync thread (telemetry). Returns 0, or PN_ENOENT when no sync
 * thread runs (no control socket, or not started). */
int pn_sync_hook_stats(struct pn_sync_stats *out)
{
	if (!g_sync)
		return PN_ENOENT;
	pn_sync_stats_get(g_sync, out);
	return 0;
}

/* Stop the thread and free the replica (the workers have stopped). The calling thread must
 * not be an online QSBR reader (freeing waits for a grace period). */
void pn_sync_stop(void)
{
	pn_sync_destroy(g_sync);
	g_sync = NULL;
	if (g_replica) {
		replica_destroy_any_thread(g_replica);
		g_replica = NULL;
	}
}
