/* test_model_ref.c: the C logits of every head against the independent
 * PyTorch reference (tests/ref/titan_ref.py, float64) on random weights:
 * small configs covering Lq = 0 / > 0, K = 0 / 3, G = H / G < H, softcap,
 * YaRN on/off, B*R > 1, and the zenyx-v2-base preset. Skips when
 * /usr/bin/python3 with torch is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assert_close.h"
#include "model_fixture.h"
#include "platform/backend.h"

static char dir[] = "/tmp/titan-ref-XXXXXX";

static int have_torch(void) {
    return system("/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null") == 0;
}

static void path(char *out, const char *name) { snprintf(out, 256, "%s/%s", dir, name); }

static void write_file(const char *file, const void *data, size_t len) {
    FILE *fp = fopen(file, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void write_safetensors(const fixture *f, const char *file) {
    titan_st_source src[TITAN_MAX_TENSORS];
    for (int i = 0; i < f->n; i++) {
        const titan_tensor *t = &f->t[i];
        src[i] = (titan_st_source){.name = t->name,
                                   .dtype = TITAN_DT_F32,
                                   .ndim = t->ndim,
                                   .data = f->data[i],
                                   .shape = {t->rows, t->cols}};
    }
    size_t len;
    assert_int_equal(titan_safetensors_write(src, f->n, NULL, 0, NULL, 0, &len),
                     TITAN_OK);
    uint8_t *buf = malloc(len);
    assert_int_equal(titan_safetensors_write(src, f->n, NULL, 0, buf, len, &len),
                     TITAN_OK);
    write_file(file, buf, len);
    free(buf);
}

static void write_config(const titan_config *c, const char *file) {
    char json[4096];
    size_t len;
    assert_int_equal(titan_config_to_json(c, json, sizeof json, &len), TITAN_OK);
    write_file(file, json, len);
}

static float *read_floats(const char *file, size_t n) {
    float *x = malloc(n * sizeof *x);
    FILE *fp = fopen(file, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(x, sizeof *x, n, fp), n);
    fclose(fp);
    return x;
}

static void compare_with_reference(const titan_config *c, int T, uint64_t seed) {
    fixture f;
    fixture_make(&f, c, seed);
    char st[256], cfg[256], ids_path[256], out[256], cmd[1400];
    path(st, "w.safetensors");
    path(cfg, "config.json");
    path(ids_path, "ids.txt");
    path(out, "ref");
    write_safetensors(&f, st);
    write_config(c, cfg);
    int32_t *ids = malloc(sizeof(int32_t) * T);
    FILE *fp = fopen(ids_path, "w");
    uint64_t s = seed;
    for (int t = 0; t < T; t++) {
        ids[t] = (int32_t)((fixture_uniform(&s) + 1) / 2 * c->vocab_size) % c->vocab_size;
        fprintf(fp, "%d\n", ids[t]);
    }
    fclose(fp);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 tests/ref/titan_ref.py --safetensors %s --config %s "
             "--ids %s --all-heads %s",
             st, cfg, ids_path, out);
    assert_int_equal(system(cmd), 0);

    runtime r;
    rt_open(&r, &f, T, T, 0);
    assert_int_equal(titan_model_forward(r.m, r.s, ids, T), TITAN_OK);
    size_t V = c->vocab_size;
    float *got = malloc(sizeof(float) * T * V);
    for (int k = 1; k <= c->mtp_heads; k++) {
        char head_file[300];
        snprintf(head_file, sizeof head_file, "%s.%d", out, k);
        float *want = read_floats(head_file, T * V);
        assert_int_equal(titan_model_logits(r.m, k, 0, T, got), TITAN_OK);
        double worst = 0;
        bool ok = true;
        for (int t = 0; t < T; t++) {
            close_acc row = close_floats(got + t * V, want + t * V, V);
            worst = max_nan(worst, row.err / row.mag);
            ok = close_report(&row, "logits row", 0, 1e-4) && ok;
        }
        print_message("head %d: worst relative error %.3g\n", k, worst);
        if (!ok) fail_msg("head %d: relative error %g", k, worst);
        free(want);
        unlink(head_file);
    }
    unlink(st);
    unlink(cfg);
    unlink(ids_path);
    free(got);
    rt_close(&r);
    free(ids);
    fixture_free(&f);
}

static void small_configs_match_reference(void **state) {
    (void)state;
    if (!have_torch()) skip();
    titan_config c = fixture_small_config();
    c.yarn_factor = 4; /* Lq > 0, K = 3, G < H, yarn on, B*R = 4 */
    c.yarn_orig_ctx = 8;
    compare_with_reference(&c, 20, 1);
    c = fixture_small_config(); /* Lq = 0, K = 0, G = H, softcap, yarn off */
    c.q_latent = 0;
    c.conv_kernel = 0;
    c.n_kv_heads = c.n_heads;
    c.logit_softcap = 3;
    compare_with_reference(&c, 13, 2);
    c = fixture_small_config(); /* G = 1, K = 3, softcap + yarn, one head */
    c.n_kv_heads = 1;
    c.mtp_heads = 1;
    c.logit_softcap = 5;
    c.yarn_factor = 16;
    c.yarn_orig_ctx = 4;
    c.n_recurrences = 3;
    c.n_unique_blocks = 1;
    compare_with_reference(&c, 11, 3);
}

static void zenyx_base_matches_reference(void **state) {
    (void)state;
    if (!have_torch()) skip();
    titan_config c;
    assert_int_equal(titan_config_preset("zenyx-v2-base", &c), TITAN_OK);
    compare_with_reference(&c, 6, 4);
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_configs_match_reference),
        cmocka_unit_test(zenyx_base_matches_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
