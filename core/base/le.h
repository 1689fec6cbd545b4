/* le.h: little-endian reads and writes of unaligned file fields. */
#ifndef TITAN_CORE_BASE_LE_H
#define TITAN_CORE_BASE_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t le_rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Three bytes (the INT6 packing's 4-value word). */
static inline uint32_t le_rd24(const uint8_t *p) {
    return (uint32_t)le_rd16(p) | (uint32_t)p[2] << 16;
}

static inline uint32_t le_rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t le_rd64(const uint8_t *p) {
    return (uint64_t)le_rd32(p) | (uint64_t)le_rd32(p + 4) << 32;
}

static inline void le_wr16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void le_wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void le_wr64(uint8_t *p, uint64_t v) {
    le_wr32(p, (uint32_t)v);
    le_wr32(p + 4, (uint32_t)(v >> 32));
}

static inline float le_rdf32(const uint8_t *p) {
    uint32_t bits = le_rd32(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline void le_wrf32(uint8_t *p, float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    le_wr32(p, bits);
}

static inline double le_rdf64(const uint8_t *p) {
    uint64_t bits = le_rd64(p);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static inline void le_wrf64(uint8_t *p, double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    le_wr64(p, bits);
}

#endif
