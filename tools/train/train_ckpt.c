/* train_ckpt.c: a run's state as a checkpoint and back (the format itself is
 * formats/checkpoint.c's). */
#include "tools/train/train_ckpt.h"

#include "formats/checkpoint.h"
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/train/train_io.h"

#include <stdlib.h>
#include <string.h>

/* The state's tensors of set k (NULL when the run does not keep it). */
static train_params *state_set(const train_state *s, titan_ckpt_set k) {
    train_params *sets[TITAN_CKPT_SETS] = {(train_params *)&s->w, (train_params *)&s->ema,
                                           (train_params *)&s->swa, (train_params *)&s->m,
                                           (train_params *)&s->v};
    return sets[k]->mem ? sets[k] : NULL;
}

titan_status train_ckpt_save(const char *path, const train_state *s,
                             const titan_config *c, const uint8_t *tok_blob,
                             size_t tok_len, const char *run) {
    titan_ckpt_meta m = {.config = *c,
                         .tok = tok_blob,
                         .tok_len = tok_len,
                         .export_set = s->swa_count > 0 ? TITAN_CKPT_SWA
                                       : s->ema.mem     ? TITAN_CKPT_EMA
                                                        : TITAN_CKPT_RAW,
                         .step = s->step,
                         .swa_count = s->swa_count,
                         .rng = s->rng,
                         .data_pos = s->data_pos,
                         .qat_on = s->qat_on,
                         .run = run};
    float *const *sets[TITAN_CKPT_SETS];
    for (int k = 0; k < TITAN_CKPT_SETS; k++) {
        const train_params *p = state_set(s, (titan_ckpt_set)k);
        sets[k] = p ? p->tensor : NULL;
    }
    titan_arena scratch;
    TITAN_TRY(cli_arena_create(&scratch, titan_ckpt_write_scratch(tok_len)));
    size_t len;
    uint8_t *buf = NULL;
    titan_status st = titan_ckpt_write(&scratch, &m, sets, NULL, 0, &len);
    if (st == TITAN_OK && !(buf = malloc(len)))
        st = titan_fail(TITAN_E_NOMEM, "%s: out of memory", path);
    if (st == TITAN_OK) st = titan_ckpt_write(&scratch, &m, sets, buf, len, &len);
    if (st == TITAN_OK) st = titan_file_write_atomic(path, buf, len);
    free(buf);
    cli_arena_destroy(&scratch);
    return st;
}

/* Load and validate a checkpoint into a fresh process arena (destroyed by
 * the caller on success). */
static titan_status ckpt_open(const char *path, titan_arena *a, titan_ckpt *ck) {
    size_t need;
    TITAN_TRY(
        cli_kind_explain(titan_ckpt_load_plan(path, &need), path, CLI_KIND_CHECKPOINT));
    TITAN_TRY(cli_arena_create(a, need));
    titan_status st = titan_ckpt_load(a, path, ck);
    if (st != TITAN_OK) cli_arena_destroy(a);
    return cli_kind_explain(st, path, CLI_KIND_CHECKPOINT);
}

titan_status train_ckpt_open(const char *path, train_ckpt_file *f) {
    f->path = path;
    return ckpt_open(path, &f->arena, &f->ck);
}

void train_ckpt_close(train_ckpt_file *f) {
    if (f->arena.base) cli_arena_destroy(&f->arena);
}

/* Set k of the checkpoint into p (same config). */
static titan_status read_set(const titan_ckpt *ck, titan_ckpt_set k, train_params *p) {
    for (int i = 0; i < p->n_tensors; i++) {
        const titan_st_tensor *t = titan_ckpt_tensor(ck, k, i);
        if (t)
            TITAN_TRY(titan_safetensors_to_f32(
                t, p->tensor[i], (size_t)(p->spec[i].rows * p->spec[i].cols)));
    }
    return TITAN_OK;
}

static titan_status check_run(const titan_ckpt *ck, const train_state *s,
                              const titan_config *c) {
    char want[4096], got[4096];
    size_t len;
    TITAN_TRY(titan_config_to_json(c, want, sizeof want, &len));
    TITAN_TRY(titan_config_to_json(&ck->meta.config, got, sizeof got, &len));
    if (strcmp(want, got))
        return titan_fail(TITAN_E_USAGE, "--config: differs from the checkpoint's config "
                                         "(a resumed run keeps its config)");
    for (int k = TITAN_CKPT_EMA; k <= TITAN_CKPT_SWA; k++)
        if (ck->has[k] != !!state_set(s, (titan_ckpt_set)k))
            return titan_fail(TITAN_E_DATA,
                              "checkpoint: %s weights %s, this run "
                              "%s them",
                              k == TITAN_CKPT_EMA ? "EMA" : "SWA",
                              ck->has[k] ? "kept" : "not kept",
                              ck->has[k] ? "does not keep" : "keeps");
    return TITAN_OK;
}

static titan_status restore(const titan_ckpt *ck, train_state *s, const titan_config *c) {
    TITAN_TRY(check_run(ck, s, c));
    for (int k = 0; k < TITAN_CKPT_SETS; k++)
        if (ck->has[k])
            TITAN_TRY(read_set(ck, (titan_ckpt_set)k, state_set(s, (titan_ckpt_set)k)));
    s->step = ck->meta.step;
    s->swa_count = ck->meta.swa_count;
    s->rng = ck->meta.rng;
    s->data_pos = ck->meta.data_pos;
    s->qat_on = ck->meta.qat_on;
    return TITAN_OK;
}

titan_status train_ckpt_restore(const train_ckpt_file *f, train_state *s,
                                const titan_config *c) {
    titan_status st = restore(&f->ck, s, c);
    return st == TITAN_OK ? st : titan_fail_in(st, "%s", f->path);
}

titan_status train_ckpt_weights(const train_ckpt_file *f, const char *which,
                                train_params *p) {
    titan_ckpt_set k;
    TITAN_TRY(titan_ckpt_pick_weights(&f->ck, f->path, which, &k));
    if (train_params_alloc(p, &f->ck.meta.config))
        return titan_fail(TITAN_E_NOMEM, "out of memory");
    titan_status st = read_set(&f->ck, k, p);
    if (st != TITAN_OK) train_params_free(p);
    return st;
}

static titan_status export_weights(const train_ckpt_file *f, const char *which,
                                   const char *out) {
    train_params p;
    TITAN_TRY(train_ckpt_weights(f, which, &p));
    titan_status st = train_save_safetensors(out, &p, NULL);
    train_params_free(&p);
    return st;
}

titan_status train_ckpt_export(const char *ckpt, const char *which, const char *out,
                               const char *config_out, const char *tok_out) {
    train_ckpt_file f;
    TITAN_TRY(train_ckpt_open(ckpt, &f));
    const titan_ckpt_meta *m = &f.ck.meta;
    titan_status st = export_weights(&f, which, out);
    if (st == TITAN_OK && config_out) st = cli_config_write(config_out, &m->config);
    if (st == TITAN_OK && tok_out)
        st = m->tok_len ? titan_file_write_atomic(tok_out, m->tok, m->tok_len)
                        : titan_fail(TITAN_E_DATA,
                                     "checkpoint: no tokenizer (trained on shards?)");
    train_ckpt_close(&f);
    return st;
}
