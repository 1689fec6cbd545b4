/* cmd_plan.c: `titan plan -m ART | --config CFG [--ctx L] [--batch N]`: the
 * exact bytes of the one arena `titan run`/`logits` make for this model,
 * context and batch (artifact load + backend + model + one sequence, the
 * sequence's caches apart from the scratch), the parameter count, the
 * cache cost per token against a plain grouped-query cache, the Gated
 * DeltaNet layers' state, which does not grow with the context, and with
 * --ttt the arena bytes of titan eval --ttt's training state (ttt_plan). */
#include "core/gdn.h"
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/titan/config_arg.h"
#include "tools/titan/plan_xenith.h"
#include "tools/titan/commands.h"
#include "tools/titan/eval_ttt.h"
#include "tools/titan/runtime.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "titan plan (-m ART | --config CFG.json | --preset NAME) [--ctx L] [--batch N] "
    "[--backend cpu|ref] [--threads N] [--act-quant exact|q8] [--json] "
    "[--config-out CFG.json] [--ttt]\n"
    "  the exact arena bytes of titan run/logits: artifact load + backend +\n"
    "  model + one sequence of ctx tokens fed batch tokens at a time\n"
    "  (--config, --preset: the runtime part only), and the parameter count;\n"
    "  --config-out writes the model's config JSON (a preset's, to edit);\n"
    "  a xenith config: its exact parameter and cache counts at --ctx;\n"
    "  --ttt: also titan eval --ttt's training state (its default options)\n"
    "example: titan plan --preset nano --ctx 256 && titan plan --preset nano "
    "--config-out my.json";

/* The config as one line of JSON (config JSON, as titan export writes it). */
static void print_config_json(const titan_config *c) {
    size_t len;
    char *buf = NULL;
    if (titan_config_to_json(c, NULL, 0, &len) == TITAN_OK && (buf = malloc(len + 1)) &&
        titan_config_to_json(c, buf, len + 1, &len) == TITAN_OK) {
        while (len && buf[len - 1] == '\n') len--;
        printf(",\"config\":%.*s", (int)len, buf);
    }
    free(buf);
}

/* The cache side of a plan: per token over every effective layer, one
 * sequence's whole state (caches and rings) at ctx, the per-token cost
 * of a plain grouped-query cache for comparison, and the GDN layers with the
 * bytes of each one's state (part of seq). */
typedef struct {
    int64_t layers, per_token, gqa_per_token, gdn_layers, gdn_state;
    size_t seq;
    size_t ttt; /* --ttt: ttt_plan bytes, else 0 */
} cache_sizes;

static titan_status cache_plan(const titan_config *c, int ctx, cache_sizes *k) {
    k->layers = titan_config_schedule(c, false, NULL, 0);
    k->per_token = titan_model_cache_floats(c) * 4;
    k->gqa_per_token =
        (int64_t)c->n_kv_heads * (c->head_dim + c->v_head_dim) * 4 * k->layers;
    k->gdn_layers = titan_gdn_layers(c);
    k->gdn_state = (int64_t)titan_gdn_state_floats(c) * 4;
    return titan_seq_plan(c, ctx, &k->seq);
}

static void print_plan(const titan_config *c, const runtime_opts *o,
                       const runtime_sizes *z, const cache_sizes *k, bool json) {
    int64_t params = titan_config_params(c);
    /* weights: as loaded from the artifact, else float32 as titan init writes */
    size_t weights = z->load_high ? z->load_kept : (size_t)params * 4;
    if (json) {
        printf("{\"params\":%lld,\"active_params\":%lld,\"tensors\":%d,"
               "\"ctx\":%d,\"batch\":%d,\"artifact_bytes\":%zu,"
               "\"artifact_kept_bytes\":%zu,\"weights_bytes\":%zu,\"runtime_bytes\":%zu,"
               "\"cache_bytes\":%zu,\"scratch_bytes\":%zu,"
               "\"total_bytes\":%zu,\"backend\":\"%s\",\"threads\":%d,"
               "\"layers\":%lld,\"cache_bytes_per_token\":%lld,"
               "\"gqa_cache_bytes_per_token\":%lld,\"gdn_layers\":%lld,"
               "\"gdn_state_bytes\":%lld,\"matmul_weights_per_token\":%lld",
               (long long)params, (long long)params, titan_config_tensors(c, NULL, 0),
               o->ctx, o->batch, z->load_high, z->load_kept, weights, z->runtime, k->seq,
               z->runtime - k->seq, z->total, o->backend, o->threads,
               (long long)k->layers, (long long)k->per_token, (long long)k->gqa_per_token,
               (long long)k->gdn_layers, (long long)k->gdn_state,
               (long long)titan_config_matmul_weights(c));
        if (k->ttt) printf(",\"ttt_bytes\":%zu", k->ttt);
        print_config_json(c);
        printf("}\n");
        return;
    }
    if (z->load_high)
        printf("artifact   %zu bytes (load high-water; %zu kept after loading)\n",
               z->load_high, z->load_kept);
    printf("model      %lld parameters in %d tensors\n", (long long)params,
           titan_config_tensors(c, NULL, 0));
    printf("runtime    %zu bytes (backend %s, %d threads; ctx %d, batch %d): cache %zu, "
           "scratch %zu\n"
           "total      %zu bytes\n"
           "cache      %lld bytes per token over %lld layers (%s); a grouped-query cache "
           "needs %lld (%.2fx)\n",
           z->runtime, o->backend, o->threads, o->ctx, o->batch, k->seq,
           z->runtime - k->seq, z->total, (long long)k->per_token, (long long)k->layers,
           c->attention == TITAN_ATTENTION_GQA
               ? "gqa: k and v of every group"
               : "mla: Lkv + Dr floats a layer, k and v where a section-8 option applies",
           (long long)k->gqa_per_token, (double)k->gqa_per_token / (double)k->per_token);
    if (k->gdn_layers)
        printf("gdn state  %lld bytes in each of %lld Gated DeltaNet layers, at any "
               "context (in the cache above)\n",
               (long long)k->gdn_state, (long long)k->gdn_layers);
    if (k->ttt)
        printf("ttt        %zu bytes: titan eval --ttt's training state (default "
               "options, ctx %d, %d threads), one arena carved before the first chunk\n",
               k->ttt, o->ctx, o->threads);
}

