/* cmd_train.c: `titan-train train`: the training loop. Each step: WSD
 * learning-rate multiplier, QAT weights when due, accumulated batch gradients
 * on worker threads, clipping, Muon/AdamW, EMA/SWA; JSONL log, validation
 * (val_bpb as `titan eval --ctx SEQ --stride VAL_STRIDE --max-tokens
 * VAL_TOKENS` computes it: core/eval.c), atomic checkpoints. */
#include "tools/cli/cli.h"
#include "tools/train/train_batch.h"
#include "tools/train/train_ckpt.h"
#include "tools/train/train_commands.h"
#include "tools/train/train_data.h"
#include "tools/train/train_io.h"
#include "tools/train/train_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "titan-train train --config CFG.json --tokenizer TOK --train FILE --val FILE "
    "-o CKPT [--steps N] [--batch B] [--seq T] [--lr X] [--qat off|int8|int6] "
    "[--qat-start FRAC] [--ema DECAY] [--swa-every N] [--resume CKPT] "
    "[--log LOG.jsonl] [--threads N] [...]";

typedef struct {
    const char *config, *tokenizer, *train, *val, *out, *resume, *log;
    const char *train_shards, *val_shards;
    const char *qat, *decay;
    int64_t val_every, val_tokens, val_stride, log_every, ckpt_every;
    train_hparams h;
} options;

typedef struct {
    options *o;
    titan_config cfg;
    titan_arena tok_arena;
    const titan_tokenizer *tok;
    const uint8_t *tok_blob;
    size_t tok_len;
    train_tokens train, val;
    train_model model;
    train_workers workers;
    train_state state;
    float *scratch;
    train_seq *seqs;
    double *loss, *heads;
    int64_t val_targets;    /* the first --val-tokens of the stream */
    uint32_t *val_byte_len; /* [vocab_size] bytes a target stands for */
    titan_byte_table val_bytes;
    titan_arena val_arena; /* titan_eval_run's window sums */
    FILE *log;
} run;

/* ----------------------------------------------------------------- setup */

/* Every id below vocab_size (shards bring their own vocabulary). */
static titan_status check_ids(const train_tokens *d, const char *what, int V) {
    for (size_t i = 0; i < d->n; i++)
        if (d->tok[i] < 0 || d->tok[i] >= V)
            return titan_fail(TITAN_E_DATA, "%s: token %d at %zu outside vocab_size %d",
                              what, d->tok[i], i, V);
    return TITAN_OK;
}

static titan_status load_stream(run *r, const char *text, const char *shards,
                                uint32_t crc, train_tokens *out) {
    if (shards)
        TITAN_TRY(train_tokens_from_shards(shards, out));
    else
        TITAN_TRY(train_tokens_from_text(text, r->tok, crc, out));
    return check_ids(out, shards ? shards : text, r->cfg.vocab_size);
}

static titan_status load_data(run *r) {
    const options *o = r->o;
    uint32_t crc = 0;
    if (o->tokenizer) {
        TITAN_TRY(train_tokenizer_load(o->tokenizer, &r->tok_arena, &r->tok, &r->tok_blob,
                                       &r->tok_len, &crc));
        if (titan_tokenizer_size(r->tok) > r->cfg.vocab_size)
            return titan_fail(TITAN_E_DATA, "tokenizer has %d tokens, vocab_size is %d",
                              titan_tokenizer_size(r->tok), r->cfg.vocab_size);
    }
    TITAN_TRY(load_stream(r, o->train, o->train_shards, crc, &r->train));
    TITAN_TRY(load_stream(r, o->val, o->val_shards, crc, &r->val));
    int64_t need = o->h.seq + 1;
    if ((int64_t)r->train.n < need || r->val.n < 2)
        return titan_fail(TITAN_E_DATA,
                          "training data: %zu tokens, fewer than --seq + 1 = %lld",
                          r->train.n, (long long)need);
    return TITAN_OK;
}

static titan_eval_options val_options(const run *r) {
    return (titan_eval_options){.ctx = (int32_t)r->o->h.seq,
                                .stride = (int32_t)r->o->val_stride,
                                .batch = 1,
                                .threads = (int)r->o->h.threads};
}

