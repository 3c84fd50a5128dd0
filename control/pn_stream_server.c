/*
 * pn_stream_server.c: the change-stream server thread (see pn_stream_server.h). One poll()
 * loop over the listening UNIX socket, an eventfd rung by the store's commit hook, and up to
 * max_clients connections. CHANGE frames are produced only by reading the changelog from a
 * client's next seq, so ordering and gap-freedom come from the log itself.
 */
#include "pn_stream_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pn_stream.h"

#define IN_CAP 4096

enum cstate { C_WAIT_HELLO, C_STREAMING, C_SNAPSHOT };

struct client {
	int fd;
	uint8_t state;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint8_t in[IN_CAP];
	size_t in_len;
	uint64_t next_seq; /* STREAMING: next seq to send */
	uint64_t acked;
	int64_t last_rx, last_tx;
	struct pn_store_snap *snap;
	uint64_t snap_seq;
	struct pn_binding *snap_b;
	int closing; /* flush then close (after ERROR) */
};

struct pn_stream_server {
	struct pn_store *st;
	struct pn_stream_server_config cfg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd, efd;
	pthread_t th;
	atomic_int stop;
	struct client *cl;
	unsigned ncl;
	pthread_mutex_t stats_mu;
	struct pn_stream_server_stats stats;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t out_room(const struct client *c)
{
	return c->out_cap - c->out_len;
}

/* compact the output buffer so free space is contiguous at the end */
static void out_compact(struct client *c)
{
	if (c->out_off == 0)
		return;
	memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
	c->out_len -= c->out_off;
	c->out_off = 0;
}

static void client_close(struct pn_stream_server *s, struct client *c, int dead)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	pn_store_snapshot_close(c->snap);
	c->snap = NULL;
	free(c->snap_b);
	c->snap_b = NULL;
	free(c->out);
	c->out = NULL;
	pthread_mutex_lock(&s->stats_mu);
	s->stats.clients--;
	if (dead)
		s->stats.dead++;
	pthread_mutex_unlock(&s->stats_mu);
}

static void send_error(struct client *c, int code, const char *text)
{
	out_compact(c);
	int n = pn_stream_encode_error(c->out + c->out_len, out_room(c), code, text);
	if (n > 0)
		c->out_len += (size_t)n;
	c->closing = 1;
}

static void send_u64(struct client *c, uint8_t type, uint64_t v, int64_t now)
{
	out_compact(c);
	int n = pn_stream_encode_u64(c->out + c->out_len, out_room(c), type, v);
	if (n > 0) {
		c->out_len += (size_t)n;
		c->last_tx = now;
	}
}

struct fill_ctx {
	struct client *c;
	int full;
};

static int fill_cb(void *arg, uint64_t seq, const char *rec, size_t len)
{
	struct fill_ctx *f = arg;
	struct client *c = f->c;
	if (seq != c->next_seq || out_room(c) < PN_STREAM_HDR + len) {
		f->full = 1;
		return 1;
	}
	int n =
	    pn_stream_encode_record(c->out + c->out_len, out_room(c), PN_STREAM_CHANGE, rec, len);
	if (n <= 0) {
		f->full = 1;
		return 1;
	}
	c->out_len += (size_t)n;
	c->next_seq++;
	return 0;
}

