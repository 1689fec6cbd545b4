/* cmd_eval.c: `titan eval`: val_bpb of a text file or of parameter-golf
 * shards (SPEC section 3), with compressor baselines on the same bytes.
 *
 * Bytes with --max-tokens N: only the first N targets are scored (the stream
 * is cut after seq[N]) and the bytes are exactly those N targets stand for: in
 * text mode the first `bytes` bytes of the file, in shard mode the sum of the
 * SPEC byte rule over those targets. The baselines compress the same bytes.
 *
 * Memory: one process arena holds the artifact, the token stream and the
 * evaluation (backends and models per worker, window sums). Its size needs
 * the config, so the artifact is loaded once into a throwaway arena first.
 *
 * Threads: W = min(--threads, windows) workers score windows in parallel. A
 * cpu backend serves one thread, so each worker gets its own with
 * --threads / W pool threads (W x that <= --threads); ref and tpu are one
 * backend shared by all workers. Results do not depend on the split.
 *
 * --ttt: after the plain score, the same workers score the stream again
 * chunk by chunk with score-first test-time training (eval_ttt.h); its
 * training state (ttt_plan bytes, reported) is carved from the process arena
 * before the first chunk, which holds the per-target NLLs it adds up too.
 *
 * --tilt BETA: the artifact's n-gram table gives each target a hint from the
 * two tokens before it (eval_tilt.h); the scorer gives the hint's NLL beside
 * the target's and the tilted val_bpb is reported beside the plain one, for
 * the plain and the --ttt pass. With --adapt the adaptive mixer takes the
 * tilted model distribution (the tilt applies first; both are normalized). */
#include "platform/file.h"
#include "platform/threads.h"
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/baselines.h"
#include "tools/titan/commands.h"
#include "tools/titan/eval_adapt.h"
#include "tools/titan/eval_tilt.h"
#include "tools/titan/eval_ttt.h"
#include "tools/titan/runtime.h"
#include "tools/titan/token_bytes.h"
#include "tools/titan/tpu_cli.h"
#include "tools/titan/tpu_report.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    EVAL_BATCH = 4,    /* windows per scorer call */
    MODEL_BATCH = 256, /* tokens per forward call */
};

static const char usage[] =
    "titan eval -m ART (--text FILE | --shards GLOB [--spm MODEL]) [--ctx L] "
    "[--stride S] [--max-tokens N] [--backend cpu|ref|tpu] [--threads N] "
    "[--act-quant exact|q8] "
    "[--json] [--baselines [--train FILE]] [--adapt] [--count] [--tpu-report FILE] "
    "[--tpu-array RxC ...] [--ttt [--ttt-chunk N] [--ttt-lr X] [--ttt-epochs E] "
    "[--ttt-params mlp|all] [--ttt-momentum M] [--ttt-clip C] [--ttt-batch B]] "
    "[--nll-out FILE] [--tilt BETA [--ngram NGRAM]]\n"
    "  val_bpb = target NLL in nats / (ln 2 x the bytes they stand for), each\n"
    "  target scored once in windows of --ctx tokens moved by --stride; with a\n"
    "  SentencePiece tokenizer --text counts the file's bytes (decoded_bytes: the\n"
    "  pieces', as the records count); --shards without --spm counts the bytes\n"
    "  of the artifact's tokenizer (BPE, BESE: exact per token)\n"
    "  a xenith model (SPEC section 9) takes each window as a new stream, in\n"
    "  chunks in constant memory; without --ctx the whole stream is one\n"
    "  window, every target scored once with all the text before it\n"
    "  --ttt: score-first test-time training: chunk by chunk, score, then train\n"
    "  on the scored chunk (SGD with momentum, lr cosine over chunks); prints the\n"
    "  plain and the TTT val_bpb. Defaults are record 1.0785's.\n"
    "  --tilt BETA: n-gram logit tilt (record 002): the hinted token's probability\n"
    "  times e^BETA, renormalized; needs an artifact packed with --ngram; prints\n"
    "  the plain and the tilted val_bpb (with --adapt the mixer takes the tilted).\n"
    "example: titan eval -m tools/data/model/nano.tart --text my.txt --ctx 256 "
    "--stride 128 --baselines";

typedef struct {
    const char *model, *text, *shards, *spm, *backend, *train, *tpu_report;
    const char *nll_out, *ttt_params, *act_quant_name, *ngram;
    titan_act_quant act_quant;
    int64_t ctx, stride, max_tokens, threads;
    bool json, baselines, count, adapt, ttt, tilt_on;
    double tilt;
    int64_t ttt_chunk, ttt_epochs, ttt_batch;
    double ttt_lr, ttt_momentum, ttt_clip;
    tpu_cli tpu_flags;
    titan_tpu_config tpu;
    int workers, backend_threads; /* the split of threads (top of file) */
    bool xenith;                  /* a xenith model (SPEC section 9): see xenith_ctx */
} eval_args;

/* The token stream seq[0..n_targets] and how to count its bytes. */
typedef struct {
    int32_t *seq;
    int64_t n_targets, windows;
    titan_byte_table bytes;
    uint64_t n_bytes;
    double *target_nll;         /* [tokens] with --ttt or --nll-out */
    double *tilt_nll;           /* [tokens] with --tilt and --ttt or --adapt */
    eval_tilt_hints hints;      /* with --tilt */
    const titan_spm *spm;       /* shard mode with a SentencePiece model */
    const titan_tokenizer *tok; /* shard mode without: the artifact's */
    const uint8_t *text;        /* text mode: the file */
    size_t text_len;
    /* Text mode with a SentencePiece tokenizer: the bytes of the decoded
     * pieces by SPEC section 3's shard rule (what the records count), beside
     * n_bytes, the file's (what val_bpb divides by). */
    bool spm_text;
    uint64_t decoded_bytes;
} eval_stream;

/* What the run needs before the arena exists. */
typedef struct {
    glob_t g;
    bool globbed;
    size_t spm_len, tokens, largest; /* shard mode: files and token bound */
    size_t text_len;                 /* text mode */
    size_t ngram_len;                /* --ngram FILE */
    size_t ttt_bytes;                /* --ttt: its training state (ttt_plan) */
    bool has_model;
    titan_config config;
    titan_artifact art;
} eval_plan;

