// SPDX-License-Identifier: MIT
/* vtpm-rtmr log export/show in the binary formats (the formats are in src/eventlog/). */
#include "tool/tool_log_formats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eventlog/eventlog.h"
#include "eventlog/cel_tlv.h"
#include "eventlog/export_bin.h"
#include "eventlog/tcg2.h"
#include "tool/tool_logs.h"
#include "common/util.h"

#define MAX_BINARY_LOG (256u << 20)
#define HEXBUF (2 * HASH_MAX_SIZE + 1)

bool tool_log_format_is_binary(const char *format)
{
	return format && (strcmp(format, "tcg2") == 0 || strcmp(format, "ccel") == 0 ||
			  strcmp(format, "cel-tlv") == 0);
}

/* ---- export ---- */

static int write_output(const char *path, const struct bytebuf *b)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (!path) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "vtpm-rtmr: not writing a binary log to a terminal: use "
					"--out FILE or a pipe\n");
			return -1;
		}
		r = write_full(STDOUT_FILENO, b->data, b->len);
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		r = fd < 0 ? -errno : write_full(fd, b->data, b->len);
	}
	if (r < 0) {
		fprintf(stderr, "vtpm-rtmr: cannot write %s: %s\n", path ? path : "stdout",
			strerror(-r));
		return -1;
	}
	return 0;
}

static int fill_logs(const struct tool_logs *logs, bool need_rtmr, struct evlog_export_log *out)
{
	for (size_t i = 0; i < logs->n; i++) {
		const struct tool_log *l = &logs->log[i];

		if (need_rtmr && l->rtmr < 0) {
			fprintf(stderr, "vtpm-rtmr: %s: cannot tell its RTMR (name it rtmr<N>.log)\n",
				l->path);
			return -1;
		}
		out[i] = (struct evlog_export_log){ .text = l->text, .len = l->len,
						    .rtmr = l->rtmr < 0 ? 0 : (unsigned)l->rtmr,
						    .name = l->path };
	}
	return 0;
}

static int run_export(const struct tool_options *o, const struct evlog_export_log *in, size_t n,
		      const struct hash_alg *alg, struct bytebuf *out,
		      struct evlog_export_stats *st, char *err, size_t errlen)
{
	if (strcmp(o->format, "tcg2") == 0)
		return evlog_export_tcg2(in, n, alg, out, st, err, errlen);
	if (strcmp(o->format, "ccel") == 0)
		return evlog_export_ccel(in, n, alg, o->standalone, out, st, err, errlen);
	return evlog_export_cel_tlv(in, n, alg, out, st, err, errlen);
}