/* Produce frames for a client while its buffer has room. */
static void client_fill(struct pn_stream_server *s, struct client *c, int64_t now)
{
	if (c->closing)
		return;
	out_compact(c);
	if (c->state == C_STREAMING) {
		uint64_t sent0 = c->next_seq;
		while (c->next_seq <= pn_store_last_seq(s->st) &&
		       out_room(c) > PN_STREAM_HDR + 64) {
			struct fill_ctx f = {c, 0};
			long r = pn_store_changelog_read(s->st, c->next_seq, 256, fill_cb, &f);
			if (r == -PN_STORE_TRIMMED) {
				/* the size cap trimmed past this subscriber */
				send_u64(c, PN_STREAM_RESYNC, pn_store_last_seq(s->st), now);
				c->state = C_WAIT_HELLO;
				pthread_mutex_lock(&s->stats_mu);
				s->stats.resyncs++;
				pthread_mutex_unlock(&s->stats_mu);
				break;
			}
			if (r < 0) {
				send_error(c, PN_EIO, "changelog read failed");
				break;
			}
			if (f.full || r == 0)
				break;
		}
		if (c->next_seq != sent0) {
			c->last_tx = now;
			pthread_mutex_lock(&s->stats_mu);
			s->stats.changes += c->next_seq - sent0;
			pthread_mutex_unlock(&s->stats_mu);
		}
	} else if (c->state == C_SNAPSHOT) {
		uint64_t n = 0;
		while (out_room(c) >= PN_STREAM_HDR + 4096) {
			int r = pn_store_snapshot_next(c->snap, c->snap_b);
			if (r < 0) {
				send_error(c, PN_EIO, "snapshot read failed");
				break;
			}
			if (r == 0) {
				send_u64(c, PN_STREAM_SNAPSHOT_END, c->snap_seq, now);
				pn_store_snapshot_close(c->snap);
				c->snap = NULL;
				c->state = C_WAIT_HELLO;
				break;
			}
			struct pn_change ch;
			ch.seq = c->snap_seq;
			ch.op = PN_CHANGE_PUT;
			ch.b = *c->snap_b;
			int w = pn_stream_encode_change(c->out + c->out_len, out_room(c),
			                                PN_STREAM_SNAP_REC, &ch);
			if (w <= 0) {
				send_error(c, PN_ENOMEM, "snapshot encode failed");
				break;
			}
			c->out_len += (size_t)w;
			n++;
		}
		if (n) {
			c->last_tx = now;
			pthread_mutex_lock(&s->stats_mu);
			s->stats.snap_recs += n;
			pthread_mutex_unlock(&s->stats_mu);
		}
	}
}

static void update_trim(struct pn_stream_server *s)
{
	uint64_t min = UINT64_MAX;
	for (unsigned i = 0; i < s->cfg.max_clients; i++)
		if (s->cl[i].fd >= 0 && s->cl[i].state == C_STREAMING && s->cl[i].acked < min)
			min = s->cl[i].acked;
	if (min != UINT64_MAX && min > 0)
		pn_store_changelog_trim(s->st, min);
}

/* Handle one decoded frame from a client. */
static void client_frame(struct pn_stream_server *s, struct client *c,
                         const struct pn_stream_frame *f, int64_t now)
{
	switch (f->type) {
	case PN_STREAM_HELLO: {
		if (c->state != C_WAIT_HELLO) {
			send_error(c, PN_EINVAL, "HELLO not expected now");
			return;
		}
		uint64_t from = f->seq ? f->seq : 1;
		uint64_t last = pn_store_last_seq(s->st);
		if (from < pn_store_first_seq(s->st) || from > last + 1) {
			send_u64(c, PN_STREAM_RESYNC, last, now);
			pthread_mutex_lock(&s->stats_mu);
			s->stats.resyncs++;
			pthread_mutex_unlock(&s->stats_mu);
			return;
		}
		c->state = C_STREAMING;
		c->next_seq = from;
		c->acked = from - 1;
		return;
	}
	case PN_STREAM_SNAPSHOT_REQ:
		if (c->state != C_WAIT_HELLO) {
			send_error(c, PN_EINVAL, "SNAPSHOT_REQ not expected now");
			return;
		}
		if (!c->snap_b)
			c->snap_b = malloc(sizeof(*c->snap_b));
		c->snap = c->snap_b ? pn_store_snapshot_open(s->st, &c->snap_seq) : NULL;
		if (!c->snap) {
			send_error(c, PN_EIO, "snapshot unavailable");
			return;
		}
		c->state = C_SNAPSHOT;
		return;
	case PN_STREAM_ACK:
		if (c->state == C_STREAMING && f->seq < c->next_seq && f->seq > c->acked) {
			c->acked = f->seq;
			update_trim(s);
		}
		return;
	case PN_STREAM_HEARTBEAT:
		return;
	default:
		send_error(c, PN_EINVAL, "unexpected frame type");
		return;
	}
}

