// SPDX-License-Identifier: MIT
/* Event-log records: build one record line, append it to a log, parse one line strictly. */
#include "eventlog/eventlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/util.h"

/* "vtpm extend <pcr>" and one word per digest. */
#define MAX_WORDS (3 + EVLOG_MAX_DIGESTS)

/* ---- building ---- */

struct sbuf {
	char *buf;
	size_t cap;
	size_t len;
	bool ok;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (!b->ok || n >= b->cap - b->len) {
		b->ok = false;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_digest(struct sbuf *b, const struct hash_alg *alg, const uint8_t *d)
{
	char hex[2 * HASH_MAX_SIZE + 1];

	hex_encode(d, alg->size, hex);
	sb_str(b, alg->name);
	sb_put(b, "/", 1);
	sb_put(b, hex, 2 * alg->size);
}

/* Decimal digits without snprintf: this runs for every mirrored extend. */
static void sb_uint(struct sbuf *b, unsigned v)
{
	char num[10];
	size_t i = sizeof(num);

	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_put(b, num + i, sizeof(num) - i);
}

static int sb_end(struct sbuf *b)
{
	if (!b->ok || b->len >= b->cap)
		return -1;
	b->buf[b->len] = '\0';
	return (int)b->len;
}

static struct sbuf sb_new(char *buf, size_t cap)
{
	return (struct sbuf){ .buf = buf, .cap = cap, .ok = buf && cap > 0 };
}

static int fmt_regval(char *buf, size_t cap, const char *word, const struct hash_alg *alg,
		      const uint8_t *value)
{
	struct sbuf b = sb_new(buf, cap);

	if (!alg || !value)
		return -1;
	sb_str(&b, word);
	sb_digest(&b, alg, value);
	return sb_end(&b);
}

int evlog_fmt_init(char *buf, size_t cap, const struct hash_alg *alg, const uint8_t *value)
{
	return fmt_regval(buf, cap, "INIT ", alg, value);
}

int evlog_fmt_sync(char *buf, size_t cap, const struct hash_alg *alg, const uint8_t *value)
{
	return fmt_regval(buf, cap, "SYNC ", alg, value);
}

int evlog_fmt_startup_clear(char *buf, size_t cap)
{
	struct sbuf b = sb_new(buf, cap);

	sb_str(&b, "vtpm startup clear");
	return sb_end(&b);
}

static int fmt_key(char *buf, size_t cap, const char *word, const uint8_t sha256[32])
{
	struct sbuf b = sb_new(buf, cap);

	if (!sha256)
		return -1;
	sb_str(&b, word);
	sb_digest(&b, hash_alg_by_name("sha256"), sha256);
	return sb_end(&b);
}

int evlog_fmt_ek(char *buf, size_t cap, const uint8_t sha256[32])
{
	return fmt_key(buf, cap, "vtpm ek ", sha256);
}

int evlog_fmt_ak(char *buf, size_t cap, const uint8_t sha256[32])
{
	return fmt_key(buf, cap, "vtpm ak ", sha256);
}

int evlog_fmt_map(char *buf, size_t cap, uint32_t pcr_mask)
{
	struct sbuf b = sb_new(buf, cap);
	bool first = true;

	if (pcr_mask >> EVLOG_PCRS)
		return -1;
	sb_str(&b, "vtpm map ");
	if (!pcr_mask)
		sb_str(&b, "none");
	for (unsigned pcr = 0; pcr < EVLOG_PCRS; pcr++) {
		if (!(pcr_mask & (1u << pcr)))
			continue;
		if (!first)
			sb_put(&b, ",", 1);
		sb_uint(&b, pcr);
		first = false;
	}
	return sb_end(&b);
}

int evlog_fmt_restart(char *buf, size_t cap)
{
	struct sbuf b = sb_new(buf, cap);

	sb_str(&b, "vtpm restart");
	return sb_end(&b);
}

/* order[] = indices of d sorted by TPM_ALG_ID; -1 on a NULL or duplicate alg. */
static int sort_digests(const struct evlog_digest *d, size_t n, size_t *order)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		if (!d[i].alg)
			return -1;
		for (; j > 0 && d[order[j - 1]].alg->tpm_alg > d[i].alg->tpm_alg; j--)
			order[j] = order[j - 1];
		if (j > 0 && d[order[j - 1]].alg->tpm_alg == d[i].alg->tpm_alg)
			return -1;
		order[j] = i;
	}
	return 0;
}

