/* file.h: the operating-system edge for files. */
#ifndef TITAN_PLATFORM_FILE_H
#define TITAN_PLATFORM_FILE_H

#include "titan.h"

/* Size of a regular file in bytes (TITAN_E_IO if missing or not regular). */
TITAN_NODISCARD titan_status titan_file_size(const char *path, size_t *size);

/* Read the whole file into a fresh arena block (aligned to TITAN_ALIGN). Fails
 * with TITAN_E_DATA if it is larger than max_bytes. In measuring mode only the
 * size is taken. */
TITAN_NODISCARD titan_status titan_file_read(titan_arena *a, const char *path,
                                             size_t max_bytes, uint8_t **data,
                                             size_t *size);

/* Read exactly len bytes at byte offset `offset` of the file into dst.
 * TITAN_E_IO if the file is shorter or unreadable. */
TITAN_NODISCARD titan_status titan_file_read_at(const char *path, uint64_t offset,
                                                void *dst, size_t len);

/* Write len bytes atomically: temp file beside the target, fsync, rename. */
TITAN_NODISCARD titan_status titan_file_write_atomic(const char *path, const void *data,
                                                     size_t len);

#endif
