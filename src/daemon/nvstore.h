/* SPDX-License-Identifier: MIT */
/*
 * The libtpms NV state store: named blobs ("permall", "volatilestate", "savestate", and the
 * daemon's "ek-public" and "ak-public", daemon/identity.h) kept as DIR/tpm2-<name>.state, each a 48-byte header followed by the blob:
 *
 *   offset  size  field
 *        0     8  magic "VTPMRTMR"
 *        8     4  format version, big endian (NVSTORE_FORMAT_VERSION)
 *       12     4  blob length in bytes, big endian
 *       16    32  SHA-256 of the blob
 *       48     n  the blob
 *
 * An open store holds an exclusive flock on DIR/.lock (which holds the owner's pid) until
 * nvstore_close. Not thread-safe: the caller serializes calls on one store.
 */
#ifndef VTPM_NVSTORE_H
#define VTPM_NVSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVSTORE_MAGIC "VTPMRTMR"
#define NVSTORE_FORMAT_VERSION 1u
#define NVSTORE_HEADER_SIZE 48u
#define NVSTORE_MAX_BLOB (16u << 20)  /* far above any libtpms state blob */
#define NVSTORE_MAX_NAME 64u

struct nvstore;

/*
 * Create DIR (mode 0700, parents too) if needed and take an exclusive lock on DIR/.lock
 * (held for the store's lifetime; our pid is written into the lock file). If another process
 * (or another open store in this process) holds it: -EBUSY, and err says "state directory DIR
 * is in use by another vtpm-rtmrd (pid N)". Then leftover temp files of an interrupted write
 * (tpm2-<name>.state.tmp) are removed (logged at info) and every state file present is
 * validated: a corrupt one makes open fail with -EBADMSG and an err naming the file and what is
 * wrong; the file is left untouched. Other failures: -errno with err set. err may be NULL.
 */
int nvstore_open(const char *dir, struct nvstore **out, char *err, size_t errlen);
/* Releases the lock. NULL is a no-op. */
void nvstore_close(struct nvstore *s);
/* The directory and its files to the daemon's user (safe_fs_set_user), before --runas. */
int nvstore_give_to_user(struct nvstore *s);
const char *nvstore_dir(const struct nvstore *s);

/*
 * Names are 1..NVSTORE_MAX_NAME characters of [a-z0-9_-]; anything else is -EINVAL.
 * Errors other than -ENOENT, -EINVAL and -EFBIG are logged (at error level).
 */

/* 0 and a malloc'd *data (caller frees; non-NULL even when *len is 0), -ENOENT if absent,
 * -EBADMSG if corrupt, -errno otherwise. */
int nvstore_load(struct nvstore *s, const char *name, uint8_t **data, uint32_t *len);
/* Crash-safe replace (temp file in DIR, write, fsync, rename over, fsync DIR). 0 or -errno;
 * on failure before the rename (e.g. -ENOSPC) the old file is intact and no temp file remains.
 * -EFBIG if len > NVSTORE_MAX_BLOB. */
int nvstore_store(struct nvstore *s, const char *name, const uint8_t *data, uint32_t len);
/* 0 if deleted or (unless must_exist) already absent; -ENOENT if must_exist and absent. */
int nvstore_delete(struct nvstore *s, const char *name, bool must_exist);
/* Whether DIR/tpm2-<name>.state exists (valid or not); false for an invalid name. */
bool nvstore_exists(struct nvstore *s, const char *name);

/*
 * Write-back mode, for a start-up that stores the same blob several times before anything
 * relies on it (the daemon: manufacture, Startup, the EK). From nvstore_write_back() on,
 * stores and deletes change only the store's memory, which loads and nvstore_exists see (and
 * blobs read once are kept there); nvstore_flush() then replaces each changed file once, as
 * nvstore_store does, removes the deleted ones (fsync of DIR), and returns the store to
 * writing through. 0 or the first -errno (logged): the changes not written yet are dropped.
 * nvstore_close drops changes not flushed.
 */
void nvstore_write_back(struct nvstore *s);
int nvstore_flush(struct nvstore *s);

#endif
