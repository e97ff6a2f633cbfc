// SPDX-License-Identifier: MIT
/* The sim quote provider's CA: create once (root -> intermediate -> PCK leaf, ECDSA P-256,
 * valid 2020..2049 like Intel's root), store as PEM, load on later opens. */
#include "attest/tdx_sim_ca.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/tdx_quote.h"
#include "attest/tdx_sim_ca_internal.h"
#include "common/openssl_util.h"
#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/util.h"

#define SIM_O "vtpm-rtmr simulator"
#define SIM_INTER_CN "vtpm-rtmr SIM PCK Platform CA \xe2\x80\x94 NOT Intel"
#define SIM_LEAF_CN "vtpm-rtmr SIM PCK Certificate \xe2\x80\x94 NOT Intel"
#define SIM_NOT_BEFORE "20200101000000Z"
#define SIM_NOT_AFTER "20491231235959Z"
#define SIM_MAX_FILE (64 * 1024)

void tdx_sim_ca_close(struct tdx_sim_ca *ca)
{
	if (!ca)
		return;
	EVP_PKEY_free(ca->pck_key);
	EVP_PKEY_free(ca->attest_key);
	X509_free(ca->root);
	free(ca->chain_pem);
	free(ca);
}

X509 *tdx_sim_ca_root(const struct tdx_sim_ca *ca)
{
	return ca ? ca->root : NULL;
}

/* ---- certificates ---- */

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	_cleanup_(X509_EXTENSION_freep) X509_EXTENSION *ext =
		X509V3_EXT_nconf_nid(NULL, ctx, nid, value);

	return ext && X509_add_ext(x, ext, -1) ? 0 : -1;
}

static int set_name(X509 *x, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)SIM_O,
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0))
		return -1;
	return 0;
}

static int set_serial_and_validity(X509 *x)
{
	_cleanup_(BN_freep) BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
		 ASN1_TIME_set_string_X509(X509_getm_notBefore(x), SIM_NOT_BEFORE) &&
		 ASN1_TIME_set_string_X509(X509_getm_notAfter(x), SIM_NOT_AFTER);

	return ok ? 0 : -1;
}

/* A certificate for key, issued by issuer/issuer_key (self-signed when issuer is NULL). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *basic_constraints, const char *key_usage)
{
	_cleanup_(X509_freep) X509 *x = X509_new();
	X509V3_CTX ctx;

	if (!x || !X509_set_version(x, X509_VERSION_3) || set_serial_and_validity(x) ||
	    set_name(x, cn) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) ||
	    !X509_set_pubkey(x, key))
		return NULL;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, basic_constraints) ||
	    add_ext(x, &ctx, NID_key_usage, key_usage) ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, issuer_key, EVP_sha256()))
		return NULL;
	return TAKE_PTR(x);
}

/* ---- PEM in memory ---- */

/* Append the PEM of x or key to a malloc'd string. */
static int pem_append(char **s, size_t *len, X509 *x, EVP_PKEY *key)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *data, *ns;
	long n;
	int ok = bio && (x ? PEM_write_bio_X509(bio, x)
			   : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL));

	n = ok ? BIO_get_mem_data(bio, &data) : -1;
	ns = n > 0 ? realloc(*s, *len + (size_t)n + 1) : NULL;
	if (ns) {
		memcpy(ns + *len, data, (size_t)n);
		*len += (size_t)n;
		ns[*len] = '\0';
		*s = ns;
	}
	return ns ? 0 : -1;
}

/* The sim CA's directory: its path for messages, its descriptor for every file (safe_fs.h). */
struct sim_dir {
	const char *path;
	int fd;
};

static int write_pem(const struct sim_dir *dir, const char *name, X509 *x, EVP_PKEY *key,
		     const char *text, char *err, size_t errlen)
{
	_cleanup_free_ char *path = NULL, *pem = NULL;
	size_t len = 0;
	int r;

	if (asprintf(&path, "%s/%s", dir->path, name) < 0)
		return set_error(err, errlen, "out of memory");
	if (text)
		len = strlen(text);
	else if (pem_append(&pem, &len, x, key))
		return set_error(err, errlen, "%s: cannot encode PEM", path);
	r = safe_write_atomic(dir->fd, name, text ? text : pem, len, key ? 0600 : 0644);
	if (r < 0)
		return set_error(err, errlen, "%s: %s", path, safe_fs_strerror(r));
	return 0;
}

/* ---- create ---- */

/* Root -> intermediate -> PCK leaf; ca gets the keys, the chain's PEM and the root. */
static int create_pki(struct tdx_sim_ca *ca)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *root_key = EVP_EC_gen("P-256");
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *inter_key = EVP_EC_gen("P-256");
	_cleanup_(X509_freep) X509 *root = NULL, *inter = NULL, *leaf = NULL;

	ca->pck_key = EVP_EC_gen("P-256");
	ca->attest_key = EVP_EC_gen("P-256");
	if (!root_key || !inter_key || !ca->pck_key || !ca->attest_key)
		return -1;
	root = make_cert(TDX_SIM_ROOT_CN, root_key, NULL, root_key, "critical,CA:TRUE,pathlen:1",
			 "critical,keyCertSign,cRLSign");
	inter = root ? make_cert(SIM_INTER_CN, inter_key, root, root_key,
				 "critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign")
		     : NULL;
	leaf = inter ? make_cert(SIM_LEAF_CN, ca->pck_key, inter, inter_key, "critical,CA:FALSE",
				 "critical,digitalSignature,nonRepudiation")
		     : NULL;
	if (!leaf || pem_append(&ca->chain_pem, &ca->chain_len, leaf, NULL) ||
	    pem_append(&ca->chain_pem, &ca->chain_len, inter, NULL) ||
	    pem_append(&ca->chain_pem, &ca->chain_len, root, NULL))
		return -1;
	ca->root = TAKE_PTR(root);
	return 0;
}