static void client_read(struct pn_stream_server *s, struct client *c, int64_t now)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
		if (n == 0) {
			client_close(s, c, 0);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				client_close(s, c, 1);
			break;
		}
		c->in_len += (size_t)n;
		c->last_rx = now;
		size_t off = 0;
		for (;;) {
			struct pn_stream_frame f;
			int r = pn_stream_decode(c->in + off, c->in_len - off, &f);
			if (r == PN_INCOMPLETE)
				break;
			if (r < 0 || f.type == PN_STREAM_CHANGE || f.type == PN_STREAM_SNAP_REC) {
				/* client frames are tiny; anything else is a broken peer */
				send_error(c, PN_EINVAL, "bad frame");
				c->in_len = 0;
				return;
			}
			off += (size_t)r;
			client_frame(s, c, &f, now);
			if (c->closing)
				break;
		}
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
		if (c->in_len == IN_CAP) { /* cannot happen with valid client frames */
			send_error(c, PN_EINVAL, "frame too large");
			return;
		}
		if (c->closing)
			return;
	}
}

static void client_write(struct pn_stream_server *s, struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				client_close(s, c, 1);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->closing)
		client_close(s, c, 1);
}

static void do_accept(struct pn_stream_server *s, int64_t now)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct client *c = NULL;
		for (unsigned i = 0; i < s->cfg.max_clients; i++)
			if (s->cl[i].fd < 0) {
				c = &s->cl[i];
				break;
			}
		uint8_t *out = c ? malloc(s->cfg.out_buf) : NULL;
		if (!c || !out) {
			uint8_t buf[64];
			int n = pn_stream_encode_error(buf, sizeof(buf), PN_EFULL,
			                               "too many subscribers");
			if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0) {
				/* nothing more to do for a refused peer */
			}
			free(out);
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->out = out;
		c->out_cap = s->cfg.out_buf;
		c->state = C_WAIT_HELLO;
		c->last_rx = c->last_tx = now;
		pthread_mutex_lock(&s->stats_mu);
		s->stats.clients++;
		s->stats.accepted++;
		pthread_mutex_unlock(&s->stats_mu);
	}
}

