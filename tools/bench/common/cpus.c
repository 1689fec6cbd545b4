/* cpus.c: the 1- and 2-thread cpu backends and pools of cpus.h. */
#include "tools/bench/common/cpus.h"

#include "tools/cli/cli.h"

#include <string.h>

titan_status bench_cpus_open(bench_cpus *b) {
    memset(b, 0, sizeof *b);
    TITAN_TRY(cli_arena_create(&b->arena, 2 * titan_backend_cpu_arena_bytes(2) + 8192));
    titan_status st = TITAN_OK;
    for (int th = 1; !st && th <= 2; th++) {
        st = titan_backend_cpu_create(&b->arena, th, &b->be[th - 1]);
        if (!st) st = titan_thread_pool_create(&b->arena, th, &b->pool[th - 1]);
    }
    if (st) bench_cpus_close(b);
    return st;
}

void bench_cpus_close(bench_cpus *b) {
    for (int th = 0; th < 2; th++) {
        titan_thread_pool_destroy(b->pool[th]);
        titan_backend_destroy(b->be[th]);
    }
    cli_arena_destroy(&b->arena);
    memset(b, 0, sizeof *b);
}
