/*
 * pn_tls.h: the HTTPS certificate of privnum-control. Loads the configured PEM certificate
 * and key, or, when none is configured, a self-signed one kept under the data directory and
 * generated in-process with OpenSSL on first start (EC P-256, SHA-256, 10 years, CN and SAN
 * "localhost" + 127.0.0.1). Huawei's Java demo client trusts any certificate.
 *
 * Not thread-safe; called by main before the servers start.
 */
#ifndef PN_TLS_H
#define PN_TLS_H

/*
 * Read cert_path and key_path into malloc'd NUL-terminated strings. When both files are
 * missing and generate != 0, create them first (key file mode 0600). Returns 0, or -1 with
 * a message on stderr.
 */
int pn_tls_load(const char *cert_path, const char *key_path, int generate, char **cert_pem,
                char **key_pem);

#endif /* PN_TLS_H */
