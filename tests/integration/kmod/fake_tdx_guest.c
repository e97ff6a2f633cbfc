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
 *    inblob as REPORTDATA, then the signature data in the DCAP layout (certification data
 *    type 6 with a QE report, and an empty type-5 PCK chain) with every signature, key and
 *    report zero: no verifier can, or may, trust it.
 *    If the registration fails (another provider is registered) the module still loads,
 *    without the provider, and says so; module parameter tsm=0 skips it.
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
#include <linux/tsm.h>
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

/* ---- configfs-tsm provider: a TDX DCAP quote v4 with an all-zero signature -------------- */
#if IS_ENABLED(CONFIG_TSM_REPORTS)

#define QUOTE_HDR_SIZE 48
#define TD_BODY_SIZE 584
#define BODY_RTMR0 328
#define BODY_REPORTDATA 520
/* ECDSA signature (64), attestation key (64), certification data type 6 (2) and size (4),
 * then its data: QE report (384), QE report signature (64), QE auth data size (2, empty),
 * and the inner certification data: type 5 (PCK chain, 2), size (4), empty. */
#define CERT6_LEN (384 + 64 + 2 + 2 + 4)
#define SIG_DATA_LEN (64 + 64 + 2 + 4 + CERT6_LEN)
#define QUOTE_SIZE (QUOTE_HDR_SIZE + TD_BODY_SIZE + 4 + SIG_DATA_LEN)

/* Intel's QE vendor id, 939a7233-f79c-4ca9-940a-0db3957f0607 */
static const u8 intel_qe_vendor_id[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					   0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };

static bool tsm_registered;

static int fake_report_new(struct tsm_report *report, void *data)
{
	u8 *q, *body, *sig;

	q = kvzalloc(QUOTE_SIZE, GFP_KERNEL);
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
	put_unaligned_le32(SIG_DATA_LEN, body + TD_BODY_SIZE);
	/* signatures, keys and the QE report stay zero: the layout is real, nothing verifies */
	sig = body + TD_BODY_SIZE + 4;
	put_unaligned_le16(6, sig + 128);
	put_unaligned_le32(CERT6_LEN, sig + 130);
	put_unaligned_le16(5, sig + 134 + 384 + 64 + 2);
	report->outblob = q;
	report->outblob_len = QUOTE_SIZE;
	return 0;
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

static void fake_tsm_init(void)
{
	int r;

	if (!tsm) {
		pr_info("fake_tdx_guest: configfs-tsm provider not registered (tsm=0)\n");
		return;
	}
	r = tsm_register(&fake_tsm_ops, NULL);
	if (r) {
		pr_warn("fake_tdx_guest: tsm_register failed (%d): no configfs-tsm provider\n", r);
		return;
	}
	tsm_registered = true;
	pr_info("fake_tdx_guest: configfs-tsm provider \"tdx_guest\" registered "
		"(quotes carry an all-zero signature)\n");
}

static void fake_tsm_exit(void)
{
	if (tsm_registered)
		tsm_unregister(&fake_tsm_ops);
}
#else
static void fake_tsm_init(void)
{
	pr_info("fake_tdx_guest: kernel without CONFIG_TSM_REPORTS: no configfs-tsm provider\n");
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
	if (r) {
		crypto_free_shash(sha384);
		return r;
	}
	fake_tsm_init();
	pr_warn("fake_tdx_guest: EMULATED TDX RTMRs at /sys/class/misc/tdx_guest/measurements "
		"(test use only, no security)\n");
	return 0;
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
