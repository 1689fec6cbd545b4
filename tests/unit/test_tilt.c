/* test_tilt.c: the n-gram logit tilt of titan eval --tilt: the tilted
 * distribution is normalized (to 1e-12 in double) for random logits and
 * betas, beta 0 changes nothing to the bit; the hint table round-trips, its
 * rule (trigram first, else bigram, else none) holds, hostile tables are
 * refused; titan_eval_run adds the tilted sums of known probabilities and
 * catches a scorer that gives no hint NLL. */
#include "assert_close.h"

#include <string.h>

#include "titan.h"

static uint32_t rng_state = 2463534242u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}
static double uniform(void) { return (double)rnd() / 4294967296.0; }

enum { VMAX = 1024 };

/* Sum over t of p'(t) for one set of logits, hint h and beta. */
static double tilted_sum(const float *logits, int32_t V, int32_t h, double beta) {
    double hint_nll = titan_eval_nll(logits, V, h), sum = 0;
    for (int32_t t = 0; t < V; t++) {
        double nll = titan_eval_nll(logits, V, t);
        sum += exp(-titan_tilt_nll(nll, hint_nll, t == h, beta));
    }
    return sum;
}

static void tilted_distribution_sums_to_one(void **state) {
    (void)state;
    static float logits[VMAX];
    const double betas[] = {0, 1e-9, 0.3, 1, 2.5, 8, 30, -0.5, -3, -30};
    const int32_t sizes[] = {2, 7, 300, VMAX};
    close_acc c = {0};
    size_t i = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int rep = 0; rep < 4; rep++) {
            int32_t V = sizes[s];
            double spread = rep == 3 ? 40 : 4; /* the last: a peaked distribution */
            for (int32_t v = 0; v < V; v++)
                logits[v] = (float)(spread * (uniform() - 0.5));
            int32_t h = (int32_t)(rnd() % (uint32_t)V);
            for (size_t b = 0; b < sizeof betas / sizeof *betas; b++)
                close_add(&c, i++, tilted_sum(logits, V, h, betas[b]), 1.0);
        }
    assert_close(&c, "sum of p'", 1e-12, 0);
}

static void beta_zero_is_exact(void **state) {
    (void)state;
    for (int i = 0; i < 1000; i++) {
        double nll = 20 * uniform(), hint_nll = 20 * uniform();
        assert_true(titan_tilt_nll(nll, hint_nll, false, 0) == nll);
        assert_true(titan_tilt_nll(nll, nll, true, 0) == nll);
    }
    /* Known values: p(h) = 1/4, beta = ln 3: Z = 1 + 1/4 * 2 = 1.5. */
    double b = log(3), q = -log(0.25);
    close_acc c = {0};
    close_add(&c, 0, titan_tilt_nll(q, q, true, b), -log(0.25 * 3 / 1.5));
    close_add(&c, 1, titan_tilt_nll(-log(0.5), q, false, b), -log(0.5 / 1.5));
    assert_close(&c, "hand-computed tilt", 1e-15, 1e-15);
}

/* A table over V = 10: bigrams 1->2, 3->4, 9->0; trigrams (1,1)->5,
 * (2,3)->6, (7,9)->8. */
static const int32_t bi_prev[] = {1, 3, 9}, bi_hint[] = {2, 4, 0};
static const int32_t tri_a[] = {1, 2, 7}, tri_b[] = {1, 3, 9}, tri_hint[] = {5, 6, 8};
static uint8_t table[256];

static size_t make_table(int32_t vocab) {
    titan_ngram_entries e = {vocab, 3, 3, 3, bi_prev, bi_hint, tri_a, tri_b, tri_hint};
    size_t len = titan_ngram_bytes(vocab, 3, 3);
    assert_true(len > 0 && len <= sizeof table);
    assert_int_equal(titan_ngram_encode(&e, table, sizeof table), TITAN_OK);
    return len;
}