static int check_args(const char *cmd, eval_args *a) {
    if (!a->text == !a->shards)
        return cli_usage(cmd, "give exactly one of --text and --shards");
    if (a->spm && !a->shards) return cli_usage(cmd, "--spm goes with --shards");
    if (a->shards && !a->spm && !a->model)
        return cli_usage(cmd,
                         "--shards without --spm counts bytes with -m ART's tokenizer");
    if (a->train && !a->baselines) return cli_usage(cmd, "--train needs --baselines");
    if (!a->model && (!a->count || a->text))
        return cli_usage(cmd, "-m ART is required%s", a->text ? "" : " (or --count)");
    if ((a->nll_out || a->ttt || a->tilt_on) && a->count)
        return cli_usage(cmd, "--count scores nothing: no --ttt, --tilt or --nll-out");
    if (a->ngram && !a->tilt_on) return cli_usage(cmd, "--ngram goes with --tilt");
    if (a->ttt && strcmp(a->backend, "cpu") && strcmp(a->backend, "ref"))
        return cli_usage(cmd, "--ttt scores float weights: use --backend cpu or ref");
    if (strcmp(a->ttt_params, "mlp") && strcmp(a->ttt_params, "all"))
        return cli_usage(cmd, "--ttt-params is mlp or all, not '%s'", a->ttt_params);
    titan_status st = a->nll_out ? cli_output_check(a->nll_out) : TITAN_OK;
    if (!st) st = backend_act_quant(a->act_quant_name, a->backend, &a->act_quant);
    if (st) return cli_fail(cmd, st);
    return tpu_cli_backend(cmd, a->backend, a->tpu_report, &a->tpu_flags, &a->tpu);
}

/* Token count a shard file would hold, from its size alone (the header is
 * checked when the shard is decoded). */
static titan_status shard_plan(const glob_t *g, size_t *tokens, size_t *largest) {
    *tokens = 0;
    *largest = 0;
    for (size_t i = 0; i < g->gl_pathc; i++) {
        size_t size;
        titan_status st = titan_file_size(g->gl_pathv[i], &size);
        if (st != TITAN_OK) return st;
        if (size > *largest) *largest = size;
        if (size > TITAN_SHARD_HEADER_BYTES)
            *tokens += (size - TITAN_SHARD_HEADER_BYTES) / 2;
    }
    return TITAN_OK;
}

static int plan_inputs(const char *cmd, const eval_args *a, eval_plan *p) {
    if (a->text) {
        titan_status st = titan_file_size(a->text, &p->text_len);
        p->tokens = p->text_len + 1; /* BOS + at most one id per byte */
        return st ? cli_fail(cmd, st) : CLI_EXIT_OK;
    }
    int rc = glob(a->shards, 0, NULL, &p->g);
    if (rc) {
        fprintf(stderr, "%s: no shard matches '%s'\n", cmd, a->shards);
        if (rc != GLOB_NOMATCH) globfree(&p->g);
        return CLI_EXIT_FAIL;
    }
    p->globbed = true;
    titan_status st = a->spm ? titan_file_size(a->spm, &p->spm_len) : TITAN_OK;
    if (!st) st = shard_plan(&p->g, &p->tokens, &p->largest);
    return st ? cli_fail(cmd, st) : CLI_EXIT_OK;
}

/* A xenith model scores windows as section 3 says, each a new stream
 * (section 9), fed in chunks: --ctx is not bounded by max_seq_len, and
 * without --ctx the whole stream is one window (its state is bounded, so every
 * target is scored once with all the text before it). cpu or ref, no --ttt. */
static int xenith_ctx(const char *cmd, eval_args *a, const eval_plan *p) {
    a->xenith = true;
    if (a->ttt) return cli_usage(cmd, "--ttt does not train xenith models");
    if (strcmp(a->backend, "cpu") && strcmp(a->backend, "ref"))
        return cli_usage(cmd, "family xenith runs on the cpu and ref backends");
    if (a->ctx) return CLI_EXIT_OK;
    int64_t n = (int64_t)p->tokens - 1; /* bounds the targets */
    if (a->max_tokens && a->max_tokens < n) n = a->max_tokens;
    a->ctx = n < 1 ? 1 : n < CLI_CTX_MAX ? n : (int64_t)CLI_CTX_MAX;
    a->stride = a->ctx; /* one window when the bound holds */
    return CLI_EXIT_OK;
}

/* The config, from a throwaway load (see the top of the file). */
static int read_config(const char *cmd, eval_args *a, eval_plan *p) {
    titan_arena tmp;
    titan_status st = artifact_open(a->model, 0, &tmp, &p->art);
    if (st) return cli_fail(cmd, st);
    p->config = p->art.config;
    p->has_model = true;
    bool has_ngram = p->art.ngram.blob || a->ngram;
    if (a->text) /* normalization may lengthen a SentencePiece model's text */
        p->tokens = titan_tokenizer_max_ids(p->art.tokenizer, p->text_len) + 1;
    cli_arena_destroy(&tmp);
    st = a->ngram ? titan_file_size(a->ngram, &p->ngram_len) : TITAN_OK;
    if (st) return cli_fail(cmd, st);
    if (a->tilt_on && !has_ngram)
        return cli_usage(cmd,
                         "--tilt: %s has no n-gram table (build one with titan-train "
                         "ngram, pack it with titan pack --ngram)",
                         a->model);
    if (TITAN_XENITH(&p->config)) return xenith_ctx(cmd, a, p);
    int max_ctx = p->config.max_seq_len;
    if (!a->ctx) a->ctx = max_ctx < 1024 ? max_ctx : 1024;
    if (a->ctx > max_ctx)
        return cli_usage(cmd, "--ctx %lld is above max_seq_len %d", (long long)a->ctx,
                         max_ctx);
    return CLI_EXIT_OK;
}

