/* dtype.h: the storage-type traits table (quant/dtype.c): how many bytes a
 * row of each type takes and whether it carries scales. */
#ifndef TITAN_QUANT_DTYPE_H
#define TITAN_QUANT_DTYPE_H

#include "titan.h"

#include <stdbool.h>

typedef struct {
    const char *name; /* "f32", "f16", "bf16", "int8", "int6", "int6b" */
    int block_values; /* values packed together: 4 for int6, else 1 */
    int block_bytes;  /* bytes one block takes */
    bool quantized;   /* value = q * scale, one f32 scale per group */
    int qmax;         /* quantized: values in [-qmax - 1, qmax]; else 0 */
} titan_dtype_traits;

/* NULL for a value outside the enum (untrusted directories). */
const titan_dtype_traits *titan_dtype_get(titan_dtype dt);

#endif
