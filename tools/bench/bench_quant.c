/* bench_quant.c: val_bpb of an artifact on a text file (SPEC section 3 text
 * mode with stride == context: non-overlapping windows), for comparing
 * quantized artifacts of one model until `titan eval -m ART --text` lands.
 *   bench_quant ART TEXT [CTX [MAX_BYTES]]
 * Without arguments it prints its usage and exits 0 (so `make bench` passes). */
#include "core/status.h"
#include "platform/backend.h"
#include "platform/backend_cpu.h"
#include "platform/file.h"
#include "tools/cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    titan_model *m;
    titan_seq *s;
    float *logits; /* [ctx][V] */
} scorer;

/* Sum of target NLL (nats) over seq[0..n] in windows of ctx tokens. */
static titan_status score(scorer *sc, const int32_t *seq, int64_t n, int ctx,
                          int V, double *nll) {
    *nll = 0;
    for (int64_t w = 0; w < n; w += ctx) {
        int len = (int)(n - w < ctx ? n - w : ctx);
        titan_seq_reset(sc->s);
        TITAN_TRY(titan_model_forward(sc->m, sc->s, seq + w, len));
        TITAN_TRY(titan_model_logits(sc->m, 1, 0, len, sc->logits));
        for (int t = 0; t < len; t++) {
            const float *z = sc->logits + (size_t)t * V;
            double mx = z[0], sum = 0;
            for (int v = 1; v < V; v++) mx = fmax(mx, z[v]);
            for (int v = 0; v < V; v++) sum += exp(z[v] - mx);
            *nll += mx + log(sum) - z[seq[w + t + 1]];
        }
    }
    return TITAN_OK;
}

static titan_status run(titan_arena *a, char **argv, int ctx, int64_t max_bytes) {
    titan_artifact art;
    TITAN_TRY(titan_artifact_load(a, argv[1], &art));
    uint8_t *text;
    size_t len;
    TITAN_TRY(titan_file_read(a, argv[2], (size_t)max_bytes, &text, &len));
    int32_t *seq;
    size_t n;
    TITAN_TRY(titan_arena_alloc(a, (len + 1) * sizeof *seq, TITAN_ALIGN, (void **)&seq));
    seq[0] = art.config.bos_id;
    TITAN_TRY(titan_tokenizer_encode(art.tokenizer, a, text, len, seq + 1, len, &n));
    titan_backend *be;
    TITAN_TRY(titan_backend_cpu_create(a, 1, &be));
    scorer sc;
    int V = art.config.vocab_size;
    TITAN_TRY(titan_model_create(a, &art.config, art.tensors, art.n_tensors, ctx,
                                 ctx, be, &sc.m));
    TITAN_TRY(titan_seq_create(a, sc.m, &sc.s));
    TITAN_TRY(titan_arena_alloc(a, (size_t)ctx * V * sizeof(float), TITAN_ALIGN,
                                (void **)&sc.logits));
    double nll, t0 = cli_now();
    titan_status st = score(&sc, seq, (int64_t)n, ctx, V, &nll);
    titan_backend_cpu_destroy(be);
    if (st != TITAN_OK) return st;
    printf("{\"artifact\":\"%s\",\"file_bytes\":%llu,\"tokens\":%zu,\"bytes\":%zu,"
           "\"ctx\":%d,\"val_bpb\":%.6f,\"seconds\":%.1f}\n", argv[1],
           (unsigned long long)art.file_bytes, n, len, ctx,
           nll / (log(2) * (double)len), cli_now() - t0);
    return TITAN_OK;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        puts("usage: bench_quant ART TEXT [CTX [MAX_BYTES]] (nothing measured)");
        return argc == 1 ? 0 : 2;
    }
    int64_t ctx = 256, max_bytes = 1 << 20;
    if ((argc > 3 && !cli_parse_int(argv[3], 1, 1 << 16, &ctx)) ||
        (argc > 4 && !cli_parse_int(argv[4], 1, 1 << 30, &max_bytes)))
        return cli_usage("bench_quant", "bad CTX or MAX_BYTES");
    titan_arena a;
    if (cli_arena_create(&a, (size_t)1 << 30) != TITAN_OK) return 1;
    titan_status st = run(&a, argv, (int)ctx, max_bytes);
    cli_arena_destroy(&a);
    return st == TITAN_OK ? 0 : cli_fail("bench_quant", st);
}
