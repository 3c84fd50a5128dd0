/*
 * pn_config.c: defaults, libinih file parsing and command-line overrides (see pn_config.h).
 */
#include "pn_config.h"

#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pn_config_defaults(struct pn_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "./var/control");
	snprintf(c->http_addr, sizeof(c->http_addr), "127.0.0.1");
	c->http_port = 8080;
	snprintf(c->https_addr, sizeof(c->https_addr), "0.0.0.0");
	c->https_port = 8443;
	c->threads = 2;
	c->max_conns = 1024;
	c->conn_timeout_s = 15;
	c->max_body = 65536;
	pn_auth_cfg_default(&c->auth);
	c->changelog_cap = 0;
	c->max_batch = 0;
	c->queue_cap = 0;
	c->metrics_refresh_s = 10;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*v || *v == '-')
		return -2;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno)
		return -2;
	if (*end == 'k' || *end == 'K') {
		x *= 1024;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		x *= 1024 * 1024;
		end++;
	}
	if (*end || x > max)
		return -2;
	*out = x;
	return 0;
}

static int set_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -2;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

#define U(field, max)                                                                              \
	do {                                                                                       \
		uint64_t x__;                                                                      \
		if (parse_u64(value, (max), &x__) < 0)                                             \
			return -2;                                                                 \
		c->field = x__;                                                                    \
		return 0;                                                                          \
	} while (0)

int pn_config_set(struct pn_config *c, const char *s, const char *k, const char *value)
{
	if (strcmp(s, "http") == 0) {
		if (strcmp(k, "address") == 0)
			return set_str(c->http_addr, sizeof(c->http_addr), value);
		if (strcmp(k, "port") == 0)
			U(http_port, 65535);
		if (strcmp(k, "threads") == 0) {
			if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0)
				return -2; /* >= 2: see pn_http.h */
			U(threads, 64);
		}
		if (strcmp(k, "max_connections") == 0)
			U(max_conns, 100000);
		if (strcmp(k, "idle_timeout") == 0)
			U(conn_timeout_s, 3600);
		if (strcmp(k, "max_body") == 0)
			U(max_body, 16 * 1024 * 1024);
	} else if (strcmp(s, "https") == 0) {
		if (strcmp(k, "address") == 0)
			return set_str(c->https_addr, sizeof(c->https_addr), value);
		if (strcmp(k, "port") == 0)
			U(https_port, 65535);
		if (strcmp(k, "cert") == 0)
			return set_str(c->tls_cert, sizeof(c->tls_cert), value);
		if (strcmp(k, "key") == 0)
			return set_str(c->tls_key, sizeof(c->tls_key), value);
	} else if (strcmp(s, "store") == 0) {
		if (strcmp(k, "data_dir") == 0)
			return set_str(c->data_dir, sizeof(c->data_dir), value);
		if (strcmp(k, "changelog_cap") == 0)
			U(changelog_cap, UINT32_MAX);
		if (strcmp(k, "max_batch") == 0)
			U(max_batch, 1000000);
		if (strcmp(k, "queue_cap") == 0)
			U(queue_cap, 100000000);
	} else if (strcmp(s, "auth") == 0) {
		if (strcmp(k, "clock_skew") == 0)
			U(auth.skew_s, 7 * 86400);
		if (strcmp(k, "nonce_capacity") == 0)
			U(auth.nonce_capacity, 1u << 28);
		if (strcmp(k, "fail_threshold") == 0)
			U(auth.fail_threshold, 1000000);
		if (strcmp(k, "fail_window") == 0)
			U(auth.fail_window_s, 86400);
		if (strcmp(k, "block_time") == 0)
			U(auth.block_s, 7 * 86400);
		if (strcmp(k, "ip_capacity") == 0)
			U(auth.ip_capacity, 1u << 24);
	} else if (strcmp(s, "admin") == 0) {
		if (strcmp(k, "token") == 0)
			return set_str(c->admin_token, sizeof(c->admin_token), value);
	} else if (strcmp(s, "stream") == 0) {
		if (strcmp(k, "socket") == 0)
			return set_str(c->stream_socket, sizeof(c->stream_socket), value);
	} else if (strcmp(s, "metrics") == 0) {
		if (strcmp(k, "bindings_refresh") == 0)
			U(metrics_refresh_s, 86400);
	}
	return -1;
}

int pn_config_set_arg(struct pn_config *c, const char *arg)
{
	char buf[1024];
	if (strlen(arg) >= sizeof(buf))
		return -2;
	strcpy(buf, arg);
	char *eq = strchr(buf, '=');
	char *dot = strchr(buf, '.');
	if (!eq || !dot || dot > eq)
		return -1;
	*eq = '\0';
	*dot = '\0';
	return pn_config_set(c, buf, dot + 1, eq + 1);
}

struct load_ctx {
	struct pn_config *c;
	char *err;
	size_t errlen;
	int bad;
};

static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *l = user;
	int rc = pn_config_set(l->c, section, name, value);
	if (rc < 0 && !l->bad) {
		snprintf(l->err, l->errlen, "%s key [%s] %s",
		         rc == -1 ? "unknown" : "bad value for", section, name);
		l->bad = 1;
	}
	return rc == 0;
}

int pn_config_load(struct pn_config *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx l = {c, err, errlen, 0};
	err[0] = '\0';
	int rc = ini_parse(path, ini_cb, &l);
	if (rc == -1)
		snprintf(err, errlen, "cannot open %s", path);
	else if (rc > 0 && !err[0])
		snprintf(err, errlen, "syntax error at line %d", rc);
	return rc;
}
