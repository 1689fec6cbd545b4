/* cpu_features.h: which vector instruction sets this CPU and OS support,
 * detected once at run time (cpuid + xgetbv), so one binary built without
 * -march flags picks the widest kernels the machine can run. */
#ifndef TITAN_PLATFORM_CPU_FEATURES_H
#define TITAN_PLATFORM_CPU_FEATURES_H

#include <stdbool.h>

typedef enum {
    TITAN_ISA_SCALAR = 0, /* plain C */
    TITAN_ISA_AVX2 = 1,   /* AVX2 + FMA + F16C, 256-bit */
    TITAN_ISA_AVX512 = 2, /* AVX-512 F + BW + VL, 512-bit */
} titan_isa;

typedef struct {
    bool avx2, fma, f16c;                          /* with OS support for ymm state */
    bool avx512f, avx512bw, avx512vl, avx512_vnni; /* with zmm/opmask state */
    bool amx_tile;
} titan_cpu_features;

/* Features of the running CPU, as enabled by the OS (cached after first call). */
const titan_cpu_features *titan_cpu_features_get(void);

/* The widest kernel family this machine runs. */
titan_isa titan_cpu_best_isa(void);

/* "scalar", "avx2", "avx512". */
const char *titan_isa_name(titan_isa isa);

#endif
