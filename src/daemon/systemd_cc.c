// SPDX-License-Identifier: MIT
/* Does systemd extend the RTMRs itself? (systemd_cc.h) */
#include "daemon/systemd_cc.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define RS 0x1e /* RFC 7464 record separator */
#define CC_LOG_MAX (64u << 20)

static const char *const systemd_cc_mode_table[] = {
	[SYSTEMD_CC_AUTO] = "auto",
	[SYSTEMD_CC_ON] = "on",
	[SYSTEMD_CC_OFF] = "off",
};

DEFINE_STRING_TABLE_LOOKUP(systemd_cc_mode, enum systemd_cc_mode)

static bool int_member(json_object *o, const char *key, int min, int max)
{
	json_object *v;
	int n;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int(v);
	return n >= min && n <= max;
}

/* {"rtmr":0..3,"mapped_pcr":0..23,"digests":[...]} as systemd's runtime-measure writes it */
static bool is_rtmr_record(json_object *o)
{
	json_object *d;

	return json_object_is_type(o, json_type_object) && int_member(o, "rtmr", 0, 3) &&
	       int_member(o, "mapped_pcr", 0, 23) && json_object_object_get_ex(o, "digests", &d) &&
	       json_object_is_type(d, json_type_array) && json_object_array_length(d) > 0;
}

/* One JSON-SEQ record (without its RS); 1 for an RTMR record, 0 for another, -1 for junk. */
static int count_record(const char *p, size_t len)
{
	json_tokener *tok;
	json_object *o;
	int r;

	while (len && (p[len - 1] == '\n' || p[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return -1;
	o = json_tokener_parse_ex(tok, p, (int)len);
	r = !o || json_tokener_get_error(tok) != json_tokener_success ||
			    json_tokener_get_parse_end(tok) != len ? -1 : is_rtmr_record(o);
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

int systemd_cc_count_records(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int n = 0;

	if (len == 0 || text[0] != RS)
		return -1;
	while (p < end) {
		const char *next = memchr(p + 1, RS, (size_t)(end - p - 1));
		size_t reclen = (size_t)((next ? next : end) - p - 1);
		int r = count_record(p + 1, reclen);

		/* a last record cut short is one being written (systemd appends under a lock) */
		if (r < 0 && !next && n > 0)
			break;
		if (r < 0)
			return -1;
		n += r;
		p = next ? next : end;
	}
	return n;
}

bool systemd_cc_decide(const struct systemd_cc_facts *f, char *why, size_t whylen)
{
	if (!f->tdx_backend) {
		snprintf(why, whylen, "the RTMR backend's registers are its own: systemd does not "
			 "extend them");
		return false;
	}
	if (f->cc_log && f->cc_records > 0) {
		snprintf(why, whylen, "systemd extends the RTMRs itself (%s holds %d of its records)",
			 SYSTEMD_CC_LOG, f->cc_records);
		return true;
	}
	if (f->cc_log && f->cc_records < 0) {
		snprintf(why, whylen, "%s is not a systemd CC measurement log: ignored",
			 SYSTEMD_CC_LOG);
		return false;
	}
	if (f->stub_measured && !f->firmware_tpm) {
		snprintf(why, whylen, "systemd-stub measured this boot into the CC registers "
			 "(StubPcrKernelImage set, no firmware TPM): systemd measures there too");
		return true;
	}
	snprintf(why, whylen, "no sign that systemd extends the RTMRs itself");
	return false;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

void systemd_cc_gather(bool tdx_backend, struct systemd_cc_facts *f)
{
	_cleanup_close_ int fd = open(SYSTEMD_CC_LOG, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC |
				      O_NONBLOCK);
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0;

	*f = (struct systemd_cc_facts){ .cc_records = -1 };
	f->cc_log = fd >= 0;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    read_fd_all(fd, &text, &len, CC_LOG_MAX) == 0)
		f->cc_records = systemd_cc_count_records(text, len);
	f->stub_measured = exists(SYSTEMD_STUB_VAR);
	f->firmware_tpm = exists(ACPI_TPM2_TABLE);
	f->tdx_backend = tdx_backend;
}

void systemd_cc_map(struct rtmr_map *m, bool custom)
{
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++) {
		if (SYSTEMD_CC_PCRS & (1u << pcr))
			m->rtmr[pcr] = RTMR_MAP_NONE;
		else if (!custom && m->rtmr[pcr] != RTMR_MAP_NONE)
			m->rtmr[pcr] = SYSTEMD_CC_OWN_RTMR;
	}
}

int systemd_cc_shared_rtmr(const struct rtmr_map *m)
{
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++)
		if (m->rtmr[pcr] >= 0 && m->rtmr[pcr] < SYSTEMD_CC_OWN_RTMR)
			return m->rtmr[pcr];
	return -1;
}
