/* score.c: see score.h. As cmd_eval.c's text mode: BOS + the text's ids, the
 * byte table, one window schedule; a SentencePiece model's val_bpb divides by
 * the text's bytes (SPEC section 3). */
#include "tools/titan/serve/score.h"

#include "tools/cli/cli.h"

#include <stdio.h>

static int fail(char *err, size_t cap, int status, const char *what) {
    snprintf(err, cap, "%s: %s", what, titan_last_error());
    return status;
}

static titan_status tokenize(serve_pool *p, const uint8_t *text, size_t len, size_t *n) {
    serve_scorer *sc = &p->score;
    titan_arena_reset(&sc->work, 0);
    sc->seq[0] = titan_tokenizer_bos(p->art.tokenizer);
    titan_status st = titan_tokenizer_encode(p->art.tokenizer, &sc->work, text, len,
                                             sc->seq + 1, p->ids_max, n);
    titan_arena_reset(&sc->work, 0);
    return st;
}

typedef struct {
    const serve_scorer *sc;
    bool (*stop)(void *user);
    void *user;
} watched_scorer;

/* The pool's scorer, failing (which ends the run) once told to stop. */
static titan_status score_watched(void *user, int worker, const titan_eval_batch *b) {
    const watched_scorer *w = user;
    if (w->stop(w->user)) return titan_fail(TITAN_E_IO, "scoring stopped");
    return w->sc->fn(w->sc->model, worker, b);
}

int serve_score_text(serve_pool *p, const uint8_t *text, size_t len,
                     bool (*stop)(void *user), void *user, serve_score *out, char *err,
                     size_t err_cap) {
    serve_scorer *sc = &p->score;
    size_t n;
    titan_eval_options o = serve_score_options(
        &p->art.config, (int64_t)titan_tokenizer_max_ids(p->art.tokenizer, len));
    *out = (serve_score){.ctx = o.ctx, .stride = o.stride};
    if (tokenize(p, text, len, &n)) return fail(err, err_cap, 400, "cannot tokenize");
    if (n < 1) {
        snprintf(err, err_cap, "nothing to score: the text is empty");
        return 400;
    }
    out->targets = (int64_t)n;
    if (titan_eval_count_bytes(sc->seq, out->targets, &sc->bytes, &out->bytes) ||
        titan_eval_window_count(out->targets, o.ctx, o.stride, &out->windows))
        return fail(err, err_cap, 500, "cannot count");
    double t0 = cli_now();
    watched_scorer w = {sc, stop, user};
    if (titan_eval_run(&sc->work, sc->seq, out->targets, &sc->bytes, &o, score_watched,
                       &w, &out->r))
        return stop(user) ? fail(err, err_cap, SERVE_SCORE_STOPPED, "not scored")
                          : fail(err, err_cap, 500, "scoring failed");
    out->seconds = cli_now() - t0;
    titan_arena_reset(&sc->work, 0);
    if (titan_tokenizer_spm(p->art.tokenizer)) { /* the text's bytes */
        out->bytes = out->r.bytes = len;
        titan_eval_result_finish(&out->r);
    }
    if (!baselines_run(text, (size_t)out->bytes, NULL, 0, &out->base)) {
        snprintf(err, err_cap, "a compressor baseline failed");
        return 500;
    }
    return 0;
}
