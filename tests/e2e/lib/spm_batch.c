/* spm_batch.c: encode and decode many texts with one tokenizer file, for
 * tests/ref/spm_encode_check.py. spm_batch TOK IN OUT: IN holds texts as
 * (u32 little-endian length, bytes); OUT gets, per text, a line of ids and a
 * line with the hex of decode(ids). */
#include <stdio.h>
#include <stdlib.h>

#include "titan.h"

static int fail(const char *what) {
    fprintf(stderr, "spm_batch: %s: %s\n", what, titan_last_error());
    return 1;
}

/* One text: encode, print the ids, decode, print the bytes in hex. */
static int one(const titan_tokenizer *t, titan_arena *scratch, const uint8_t *text,
               size_t len, FILE *out) {
    size_t cap = titan_tokenizer_max_ids(t, len) + 1, n = 0, dlen = 0;
    int32_t *ids = malloc(cap * sizeof *ids);
    uint8_t *dec = NULL;
    int rc = 1;
    if (!ids || titan_tokenizer_encode(t, scratch, text, len, ids, cap, &n)) goto done;
    for (size_t i = 0; i < n; i++) fprintf(out, i ? " %d" : "%d", ids[i]);
    fputc('\n', out);
    if (titan_tokenizer_decode(t, ids, n, NULL, 0, &dlen)) goto done;
    dec = malloc(dlen + 1);
    if (!dec || titan_tokenizer_decode(t, ids, n, dec, dlen, &dlen)) goto done;
    for (size_t i = 0; i < dlen; i++) fprintf(out, "%02x", dec[i]);
    fputc('\n', out);
    rc = 0;
done:
    free(ids);
    free(dec);
    return rc ? fail("text") : 0;
}

int main(int argc, char **argv) {
    if (argc != 4) return fprintf(stderr, "usage: spm_batch TOK IN OUT\n"), 2;
    size_t need, enc = (titan_tokenizer_encode_plan() + 63) / 64 * 64;
    if (titan_tokenizer_file_plan(argv[1], &need)) return fail(argv[1]);
    titan_arena a, scratch;
    void *buf = aligned_alloc(64, (need + 63) / 64 * 64), *sbuf = aligned_alloc(64, enc);
    titan_arena_init(&a, buf, need);
    titan_arena_init(&scratch, sbuf, enc);
    const titan_tokenizer *t;
    if (!buf || !sbuf || titan_tokenizer_file_load(&a, argv[1], &t, NULL, NULL))
        return fail(argv[1]);
    FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[3], "w");
    if (!in || !out) return fail("files");
    uint8_t head[4];
    int rc = 0;
    while (!rc && fread(head, 1, 4, in) == 4) {
        size_t len = head[0] | head[1] << 8 | head[2] << 16 | (size_t)head[3] << 24;
        uint8_t *text = malloc(len + 1);
        rc = !text || fread(text, 1, len, in) != len || one(t, &scratch, text, len, out);
        free(text);
    }
    fclose(in);
    rc |= fclose(out) != 0;
    free(buf);
    free(sbuf);
    return rc;
}