/* --ttt: the training state of titan eval --ttt with its default options. */
static titan_status ttt_bytes(const titan_config *c, const runtime_opts *o, size_t *out) {
    ttt_options t = {TTT_CHUNK_DEFAULT,
                     TTT_LR_DEFAULT,
                     TTT_EPOCHS_DEFAULT,
                     TTT_MOMENTUM_DEFAULT,
                     TTT_CLIP_DEFAULT,
                     TTT_BATCH_DEFAULT,
                     false};
    return ttt_plan(c, o->ctx, o->threads, &t, out);
}

/* --config-out (said on stderr: stdout is the plan). */
static int write_config(const char *cmd, const char *path, const titan_config *c) {
    if (!path) return CLI_EXIT_OK;
    titan_status st = cli_config_write(path, c);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    cli_wrote(true, path, "config JSON");
    return CLI_EXIT_OK;
}

int cmd_plan(int argc, char **argv) {
    const char *model = NULL, *config = NULL, *preset = NULL, *config_out = NULL;
    const char *act_quant = NULL;
    int64_t ctx = 0, batch = 0, threads = 0;
    bool json = false, ttt = false;
    runtime_opts o = {0};
    cli_flag flags[] = {
        {"-m|--model", FLAG_STR, &model, 0, 0, "artifact"},
        {"--config", FLAG_STR, &config, 0, 0, "config JSON (runtime only)"},
        {"--preset", FLAG_STR, &preset, 0, 0, "a preset (runtime only)"},
        {"--ctx", FLAG_INT, &ctx, 1, CLI_CTX_MAX, "context length (default max_seq_len)"},
        {"--batch", FLAG_INT, &batch, 1, CLI_CTX_MAX,
         "tokens per forward call (default min(ctx, 256))"},
        {"--backend", FLAG_STR, &o.backend, 0, 0,
         "cpu, ref or tpu (default cpu; tpu: the default array)"},
        {"--threads", FLAG_INT, &threads, 1, CLI_THREADS_MAX,
         "cpu threads, at most 64 used (default all CPUs)"},
        {"--act-quant", FLAG_STR, &act_quant, 0, 0, BACKEND_ACT_QUANT_HELP},
        {"--json", FLAG_BOOL, &json, 0, 0, "one JSON object (with the config)"},
        {"--config-out", FLAG_STR, &config_out, 0, 0, "also write the config JSON here"},
        {"--ttt", FLAG_BOOL, &ttt, 0, 0, "also titan eval --ttt's training state"},
    };
    int npos;
    int rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    const char *outputs[] = {config_out};
    if ((rc = cli_outputs_check(argv[0], outputs, 1))) return rc;
    if (!model + !config + !preset != 2)
        return cli_usage(argv[0], "give exactly one of -m ART, --config CFG and "
                                  "--preset NAME");
    titan_config c;
    runtime_sizes z = {0};
    if (!model && (rc = config_arg_load(argv[0], preset, config, &c))) return rc;
    /* Before planning: a config this runtime cannot run yet still has one. */
    if (!model && (rc = write_config(argv[0], config_out, &c))) return rc;
    /* xenith: counts only (no runtime yet); a stream has no length limit */
    if (!model && TITAN_XENITH(&c))
        return plan_xenith_print(argv[0], &c, ctx ? ctx : c.max_seq_len, json);
    titan_status st = backend_act_quant(act_quant, o.backend, &o.act_quant);
    if (st) return cli_fail(argv[0], st);
    if (!model && ctx > c.max_seq_len)
        return cli_usage(argv[0], "--ctx %lld above max_seq_len %d", (long long)ctx,
                         c.max_seq_len);
    o.ctx = (int)ctx;
    o.batch = (int)batch;
    o.threads = (int)threads;
    if (!model) {
        st = runtime_resolve(&c, &o);
        if (st == TITAN_OK) st = runtime_plan_config(&c, &o, &z.runtime);
        z.total = z.runtime;
    } else {
        st = runtime_plan(model, &o, &c, &z);
        if (st == TITAN_OK && ctx > c.max_seq_len)
            return cli_usage(argv[0], "--ctx %lld above max_seq_len %d", (long long)ctx,
                             c.max_seq_len);
    }
    cache_sizes k = {0};
    if (st == TITAN_OK) st = cache_plan(&c, o.ctx, &k);
    if (st == TITAN_OK && ttt) st = ttt_bytes(&c, &o, &k.ttt);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    if (model && (rc = write_config(argv[0], config_out, &c))) return rc;
    print_plan(&c, &o, &z, &k, json);
    return CLI_EXIT_OK;
}
