/* bench_fma.c: this machine's peak fp32 FMA throughput (limits.h) with 1 and
 * 2 threads, for scripts that give their rates as shares of it
 * (bench_train.sh). Prints "peak_fma_gflops ONE TWO". */
#include "tools/bench/common/cpus.h"
#include "tools/bench/common/limits.h"
#include "tools/cli/cli.h"

#include <stdio.h>

int main(void) {
    bench_cpus c;
    titan_status st = bench_cpus_open(&c);
    if (st) return cli_fail("bench_fma", st);
    double one = bench_peak_fma(c.pool[0]), two = bench_peak_fma(c.pool[1]);
    printf("peak_fma_gflops %.1f %.1f (%s)\n", one, two,
           titan_isa_name(titan_cpu_best_isa()));
    bench_cpus_close(&c);
    return CLI_EXIT_OK;
}