static int sim_create(const struct sim_dir *dir, struct tdx_sim_ca *ca, char *err, size_t errlen)
{
	if (create_pki(ca))
		return set_error(err, errlen, "cannot create the sim CA keys and certificates");
	/* root-ca.pem last: its presence says the others are complete. */
	if (write_pem(dir, "pck-key.pem", NULL, ca->pck_key, NULL, err, errlen) ||
	    write_pem(dir, "attest-key.pem", NULL, ca->attest_key, NULL, err, errlen) ||
	    write_pem(dir, "pck-chain.pem", NULL, NULL, ca->chain_pem, err, errlen) ||
	    write_pem(dir, RUNTIME_SIM_ROOT_CA, ca->root, NULL, NULL, err, errlen))
		return -1;
	return 0;
}

/* ---- load ---- */

static int load_file(const struct sim_dir *dir, const char *name, char **text, size_t *len, char *err,
		     size_t errlen)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/%s", dir->path, name) < 0)
		return set_error(err, errlen, "out of memory");
	r = safe_read_all(dir->fd, name, text, len, SIM_MAX_FILE);
	if (r < 0)
		return set_error(err, errlen, "%s: %s (remove root-ca.pem to re-create the sim CA)",
				 path, safe_fs_strerror(r));
	return 0;
}

static int load_p256_key(const struct sim_dir *dir, const char *name, EVP_PKEY **out, char *err,
			 size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	size_t len;

	if (load_file(dir, name, &text, &len, err, errlen))
		return -1;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	OPENSSL_cleanse(text, len);
	if (!key || !EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 256)
		return set_error(err, errlen, "%s/%s: not a P-256 private key", dir->path, name);
	*out = TAKE_PTR(key);
	return 0;
}

/* The chain's leaf must carry the PCK key. */
static int check_leaf(struct tdx_sim_ca *ca, const struct sim_dir *dir, char *err, size_t errlen)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(ca->chain_pem, (int)ca->chain_len);
	_cleanup_(X509_freep) X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	if (!leaf || !X509_check_private_key(leaf, ca->pck_key))
		return set_error(err, errlen, "%s/pck-chain.pem: leaf does not match pck-key.pem",
				 dir->path);
	return 0;
}

static int sim_load(const struct sim_dir *dir, struct tdx_sim_ca *ca, char *err, size_t errlen)
{
	_cleanup_free_ char *root_pem = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	size_t len;

	if (load_file(dir, RUNTIME_SIM_ROOT_CA, &root_pem, &len, err, errlen))
		return -1;
	bio = BIO_new_mem_buf(root_pem, (int)len);
	ca->root = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (!ca->root)
		return set_error(err, errlen, "%s/%s: not a PEM certificate", dir->path,
				 RUNTIME_SIM_ROOT_CA);
	if (load_p256_key(dir, "pck-key.pem", &ca->pck_key, err, errlen) ||
	    load_p256_key(dir, "attest-key.pem", &ca->attest_key, err, errlen) ||
	    load_file(dir, "pck-chain.pem", &ca->chain_pem, &ca->chain_len, err, errlen))
		return -1;
	return check_leaf(ca, dir, err, errlen);
}

/* Serialise creation between processes (the daemon and the tool may both use the sim). */
static int lock_dir(const struct sim_dir *dir, char *err, size_t errlen)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;

	if (asprintf(&path, "%s/.lock", dir->path) < 0)
		return set_error(err, errlen, "out of memory");
	fd = safe_openat(dir->fd, ".lock", O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return set_error(err, errlen, "%s: %s", path, safe_fs_strerror(fd));
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return set_error(err, errlen, "%s: lock: %s", path, strerror(errno));
	return take_fd(&fd);
}

static int open_locked(const struct sim_dir *dir, struct tdx_sim_ca *ca, char *err, size_t errlen)
{
	struct stat st;

	if (fstatat(dir->fd, RUNTIME_SIM_ROOT_CA, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return sim_load(dir, ca, err, errlen);
	if (errno == ENOENT)
		return sim_create(dir, ca, err, errlen);
	return set_error(err, errlen, "%s/%s: %s", dir->path, RUNTIME_SIM_ROOT_CA,
			 strerror(errno));
}

static void sim_ca_closep(struct tdx_sim_ca **ca)
{
	tdx_sim_ca_close(*ca);
}

static int sim_ca_open(const char *path, struct tdx_sim_ca **out, char *err, size_t errlen)
{
	_cleanup_close_ int lock = -1, dfd = -1;
	_cleanup_(sim_ca_closep) struct tdx_sim_ca *ca = NULL;
	struct sim_dir d = { .path = path };

	d.fd = dfd = safe_dir_open(path, "sim CA directory", SAFE_DIR_CREATE, 0700, err, errlen);
	if (dfd < 0)
		return -1;
	lock = lock_dir(&d, err, errlen);
	if (lock < 0)
		return -1;
	ca = calloc(1, sizeof(*ca));
	if (!ca)
		return set_error(err, errlen, "out of memory");
	if (open_locked(&d, ca, err, errlen))
		return -1;
	*out = TAKE_PTR(ca);
	return 0;
}

int tdx_sim_ca_open(const char *dir, struct tdx_sim_ca **out, char *err, size_t errlen)
{
	*out = NULL;
	if (sim_ca_open(dir, out, err, errlen) == 0)
		return 0;
	ERR_clear_error(); /* err says why; leave no OpenSSL errors to the caller */
	return -1;
}
