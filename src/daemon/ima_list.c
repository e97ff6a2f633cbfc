// SPDX-License-Identifier: MIT
#include "daemon/ima_list.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* The list's integers are in the kernel's byte order (little-endian on x86, and with
 * ima_canonical_fmt everywhere): load_le32. */

static bool is_ima_template(const struct ima_entry *e)
{
	return strcmp(e->name, "ima") == 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* 'ima' template data: d (20 raw bytes), then n as u32 strlen + bytes. */
static long ima_template_data_len(const uint8_t *p, size_t avail, char *err, size_t errlen)
{
	uint32_t n;

	if (avail < 24)
		return 0;
	n = load_le32(p + 20);
	if (n > IMA_EVENT_NAME_LEN_MAX)
		return set_error(err, errlen, "'ima' template name of %u bytes (max %d)", n,
			         IMA_EVENT_NAME_LEN_MAX);
	return avail < 24 + (size_t)n ? 0 : 24 + (long)n;
}

long ima_entry_parse(const uint8_t *buf, size_t len, struct ima_entry *e, char *err,
		     size_t errlen)
{
	size_t off = 28, name_len;
	long data_len;

	if (len < 28)
		return 0;
	e->pcr = load_le32(buf);
	memcpy(e->sha1, buf + 4, 20);
	name_len = load_le32(buf + 24);
	if (e->pcr > 23 || name_len == 0 || name_len > IMA_NAME_MAX)
		return set_error(err, errlen, "bad entry header (PCR %u, template name length %zu)",
			         e->pcr, name_len);
	if (len < off + name_len)
		return 0;
	memcpy(e->name, buf + off, name_len);
	e->name[name_len] = '\0';
	if (strlen(e->name) != name_len)
		return set_error(err, errlen, "template name contains a NUL byte");
	off += name_len;
	if (is_ima_template(e)) {
		data_len = ima_template_data_len(buf + off, len - off, err, errlen);
	} else {
		if (len < off + 4)
			return 0;
		data_len = load_le32(buf + off);
		off += 4;
		if (data_len == 0 || data_len > IMA_MAX_TEMPLATE_DATA)
			return set_error(err, errlen, "template data of %ld bytes", data_len);
		if (len < off + (size_t)data_len)
			return 0;
	}
	if (data_len <= 0)
		return data_len;
	e->data = buf + off;
	e->data_len = (size_t)data_len;
	e->violation = all_zero(e->sha1, 20);
	return (long)(off + (size_t)data_len);
}

static int hash_ima_template(const struct ima_entry *e, const struct hash_alg *alg,
			     uint8_t *out)
{
	uint8_t buf[20 + IMA_EVENT_NAME_LEN_MAX + 1] = { 0 };
	uint32_t n = load_le32(e->data + 20);

	memcpy(buf, e->data, 20);
	memcpy(buf + 20, e->data + 24, n);
	return hash_digest(alg, buf, sizeof(buf), out);
}

/* Every other template: H over the fields as (u32 length, data), which is exactly the
 * template data as the binary list shows it; check that the fields tile it. */
static int check_fields(const struct ima_entry *e, char *err, size_t errlen)
{
	size_t off = 0;

	while (off < e->data_len) {
		uint32_t flen;

		if (e->data_len - off < 4 || (flen = load_le32(e->data + off)) > e->data_len - off - 4)
			return set_error(err, errlen, "template '%s': field at offset %zu overruns its data",
				         e->name, off);
		off += 4 + flen;
	}
	return 0;
}

int ima_template_digest(const struct ima_entry *e, const struct hash_alg *alg, uint8_t *out,
			char *err, size_t errlen)
{
	if (e->violation) {
		memset(out, 0xff, alg->size);
		return 0;
	}
	if (is_ima_template(e))
		return hash_ima_template(e, alg, out);
	if (check_fields(e, err, errlen) < 0)
		return -1;
	return hash_digest(alg, e->data, e->data_len, out);
}

/* ima-ng and friends: field 1 d-ng = "<algo>:\0" + digest, field 2 n-ng = name + NUL. */
static bool ng_zero_boot_aggregate(const struct ima_entry *e)
{
	static const char name[] = "boot_aggregate";
	const uint8_t *d = e->data + 4, *sep;
	size_t off;
	uint32_t flen;

	if (e->data_len < 4 || (flen = load_le32(e->data)) > e->data_len - 4)
		return false;
	off = 4 + flen;
	if (e->data_len - off < 4 + sizeof(name) || load_le32(e->data + off) != sizeof(name) ||
	    memcmp(e->data + off + 4, name, sizeof(name)) != 0)
		return false;
	sep = memchr(d, '\0', flen);
	return sep && all_zero(sep + 1, flen - (size_t)(sep + 1 - d));
}

bool ima_entry_is_zero_boot_aggregate(const struct ima_entry *e)
{
	if (is_ima_template(e))
		return e->data_len >= 20 && all_zero(e->data, 20);
	return ng_zero_boot_aggregate(e);
}