/* Text: each token's exact byte length (SPEC section 3, text mode); shards
 * carry no tokenizer, so every target counts 0 bytes and only val_loss is
 * logged. */
static titan_status val_setup(run *r) {
    int32_t V = r->cfg.vocab_size;
    int64_t n = (int64_t)r->val.n - 1;
    r->val_targets = n < r->o->val_tokens ? n : r->o->val_tokens;
    if (!(r->val_byte_len = calloc((size_t)V, sizeof *r->val_byte_len)))
        return titan_fail(TITAN_E_NOMEM, "out of memory");
    bool text = r->tok && !r->o->val_shards;
    for (int32_t i = 0; text && i < titan_tokenizer_size(r->tok); i++) {
        const uint8_t *b;
        r->val_byte_len[i] = (uint32_t)titan_tokenizer_token(r->tok, i, &b);
    }
    r->val_bytes = (titan_byte_table){V, r->val_byte_len, NULL};
    titan_eval_options o = val_options(r);
    size_t need = titan_eval_plan(r->val_targets, &o);
    if (need == SIZE_MAX)
        return titan_fail(TITAN_E_USAGE, "validation: bad window options");
    return cli_arena_create(&r->val_arena, need);
}

static titan_status setup(run *r) {
    const train_hparams *h = &r->o->h;
    TITAN_TRY(train_load_config(r->o->config, &r->cfg));
    if (h->seq + 1 > r->cfg.max_seq_len)
        return titan_fail(TITAN_E_USAGE, "--seq %lld exceeds max_seq_len %d - 1",
                          (long long)h->seq, r->cfg.max_seq_len);
    TITAN_TRY(load_data(r));
    size_t nseq = (size_t)(h->batch > 0 ? h->batch : 1);
    size_t M = (size_t)r->cfg.mtp_heads;
    if (train_model_init(&r->model, &r->cfg, (int)h->seq + 1) ||
        train_workers_init(&r->workers, &r->model, (int)h->threads) ||
        train_state_init(&r->state, &r->cfg, h) ||
        !(r->scratch =
              malloc(sizeof(float) *
                     (train_state_scratch_floats(&r->state, (int)h->threads) + 1))) ||
        !(r->seqs = calloc(nseq, sizeof *r->seqs)) ||
        !(r->loss = calloc(nseq, sizeof *r->loss)) ||
        !(r->heads = calloc(nseq * M, sizeof *r->heads)))
        return titan_fail(TITAN_E_NOMEM, "out of memory for this config");
    TITAN_TRY(val_setup(r));
    if (r->o->resume) TITAN_TRY(train_ckpt_load(r->o->resume, &r->state, &r->cfg));
    if (r->o->log && !(r->log = fopen(r->o->log, r->o->resume ? "a" : "w")))
        return titan_fail(TITAN_E_IO, "%s: cannot open log", r->o->log);
    return TITAN_OK;
}

static void teardown(run *r) {
    if (r->log) fclose(r->log);
    cli_arena_destroy(&r->val_arena);
    free(r->val_byte_len);
    free(r->heads);
    free(r->loss);
    free(r->seqs);
    free(r->scratch);
    train_state_free(&r->state);
    train_workers_free(&r->workers);
    train_model_free(&r->model);
    train_tokens_free(&r->val);
    train_tokens_free(&r->train);
    if (r->tok) cli_arena_destroy(&r->tok_arena);
}

/* ------------------------------------------------------------ validation */

static titan_status validate(run *r, const train_params *w, titan_eval_result *res) {
    titan_eval_options o = val_options(r);
    return train_workers_eval(&r->workers, w, &r->val_arena, r->val.tok, r->val_targets,
                              &r->val_bytes, &o, res);
}

/* ------------------------------------------------------------------ steps */

static void next_windows(run *r) {
    const train_hparams *h = &r->o->h;
    uint64_t span = r->train.n - (uint64_t)h->seq; /* window starts */
    for (int i = 0; i < h->batch; i++) {
        uint64_t start;
        if (h->sequential) {
            if (r->state.data_pos >= span) r->state.data_pos = 0;
            start = r->state.data_pos;
            r->state.data_pos += (uint64_t)h->seq;
        } else {
            start = train_rng_next(&r->state.rng) % span;
        }
        r->seqs[i] = (train_seq){r->train.tok + start, (int)h->seq + 1};
    }
}

