/* fuzz_serve_request.c: libFuzzer target for titan serve's request bodies
 * (tools/titan/serve/request.c over the strict JSON parser), as each of the
 * three endpoints reads them. Any input is accepted or refused with 400 or
 * 413; an accepted one has a prompt and every field in its documented range. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/titan/serve/request.c"

static _Alignas(64) uint8_t arena_buf[1 << 22];

static void check(const serve_params *p, serve_kind kind) {
    if (!p->prompt) abort();
    if (kind == REQ_SCORE) return;
    if (p->max_tokens < 1 || p->max_tokens > SERVE_MAX_TOKENS) abort();
    if (!(p->temperature >= 0 && p->temperature <= 100)) abort();
    if (!(p->top_p >= 0 && p->top_p <= 1)) abort();
    if (p->top_k < 0 || p->top_k > TITAN_TOK_MAX || p->seed < -1) abort();
    if (p->n_stop < 0 || p->n_stop > SERVE_STOPS_MAX) abort();
    for (int i = 0; i < p->n_stop; i++)
        if (p->stop_len[i] < 1 || p->stop_len[i] > SERVE_STOP_BYTES) abort();
    if (kind == REQ_CHAT &&
        (p->prompt_len < 10 || memcmp(p->prompt + p->prompt_len - 10, "assistant:", 10)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (serve_request_plan(size) > sizeof arena_buf) return 0;
    for (int k = REQ_COMPLETION; k <= REQ_SCORE; k++) {
        titan_arena a;
        titan_arena_init(&a, arena_buf, serve_request_plan(size));
        serve_params p;
        char err[256];
        int rc = serve_request_parse(&a, (serve_kind)k, (const char *)data, size, &p, err,
                                     sizeof err);
        if (rc == 0)
            check(&p, (serve_kind)k);
        else if ((rc != 400 && rc != 413) || !err[0])
            abort();
    }
    return 0;
}
