/* public_api.c: a user's program against the installed library (titan.h and
 * pkg-config only). Loads an artifact, runs the same tokens on the ref, cpu
 * and tpu backends, checks their logits agree, generates a few tokens and
 * round-trips text through the tokenizer. Prints "ok" and exits 0, or says
 * what failed and exits 1. */
#include <titan.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(expr)                                                                      \
    do {                                                                                 \
        titan_status st_ = (expr);                                                       \
        if (st_ != TITAN_OK) {                                                           \
            fprintf(stderr, "%s: %s (%s)\n", #expr, titan_status_string(st_),            \
                    titan_last_error());                                                 \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

enum { T = 6, CTX = 32 };

/* An arena of exactly what `carve` measured, plus alignment slack. */
static void *arena_for(titan_arena *a, size_t bytes) {
    void *buf =
        aligned_alloc(TITAN_ALIGN, (bytes + 2 * TITAN_ALIGN) / TITAN_ALIGN * TITAN_ALIGN);
    if (!buf) exit(1);
    titan_arena_init(a, buf, bytes + TITAN_ALIGN);
    return buf;
}

/* Greedy generation after the prompt ids[0..T): tokens inside the vocabulary. */
static void generate_a_few(titan_arena *a, titan_model *m, titan_seq *s,
                           const int32_t *ids, int V) {
    titan_sampler smp;
    titan_sampler_init(&smp, 0, 0, 1, 1);
    titan_generator *g;
    CHECK(titan_generator_start(a, m, s, &smp, 0, ids, T, &g));
    for (int i = 0; i < 4; i++) {
        int32_t out[TITAN_MAX_MTP];
        int k;
        CHECK(titan_generator_step(g, out, &k));
        if (k != 1 || out[0] < 0 || out[0] >= V) exit(1);
    }
}

/* Head-1 logits of ids[0..T) on backend `name`, into out[T][V]. */
static void logits_on(const titan_artifact *art, const char *name, const int32_t *ids,
                      float *out) {
    titan_arena meas, a;
    titan_arena_init(&meas, NULL, 0);
    titan_backend *be;
    titan_tpu_config tpu;
    titan_tpu_config_default(&tpu);
    int64_t rows, cols;
    CHECK(titan_config_matmul_bounds(&art->config, &rows, &cols));
    for (int pass = 0; pass < 2; pass++) {
        titan_arena *ar = pass ? &a : &meas;
        if (!strcmp(name, "ref"))
            CHECK(titan_backend_ref_create(ar, &be));
        else if (!strcmp(name, "cpu"))
            CHECK(titan_backend_cpu_create(ar, 2, &be));
        else
            CHECK(titan_backend_tpu_create(ar, &tpu, T, rows, cols, &be));
        if (!pass) arena_for(&a, meas.high);
    }
    size_t model_bytes;
    CHECK(titan_model_plan(&art->config, CTX, T, &model_bytes));
    model_bytes += titan_generator_plan(&art->config);
    titan_arena m_arena;
    void *buf = arena_for(&m_arena, model_bytes);
    titan_model *m;
    titan_seq *s;
    CHECK(titan_model_create(&m_arena, &art->config, art->tensors, art->n_tensors, CTX, T,
                             be, &m));
    CHECK(titan_seq_create(&m_arena, m, &s));
    CHECK(titan_model_forward(m, s, ids, T));
    CHECK(titan_model_logits(m, 1, 0, T, out));
    if (!strcmp(name, "cpu")) generate_a_few(&m_arena, m, s, ids, art->config.vocab_size);
    if (strcmp(titan_backend_name(be), name)) exit(1);
    titan_backend_destroy(be);
    free(buf);
    free(a.base);
}

int main(int argc, char **argv) {
    if (argc != 2) return fprintf(stderr, "usage: public_api ART\n"), 2;
    titan_arena scratch, a;
    void *sbuf = arena_for(&scratch, 1 << 24);
    size_t bytes;
    CHECK(titan_artifact_plan(&scratch, argv[1], &bytes));
    void *abuf = arena_for(&a, bytes);
    titan_artifact art;
    CHECK(titan_artifact_load(&a, argv[1], &art));

    const char text[] = "hello, installed titan";
    int32_t ids[sizeof text];
    size_t n;
    CHECK(titan_tokenizer_encode(art.tokenizer, &scratch, (const uint8_t *)text,
                                 strlen(text), ids + 1, sizeof text, &n));
    ids[0] = art.config.bos_id;
    uint8_t back[sizeof text];
    size_t len;
    CHECK(titan_tokenizer_decode(art.tokenizer, ids + 1, n, back, sizeof back, &len));
    if (len != strlen(text) || memcmp(back, text, len)) return puts("tokenizer"), 1;
    if (n + 1 < T) return puts("text too short"), 1;

    size_t V = (size_t)art.config.vocab_size;
    float *ref = malloc(T * V * sizeof *ref), *got = malloc(T * V * sizeof *got);
    if (!ref || !got) return 1;
    logits_on(&art, "ref", ids, ref);
    const char *others[] = {"cpu", "tpu"};
    const double tol[] = {1e-3, 0.5}; /* tpu: int8 activations */
    for (int b = 0; b < 2; b++) {
        logits_on(&art, others[b], ids, got);
        for (size_t i = 0; i < T * V; i++)
            if (!(fabsf(got[i] - ref[i]) <= tol[b] * (1 + fabsf(ref[i]))))
                return printf("%s logit %zu: %g, ref %g\n", others[b], i, got[i], ref[i]),
                       1;
    }
    free(ref);
    free(got);
    free(abuf);
    free(sbuf);
    puts("ok");
    return 0;
}
