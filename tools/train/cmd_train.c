/* cmd_train.c: `titan-train train`: the training loop. Each step: WSD
 * learning-rate multiplier, QAT weights when due, accumulated batch gradients
 * on worker threads, clipping, Muon/AdamW, EMA/SWA; JSONL log, validation
 * (val_bpb as `titan eval --ctx SEQ --stride VAL_STRIDE --max-tokens
 * VAL_TOKENS` computes it: core/eval.c), atomic checkpoints.
 *
 * No lost work: output paths are checked before anything loads; a checkpoint
 * is written every --ckpt-minutes (and --ckpt-every steps), at the end, and
 * when SIGINT or SIGTERM arrives (after the step in flight; the exit code is
 * then 128 + the signal, and a second signal kills at once). --max-minutes
 * caps the time spent in optimizer steps: from the pace so far the schedule
 * is fitted to the steps that remain in time, so the run ends with its
 * warm-down done. --resume CKPT alone continues a run: flags, data paths,
 * config and tokenizer come from the checkpoint (train_run.h), and the log is
 * cut back to the checkpoint's step. */
#include "tools/cli/cli.h"
#include "tools/train/train_batch.h"
#include "tools/train/train_ckpt.h"
#include "tools/train/train_commands.h"
#include "tools/train/train_console.h"
#include "tools/train/train_data.h"
#include "tools/train/train_dist.h"
#include "tools/train/train_io.h"
#include "tools/train/train_log.h"
#include "tools/train/train_run.h"
#include "tools/train/train_state.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "titan-train train --config CFG.json --tokenizer TOK --train FILE --val FILE "
    "-o CKPT [--steps N] [--batch B] [--seq T] [--lr X] [--qat off|int8|int6] "
    "[--qat-start FRAC] [--ema DECAY] [--swa-every N] [--resume CKPT] "
    "[--log LOG.jsonl] [--threads N] [--max-minutes M] [...]\n"
    "  titan-train train --resume CKPT   (continues a run: flags from the checkpoint)\n"
    "  titan-train train --resume CKPT --override --steps N ...   (continues it from\n"
    "  its step with the flags given here instead: a new schedule, more steps)\n"
    "example: titan-train train --config cfg.json --tokenizer tok --train train.txt "
    "--val val.txt -o run.ckpt --log run.jsonl --steps 2000 --max-minutes 10";

/* Flags a checkpoint does not record (its own config and tokenizer stand for
 * --config and --tokenizer), and the ones a resumed run may change. */
static const char unkept_flags[] = "--config|--tokenizer|-o|--resume|--override";
static const char session_flags[] =
    "--threads|--log|--log-every|--ckpt-every|--ckpt-minutes";
static const char path_flags[] = "--train|--val|--train-shards|--val-shards|--log";

typedef struct {
    const char *config, *tokenizer, *train, *val, *out, *resume, *log;
    const char *train_shards, *val_shards;
    const char *qat, *qat_mode, *decay, *optimizer;
    int64_t val_every, val_tokens, val_stride, log_every, ckpt_every;
    int64_t warmup; /* --warmup; -1: steps / 20 (of the fitted steps too) */
    double ckpt_minutes, max_minutes;
    bool sequential;
    bool lora_only;     /* SPEC section 9: train the adapters, the base frozen */
    bool deterministic; /* one gradient slab per sequence: see setup */
    train_hparams h;
    train_flags table;    /* the flags, for the run record */
    train_progress prog;  /* training seconds and best validation, all sessions */
    train_ckpt_file ckpt; /* --resume: open from the start until restored */
    bool resuming;
} options;

/* Where steps spend their time, in seconds summed over `steps` steps:
 * forward (through the loss) and backward are the worker threads' mean busy
 * time, idle the rest of the batch's wall time (threads waiting on the
 * slowest), opt the optimizer's wall time (gradient sum, QAT weights,
 * Muon/AdamW, EMA). */
typedef struct {
    double fwd, bwd, idle, opt;
    int64_t steps;
} step_times;

typedef struct {
    options *o;
    titan_config cfg;
    titan_arena tok_arena;
    const titan_tokenizer *tok;
    const uint8_t *tok_blob;
    size_t tok_len;
    train_tokens train, val;
    train_model model;
    train_xmodel xmodel; /* family xenith (SPEC section 9) */
    train_workers workers;
    train_state state;
    float *scratch;
    train_seq *seqs;
    double *loss, *heads;
    int64_t val_targets;    /* the first --val-tokens of the stream */
    uint32_t *val_byte_len; /* [vocab_size] bytes a target stands for */
    titan_byte_table val_bytes;
    titan_arena val_arena; /* titan_eval_run's window sums */
    train_log log;
    train_console con;
    double first_step_s; /* the session's first step (one-time costs) */
    step_times times;    /* since the last log row */
    double compute_s;    /* this rank's share of the batches, since then */
} run;

/* The signal that asked the run to stop (0: none). */
static volatile sig_atomic_t stop_signal;
static void on_stop_signal(int sig) { stop_signal = sig; }