int evlog_fmt_extend(char *buf, size_t cap, unsigned pcr, const struct evlog_digest *d, size_t n)
{
	struct sbuf b = sb_new(buf, cap);
	size_t order[EVLOG_MAX_DIGESTS];

	if (pcr >= EVLOG_PCRS || !d || n == 0 || n > EVLOG_MAX_DIGESTS ||
	    sort_digests(d, n, order) < 0)
		return -1;
	sb_str(&b, "vtpm extend ");
	sb_uint(&b, pcr);
	for (size_t i = 0; i < n; i++) {
		sb_put(&b, " ", 1);
		sb_digest(&b, d[order[i]].alg, d[order[i]].d);
	}
	return sb_end(&b);
}

int evlog_fmt_reset(char *buf, size_t cap, unsigned pcr)
{
	struct sbuf b = sb_new(buf, cap);

	if (pcr >= EVLOG_PCRS)
		return -1;
	sb_str(&b, "vtpm reset ");
	sb_uint(&b, pcr);
	return sb_end(&b);
}

/* ---- appending ---- */

/* Why a write came up short: a full file system says ENOSPC, anything else is EIO. */
static int short_write_error(int fd)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) == 0 && sv.f_bavail == 0)
		return -ENOSPC;
	return -EIO;
}

int evlog_append(int fd, const char *line, size_t len)
{
	char buf[EVLOG_MAX_LINE + 1];

	if (len == 0 || len > EVLOG_MAX_LINE || memchr(line, '\n', len) || memchr(line, '\r', len))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\n';
	for (;;) {
		ssize_t n = write(fd, buf, len + 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n == len + 1)
			return 0;
		return short_write_error(fd);
	}
}

/* ---- parsing ---- */

bool evlog_line_is_comment(const char *line, size_t len)
{
	return len == 0 || line[0] == '#';
}

/* A word for an error message: at most 32 bytes, non-printable bytes as '?'. */
static const char *shown(const char *w, size_t n, char out[36])
{
	size_t i;

	for (i = 0; i < n && i < 32; i++)
		out[i] = (w[i] >= 0x20 && w[i] < 0x7f) ? w[i] : '?';
	if (n > 32) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

struct words {
	size_t count;
	const char *w[MAX_WORDS];
	size_t n[MAX_WORDS];
};

static bool word_is(const struct words *ws, size_t i, const char *s)
{
	return i < ws->count && ws->n[i] == strlen(s) && memcmp(ws->w[i], s, ws->n[i]) == 0;
}

/* Split on single spaces; no empty word (so no leading, trailing or double space). */
static int split_words(const char *line, size_t len, struct words *ws, char *err, size_t errlen)
{
	size_t start = 0;

	ws->count = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start)
			return set_error(err, errlen, "empty word (leading, trailing or double space)");
		if (ws->count == MAX_WORDS)
			return set_error(err, errlen, "too many words");
		ws->w[ws->count] = line + start;
		ws->n[ws->count++] = i - start;
		start = i + 1;
	}
	return 0;
}

/* "<alg>/<hex>" */
static int parse_digest(const char *w, size_t n, struct evlog_digest *out, char *err,
			size_t errlen)
{
	const char *slash = memchr(w, '/', n);
	char s[36];
	size_t alen, hexlen;

	if (!slash)
		return set_error(err, errlen, "'%s' is not <alg>/<hex>", shown(w, n, s));
	alen = (size_t)(slash - w);
	hexlen = n - alen - 1;
	out->alg = hash_alg_by_name_n(w, alen);
	if (!out->alg)
		return set_error(err, errlen, "unknown hash algorithm '%s'", shown(w, alen, s));
	if (hexlen != 2 * out->alg->size ||
	    hex_decode_lower(slash + 1, hexlen, out->d, sizeof(out->d), NULL) < 0)
		return set_error(err, errlen, "%s digest is not %zu lowercase hex digits",
			    out->alg->name, 2 * out->alg->size);
	return 0;
}

