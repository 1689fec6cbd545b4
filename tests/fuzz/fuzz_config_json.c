/* fuzz_config_json.c: libFuzzer target for config JSON. Any input must be
 * accepted or refused with TITAN_E_DATA; an accepted config must write out
 * and read back identically, as JSON and as an artifact's config section
 * (version 1 or 2). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/artifact_format.h"
#include "titan.h"

static _Alignas(64) uint8_t arena_buf[1 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_config c, back;
    memset(&c, 0, sizeof c);
    memset(&back, 0, sizeof back);
    titan_status s = titan_config_from_json(&a, (const char *)data, size, &c);
    if (s == TITAN_E_DATA || s == TITAN_E_NOMEM) return 0;
    if (s != TITAN_OK) abort();
    static char text[1 << 16];
    size_t len;
    if (titan_config_to_json(&c, text, sizeof text, &len) ||
        titan_config_from_json(&a, text, len, &back) || memcmp(&c, &back, sizeof c))
        abort();
    c.bos_id = TITAN_TOK_BOS; /* as the artifact writer stores it */
    uint8_t *sec;
    if (titan_config_validate(&c) != TITAN_OK) return 0;
    if (art_config_encode(&a, &c, &sec, &len) ||
        art_config_decode(&a, sec, len, art_config_version(&c), &back) ||
        memcmp(&c, &back, sizeof c))
        abort();
    return 0;
}
