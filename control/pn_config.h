/*
 * pn_config.h: the configuration of privnum-control: defaults, an INI file read with libinih,
 * and "section.key=value" overrides from the command line (the same keys). docs/CONFIG.md
 * lists every key; pn_config_set is the single place that knows them.
 *
 * Invariant: after pn_config_defaults every field holds a usable value, so privnum-control
 * starts with no file and no flags (data in ./var/control, HTTP on 127.0.0.1:8080, HTTPS on
 * 0.0.0.0:8443 with a self-signed certificate generated on first start).
 *
 * Not thread-safe; used by main before any thread starts.
 */
#ifndef PN_CONFIG_H
#define PN_CONFIG_H

#include <stddef.h>

#include "pn_auth.h"

#define PN_CONFIG_PATH 512

struct pn_config {
	char data_dir[PN_CONFIG_PATH]; /* [store] data_dir */
	char http_addr[64];            /* [http] address, "off" = plain HTTP off */
	unsigned http_port;            /* [http] port, 0 = any free port */
	char https_addr[64];           /* [https] address, "off" = HTTPS off */
	unsigned https_port;           /* [https] port, 0 = any free port */
	char tls_cert[PN_CONFIG_PATH]; /* [https] cert ("" = <data_dir>/tls/cert.pem, generated) */
	char tls_key[PN_CONFIG_PATH];  /* [https] key */
	unsigned threads;              /* [http] threads (each daemon) */
	unsigned max_conns;            /* [http] max_connections */
	unsigned conn_timeout_s;       /* [http] idle_timeout */
	size_t max_body;               /* [http] max_body */
	char admin_token[256];         /* [admin] token ("" = generated into data_dir) */
	struct pn_auth_cfg auth;       /* [auth] ... */
	size_t changelog_cap;          /* [store] changelog_cap */
	unsigned max_batch;            /* [store] max_batch */
	size_t queue_cap;              /* [store] queue_cap */
	char stream_socket[PN_CONFIG_PATH]; /* [stream] socket ("" = <data_dir>/stream.sock) */
	unsigned metrics_refresh_s;         /* [metrics] bindings_refresh */
};

void pn_config_defaults(struct pn_config *c);

/*
 * Set one key. Returns 0, -1 for an unknown section/key, -2 for a bad value. Numbers are
 * decimal; sizes accept a k/m suffix (KiB/MiB).
 */
int pn_config_set(struct pn_config *c, const char *section, const char *key, const char *value);

/* "section.key=value" form. Same returns. */
int pn_config_set_arg(struct pn_config *c, const char *arg);

/* Read an INI file. Returns 0, or -1 (cannot open) / the first bad line number (> 0); err
 * gets a message. */
int pn_config_load(struct pn_config *c, const char *path, char *err, size_t errlen);

#endif /* PN_CONFIG_H */
