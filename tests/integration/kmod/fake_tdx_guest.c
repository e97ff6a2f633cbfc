// SPDX-License-Identifier: GPL-2.0
/*
 * fake_tdx_guest: an EMULATION of the Intel TDX guest measurement interface, for the VM tests
 * of vtpm-rtmr on machines without TDX. It gives no security whatsoever.
 *
 * 1. The Linux 6.16 tsm-mr measurement files of the tdx_guest driver, on a 6.12 kernel (which
 *    has no tsm-mr core): a misc device named "tdx_guest" with an attribute group
 *    "measurements" holding the binary attributes rtmr0:sha384 .. rtmr3:sha384, so
 *        /sys/class/misc/tdx_guest/measurements/rtmr<N>:sha384
 *    Read: the 48-byte register value. Write: only at offset 0 and exactly 48 bytes; it
 *    extends, value = SHA-384(value || data) (crypto_shash "sha384"). Any other write is
 *    -EINVAL. (Like the real attributes, the size is 48, so sysfs itself truncates a longer
 *    write at offset 0 to 48 bytes before it reaches us.) Fault injection for the fail-closed
 *    tests: after "echo N > /sys/module/fake_tdx_guest/parameters/fail_extends" the next N
 *    extends fail with -EIO and change nothing.
 *
 * 2. A configfs-tsm report provider (tsm_register(), exported by tsm.ko in 6.12), compiled in
 *    when the kernel has CONFIG_TSM_REPORTS. report_new() returns an outblob in the layout of
 *    an Intel TDX DCAP quote v4: a 48-byte header (version 4, attestation key type 2,
 *    TEE type 0x81), the 584-byte TD report body carrying the emulated RTMRs and the 64-byte
 *    inblob as REPORTDATA, then the signature data: its length, the ECDSA P-256 signature
 *    over SHA-256(header || body), made per request with the attestation key of a SIMULATED
 *    CA (the project's sim CA, NOT Intel), and the fixed rest of that CA's quotes: the
 *    attestation public key and certification data type 6 (QE report signed by the PCK key,
 *    QE auth data, the type-5 PCK chain up to the sim root).
 *    The key and that tail are the "quote kit" of tests/tools/sim_quote_kit, read at load time
 *    with request_firmware_direct() from /lib/firmware/fake_tdx_guest/quote-key.bin (the raw
 *    32-byte big-endian private scalar) and quote-tail.bin; the module checks that the key's
 *    public point is the tail's attestation key and does not load without a valid kit.
 *    Signing uses the ECC primitives crypto/ecc.c exports (ecc_make_pub_key for k*G,
 *    vli_mod_mult_slow, vli_mod_inv, ...) with a fresh random k for every quote. A verifier
 *    given the sim root CA accepts these quotes; with Intel's root it must not.
 *    If the registration fails (another provider is registered) the module still loads,
 *    without the provider, and says so; module parameter tsm=0 skips the provider (and the
 *    kit).
 *
 * Target: Linux 6.12 (Debian linux-image-6.12.*+deb12-amd64), built out of tree against the
 * matching linux-headers.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <crypto/hash.h>
#if IS_ENABLED(CONFIG_TSM_REPORTS)
#include <linux/firmware.h>
#include <linux/random.h>
#include <linux/tsm.h>
#include <crypto/ecdh.h>
#include <crypto/internal/ecc.h>
#endif

#define NR_RTMR 4
#define RTMR_SIZE 48 /* SHA-384 */

static struct crypto_shash *sha384;
static DEFINE_MUTEX(rtmr_lock);
static u8 rtmr[NR_RTMR][RTMR_SIZE];

static int fail_extends;
module_param(fail_extends, int, 0644);
MODULE_PARM_DESC(fail_extends, "fail this many further RTMR extends with -EIO (fault injection)");

static bool tsm = true;
module_param(tsm, bool, 0444);
MODULE_PARM_DESC(tsm, "register the configfs-tsm report provider (default on)");

/* ---- measurement registers ------------------------------------------------------------ */

static ssize_t rtmr_read(struct file *f, struct kobject *kobj, struct bin_attribute *attr,
			 char *buf, loff_t off, size_t count)
{
	unsigned long idx = (unsigned long)attr->private;

	if (off < 0)
		return -EINVAL;
	if (off >= RTMR_SIZE)
		return 0;
	if (count > RTMR_SIZE - off)
		count = RTMR_SIZE - off;
	mutex_lock(&rtmr_lock);
	memcpy(buf, rtmr[idx] + off, count);
	mutex_unlock(&rtmr_lock);
	return count;
}

