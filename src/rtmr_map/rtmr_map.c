// SPDX-License-Identifier: MIT
/* The PCR-to-RTMR map: default, a line-based map-file parser with precise errors, summary. */
#include "rtmr_map/rtmr_map.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define MAP_FILE_MAX (1024 * 1024)
#define NUM_SATURATE 100000000UL

/* Parser state for one map file. */
struct map_parser {
	const char *source;
	unsigned line;                    /* current line, 1-based */
	unsigned named_on[RTMR_MAP_PCRS]; /* line that named each PCR, 0 = not yet */
	struct rtmr_map map;              /* result being built */
	char *err;
	size_t errlen;
};

/* A cursor over one line (comment already cut off). */
struct cursor {
	const char *p;
	const char *end;
};

void rtmr_map_default(struct rtmr_map *m)
{
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++) {
		if (pcr == 0 || pcr == 1 || pcr == 7)
			m->rtmr[pcr] = 0;
		else if (pcr <= 6)
			m->rtmr[pcr] = 1;
		else if (pcr <= 15)
			m->rtmr[pcr] = 2;
		else
			m->rtmr[pcr] = RTMR_MAP_NONE;
	}
}

static int __attribute__((format(printf, 2, 3))) fail(struct map_parser *mp, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!mp->err || mp->errlen == 0)
		return -1;
	n = snprintf(mp->err, mp->errlen, "%s:%u: ", mp->source, mp->line);
	if (n < 0 || (size_t)n >= mp->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(mp->err + n, mp->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && is_space(*c->p))
		c->p++;
}

/* Consume the keyword word if it is next (not followed by another letter). */
static bool eat_word(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	skip_ws(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	if (c->p + n < c->end && is_word_char(c->p[n]))
		return false;
	c->p += n;
	return true;
}

static bool eat_str(struct cursor *c, const char *s)
{
	size_t n = strlen(s);

	skip_ws(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Length of the token at the cursor (up to whitespace), for error messages. */
static int token_len(const struct cursor *c)
{
	const char *q = c->p;

	while (q < c->end && !is_space(*q) && q - c->p < 32)
		q++;
	return (int)(q - c->p);
}

/* A decimal number; its text is kept so that errors show it as written. */
struct num {
	unsigned long v; /* saturates far above any valid index */
	const char *text;
	int len;
};

static int parse_num(struct map_parser *mp, struct cursor *c, const char *what, struct num *n)
{
	skip_ws(c);
	if (c->p >= c->end)
		return fail(mp, "expected %s, got end of line", what);
	if (!is_digit(*c->p))
		return fail(mp, "expected %s, got '%.*s'", what, token_len(c), c->p);
	*n = (struct num){ .text = c->p };
	while (c->p < c->end && is_digit(*c->p)) {
		if (n->v < NUM_SATURATE)
			n->v = n->v * 10 + (unsigned long)(*c->p - '0');
		c->p++;
	}
	n->len = (int)(c->p - n->text);
	return 0;
}

static int parse_pcr_num(struct map_parser *mp, struct cursor *c, struct num *pcr)
{
	if (parse_num(mp, c, "a PCR number", pcr) < 0)
		return -1;
	if (pcr->v >= RTMR_MAP_PCRS)
		return fail(mp, "PCR %.*s out of range (0-%d)", pcr->len, pcr->text,
			    RTMR_MAP_PCRS - 1);
	return 0;
}

static int name_pcr(struct map_parser *mp, unsigned pcr, uint32_t *set)
{
	if (mp->named_on[pcr] == mp->line)
		return fail(mp, "PCR %u named twice", pcr);
	if (mp->named_on[pcr])
		return fail(mp, "PCR %u already mapped on line %u", pcr, mp->named_on[pcr]);
	mp->named_on[pcr] = mp->line;
	*set |= 1u << pcr;
	return 0;
}

/* One list item: N or N-M (a '-' followed by '>' is the arrow, not a range). */
static int parse_pcr_item(struct map_parser *mp, struct cursor *c, uint32_t *set)
{
	struct num lo, hi;

	if (parse_pcr_num(mp, c, &lo) < 0)
		return -1;
	hi = lo;
	skip_ws(c);
	if (c->p < c->end && *c->p == '-' && !(c->p + 1 < c->end && c->p[1] == '>')) {
		c->p++;
		if (parse_pcr_num(mp, c, &hi) < 0)
			return -1;
		if (hi.v < lo.v)
			return fail(mp, "reversed range %lu-%lu", lo.v, hi.v);
	}
	for (unsigned long pcr = lo.v; pcr <= hi.v; pcr++)
		if (name_pcr(mp, (unsigned)pcr, set) < 0)
			return -1;
	return 0;
}

static int parse_pcr_list(struct map_parser *mp, struct cursor *c, uint32_t *set)
{
	for (;;) {
		if (parse_pcr_item(mp, c, set) < 0)
			return -1;
		if (!eat_str(c, ","))
			return 0;
	}
}

/* "rtmr <K>" or "none" */
static int parse_target(struct map_parser *mp, struct cursor *c, int *rtmr)
{
	struct num k;

	if (eat_word(c, "none")) {
		*rtmr = RTMR_MAP_NONE;
		return 0;
	}
	if (!eat_word(c, "rtmr")) {
		skip_ws(c);
		return fail(mp, "expected 'rtmr <N>' or 'none' after '->', got '%.*s'",
			    token_len(c), c->p);
	}
	if (parse_num(mp, c, "an RTMR number", &k) < 0)
		return -1;
	if (k.v >= RTMR_MAX)
		return fail(mp, "RTMR %.*s out of range (0-%d)", k.len, k.text, RTMR_MAX - 1);
	*rtmr = (int)k.v;
	return 0;
}

static int parse_rule(struct map_parser *mp, struct cursor *c)
{
	uint32_t set = 0;
	int rtmr = RTMR_MAP_NONE;

	skip_ws(c);
	if (c->p == c->end)
		return 0; /* blank or comment-only line */
	if (!eat_word(c, "pcr"))
		return fail(mp, "expected 'pcr <list> -> rtmr <N>|none', got '%.*s'", token_len(c),
			    c->p);
	if (parse_pcr_list(mp, c, &set) < 0)
		return -1;
	if (!eat_str(c, "->"))
		return fail(mp, "expected '->' after the PCR list");
	if (parse_target(mp, c, &rtmr) < 0)
		return -1;
	skip_ws(c);
	if (c->p != c->end)
		return fail(mp, "unexpected '%.*s' after the rule", token_len(c), c->p);
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++)
		if (set & (1u << pcr))
			mp->map.rtmr[pcr] = (int8_t)rtmr;
	return 0;
}

int rtmr_map_parse(const char *text, size_t len, const char *source, struct rtmr_map *m,
		   char *err, size_t errlen)
{
	struct map_parser mp = { .source = source ? source : "<map>", .err = err,
				 .errlen = errlen };
	const char *p = text, *end = text + len;

	rtmr_map_default(&mp.map);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *hash;
		struct cursor c;

		if (!eol)
			eol = end;
		mp.line++;
		hash = memchr(p, '#', (size_t)(eol - p));
		c = (struct cursor){ .p = p, .end = hash ? hash : eol };
		if (parse_rule(&mp, &c) < 0)
			return -1;
		p = eol + 1;
	}
	*m = mp.map;
	return 0;
}

int rtmr_map_load(const char *path, struct rtmr_map *m, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = read_file_all(path, &text, &len, MAP_FILE_MAX);
	if (r < 0)
		return set_error(err, errlen, "%s: %s", path,
				 r == -EFBIG ? "map file too large" : strerror(-r));
	return rtmr_map_parse(text, len, path, m, err, errlen);
}

int rtmr_map_rtmr_of(const struct rtmr_map *m, unsigned pcr)
{
	if (pcr >= RTMR_MAP_PCRS)
		return -1;
	return m->rtmr[pcr] < 0 ? -1 : m->rtmr[pcr];
}

bool rtmr_map_rtmr_used(const struct rtmr_map *m, unsigned rtmr)
{
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++)
		if (m->rtmr[pcr] >= 0 && (unsigned)m->rtmr[pcr] == rtmr)
			return true;
	return false;
}

