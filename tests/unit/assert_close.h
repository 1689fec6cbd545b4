/* assert_close.h: floating-point comparisons for the unit tests that fail on
 * NaN and infinity. fmax(err, NaN) returns err, and cmocka 1.1's
 * assert_float_equal passes when either side is NaN or infinite, so an
 * all-NaN result used to pass both. Include it after cmocka.h. */
#ifndef TITAN_TESTS_ASSERT_CLOSE_H
#define TITAN_TESTS_ASSERT_CLOSE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>

/* The larger of a running maximum and e; once either is NaN, NaN. */
static inline double max_nan(double acc, double e) {
    return !isnan(acc) && (isnan(e) || e > acc) ? e : acc;
}

/* The worst of a set of (got, want) pairs. A pair with a non-finite side
 * has error NaN and stays the worst. Start from close_acc c = {0}. */
typedef struct {
    size_t n;        /* pairs seen */
    double err, mag; /* max |got - want| (NaN: not finite), max |want| */
    size_t at;       /* index of the worst pair, and the pair */
    double got, want;
} close_acc;

static inline void close_add(close_acc *c, size_t i, double got, double want) {
    double e = isfinite(got) && isfinite(want) ? fabs(got - want) : NAN;
    bool worse = !c->n++ || (!isnan(c->err) && (isnan(e) || e > c->err));
    if (worse) c->err = e, c->at = i, c->got = got, c->want = want;
    c->mag = max_nan(c->mag, fabs(want));
}

/* Something was compared, all of it finite, and
 * max |got - want| <= atol + rtol * max |want|. */
static inline bool close_ok(const close_acc *c, double atol, double rtol) {
    return c->n && c->err <= atol + rtol * c->mag;
}

/* close_ok, and when not, a message naming the worst pair. */
static inline bool close_report(const close_acc *c, const char *what, double atol,
                                double rtol) {
    if (close_ok(c, atol, rtol)) return true;
    if (!c->n) {
        print_error("%s: nothing compared\n", what);
    } else if (isnan(c->err)) {
        print_error("%s: [%zu] got %.9g, want %.9g: not finite\n", what, c->at, c->got,
                    c->want);
    } else {
        print_error("%s: [%zu] got %.9g, want %.9g: |diff| %.3g > tolerance %.3g"
                    " (%g + %g * max|want| %.3g)\n",
                    what, c->at, c->got, c->want, c->err, atol + rtol * c->mag, atol,
                    rtol, c->mag);
    }
    return false;
}

#define assert_close(acc, what, atol, rtol)                                              \
    do {                                                                                 \
        if (!close_report((acc), (what), (atol), (rtol))) fail();                        \
    } while (0)

/* n floats against n floats, as close_add would see them. */
static inline close_acc close_floats(const float *got, const float *want, size_t n) {
    close_acc c = {0};
    for (size_t i = 0; i < n; i++) close_add(&c, i, got[i], want[i]);
    return c;
}

#define assert_close_floats(got, want, n, what, atol, rtol)                              \
    do {                                                                                 \
        close_acc close_c_ = close_floats((got), (want), (n));                           \
        assert_close(&close_c_, (what), (atol), (rtol));                                 \
    } while (0)

/* cmocka's rule (|a - b| <= eps, or within FLT_EPSILON of the larger
 * magnitude), false when either side is NaN or infinite. */
static inline bool float_close(float a, float b, float eps) {
    float d = fabsf(a - b);
    return isfinite(a) && isfinite(b) &&
           (d <= eps || d <= fmaxf(fabsf(a), fabsf(b)) * FLT_EPSILON);
}

static inline bool float_close_report(float a, float b, float eps) {
    if (float_close(a, b, eps)) return true;
    print_error("%.9g != %.9g (tolerance %g)\n", a, b, eps);
    return false;
}

/* Every assert_float_equal of a test that includes this header. */
#undef assert_float_equal
#define assert_float_equal(a, b, eps)                                                    \
    do {                                                                                 \
        if (!float_close_report((float)(a), (float)(b), (float)(eps))) fail();           \
    } while (0)

#endif
