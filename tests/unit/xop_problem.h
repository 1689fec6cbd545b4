/* xop_problem.h: shared pieces of the xenith op tests (test_train_moe.c,
 * test_train_xsum.c): a set of named tensors in one double buffer, bound by
 * name through the op's bind function, central finite differences over
 * every value, and the round trip through tests/ref/xenith_ops_check.py
 * (xenith_ref.py with autograd, float64). Tests may allocate. Include after
 * assert_close.h. */
#ifndef TITAN_TESTS_XOP_PROBLEM_H
#define TITAN_TESTS_XOP_PROBLEM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { XOP_MAX = 256 };

typedef struct {
    int n;
    char name[XOP_MAX][64];
    int rows[XOP_MAX], cols[XOP_MAX];
    size_t off[XOP_MAX], count;
    double *w, *g; /* values [count], their gradients [count] */
} xop_tensors;

static inline void xop_add(xop_tensors *t, const char *name, int rows, int cols) {
    assert_true(t->n < XOP_MAX && strlen(name) < sizeof t->name[0]);
    snprintf(t->name[t->n], sizeof t->name[0], "%s", name);
    t->rows[t->n] = rows, t->cols[t->n] = cols, t->off[t->n] = t->count;
    t->count += (size_t)rows * cols;
    t->n++;
}

/* A matrix and, with r > 0, its adapter. */
static inline void xop_add_mat(xop_tensors *t, const char *name, int rows, int cols,
                               int r) {
    char n[96];
    xop_add(t, name, rows, cols);
    if (r == 0) return;
    snprintf(n, sizeof n, "%s.lora_A", name);
    xop_add(t, n, r, cols);
    snprintf(n, sizeof n, "%s.lora_B", name);
    xop_add(t, n, rows, r);
}

/* prefix + "w_gate", "w_up" [F, D], "w_down" [D, F]; w_up is no target. */
static inline void xop_add_swiglu(xop_tensors *t, const char *prefix, int F, int D,
                                  int r) {
    static const char *leaf[3] = {"w_gate", "w_up", "w_down"};
    char n[64];
    for (int i = 0; i < 3; i++) {
        snprintf(n, sizeof n, "%s%s", prefix, leaf[i]);
        xop_add_mat(t, n, i == 2 ? D : F, i == 2 ? F : D, i == 1 ? 0 : r);
    }
}

static inline double xop_uniform(uint64_t *s) { /* [-1, 1) */
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53 * 2 - 1;
}

/* Values: norms (cols == 1 vectors stored [1, D]: rows == 1 and name ends
 * in "norm") 1 +- 0.3, the rest U(-1, 1) * scale / sqrt(cols); all
 * float-representable. */
static inline void xop_fill(xop_tensors *t, uint64_t seed, double scale) {
    t->w = calloc(t->count, sizeof(double)), t->g = calloc(t->count, sizeof(double));
    uint64_t s = seed * 2654435761u + 7;
    for (int i = 0; i < t->n; i++) {
        bool norm = strstr(t->name[i], "norm") != NULL;
        for (size_t j = 0; j < (size_t)t->rows[i] * t->cols[i]; j++) {
            double r = xop_uniform(&s);
            t->w[t->off[i] + j] =
                (float)(norm ? 1 + 0.3 * r : scale * r / sqrt((double)t->cols[i]));
        }
    }
}

static inline void xop_free(xop_tensors *t) { free(t->w), free(t->g); }

static inline int xop_find(const xop_tensors *t, const char *name) {
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->name[i], name)) return i;
    return -1;
}

static inline double *xop_at(const xop_tensors *t, double *base, const char *name) {
    int i = xop_find(t, name);
    assert_true(i >= 0);
    return base + t->off[i];
}

/* Central difference of f at value *v. */
static inline double xop_numeric(double (*f)(void *), void *ctx, double *v) {
    double keep = *v, h = 1e-5;
    *v = keep + h;
    double up = f(ctx);
    *v = keep - h;
    double down = f(ctx);
    *v = keep;
    return (up - down) / (2 * h);
}