/* Appending, truncating string builder. */
struct sbuf {
	char *buf;
	size_t cap;
	size_t len;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->len + 1 >= s->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	s->len += (size_t)n;
	if (s->len >= s->cap)
		s->len = s->cap - 1;
}

/* "0,1,7" or "2-6": runs of three or more PCRs become ranges. */
static void describe_pcrs(const struct rtmr_map *m, int rtmr, struct sbuf *s)
{
	bool first = true;

	for (unsigned i = 0; i < RTMR_MAP_PCRS; i++) {
		unsigned j = i;

		if (m->rtmr[i] != rtmr)
			continue;
		while (j + 1 < RTMR_MAP_PCRS && m->rtmr[j + 1] == rtmr)
			j++;
		if (j - i >= 2)
			sb_printf(s, "%s%u-%u", first ? "" : ",", i, j);
		else
			for (unsigned k = i; k <= j; k++)
				sb_printf(s, "%s%u", first && k == i ? "" : ",", k);
		first = false;
		i = j;
	}
}

void rtmr_map_describe(const struct rtmr_map *m, char *buf, size_t cap)
{
	struct sbuf s = { .buf = buf, .cap = cap };
	bool any = false;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (int rtmr = 0; rtmr < RTMR_MAX; rtmr++) {
		if (!rtmr_map_rtmr_used(m, (unsigned)rtmr))
			continue;
		sb_printf(&s, "%sPCR ", any ? "; " : "");
		describe_pcrs(m, rtmr, &s);
		sb_printf(&s, " -> RTMR%d", rtmr);
		any = true;
	}
	if (!any)
		sb_printf(&s, "no PCR mapped");
}