static void table_round_trip_and_rule(void **state) {
    (void)state;
    size_t len = make_table(10);
    assert_int_equal(len, TITAN_NGRAM_HEADER + 2 * (2 * 3 + 3 * 3));
    titan_ngram g;
    assert_int_equal(titan_ngram_parse(table, len, 10, &g), TITAN_OK);
    assert_int_equal(g.n_bigram, 3);
    assert_int_equal(g.n_trigram, 3);
    assert_int_equal(g.min_count, 3);
    assert_int_equal(titan_ngram_hint(&g, 1, 1), 5);  /* trigram wins */
    assert_int_equal(titan_ngram_hint(&g, 0, 1), 2);  /* bigram fallback */
    assert_int_equal(titan_ngram_hint(&g, -1, 1), 2); /* no token before */
    assert_int_equal(titan_ngram_hint(&g, 2, 3), 6);
    assert_int_equal(titan_ngram_hint(&g, 7, 9), 8);
    assert_int_equal(titan_ngram_hint(&g, 8, 9), 0);
    assert_int_equal(titan_ngram_hint(&g, 7, 5), -1); /* nothing */
    assert_int_equal(titan_ngram_hint(&g, 3, 2), -1);
    const int32_t seq[] = {1, 1, 3, 9, 5, 2, 3};
    int32_t hint[6];
    titan_ngram_hints(&g, seq, 6, hint);
    const int32_t want[] = {2, 5, 4, 0, -1, -1};
    assert_memory_equal(hint, want, sizeof want);
    /* A vocabulary above 65536 takes 4-byte ids. */
    len = make_table(70000);
    assert_int_equal(len, TITAN_NGRAM_HEADER + 4 * (2 * 3 + 3 * 3));
    assert_int_equal(titan_ngram_parse(table, len, 70000, &g), TITAN_OK);
    assert_int_equal(titan_ngram_hint(&g, 2, 3), 6);
}

/* Patch one id (array a of the five, entry i) and expect a refusal. */
static void refused_with_id(size_t len, int array, int i, uint32_t v, int32_t vocab) {
    uint8_t copy[sizeof table];
    memcpy(copy, table, len);
    int32_t w = vocab <= 65536 ? 2 : 4;
    size_t at = TITAN_NGRAM_HEADER + (size_t)(3 * array + i) * (size_t)w;
    for (int k = 0; k < w; k++) copy[at + (size_t)k] = (uint8_t)(v >> (8 * k));
    titan_ngram g;
    assert_int_equal(titan_ngram_parse(copy, len, vocab, &g), TITAN_E_DATA);
}

static void hostile_tables_refused(void **state) {
    (void)state;
    size_t len = make_table(10);
    titan_ngram g;
    assert_int_equal(titan_ngram_parse(table, len, 11, &g), TITAN_E_DATA); /* vocab */
    assert_int_equal(titan_ngram_parse(table, len - 1, 10, &g), TITAN_E_DATA);
    assert_int_equal(titan_ngram_parse(table, 10, 10, &g), TITAN_E_DATA);
    uint8_t copy[sizeof table];
    memcpy(copy, table, len);
    copy[0] = 'X';
    assert_int_equal(titan_ngram_parse(copy, len, 10, &g), TITAN_E_DATA);
    memcpy(copy, table, len);
    copy[8] = 4; /* width 4 for a small vocabulary */
    assert_int_equal(titan_ngram_parse(copy, len, 10, &g), TITAN_E_DATA);
    memcpy(copy, table, len);
    copy[19] = 0x40; /* a huge bigram count */
    assert_int_equal(titan_ngram_parse(copy, len, 10, &g), TITAN_E_DATA);
    refused_with_id(len, 0, 1, 1, 10);  /* bigram keys not increasing */
    refused_with_id(len, 1, 2, 10, 10); /* a hint outside the vocabulary */
    refused_with_id(len, 2, 2, 1, 10);  /* trigram keys out of order */
    memcpy(copy, table, len);           /* a repeated trigram key: (1, 1) twice */
    copy[TITAN_NGRAM_HEADER + 2 * (3 * 2 + 1)] = 1;
    copy[TITAN_NGRAM_HEADER + 2 * (3 * 3 + 1)] = 1;
    assert_int_equal(titan_ngram_parse(copy, len, 10, &g), TITAN_E_DATA);
    copy[TITAN_NGRAM_HEADER + 2 * (3 * 3 + 1)] = 2; /* (1, 2) after (1, 1): fine */
    assert_int_equal(titan_ngram_parse(copy, len, 10, &g), TITAN_OK);
    len = make_table(70000);
    refused_with_id(len, 4, 0, 0x80000005u, 70000); /* a negative id */
    refused_with_id(len, 0, 0, 70000, 70000);
    /* The encoder refuses what the parser would. */
    const int32_t bad[] = {3, 1, 9};
    titan_ngram_entries e = {10, 0, 3, 0, bad, bi_hint, NULL, NULL, NULL};
    assert_int_equal(titan_ngram_encode(&e, table, sizeof table), TITAN_E_USAGE);
}