static ssize_t rtmr_write(struct file *f, struct kobject *kobj, struct bin_attribute *attr,
			  char *buf, loff_t off, size_t count)
{
	unsigned long idx = (unsigned long)attr->private;
	u8 in[2 * RTMR_SIZE];
	int r;

	if (off != 0 || count != RTMR_SIZE)
		return -EINVAL;
	mutex_lock(&rtmr_lock);
	if (fail_extends > 0) {
		fail_extends--;
		mutex_unlock(&rtmr_lock);
		return -EIO;
	}
	memcpy(in, rtmr[idx], RTMR_SIZE);
	memcpy(in + RTMR_SIZE, buf, RTMR_SIZE);
	r = crypto_shash_tfm_digest(sha384, in, sizeof(in), rtmr[idx]);
	mutex_unlock(&rtmr_lock);
	if (r)
		return r;
	return count;
}

#define RTMR_ATTR(n)                                                                      \
	static struct bin_attribute rtmr##n##_attr = {                                    \
		.attr = { .name = "rtmr" #n ":sha384", .mode = 0644 },                    \
		.size = RTMR_SIZE,                                                        \
		.private = (void *)(unsigned long)(n),                                    \
		.read = rtmr_read,                                                        \
		.write = rtmr_write,                                                      \
	}
RTMR_ATTR(0);
RTMR_ATTR(1);
RTMR_ATTR(2);
RTMR_ATTR(3);

static struct bin_attribute *measurement_attrs[] = {
	&rtmr0_attr, &rtmr1_attr, &rtmr2_attr, &rtmr3_attr, NULL,
};

static const struct attribute_group measurement_group = {
	.name = "measurements",
	.bin_attrs = measurement_attrs,
};

static const struct attribute_group *misc_groups[] = { &measurement_group, NULL };

static const struct file_operations fake_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice fake_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tdx_guest",
	.fops = &fake_fops,
	.groups = misc_groups,
};

/* ---- configfs-tsm provider: TDX DCAP quotes v4 signed with the sim CA's key -------------- */
#if IS_ENABLED(CONFIG_TSM_REPORTS)

#define QUOTE_HDR_SIZE 48
#define TD_BODY_SIZE 584
#define BODY_RTMR0 328
#define BODY_REPORTDATA 520
#define SIGNED_SIZE (QUOTE_HDR_SIZE + TD_BODY_SIZE)
#define SIG_SIZE 64		/* ECDSA P-256 r||s, big-endian */
#define KEY_SIZE 32		/* the attestation key's private scalar, big-endian */
#define PUB_SIZE 64		/* its public point x||y, big-endian: the tail's first bytes */
#define NDIGITS ECC_CURVE_NIST_P256_DIGITS
#define KIT_KEY "fake_tdx_guest/quote-key.bin"
#define KIT_TAIL "fake_tdx_guest/quote-tail.bin"
#define MAX_TAIL 65536

/* Intel's QE vendor id, 939a7233-f79c-4ca9-940a-0db3957f0607 */
static const u8 intel_qe_vendor_id[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					   0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };

static bool tsm_registered;
static struct crypto_shash *sha256;
static const struct ecc_curve *p256;
static u64 attest_key[NDIGITS];	/* the private scalar d, as a vli */
static u8 *quote_tail;		/* attestation public key and certification data */
static size_t quote_tail_len;

/* a vli as 32 big-endian bytes */
static void vli_to_be(u8 *out, const u64 *v)
{
	int i;

	for (i = 0; i < NDIGITS; i++)
		put_unaligned_be64(v[NDIGITS - 1 - i], out + 8 * i);
}

/* result = (a + b) mod n, for a, b < n (crypto/ecc.c does not export vli_mod_add) */
static void mod_add(u64 *result, const u64 *a, const u64 *b, const u64 *n)
{
	u64 carry = 0;
	int i;

	for (i = 0; i < NDIGITS; i++) {
		u64 sum = a[i] + b[i] + carry;

		if (sum != a[i])
			carry = sum < a[i];
		result[i] = sum;
	}
	if (carry || vli_cmp(result, n, NDIGITS) >= 0)
		vli_sub(result, result, n, NDIGITS);
}

/* v = v mod n, for v < 2n (a P-256 hash or x coordinate is below 2^256 < 2n) */
static void reduce_once(u64 *v, const u64 *n)
{
	if (vli_cmp(v, n, NDIGITS) >= 0)
		vli_sub(v, v, n, NDIGITS);
}

/*
 * ECDSA P-256 with SHA-256 over data, as the DCAP quote carries it (r||s, big-endian):
 * e = SHA-256(data) mod n; k random in [1, n-1] (get_random_bytes, rejected and drawn again
 * if 0 or >= n); r = x(k*G) mod n; s = k^-1 (e + r*d) mod n; r and s must not be 0.
 */
