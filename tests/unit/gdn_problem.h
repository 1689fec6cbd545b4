/* gdn_problem.h: one GDN mixer problem for the GDN tests: a config whose
 * block 0 is GDN, its GDN tensors as float-representable values (so the
 * float and double builds, the runtime and PyTorch all see the same), an
 * input u and the loss weights R (L = sum(y * R)); and the problem through
 * tests/ref/gdn_check.py (golf_ref.gdn with autograd, float64). Tests may
 * allocate. Include after assert_close.h. */
#ifndef TITAN_TESTS_GDN_PROBLEM_H
#define TITAN_TESTS_GDN_PROBLEM_H

#include "titan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int Hk, Hv, Dk, Dw, Kc, act, out_norm, mtp;
} gdn_opts;

/* A small config, d_model D, block 0 GDN with options o. */
static inline titan_config gdn_problem_config(gdn_opts o, int D) {
    titan_config c;
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    c.d_model = D, c.n_heads = 2, c.n_kv_heads = 1, c.head_dim = 4, c.v_head_dim = 4;
    c.n_unique_blocks = 1, c.n_recurrences = 1, c.bos_id = 0, c.vocab_size = 300;
    c.gdn_layers[0] = 0, c.gdn_layers_len = 1;
    c.gdn_heads = o.Hk, c.gdn_v_heads = o.Hv, c.gdn_head_dim = o.Dk;
    c.gdn_v_head_dim = o.Dw, c.gdn_conv_kernel = o.Kc, c.gdn_qk_act = o.act;
    c.gdn_out_norm = o.out_norm;
    c.mtp_heads = o.mtp ? o.mtp : 1;
    for (int k = 0; k < c.mtp_heads; k++) c.mtp_weights[k] = 1;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    return c;
}

typedef struct {
    titan_config c;
    int T, n;                     /* tokens; GDN tensors (canonical order) */
    titan_tensor_spec spec[8];    /* their names and shapes */
    size_t off[8], len[8], count; /* values of tensor i: w[off[i] .. + len[i]) */
    double *w, *u, *R;            /* [count], [T, D], [T, D] */
} gdn_problem;

static inline double gdn_uniform(uint64_t *s) { /* [-1, 1) */
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53 * 2 - 1;
}

static inline const char *gdn_leaf(const gdn_problem *p, int i) {
    return strstr(p->spec[i].name, ".gdn_") + 1;
}

/* Weights: matrices U(-1,1) * 1.5/sqrt(cols), the conv U(-0.8, 0.8), gains
 * 1 +- 0.3, gdn_A_log in [-2, 0.5] and gdn_dt_bias in [-1, 1] (decays from
 * strong to weak); u in [-1.5, 1.5), R in [-1, 1). */
static inline void gdn_problem_make(gdn_problem *p, const titan_config *c, int T,
                                    uint64_t seed) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int ns = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    memset(p, 0, sizeof *p);
    p->c = *c, p->T = T;
    for (int i = 0; i < ns; i++) {
        if (strncmp(specs[i].name, "blocks.0.gdn_", 13)) continue;
        p->spec[p->n] = specs[i];
        p->off[p->n] = p->count, p->len[p->n] = (size_t)(specs[i].rows * specs[i].cols);
        p->count += p->len[p->n++];
    }
    assert_true(p->n >= 6);
    size_t TD = (size_t)T * c->d_model;
    p->w = malloc(sizeof(double) * p->count);
    p->u = malloc(sizeof(double) * TD), p->R = malloc(sizeof(double) * TD);
    uint64_t s = seed * 2654435761u + 7;
    for (int i = 0; i < p->n; i++) {
        const char *leaf = gdn_leaf(p, i);
        for (size_t j = 0; j < p->len[i]; j++) {
            double r = gdn_uniform(&s), x;
            if (!strcmp(leaf, "gdn_A_log"))
                x = -0.75 + 1.25 * r;
            else if (!strcmp(leaf, "gdn_dt_bias"))
                x = r;
            else if (p->spec[i].role == TITAN_ROLE_NORM)
                x = 1 + 0.3 * r;
            else if (!strcmp(leaf, "gdn_conv"))
                x = 0.8 * r;
            else
                x = 1.5 * r / sqrt((double)p->spec[i].cols);
            p->w[p->off[i] + j] = (float)x;
        }
    }
    for (size_t i = 0; i < TD; i++) p->u[i] = (float)(1.5 * gdn_uniform(&s));
    for (size_t i = 0; i < TD; i++) p->R[i] = (float)gdn_uniform(&s);
}

