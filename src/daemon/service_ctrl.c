// SPDX-License-Identifier: MIT
/* The service's control-channel messages: each one an engine call under the service's lock. */
#include <libtpms/tpm_error.h>

#include "common/log.h"
#include "daemon/engine.h"
#include "daemon/service.h"
#include "daemon/service_priv.h"
#include "tpm_cmds/tpm_frame.h"

uint32_t service_ctrl_init(struct service *s, bool delete_volatile)
{
	uint32_t res;

	pthread_mutex_lock(&s->lock);
	res = engine_reinit(delete_volatile);
	pthread_mutex_unlock(&s->lock);
	log_info("control channel: TPM re-initialized (_TPM_Init%s)",
		 delete_volatile ? ", volatile state deleted" : "");
	return res;
}

void service_ctrl_stop(struct service *s)
{
	pthread_mutex_lock(&s->lock);
	engine_terminate();
	pthread_mutex_unlock(&s->lock);
}

uint32_t service_ctrl_set_locality(struct service *s, uint8_t locality)
{
	if (locality > 4)
		return TPM_BAD_LOCALITY;
	pthread_mutex_lock(&s->lock);
	engine_set_locality(locality);
	pthread_mutex_unlock(&s->lock);
	return TPM_SUCCESS;
}

uint8_t service_locality(struct service *s)
{
	uint8_t loc;

	pthread_mutex_lock(&s->lock);
	loc = engine_get_locality();
	pthread_mutex_unlock(&s->lock);
	return loc;
}

uint32_t service_ctrl_cancel(struct service *s)
{
	uint32_t res = TPM_BAD_ORDINAL;

	/* commands run to completion under the lock: there is never one to cancel */
	pthread_mutex_lock(&s->lock);
	if (engine_running())
		res = engine_cancel();
	pthread_mutex_unlock(&s->lock);
	return res;
}

uint32_t service_ctrl_get_established(struct service *s, bool *established)
{
	uint32_t res = TPM_BAD_ORDINAL;

	*established = false;
	pthread_mutex_lock(&s->lock);
	if (engine_running())
		res = engine_established_get(established);
	pthread_mutex_unlock(&s->lock);
	return res;
}

uint32_t service_ctrl_reset_established(struct service *s, uint8_t locality)
{
	uint32_t res = TPM_BAD_ORDINAL;

	if (locality > 4)
		return TPM_BAD_LOCALITY;
	pthread_mutex_lock(&s->lock);
	if (engine_running()) {
		/* the locality is this message's alone, as in swtpm: a later command (a Startup)
		 * must not run at it */
		uint8_t was = engine_get_locality();

		engine_set_locality(locality);
		res = engine_established_reset();
		engine_set_locality(was);
	}
	pthread_mutex_unlock(&s->lock);
	return res;
}

uint32_t service_ctrl_set_buffer_size(struct service *s, uint32_t wanted, uint32_t *size,
				      uint32_t *min, uint32_t *max)
{
	*size = *min = *max = 0;
	pthread_mutex_lock(&s->lock);
	if (wanted != 0 && engine_running()) {
		/* swtpm: the buffer size can only change while the TPM is stopped */
		pthread_mutex_unlock(&s->lock);
		return TPM_BAD_PARAMETER;
	}
	if (wanted > TPM_MAX_COMMAND_SIZE)
		wanted = TPM_MAX_COMMAND_SIZE; /* the transports frame at most 4096 bytes */
	*size = engine_set_buffer_size(wanted, min, max);
	pthread_mutex_unlock(&s->lock);
	if (*max > TPM_MAX_COMMAND_SIZE)
		*max = TPM_MAX_COMMAND_SIZE;
	return TPM_SUCCESS;
}

char *service_ctrl_get_info(struct service *s, uint64_t flags)
{
	char *info;

	pthread_mutex_lock(&s->lock);
	info = engine_get_info(flags);
	pthread_mutex_unlock(&s->lock);
	return info;
}

bool service_tpm_running(struct service *s)
{
	bool running;

	pthread_mutex_lock(&s->lock);
	running = engine_running();
	pthread_mutex_unlock(&s->lock);
	return running;
}