/* Decimal 0..23 without leading zeros. */
static int parse_pcr(const char *w, size_t n, unsigned *pcr, char *err, size_t errlen)
{
	unsigned v = 0;
	char s[36];

	if (n == 0 || n > 2 || (n == 2 && w[0] == '0'))
		return set_error(err, errlen, "bad PCR index '%s'", shown(w, n, s));
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return set_error(err, errlen, "bad PCR index '%s'", shown(w, n, s));
		v = v * 10 + (unsigned)(w[i] - '0');
	}
	if (v >= EVLOG_PCRS)
		return set_error(err, errlen, "PCR index %u out of range 0..%d", v, EVLOG_PCRS - 1);
	*pcr = v;
	return 0;
}

/* "none", or PCR indices ascending, comma-separated, each once. */
static int parse_pcr_list(const char *w, size_t n, uint32_t *mask, char *err, size_t errlen)
{
	size_t start = 0;
	int last = -1;

	*mask = 0;
	if (n == 4 && memcmp(w, "none", 4) == 0)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		unsigned pcr;

		if (i < n && w[i] != ',')
			continue;
		if (parse_pcr(w + start, i - start, &pcr, err, errlen) < 0)
			return -1;
		if ((int)pcr <= last)
			return set_error(err, errlen, "PCR list not ascending or PCR %u given twice",
					 pcr);
		*mask |= 1u << pcr;
		last = (int)pcr;
		start = i + 1;
	}
	return 0;
}

/* INIT <alg>/<hex>, SYNC <alg>/<hex> */
static int parse_regval(const struct words *ws, struct evlog_record *rec, char *err,
			size_t errlen)
{
	struct evlog_digest d;

	rec->kind = word_is(ws, 0, "INIT") ? EVLOG_INIT : EVLOG_SYNC;
	if (ws->count != 2)
		return set_error(err, errlen, "%s record needs exactly one <alg>/<hex>",
			    rec->kind == EVLOG_INIT ? "INIT" : "SYNC");
	if (parse_digest(ws->w[1], ws->n[1], &d, err, errlen) < 0)
		return -1;
	rec->alg = d.alg;
	memcpy(rec->value, d.d, d.alg->size);
	return 0;
}

static int parse_vtpm_extend(const struct words *ws, struct evlog_record *rec, char *err,
			     size_t errlen)
{
	if (ws->count < 4)
		return set_error(err, errlen, "vtpm extend record needs a PCR and at least one digest");
	if (parse_pcr(ws->w[2], ws->n[2], &rec->pcr, err, errlen) < 0)
		return -1;
	for (size_t i = 3; i < ws->count; i++) {
		struct evlog_digest *d = &rec->digests[rec->ndigests];

		if (parse_digest(ws->w[i], ws->n[i], d, err, errlen) < 0)
			return -1;
		if (i > 3 && rec->digests[rec->ndigests - 1].alg->tpm_alg >= d->alg->tpm_alg)
			return set_error(err, errlen,
				    "digests not sorted by TPM_ALG_ID or %s given twice",
				    d->alg->name);
		rec->ndigests++;
	}
	return 0;
}

static int parse_vtpm(const struct words *ws, struct evlog_record *rec, char *err, size_t errlen)
{
	char s[36];

	if (word_is(ws, 1, "startup")) {
		rec->kind = EVLOG_STARTUP_CLEAR;
		if (ws->count != 3 || !word_is(ws, 2, "clear"))
			return set_error(err, errlen, "malformed vtpm startup record");
		return 0;
	}
	if (word_is(ws, 1, "ek") || word_is(ws, 1, "ak")) {
		rec->kind = word_is(ws, 1, "ek") ? EVLOG_EK : EVLOG_AK;
		if (ws->count != 3)
			return set_error(err, errlen, "vtpm %s record needs exactly one <alg>/<hex>",
					 rec->kind == EVLOG_EK ? "ek" : "ak");
		rec->ndigests = 1;
		return parse_digest(ws->w[2], ws->n[2], &rec->digests[0], err, errlen);
	}
	if (word_is(ws, 1, "map")) {
		rec->kind = EVLOG_MAP;
		if (ws->count != 3)
			return set_error(err, errlen, "vtpm map record needs one PCR list");
		return parse_pcr_list(ws->w[2], ws->n[2], &rec->pcr_mask, err, errlen);
	}
	if (word_is(ws, 1, "restart")) {
		rec->kind = EVLOG_RESTART;
		if (ws->count != 2)
			return set_error(err, errlen, "malformed vtpm restart record");
		return 0;
	}
	if (word_is(ws, 1, "extend")) {
		rec->kind = EVLOG_EXTEND;
		return parse_vtpm_extend(ws, rec, err, errlen);
	}
	if (word_is(ws, 1, "reset")) {
		rec->kind = EVLOG_RESET;
		if (ws->count != 3)
			return set_error(err, errlen, "vtpm reset record needs exactly one PCR index");
		return parse_pcr(ws->w[2], ws->n[2], &rec->pcr, err, errlen);
	}
	if (ws->count < 2)
		return set_error(err, errlen, "empty vtpm record");
	return set_error(err, errlen, "unknown vtpm record '%s'", shown(ws->w[1], ws->n[1], s));
}