static inline void gdn_problem_free(gdn_problem *p) {
    free(p->w), free(p->u), free(p->R);
}

/* Float copies of the GDN tensors as the runtime binds them: t[0..n) and
 * pointers to them in ptr (data in *buf, freed by the caller). */
static inline void gdn_problem_tensors(const gdn_problem *p, titan_tensor *t,
                                       const titan_tensor **ptr, float **buf) {
    *buf = malloc(sizeof(float) * p->count);
    for (size_t i = 0; i < p->count; i++) (*buf)[i] = (float)p->w[i];
    for (int i = 0; i < p->n; i++) {
        t[i] = (titan_tensor){.dtype = TITAN_DT_F32,
                              .ndim = p->spec[i].ndim,
                              .rows = p->spec[i].rows,
                              .cols = p->spec[i].cols,
                              .data = *buf + p->off[i]};
        memcpy(t[i].name, p->spec[i].name, TITAN_NAME_MAX);
        ptr[i] = &t[i];
    }
}

/* golf_ref's y, dL/du and dL/dw ([count], as w), float64. */
typedef struct {
    double *y, *du, *dw;
} gdn_torch;

static inline bool gdn_have_torch(void) {
    return system("/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null") == 0;
}

static inline void gdn_write(const char *dir, const char *name, const double *x,
                             size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(x, sizeof *x, n, fp), n);
    fclose(fp);
}

static inline void gdn_read(const char *dir, const char *name, double *x, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(x, sizeof *x, n, fp), n);
    assert_int_equal(fgetc(fp), EOF); /* exactly n values */
    fclose(fp);
    unlink(path);
}

/* Each tensor's values at base + off[i] to or from "<prefix><name>.f64". */
static inline void gdn_tensor_files(const char *dir, const gdn_problem *p,
                                    const char *prefix, double *base, bool write) {
    char name[96];
    for (int i = 0; i < p->n; i++) {
        snprintf(name, sizeof name, "%s%s.f64", prefix, p->spec[i].name);
        if (write)
            gdn_write(dir, name, base + p->off[i], p->len[i]);
        else
            gdn_read(dir, name, base + p->off[i], p->len[i]);
    }
}

/* Write the problem to a fresh directory, run gdn_check.py, read back. */
static inline void gdn_torch_run(const gdn_problem *p, gdn_torch *out) {
    char dir[] = "/tmp/titan-gdn-XXXXXX", cmd[700], json[8192];
    assert_non_null(mkdtemp(dir));
    size_t len, TD = (size_t)p->T * p->c.d_model;
    assert_int_equal(titan_config_to_json(&p->c, json, sizeof json, &len), TITAN_OK);
    snprintf(cmd, sizeof cmd, "%s/config.json", dir);
    FILE *fp = fopen(cmd, "w");
    assert_non_null(fp);
    fwrite(json, 1, len, fp);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "%s/problem.txt", dir);
    fp = fopen(cmd, "w");
    assert_non_null(fp);
    fprintf(fp, "%d 0\n", p->T);
    fclose(fp);
    gdn_write(dir, "u.f64", p->u, TD);
    gdn_write(dir, "r.f64", p->R, TD);
    gdn_tensor_files(dir, p, "", p->w, true);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/gdn_check.py %s", dir);
    assert_int_equal(system(cmd), 0);
    out->y = malloc(sizeof(double) * TD), out->du = malloc(sizeof(double) * TD);
    out->dw = malloc(sizeof(double) * p->count);
    gdn_read(dir, "y.f64", out->y, TD);
    gdn_read(dir, "du.f64", out->du, TD);
    gdn_tensor_files(dir, p, "d.", out->dw, false);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static inline void gdn_torch_free(gdn_torch *t) { free(t->y), free(t->du), free(t->dw); }

/* n doubles against n doubles, as close_add (assert_close.h) sees them. */
static inline close_acc gdn_close(const double *got, const double *want, size_t n) {
    close_acc c = {0};
    for (size_t i = 0; i < n; i++) close_add(&c, i, got[i], want[i]);
    return c;
}

#endif