/* SIGINT and SIGTERM set stop_signal once; the handler then resets to the
 * default, so a second signal ends the process at once. */
static void catch_stop_signals(bool on) {
    struct sigaction sa = {0};
    sa.sa_handler = on ? on_stop_signal : SIG_DFL;
    sa.sa_flags = on ? SA_RESETHAND | SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

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

/* The tokenizer: --tokenizer, else (resuming) the checkpoint's; given both,
 * they must be the same. */
static titan_status load_tokenizer(run *r, uint32_t *crc) {
    const options *o = r->o;
    const titan_ckpt_meta *m = o->resuming ? &o->ckpt.ck.meta : NULL;
    if (o->tokenizer)
        TITAN_TRY(train_tokenizer_load(o->tokenizer, &r->tok_arena, &r->tok, &r->tok_blob,
                                       &r->tok_len, crc));
    else if (m && m->tok_len)
        TITAN_TRY(train_tokenizer_from_blob(m->tok, m->tok_len, &r->tok_arena, &r->tok,
                                            &r->tok_blob, &r->tok_len, crc));
    else
        return TITAN_OK;
    if (m && m->tok_len &&
        (m->tok_len != r->tok_len || memcmp(m->tok, r->tok_blob, r->tok_len)))
        return titan_fail(TITAN_E_USAGE,
                          "--tokenizer %s: not the checkpoint's tokenizer "
                          "(a resumed run keeps its tokenizer)",
                          o->tokenizer);
    if (titan_tokenizer_size(r->tok) > r->cfg.vocab_size)
        return titan_fail(TITAN_E_DATA, "tokenizer has %d tokens, vocab_size is %d",
                          titan_tokenizer_size(r->tok), r->cfg.vocab_size);
    return TITAN_OK;
}

static titan_status load_data(run *r) {
    const options *o = r->o;
    uint32_t crc = 0;
    TITAN_TRY(load_tokenizer(r, &crc));
    TITAN_TRY(load_stream(r, o->train, o->train_shards, crc, &r->train));
    TITAN_TRY(load_stream(r, o->val, o->val_shards, crc, &r->val));
    const char *train = o->train ? o->train : o->train_shards;
    const char *val = o->val ? o->val : o->val_shards;
    if (r->val.n < 2)
        return titan_fail(TITAN_E_DATA, "validation data %s holds no tokens%s", val,
                          o->val ? " (an empty file?)" : "");
    int64_t need = o->h.seq + 1;
    if ((int64_t)r->train.n < need)
        return titan_fail(TITAN_E_DATA,
                          "training data %s: %zu tokens, fewer than --seq + 1 = %lld",
                          train, r->train.n, (long long)need);
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
    TITAN_TRY(train_byte_table(r->o->val_shards ? NULL : r->tok, V, &r->val_byte_len,
                               &r->val_bytes));
    titan_eval_options o = val_options(r);
    size_t need = titan_eval_plan(r->val_targets, &o);
    if (need == SIZE_MAX)
        return titan_fail(TITAN_E_USAGE, "validation: bad window options");
    return cli_arena_create(&r->val_arena, need);
}

static titan_status check_family(const run *r) {
    if (r->o->h.lora_only && r->cfg.lora_rank == 0)
        return titan_fail(TITAN_E_USAGE, "--lora-only: the config has no adapters "
                                         "(lora_rank 0)");
    return TITAN_OK;
}

/* The model and the workers, after the state (xenith binds its weights). */
static int init_workers(run *r, int slots) {
    const train_hparams *h = &r->o->h;
    if (!TITAN_XENITH(&r->cfg))
        return train_model_init(&r->model, &r->cfg, (int)h->seq + 1) ||
               train_workers_init_slots(&r->workers, &r->model, (int)h->threads, slots);
    if (train_xmodel_init(&r->xmodel, &r->cfg, &r->state.w, (int)h->seq + 1, NULL))
        return -1;
    r->xmodel.lora_only = h->lora_only;
    return train_workers_init_xenith(&r->workers, &r->xmodel, (int)h->threads, slots);
}

static titan_status setup(run *r) {
    const train_hparams *h = &r->o->h;
    if (r->o->config)
        TITAN_TRY(train_load_config_xenith(r->o->config, &r->cfg));
    else
        r->cfg = r->o->ckpt.ck.meta.config;
    TITAN_TRY(check_family(r));
    if (h->seq + 1 > r->cfg.max_seq_len)
        return titan_fail(TITAN_E_USAGE, "--seq %lld exceeds max_seq_len %d - 1",
                          (long long)h->seq, r->cfg.max_seq_len);
    TITAN_TRY(load_data(r));
    size_t nseq = (size_t)(h->batch > 0 ? h->batch : 1);
    size_t M = (size_t)r->cfg.mtp_heads;
    /* --deterministic: each of this rank's sequences its own slab, added in
     * batch order across ranks, so neither threads nor ranks change a bit */
    int slots =
        r->o->deterministic ? (int)(h->batch / train_dist_ranks()) : (int)h->threads;
    if (train_state_init(&r->state, &r->cfg, h) || init_workers(r, slots) ||
        !(r->scratch =
              malloc(sizeof(float) *
                     (train_state_scratch_floats(&r->state, (int)h->threads) + 1))) ||
        !(r->seqs = calloc(nseq, sizeof *r->seqs)) ||
        !(r->loss = calloc(nseq, sizeof *r->loss)) ||
        !(r->heads = calloc(nseq * M, sizeof *r->heads)))
        return titan_fail(TITAN_E_NOMEM, "out of memory for this config");
    char glob[256];
    if (train_qat_unmatched(h, &r->state.w, glob, sizeof glob))
        return titan_fail(TITAN_E_USAGE, "--qat-tensors: '%s' names no tensor", glob);
    TITAN_TRY(val_setup(r));
    if (r->o->resuming) {
        TITAN_TRY(train_ckpt_restore(&r->o->ckpt, &r->state, &r->cfg));
        train_ckpt_close(&r->o->ckpt);
        r->o->resuming = false; /* the file is closed */
    }
    return train_log_open(&r->log, r->o->log, r->o->resume ? r->state.step : -1);
}

static void teardown(run *r) {
    titan_status st = train_log_close(&r->log);
    (void)st; /* a failed run reports its first error */
    cli_arena_destroy(&r->val_arena);
    free(r->val_byte_len);
    free(r->heads);
    free(r->loss);
    free(r->seqs);
    free(r->scratch);
    train_state_free(&r->state);
    train_workers_free(&r->workers);
    train_model_free(&r->model);
    if (TITAN_XENITH(&r->cfg)) train_xmodel_free(&r->xmodel);
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

/* Sequences [lo, hi) of each micro-batch are this rank's; every rank draws
 * all the windows, so the data position stays the same everywhere. */
static void run_share(run *r, const train_params *w, bool shortened, double scale) {
    const train_hparams *h = &r->o->h;
    int M = r->cfg.mtp_heads;
    int64_t lo, hi;
    train_dist_share(h->batch, train_dist_rank(), &lo, &hi);
    double t0 = cli_now();
    train_workers_run(&r->workers, w, r->seqs + lo, (int)(hi - lo), shortened, scale,
                      r->loss + lo, r->heads + lo * M);
    r->compute_s += cli_now() - t0;
    train_dist_gather(r->loss, lo, hi);
    train_dist_gather(r->heads, lo * M, hi * M);
}

/* Where thread t's forward and backward seconds of this step add up: in the
 * activations of the model family that runs. */
static void worker_seconds(run *r, int t, double **fwd, double **bwd) {
    if (TITAN_XENITH(&r->cfg))
        *fwd = &r->workers.xacts[t].fwd_s, *bwd = &r->workers.xacts[t].bwd_s;
    else
        *fwd = &r->workers.acts[t].fwd_s, *bwd = &r->workers.acts[t].bwd_s;
}

/* One optimizer step; returns the batch loss, head losses in heads_mean. */
static double step(run *r, const train_hparams *h, double lr_mult, double *heads_mean,
                   double *gnorm) {
    int M = r->cfg.mtp_heads, nt = r->workers.n_threads;
    double t0 = cli_now(), busy = 0;
    const train_params *w = train_forward_weights(&r->state, h, lr_mult, r->workers.pool);
    if (!w) return NAN;
    double *fwd[TRAIN_MAX_THREADS], *bwd[TRAIN_MAX_THREADS];
    for (int t = 0; t < nt; t++)
        worker_seconds(r, t, &fwd[t], &bwd[t]), *fwd[t] = *bwd[t] = 0;
    double t1 = cli_now();
    double scale = 1.0 / (double)(h->batch * h->accum), loss = 0;
    bool shortened = train_schedule_shortened(h, &r->cfg, r->state.step);
    memset(heads_mean, 0, sizeof(double) * (size_t)M);
    train_workers_zero(&r->workers);
    for (int a = 0; a < h->accum; a++) {
        next_windows(r);
        run_share(r, w, shortened, scale);
        for (int i = 0; i < h->batch; i++) {
            loss += r->loss[i] * scale;
            for (int k = 0; k < M; k++)
                heads_mean[k] += r->heads[(size_t)i * M + k] * scale;
        }
    }
    double t2 = cli_now();
    train_dist_sum_grads(&r->workers, r->o->deterministic);
    *gnorm = train_apply(&r->state, &r->workers.grads[0], h, lr_mult, r->scratch,
                         r->workers.pool);
    step_times *st = &r->times;
    for (int t = 0; t < nt; t++) {
        st->fwd += *fwd[t] / nt;
        st->bwd += *bwd[t] / nt;
        busy += (*fwd[t] + *bwd[t]) / nt;
    }
    st->idle += t2 - t1 - busy;
    st->opt += t1 - t0 + cli_now() - t2;
    st->steps++;
    return loss;
}

/* Xenith: the last step's mean ce, l_bal, l_z and each MoE layer's share
 * of the rows routed to each expert. */
static void xenith_fields(const run *r, char *row, size_t *n, size_t cap, int64_t *load) {
    const titan_config *c = &r->cfg;
    double terms[3], per = 1.0 / (double)(r->o->h.batch * r->o->h.accum);
    int E = c->moe_experts;
    train_workers_xterms(&r->workers, terms, load);
#define ROW(...) *n += (size_t)snprintf(row + *n, *n < cap ? cap - *n : 0, __VA_ARGS__)
    ROW(",\"ce\":%.6f,\"l_bal\":%.6f,\"l_z\":%.6f,\"expert_load\":[", terms[0] * per,
        terms[1] * per, terms[2] * per);
    for (int l = 0, first = 1; l < c->n_layers && E > 0; l++) {
        if (!r->xmodel.layer[l].moe) continue;
        double sum = 0;
        for (int e = 0; e < E; e++) sum += (double)load[l * E + e];
        ROW("%s[", first ? "" : ","), first = 0;
        for (int e = 0; e < E; e++)
            ROW("%s%.4f", e ? "," : "", sum > 0 ? (double)load[l * E + e] / sum : 0);
        ROW("]");
    }
    ROW("]");
#undef ROW
}

static titan_status log_row(run *r, double loss, const double *heads, double lr_mult,
                            double gnorm, double tps, const titan_eval_result *val) {
    size_t LE = (size_t)(r->cfg.n_layers * r->cfg.moe_experts);
    size_t n = 0, cap = 1024 + 24 * TITAN_MAX_MTP + 12 * LE;
    char *row = malloc(cap);
    int64_t *load = malloc(sizeof *load * (LE + 1));
    if (!row || !load) {
        free(row), free(load);
        return titan_fail(TITAN_E_NOMEM, "out of memory");
    }
#define ROW(...) n += (size_t)snprintf(row + n, n < cap ? cap - n : 0, __VA_ARGS__)
    ROW("{\"step\":%lld,\"loss\":%.6f,\"loss_heads\":[", (long long)r->state.step, loss);
    for (int k = 0; k < r->cfg.mtp_heads; k++) ROW("%s%.6f", k ? "," : "", heads[k]);
    ROW("],\"lr\":%.6g,\"lr_mult\":%.6f,\"grad_norm\":%.6f,"
        "\"tokens_per_s\":%.1f,\"qat\":%d",
        r->o->h.lr_matrix * r->o->h.lr * lr_mult, lr_mult, gnorm, tps, r->state.qat_on);
    const step_times *st = &r->times;
    double ms = st->steps ? 1e3 / (double)st->steps : 0;
    ROW(",\"t_fwd_ms\":%.3f,\"t_bwd_ms\":%.3f,\"t_opt_ms\":%.3f,\"t_idle_ms\":%.3f",
        st->fwd * ms, st->bwd * ms, st->opt * ms, st->idle * ms);
    /* the ranks' split, per step: this rank's share of the batches, adding
     * gradients over the ranks, Muon on its matrices, gathering them */
    double dist[3];
    train_dist_take_ms(dist);
    ROW(",\"ranks\":%d,\"t_compute_ms\":%.3f,\"t_reduce_ms\":%.3f,\"t_muon_ms\":%.3f,"
        "\"t_gather_ms\":%.3f",
        train_dist_ranks(), r->compute_s * ms, dist[TRAIN_DIST_REDUCE] * ms / 1e3,
        dist[TRAIN_DIST_MUON] * ms / 1e3, dist[TRAIN_DIST_GATHER] * ms / 1e3);
    r->times = (step_times){0};
    r->compute_s = 0;
    if (val && val->bytes) ROW(",\"val_bpb\":%.6f", val->val_bpb);
    if (val) ROW(",\"val_loss\":%.6f", val->val_loss);
    if (TITAN_XENITH(&r->cfg)) xenith_fields(r, row, &n, cap, load);
    ROW("}");
#undef ROW
    titan_status ok = train_log_row(&r->log, row, n < cap ? n : cap - 1);
    free(load);
    free(row);
    return ok;
}

/* Rank 0 writes (the ranks' states are the same). */
static titan_status save(run *r) {
    if (train_dist_rank() > 0) return TITAN_OK;
    char *record = train_run_record(&r->o->table, &r->o->prog);
    if (!record) return titan_fail(TITAN_E_NOMEM, "out of memory");
    titan_status st =
        train_ckpt_save(r->o->out, &r->state, &r->cfg, r->tok_blob, r->tok_len, record);
    free(record);
    return st;
}

/* With --max-minutes: fit the schedule (warm-down, QAT start, warm-up) to the
 * steps the time left allows at this session's pace since its first step. */
static void fit_schedule(const run *r, train_hparams *h) {
    *h = r->o->h;
    double cap = r->o->max_minutes * 60;
    int64_t done = r->state.step - r->con.step0;
    if (cap <= 0 || done < 3) return;
    double per = (r->con.step_seconds - r->first_step_s) / (double)(done - 1);
    double left = cap - r->o->prog.train_seconds;
    int64_t fit = r->state.step + (left > 0 && per > 0 ? (int64_t)(left / per) : 0);
    fit = train_dist_root(fit); /* every rank steps to rank 0's clock */
    if (fit >= h->steps) return;
    h->steps = fit;
    h->warmup = r->o->warmup < 0 ? fit / 20 : h->warmup < fit / 2 ? h->warmup : fit / 2;
}

/* Seconds the run still needs: at this session's pace, within the cap. */
static double time_left(const run *r, const train_hparams *h) {
    int64_t done = r->state.step - r->con.step0;
    double left =
        done ? r->con.step_seconds / done * (double)(h->steps - r->state.step) : 0;
    double cap = r->o->max_minutes * 60 - r->o->prog.train_seconds;
    return r->o->max_minutes > 0 && cap < left ? cap : left;
}

/* A validation result: the console's last and best, the record's best. */
static double note_val(run *r, const titan_eval_result *val) {
    double v = val->bytes ? val->val_bpb : val->val_loss;
    r->con.last_val = v;
    r->con.last_step = r->state.step;
    if (isnan(r->o->prog.best_val) || v < r->o->prog.best_val) {
        r->o->prog.best_val = v;
        r->o->prog.best_step = r->state.step;
    }
    r->con.best_val = r->o->prog.best_val;
    r->con.best_step = r->o->prog.best_step;
    r->con.val_name = val->bytes ? "val_bpb" : "val_loss";
    return v;
}

/* Log, validate and print after step s when due. */
static titan_status report(run *r, const train_hparams *h, bool last, double loss,
                           const double *heads, double lr_mult, double gnorm,
                           double *t_last, double *tokens) {
    const options *o = r->o;
    int64_t s = r->state.step;
    bool do_val = o->val_every > 0 && (s % o->val_every == 0 || last);
    if (!do_val && s % o->log_every && !last) return TITAN_OK;
    titan_eval_result val;
    double now = cli_now(), tps = *tokens / (now - *t_last), v = NAN;
    if (do_val) {
        TITAN_TRY(validate(r, r->state.ema.mem ? &r->state.ema : &r->state.w, &val));
        v = note_val(r, &val);
    }
    TITAN_TRY(log_row(r, loss, heads, lr_mult, gnorm, tps, do_val ? &val : NULL));
    train_console_step(&r->con, s, h->steps, loss, v, o->h.lr_matrix * o->h.lr * lr_mult,
                       tps, time_left(r, h));
    *t_last = cli_now();
    *tokens = 0;
    return TITAN_OK;
}

/* A checkpoint before the end: every --ckpt-every steps or --ckpt-minutes. */
static titan_status periodic_save(run *r, double *last_save) {
    const options *o = r->o;
    int64_t s = r->state.step;
    bool by_step = o->ckpt_every > 0 && s % o->ckpt_every == 0;
    bool by_time = o->ckpt_minutes > 0 && cli_now() - *last_save >= o->ckpt_minutes * 60;
    if (!by_step && !by_time) return TITAN_OK;
    TITAN_TRY(save(r));
    *last_save = cli_now();
    if (by_time) printf("checkpoint %s at step %lld\n", o->out, (long long)s);
    return TITAN_OK;
}

/* Steps until done, the time cap, or a stop signal. *why: why it ended early. */
static titan_status loop(run *r, const char **why) {
    const options *o = r->o;
    train_hparams h = o->h;
    double heads[TITAN_MAX_MTP], tokens = 0, t_last = cli_now(), last_save = t_last;
    r->con.start = t_last;
    *why = NULL;
    for (;;) {
        fit_schedule(r, &h);
        /* any rank's signal stops all; one arriving during the exchange
         * counts at the next step (never overwritten by an older 0) */
        int64_t stop = train_dist_max(stop_signal);
        if (stop) stop_signal = (sig_atomic_t)stop;
        if (r->state.step >= h.steps || stop) break;
        double lr_mult = train_lr_mult(&h, r->state.step), gnorm, t0 = cli_now();
        double loss = step(r, &h, lr_mult, heads, &gnorm), dt = cli_now() - t0;
        if (!isfinite(loss))
            return titan_fail(TITAN_E_DATA, "loss diverged at step %lld",
                              (long long)r->state.step);
        if (r->state.step == r->con.step0 + 1) r->first_step_s = dt;
        r->o->prog.train_seconds += dt;
        r->con.step_seconds += dt;
        r->con.tokens += (double)(h.batch * h.accum * h.seq);
        tokens += (double)(h.batch * h.accum * h.seq);
        train_hparams next;
        fit_schedule(r, &next);
        bool last = r->state.step >= next.steps;
        TITAN_TRY(report(r, &h, last, loss, heads, lr_mult, gnorm, &t_last, &tokens));
        if (!last && !stop_signal) TITAN_TRY(periodic_save(r, &last_save));
    }
    if (stop_signal)
        *why = stop_signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)";
    else if (r->state.step < o->h.steps)
        *why = "the --max-minutes time cap (warm-down done)";
    return save(r);
}

/* ------------------------------------------------------------------ flags */

static int check_options(const char *cmd, options *o) {
    if (!o->out) return cli_usage(cmd, "-o CKPT is required (or --resume CKPT)");
    if (!o->config && !o->resuming) return cli_usage(cmd, "--config is required");
    if (!o->train == !o->train_shards || !o->val == !o->val_shards)
        return cli_usage(cmd, "give one of --train FILE / --train-shards GLOB and "
                              "one of --val FILE / --val-shards GLOB");
    if ((o->train || o->val) && !o->tokenizer &&
        !(o->resuming && o->ckpt.ck.meta.tok_len))
        return cli_usage(cmd, "text data needs --tokenizer TOK");
    const char *q = o->qat;
    o->h.qat = !strcmp(q, "off")    ? TRAIN_QAT_OFF
               : !strcmp(q, "int8") ? TRAIN_QAT_INT8
               : !strcmp(q, "int6") ? TRAIN_QAT_INT6
                                    : -1;
    if ((int)o->h.qat < 0) return cli_usage(cmd, "--qat must be off, int8 or int6");
    if (strcmp(o->qat_mode, "ste") && strcmp(o->qat_mode, "noise"))
        return cli_usage(cmd, "--qat-mode must be ste or noise");
    o->h.qat_noise = !strcmp(o->qat_mode, "noise");
    if (strcmp(o->optimizer, "muon") && strcmp(o->optimizer, "sgd"))
        return cli_usage(cmd, "--optimizer must be muon or sgd");
    o->h.sgd = !strcmp(o->optimizer, "sgd");
    if (o->h.qat_tensors && !*o->h.qat_tensors)
        return cli_usage(cmd, "--qat-tensors needs at least one glob");
    if (strcmp(o->decay, "linear") && strcmp(o->decay, "cosine"))
        return cli_usage(cmd, "--decay must be linear or cosine");
    o->h.cosine = !strcmp(o->decay, "cosine");
    o->h.warmup = o->warmup < 0 ? o->h.steps / 20 : o->warmup;
    if (o->val_stride == 0) o->val_stride = o->h.seq;
    if (o->val_stride > o->h.seq)
        return cli_usage(cmd, "--val-stride must be in [1, --seq]");
    if (o->h.warmup >= o->h.steps && o->h.warmup > 0)
        return cli_usage(cmd, "--warmup must be below --steps");
    if (o->h.threads > TRAIN_MAX_THREADS) o->h.threads = TRAIN_MAX_THREADS;
    int ranks = train_dist_ranks();
    if (o->h.batch % ranks)
        return cli_usage(cmd, "--batch %lld: not a multiple of the %d ranks",
                         (long long)o->h.batch, ranks);
    if (o->deterministic && o->h.batch / ranks > TRAIN_MAX_THREADS)
        return cli_usage(cmd,
                         "--deterministic: at most %d sequences per rank "
                         "(--batch / ranks; --accum adds more)",
                         TRAIN_MAX_THREADS);
    o->h.sequential = o->sequential;
    o->h.lora_only = o->lora_only;
    const char *outputs[] = {o->out, o->log};
    return cli_outputs_check(cmd, outputs, 2);
}

/* --resume: open the checkpoint and take the run's flags from it; -o
 * defaults to the checkpoint itself. Returns an exit code. */
static int resume_flags(const char *cmd, options *o, titan_arena *strings) {
    *strings = (titan_arena){0};
    if (!o->resume)
        return o->table.override ? cli_usage(cmd, "--override needs --resume")
                                 : CLI_EXIT_OK;
    titan_status st = train_ckpt_open(o->resume, &o->ckpt);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    o->resuming = true;
    if (!o->out) o->out = o->resume;
    return train_run_apply(cmd, &o->table, o->ckpt.ck.meta.run, &o->prog, strings);
}

static void banner(const run *r) {
    const options *o = r->o;
    const train_hparams *h = &o->h;
    char params[32], ntrain[32], nval[32];
    printf("train: %s parameters, %s training tokens, %s validation targets; "
           "%lld steps of %lld x %lld tokens%s\n",
           train_console_count((double)titan_config_params(&r->cfg), params),
           train_console_count((double)r->train.n, ntrain),
           train_console_count((double)r->val_targets, nval), (long long)h->steps,
           (long long)(h->batch * h->accum), (long long)h->seq,
           o->max_minutes > 0 ? " or the --max-minutes cap" : "");
    if (o->resume)
        printf("train: resumed %s at step %lld\n", o->resume, (long long)r->state.step);
    printf("train: checkpoint %s (", o->out);
    if (o->ckpt_every) printf("every %lld steps, ", (long long)o->ckpt_every);
    if (o->ckpt_minutes > 0) printf("every %g minutes, ", o->ckpt_minutes);
    printf("on SIGINT/SIGTERM and at the end)%s%s\n", o->log ? ", log " : "",
           o->log ? o->log : "");
    fflush(stdout);
}

/* After the run: the summary and what was written. */
static void closing(run *r, const char *why) {
    train_console_summary(&r->con, r->state.step, why);
    const char *out = r->o->out;
    if (why)
        cli_wrote(false, out,
                  "checkpoint at step %lld (continue: titan-train train "
                  "--resume %s)",
                  (long long)r->state.step, out);
    else
        cli_wrote(false, out,
                  "checkpoint at step %lld (pack: titan pack --ckpt %s -o "
                  "model.tart)",
                  (long long)r->state.step, out);
    if (r->o->log) cli_wrote(false, r->o->log, "%lld log rows", (long long)r->log.rows);
}

static int train(const char *cmd, options *o) {
    run *r = calloc(1, sizeof *r); /* megabytes of tensor tables: not the stack */
    if (!r) return cli_fail(cmd, titan_fail(TITAN_E_NOMEM, "out of memory"));
    r->o = o;
    if (train_dist_rank() > 0) o->log = NULL; /* rank 0 logs */
    r->con = (train_console){.val_name = o->val ? "val_bpb" : "val_loss",
                             .best_val = o->prog.best_val,
                             .best_step = o->prog.best_step,
                             .last_val = NAN};
    titan_status st = setup(r);
    const char *why = NULL;
    if (st == TITAN_OK) {
        r->con.step0 = r->state.step;
        banner(r);
        stop_signal = 0;
        catch_stop_signals(true);
        st = loop(r, &why);
        catch_stop_signals(false);
    }
    if (st == TITAN_OK) st = train_log_close(&r->log);
    if (st == TITAN_OK) closing(r, why);
    int sig = stop_signal;
    teardown(r);
    free(r);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    return sig ? 128 + sig : CLI_EXIT_OK;
}

int train_cmd_train(int argc, char **argv) {
    options o = {
        .qat = "off",
        .qat_mode = "ste",
        .optimizer = "muon",
        .decay = "linear",
        .val_every = 100,
        .val_tokens = 65536,
        .log_every = 10,
        .ckpt_every = 0,
        .warmup = -1,
        .ckpt_minutes = 10,
        .prog = {0, NAN, 0},
        .h = {.steps = 200,
              .batch = 8,
              .seq = 128,
              .accum = 1,
              .threads = 2,
              .seed = 1,
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
              .sgd_momentum = 0.9,
              .qat_start = 1.0,
              .qat_below = 0,
              .ema = 0,
              .swa_every = 0,
              .swa_below = 0.2},
    };
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
        {CLI_OUT, FLAG_STR, &o.out, 0, 0,
         "checkpoint to write (default with --resume: that checkpoint)"},
        {"--resume", FLAG_STR, &o.resume, 0, 0,
         "continue this checkpoint's run (its flags, data, config)"},
        {"--override", FLAG_BOOL, &o.table.override, 0, 0,
         "with --resume: flags given replace the checkpoint's"},
        {"--log", FLAG_STR, &o.log, 0, 0, "JSONL log (cut back to the step on --resume)"},
        {"--steps", FLAG_INT, &o.h.steps, 1, 1e9, "optimizer steps (default 200)"},
        {"--max-minutes", FLAG_REAL, &o.max_minutes, 0, 1e7,
         "cap on training minutes, warm-down fitted to it (default 0: none)"},
        {"--batch", FLAG_INT, &o.h.batch, 1, 4096,
         "sequences per micro-batch (default 8)"},
        {"--seq", FLAG_INT, &o.h.seq, 1, 1 << 20, "targets per sequence (default 128)"},
        {"--accum", FLAG_INT, &o.h.accum, 1, 4096, "micro-batches per step (default 1)"},
        {"--threads", FLAG_INT, &o.h.threads, 1, CLI_THREADS_MAX,
         "worker threads, at most 64 used (default 2)"},
        {"--seed", FLAG_INT, &o.h.seed, 0, CLI_SEED_MAX,
         "init and data seed (default 1)"},
        {"--sequential", FLAG_BOOL, &o.sequential, 0, 0, "windows in order, not random"},
        {"--lora-only", FLAG_BOOL, &o.lora_only, 0, 0,
         "train .lora_A/.lora_B only, every base tensor frozen"},
        {"--deterministic", FLAG_BOOL, &o.deterministic, 0, 0,
         "sum gradients in batch order: the same bits for any threads or ranks"},
        {"--lr", FLAG_REAL, &o.h.lr, 0, 1e3,
         "multiplier of every group's rate (default 1)"},
        {"--lr-matrix", FLAG_REAL, &o.h.lr_matrix, 0, 10, "Muon rate (default 0.02)"},
        {"--lr-embed", FLAG_REAL, &o.h.lr_embed, 0, 10,
         "AdamW rate of tok_emb (default 0.02)"},
        {"--lr-head", FLAG_REAL, &o.h.lr_head, 0, 10,
         "AdamW rate of MTP heads (default 0.008)"},
        {"--lr-scalar", FLAG_REAL, &o.h.lr_scalar, 0, 10,
         "AdamW rate of norms, conv (default 0.02)"},
        {"--wd", FLAG_REAL, &o.h.muon_wd, 0, 10,
         "Muon decoupled weight decay (default 0)"},
        {"--adam-wd", FLAG_REAL, &o.h.adam_wd, 0, 10,
         "AdamW decay of tok_emb, heads (default 0)"},
        {"--beta1", FLAG_REAL, &o.h.beta1, 0, 0.999999, "AdamW beta1 (default 0.9)"},
        {"--beta2", FLAG_REAL, &o.h.beta2, 0, 0.999999, "AdamW beta2 (default 0.95)"},
        {"--momentum", FLAG_REAL, &o.h.momentum, 0, 0.999999,
         "Muon momentum (default 0.95)"},
        {"--momentum-start", FLAG_REAL, &o.h.momentum_start, 0, 0.999999,
         "momentum at step 0 (default 0.85)"},
        {"--momentum-warmup", FLAG_INT, &o.h.momentum_warmup, 0, 1e9,
         "steps to reach --momentum (default 100)"},
        {"--warmup", FLAG_INT, &o.warmup, -1, 1e9,
         "linear LR warm-up steps (default -1: steps / 20)"},
        {"--decay-frac", FLAG_REAL, &o.h.decay_frac, 0, 1,
         "fraction of steps in warm-down (default 0.3)"},
        {"--decay", FLAG_STR, &o.decay, 0, 0,
         "warm-down shape: linear|cosine (default linear)"},
        {"--clip", FLAG_REAL, &o.h.clip, 0, 1e9,
         "gradient norm clip, 0 = off (default 1)"},
        {"--optimizer", FLAG_STR, &o.optimizer, 0, 0,
         "muon: Muon + AdamW (default) | sgd: SGD with momentum"},
        {"--sgd-momentum", FLAG_REAL, &o.h.sgd_momentum, 0, 0.999999,
         "SGD momentum (default 0.9)"},
        {"--qat", FLAG_STR, &o.qat, 0, 0,
         "fake quantization: off|int8|int6 (default off)"},
        {"--qat-start", FLAG_REAL, &o.h.qat_start, 0, 1,
         "QAT from this fraction of steps (default 1)"},
        {"--qat-below", FLAG_REAL, &o.h.qat_below, 0, 1,
         "or once the LR multiplier is below (default 0)"},
        {"--qat-tensors", FLAG_STR, &o.h.qat_tensors, 0, 0,
         "QAT only these, name globs a,b (default all)"},
        {"--qat-mode", FLAG_STR, &o.qat_mode, 0, 0,
         "ste: round (default) | noise: one step of uniform noise"},
        {"--ema", FLAG_REAL, &o.h.ema, 0, 0.999999999, "EMA decay (default 0: off)"},
        {"--swa-every", FLAG_INT, &o.h.swa_every, 0, 1e9,
         "SWA snapshot period (default 0: off)"},
        {"--swa-below", FLAG_REAL, &o.h.swa_below, 0, 1,
         "SWA once the LR multiplier is below (default 0.2)"},
        {"--val-every", FLAG_INT, &o.val_every, 0, 1e9,
         "validate every N steps (default 100)"},
        {"--val-tokens", FLAG_INT, &o.val_tokens, 1, 1e15,
         "score the first N validation targets (default 65536)"},
        {"--val-stride", FLAG_INT, &o.val_stride, 1, 1 << 20,
         "validation window stride (default --seq)"},
        {"--log-every", FLAG_INT, &o.log_every, 1, 1e9,
         "log and print every N steps (default 10)"},
        {"--ckpt-every", FLAG_INT, &o.ckpt_every, 0, 1e9,
         "also checkpoint every N steps (default 0: off)"},
        {"--ckpt-minutes", FLAG_REAL, &o.ckpt_minutes, 0, 1e7,
         "checkpoint every M minutes (default 10; 0: off)"},
    };
    bool seen[CLI_ARRAY_LEN(flags)];
    memset(seen, 0, sizeof seen);
    o.table.flags = flags, o.table.n = CLI_ARRAY_LEN(flags), o.table.seen = seen;
    o.table.unkept = unkept_flags, o.table.session = session_flags;
    o.table.paths = path_flags;
    int npos, rc = cli_parse_seen(argc, argv, usage, flags, CLI_ARRAY_LEN(flags), NULL, 0,
                                  &npos, seen);
    CLI_RETURN_IF_DONE(rc);
    titan_arena strings;
    rc = resume_flags(argv[0], &o, &strings);
    if (!rc) rc = check_options(argv[0], &o);
    if (!rc) rc = train(argv[0], &o);
    if (o.resuming) train_ckpt_close(&o.ckpt);
    cli_arena_destroy(&strings);
    return rc;
}
