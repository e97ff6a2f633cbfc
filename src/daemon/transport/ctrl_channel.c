// SPDX-License-Identifier: MIT
#include "daemon/transport/ctrl_channel.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "common/log.h"
#include "daemon/service.h"
#include "tpm_cmds/tpm_frame.h"

#define PTM_CAP_INIT (1 << 0)
#define PTM_CAP_SHUTDOWN (1 << 1)
#define PTM_CAP_GET_TPMESTABLISHED (1 << 2)
#define PTM_CAP_SET_LOCALITY (1 << 3)
#define PTM_CAP_CANCEL_TPM_CMD (1 << 5)
#define PTM_CAP_RESET_TPMESTABLISHED (1 << 7)
#define PTM_CAP_STOP (1 << 10)
#define PTM_CAP_SET_BUFFERSIZE (1 << 13)
#define PTM_CAP_GET_INFO (1 << 14)

#define GETINFO_CHUNK 3072

static size_t payload_size(uint32_t cmd)
{
	switch (cmd) {
	case CTRL_INIT:
	case CTRL_SET_BUFFERSIZE:
		return 4;
	case CTRL_SET_LOCALITY:
	case CTRL_RESET_TPMESTABLISHED:
		return 1;
	case CTRL_GET_INFO:
		return 16;
	default:
		return 0;
	}
}

static bool supported(uint32_t cmd)
{
	switch (cmd) {
	case CTRL_GET_CAPABILITY:
	case CTRL_INIT:
	case CTRL_SHUTDOWN:
	case CTRL_GET_TPMESTABLISHED:
	case CTRL_SET_LOCALITY:
	case CTRL_CANCEL_TPM_CMD:
	case CTRL_RESET_TPMESTABLISHED:
	case CTRL_STOP:
	case CTRL_SET_BUFFERSIZE:
	case CTRL_GET_INFO:
		return true;
	default:
		return false;
	}
}

size_t ctrl_request_size(const uint8_t *buf, size_t len)
{
	uint32_t cmd;
	size_t off = 0;

	if (Tss2_MU_UINT32_Unmarshal(buf, len, &off, &cmd))
		return 0;
	return 4 + payload_size(cmd);
}

struct ctrl_out {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static void put32(struct ctrl_out *o, uint32_t v)
{
	Tss2_MU_UINT32_Marshal(v, o->buf, o->cap, &o->len);
}

static void put64(struct ctrl_out *o, uint64_t v)
{
	Tss2_MU_UINT64_Marshal(v, o->buf, o->cap, &o->len);
}

static uint32_t get32(const uint8_t *p)
{
	size_t off = 0;
	uint32_t v = 0;

	Tss2_MU_UINT32_Unmarshal(p, 4, &off, &v);
	return v;
}

static void do_get_capability(struct ctrl_out *o)
{
	put64(o, PTM_CAP_INIT | PTM_CAP_SHUTDOWN | PTM_CAP_GET_TPMESTABLISHED |
		  PTM_CAP_SET_LOCALITY | PTM_CAP_CANCEL_TPM_CMD | PTM_CAP_RESET_TPMESTABLISHED |
		  PTM_CAP_STOP | PTM_CAP_SET_BUFFERSIZE | PTM_CAP_GET_INFO);
}

static void do_init(struct service *svc, const uint8_t *p, struct ctrl_out *o)
{
	put32(o, service_ctrl_init(svc, get32(p) & PTM_INIT_FLAG_DELETE_VOLATILE));
}

static void do_tpm_established(struct service *svc, struct ctrl_out *o)
{
	bool bit;

	put32(o, service_ctrl_get_established(svc, &bit));
	o->buf[o->len++] = bit;
	memset(o->buf + o->len, 0, 3);
	o->len += 3;
}

static void do_set_buffersize(struct service *svc, const uint8_t *p, struct ctrl_out *o)
{
	uint32_t size, min, max, res = service_ctrl_set_buffer_size(svc, get32(p), &size, &min, &max);

	put32(o, res);
	put32(o, size);
	put32(o, min);
	put32(o, max);
}

static void do_get_info(struct service *svc, const uint8_t *p, struct ctrl_out *o)
{
	uint64_t flags = 0;
	uint32_t offset = get32(p + 8);
	size_t off = 0, total, n;
	char *info;

	Tss2_MU_UINT64_Unmarshal(p, 8, &off, &flags);
	info = service_ctrl_get_info(svc, flags);
	if (!info) {
		put32(o, PTM_FAIL);
		return;
	}
	total = strlen(info) + 1;
	n = offset < total ? total - offset : 0;
	if (n > GETINFO_CHUNK)
		n = GETINFO_CHUNK;
	put32(o, PTM_SUCCESS);
	put32(o, (uint32_t)total);
	put32(o, (uint32_t)n);
	memcpy(o->buf + o->len, info + (offset < total ? offset : 0), n);
	o->len += n;
	free(info);
}

size_t ctrl_handle(struct service *svc, const uint8_t *req, size_t len, uint8_t *out, size_t cap,
		   unsigned *actions)
{
	struct ctrl_out o = { .buf = out, .cap = cap, .len = 0 };
	uint32_t cmd;

	*actions = 0;
	if (len < 4 || cap < CTRL_MAX_RESPONSE) {
		put32(&o, PTM_BAD_PARAMETER);
		return o.len;
	}
	cmd = get32(req);
	if (!supported(cmd)) {
		log_warn("control channel: unsupported command 0x%08x", cmd);
		put32(&o, PTM_BAD_ORDINAL);
		return o.len;
	}
	if (len != 4 + payload_size(cmd)) {
		put32(&o, PTM_BAD_PARAMETER);
		return o.len;
	}
	switch (cmd) {
	case CTRL_GET_CAPABILITY:
		do_get_capability(&o);
		break;
	case CTRL_INIT:
		do_init(svc, req + 4, &o);
		break;
	case CTRL_GET_TPMESTABLISHED:
		do_tpm_established(svc, &o);
		break;
	case CTRL_SET_LOCALITY:
		put32(&o, service_ctrl_set_locality(svc, req[4]));
		break;
	case CTRL_RESET_TPMESTABLISHED:
		put32(&o, service_ctrl_reset_established(svc, req[4]));
		break;
	case CTRL_SET_BUFFERSIZE:
		do_set_buffersize(svc, req + 4, &o);
		break;
	case CTRL_GET_INFO:
		do_get_info(svc, req + 4, &o);
		break;
	case CTRL_SHUTDOWN:
		*actions |= CTRL_ACTION_TERMINATE;
		put32(&o, PTM_SUCCESS);
		break;
	case CTRL_STOP:
		service_ctrl_stop(svc);
		put32(&o, PTM_SUCCESS);
		break;
	case CTRL_CANCEL_TPM_CMD:
		put32(&o, service_ctrl_cancel(svc));
		break;
	}
	return o.len;
}
