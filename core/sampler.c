/* sampler.c: next-token distributions (greedy, temperature, top-k, top-p) and
 * draws from a seeded xorshift64* generator, so a seed fixes the output. */
#include "titan.h"

#include <math.h>

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void titan_sampler_init(titan_sampler *s, double temp, int top_k, double top_p,
                        uint64_t seed) {
    s->temp = temp;
    s->top_k = top_k;
    s->top_p = top_p;
    s->rng = splitmix64(seed);
    if (!s->rng) s->rng = 1; /* xorshift never leaves 0 */
}

double titan_sampler_uniform(titan_sampler *s) {
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return (double)((x * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

int32_t titan_argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Does index a come before b: larger value first, then smaller index. */
static int before(const float *p, int32_t a, int32_t b) {
    return p[a] > p[b] || (p[a] == p[b] && a < b);
}

static void sift_down(const float *p, int32_t *idx, int root, int n) {
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n) return;
        /* min-heap on `before`: the root is the entry that comes last */
        if (child + 1 < n && before(p, idx[child], idx[child + 1])) child++;
        if (!before(p, idx[root], idx[child])) return;
        int32_t t = idx[root];
        idx[root] = idx[child];
        idx[child] = t;
        root = child;
    }
}

/* idx[0..n) = 0..n-1 sorted so that larger p comes first (heapsort). */
static void sort_desc(const float *p, int32_t *idx, int n) {
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int i = n / 2 - 1; i >= 0; i--) sift_down(p, idx, i, n);
    for (int end = n - 1; end > 0; end--) {
        int32_t t = idx[0];
        idx[0] = idx[end];
        idx[end] = t;
        sift_down(p, idx, 0, end);
    }
}

void titan_sampler_probs(const titan_sampler *s, float *x, int V, int32_t *work) {
    if (s->temp <= 0) {
        int32_t best = titan_argmax(x, V);
        for (int i = 0; i < V; i++) x[i] = i == best;
        return;
    }
    float mx = x[titan_argmax(x, V)];
    double sum = 0;
    for (int i = 0; i < V; i++) sum += x[i] = expf((float)((x[i] - mx) / s->temp));
    for (int i = 0; i < V; i++) x[i] = (float)(x[i] / sum);
    int keep = s->top_k > 0 && s->top_k < V ? s->top_k : V;
    if (keep == V && s->top_p >= 1) return;
    sort_desc(x, work, V);
    double mass = 0, kept = 0;
    for (int i = 0; i < keep; i++) mass += x[work[i]];
    int n = 0;
    while (n < keep && (n == 0 || kept < s->top_p * mass)) kept += x[work[n++]];
    for (int i = n; i < V; i++) x[work[i]] = 0;
    for (int i = 0; i < n; i++) x[work[i]] = (float)(x[work[i]] / kept);
}

int32_t titan_sampler_draw(titan_sampler *s, const float *p, int V) {
    double u = titan_sampler_uniform(s), cum = 0;
    int32_t last = 0;
    for (int i = 0; i < V; i++) {
        if (p[i] <= 0) continue;
        cum += p[i];
        last = i;
        if (u < cum) return i;
    }
    return last; /* rounding left u just above the total */
}