static int quote_sign(const u8 *data, size_t len, u8 sig[SIG_SIZE])
{
	const u64 *n = p256->n;
	u64 e[NDIGITS], k[NDIGITS], kinv[NDIGITS], r[NDIGITS], s[NDIGITS], t[NDIGITS];
	u64 pt[2 * NDIGITS];	/* k*G as big-endian x||y */
	u8 digest[32], kb[KEY_SIZE];
	int tries, ret;

	ret = crypto_shash_tfm_digest(sha256, data, len, digest);
	if (ret)
		return ret;
	ecc_digits_from_bytes(digest, sizeof(digest), e, NDIGITS);
	reduce_once(e, n);
	ret = -EAGAIN;
	for (tries = 0; tries < 64; tries++) {
		get_random_bytes(kb, sizeof(kb));
		ecc_digits_from_bytes(kb, sizeof(kb), k, NDIGITS);
		if (vli_is_zero(k, NDIGITS) || vli_cmp(k, n, NDIGITS) >= 0)
			continue;
		/* k*G (ecc_make_pub_key also checks that the point is valid) */
		if (ecc_make_pub_key(ECC_CURVE_NIST_P256, NDIGITS, k, pt))
			continue;
		ecc_digits_from_bytes((u8 *)pt, 32, r, NDIGITS);
		reduce_once(r, n);
		if (vli_is_zero(r, NDIGITS))
			continue;
		vli_mod_mult_slow(t, r, attest_key, n, NDIGITS);
		mod_add(t, t, e, n);
		vli_mod_inv(kinv, k, n, NDIGITS);
		vli_mod_mult_slow(s, kinv, t, n, NDIGITS);
		if (vli_is_zero(s, NDIGITS))
			continue;
		vli_to_be(sig, r);
		vli_to_be(sig + 32, s);
		ret = 0;
		break;
	}
	memzero_explicit(kb, sizeof(kb));
	memzero_explicit(k, sizeof(k));
	memzero_explicit(kinv, sizeof(kinv));
	return ret;
}

