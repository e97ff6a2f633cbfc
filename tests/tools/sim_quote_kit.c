// SPDX-License-Identifier: MIT
/*
 * sim_quote_kit: what the VM tests' fake_tdx_guest.ko needs to sign TDX quotes that the sim
 * CA vouches for (tests/integration/vm/README.md). NOT Intel, NO SECURITY.
 *
 *   sim_quote_kit DIR
 *
 * Creates (or loads) the sim CA in DIR with tdx_sim_ca_open() and writes next to its files:
 *   quote-key.bin   the attestation private key: the raw big-endian P-256 scalar, 32 bytes
 *                   (mode 0600)
 *   quote-tail.bin  what follows the quote's own signature in every quote of this CA: the
 *                   attestation public key (x||y, 64 bytes), certification data type 6 and its
 *                   size, the QE report, its signature by the PCK key, the QE auth data and the
 *                   inner type-5 PCK chain (PEM)
 * DIR/root-ca.pem, written by tdx_sim_ca_open(), is the trust anchor for `vtpm-rtmr verify`.
 *
 * Only the quote's signature over the 48-byte header and the TD report body depends on the
 * quoted values (tdx_sim_ca_quote.c): the tail is cut from one quote that tdx_sim_quote()
 * makes (zero REPORTDATA and RTMRs), located by tdx_quote_parse(). The key comes from the CA's
 * attest-key.pem and must be the quote's attestation key; that quote must verify against the
 * root (tdx_quote_verify()). Prints "tail=<bytes>" on success; exit 1 with a message if not.
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tdx_quote.h"
#include "attest/tdx_sim_ca.h"
#include "common/openssl_util.h"
#include "common/util.h"

#define KEY_SIZE 32

static void sim_ca_closep(struct tdx_sim_ca **ca)
{
	if (*ca)
		tdx_sim_ca_close(*ca);
}

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "sim_quote_kit: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

/* The private scalar of DIR/attest-key.pem and its raw public point x||y. */
static int load_attest_key(const char *dir, uint8_t priv[KEY_SIZE],
			   uint8_t pub[TDX_ECDSA_KEY_SIZE])
{
	_cleanup_free_ char *path = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(BN_freep) BIGNUM *d = NULL;
	uint8_t pt[1 + TDX_ECDSA_KEY_SIZE];
	size_t n = 0;

	if (asprintf(&path, "%s/attest-key.pem", dir) < 0)
		return -1;
	bio = BIO_new_file(path, "r");
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (!key || !EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 256 ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
	    BN_bn2binpad(d, priv, KEY_SIZE) != KEY_SIZE ||
	    !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
					     sizeof(pt), &n) ||
	    n != sizeof(pt) || pt[0] != 0x04)
		return -1;
	memcpy(pub, pt + 1, TDX_ECDSA_KEY_SIZE);
	return 0;
}

static int write_out(const char *dir, const char *name, const void *data, size_t len,
		     mode_t mode)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return die("out of memory%s", "");
	r = write_file_atomic(path, data, len, mode);
	if (r < 0) {
		fprintf(stderr, "sim_quote_kit: %s: %s\n", path, strerror(-r));
		return 1;
	}
	return 0;
}

static int make_kit(const char *dir)
{
	static const uint8_t zero_rd[TDX_REPORTDATA_SIZE], zero_rtmr[TDX_RTMRS][TDX_MR_SIZE];
	_cleanup_(sim_ca_closep) struct tdx_sim_ca *ca = NULL;
	_cleanup_free_ uint8_t *quote = NULL;
	uint8_t priv[KEY_SIZE], pub[TDX_ECDSA_KEY_SIZE];
	struct tdx_quote_checks ck;
	struct tdx_quote q;
	const uint8_t *tail;
	size_t len, tail_len;
	char err[512];
	int rc;

	if (tdx_sim_ca_open(dir, &ca, err, sizeof(err)) < 0)
		return die("sim CA: %s", err);
	if (tdx_sim_quote(ca, zero_rd, zero_rtmr, &quote, &len, err, sizeof(err)) < 0)
		return die("tdx_sim_quote: %s", err);
	if (tdx_quote_parse(quote, len, &q, err, sizeof(err)) < 0)
		return die("the sim quote does not parse: %s", err);
	if (tdx_quote_verify(&q, tdx_sim_ca_root(ca), &ck) != 0)
		return die("the sim quote does not verify against the sim root: %s", ck.detail);
	if (q.version != TDX_QUOTE_V4 || q.signed_len != TDX_QUOTE_HEADER_SIZE +
	    TDX_TD10_BODY_SIZE || q.sig != quote + q.signed_len + 4)
		return die("unexpected sim quote layout%s", "");
	if (load_attest_key(dir, priv, pub) < 0) {
		ERR_clear_error();
		return die("%s/attest-key.pem: not a P-256 private key", dir);
	}
	if (memcmp(pub, q.attest_key, sizeof(pub)) != 0)
		return die("%s/attest-key.pem is not the quote's attestation key", dir);
	tail = q.attest_key;
	tail_len = len - (size_t)(tail - quote);
	rc = write_out(dir, "quote-key.bin", priv, sizeof(priv), 0600);
	OPENSSL_cleanse(priv, sizeof(priv));
	if (rc || write_out(dir, "quote-tail.bin", tail, tail_len, 0644))
		return 1;
	printf("tail=%zu\n", tail_len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: sim_quote_kit DIR\n");
		return 2;
	}
	return make_kit(argv[1]);
}
