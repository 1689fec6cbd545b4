/* cmd_eval.c: `titan-train eval CKPT --val FILE`: val_bpb of a checkpoint's
 * float weights, scored by the trainer's forward on its validation windows
 * (train_workers_eval: core/eval.c's windows, byte counts and sums), so it
 * is the number the training log reports for the same --ctx, --stride and
 * --max-tokens. Under mpirun (titan-train-mpi) the windows are shared over
 * the ranks and the result is bit-identical to one process. */
#include "tools/cli/cli.h"
#include "tools/train/train_batch.h"
#include "tools/train/train_ckpt.h"
#include "tools/train/train_commands.h"
#include "tools/train/train_data.h"
#include "tools/train/train_dist.h"

#include <stdlib.h>

static const char usage[] =
    "titan-train eval CKPT (--val FILE | --val-shards GLOB) [--weights raw|ema|swa] "
    "[--ctx L] [--stride S] [--max-tokens N] [--threads N] [--json]\n"
    "  (mpirun -np N titan-train-mpi eval ...: the windows spread over N ranks)\n"
    "example: titan-train eval run.ckpt --val val.txt --ctx 128 --stride 64";

typedef struct {
    const char *val, *val_shards, *weights;
    int64_t ctx, stride, max_tokens, threads;
    bool json;
} eval_args;

typedef struct {
    train_ckpt_file ck;
    titan_arena tok_arena, arena;
    const titan_tokenizer *tok;
    train_params w;
    train_tokens val;
    uint32_t *byte_len;
    titan_byte_table bytes;
    train_model model;
    train_xmodel xmodel; /* family xenith */
    train_workers workers;
} eval_run;

static titan_status load(eval_run *e, const char *path, const eval_args *a) {
    TITAN_TRY(train_ckpt_open(path, &e->ck));
    const titan_ckpt_meta *m = &e->ck.ck.meta;
    const uint8_t *blob;
    size_t len;
    uint32_t crc = 0;
    if (a->val && !m->tok_len)
        return titan_fail(TITAN_E_USAGE, "%s has no tokenizer: evaluate shards", path);
    if (a->val)
        TITAN_TRY(train_tokenizer_from_blob(m->tok, m->tok_len, &e->tok_arena, &e->tok,
                                            &blob, &len, &crc));
    TITAN_TRY(train_ckpt_weights(&e->ck, a->weights, &e->w));
    if (a->val)
        TITAN_TRY(train_tokens_from_text(a->val, e->tok, crc, &e->val));
    else
        TITAN_TRY(train_tokens_from_shards(a->val_shards, &e->val));
    if (e->val.n < 2)
        return titan_fail(TITAN_E_DATA, "%s holds no tokens",
                          a->val ? a->val : a->val_shards);
    return train_byte_table(a->val ? e->tok : NULL, m->config.vocab_size, &e->byte_len,
                            &e->bytes);
}

static titan_status score(eval_run *e, const eval_args *a, titan_eval_result *res) {
    const titan_config *c = &e->ck.ck.meta.config;
    int64_t n = (int64_t)e->val.n - 1;
    if (a->max_tokens && a->max_tokens < n) n = a->max_tokens;
    titan_eval_options o = {.ctx = (int32_t)a->ctx,
                            .stride = (int32_t)a->stride,
                            .batch = 1,
                            .threads = (int)a->threads};
    size_t need = titan_eval_plan(n, &o);
    if (need == SIZE_MAX) return titan_fail(TITAN_E_USAGE, "bad --ctx / --stride");
    int bad =
        TITAN_XENITH(c)
            ? train_xmodel_init(&e->xmodel, c, &e->w, (int)a->ctx + 1, NULL) ||
                  train_workers_init_xenith(&e->workers, &e->xmodel, (int)a->threads, 1)
            : train_model_init(&e->model, c, (int)a->ctx + 1) ||
                  train_workers_init(&e->workers, &e->model, (int)a->threads);
    if (bad) return titan_fail(TITAN_E_NOMEM, "out of memory for this config");
    TITAN_TRY(cli_arena_create(&e->arena, need));
    return train_workers_eval(&e->workers, &e->w, &e->arena, e->val.tok, n, &e->bytes, &o,
                              res);
}