static titan_eval_options eval_options(const eval_args *a) {
    return (titan_eval_options){.ctx = (int32_t)a->ctx,
                                .stride = (int32_t)a->stride,
                                .batch = EVAL_BATCH,
                                .threads = a->workers};
}

static int model_batch(const eval_args *a) {
    if (a->xenith) return TITAN_XENITH_CHUNK; /* tokens per forward call */
    return a->ctx < MODEL_BATCH ? (int)a->ctx : MODEL_BATCH;
}

static bool own_backends(const eval_args *a) { return !strcmp(a->backend, "cpu"); }

/* Workers and backend threads (top of the file), from a bound on the
 * windows: p->tokens bounds the stream's length. */
static void split_threads(eval_args *a, const eval_plan *p) {
    int64_t targets = (int64_t)p->tokens - 1, windows = 1;
    if (a->max_tokens && a->max_tokens < targets) targets = a->max_tokens;
    if (targets < 1 ||
        titan_eval_window_count(targets, (int32_t)a->ctx, (int32_t)a->stride, &windows))
        windows = 1;
    a->workers = a->threads < windows ? (int)a->threads : (int)windows;
    int per = (int)a->threads / a->workers;
    a->backend_threads = per < TITAN_POOL_MAX_THREADS ? per : TITAN_POOL_MAX_THREADS;
}

/* Bytes of the backends and the per-worker table of them. */
static titan_status backends_bytes(const eval_args *a, const eval_plan *p,
                                   size_t *bytes) {
    backend_choice b = {a->backend, a->backend_threads, &a->tpu, a->act_quant};
    size_t one;
    TITAN_TRY(backend_plan(&b, &p->config, model_batch(a), &one));
    size_t n = own_backends(a) ? (size_t)a->workers : 1;
    *bytes = n * (one + TITAN_ALIGN) + (size_t)a->workers * sizeof(void *) + TITAN_ALIGN;
    return TITAN_OK;
}

static ttt_options ttt_opts(const eval_args *a) {
    return (ttt_options){
        a->ttt_chunk, a->ttt_lr,         (int)a->ttt_epochs,           a->ttt_momentum,
        a->ttt_clip,  (int)a->ttt_batch, !strcmp(a->ttt_params, "all")};
}

/* Arena bytes beyond the artifact: inputs, stream, evaluation. */
static titan_status extra_bytes(const eval_args *a, eval_plan *p, size_t *need) {
    if (a->text)
        *need = p->text_len + p->tokens * 4 + titan_tokenizer_encode_plan() +
                (size_t)TITAN_TOK_MAX * 4 + 4 * TITAN_ALIGN;
    else if (a->spm)
        *need = p->spm_len + titan_spm_plan(p->spm_len) + p->tokens * 4 + p->largest +
                4 * TITAN_ALIGN;
    else
        *need = p->tokens * 4 + p->largest + (size_t)TITAN_TOK_MAX * 4 + 3 * TITAN_ALIGN;
    if (!p->has_model) return TITAN_OK;
    size_t model, backends;
    titan_eval_options o = eval_options(a);
    if (a->xenith)
        TITAN_TRY(titan_eval_xenith_plan(&p->config, a->ctx, a->workers, &model));
    else
        TITAN_TRY(titan_eval_model_plan(&p->config, (int)a->ctx, model_batch(a),
                                        a->workers, &model));
    TITAN_TRY(backends_bytes(a, p, &backends));
    *need += model + backends + titan_eval_plan(p->tokens, &o);
    if (a->adapt) {
        size_t adapt = eval_adapt_plan(p->config.vocab_size, (int64_t)p->tokens);
        if (adapt == SIZE_MAX)
            return titan_fail(TITAN_E_NOMEM, "--adapt: stream too long");
        *need += adapt;
    } else if (a->ttt || a->nll_out) {
        *need += p->tokens * sizeof(double) + TITAN_ALIGN;
    }
    if (a->tilt_on) *need += eval_tilt_plan((int64_t)p->tokens);
    if (a->ngram) *need += p->ngram_len + TITAN_ALIGN;
    if (a->tilt_on && (a->ttt || a->adapt))
        *need += p->tokens * sizeof(double) + TITAN_ALIGN;
    if (a->ttt) {
        titan_arena measure;
        titan_thread_pool *none;
        titan_arena_init(&measure, NULL, 0);
        TITAN_TRY(titan_thread_pool_create(&measure, a->workers, &none));
        ttt_options to = ttt_opts(a);
        TITAN_TRY(ttt_plan(&p->config, (int)a->ctx, (int)a->threads, &to, &p->ttt_bytes));
        *need += measure.high + TITAN_ALIGN + p->ttt_bytes;
    }
    return TITAN_OK;
}

/* All shards in name order as one stream, each read and dropped in turn;
 * tokens must be below vocab. *failed names the shard at fault. */
static titan_status read_shards(titan_arena *ar, const glob_t *g, size_t tokens,
                                int32_t vocab, eval_stream *s, const char **failed) {
    titan_status st =
        titan_arena_alloc(ar, tokens * sizeof(int32_t), TITAN_ALIGN, (void **)&s->seq);
    size_t have = 0;
    for (size_t i = 0; i < g->gl_pathc && st == TITAN_OK; i++) {
        size_t mark = titan_arena_mark(ar), len, n = 0;
        uint8_t *data;
        st = titan_file_read(ar, g->gl_pathv[i], SIZE_MAX, &data, &len);
        if (st == TITAN_OK)
            st = titan_shard_decode(data, len, vocab, s->seq + have, tokens - have, &n);
        titan_arena_reset(ar, mark);
        if (st != TITAN_OK) *failed = g->gl_pathv[i];
        have += n;
    }
    s->n_targets = (int64_t)have - 1;
    return st;
}

