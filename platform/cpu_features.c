/* cpu_features.c: cpuid/xgetbv feature detection. A feature counts only when
 * the CPU has it AND the OS saves its registers (XCR0), else using it faults. */
#include "platform/cpu_features.h"

#include <pthread.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static titan_cpu_features detect(void) {
    titan_cpu_features f = {0};
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    bool osxsave = c & (1u << 27);
    bool fma = c & (1u << 12), f16c = c & (1u << 29);
    if (!osxsave) return f;
    unsigned long long xcr0 = read_xcr0();
    bool ymm_ok = (xcr0 & 0x6) == 0x6;         /* SSE + AVX state */
    bool zmm_ok = (xcr0 & 0xe6) == 0xe6;       /* + opmask, ZMM_Hi256, Hi16_ZMM */
    bool amx_ok = (xcr0 & 0x60000) == 0x60000; /* XTILECFG + XTILEDATA */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    f.avx2 = ymm_ok && (b & (1u << 5));
    f.fma = ymm_ok && fma;
    f.f16c = ymm_ok && f16c;
    f.avx512f = zmm_ok && (b & (1u << 16));
    f.avx512bw = zmm_ok && (b & (1u << 30));
    f.avx512vl = zmm_ok && (b & (1u << 31));
    f.avx512_vnni = zmm_ok && (c & (1u << 11));
    f.amx_tile = amx_ok && (d & (1u << 24));
    return f;
}
#else
static titan_cpu_features detect(void) { return (titan_cpu_features){0}; }
#endif

static titan_cpu_features cached;
static void detect_once(void) { cached = detect(); }

const titan_cpu_features *titan_cpu_features_get(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, detect_once);
    return &cached;
}

titan_isa titan_cpu_best_isa(void) {
    const titan_cpu_features *f = titan_cpu_features_get();
    if (f->avx512f && f->avx512bw && f->avx512vl) return TITAN_ISA_AVX512;
    if (f->avx2 && f->fma && f->f16c) return TITAN_ISA_AVX2;
    return TITAN_ISA_SCALAR;
}

const char *titan_isa_name(titan_isa isa) {
    switch (isa) {
    case TITAN_ISA_AVX512: return "avx512";
    case TITAN_ISA_AVX2: return "avx2";
    case TITAN_ISA_SCALAR: break;
    }
    return "scalar";
}
