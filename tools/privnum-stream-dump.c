/*
 * privnum-stream-dump: connect to privnum-control's change-stream socket and print every
 * record as one line of text. For operators (what does the dataplane receive?) and tests.
 *
 *   privnum-stream-dump [-s SOCKET] [-f FROM_SEQ] [-S] [-F] [-n COUNT] [-t IDLE_MS] [-v]
 *     -s  socket path (default /run/privnum/stream.sock)
 *     -f  first seq wanted (default 1: everything the log still holds)
 *     -S  ask for a snapshot first (SNAP lines, then SNAPSHOT_END)
 *     -F  with -S: after SNAPSHOT_END keep following live changes (without -S always)
 *     -n  exit 0 after COUNT CHANGE/SNAP records
 *     -t  exit 0 after IDLE_MS without a record (default: run until killed)
 *     -v  print heartbeats too
 *
 * Output, one line per frame:
 *   CHANGE seq=12 op=PUT id=000000000000000c mode=AXB app=k x=+86.. a=+86.. b=+86.. exp=0 ...
 *   SNAP seq=40 id=... (same fields)     SNAPSHOT_END seq=40     RESYNC current=97
 *   HEARTBEAT seq=97                     ERROR code=-5 text
 * Exit status: 0 done, 1 usage, 2 connect failed, 3 protocol error or server ERROR,
 * 4 RESYNC without -S (the log no longer holds FROM_SEQ).
 * It acknowledges what it printed (ACK frames), like a dataplane does.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pn_stream.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *mode_name(int m)
{
	static const char *n[] = {"NONE", "AXB", "AX", "AXE", "AXYB", "YB", "X"};
	return m >= 0 && m <= 6 ? n[m] : "?";
}

static void num(const char *label, pn_num_t v)
{
	char s[PN_NUM_STRLEN];
	if (!v)
		return;
	if (pn_num_unpack(v, s) > 0)
		printf(" %s=%s", label, s);
}

static void print_binding(const char *what, const struct pn_stream_frame *f)
{
	const struct pn_binding *b = &f->change.b;
	char sub[PN_SUBID_LEN];
	pn_binding_subid_format(b->id, sub);
	printf("%s seq=%llu", what, (unsigned long long)f->change.seq);
	if (f->type == PN_STREAM_CHANGE)
		printf(" op=%s", f->change.op == PN_CHANGE_PUT ? "PUT" : "DEL");
	printf(" id=%s mode=%s app=%s", sub, mode_name(b->mode), b->app_key);
	if (b->parent_id) {
		pn_binding_subid_format(b->parent_id, sub);
		printf(" parent=%s", sub);
	}
	num("x", b->x);
	num("a", b->a);
	num("b", b->b);
	num("callback", b->callback_num);
	if (b->ext_len)
		printf(" ext=%0*u", b->ext_len, b->ext);
	printf(" dir=%u rec=%u maxdur=%u exp=%lld", b->direction, b->record, b->max_duration_min,
	       (long long)b->expires_ms);
	if (b->b_expires_ms)
		printf(" bexp=%lld", (long long)b->b_expires_ms);
	if (b->user_data[0])
		printf(" userData=%s", b->user_data);
	printf("\n");
}

static int send_all(int fd, const uint8_t *b, int n)
{
	while (n > 0) {
		ssize_t w = send(fd, b, (size_t)n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (int)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = PN_STREAM_DEFAULT_SOCKET;
	uint64_t from = 1;
	int snap = 0, follow = 0, verbose = 0;
	long count = -1, idle = -1;
	int c;
	while ((c = getopt(argc, argv, "s:f:SFn:t:vh")) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'f':
			from = strtoull(optarg, NULL, 10);
			break;
		case 'S':
			snap = 1;
			break;
		case 'F':
			follow = 1;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 't':
			idle = strtol(optarg, NULL, 10);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr,
			        "usage: %s [-s SOCKET] [-f FROM_SEQ] [-S] [-F] [-n COUNT] [-t "
			        "IDLE_MS] [-v]\n",
			        argv[0]);
			return 1;
		}
	}
	if (!snap)
		follow = 1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "socket path too long\n");
		return 1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "connect %s: %s\n", path, strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct pn_stream_sub sub;
	pn_stream_sub_init(&sub, from ? from - 1 : 0);
	uint8_t out[64];
	int64_t now = mono_ms();
	int n = pn_stream_sub_open(&sub, snap, now, out, sizeof(out));
	if (n <= 0 || send_all(fd, out, n) != 0) {
		fprintf(stderr, "send failed\n");
		return 2;
	}
	static uint8_t buf[2 * (PN_STREAM_HDR + PN_STREAM_MAX_FRAME)];
	size_t len = 0;
	long seen = 0;
	int64_t last_rec = now;
	static struct pn_stream_frame f;
	for (;;) {
		now = mono_ms();
		if (idle >= 0 && now - last_rec >= idle)
			return 0;
		int t = pn_stream_sub_tick(&sub, now, out, sizeof(out));
		if (t == PN_EAGAIN) {
			fprintf(stderr, "server silent for %d ms\n", PN_STREAM_DEAD_MS);
			return 3;
		}
		if (t > 0 && send_all(fd, out, t) != 0)
			return 3;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int wait = 100;
		if (poll(&p, 1, wait) <= 0)
			continue;
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);
		if (r <= 0) {
			fprintf(stderr, "connection closed by the server\n");
			return 3;
		}
		len += (size_t)r;
		size_t off = 0;
		for (;;) {
			int d = pn_stream_decode(buf + off, len - off, &f);
			if (d == PN_INCOMPLETE)
				break;
			if (d < 0) {
				fprintf(stderr, "undecodable frame from the server\n");
				return 3;
			}
			off += (size_t)d;
			now = mono_ms();
			int act = pn_stream_sub_on_frame(&sub, &f, now);
			switch (f.type) {
			case PN_STREAM_CHANGE:
				print_binding("CHANGE", &f);
				break;
			case PN_STREAM_SNAP_REC:
				print_binding("SNAP", &f);
				break;
			case PN_STREAM_SNAPSHOT_END:
				printf("SNAPSHOT_END seq=%llu\n", (unsigned long long)f.seq);
				break;
			case PN_STREAM_RESYNC:
				printf("RESYNC current=%llu\n", (unsigned long long)f.seq);
				break;
			case PN_STREAM_HEARTBEAT:
				if (verbose)
					printf("HEARTBEAT seq=%llu\n", (unsigned long long)f.seq);
				break;
			case PN_STREAM_ERROR:
				printf("ERROR code=%d %.*s\n", f.code, (int)f.text.len, f.text.p);
				break;
			default:
				break;
			}
			if (act == PN_SUB_ACT_PROTO_ERROR) {
				fprintf(stderr, "protocol error (gap, duplicate or ERROR)\n");
				return 3;
			}
			if (act == PN_SUB_ACT_RESYNC)
				return 4;
			if (act == PN_SUB_ACT_APPLY || act == PN_SUB_ACT_SNAP_BEGIN ||
			    act == PN_SUB_ACT_SNAP_PUT) {
				last_rec = now;
				if (count >= 0 && ++seen >= count)
					return 0;
			}
			if (act == PN_SUB_ACT_SNAP_END) {
				last_rec = now;
				if (!follow)
					return 0;
				int h = pn_stream_encode_hello(out, sizeof(out), sub.applied + 1);
				if (h <= 0 || send_all(fd, out, h) != 0)
					return 3;
			}
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
}