/* One optimizer step; returns the batch loss, head losses in heads_mean. */
static double step(run *r, double lr_mult, double *heads_mean, double *gnorm) {
    const train_hparams *h = &r->o->h;
    int M = r->cfg.mtp_heads;
    const train_params *w = train_forward_weights(&r->state, h, lr_mult, r->workers.pool);
    if (!w) return NAN;
    double scale = 1.0 / (double)(h->batch * h->accum), loss = 0;
    bool shortened = train_schedule_shortened(h, &r->cfg, r->state.step);
    memset(heads_mean, 0, sizeof(double) * (size_t)M);
    train_workers_zero(&r->workers);
    for (int a = 0; a < h->accum; a++) {
        next_windows(r);
        train_workers_run(&r->workers, w, r->seqs, (int)h->batch, shortened, scale,
                          r->loss, r->heads);
        for (int i = 0; i < h->batch; i++) {
            loss += r->loss[i] * scale;
            for (int k = 0; k < M; k++)
                heads_mean[k] += r->heads[(size_t)i * M + k] * scale;
        }
    }
    train_workers_reduce(&r->workers);
    *gnorm = train_apply(&r->state, &r->workers.grads[0], h, lr_mult, r->scratch,
                         r->workers.pool);
    return loss;
}

static void log_row(run *r, double loss, const double *heads, double lr_mult,
                    double gnorm, double tps, const titan_eval_result *val) {
    if (!r->log) return;
    fprintf(r->log, "{\"step\":%lld,\"loss\":%.6f,\"loss_heads\":[",
            (long long)r->state.step, loss);
    for (int k = 0; k < r->cfg.mtp_heads; k++)
        fprintf(r->log, "%s%.6f", k ? "," : "", heads[k]);
    fprintf(r->log,
            "],\"lr\":%.6g,\"lr_mult\":%.6f,\"grad_norm\":%.6f,"
            "\"tokens_per_s\":%.1f,\"qat\":%d",
            r->o->h.lr_matrix * r->o->h.lr * lr_mult, lr_mult, gnorm, tps,
            r->state.qat_on);
    if (val && val->bytes) fprintf(r->log, ",\"val_bpb\":%.6f", val->val_bpb);
    if (val) fprintf(r->log, ",\"val_loss\":%.6f", val->val_loss);
    fprintf(r->log, "}\n");
    fflush(r->log);
}

static titan_status save(run *r) {
    return train_ckpt_save(r->o->out, &r->state, &r->cfg, r->tok_blob, r->tok_len);
}

static titan_status loop(run *r) {
    const options *o = r->o;
    const train_hparams *h = &o->h;
    double heads[TITAN_MAX_MTP], t_last = cli_now(), tokens = 0;
    cli_progress prog;
    cli_progress_start(&prog, "train", "step");
    while (r->state.step < h->steps) {
        double lr_mult = train_lr_mult(h, r->state.step), gnorm;
        double loss = step(r, lr_mult, heads, &gnorm);
        if (!isfinite(loss))
            return titan_fail(TITAN_E_DATA, "loss diverged at step %lld",
                              (long long)r->state.step);
        tokens += (double)(h->batch * h->accum * h->seq);
        int64_t s = r->state.step;
        int do_val = o->val_every > 0 && (s % o->val_every == 0 || s == h->steps);
        if (do_val || s % o->log_every == 0 || s == h->steps) {
            titan_eval_result val;
            double now = cli_now();
            if (do_val)
                TITAN_TRY(
                    validate(r, r->state.ema.mem ? &r->state.ema : &r->state.w, &val));
            log_row(r, loss, heads, lr_mult, gnorm, tokens / (now - t_last),
                    do_val ? &val : NULL);
            t_last = cli_now();
            tokens = 0;
        }
        if (o->ckpt_every > 0 && s % o->ckpt_every == 0 && s < h->steps)
            TITAN_TRY(save(r));
        cli_progress_update(&prog, (double)s, (double)h->steps);
    }
    cli_progress_end(&prog);
    return save(r);
}

/* ------------------------------------------------------------------ flags */