static int fake_report_new(struct tsm_report *report, void *data)
{
	size_t size = SIGNED_SIZE + 4 + SIG_SIZE + quote_tail_len;
	u8 *q, *body;
	int ret;

	q = kvzalloc(size, GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	put_unaligned_le16(4, q + 0);      /* version */
	put_unaligned_le16(2, q + 2);      /* attestation key type: ECDSA-256 with P-256 */
	put_unaligned_le32(0x81, q + 4);   /* TEE type: TDX */
	memcpy(q + 12, intel_qe_vendor_id, sizeof(intel_qe_vendor_id));
	body = q + QUOTE_HDR_SIZE;
	mutex_lock(&rtmr_lock);
	memcpy(body + BODY_RTMR0, rtmr, sizeof(rtmr));
	mutex_unlock(&rtmr_lock);
	memcpy(body + BODY_REPORTDATA, report->desc.inblob, TSM_INBLOB_MAX);
	/* signature data: its length, the signature over header || body, the fixed tail */
	put_unaligned_le32(SIG_SIZE + quote_tail_len, q + SIGNED_SIZE);
	ret = quote_sign(q, SIGNED_SIZE, q + SIGNED_SIZE + 4);
	if (ret) {
		pr_warn("fake_tdx_guest: signing the quote failed (%d)\n", ret);
		kvfree(q);
		return ret;
	}
	memcpy(q + SIGNED_SIZE + 4 + SIG_SIZE, quote_tail, quote_tail_len);
	report->outblob = q;
	report->outblob_len = size;
	return 0;
}

/*
 * The quote kit (tests/tools/sim_quote_kit, put in /lib/firmware by the VM rig): the private
 * key must be a valid P-256 scalar whose public point is the tail's attestation key, and the
 * tail must go on with certification data type 6 whose size covers exactly the rest.
 */
static int load_quote_kit(struct device *dev)
{
	const struct firmware *key = NULL, *tail = NULL;
	u64 pub[2 * NDIGITS];	/* big-endian x||y */
	int ret;

	p256 = ecc_get_curve(ECC_CURVE_NIST_P256);
	if (!p256)
		return -ENOENT;
	ret = request_firmware_direct(&key, KIT_KEY, dev);
	if (ret) {
		pr_err("fake_tdx_guest: no quote key /lib/firmware/" KIT_KEY " (%d)\n", ret);
		return ret;
	}
	ret = request_firmware_direct(&tail, KIT_TAIL, dev);
	if (ret) {
		pr_err("fake_tdx_guest: no quote tail /lib/firmware/" KIT_TAIL " (%d)\n", ret);
		goto out;
	}
	ret = -EINVAL;
	if (key->size != KEY_SIZE) {
		pr_err("fake_tdx_guest: " KIT_KEY ": %zu bytes, want %d\n", key->size, KEY_SIZE);
		goto out;
	}
	if (tail->size < PUB_SIZE + 6 || tail->size > MAX_TAIL ||
	    get_unaligned_le16(tail->data + PUB_SIZE) != 6 ||
	    get_unaligned_le32(tail->data + PUB_SIZE + 2) != tail->size - PUB_SIZE - 6) {
		pr_err("fake_tdx_guest: " KIT_TAIL ": not an attestation key and certification "
		       "data type 6 (%zu bytes)\n", tail->size);
		goto out;
	}
	ecc_digits_from_bytes(key->data, KEY_SIZE, attest_key, NDIGITS);
	if (ecc_is_key_valid(ECC_CURVE_NIST_P256, NDIGITS, attest_key, KEY_SIZE) ||
	    ecc_make_pub_key(ECC_CURVE_NIST_P256, NDIGITS, attest_key, pub) ||
	    memcmp(pub, tail->data, PUB_SIZE)) {
		pr_err("fake_tdx_guest: " KIT_KEY " is not the private key of the attestation "
		       "key in " KIT_TAIL "\n");
		goto out;
	}
	quote_tail = kmemdup(tail->data, tail->size, GFP_KERNEL);
	if (!quote_tail) {
		ret = -ENOMEM;
		goto out;
	}
	quote_tail_len = tail->size;
	ret = 0;
out:
	if (ret)
		memzero_explicit(attest_key, sizeof(attest_key));
	release_firmware(tail);
	release_firmware(key);
	return ret;
}

static void free_quote_kit(void)
{
	memzero_explicit(attest_key, sizeof(attest_key));
	kfree(quote_tail);
	quote_tail = NULL;
	quote_tail_len = 0;
}

static bool fake_report_attr_visible(int n)
{
	return n == TSM_REPORT_GENERATION || n == TSM_REPORT_PROVIDER;
}

static bool fake_report_bin_attr_visible(int n)
{
	return n == TSM_REPORT_INBLOB || n == TSM_REPORT_OUTBLOB;
}

static const struct tsm_ops fake_tsm_ops = {
	.name = "tdx_guest",
	.report_new = fake_report_new,
	.report_attr_visible = fake_report_attr_visible,
	.report_bin_attr_visible = fake_report_bin_attr_visible,
};

/* The provider needs the quote kit: without it (or SHA-256) the module does not load. */
static int fake_tsm_init(void)
{
	int r;

	if (!tsm) {
		pr_info("fake_tdx_guest: configfs-tsm provider not registered (tsm=0)\n");
		return 0;
	}
	sha256 = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(sha256)) {
		r = PTR_ERR(sha256);
		sha256 = NULL;
		return r;
	}
	r = load_quote_kit(fake_misc.this_device);
	if (r) {
		crypto_free_shash(sha256);
		sha256 = NULL;
		return r;
	}
	r = tsm_register(&fake_tsm_ops, NULL);
	if (r) {
		pr_warn("fake_tdx_guest: tsm_register failed (%d): no configfs-tsm provider\n", r);
		return 0;
	}
	tsm_registered = true;
	pr_info("fake_tdx_guest: configfs-tsm provider \"tdx_guest\" registered (quotes signed "
		"with the sim CA's attestation key, then its %zu-byte tail)\n", quote_tail_len);
	return 0;
}

static void fake_tsm_exit(void)
{
	if (tsm_registered)
		tsm_unregister(&fake_tsm_ops);
	tsm_registered = false;
	free_quote_kit();
	if (sha256)
		crypto_free_shash(sha256);
	sha256 = NULL;
}
#else
static int fake_tsm_init(void)
{
	pr_info("fake_tdx_guest: kernel without CONFIG_TSM_REPORTS: no configfs-tsm provider\n");
	return 0;
}

static void fake_tsm_exit(void)
{
}
#endif

static int __init fake_tdx_init(void)
{
	int r;

	sha384 = crypto_alloc_shash("sha384", 0, 0);
	if (IS_ERR(sha384))
		return PTR_ERR(sha384);
	r = misc_register(&fake_misc);
	if (r)
		goto err_shash;
	r = fake_tsm_init();
	if (r)
		goto err_misc;
	pr_warn("fake_tdx_guest: EMULATED TDX RTMRs at /sys/class/misc/tdx_guest/measurements "
		"(test use only, no security)\n");
	return 0;

err_misc:
	misc_deregister(&fake_misc);
err_shash:
	crypto_free_shash(sha384);
	return r;
}

static void __exit fake_tdx_exit(void)
{
	fake_tsm_exit();
	misc_deregister(&fake_misc);
	crypto_free_shash(sha384);
}

module_init(fake_tdx_init);
module_exit(fake_tdx_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Emulated TDX guest RTMRs (tsm-mr sysfs layout) and quotes, for tests");
