/* baselines.h: general-purpose compressors as val_bpb baselines (tool side:
 * they use the libraries' default allocators, outside the runtime path). */
#ifndef TITAN_TOOLS_BASELINES_H
#define TITAN_TOOLS_BASELINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { BASELINE_XZ, BASELINE_BROTLI, BASELINE_COUNT } baseline_kind;

extern const char *const baseline_names[BASELINE_COUNT]; /* "xz", "brotli" */

/* Compressed size of data[0..len) with xz -9e (liblzma, .xz container, CRC64)
 * or Brotli quality 11, window 2^24; false if the compressor fails. */
bool baseline_size(baseline_kind k, const uint8_t *data, size_t len, uint64_t *size);

typedef struct {
    double bpb[BASELINE_COUNT];      /* 8 |C(val)| / |val| */
    double cond_bpb[BASELINE_COUNT]; /* 8 (|C(train+val)| - |C(train)|) / |val| */
    bool has_cond;
} baseline_result;

/* Both compressors on val (and, when train is not NULL, the conditional
 * figures). false on failure (a message is printed). */
bool baselines_run(const uint8_t *val, size_t val_len, const uint8_t *train,
                   size_t train_len, baseline_result *out);

#endif