static int check_options(const char *cmd, options *o) {
    if (!o->config || !o->out) return cli_usage(cmd, "--config and -o are required");
    if (!o->train == !o->train_shards || !o->val == !o->val_shards)
        return cli_usage(cmd, "give one of --train FILE / --train-shards GLOB and "
                              "one of --val FILE / --val-shards GLOB");
    if ((o->train || o->val) && !o->tokenizer)
        return cli_usage(cmd, "text data needs --tokenizer TOK");
    const char *q = o->qat;
    o->h.qat = !strcmp(q, "off")    ? TRAIN_QAT_OFF
               : !strcmp(q, "int8") ? TRAIN_QAT_INT8
               : !strcmp(q, "int6") ? TRAIN_QAT_INT6
                                    : -1;
    if ((int)o->h.qat < 0) return cli_usage(cmd, "--qat must be off, int8 or int6");
    if (strcmp(o->decay, "linear") && strcmp(o->decay, "cosine"))
        return cli_usage(cmd, "--decay must be linear or cosine");
    o->h.cosine = !strcmp(o->decay, "cosine");
    if (o->h.warmup < 0) o->h.warmup = o->h.steps / 20;
    if (o->val_stride == 0) o->val_stride = o->h.seq;
    if (o->val_stride > o->h.seq)
        return cli_usage(cmd, "--val-stride must be in [1, --seq]");
    if (o->h.warmup >= o->h.steps && o->h.warmup > 0)
        return cli_usage(cmd, "--warmup must be below --steps");
    return CLI_EXIT_OK;
}

