// SPDX-License-Identifier: MIT
/* TCG2 crypto-agile event log: names and safe text for showing events (see tcg2.h). */
#include "eventlog/tcg2.h"

#include <stdio.h>
#include <string.h>

#define SHOW_MAX_BYTES 512 /* event data bytes rendered at most */

static const struct {
	uint32_t type;
	const char *name;
} type_names[] = {
	{ 0x00000000, "EV_PREBOOT_CERT" },
	{ 0x00000001, "EV_POST_CODE" },
	{ 0x00000002, "EV_UNUSED" },
	{ 0x00000003, "EV_NO_ACTION" },
	{ 0x00000004, "EV_SEPARATOR" },
	{ 0x00000005, "EV_ACTION" },
	{ 0x00000006, "EV_EVENT_TAG" },
	{ 0x00000007, "EV_S_CRTM_CONTENTS" },
	{ 0x00000008, "EV_S_CRTM_VERSION" },
	{ 0x00000009, "EV_CPU_MICROCODE" },
	{ 0x0000000a, "EV_PLATFORM_CONFIG_FLAGS" },
	{ 0x0000000b, "EV_TABLE_OF_DEVICES" },
	{ 0x0000000c, "EV_COMPACT_HASH" },
	{ 0x0000000d, "EV_IPL" },
	{ 0x0000000e, "EV_IPL_PARTITION_DATA" },
	{ 0x0000000f, "EV_NONHOST_CODE" },
	{ 0x00000010, "EV_NONHOST_CONFIG" },
	{ 0x00000011, "EV_NONHOST_INFO" },
	{ 0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS" },
	{ 0x00000013, "EV_POST_CODE2" },
	{ 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG" },
	{ 0x80000002, "EV_EFI_VARIABLE_BOOT" },
	{ 0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION" },
	{ 0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER" },
	{ 0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER" },
	{ 0x80000006, "EV_EFI_GPT_EVENT" },
	{ 0x80000007, "EV_EFI_ACTION" },
	{ 0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB" },
	{ 0x80000009, "EV_EFI_HANDOFF_TABLES" },
	{ 0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2" },
	{ 0x8000000b, "EV_EFI_HANDOFF_TABLES2" },
	{ 0x8000000c, "EV_EFI_VARIABLE_BOOT2" },
	{ 0x8000000d, "EV_EFI_GPT_EVENT2" },
	{ 0x80000010, "EV_EFI_HCRTM_EVENT" },
	{ 0x800000e0, "EV_EFI_VARIABLE_AUTHORITY" },
	{ 0x800000e1, "EV_EFI_SPDM_FIRMWARE_BLOB" },
	{ 0x800000e2, "EV_EFI_SPDM_FIRMWARE_CONFIG" },
};

const char *tcg2_event_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

struct out {
	char *p;
	size_t cap;
	size_t len;
	bool cut;   /* not all of the data is shown */
};

#define RESERVE 32 /* kept free by put() for the closing text of force() */

/* Append s unless that would eat into the reserve; false (and o->cut) then. */
static bool put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->cut || o->len + n + RESERVE >= o->cap) {
		o->cut = true;
		return false;
	}
	memcpy(o->p + o->len, s, n + 1);
	o->len += n;
	return true;
}

/* Append s if it fits at all (closing text, into the reserve). */
static void force(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n < o->cap) {
		memcpy(o->p + o->len, s, n + 1);
		o->len += n;
	}
}

static bool printable_text(const uint8_t *d, size_t n)
{
	if (n && d[n - 1] == 0)
		n--;
	for (size_t i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return false;
	return true;
}

static void quoted(struct out *o, const uint8_t *d, size_t n)
{
	char c[8];
	size_t i;

	if (!put(o, "\""))
		return;
	for (i = 0; i < n && i < SHOW_MAX_BYTES; i++) {
		if (d[i] == '"' || d[i] == '\\')
			snprintf(c, sizeof(c), "\\%c", d[i]);
		else if (d[i] >= 0x20 && d[i] <= 0x7e)
			snprintf(c, sizeof(c), "%c", d[i]);
		else
			snprintf(c, sizeof(c), "\\x%02x", d[i]);
		if (!put(o, c))
			break;
	}
	if (i < n)
		o->cut = true;
	force(o, i < n ? "...\"" : "\"");
}

static void hex(struct out *o, const uint8_t *d, size_t n)
{
	char c[4];
	size_t i;

	if (!put(o, "hex "))
		return;
	for (i = 0; i < n && i < SHOW_MAX_BYTES / 2; i++) {
		snprintf(c, sizeof(c), "%02x", d[i]);
		if (!put(o, c))
			break;
	}
	if (i < n) {
		o->cut = true;
		force(o, "...");
	}
}

static void bytes(struct out *o, const uint8_t *d, size_t n)
{
	if (printable_text(d, n))
		quoted(o, d, n);
	else
		hex(o, d, n);
}

/* The tag, and its four characters when they are printable (e.g. "NELR"). */
static void tag_text(struct out *o, uint32_t tag)
{
	uint8_t t[4] = { (uint8_t)(tag >> 24), (uint8_t)(tag >> 16), (uint8_t)(tag >> 8),
			 (uint8_t)tag };
	char s[32];

	snprintf(s, sizeof(s), "tag 0x%08x ", tag);
	put(o, s);
	if (t[3] && printable_text(t, 4)) {
		put(o, "(");
		quoted(o, t, 4);
		put(o, ") ");
	}
}

char *tcg2_render_data(const struct tcg2_event *ev, char *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap };
	const uint8_t *d = ev->data;
	uint32_t tag, n = ev->data_size;
	char tail[32];

	if (!out || cap == 0)
		return out;
	out[0] = '\0';
	if (tcg2_tagged_event(ev, &tag, &d, &n))
		tag_text(&o, tag);
	if (n == 0)
		put(&o, "(empty)");
	else
		bytes(&o, d, n);
	if (o.cut) {
		snprintf(tail, sizeof(tail), " (%u bytes)", n);
		force(&o, tail);
	}
	return out;
}
