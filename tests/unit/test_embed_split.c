/* test_embed_split.c: titan pack --embed-split on hand-worked examples: the
 * hot ids from counts (ties to the lower id), each row's range, the per-row
 * rounding (hot rows exactly int8 RTN, cold rows int6's), counts from a
 * shard and the refusal of damaged, out-of-vocabulary and empty shards; and
 * GPTQ's per-row ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assert_close.h"
#include "quant/gptq.h"
#include "quant/quant.h"
#include "tools/titan/embed_split.h"

static uint8_t buf[1 << 20];

/* counts {5, 9, 0, 9, 2, 1}: order 1, 3 (9 each, lower id first), 0, 4, 5, 2. */
static void hot_ids_by_count_then_id(void **state) {
    (void)state;
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    const uint64_t counts[6] = {5, 9, 0, 9, 2, 1};
    int *q;
    assert_int_equal(embed_split_ranges(&a, counts, 6, 2, &q), TITAN_OK);
    const int want2[6] = {31, 127, 31, 127, 31, 31};
    assert_memory_equal(q, want2, sizeof want2);
    assert_int_equal(embed_split_ranges(&a, counts, 6, 3, &q), TITAN_OK);
    const int want3[6] = {127, 127, 31, 127, 31, 31};
    assert_memory_equal(q, want3, sizeof want3);
    assert_int_equal(embed_split_ranges(&a, counts, 6, 0, &q), TITAN_OK);
    for (int i = 0; i < 6; i++) assert_int_equal(q[i], 31);
    assert_int_equal(embed_split_ranges(&a, counts, 6, 6, &q), TITAN_OK);
    for (int i = 0; i < 6; i++) assert_int_equal(q[i], 127);
    const uint64_t tie[3] = {4, 4, 4};
    assert_int_equal(embed_split_ranges(&a, tie, 3, 1, &q), TITAN_OK);
    assert_int_equal(q[0], 127);
    assert_int_equal(q[1] + q[2], 62);
    assert_int_equal(embed_split_ranges(&a, counts, 6, 7, &q), TITAN_E_USAGE);
    assert_int_equal(embed_split_ranges(&a, counts, 6, -1, &q), TITAN_E_USAGE);
}

/* One clip (scale = amax / qmax): row 0 hot, amax 127, scale 1: q = {127,
 * -64, 32, 0} (31.75 -> 32, 0.4 -> 0); row 1 cold, amax 62, scale 62/31 = 2:
 * q = {31, 16, -8, 0} (ties to even: 15.5 -> 16, -7.5 -> -8, 0.5 -> 0), where
 * int8 would keep 62 at 127. */
static void rows_take_their_range(void **state) {
    (void)state;
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    const float f[8] = {127, -64, 31.75f, 0.4f, 62, 31, -15, 1};
    const int row_qmax[2] = {127, 31};
    titan_tensor t = {.dtype = TITAN_DT_INT6, .ndim = 2, .rows = 2, .cols = 4};
    assert_int_equal(embed_split_quantize(&a, f, row_qmax, 1, &t), TITAN_OK);
    assert_int_equal(t.dtype, TITAN_DT_INT8);
    const int8_t want[8] = {127, -64, 32, 0, 31, 16, -8, 0};
    assert_memory_equal(t.data, want, sizeof want);
    const float *s = t.scales;
    assert_true(s[0] == 1.0f && s[1] == 2.0f);
}

/* With clip search too, a hot row is the int8 RTN of that row and a cold row
 * the int6b RTN, values and scale bit for bit. */
static void rows_equal_whole_tensor_rtn(void **state) {
    (void)state;
    enum { R = 5, C = 37 };
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    float f[R * C];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < R * C; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        f[i] = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5) * (1 + i % 7);
    }
    const int row_qmax[R] = {31, 127, 127, 31, 31};
    titan_tensor t = {.dtype = TITAN_DT_INT8, .ndim = 2, .rows = R, .cols = C};
    assert_int_equal(embed_split_quantize(&a, f, row_qmax, TITAN_QUANT_CLIP_STEPS, &t),
                     TITAN_OK);
    int8_t want8[R * C], want6[R * C];
    float s8[R], s6[R];
    assert_int_equal(titan_quant_rtn_clip(f, R, C, TITAN_DT_INT8, 0,
                                          TITAN_QUANT_CLIP_STEPS, want8, s8),
                     TITAN_OK);
    assert_int_equal(titan_quant_rtn_clip(f, R, C, TITAN_DT_INT6_BYTE, 0,
                                          TITAN_QUANT_CLIP_STEPS, want6, s6),
                     TITAN_OK);
    const int8_t *q = t.data;
    const float *s = t.scales;
    for (int r = 0; r < R; r++) {
        bool hot = row_qmax[r] == 127;
        assert_memory_equal(q + r * C, (hot ? want8 : want6) + r * C, C);
        assert_true(s[r] == (hot ? s8 : s6)[r]);
        int most = 0;
        for (int c = 0; c < C; c++)
            most = abs(q[r * C + c]) > most ? abs(q[r * C + c]) : most;
        assert_true(hot ? most > 32 : most <= 32);
    }
}