/* Evaluation with hints: scorer of uniform p = 1/V over V = 5. */
enum { EV = 5, EN = 40 };
static int32_t eseq[EN + 1], ehint[EN];
static const uint32_t elen[EV] = {1, 1, 1, 1, 1};
static uint8_t arena_buf[1 << 20];

static titan_status uniform_scorer(void *user, int worker, const titan_eval_batch *b) {
    (void)worker;
    for (int i = 0; i < b->n; i++)
        for (int32_t j = 0; j < b->win[i].len; j++) {
            b->nll[(size_t)i * b->ctx + j] = log(EV);
            if (user && b->hint && b->hint[b->win[i].start + j] >= 0)
                b->hint_nll[(size_t)i * b->ctx + j] = log(EV);
        }
    return TITAN_OK;
}

static titan_status run_tilt(double beta, int threads, void *user, titan_eval_result *r,
                             double *tilted) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_byte_table bt = {EV, elen, NULL};
    titan_eval_options o = {.ctx = 8,
                            .stride = 3,
                            .batch = 2,
                            .threads = threads,
                            .hint = ehint,
                            .tilt_beta = beta,
                            .tilt_target_nll = tilted};
    return titan_eval_run(&a, eseq, EN, &bt, &o, uniform_scorer, user, r);
}

static void eval_adds_tilted_sums(void **state) {
    (void)state;
    for (int i = 0; i <= EN; i++) eseq[i] = (int32_t)(rnd() % EV);
    int hits = 0, misses = 0;
    for (int k = 0; k < EN; k++) {
        ehint[k] = k % 3 ? (int32_t)(rnd() % EV) : -1;
        hits += ehint[k] >= 0 && ehint[k] == eseq[k + 1];
        misses += ehint[k] >= 0 && ehint[k] != eseq[k + 1];
    }
    assert_true(hits > 0 && misses > 0);
    static double tilted[EN];
    titan_eval_result r, r2;
    assert_int_equal(run_tilt(0, 1, (void *)1, &r, tilted), TITAN_OK);
    assert_true(r.tilt_nll == r.nll && r.tilt_val_bpb == r.val_bpb);
    double beta = 1.7, z = 1 + (exp(beta) - 1) / EV;
    assert_int_equal(run_tilt(beta, 2, (void *)1, &r, tilted), TITAN_OK);
    double want = hits * -log(exp(beta) / EV / z) + misses * -log(1.0 / EV / z) +
                  (EN - hits - misses) * log(EV);
    close_acc c = {0};
    close_add(&c, 0, r.tilt_nll, want);
    close_add(&c, 1, r.tilt_val_bpb, want / (M_LN2 * EN));
    double sum = 0;
    for (int k = 0; k < EN; k++) sum += tilted[k];
    close_add(&c, 2, sum, want);
    assert_close(&c, "tilted sums", 0, 1e-13);
    assert_int_equal(run_tilt(beta, 1, (void *)1, &r2, tilted), TITAN_OK);
    assert_true(r2.tilt_nll == r.tilt_nll); /* threads do not change it */
    /* A scorer that leaves hint NLLs unwritten is caught. */
    assert_int_equal(run_tilt(beta, 1, NULL, &r, tilted), TITAN_E_DATA);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tilted_distribution_sums_to_one),
        cmocka_unit_test(beta_zero_is_exact),
        cmocka_unit_test(table_round_trip_and_rule),
        cmocka_unit_test(hostile_tables_refused),
        cmocka_unit_test(eval_adds_tilted_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
