/* SPDX-License-Identifier: MIT */
/*
 * Enum <-> name tables, as systemd's string-table.h does them. Given
 *
 *	static const char *const prefix_table[] = { [ENUM_A] = "a", [ENUM_B] = "b" };
 *	DEFINE_STRING_TABLE_LOOKUP(prefix, enum whatever)
 *
 * this defines (and DECLARE_STRING_TABLE_LOOKUP(prefix, type) declares, in the header)
 *	const char *prefix_name(enum whatever v);         the name, "unknown" outside the table
 *	int prefix_parse(const char *s, enum whatever *out); 0, or -1 for NULL or an unknown name
 *	const char *prefix_names(char *buf, size_t cap);  "a, b" (for error messages), in buf
 * and the table stays the only place a name is spelled.
 */
#ifndef VTPM_STRING_TABLE_H
#define VTPM_STRING_TABLE_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* The names joined by ", " into buf (truncated to cap). */
static inline const char *string_table_join(const char *const *table, size_t n, char *buf,
					    size_t cap)
{
	size_t len = 0;

	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w;

		if (!table[i] || len >= cap)
			continue;
		w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", table[i]);
		if (w > 0)
			len += (size_t)w;
	}
	return buf;
}

#define DECLARE_STRING_TABLE_LOOKUP(prefix, type)                                                  \
	const char *prefix##_name(type v);                                                         \
	int prefix##_parse(const char *s, type *out);                                              \
	const char *prefix##_names(char *buf, size_t cap)

#define DEFINE_STRING_TABLE_LOOKUP(prefix, type)                                                   \
	const char *prefix##_name(type v)                                                          \
	{                                                                                          \
		if ((size_t)v >= ARRAY_SIZE(prefix##_table) || !prefix##_table[v])                 \
			return "unknown";                                                          \
		return prefix##_table[v];                                                          \
	}                                                                                          \
	int prefix##_parse(const char *s, type *out)                                               \
	{                                                                                          \
		for (size_t i = 0; s && i < ARRAY_SIZE(prefix##_table); i++) {                    \
			if (prefix##_table[i] && strcmp(s, prefix##_table[i]) == 0) {              \
				*out = (type)i;                                                    \
				return 0;                                                          \
			}                                                                          \
		}                                                                                  \
		return -1;                                                                         \
	}                                                                                          \
	const char *prefix##_names(char *buf, size_t cap)                                          \
	{                                                                                          \
		return string_table_join(prefix##_table, ARRAY_SIZE(prefix##_table), buf, cap);    \
	}

#endif
