/* SPDX-License-Identifier: MIT */
/* Pieces shared by the builders of the commands the daemon sends (tpm_build.c, tpm_ek.c). */
#ifndef VTPM_TPM_MARSHAL_H
#define VTPM_TPM_MARSHAL_H

#include <stddef.h>
#include <stdint.h>

/* A command header with a zero size field (tpm_marshal_finish fills it in). 0 or -1. */
int tpm_marshal_header(uint8_t *out, size_t cap, size_t *off, uint16_t tag, uint32_t cc);
/* Write the final size into the header; returns len, or 0 on error. */
size_t tpm_marshal_finish(uint8_t *out, size_t cap, size_t len);
/* An authorization area with one empty password session. 0 or -1. */
int tpm_marshal_pw_auth(uint8_t *out, size_t cap, size_t *off);

/* A whole success response (size field = len, response code 0): *off after its header, where
 * the handle area (if any) starts. *tag (may be NULL) gets the tag. 0 or -1. */
int tpm_unmarshal_response(const uint8_t *rsp, size_t len, size_t *off, uint16_t *tag);

#endif