/* A shard file of n tokens (header count `claimed`), `cut` bytes short. */
static void write_shard(const char *path, const uint16_t *ids, uint32_t n,
                        uint32_t claimed, size_t cut) {
    uint8_t b[TITAN_SHARD_HEADER_BYTES + 64] = {0};
    uint32_t head[3] = {TITAN_SHARD_MAGIC, 1, claimed};
    memcpy(b, head, sizeof head); /* little-endian hosts only, as the CI */
    memcpy(b + TITAN_SHARD_HEADER_BYTES, ids, 2 * (size_t)n);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, TITAN_SHARD_HEADER_BYTES + 2 * n - cut, fp),
                     TITAN_SHARD_HEADER_BYTES + 2 * n - cut);
    assert_int_equal(fclose(fp), 0);
}

static void counts_from_shards(void **state) {
    (void)state;
    char dir[] = "/tmp/test_embed_splitXXXXXX", p1[64], p2[64], pat[64];
    assert_non_null(mkdtemp(dir));
    snprintf(p1, sizeof p1, "%s/a.bin", dir);
    snprintf(p2, sizeof p2, "%s/b.bin", dir);
    snprintf(pat, sizeof pat, "%s/*.bin", dir);
    const uint16_t ids[5] = {3, 1, 3, 0, 3};
    write_shard(p1, ids, 5, 5, 0);
    write_shard(p2, ids, 2, 2, 0);
    uint64_t counts[4];
    assert_int_equal(embed_split_counts(pat, NULL, 0, 4, counts), TITAN_OK);
    const uint64_t want[4] = {1, 2, 0, 4};
    assert_memory_equal(counts, want, sizeof want);
    /* vocabulary 3: id 3 is out of it */
    assert_int_equal(embed_split_counts(p1, NULL, 0, 3, counts), TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "token 3 at 0"));
    write_shard(p1, ids, 5, 5, 1); /* truncated */
    assert_int_equal(embed_split_counts(p1, NULL, 0, 4, counts), TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "a.bin"));
    write_shard(p1, ids, 0, 0, 0); /* empty */
    assert_int_equal(embed_split_counts(p1, NULL, 0, 4, counts), TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "no tokens"));
    assert_int_equal(embed_split_counts("/nonexistent/x*.bin", NULL, 0, 4, counts),
                     TITAN_E_IO);
    remove(p1), remove(p2), remove(dir);
}

static void applies_to_token_rows(void **state) {
    (void)state;
    titan_tensor_spec s[] = {
        {"tok_emb", 2, 8, 4, TITAN_ROLE_EMBED},
        {"value_embed.table", 2, 8, 2, TITAN_ROLE_EMBED},
        {"mtp.2.head", 2, 8, 4, TITAN_ROLE_HEAD},
        {"bigram.table", 2, 8, 2, TITAN_ROLE_EMBED}, /* hashed pairs, not ids */
        {"blocks.0.wq", 2, 8, 4, TITAN_ROLE_MATRIX},
    };
    const bool want[] = {true, true, true, false, false};
    for (int i = 0; i < 5; i++) assert_int_equal(embed_split_applies(&s[i], 8), want[i]);
    assert_false(embed_split_applies(&s[0], 9));
}

/* H = I: no error feedback between columns, so GPTQ is plain rounding, each
 * row clamped to its own range: row 1 (qmax 31) clips 100 to 31, -50 to -32. */
static void gptq_row_ranges(void **state) {
    (void)state;
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    const float w[4] = {100, -50, 100, -50}, s[2] = {1, 1};
    const double h[4] = {1, 0, 0, 1};
    const int row_qmax[2] = {127, 31};
    titan_gptq_opts o = {.damp = 0, .block = 2, .act_order = 0, .row_qmax = row_qmax};
    int8_t q[4];
    assert_int_equal(titan_gptq_quantize(&a, w, 2, 2, h, s, -128, 127, &o, q), TITAN_OK);
    const int8_t want[4] = {100, -50, 31, -32};
    assert_memory_equal(q, want, sizeof want);
    const int bad[2] = {127, 128};
    o.row_qmax = bad;
    assert_int_equal(titan_gptq_quantize(&a, w, 2, 2, h, s, -128, 127, &o, q),
                     TITAN_E_USAGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hot_ids_by_count_then_id),
        cmocka_unit_test(rows_take_their_range),
        cmocka_unit_test(rows_equal_whole_tensor_rtn),
        cmocka_unit_test(counts_from_shards),
        cmocka_unit_test(applies_to_token_rows),
        cmocka_unit_test(gptq_row_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