static void *server_main(void *arg)
{
	struct pn_stream_server *s = arg;
	unsigned max = s->cfg.max_clients;
	struct pollfd *pf = calloc(max + 2, sizeof(*pf));
	unsigned *map = calloc(max + 2, sizeof(*map));
	if (!pf || !map) {
		free(pf);
		free(map);
		return NULL;
	}
	while (!atomic_load(&s->stop)) {
		int64_t now = mono_ms();
		/* produce, heartbeats, dead peers */
		for (unsigned i = 0; i < max; i++) {
			struct client *c = &s->cl[i];
			if (c->fd < 0)
				continue;
			if (now - c->last_rx >= PN_STREAM_DEAD_MS) {
				client_close(s, c, 1);
				continue;
			}
			if (c->closing && c->out_len == c->out_off) {
				client_close(s, c, 1);
				continue;
			}
			client_fill(s, c, now);
			if (c->out_len == c->out_off && now - c->last_tx >= PN_STREAM_HEARTBEAT_MS)
				send_u64(c, PN_STREAM_HEARTBEAT, pn_store_last_seq(s->st), now);
			if (c->out_len > c->out_off)
				client_write(s, c);
		}
		unsigned n = 0;
		pf[n].fd = s->lfd;
		pf[n++].events = POLLIN;
		pf[n].fd = s->efd;
		pf[n++].events = POLLIN;
		for (unsigned i = 0; i < max; i++) {
			struct client *c = &s->cl[i];
			if (c->fd < 0)
				continue;
			pf[n].fd = c->fd;
			pf[n].events = (short)(POLLIN | (c->out_len > c->out_off ? POLLOUT : 0));
			pf[n].revents = 0;
			map[n++] = i;
		}
		pf[0].revents = pf[1].revents = 0;
		int r = poll(pf, n, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		now = mono_ms();
		if (pf[1].revents & POLLIN) {
			uint64_t v;
			if (read(s->efd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
				/* eventfd read cannot fail otherwise */
			}
		}
		if (pf[0].revents & POLLIN)
			do_accept(s, now);
		for (unsigned j = 2; j < n; j++) {
			struct client *c = &s->cl[map[j]];
			if (c->fd < 0)
				continue;
			if (pf[j].revents & (POLLERR | POLLNVAL)) {
				client_close(s, c, 1);
				continue;
			}
			if (pf[j].revents & (POLLIN | POLLHUP))
				client_read(s, c, now);
			if (c->fd >= 0 && (pf[j].revents & POLLOUT))
				client_write(s, c);
		}
	}
	for (unsigned i = 0; i < max; i++)
		client_close(s, &s->cl[i], 0);
	free(pf);
	free(map);
	return NULL;
}

int pn_stream_server_start(struct pn_store *st, const struct pn_stream_server_config *cfg,
                           struct pn_stream_server **out)
{
	*out = NULL;
	struct sockaddr_un sa;
	if (!cfg || !cfg->socket_path || strlen(cfg->socket_path) >= sizeof(sa.sun_path))
		return PN_EINVAL;
	struct pn_stream_server *s = calloc(1, sizeof(*s));
	if (!s)
		return PN_ENOMEM;
	s->st = st;
	s->cfg = *cfg;
	if (!s->cfg.max_clients)
		s->cfg.max_clients = 64;
	if (!s->cfg.out_buf)
		s->cfg.out_buf = 256 * 1024;
	if (s->cfg.out_buf < 2 * (PN_STREAM_HDR + PN_STREAM_MAX_FRAME))
		s->cfg.out_buf = 2 * (PN_STREAM_HDR + PN_STREAM_MAX_FRAME);
	snprintf(s->path, sizeof(s->path), "%s", cfg->socket_path);
	s->cl = calloc(s->cfg.max_clients, sizeof(*s->cl));
	if (!s->cl) {
		free(s);
		return PN_ENOMEM;
	}
	for (unsigned i = 0; i < s->cfg.max_clients; i++)
		s->cl[i].fd = -1;
	pthread_mutex_init(&s->stats_mu, NULL);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->efd < 0 || s->lfd < 0)
		goto fail;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	struct stat sb;
	if (lstat(s->path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(s->path);
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto fail;
	if (chmod(s->path, 0660) != 0 || listen(s->lfd, 64) != 0)
		goto fail_unlink;
	if (pthread_create(&s->th, NULL, server_main, s) != 0)
		goto fail_unlink;
	*out = s;
	return 0;
fail_unlink:
	unlink(s->path);
fail:;
	int e = errno;
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->efd >= 0)
		close(s->efd);
	pthread_mutex_destroy(&s->stats_mu);
	free(s->cl);
	free(s);
	errno = e;
	return PN_EIO;
}

void pn_stream_server_notify(void *server, uint64_t last_seq)
{
	(void)last_seq;
	struct pn_stream_server *s = server;
	if (!s)
		return;
	uint64_t one = 1;
	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the thread will wake */
	}
}

void pn_stream_server_stop(struct pn_stream_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	pn_stream_server_notify(s, 0);
	pthread_join(s->th, NULL);
	close(s->lfd);
	close(s->efd);
	unlink(s->path);
	pthread_mutex_destroy(&s->stats_mu);
	free(s->cl);
	free(s);
}

void pn_stream_server_stats_get(struct pn_stream_server *s, struct pn_stream_server_stats *out)
{
	pthread_mutex_lock(&s->stats_mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->stats_mu);
}
