/* bench_tokenizer.c: encoding speed of a 1024-token vocabulary on ~10 MB of
 * generated text (English-like prose with Zipf word frequencies, mixed with
 * code-like lines), best of several repeats; also the training time of that
 * vocabulary and memcpy speed on this machine for scale. */
#include "titan.h"
#include "tools/cli/cli.h"
#include "tools/train/bpe_train.h"

#include <stdlib.h>
#include <string.h>

enum { TEXT_BYTES = 10 << 20, VOCAB = 1024, REPEATS = 5 };

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* A word of 1..10 letters; word k of the lexicon, so it repeats. */
static size_t make_word(uint32_t k, char *out) {
    static const char letters[] = "etaoinshrdlcumwfgypbvkjxqz";
    uint32_t h = k * 2654435761u + 12345;
    size_t n = 1 + h % 10;
    for (size_t i = 0; i < n; i++, h = h * 1103515245u + 12345)
        out[i] = letters[(h >> 16) % (i ? 26 : 12)];
    return n;
}

static size_t gen_text(char *s, size_t cap) {
    size_t n = 0;
    while (n + 128 < cap) {
        if (rnd() % 8 == 0) { /* a line of code */
            n += (size_t)snprintf(s + n, 128, "    if (x%u >= %u) { y[%u] += 0x%x; }\n",
                                  rnd() % 50, rnd() % 1000, rnd() % 16, rnd() % 4096);
            continue;
        }
        for (int w = 0; w < 12; w++) { /* prose: Zipf-like word choice */
            uint32_t k = (uint32_t)(5000.0 / (1 + rnd() % 5000)) + rnd() % 3;
            s[n++] = ' ';
            n += make_word(k, s + n);
            if (rnd() % 9 == 0) s[n++] = rnd() % 2 ? ',' : '.';
        }
        s[n++] = '\n';
    }
    return n;
}

int main(void) {
    char *text = malloc(TEXT_BYTES);
    size_t len = gen_text(text, TEXT_BYTES);
    int32_t *lr = malloc(2 * VOCAB * sizeof *lr);
    double t0 = cli_now();
    int32_t m =
        bpe_train((const uint8_t *)text, len, VOCAB - 257, lr, lr + VOCAB, NULL, NULL);
    double train_s = cli_now() - t0;
    size_t blob_len, cap = titan_tokenizer_serialized_size(m);
    uint8_t *blob = malloc(cap);
    titan_arena tok_arena, scratch;
    const titan_tokenizer *t;
    int32_t *ids = malloc(len * sizeof *ids);
    if (m != VOCAB - 257 ||
        titan_tokenizer_serialize(lr, lr + VOCAB, m, blob, cap, &blob_len) ||
        cli_arena_create(&tok_arena,
                         titan_tokenizer_plan(VOCAB, 256 + 256 * (size_t)m)) ||
        titan_tokenizer_load(&tok_arena, blob, blob_len, &t) ||
        cli_arena_create(&scratch, titan_tokenizer_encode_plan())) {
        fprintf(stderr, "bench_tokenizer: setup failed: %s\n", titan_last_error());
        return 1;
    }
    double best = 1e30, copy_best = 1e30;
    size_t n = 0;
    for (int r = 0; r < REPEATS; r++) {
        t0 = cli_now();
        if (titan_tokenizer_encode(t, &scratch, (const uint8_t *)text, len, ids, len,
                                   &n)) {
            fprintf(stderr, "bench_tokenizer: %s\n", titan_last_error());
            return 1;
        }
        double dt = cli_now() - t0;
        best = dt < best ? dt : best;
        t0 = cli_now();
        memcpy(ids, text, len);
        dt = cli_now() - t0;
        copy_best = dt < copy_best ? dt : copy_best;
    }
    double mb = (double)len / 1e6;
    printf("tokenizer: vocab %d, text %.1f MB -> %zu ids (%.2f bytes/id)\n", VOCAB, mb, n,
           (double)len / (double)n);
    printf("  encode  %.1f MB/s (best of %d)\n", mb / best, REPEATS);
    printf("  train   %.2f s for %d merges\n", train_s, m);
    printf("  memcpy  %.0f MB/s (encode is %.0fx slower)\n", mb / copy_best,
           copy_best > 0 ? best / copy_best : 0);
    cli_arena_destroy(&scratch);
    cli_arena_destroy(&tok_arena);
    free(text);
    free(lr);
    free(blob);
    free(ids);
    return 0;
}