int train_cmd_train(int argc, char **argv) {
    options o = {
        .qat = "off",
        .decay = "linear",
        .val_every = 100,
        .val_tokens = 65536,
        .log_every = 10,
        .ckpt_every = 0,
        .h = {.steps = 200,
              .batch = 8,
              .seq = 128,
              .accum = 1,
              .threads = 2,
              .seed = 1,
              .warmup = -1,
              .decay_frac = 0.3,
              .lr = 1,
              .lr_matrix = 0.02,
              .lr_embed = 0.02,
              .lr_head = 0.008,
              .lr_scalar = 0.02,
              .muon_wd = 0,
              .adam_wd = 0,
              .beta1 = 0.9,
              .beta2 = 0.95,
              .adam_eps = 1e-8,
              .momentum = 0.95,
              .momentum_start = 0.85,
              .momentum_warmup = 100,
              .clip = 1.0,
              .qat_start = 1.0,
              .qat_below = 0,
              .ema = 0,
              .swa_every = 0,
              .swa_below = 0.2},
    };
    bool sequential = false;
    const cli_flag flags[] = {
        {"--config", FLAG_STR, &o.config, 0, 0, "model config JSON"},
        {"--tokenizer", FLAG_STR, &o.tokenizer, 0, 0, "TOK file"},
        {"--train", FLAG_STR, &o.train, 0, 0,
         "training text (tokens cached in FILE.tok)"},
        {"--val", FLAG_STR, &o.val, 0, 0, "validation text"},
        {"--train-shards", FLAG_STR, &o.train_shards, 0, 0,
         "parameter-golf .bin shards (glob)"},
        {"--val-shards", FLAG_STR, &o.val_shards, 0, 0,
         "validation shards: val_loss, no val_bpb"},
        {"-o|--out", FLAG_STR, &o.out, 0, 0, "checkpoint to write"},
        {"--resume", FLAG_STR, &o.resume, 0, 0, "continue from this checkpoint"},
        {"--log", FLAG_STR, &o.log, 0, 0, "JSONL log (appended on --resume)"},
        {"--steps", FLAG_INT, &o.h.steps, 1, 1e9, "optimizer steps (200)"},
        {"--batch", FLAG_INT, &o.h.batch, 1, 4096, "sequences per micro-batch (8)"},
        {"--seq", FLAG_INT, &o.h.seq, 1, 1 << 20, "targets per sequence (128)"},
        {"--accum", FLAG_INT, &o.h.accum, 1, 4096, "micro-batches per step (1)"},
        {"--threads", FLAG_INT, &o.h.threads, 1, TRAIN_MAX_THREADS, "worker threads (2)"},
        {"--seed", FLAG_INT, &o.h.seed, 0, 1e15, "init and data seed (1)"},
        {"--sequential", FLAG_BOOL, &sequential, 0, 0, "windows in order, not random"},
        {"--lr", FLAG_REAL, &o.h.lr, 0, 1e3, "multiplier of every group's rate (1)"},
        {"--lr-matrix", FLAG_REAL, &o.h.lr_matrix, 0, 10, "Muon rate (0.02)"},
        {"--lr-embed", FLAG_REAL, &o.h.lr_embed, 0, 10, "AdamW rate of tok_emb (0.02)"},
        {"--lr-head", FLAG_REAL, &o.h.lr_head, 0, 10, "AdamW rate of MTP heads (0.008)"},
        {"--lr-scalar", FLAG_REAL, &o.h.lr_scalar, 0, 10,
         "AdamW rate of norms, conv (0.02)"},
        {"--wd", FLAG_REAL, &o.h.muon_wd, 0, 10, "Muon decoupled weight decay (0)"},
        {"--adam-wd", FLAG_REAL, &o.h.adam_wd, 0, 10,
         "AdamW decay of tok_emb, heads (0)"},
        {"--beta1", FLAG_REAL, &o.h.beta1, 0, 0.999999, "AdamW beta1 (0.9)"},
        {"--beta2", FLAG_REAL, &o.h.beta2, 0, 0.999999, "AdamW beta2 (0.95)"},
        {"--momentum", FLAG_REAL, &o.h.momentum, 0, 0.999999, "Muon momentum (0.95)"},
        {"--momentum-start", FLAG_REAL, &o.h.momentum_start, 0, 0.999999,
         "momentum at step 0 (0.85)"},
        {"--momentum-warmup", FLAG_INT, &o.h.momentum_warmup, 0, 1e9,
         "steps to reach --momentum (100)"},
        {"--warmup", FLAG_INT, &o.h.warmup, 0, 1e9,
         "linear LR warm-up steps (steps / 20)"},
        {"--decay-frac", FLAG_REAL, &o.h.decay_frac, 0, 1,
         "fraction of steps in warm-down (0.3)"},
        {"--decay", FLAG_STR, &o.decay, 0, 0, "warm-down shape: linear|cosine"},
        {"--clip", FLAG_REAL, &o.h.clip, 0, 1e9, "gradient norm clip, 0 = off (1)"},
        {"--qat", FLAG_STR, &o.qat, 0, 0, "fake quantization: off|int8|int6"},
        {"--qat-start", FLAG_REAL, &o.h.qat_start, 0, 1,
         "QAT from this fraction of steps (1)"},
        {"--qat-below", FLAG_REAL, &o.h.qat_below, 0, 1,
         "or once the LR multiplier is below (0)"},
        {"--ema", FLAG_REAL, &o.h.ema, 0, 0.999999999, "EMA decay, 0 = off"},
        {"--swa-every", FLAG_INT, &o.h.swa_every, 0, 1e9, "SWA snapshot period, 0 = off"},
        {"--swa-below", FLAG_REAL, &o.h.swa_below, 0, 1,
         "SWA once the LR multiplier is below (0.2)"},
        {"--val-every", FLAG_INT, &o.val_every, 0, 1e9, "validate every N steps (100)"},
        {"--val-tokens", FLAG_INT, &o.val_tokens, 1, 1e15,
         "score the first N validation targets (65536)"},
        {"--val-stride", FLAG_INT, &o.val_stride, 1, 1 << 20,
         "validation window stride (--seq)"},
        {"--log-every", FLAG_INT, &o.log_every, 1, 1e9, "log every N steps (10)"},
        {"--ckpt-every", FLAG_INT, &o.ckpt_every, 0, 1e9,
         "checkpoint every N steps, 0 = at end"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if ((rc = check_options(argv[0], &o))) return rc;
    o.h.sequential = sequential;
    run *r = calloc(1, sizeof *r); /* megabytes of tensor tables: not the stack */
    if (!r) return cli_fail(argv[0], titan_fail(TITAN_E_NOMEM, "out of memory"));
    r->o = &o;
    titan_status st = setup(r);
    if (st == TITAN_OK) st = loop(r);
    teardown(r);
    free(r);
    return st == TITAN_OK ? CLI_EXIT_OK : cli_fail(argv[0], st);
}