/* Length of the printable character (ASCII or well-formed UTF-8, no controls) at s; 0 if bad. */
static size_t printable_char(const unsigned char *s, size_t n)
{
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return (s[0] >= 0x20 && s[0] < 0x7f) ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	cp = s[0] & (0x7f >> len);
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	return len;
}

static int check_printable(const char *line, size_t len, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)line;

	for (size_t i = 0; i < len;) {
		size_t n = printable_char(s + i, len - i);

		if (n == 0)
			return set_error(err, errlen, "non-printable byte 0x%02x at column %zu", s[i],
				    i + 1);
		i += n;
	}
	return 0;
}

/* Starts with A-Z and has no a-z: reserved for log keepers. */
static bool is_reserved_word(const char *w, size_t n)
{
	if (n == 0 || w[0] < 'A' || w[0] > 'Z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (w[i] >= 'a' && w[i] <= 'z')
			return false;
	return true;
}

static int parse_other(const char *line, size_t len, struct evlog_record *rec, char *err,
		       size_t errlen)
{
	const char *sp = memchr(line, ' ', len);
	size_t n = sp ? (size_t)(sp - line) : len;
	char s[36];

	if (check_printable(line, len, err, errlen) < 0)
		return -1;
	if (n == 0)
		return set_error(err, errlen, "record starts with a space");
	if (is_reserved_word(line, n))
		return set_error(err, errlen, "unknown reserved record type '%s'", shown(line, n, s));
	rec->kind = EVLOG_OTHER;
	return 0;
}

int evlog_check_line(const char *line, size_t len, char *err, size_t errlen)
{
	const char *cr = memchr(line, '\r', len);

	if (len > EVLOG_MAX_LINE)
		return set_error(err, errlen, "line longer than %d bytes", EVLOG_MAX_LINE);
	if (cr)
		return set_error(err, errlen, "CR at column %zu (CRLF line ends are not allowed)",
			    (size_t)(cr - line) + 1);
	if (memchr(line, '\n', len))
		return set_error(err, errlen, "LF inside a line");
	return 0;
}

/* The first word is INIT, SYNC or vtpm: a record with a strict grammar. */
static bool has_grammar(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	size_t n = sp ? (size_t)(sp - line) : len;

	return n == 4 && (memcmp(line, "INIT", 4) == 0 || memcmp(line, "SYNC", 4) == 0 ||
			  memcmp(line, "vtpm", 4) == 0);
}

int evlog_parse_record(const char *line, size_t len, struct evlog_record *rec, char *err,
		       size_t errlen)
{
	struct words ws;

	memset(rec, 0, sizeof(*rec));
	if (evlog_check_line(line, len, err, errlen) < 0)
		return -1;
	if (evlog_line_is_comment(line, len))
		return set_error(err, errlen, "a comment is not a record");
	if (!has_grammar(line, len))
		return parse_other(line, len, rec, err, errlen);
	if (split_words(line, len, &ws, err, errlen) < 0)
		return -1;
	if (word_is(&ws, 0, "vtpm"))
		return parse_vtpm(&ws, rec, err, errlen);
	return parse_regval(&ws, rec, err, errlen);
}
