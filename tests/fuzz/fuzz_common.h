/* SPDX-License-Identifier: MIT */
/* Shared bits of the libFuzzer targets in tests/fuzz/ (not a target itself). */
#ifndef VTPM_FUZZ_COMMON_H
#define VTPM_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tss2-mu logs every malformed structure on stderr: quiet (unless TSS2_LOG says otherwise). */
__attribute__((constructor)) static void fuzz_quiet_tss2(void)
{
	setenv("TSS2_LOG", "all+none", 0);
}

/* A broken property of the code under test: report it and crash, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* An error message must be a NUL-terminated string inside its buffer. */
static inline void fuzz_check_err(const char *err, size_t errlen)
{
	if (errlen > 0)
		FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
}

/* A malloc'd copy of data (exactly len bytes, no NUL), so ASan sees any read past len. */
static inline char *fuzz_dup(const void *data, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (!p)
		abort();
	if (len)
		memcpy(p, data, len);
	return p;
}

#endif