int tool_log_export_binary(const struct tool_options *o, char **files, int nfiles)
{
	struct evlog_export_log in[TOOL_MAX_LOGS];
	_cleanup_bytebuf_ struct bytebuf out = { 0 };
	struct evlog_export_stats st;
	struct tool_logs logs;
	char err[512];
	int rc = 2;

	if (o->standalone && strcmp(o->format, "ccel") != 0) {
		fprintf(stderr, "vtpm-rtmr: --standalone is for --format ccel\n");
		return 2;
	}
	if (tool_logs_load(&logs, o->runtime_dir, files, (size_t)nfiles, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		tool_logs_free(&logs);
		return 2;
	}
	if (fill_logs(&logs, strcmp(o->format, "tcg2") != 0, in) < 0)
		goto out;
	if (run_export(o, in, logs.n, logs.log[0].alg, &out, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		goto out;
	}
	if (st.sync_records)
		fprintf(stderr, "vtpm-rtmr: warning: the logs hold %zu SYNC record(s): the "
				"register was extended outside the log there, and a replay of the "
				"export does not reach the register value\n", st.sync_records);
	if (write_output(o->out, &out) == 0)
		rc = 0;
out:
	tool_logs_free(&logs);
	return rc;
}

/* ---- show ---- */

static void index_label(bool ccel, uint32_t index, char *out, size_t cap)
{
	if (!ccel)
		snprintf(out, cap, "PCR %u", index);
	else if (index == 0)
		snprintf(out, cap, "MR 0 (MRTD)");
	else
		snprintf(out, cap, "MR %u (RTMR%u)", index, index - 1);
}

static void print_digest(uint16_t alg_id, const struct hash_alg *alg, const uint8_t *d,
			 size_t size)
{
	char hex[HEXBUF];

	hex_encode(d, size, hex);
	if (alg)
		printf("    %s/%s\n", alg->name, hex);
	else
		printf("    alg 0x%04x/%s\n", alg_id, hex);
}

static void print_spec_id(const char *path, const struct tcg2_log_info *info)
{
	const struct tcg2_spec_id *s = &info->spec_id;

	if (!info->has_spec_id) {
		printf("%s: no Spec ID header (a continuation: events only)\n", path);
		return;
	}
	printf("%s: Spec ID Event03: platform class %u, spec %u.%u errata %u, uintn size %u, "
	       "vendor info %u bytes, algorithms:", path, s->platform_class, s->version_major,
	       s->version_minor, s->errata, s->uintn_size, s->vendor_info_size);
	for (uint32_t i = 0; i < s->nalgs; i++) {
		const struct hash_alg *a = hash_alg_by_tpm(s->algs[i].alg_id);

		if (a)
			printf(" %s", a->name);
		else
			printf(" 0x%04x", s->algs[i].alg_id);
		printf(" (%u bytes)", s->algs[i].size);
	}
	printf("\n");
}

struct tcg2_show {
	bool ccel;
	struct tcg2_replay *replay;
};

static int show_event(void *ctx, const struct tcg2_event *ev, char *err, size_t errlen)
{
	struct tcg2_show *c = ctx;
	const char *tname = tcg2_event_type_name(ev->type);
	char label[40], data[1024];

	index_label(c->ccel, ev->index, label, sizeof(label));
	printf("#%zu offset %zu: %s %s (0x%08x)\n", ev->number, ev->offset, label,
	       tname ? tname : "unknown type", ev->type);
	for (uint32_t i = 0; i < ev->ndigests; i++)
		print_digest(ev->digests[i].alg_id, ev->digests[i].alg, ev->digests[i].d,
			     ev->digests[i].size);
	printf("    data: %s\n", tcg2_render_data(ev, data, sizeof(data)));
	return tcg2_replay_event(c->replay, ev, err, errlen);
}

static void print_replay(bool ccel, const struct tcg2_replay *r)
{
	char label[40], hex[HEXBUF];

	printf("replay from zero:\n");
	for (size_t b = 0; b < r->nbanks; b++)
		for (unsigned i = 0; i < TCG2_MAX_INDEX; i++) {
			const uint8_t *v = tcg2_replay_value(r, r->banks[b].alg, i);

			if (!v)
				continue;
			index_label(ccel, i, label, sizeof(label));
			hex_encode(v, r->banks[b].alg->size, hex);
			printf("  %-14s %s/%s\n", label, r->banks[b].alg->name, hex);
		}
}

static int show_tcg2(const char *path, const uint8_t *buf, size_t len, bool ccel)
{
	struct tcg2_show c = { .ccel = ccel };
	struct tcg2_log_info info;
	char err[512];
	int rc = 0;

	c.replay = malloc(sizeof(*c.replay));
	if (!c.replay)
		return 2;
	tcg2_replay_init(c.replay);
	if (tcg2_parse_spec_id(buf, len, &info, err, sizeof(err)) == 0)
		print_spec_id(path, &info);
	if (tcg2_log_parse(buf, len, show_event, &c, &info, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s: %s\n", path, err);
		rc = 2;
	} else {
		printf("%s: %zu events, ending at offset %zu", path, info.events, info.end);
		if (info.padding)
			printf("; then %zu bytes of 0x%02x padding (cut it before appending: "
			       "head -c %zu)", info.padding, buf[info.end], info.end);
		printf("\n");
		print_replay(ccel, c.replay);
	}
	free(c.replay);
	return rc;
}

struct cel_show {
	struct evlog_replay *replay[256]; /* per index: the replay of its NELR lines */
	uint8_t index_type[256];
};

static void cel_label(uint8_t type, uint32_t index, char *out, size_t cap)
{
	if (type == CEL_TLV_CCMR)
		index_label(true, index, out, cap);
	else if (type == CEL_TLV_PCR)
		snprintf(out, cap, "PCR %u", index);
	else
		snprintf(out, cap, "NV 0x%08x", index);
}

/* A NELR line: its digests are H(line), and it replays onto the lines before it. */
static int check_nelr(struct cel_show *c, const struct cel_tlv_record *rec, char *err,
		      size_t errlen)
{
	const char *line = (const char *)rec->content;
	uint8_t h[HASH_MAX_SIZE];
	struct evlog_replay **r;

	for (size_t i = 0; i < rec->ndigests; i++) {
		const struct cel_tlv_digest *d = &rec->digests[i];

		if (d->alg && (hash_digest(d->alg, line, rec->content_size, h) < 0 ||
			       memcmp(h, d->d, d->size) != 0))
			return set_error(err, errlen, "the %s digest is not H(content)",
					 d->alg->name);
	}
	if (rec->index > 255 || !rec->digests[0].alg)
		return 0;
	r = &c->replay[rec->index];
	if (!*r) {
		*r = malloc(sizeof(**r));
		if (!*r)
			return set_error(err, errlen, "out of memory");
		evlog_replay_init(*r, rec->digests[0].alg);
		c->index_type[rec->index] = rec->index_type;
	}
	return evlog_replay_line(*r, line, rec->content_size, NULL, err, errlen);
}

static int show_cel_record(void *ctx, const struct cel_tlv_record *rec, char *err, size_t errlen)
{
	struct tcg2_event as_data = { .data = rec->content, .data_size = rec->content_size };
	char label[40], data[1024];

	cel_label(rec->index_type, rec->index, label, sizeof(label));
	printf("#%llu offset %zu: %s\n", (unsigned long long)rec->recnum, rec->offset, label);
	for (size_t i = 0; i < rec->ndigests; i++)
		print_digest(rec->digests[i].alg_id, rec->digests[i].alg, rec->digests[i].d,
			     rec->digests[i].size);
	printf("    content type 0x%02x%s: %s\n", rec->content_type,
	       rec->content_type == CEL_TLV_CONTENT_NELR ? " (NELR)" : "",
	       tcg2_render_data(&as_data, data, sizeof(data)));
	if (rec->content_type != CEL_TLV_CONTENT_NELR)
		return 0;
	return check_nelr(ctx, rec, err, errlen);
}

static void print_cel_replay(const struct cel_show *c)
{
	char label[40], hex[HEXBUF];
	bool first = true;

	for (unsigned i = 0; i < 256; i++) {
		const struct evlog_replay *r = c->replay[i];

		if (!r)
			continue;
		if (first)
			printf("replay of the NELR records from their INIT:\n");
		first = false;
		cel_label(c->index_type[i], i, label, sizeof(label));
		hex_encode(r->rtmr, r->alg->size, hex);
		printf("  %-14s %s/%s (%zu records)\n", label, r->alg->name, hex, r->records);
	}
}

static int show_cel_tlv(const char *path, const uint8_t *buf, size_t len)
{
	struct cel_show *c = calloc(1, sizeof(*c));
	size_t n = 0;
	char err[512];
	int rc = 0;

	if (!c)
		return 2;
	if (cel_tlv_parse(buf, len, show_cel_record, c, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s: %s\n", path, err);
		rc = 2;
	} else {
		printf("%s: %zu records\n", path, n);
		print_cel_replay(c);
	}
	for (unsigned i = 0; i < 256; i++)
		free(c->replay[i]);
	free(c);
	return rc;
}

int tool_log_show_binary(const struct tool_options *o, char **files, int nfiles)
{
	int rc = 0;

	if (nfiles == 0) {
		fprintf(stderr, "vtpm-rtmr: log show --format %s needs FILEs\n", o->format);
		return 2;
	}
	for (int i = 0; i < nfiles; i++) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		int r = read_file_all(files[i], &buf, &len, MAX_BINARY_LOG);

		if (r < 0) {
			fprintf(stderr, "vtpm-rtmr: cannot read %s: %s\n", files[i], strerror(-r));
			rc = 2;
			continue;
		}
		if (strcmp(o->format, "cel-tlv") == 0)
			r = show_cel_tlv(files[i], (const uint8_t *)buf, len);
		else
			r = show_tcg2(files[i], (const uint8_t *)buf, len,
				      strcmp(o->format, "ccel") == 0);
		if (r > rc)
			rc = r;
	}
	return rc;
}