static titan_status load_shards(titan_arena *ar, const eval_args *a, eval_plan *p,
                                eval_stream *s, const char **failed) {
    if (!a->spm) { /* the artifact's tokenizer counts the bytes */
        s->tok = p->art.tokenizer;
        s->spm = titan_tokenizer_spm(s->tok);
        TITAN_TRY(token_byte_table(ar, s->tok, &s->bytes));
        return read_shards(ar, &p->g, p->tokens, p->config.vocab_size, s, failed);
    }
    uint8_t *spm_data;
    titan_status st = titan_file_read(ar, a->spm, p->spm_len, &spm_data, &p->spm_len);
    if (!st)
        st = cli_kind_explain(titan_spm_load(ar, spm_data, p->spm_len, &s->spm), a->spm,
                              CLI_KIND_SPM);
    if (st) return st;
    int32_t vocab = s->spm->n_pieces;
    if (p->has_model && p->config.vocab_size < vocab) vocab = p->config.vocab_size;
    s->bytes = s->spm->bytes;
    return read_shards(ar, &p->g, p->tokens, vocab, s, failed);
}

/* BOS + the file's tokens; bytes are the exact token lengths (a
 * SentencePiece model's: the pieces' bytes by SPEC section 3's rule, and
 * val_bpb divides by the file's size, see evaluate). */
static titan_status load_text(titan_arena *ar, const eval_args *a, eval_plan *p,
                              eval_stream *s) {
    const titan_tokenizer *tok = p->art.tokenizer;
    uint8_t *text;
    size_t len, n;
    titan_status st = titan_file_read(ar, a->text, p->text_len, &text, &len);
    if (!st) st = titan_arena_alloc(ar, p->tokens * 4, TITAN_ALIGN, (void **)&s->seq);
    if (!st) st = token_byte_table(ar, tok, &s->bytes);
    if (!st)
        st = titan_tokenizer_encode(tok, ar, text, len, s->seq + 1, p->tokens - 1, &n);
    if (st) return st;
    s->seq[0] = titan_tokenizer_bos(tok);
    s->n_targets = (int64_t)n;
    s->text = text;
    s->text_len = len;
    s->spm_text = titan_tokenizer_spm(tok) != NULL;
    return TITAN_OK;
}

/* --ngram FILE: its table replaces the artifact's. */
static titan_status load_ngram(titan_arena *ar, const eval_args *a, eval_plan *p) {
    uint8_t *blob;
    size_t len;
    TITAN_TRY(titan_file_read(ar, a->ngram, p->ngram_len, &blob, &len));
    titan_status st = titan_ngram_parse(blob, len, p->config.vocab_size, &p->art.ngram);
    return st ? titan_fail(st, "%s: %s", a->ngram, titan_last_error()) : TITAN_OK;
}

