/*
 * pn_tls.c: load or generate the HTTPS certificate (see pn_tls.h).
 */
#include "pn_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n > 0 && n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0) {
			buf = malloc((size_t)n + 1);
			if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
				buf[n] = '\0';
			} else {
				free(buf);
				buf = NULL;
			}
		}
	}
	fclose(f);
	return buf;
}

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	int ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -1;
}

static int generate(const char *cert_path, const char *key_path)
{
	int rc = -1;
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *kf = NULL, *cf = NULL;
	if (!pkey || !x)
		goto out;
	X509_set_version(x, 2);
	unsigned char serial[16];
	FILE *ur = fopen("/dev/urandom", "rb");
	if (!ur || fread(serial, 1, sizeof(serial), ur) != sizeof(serial)) {
		if (ur)
			fclose(ur);
		goto out;
	}
	fclose(ur);
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn)
		goto out;
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400);
	X509_set_pubkey(x, pkey);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"privnum", -1,
	                           -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	if (add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") < 0 ||
	    add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0)
		goto out;
	if (!X509_sign(x, pkey, EVP_sha256()))
		goto out;
	int kfd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (kfd < 0 || !(kf = fdopen(kfd, "w"))) {
		if (kfd >= 0)
			close(kfd);
		fprintf(stderr, "privnum-control: cannot write %s: %s\n", key_path,
		        strerror(errno));
		goto out;
	}
	cf = fopen(cert_path, "w");
	if (!cf) {
		fprintf(stderr, "privnum-control: cannot write %s: %s\n", cert_path,
		        strerror(errno));
		goto out;
	}
	if (!PEM_write_PrivateKey(kf, pkey, NULL, NULL, 0, NULL, NULL) || !PEM_write_X509(cf, x))
		goto out;
	rc = 0;
out:
	if (kf && fclose(kf) != 0)
		rc = -1;
	if (cf && fclose(cf) != 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "privnum-control: cannot generate a self-signed certificate\n");
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

int pn_tls_load(const char *cert_path, const char *key_path, int gen, char **cert_pem,
                char **key_pem)
{
	*cert_pem = *key_pem = NULL;
	if (gen && access(cert_path, F_OK) != 0 && access(key_path, F_OK) != 0) {
		if (generate(cert_path, key_path) < 0)
			return -1;
		fprintf(stderr, "privnum-control: generated self-signed certificate %s\n",
		        cert_path);
	}
	*cert_pem = slurp(cert_path);
	*key_pem = slurp(key_path);
	if (!*cert_pem || !*key_pem) {
		fprintf(stderr, "privnum-control: cannot read TLS certificate %s / key %s\n",
		        cert_path, key_path);
		free(*cert_pem);
		free(*key_pem);
		*cert_pem = *key_pem = NULL;
		return -1;
	}
	return 0;
}
