/* crc32.c: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the one
 * zlib, liblzma and PNG use; slicing by one byte is fast enough for headers. */
#include "titan.h"

static uint32_t crc_table[256];
static int crc_table_ready;

static void crc_table_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        crc_table[i] = c;
    }
    crc_table_ready = 1;
}

uint32_t titan_crc32(uint32_t crc, const void *data, size_t len) {
    if (!crc_table_ready) crc_table_init(); /* idempotent: races are benign */
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