/* grad[0..n) against finite differences of f in vals[0..n) (|diff| <=
 * 1e-9 + 1e-7 max|fd|); returns max|diff| and raises *mag to max|fd|. */
static inline double xop_fd(double (*f)(void *), void *ctx, double *vals,
                            const double *grad, size_t n, const char *what, double *mag) {
    close_acc e = {0};
    for (size_t i = 0; i < n; i++)
        close_add(&e, i, grad[i], xop_numeric(f, ctx, vals + i));
    assert_close(&e, what, 1e-9, 1e-7);
    if (getenv("XOP_VERBOSE"))
        print_message("  %s: max|diff| %.2e, max|fd| %.2e\n", what, e.err, e.mag);
    *mag = fmax(*mag, e.mag);
    return e.err;
}

/* xop_fd over every tensor of t (their gradients in t->g) and over the
 * input in[0..n) (gradient din); returns max|diff| / max|fd| of them all. */
static inline double xop_fd_all(double (*f)(void *), void *ctx, xop_tensors *t,
                                double *in, const double *din, size_t n,
                                const char *in_name) {
    double worst = 0, mag = 0;
    for (int i = 0; i < t->n; i++) {
        size_t len = (size_t)t->rows[i] * t->cols[i];
        worst = fmax(worst, xop_fd(f, ctx, t->w + t->off[i], t->g + t->off[i], len,
                                   t->name[i], &mag));
    }
    worst = fmax(worst, xop_fd(f, ctx, in, din, n, in_name, &mag));
    return worst / mag;
}

static inline bool xop_have_torch(void) {
    return system("/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null") == 0;
}

static inline void xop_file(const char *dir, const char *name, double *x, size_t n,
                            bool write) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, write ? "wb" : "rb");
    assert_non_null(fp);
    if (write) {
        assert_int_equal(fwrite(x, sizeof *x, n, fp), n);
    } else {
        assert_int_equal(fread(x, sizeof *x, n, fp), n);
        assert_int_equal(fgetc(fp), EOF); /* exactly n values */
    }
    fclose(fp);
}

/* Every tensor to "<name>.f64" (values) or from "d.<name>.f64" (into g). */
static inline void xop_tensor_files(const char *dir, xop_tensors *t, bool write) {
    char name[96];
    for (int i = 0; i < t->n; i++) {
        snprintf(name, sizeof name, "%s%s.f64", write ? "" : "d.", t->name[i]);
        xop_file(dir, name, (write ? t->w : t->g) + t->off[i],
                 (size_t)t->rows[i] * t->cols[i], write);
    }
}

/* A fresh directory with problem.json ({fields, "tensors": [[name, rows,
 * cols], ...]}) and the tensors. */
static inline void xop_dir(char *dir, const char *fields, xop_tensors *t) {
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/problem.json", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "{%s, \"tensors\": [", fields);
    for (int i = 0; i < t->n; i++)
        fprintf(fp, "%s[\"%s\", %d, %d]", i ? ", " : "", t->name[i], t->rows[i],
                t->cols[i]);
    fputs("]}\n", fp);
    fclose(fp);
    xop_tensor_files(dir, t, true);
}

static inline void xop_run(const char *op, const char *dir) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/xenith_ops_check.py %s %s", op,
             dir);
    assert_int_equal(system(cmd), 0);
}

static inline void xop_rmdir(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Relative error of got against want (n values), checked against rtol. */
static inline double xop_compare(const double *got, const double *want, size_t n,
                                 double rtol, const char *what) {
    close_acc e = {0};
    for (size_t i = 0; i < n; i++) close_add(&e, i, got[i], want[i]);
    assert_close(&e, what, 1e-12, rtol);
    return e.mag > 0 ? e.err / e.mag : e.err;
}

#endif