static int load_inputs(const char *cmd, const eval_args *a, eval_plan *p, titan_arena *ar,
                       eval_stream *s) {
    size_t extra;
    const char *failed = NULL;
    titan_status st = extra_bytes(a, p, &extra);
    if (!st)
        st = p->has_model ? artifact_open(a->model, extra, ar, &p->art)
                          : cli_arena_create(ar, extra);
    if (!st && a->ngram) st = load_ngram(ar, a, p);
    if (st) return cli_fail(cmd, st);
    st = a->text ? load_text(ar, a, p, s) : load_shards(ar, a, p, s, &failed);
    if (failed) {
        fprintf(stderr, "%s: %s: %s\n", cmd, failed, titan_last_error());
        return CLI_EXIT_FAIL;
    }
    if (st) return cli_fail(cmd, st);
    if (s->n_targets < 1) {
        fprintf(stderr, "%s: nothing to evaluate: %s %s\n", cmd,
                a->text ? a->text : a->shards,
                a->text && !p->text_len ? "is empty" : "holds fewer than 2 tokens");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static void show_progress(void *user, int64_t done, int64_t total) {
    cli_progress_update(user, (double)done, (double)total);
}

/* The workers' backends: one each (cpu) or one shared (ref, tpu). */
typedef struct {
    titan_backend **be; /* [workers] */
    int n;              /* distinct backends made */
} eval_backends;

static titan_status backends_create(const eval_args *a, const eval_plan *p,
                                    titan_arena *ar, eval_backends *e) {
    backend_choice b = {a->backend, a->backend_threads, &a->tpu, a->act_quant};
    TITAN_TRY(titan_arena_alloc(ar, (size_t)a->workers * sizeof *e->be, TITAN_ALIGN,
                                (void **)&e->be));
    for (int w = 0; w < a->workers; w++) {
        if (w && !own_backends(a)) {
            e->be[w] = e->be[0];
            continue;
        }
        TITAN_TRY(backend_create(ar, &b, &p->config, model_batch(a), &e->be[w]));
        e->n = w + 1;
    }
    return TITAN_OK;
}

static void backends_destroy(eval_backends *e) {
    for (int w = 0; w < e->n; w++) titan_backend_destroy(e->be[w]);
}

/* Evaluation options with --tilt's hints. */
static titan_eval_options tilt_options(const eval_args *a, const eval_stream *s) {
    titan_eval_options o = eval_options(a);
    if (a->tilt_on) {
        o.hint = s->hints.hint;
        o.tilt_beta = a->tilt;
        o.tilt_target_nll = s->tilt_nll;
    }
    return o;
}

/* The NLLs --adapt mixes: the model's, tilted with --tilt. */
static const double *model_nll(const eval_args *a, const eval_stream *s) {
    return a->tilt_on ? s->tilt_nll : s->target_nll;
}

/* Score the stream with the model; fills r, the wall time, *em and, with
 * --adapt, the adaptive pass. */
static titan_status score(const eval_args *a, eval_plan *p, titan_arena *ar,
                          const eval_stream *s, eval_backends *e, titan_eval_model **em,
                          titan_eval_result *r, double *seconds,
                          eval_adapt_result *adapt) {
    titan_status st = backends_create(a, p, ar, e);
    titan_eval_scorer scorer = titan_eval_model_score;
    void *user = NULL;
    titan_eval_xenith *ex = NULL;
    *em = NULL;
    if (!st && a->xenith) {
        st = titan_eval_xenith_create(ar, &p->config, p->art.tensors, p->art.n_tensors,
                                      a->ctx, a->workers, e->be, &ex);
        scorer = titan_eval_xenith_score, user = ex;
    } else if (!st) {
        st = titan_eval_model_create(ar, &p->config, p->art.tensors, p->art.n_tensors,
                                     (int)a->ctx, model_batch(a), a->workers, e->be, em);
        user = *em;
    }
    if (st) return st;
    cli_progress prog;
    titan_eval_options o = tilt_options(a, s);
    o.target_nll = s->target_nll; /* --ttt's pass writes its own over them */
    o.progress = show_progress;
    o.progress_user = &prog;
    cli_progress_start(&prog, "eval", "tok");
    double t0 = cli_now();
    st = titan_eval_run(ar, s->seq, s->n_targets, &s->bytes, &o, scorer, user, r);
    *seconds = cli_now() - t0;
    cli_progress_end(&prog);
    if (!st && a->adapt)
        st = eval_adapt_run(ar, p->config.vocab_size, s->seq, s->n_targets,
                            model_nll(a, s), s->n_bytes, adapt);
    return st;
}

/* What --ttt measured (adapt: with --adapt, the adaptive pass over its NLLs). */
typedef struct {
    titan_eval_result r;
    double seconds, train_seconds;
    int64_t chunks, trainable;
    size_t arena_bytes; /* the training state's (ttt_plan) */
    eval_adapt_result adapt;
} ttt_result;

/* A progress line per chunk (terminal only): its label names the chunk. */
typedef struct {
    cli_progress prog;
    char label[128];
} ttt_meter;

static void ttt_show(void *user, const ttt_progress *p) {
    ttt_meter *m = user;
    snprintf(m->label, sizeof m->label, "ttt chunk %lld/%lld (bpb %.4f, train %.0f s)",
             (long long)p->chunk + 1, (long long)p->chunks, p->chunk_bpb, p->train_s);
    cli_progress_update(&m->prog, (double)p->done, (double)p->total);
}

/* Score again chunk by chunk, training in between (eval_ttt.h); the workers
 * run on one pool for all chunks. */
static titan_status score_ttt(const eval_args *a, titan_arena *ar, const eval_stream *s,
                              ttt_state *t, titan_eval_model *em, ttt_result *out) {
    titan_eval_options o = tilt_options(a, s);
    o.target_nll = s->target_nll;
    TITAN_TRY(titan_thread_pool_create(ar, a->workers, &o.pool));
    ttt_meter m = {.label = "ttt"};
    cli_progress_start(&m.prog, m.label, "tok");
    double t0 = cli_now();
    titan_status st = ttt_run(t, ar, em, s->seq, s->n_targets, &s->bytes, &o, ttt_show,
                              &m, &out->r, &out->train_seconds);
    out->seconds = cli_now() - t0;
    titan_thread_pool_destroy(o.pool);
    cli_progress_end(&m.prog);
    out->chunks = (s->n_targets + a->ttt_chunk - 1) / a->ttt_chunk;
    out->trainable = ttt_trainable(t);
    return st;
}

/* --nll-out: one target NLL a line, exactly (%.17g reads back the same). */
static titan_status write_nll(const char *path, const eval_stream *s) {
    FILE *f = fopen(path, "w");
    if (!f) return titan_fail(TITAN_E_IO, "%s: cannot write", path);
    for (int64_t j = 0; j < s->n_targets; j++) fprintf(f, "%.17g\n", s->target_nll[j]);
    if (fclose(f)) return titan_fail(TITAN_E_IO, "%s: write failed", path);
    return TITAN_OK;
}

/* Shard mode with a BPE or BESE tokenizer: the targets' bytes where they
 * stand (titan_tokenizer_piece, the state from the whole stream). */
static void tokens_text(const eval_stream *s, uint8_t *p) {
    uint8_t buf[TITAN_TOK_CHUNK_MAX];
    uint32_t state = 0;
    const uint8_t *bytes;
    (void)titan_tokenizer_piece(s->tok, &state, s->seq[0], buf, &bytes);
    for (int64_t t = 1; t <= s->n_targets; t++) {
        size_t n = titan_tokenizer_piece(s->tok, &state, s->seq[t], buf, &bytes);
        if (n) memcpy(p, bytes, n);
        p += n;
    }
}

/* The bytes the targets stand for: a prefix of the text file, or rebuilt
 * from the pieces in shard mode. malloc'd (tool side, for the baselines). */
static uint8_t *target_bytes(const eval_stream *s) {
    uint8_t *out = malloc(s->n_bytes ? s->n_bytes : 1), *p = out;
    if (!out || s->text) {
        if (out) memcpy(out, s->text, s->n_bytes);
        return out;
    }
    if (!s->spm) {
        tokens_text(s, out);
        return out;
    }
    const titan_spm *spm = s->spm;
    for (int64_t t = 1; t <= s->n_targets; t++) {
        int32_t x = s->seq[t - 1], y = s->seq[t];
        if ((spm->bytes.flags[y] & TITAN_BYTES_SPACE) &&
            !(spm->bytes.flags[x] & TITAN_BYTES_BOUNDARY))
            *p++ = ' ';
        uint32_t n = spm->offset[y + 1] - spm->offset[y];
        memcpy(p, spm->text + spm->offset[y], n);
        p += n;
    }
    return out;
}

static uint8_t *read_heap(const char *path, size_t *len) {
    titan_arena a;
    if (titan_file_size(path, len) != TITAN_OK || cli_arena_create(&a, *len) != TITAN_OK)
        return NULL;
    uint8_t *data;
    if (titan_file_read(&a, path, *len, &data, len) != TITAN_OK) {
        cli_arena_destroy(&a);
        return NULL;
    }
    return a.base; /* the arena's block, freed by the caller */
}

static int run_baselines(const char *cmd, const eval_args *a, const eval_stream *s,
                         baseline_result *r) {
    uint8_t *val = target_bytes(s), *train = NULL;
    size_t train_len = 0;
    if (a->train && !(train = read_heap(a->train, &train_len))) {
        free(val);
        fprintf(stderr, "%s: %s: %s\n", cmd, a->train, titan_last_error());
        return CLI_EXIT_FAIL;
    }
    bool ok = val && baselines_run(val, s->n_bytes, train, train_len, r);
    free(val);
    free(train);
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static double tokens_per_s(const titan_eval_result *r, double seconds) {
    return seconds > 0 ? (double)r->tokens / seconds : 0;
}

/* Bits per byte are undefined (null) when the targets stand for no bytes. */
static void json_bpb(const char *name, const char *suffix, double v, uint64_t bytes) {
    if (bytes)
        printf(", \"%s%s\": %.17g", name, suffix, v);
    else
        printf(", \"%s%s\": null", name, suffix);
}

static void json_ttt(const eval_args *a, const ttt_result *t) {
    json_bpb("ttt_val", "_bpb", t->r.val_bpb, t->r.bytes);
    printf(", \"ttt_val_loss\": %.17g, \"ttt_nll\": %.17g, \"ttt_seconds\": %.3f, "
           "\"ttt_train_seconds\": %.3f, \"ttt_chunks\": %lld, \"ttt_chunk\": %lld, "
           "\"ttt_lr\": %.17g, \"ttt_epochs\": %lld, \"ttt_momentum\": %.17g, "
           "\"ttt_clip\": %.17g, \"ttt_batch\": %lld, \"ttt_params\": \"%s\", "
           "\"ttt_trainable\": %lld, \"ttt_arena_bytes\": %zu",
           t->r.val_loss, t->r.nll, t->seconds, t->train_seconds, (long long)t->chunks,
           (long long)a->ttt_chunk, a->ttt_lr, (long long)a->ttt_epochs, a->ttt_momentum,
           a->ttt_clip, (long long)a->ttt_batch, a->ttt_params, (long long)t->trainable,
           t->arena_bytes);
    if (a->adapt) json_bpb("ttt_adapt_val", "_bpb", t->adapt.val_bpb, t->r.bytes);
    if (a->tilt_on) {
        json_bpb("ttt_tilt_val", "_bpb", t->r.tilt_val_bpb, t->r.bytes);
        printf(", \"ttt_tilt_val_loss\": %.17g", t->r.tilt_val_loss);
    }
}

static void json_tilt(const eval_args *a, const eval_stream *s,
                      const titan_eval_result *r) {
    json_bpb("tilt_val", "_bpb", r->tilt_val_bpb, s->n_bytes);
    printf(", \"tilt_val_loss\": %.17g, \"tilt_nll\": %.17g, \"tilt_beta\": %.17g, "
           "\"tilt_hinted\": %lld, \"tilt_hits\": %lld",
           r->tilt_val_loss, r->tilt_nll, a->tilt, (long long)s->hints.hinted,
           (long long)s->hints.hits);
}

static void print_json(const eval_args *a, const eval_stream *s,
                       const titan_eval_result *r, double seconds,
                       const eval_adapt_result *ad, const ttt_result *t,
                       const baseline_result *b, const titan_backend *tpu) {
    printf("{\"mode\": \"%s\", \"tokens\": %lld, \"bytes\": %llu, "
           "\"ctx\": %lld, \"stride\": %lld, \"windows\": %lld",
           a->text ? "text" : "shards", (long long)s->n_targets,
           (unsigned long long)s->n_bytes, (long long)a->ctx, (long long)a->stride,
           (long long)s->windows);
    if (s->spm_text)
        printf(", \"decoded_bytes\": %llu", (unsigned long long)s->decoded_bytes);
    if (r) {
        json_bpb("val", "_bpb", r->val_bpb, s->n_bytes);
        printf(", \"val_loss\": %.17g, \"nll\": %.17g, \"seconds\": %.3f, "
               "\"tokens_per_s\": %.1f, \"threads\": %lld, \"workers\": %d, "
               "\"backend_threads\": %d, \"backend\": \"%s\", \"act_quant\": \"%s\"",
               r->val_loss, r->nll, seconds, tokens_per_s(r, seconds),
               (long long)a->threads, a->workers,
               own_backends(a) ? a->backend_threads : 1, a->backend,
               a->act_quant == TITAN_ACT_Q8 ? "q8" : "exact");
        if (a->tilt_on) json_tilt(a, s, r);
    }
    if (ad) {
        json_bpb("adapt_val", "_bpb", ad->val_bpb, s->n_bytes);
        printf(", \"adapt_val_loss\": %.17g, \"adapt_seconds\": %.3f", ad->val_loss,
               ad->seconds);
    }
    if (t) json_ttt(a, t);
    for (int k = 0; b && k < BASELINE_COUNT; k++) {
        json_bpb(baseline_names[k], "_bpb", b->bpb[k], s->n_bytes);
        if (b->has_cond)
            json_bpb(baseline_names[k], "_cond_bpb", b->cond_bpb[k], s->n_bytes);
    }
    if (tpu) {
        printf(", \"tpu\": ");
        tpu_report_json(stdout, &a->tpu, tpu);
    }
    printf("}\n");
}

static void print_text(const eval_args *a, const eval_stream *s,
                       const titan_eval_result *r, double seconds,
                       const eval_adapt_result *ad, const ttt_result *t,
                       const baseline_result *b, const titan_backend *tpu) {
    if (r)
        printf("val_bpb %.6f  val_loss %.6f  (%.1f s, %.1f tokens/s)\n", r->val_bpb,
               r->val_loss, seconds, tokens_per_s(r, seconds));
    if (r && a->tilt_on)
        printf("tilt val_bpb %.6f  val_loss %.6f  (beta %g; %lld of %lld targets hinted, "
               "%lld hints right)\n",
               r->tilt_val_bpb, r->tilt_val_loss, a->tilt, (long long)s->hints.hinted,
               (long long)s->n_targets, (long long)s->hints.hits);
    if (ad)
        printf("adaptive val_bpb %.6f  val_loss %.6f  (score-first, %.1f s more)\n",
               ad->val_bpb, ad->val_loss, ad->seconds);
    if (t)
        printf("ttt val_bpb %.6f  val_loss %.6f  (%.1f s, %.1f s of it training; %lld "
               "chunks of %lld tokens, lr %g, %lld epochs, momentum %g, clip %g, "
               "batch %lld, params %s: %lld floats; training state %zu bytes)\n",
               t->r.val_bpb, t->r.val_loss, t->seconds, t->train_seconds,
               (long long)t->chunks, (long long)a->ttt_chunk, a->ttt_lr,
               (long long)a->ttt_epochs, a->ttt_momentum, a->ttt_clip,
               (long long)a->ttt_batch, a->ttt_params, (long long)t->trainable,
               t->arena_bytes);
    if (t && a->tilt_on)
        printf("ttt + tilt val_bpb %.6f  val_loss %.6f\n", t->r.tilt_val_bpb,
               t->r.tilt_val_loss);
    if (t && a->adapt)
        printf("ttt + adaptive val_bpb %.6f  val_loss %.6f\n", t->adapt.val_bpb,
               t->adapt.val_loss);
    printf("tokens %lld  bytes %llu  ctx %lld  stride %lld  windows %lld\n",
           (long long)s->n_targets, (unsigned long long)s->n_bytes, (long long)a->ctx,
           (long long)a->stride, (long long)s->windows);
    if (s->spm_text && s->decoded_bytes != s->n_bytes)
        printf("decoded_bytes %llu  (the SentencePiece model normalized the text; "
               "val_bpb divides by the file's bytes)\n",
               (unsigned long long)s->decoded_bytes);
    for (int k = 0; b && k < BASELINE_COUNT; k++) {
        printf("baseline %-6s %.4f bpb", baseline_names[k], b->bpb[k]);
        if (b->has_cond) printf("   conditional on --train %.4f bpb", b->cond_bpb[k]);
        printf("\n");
    }
    if (tpu) tpu_report_text(stdout, &a->tpu, tpu);
}

/* Plain score, then with --ttt the score-first TTT one (its training state
 * made first, so a model it cannot train is refused before any work). */
static titan_status score_all(const eval_args *a, eval_plan *p, titan_arena *ar,
                              eval_stream *s, eval_backends *e, titan_eval_result *r,
                              double *seconds, eval_adapt_result *ad, ttt_result *tr) {
    ttt_state *t = NULL;
    titan_eval_model *em;
    ttt_options to = ttt_opts(a);
    titan_status st = TITAN_OK;
    if (a->adapt || a->ttt || a->nll_out)
        st = titan_arena_alloc(ar, (size_t)s->n_targets * sizeof(double), TITAN_ALIGN,
                               (void **)&s->target_nll);
    if (!st && a->tilt_on && (a->ttt || a->adapt))
        st = titan_arena_alloc(ar, (size_t)s->n_targets * sizeof(double), TITAN_ALIGN,
                               (void **)&s->tilt_nll);
    if (!st && a->tilt_on)
        st = eval_tilt_make(ar, &p->art.ngram, s->seq, s->n_targets, &s->hints);
    if (!st && a->ttt)
        st = ttt_create(ar, &p->config, p->art.tensors, p->art.n_tensors, (int)a->ctx,
                        (int)a->threads, &to, &t);
    tr->arena_bytes = p->ttt_bytes;
    if (!st) st = score(a, p, ar, s, e, &em, r, seconds, ad);
    if (!st && t) st = score_ttt(a, ar, s, t, em, tr);
    if (!st && t && a->adapt)
        st = eval_adapt_run(ar, p->config.vocab_size, s->seq, s->n_targets,
                            model_nll(a, s), s->n_bytes, &tr->adapt);
    ttt_free(t);
    if (!st && a->nll_out) st = write_nll(a->nll_out, s);
    return st;
}

/* Everything after the inputs are loaded: count, score, baselines, print. */
static int evaluate(const char *cmd, const eval_args *a, eval_plan *p, titan_arena *ar,
                    eval_stream *s) {
    bool whole = !a->max_tokens || a->max_tokens >= s->n_targets;
    if (!whole) s->n_targets = a->max_tokens;
    titan_status st =
        titan_eval_count_bytes(s->seq, s->n_targets, &s->bytes, &s->n_bytes);
    s->decoded_bytes = s->n_bytes;
    if (s->spm_text && whole) s->n_bytes = s->text_len; /* SPEC section 3: the file */
    if (!st)
        st = titan_eval_window_count(s->n_targets, (int32_t)a->ctx, (int32_t)a->stride,
                                     &s->windows);
    titan_eval_result r;
    eval_adapt_result adapt;
    ttt_result tr = {0};
    eval_backends e = {0};
    double seconds = 0;
    bool scored = !st && p->has_model && !a->count;
    if (scored) st = score_all(a, p, ar, s, &e, &r, &seconds, &adapt, &tr);
    if (scored && !st && s->n_bytes != s->decoded_bytes) { /* the file's bytes */
        r.bytes = tr.r.bytes = s->n_bytes;
        titan_eval_result_finish(&r);
        titan_eval_result_finish(&tr.r);
    }
    backends_destroy(&e);
    if (st) return cli_fail(cmd, st);
    baseline_result b;
    int rc = a->baselines ? run_baselines(cmd, a, s, &b) : CLI_EXIT_OK;
    if (rc) return rc;
    const titan_eval_result *res = scored ? &r : NULL;
    const titan_backend *tpu = scored && !strcmp(a->backend, "tpu") ? e.be[0] : NULL;
    const eval_adapt_result *ad = scored && a->adapt ? &adapt : NULL;
    const ttt_result *t = scored && a->ttt ? &tr : NULL;
    if (a->json)
        print_json(a, s, res, seconds, ad, t, a->baselines ? &b : NULL, tpu);
    else
        print_text(a, s, res, seconds, ad, t, a->baselines ? &b : NULL, tpu);
    if (a->nll_out)
        cli_wrote(a->json, a->nll_out, "%lld target NLLs (nats)%s",
                  (long long)s->n_targets, a->ttt ? ", with TTT" : "");
    if (tpu && a->tpu_report)
        return tpu_report_save(cmd, a->tpu_report, a->json, &a->tpu, tpu);
    return CLI_EXIT_OK;
}

int cmd_eval(int argc, char **argv) {
    const char *cmd = argv[0];
    eval_args a = {.backend = "cpu",
                   .stride = 64,
                   .ttt_params = "mlp",
                   .ttt_chunk = TTT_CHUNK_DEFAULT,
                   .ttt_lr = TTT_LR_DEFAULT,
                   .ttt_epochs = TTT_EPOCHS_DEFAULT,
                   .ttt_momentum = TTT_MOMENTUM_DEFAULT,
                   .ttt_clip = TTT_CLIP_DEFAULT,
                   .ttt_batch = TTT_BATCH_DEFAULT};
    enum { OWN_FLAGS = 27, TILT = 17, TTT_FIRST = 19 }; /* the tpu flags follow these */
    cli_flag flags[OWN_FLAGS + TPU_CLI_NFLAGS] = {
        {"-m|--model", FLAG_STR, &a.model, 0, 0, "artifact"},
        {"--text", FLAG_STR, &a.text, 0, 0, "evaluate this file's bytes"},
        {"--shards", FLAG_STR, &a.shards, 0, 0, "parameter-golf .bin shards (glob)"},
        {"--spm", FLAG_STR, &a.spm, 0, 0, "SentencePiece .model of the shards"},
        {"--ctx", FLAG_INT, &a.ctx, 1, CLI_CTX_MAX,
         "context L (default min(max_seq_len, 1024); a xenith model: the whole "
         "stream, one window)"},
        {"--stride", FLAG_INT, &a.stride, 1, CLI_CTX_MAX,
         "stride S, 1 <= S <= L (default 64)"},
        {"--max-tokens", FLAG_INT, &a.max_tokens, 1, 1e15,
         "score only the first N targets"},
        {"--backend", FLAG_STR, &a.backend, 0, 0, "cpu, ref or tpu (default cpu)"},
        {"--threads", FLAG_INT, &a.threads, 1, CLI_THREADS_MAX,
         "threads in all (default all CPUs)"},
        {"--act-quant", FLAG_STR, &a.act_quant_name, 0, 0, BACKEND_ACT_QUANT_HELP},
        {"--json", FLAG_BOOL, &a.json, 0, 0, "print one JSON object"},
        {"--baselines", FLAG_BOOL, &a.baselines, 0, 0,
         "also xz -9e and brotli q11 bits per byte"},
        {"--train", FLAG_STR, &a.train, 0, 0,
         "with --baselines: conditional on this text"},
        {"--adapt", FLAG_BOOL, &a.adapt, 0, 0,
         "also the score-first adaptive val_bpb (model + the text's own n-grams)"},
        {"--count", FLAG_BOOL, &a.count, 0, 0,
         "count targets and bytes only (no scoring)"},
        {"--tpu-report", FLAG_STR, &a.tpu_report, 0, 0,
         "tpu: per-tensor table (JSON with --json) to FILE"},
        {"--nll-out", FLAG_STR, &a.nll_out, 0, 0,
         "each target's NLL (nats), one a line, to FILE (with --ttt: TTT's)"},
        {"--tilt", FLAG_REAL, &a.tilt, -TITAN_TILT_BETA_MAX, TITAN_TILT_BETA_MAX,
         "also the n-gram tilted val_bpb with this beta (-30..30; the artifact's "
         "--ngram table)"},
        {"--ngram", FLAG_STR, &a.ngram, 0, 0,
         "with --tilt: this n-gram table (titan-train ngram) instead of the artifact's"},
        {"--ttt", FLAG_BOOL, &a.ttt, 0, 0,
         "also score-first test-time training (training state allocated once)"},
        {"--ttt-chunk", FLAG_INT, &a.ttt_chunk, 1, 1e15,
         "targets per chunk, >= --ctx (default 65536)"},
        {"--ttt-lr", FLAG_REAL, &a.ttt_lr, 0, 1e3,
         "peak SGD lr, cosine-decayed over chunks (default 0.017)"},
        {"--ttt-epochs", FLAG_INT, &a.ttt_epochs, 0, 1000,
         "passes over each scored chunk (default 5)"},
        {"--ttt-params", FLAG_STR, &a.ttt_params, 0, 0,
         "trained: mlp (MLP matrices and conv) or all (default mlp)"},
        {"--ttt-momentum", FLAG_REAL, &a.ttt_momentum, 0, 0.999999,
         "SGD momentum (default 0.9)"},
        {"--ttt-clip", FLAG_REAL, &a.ttt_clip, 0, 1e9,
         "gradient-norm clip, 0 = off (default 1)"},
        {"--ttt-batch", FLAG_INT, &a.ttt_batch, 1, 4096,
         "sequences of ctx tokens per step (default 32)"},
    };
    tpu_cli_defaults(&a.tpu_flags);
    tpu_cli_flags(&a.tpu_flags, flags + OWN_FLAGS);
    bool seen[OWN_FLAGS + TPU_CLI_NFLAGS] = {0};
    int npos, rc = cli_parse_seen(argc, argv, usage, flags, CLI_ARRAY_LEN(flags), NULL, 0,
                                  &npos, seen);
    CLI_RETURN_IF_DONE(rc);
    a.tilt_on = seen[TILT];
    for (int i = TTT_FIRST + 1; i < OWN_FLAGS && !a.ttt; i++)
        if (seen[i]) return cli_usage(cmd, "%s needs --ttt", flags[i].names);
    if ((rc = check_args(cmd, &a))) return rc;
    if (!a.threads) a.threads = runtime_cpus(TITAN_EVAL_MAX_THREADS);
    eval_plan p = {0};
    titan_arena ar = {0};
    eval_stream s = {0};
    rc = plan_inputs(cmd, &a, &p);
    if (!rc && a.model) rc = read_config(cmd, &a, &p);
    if (!rc && !a.ctx) a.ctx = 1024;
    if (!rc && a.stride > a.ctx)
        rc = cli_usage(cmd, "--stride %lld is larger than --ctx %lld",
                       (long long)a.stride, (long long)a.ctx);
    if (!rc) split_threads(&a, &p);
    if (!rc) rc = load_inputs(cmd, &a, &p, &ar, &s);
    if (!rc) rc = evaluate(cmd, &a, &p, &ar, &s);
    if (p.globbed) globfree(&p.g);
    cli_arena_destroy(&ar);
    return rc;
}