static void teardown(eval_run *e) {
    cli_arena_destroy(&e->arena);
    train_workers_free(&e->workers);
    train_model_free(&e->model);
    train_xmodel_free(&e->xmodel); /* nothing when never made */
    free(e->byte_len);
    train_tokens_free(&e->val);
    train_params_free(&e->w);
    if (e->tok) cli_arena_destroy(&e->tok_arena);
    train_ckpt_close(&e->ck);
}

static void print(const eval_args *a, const titan_eval_result *r) {
    if (a->json) {
        printf("{\"tokens\": %lld, \"bytes\": %llu, \"ctx\": %lld, \"stride\": %lld, "
               "\"windows\": %lld, \"ranks\": %d, \"val_loss\": %.17g, \"nll\": %.17g",
               (long long)r->tokens, (unsigned long long)r->bytes, (long long)a->ctx,
               (long long)a->stride, (long long)r->windows, train_dist_ranks(),
               r->val_loss, r->nll);
        if (r->bytes)
            printf(", \"val_bpb\": %.17g}\n", r->val_bpb);
        else
            printf(", \"val_bpb\": null}\n");
        return;
    }
    if (r->bytes) printf("val_bpb %.6f  ", r->val_bpb);
    printf("val_loss %.6f  (%lld targets, %llu bytes, %lld windows, %d ranks)\n",
           r->val_loss, (long long)r->tokens, (unsigned long long)r->bytes,
           (long long)r->windows, train_dist_ranks());
}

int train_cmd_eval(int argc, char **argv) {
    eval_args a = {.threads = 1};
    char *pos[1];
    const cli_flag flags[] = {
        {"--val", FLAG_STR, &a.val, 0, 0, "validation text (tokens cached in FILE.tok)"},
        {"--val-shards", FLAG_STR, &a.val_shards, 0, 0,
         "parameter-golf .bin shards (glob): val_loss only"},
        {"--weights", FLAG_STR, &a.weights, 0, 0,
         "raw|ema|swa (default the checkpoint's choice)"},
        {"--ctx", FLAG_INT, &a.ctx, 1, CLI_CTX_MAX,
         "context L (default min(max_seq_len - 1, 1024))"},
        {"--stride", FLAG_INT, &a.stride, 1, CLI_CTX_MAX,
         "stride S, 1 <= S <= L (default L)"},
        {"--max-tokens", FLAG_INT, &a.max_tokens, 1, 1e15,
         "score only the first N targets"},
        {"--threads", FLAG_INT, &a.threads, 1, TRAIN_MAX_THREADS,
         "worker threads per rank (default 1)"},
        {"--json", FLAG_BOOL, &a.json, 0, 0, "print one JSON object"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, pos, 1, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (npos != 1) return cli_usage(argv[0], "need one CKPT");
    if (!a.val == !a.val_shards)
        return cli_usage(argv[0], "give one of --val FILE / --val-shards GLOB");
    eval_run *e = calloc(1, sizeof *e); /* tensor tables: not the stack */
    if (!e) return cli_fail(argv[0], titan_fail(TITAN_E_NOMEM, "out of memory"));
    titan_status st = load(e, pos[0], &a);
    int max_ctx = st == TITAN_OK ? e->ck.ck.meta.config.max_seq_len - 1 : 0;
    if (!a.ctx) a.ctx = max_ctx < 1024 ? max_ctx : 1024;
    if (!a.stride) a.stride = a.ctx;
    if (st == TITAN_OK && (a.ctx > max_ctx || a.stride > a.ctx))
        st = titan_fail(TITAN_E_USAGE, "--ctx must be in [1, %d], --stride in [1, --ctx]",
                        max_ctx);
    titan_eval_result res;
    if (st == TITAN_OK) st = score(e, &a, &res);
    if (st == TITAN_OK) print(&a, &res);
    teardown(e);
    free(e);
    return st == TITAN_OK ? CLI_EXIT_OK : cli_fail(argv[0], st);
}
